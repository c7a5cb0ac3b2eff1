"""What the HTTP clients and fake servers of ``tools/`` share."""

import logging
import sys
import threading
from http.server import ThreadingHTTPServer

import requests

_logger = logging.getLogger(__name__)


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


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        # A client that hangs up (a download cut at its limit, a test's
        # timeout) is not an error of the fake.
        if isinstance(sys.exc_info()[1], ConnectionError):
            _logger.debug("fake server: client %s went away", client_address)
            return
        super().handle_error(request, client_address)


class LocalServer:
    """A fake service: ``handler`` behind a threaded HTTP server on
    127.0.0.1, in a background thread; the handler finds the fake's state
    in ``self.server.fake``."""

    handler = None

    def __init__(self, fake, host="127.0.0.1", port=0):
        self.fake = fake
        self.httpd = _QuietServer((host, port), self.handler)
        self.httpd.daemon_threads = True
        self.httpd.fake = fake
        self.thread = None

    @property
    def url(self):
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def start(self):
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()
        return self

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
