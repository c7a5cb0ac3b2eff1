"""What the HTTP clients of ``tools/`` share."""

import requests


class TimeoutAdapter(requests.adapters.HTTPAdapter):
    """Gives every request of its session the client's timeouts: set on the
    transport, no call can forget them (nor can a caller's wrapper of
    ``Session.send`` rewrite them)."""

    def __init__(self, timeout, **kwargs):
        self.timeout = timeout
        super().__init__(**kwargs)

    def send(self, request, **kwargs):
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.timeout
        return super().send(request, **kwargs)


def mount_timeouts(session, timeout):
    """Mount a ``TimeoutAdapter`` on ``session`` for http and https."""
    adapter = TimeoutAdapter(timeout)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session
