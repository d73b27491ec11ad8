"""A scripted HTTP server on 127.0.0.1 for client tests: each request gets the next scripted reply.

Used where a real peer cannot be made to answer a given way (a 503 then a 200, a slow answer, an HTML
page); the real bridge and the Novu Cloud emulator cover the rest.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

from tests.stand_ins.local_server import LocalServer

BYPASS_TOKEN = "vercel-bypass-t0ken-XYZ"


@dataclass(frozen=True)
class Reply:
    """One scripted answer. ``body``: bytes or str as is, anything else as JSON; ``delay`` in seconds."""

    status: int = 200
    body: Any = b""
    headers: Mapping[str, str] = field(default_factory=dict)
    delay: float = 0.0


@dataclass(frozen=True)
class Received:
    method: str
    target: str  # path and query string, as sent
    headers: dict[str, str]  # lower-case names
    body: bytes


Script = Sequence[Reply] | Callable[[Received], Reply]


class ScriptedServer:
    """Answers request N with ``script[N]`` (the last reply repeats) or ``script(request)``."""

    def __init__(self, script: Script) -> None:
        self.received: list[Received] = []
        self._script = script
        self._lock = threading.Lock()
        self._server = LocalServer(self._handler_class(), name="scripted-http-server")

    @property
    def url(self) -> str:
        return self._server.origin

    def __enter__(self) -> ScriptedServer:
        self._server.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.stop()

    def _reply_to(self, request: Received) -> Reply:
        with self._lock:
            self.received.append(request)
            if callable(self._script):
                return self._script(request)
            return self._script[min(len(self.received), len(self._script)) - 1]

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self._answer()

            do_POST = do_PUT = do_DELETE = do_GET

            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                request = Received(
                    method=self.command,
                    target=self.path,
                    headers={name.lower(): value for name, value in self.headers.items()},
                    body=self.rfile.read(length),
                )
                reply = server._reply_to(request)
                if isinstance(reply.body, bytes):
                    body = reply.body
                elif isinstance(reply.body, str):
                    body = reply.body.encode()
                else:
                    body = json.dumps(reply.body).encode()
                time.sleep(reply.delay)
                try:
                    self.send_response(reply.status)
                    headers = {"Content-Type": "application/json", **reply.headers}
                    for name, value in headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except OSError:
                    pass  # the client gave up (timeout tests)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler


@contextmanager
def scripted(*replies: Reply) -> Iterator[ScriptedServer]:
    with ScriptedServer(list(replies)) as server:
        yield server


class Recorder:
    """Stands in for ``sleep`` and ``on_retry``: collects instead of waiting or printing."""

    def __init__(self) -> None:
        self.sleeps: list[float] = []
        self.notices: list[str] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)

    def notice(self, line: str) -> None:
        self.notices.append(line)


def closed_port() -> int:
    """A port on 127.0.0.1 nothing listens on (it was free a moment ago)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
