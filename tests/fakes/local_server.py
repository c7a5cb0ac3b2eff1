"""The HTTP server under every fake: a handler on 127.0.0.1, on a free
port unless told one, in a background thread."""

import logging
import socket
import sys
import threading
from http.server import ThreadingHTTPServer

_logger = logging.getLogger(__name__)


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


def closed_url():
    """An address on 127.0.0.1 where nothing listens: a port the system
    gave free a moment ago. A connection to it is refused; never a fixed
    port that a service on the machine might hold."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"
