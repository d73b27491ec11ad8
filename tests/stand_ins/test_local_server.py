from __future__ import annotations

import contextlib
import socket
import threading
import urllib.request
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest

from tests.stand_ins.local_server import LocalServer

_PROMPTLY_SECONDS = 1.0


class _Hello(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = f"hello from {self.path}".encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


def _get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (a loopback http URL)
        return str(response.read().decode())


def _finishes_promptly(action: Callable[[], None]) -> bool:
    """Runs ``action`` on a helper thread so a hang fails the test instead of stalling the run."""
    worker = threading.Thread(target=action, daemon=True)
    worker.start()
    worker.join(timeout=_PROMPTLY_SECONDS)
    return not worker.is_alive()


def test_serves_the_handler_on_loopback_at_its_origin() -> None:
    server = LocalServer(_Hello, name="test-local-server")
    server.start()
    try:
        assert server.origin.startswith("http://127.0.0.1:")
        assert _get(server.origin + "/ping") == "hello from /ping"
    finally:
        server.stop()


def test_stop_frees_the_port_and_can_be_called_again() -> None:
    server = LocalServer(_Hello, name="test-local-server")
    server.start()
    port = server.server_address[1]

    assert _finishes_promptly(server.stop)
    assert _finishes_promptly(server.stop)

    with pytest.raises(ConnectionRefusedError), socket.create_connection(("127.0.0.1", port), timeout=1):
        pass
    again = LocalServer(_Hello, name="test-local-server-again", port=port)
    again.stop()


def test_stop_without_start_releases_the_port_instead_of_waiting_for_a_loop_that_never_ran() -> None:
    server = LocalServer(_Hello, name="test-local-server")
    port = server.server_address[1]

    assert _finishes_promptly(server.stop)

    with pytest.raises(ConnectionRefusedError), socket.create_connection(("127.0.0.1", port), timeout=1):
        pass


def test_stop_does_not_wait_for_a_request_still_being_answered() -> None:
    arrived = threading.Event()
    release = threading.Event()

    class Stuck(_Hello):
        def do_GET(self) -> None:
            arrived.set()
            release.wait(timeout=5)

    server = LocalServer(Stuck, name="test-local-server")
    server.start()

    def ask_and_give_up_when_hung_up_on() -> None:
        with contextlib.suppress(OSError):
            _get(server.origin)

    client = threading.Thread(target=ask_and_give_up_when_hung_up_on, daemon=True)
    client.start()
    try:
        assert arrived.wait(timeout=2)
        assert _finishes_promptly(server.stop)
    finally:
        release.set()
        client.join(timeout=2)
