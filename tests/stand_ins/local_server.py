"""The one place the stand-ins start and stop their HTTP servers.

A ``LocalServer`` is a ``ThreadingHTTPServer`` bound on construction (127.0.0.1 and a free port unless told
otherwise) that serves from a daemon thread once started, each request on its own daemon thread, so a test
that forgets to stop it cannot keep the interpreter alive.
"""

from __future__ import annotations

import socket
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# How often the serving loop checks for stop(); bounds how long stop() takes.
_SHUTDOWN_POLL_SECONDS = 0.02


class LocalServer(ThreadingHTTPServer):
    """``LocalServer(Handler, name="x")`` listens at once; ``start()`` serves, ``stop()`` frees the port."""

    daemon_threads = True

    def __init__(
        self,
        handler_class: type[BaseHTTPRequestHandler],
        *,
        name: str,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        super().__init__((host, port), handler_class)
        self._serving = threading.Thread(
            target=self.serve_forever,
            kwargs={"poll_interval": _SHUTDOWN_POLL_SECONDS},
            name=name,
            daemon=True,
        )

    def get_request(self) -> tuple[socket.socket, tuple[str, int]]:
        """Accept with Nagle's algorithm off, as production HTTP servers (nginx, Node) answer: http.server
        sends a response's head and body in two writes, and Nagle holds the second back until the client
        acknowledges the first, which a client's delayed ACK makes 40 ms per request even on loopback."""
        connection, address = self.socket.accept()
        connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return connection, address

    def handle_error(self, request: object, client_address: object) -> None:
        """A client that gave up (a timed-out request) is not the server's error: no traceback for it."""
        if isinstance(sys.exc_info()[1], BrokenPipeError | ConnectionResetError):
            return
        super().handle_error(request, client_address)  # type: ignore[arg-type]

    @property
    def origin(self) -> str:
        """``http://<host>:<port>`` as bound, e.g. ``http://127.0.0.1:54321``."""
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> None:
        self._serving.start()

    def stop(self) -> None:
        """Stop serving and close the socket; safe to call again, or without ``start()``."""
        # shutdown() waits for the serving loop, so only ask it when there is one to end.
        if self._serving.is_alive():
            self.shutdown()
            self._serving.join()
        self.server_close()
