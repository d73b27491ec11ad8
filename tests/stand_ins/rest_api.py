"""What the GitHub and GitLab REST stand-ins share: serving JSON under an API root, scripted faults and the
request log.

A ``RestApiStandIn`` subclass is one service. It names itself (``_name``), brings its handler (a
``RestApiHandler`` subclass that adds the service's write method, PATCH or PUT), routes what it serves
(``_route``) and says how the service answers a path it has no route for (``_no_such_route``). Where the
services part on purpose it overrides a small method: the payload of a scripted failure
(``_fault_payload``), how a request body is read (``_parse_body``); its handler may set the response's
``content_type``.

Tests script failures with ``fail_next`` / ``disconnect_next`` (optionally after storing the write, the case
that makes blind POST retries duplicate what they create) and read what was asked in ``requests``. It shares
no code with ``novu_action``.
"""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler
from typing import Any, ClassVar, TypeVar
from urllib.parse import parse_qsl, urlsplit

from tests.stand_ins.local_server import LocalServer

_IDLE_CONNECTION_TIMEOUT_SECONDS = 5.0

_T = TypeVar("_T")


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the server saw it; ``path`` is relative to the API root (base path removed)."""

    method: str
    path: str
    query: Mapping[str, str]
    headers: Mapping[str, str]
    body: Any


@dataclass(frozen=True)
class Answer:
    status: int
    payload: Any
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Fault:
    method: str
    path_prefix: str
    status: int | None  # None: close the connection without answering
    times: int
    store_anyway: bool
    message: str
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Page:
    """One page of a listing, paged by number as GitHub and GitLab both page: ``page`` (from 1) and
    ``per_page`` (the service's default, at most its maximum). ``last`` is at least 1: an empty listing has
    one empty page. Which ``Link`` relations and headers a page carries is each service's own."""

    number: int
    per_page: int
    last: int

    @classmethod
    def of(cls, query: Mapping[str, str], *, count: int, default_per_page: int, max_per_page: int) -> Page:
        per_page = min(_positive_int(query.get("per_page"), default_per_page), max_per_page)
        return cls(_positive_int(query.get("page"), 1), per_page, max(1, math.ceil(count / per_page)))

    def items(self, listing: Sequence[_T]) -> list[_T]:
        return list(listing[(self.number - 1) * self.per_page : self.number * self.per_page])


class RestApiStandIn:
    """``with Service(...) as api_url:`` serves on 127.0.0.1 and yields the API root URL (``api_url``)."""

    _name: ClassVar[str]  # "GitHub API stand-in"; its thread is "github-api-stand-in"
    _handler: ClassVar[type[RestApiHandler]]
    _server_error_message: ClassVar[str]  # what ``fail_next`` says unless told otherwise

    def __init__(self, *, base_path: str) -> None:
        if base_path and (not base_path.startswith("/") or base_path.endswith("/")):
            raise ValueError(f"base_path must look like '/api/v3' or be empty, got {base_path!r}")
        self.base_path = base_path
        self._lock = threading.Lock()
        self._faults: list[Fault] = []
        self._requests: list[RecordedRequest] = []
        self._server: _StandInServer | None = None

    # -- lifecycle ---------------------------------------------------------------------------------------

    def start(self) -> str:
        self._server = _StandInServer(self)
        self._server.start()
        return self.api_url

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None

    def __enter__(self) -> str:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def origin(self) -> str:
        """``http://127.0.0.1:<port>``: the stand-in's "web" host, used in ``html_url`` and ``web_url``."""
        if self._server is None:
            raise RuntimeError(f"the {self._name} is not running: call start() first")
        return self._server.origin

    @property
    def api_url(self) -> str:
        """``origin`` + ``base_path``: what GitHub gives a job as ``GITHUB_API_URL``, GitLab as
        ``CI_API_V4_URL``."""
        return self.origin + self.base_path

    # -- scripting ---------------------------------------------------------------------------------------

    def fail_next(
        self,
        method: str,
        path_prefix: str,
        status: int,
        *,
        times: int = 1,
        store_anyway: bool = False,
        message: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        """Answer the next ``times`` matching requests with ``status`` and ``{"message": message}``
        (the service's server error wording unless given), plus ``headers``.

        ``path_prefix`` is relative to the API root. ``store_anyway=True`` performs the request first (a POST
        creates its comment or note) and only then answers with the failure.
        """
        text = self._server_error_message if message is None else message
        self._add_fault(Fault(method.upper(), path_prefix, status, times, store_anyway, text, headers or {}))

    def disconnect_next(
        self, method: str, path_prefix: str, *, times: int = 1, store_anyway: bool = False
    ) -> None:
        """Close the connection without any answer on the next ``times`` matching requests."""
        self._add_fault(Fault(method.upper(), path_prefix, None, times, store_anyway, ""))

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    def requests_to(self, method: str) -> list[RecordedRequest]:
        return [request for request in self.requests if request.method == method.upper()]

    # -- what a service overrides ------------------------------------------------------------------------

    def _route(self, request: RecordedRequest) -> Answer:
        """The service's answer to a request that no fault intercepted (called holding the lock)."""
        raise NotImplementedError

    def _no_such_route(self) -> Answer:
        """The service's answer to a path it does not serve, including one outside the API root."""
        raise NotImplementedError

    def _fault_payload(self, message: str) -> Any:
        return {"message": message}

    def _parse_body(self, raw: bytes, content_type: str) -> Any:
        return parse_json(raw)

    # -- request handling (called from server threads) ---------------------------------------------------

    def _add_fault(self, fault: Fault) -> None:
        with self._lock:
            self._faults.append(fault)

    def _take_fault(self, method: str, path: str) -> Fault | None:
        for index, fault in enumerate(self._faults):
            if fault.method == method and path.startswith(fault.path_prefix):
                if fault.times > 1:
                    self._faults[index] = replace(fault, times=fault.times - 1)
                else:
                    del self._faults[index]
                return fault
        return None

    def _handle(self, request: RecordedRequest) -> Answer | None:
        """The answer to send; None means hang up without one."""
        with self._lock:
            self._requests.append(request)
            fault = self._take_fault(request.method, request.path)
            if fault is None:
                return self._route(request)
            if fault.store_anyway:
                self._route(request)
            if fault.status is None:
                return None
            return Answer(fault.status, self._fault_payload(fault.message), fault.headers)


class RestApiHandler(BaseHTTPRequestHandler):
    """Reads a request into a ``RecordedRequest`` for the stand-in and writes its ``Answer`` as JSON.

    It answers GET, POST and DELETE; a service's subclass adds its write method (``do_PATCH``, ``do_PUT``),
    so any other method gets http.server's own 501.
    """

    protocol_version = "HTTP/1.1"  # keep-alive, as the real APIs and pooled clients (PyGithub's) expect
    timeout = _IDLE_CONNECTION_TIMEOUT_SECONDS
    content_type: ClassVar[str] = "application/json"
    server: _StandInServer

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def do_DELETE(self) -> None:
        self._serve()

    def log_message(self, format: str, *args: Any) -> None:
        """Keep test output quiet; the request log is ``stand_in.requests``."""

    def _serve(self) -> None:
        stand_in = self.server.stand_in
        split = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw_body = self.rfile.read(length) if length else b""
        if not split.path.startswith(stand_in.base_path + "/"):
            self._send(stand_in._no_such_route())
            return
        request = RecordedRequest(
            method=self.command,
            path=split.path.removeprefix(stand_in.base_path),
            query=dict(parse_qsl(split.query)),
            headers={name.lower(): value for name, value in self.headers.items()},
            body=stand_in._parse_body(raw_body, self.headers.get("Content-Type", "")),
        )
        answer = stand_in._handle(request)
        if answer is None:
            self.close_connection = True
            return
        self._send(answer)

    def _send(self, answer: Answer) -> None:
        payload = json.dumps(answer.payload).encode()
        self.send_response(answer.status)
        self.send_header("Content-Type", self.content_type)
        self.send_header("Content-Length", str(len(payload)))
        for name, value in answer.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)


class _StandInServer(LocalServer):
    """A ``LocalServer`` whose handlers reach their stand-in as ``self.server.stand_in``."""

    def __init__(self, stand_in: RestApiStandIn) -> None:
        self.stand_in = stand_in
        super().__init__(stand_in._handler, name=stand_in._name.lower().replace(" ", "-"))


def _positive_int(value: str | None, default: int) -> int:
    """GitHub and GitLab both ignore a missing, malformed or non-positive paging parameter and use the
    default."""
    if value is None or not value.isdigit() or int(value) < 1:
        return default
    return int(value)


def parse_json(raw: bytes) -> Any:
    """The body as JSON; None for an empty or malformed one."""
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return None
