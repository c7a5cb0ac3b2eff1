"""Talk to a fake (GIS ZhKKh or MAX) running in its own process."""

import json
import time
import urllib.error
import urllib.request


def control(fake, path, data=None, attempts=50):
    """POST ``data`` to the fake's ``/control/<path>``; wait for the fake to
    start listening if needed."""
    request = urllib.request.Request(
        f"{fake}/control/{path}",
        data=json.dumps(data or {}).encode(),
        headers={"Content-Type": "application/json"},
    )
    for attempt in range(attempts):
        try:
            with urllib.request.urlopen(request, timeout=600) as response:
                return json.load(response)
        except ConnectionRefusedError:
            pass
        except urllib.error.URLError as error:
            if not isinstance(error.reason, ConnectionRefusedError):
                raise
        time.sleep(0.2 * (attempt + 1))  # the fake is still starting
    raise RuntimeError(f"The fake at {fake} does not answer")


def state(fake):
    with urllib.request.urlopen(f"{fake}/control/state", timeout=600) as response:
        return json.load(response)
