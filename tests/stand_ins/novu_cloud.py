"""A local emulator of the Novu Cloud API, for tests and the demo.

It follows /work/shared/reference/novu-protocol.md (§ numbers below) and, where the reference points at it,
the Novu API source it cites. It behaves as Novu does independently of the action: it shares no code with
`novu_action` and signs its bridge requests itself. Standard library only, plus `requests` for the calls
it makes to a bridge, as Novu Cloud does during sync and validate.

    python -m tests.stand_ins.novu_cloud --port N --environment Development=KEY \
        --environment Production=KEY [--state-file PATH]

runs it in the foreground, prints its base URL and, on SIGTERM or SIGINT, writes its state as JSON.

One emulator is one organisation; each environment is selected by its API key (= its secret key, §4.1).
Deliberately not emulated: the SSRF policy of §4.2 (the emulator must reach bridges on 127.0.0.1), rate
limiting (only through `fail_next`), and endpoints the action does not call (they answer 404).
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import hmac
import itertools
import json
import re
import secrets
import signal
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from types import FrameType
from typing import Any, ClassVar
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import requests

from tests.stand_ins.local_server import LocalServer

JsonObject = dict[str, Any]

BRIDGE_TIMEOUT_SECONDS = 5.0  # §4.3 DEFAULT_TIMEOUT
BRIDGE_RETRY_DELAY_SECONDS = 2.0  # §4.3: sync and validate pass retriesLimit 1; got waits 2**1 s
_RETRYABLE_BRIDGE_STATUSES = frozenset({408, 429, 500, 503, 504, 521, 522, 524})  # §4.3
_MAX_REDIRECTS = 10  # got's default
_GOT_USER_AGENT = "got (https://github.com/sindresorhus/got)"
# @novu/framework 2.13.2 ErrorCodeEnum: `isFrameworkError` is "the body's code is one of these" (§1.6).
_FRAMEWORK_ERROR_CODES = frozenset(
    {
        "BridgeError",
        "ExecutionEventControlInvalidError",
        "ExecutionEventPayloadInvalidError",
        "ExecutionProviderOutputInvalidError",
        "ExecutionStateControlInvalidError",
        "ExecutionStateCorruptError",
        "ExecutionStateOutputInvalidError",
        "ExecutionStateResultInvalidError",
        "InvalidActionError",
        "MethodNotAllowedError",
        "MissingDependencyError",
        "MissingSecretKeyError",
        "ProviderExecutionFailedError",
        "ProviderNotFoundError",
        "SignatureExpiredError",
        "SignatureInvalidError",
        "SignatureMismatchError",
        "SignatureNotFoundError",
        "SignatureVersionInvalidError",
        "SigningKeyNotFoundError",
        "StepAlreadyExistsError",
        "StepControlCompilationFailedError",
        "StepExecutionFailedError",
        "StepNotFoundError",
        "WorkflowAlreadyExistsError",
        "WorkflowNotFoundError",
        "WorkflowPayloadInvalidError",
    }
)
_TUNNEL_ERROR_CODE = "TUNNEL_ERROR"

# §4.9
IDEMPOTENCY_KEY_MAX_LENGTH = 255
_IDEMPOTENCY_DOCS_LINK = "https://docs.novu.co/additional-resources/idempotency"
_IDEMPOTENT_METHODS = frozenset({"POST", "PATCH"})

# §4.8
V2_DEFAULT_LIMIT = 50
V2_MAX_LIMIT = 100

_INTERNAL_SERVER_ERROR_MESSAGE = "Internal server error, contact support and provide them with the errorId"
_BASE62_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
_BRIDGE_TYPES = frozenset({"BRIDGE", "ECHO"})
_DELETABLE_ORIGINS = frozenset({"external", None})  # §4.4 step 5


# Bridge error messages, §4.5 (libs/application-generic/src/utils/bridge.ts). `url` is the bridge URL as
# given, without the `action` parameter.
def _unreachable_message(url: str) -> str:
    return (
        f"Unable to reach Bridge Endpoint at `{url}`. Run npx novu@latest dev in Local mode, "
        "or ensure your Bridge app deployment is available."
    )


def _timeout_message(url: str) -> str:
    return f"Bridge request timeout for `{url}`"


def _max_redirects_message(url: str) -> str:
    return f"Maximum redirects exceeded for `{url}`"


def _method_not_configured_message(url: str) -> str:
    return (
        f"Bridge Endpoint at `{url}` is not correctly configured. Ensure your `@novu/framework` integration "
        "exposes the `POST`, `GET`, and `OPTIONS` methods."
    )


def _endpoint_not_found_message(url: str) -> str:
    return (
        f"Could not connect to Bridge Endpoint at `{url}`. Make sure you are running your local app server."
    )


def _tunnel_not_found_message(url: str) -> str:
    return (
        f"Unable to establish tunnel connection to `{url}`. Run npx novu@latest dev in Local mode, "
        "or ensure your Tunnel app deployment is available."
    )


def _unknown_bridge_error_message(url: str) -> str:
    return f"Unknown bridge request error calling `{url}`"


_SELF_SIGNED_CERTIFICATE_MESSAGE = (
    "Bridge Endpoint can't use a self signed certificate in production environments."
)


@dataclass(frozen=True)
class RecordedRequest:
    """One request the emulator received. Header names are lower-case."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any
    raw_body: bytes


@dataclass(frozen=True)
class _Response:
    status: int
    body: Any
    headers: tuple[tuple[str, str], ...] = ()

    def with_headers(self, *headers: tuple[str, str]) -> _Response:
        return _Response(self.status, self.body, self.headers + headers)


class _ApiError(Exception):
    """An error answer, rendered by Novu's exception filter (apps/api/src/exception-filter.ts, §4.1).

    `payload` is the Nest exception's response object, spread into the body after
    `statusCode, timestamp, path, message`.
    """

    def __init__(
        self, status: int, payload: JsonObject, *, headers: tuple[tuple[str, str], ...] = ()
    ) -> None:
        super().__init__(str(payload.get("message")))
        self.status = status
        self.payload = payload
        self.headers = headers


def _reason_phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:  # e.g. Cloudflare's 52x
        return "Error"


def _http_exception(status: int, message: str, *, headers: tuple[tuple[str, str], ...] = ()) -> _ApiError:
    """Nest's `new XxxException(message)`: the body carries `error` = the status' reason phrase."""
    return _ApiError(
        status, {"message": message, "error": _reason_phrase(status), "statusCode": status}, headers=headers
    )


def _bare_http_exception(status: int) -> _ApiError:
    """Nest's `new XxxException()` without a message: `{message: <phrase>, statusCode}`, no `error`."""
    return _ApiError(status, {"message": _reason_phrase(status), "statusCode": status})


def _internal_server_error() -> _ApiError:
    return _ApiError(500, {"message": _INTERNAL_SERVER_ERROR_MESSAGE, "errorId": str(uuid.uuid4())})


def _validation_error(field_name: str, messages: list[str], value: Any) -> _ApiError:
    """The newer API's DTO validation failure, 422 (§4.1)."""
    detail: JsonObject = {"messages": messages}
    if value is not None:
        detail["value"] = value
    return _ApiError(422, {"message": "Validation Error", "errors": {field_name: detail}})


class _BridgeRequestFailed(Exception):
    """Novu's BridgeRequestError; its message is what sync flattens into a 400 (§4.5)."""

    def __init__(self, message: str, *, retryable: bool) -> None:
        super().__init__(message)
        self.retryable = retryable


@dataclass
class _Environment:
    """Mutable state of one environment; only touched while holding the emulator's lock."""

    id: str
    name: str
    api_key: str
    identifier: str
    created_at: str
    updated_at: str
    bridge_url: str | None = None
    workflows: list[JsonObject] = field(default_factory=list)
    agent_bridge_urls: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class _Fault:
    method: str
    path_prefix: str
    status: int
    body: JsonObject | None
    headers: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class _IdempotencyEntry:
    body_hash: str
    response: _Response | None  # None while the first request is in flight


@dataclass(frozen=True)
class _Call:
    """A routed request: the authenticated environment plus what the handler reads."""

    environment: _Environment
    path: str
    query: dict[str, str]
    body: Any
    path_params: tuple[str, ...]


_Handler = Callable[["NovuCloudEmulator", _Call], _Response]


def _iso_timestamp(epoch_seconds: float) -> str:
    return (
        datetime.fromtimestamp(epoch_seconds, tz=UTC)
        .isoformat(timespec="milliseconds")
        .replace("+00:00", "Z")
    )


def _is_http_url(value: Any) -> bool:
    """class-validator `IsUrl({require_protocol: true, require_tld: false, protocols: [http, https]})`."""
    if not isinstance(value, str) or not value or any(character.isspace() for character in value):
        return False
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def _url_with_action(bridge_url: str, action: str) -> str:
    """`new URL(bridgeUrl)` then `searchParams.set('action', …)`: other parameters survive (§4.3)."""
    parts = urlsplit(bridge_url)
    parameters = parse_qsl(parts.query, keep_blank_values=True)
    names = [name for name, _ in parameters]
    if "action" in names:  # set() replaces the first occurrence and drops the others
        first = names.index("action")
        parameters = [
            (name, action if index == first else value)
            for index, (name, value) in enumerate(parameters)
            if name != "action" or index == first
        ]
    else:
        parameters.append(("action", action))
    return urlunsplit(parts._replace(path=parts.path or "/", query=urlencode(parameters)))


def _signature_header(*, secret_key: str, timestamp_ms: int) -> str:
    """§2: `t=<ms>,v1=<hex HMAC-SHA256 of "<t>.{}">`; a GET signs `JSON.stringify({})`."""
    digest = hmac.new(secret_key.encode(), f"{timestamp_ms}.{{}}".encode(), hashlib.sha256).hexdigest()
    return f"t={timestamp_ms},v1={digest}"


def _raw_data(discovered: JsonObject) -> JsonObject:
    """§4.4: the discover object with `unknownSchema` removed from the workflow's `payload` and `controls`."""
    raw = dict(discovered)
    for key in ("payload", "controls"):
        if isinstance(raw.get(key), dict):
            raw[key] = {name: value for name, value in raw[key].items() if name != "unknownSchema"}
    return raw


def _slugify(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def _base62(hex_id: str) -> str:
    number = int(hex_id, 16)
    digits = ""
    while number:
        number, remainder = divmod(number, 62)
        digits = _BASE62_ALPHABET[remainder] + digits
    return digits or "0"


def _trigger_identifier(workflow: JsonObject) -> str:
    return str(workflow["triggers"][0]["identifier"])


def _json_bytes(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


class NovuCloudEmulator:
    """An in-memory Novu Cloud (one organisation) served over HTTP on 127.0.0.1.

    `bridge_timeout`, `clock` and `sleep` are injectable so tests can make bridge timeouts and Novu's retry
    back-off fast and signatures reproducible; the defaults are Novu's (§4.3).
    """

    requests: list[RecordedRequest]

    def __init__(
        self,
        *,
        bridge_timeout: float = BRIDGE_TIMEOUT_SECONDS,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._bridge_timeout = bridge_timeout
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._organization_id = self._new_object_id()
        self._environments: list[_Environment] = []
        self._idempotency: dict[str, _IdempotencyEntry] = {}
        self._faults: list[_Fault] = []
        self._removed_endpoints: set[tuple[str, str]] = set()
        self._bridge_reachable = True
        self._server: LocalServer | None = None
        self.requests = []

    # ----------------------------------------------------------------- set-up and inspection (Python API)

    def add_environment(self, name: str, *, api_key: str) -> str:
        """Add an environment whose API key (= secret key) is `api_key`; returns its `_id`."""
        with self._lock:
            if any(env.name == name or env.api_key == api_key for env in self._environments):
                raise ValueError(f"An environment named {name!r} or with that API key already exists.")
            now = _iso_timestamp(self._clock())
            environment = _Environment(
                id=self._new_object_id(),
                name=name,
                api_key=api_key,
                identifier=secrets.token_urlsafe(9),
                created_at=now,
                updated_at=now,
            )
            self._environments.append(environment)
            return environment.id

    def seed_workflow(
        self,
        environment: str,
        *,
        workflow_id: str,
        origin: str | None = "external",
        raw_data: JsonObject | None = None,
        name: str | None = None,
        synced_from: str = "https://bridge.example.com/api/novu",
    ) -> None:
        """Store a workflow as if it already existed.

        origin "external" (or None, as before novuhq/novu#6663) makes a Framework workflow (type BRIDGE)
        whose rawData defaults to a discover object with no steps; any other origin, e.g. "novu-cloud",
        makes a Dashboard-made workflow (type REGULAR, no rawData). A Framework workflow only exists after
        a sync, and a sync stores its bridge URL: an environment never synced gets ``synced_from``.
        """
        is_framework = origin in _DELETABLE_ORIGINS
        with self._lock:
            env = self._environment_named(environment)
            if any(_trigger_identifier(doc) == workflow_id for doc in self._live_workflows(env)):
                raise ValueError(f"Workflow {workflow_id!r} already exists in {environment}.")
            now = _iso_timestamp(self._clock())
            document: JsonObject = {
                "_id": self._new_object_id(),
                "name": name or workflow_id,
                "description": "",
                "active": True,
                "status": "ACTIVE",
                "origin": origin,
                "type": "BRIDGE" if is_framework else "REGULAR",
                "tags": [],
                "severity": "none",
                "triggers": [{"type": "event", "identifier": workflow_id, "variables": []}],
                "steps": [],
                "_environmentId": env.id,
                "_organizationId": self._organization_id,
                "deleted": False,
                "createdAt": now,
                "updatedAt": now,
            }
            if is_framework:
                env.bridge_url = env.bridge_url or synced_from
                document["rawData"] = (
                    copy.deepcopy(raw_data) if raw_data is not None else _empty_discover(workflow_id)
                )
            elif raw_data is not None:
                document["rawData"] = copy.deepcopy(raw_data)
            env.workflows.append(document)

    def seed_synced(self, environment: str, workflows: list[JsonObject], *, bridge_url: str) -> None:
        """Store discover workflow objects exactly as a sync of them would (rawData, origin, bridge URL)."""
        with self._lock:
            env = self._environment_named(environment)
            existing = {_trigger_identifier(doc): doc for doc in self._live_workflows(env)}
            now = self._now()
            for discovered in workflows:
                self._upsert(env, discovered, existing.get(str(discovered.get("workflowId"))), now=now)
            env.bridge_url = bridge_url

    def workflows(self, environment: str) -> list[JsonObject]:
        """The environment's non-deleted workflow documents, oldest first."""
        with self._lock:
            return copy.deepcopy(self._live_workflows(self._environment_named(environment)))

    def workflow_ids(self, environment: str) -> list[str]:
        return [_trigger_identifier(doc) for doc in self.workflows(environment)]

    def bridge_url(self, environment: str) -> str | None:
        """The bridge URL stored by the last successful sync, None if never synced."""
        with self._lock:
            return self._environment_named(environment).bridge_url

    def agent_bridge_urls(self, environment: str) -> dict[str, str]:
        """Agent id → bridge URL, as set with `PUT /v1/agents/{agentId}/bridge`."""
        with self._lock:
            return dict(self._environment_named(environment).agent_bridge_urls)

    def requests_to(self, method: str, path_prefix: str) -> list[RecordedRequest]:
        with self._lock:
            return [r for r in self.requests if r.method == method.upper() and r.path.startswith(path_prefix)]

    def fail_next(
        self,
        method: str,
        path_prefix: str,
        *,
        status: int,
        times: int = 1,
        body: JsonObject | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        """Answer the next `times` matching requests with `status`, as a gateway or the rate limiter would.

        The request is still recorded, but reaches neither authentication nor idempotency. Without `body`,
        a Nest-shaped error body is sent; a 429 also gets Retry-After and RateLimit-* headers (§4.9), which
        `headers` can override.
        """
        default_headers = _rate_limit_headers() if status == HTTPStatus.TOO_MANY_REQUESTS else {}
        merged = tuple({**default_headers, **(headers or {})}.items())
        fault = _Fault(method.upper(), path_prefix, status, copy.deepcopy(body), merged)
        with self._lock:
            self._faults.extend([fault] * times)

    def remove_endpoint(self, method: str, path_prefix: str) -> None:
        """Make matching routes answer 404 as if the API lacked them (e.g. an API without /v1/bridge/diff)."""
        with self._lock:
            self._removed_endpoints.add((method.upper(), path_prefix))

    def set_bridge_reachable(self, reachable: bool) -> None:
        """False simulates a bridge Novu Cloud cannot reach (firewall, private network, tunnel down).

        Every call the emulator makes to a bridge then fails as a refused connection: validate reports
        `isValid: false` with the unreachable message and sync answers 400 with it (§4.5, §4.7).
        """
        with self._lock:
            self._bridge_reachable = reachable

    def snapshot(self) -> JsonObject:
        """Environments (no API keys), all workflow documents (deleted ones flagged) and the requests,
        with Authorization values redacted."""
        with self._lock:
            environments = []
            for env in self._environments:
                document = self._environment_document(env)
                document["workflows"] = copy.deepcopy(env.workflows)
                document["agentBridgeUrls"] = dict(env.agent_bridge_urls)
                environments.append(document)
            recorded = [
                {
                    "method": request.method,
                    "path": request.path,
                    "headers": {
                        name: "[redacted]" if name == "authorization" else value
                        for name, value in request.headers.items()
                    },
                    "body": request.body,
                }
                for request in self.requests
            ]
        return {"environments": environments, "requests": recorded}

    # ----------------------------------------------------------------- server lifecycle

    def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Serve in a daemon thread; returns the base URL, e.g. http://127.0.0.1:PORT."""
        if self._server is not None:
            raise RuntimeError("The emulator is already running; stop() it first.")
        self._server = LocalServer(_handler_for(self), name="novu-cloud-emulator", host=host, port=port)
        self._server.start()
        return self.base_url

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("The emulator is not running; call start() first.")
        return self._server.origin

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None

    def __enter__(self) -> NovuCloudEmulator:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # ----------------------------------------------------------------- request pipeline

    def handle(self, *, method: str, path: str, headers: dict[str, str], raw_body: bytes) -> _Response:
        """Answer one request: record, injected fault, route (404), auth (401), idempotency, handler."""
        try:
            body = json.loads(raw_body) if raw_body.strip() else None
            body_error = None
        except ValueError as error:
            body, body_error = None, error
        with self._lock:
            self.requests.append(RecordedRequest(method, path, dict(headers), body, raw_body))
        fault = self._take_fault(method, path)
        if fault is not None:
            return self._fault_response(fault, path)
        route_path, _, query_string = path.partition("?")
        route = self._route(method, route_path)
        if route is None:
            return self._error_response(_http_exception(404, f"Cannot {method} {path}"), path)
        handler, path_params = route
        try:
            environment = self._authenticate(headers.get("authorization"))
            if body_error is not None:
                # [inferred] express.json() rejects the body before any handler runs.
                raise _http_exception(400, f"Invalid JSON body: {body_error}")
            call = _Call(
                environment=environment,
                path=path,
                query=dict(parse_qsl(query_string, keep_blank_values=True)),
                body=body,
                path_params=path_params,
            )
            idempotency_key = headers.get("idempotency-key")
            if idempotency_key and method in _IDEMPOTENT_METHODS:
                return self._idempotent(call, handler, idempotency_key=idempotency_key)
            return self._run(handler, call)
        except _ApiError as error:
            return self._error_response(error, path)

    def _run(self, handler: _Handler, call: _Call) -> _Response:
        try:
            return handler(self, call)
        except _ApiError as error:
            return self._error_response(error, call.path)

    def _route(self, method: str, route_path: str) -> tuple[_Handler, tuple[str, ...]] | None:
        normalized = route_path.rstrip("/") or "/"  # express matches one trailing slash too
        with self._lock:
            if any(method == m and normalized.startswith(prefix) for m, prefix in self._removed_endpoints):
                return None
        for route_method, pattern, handler in _ROUTES:
            match = pattern.fullmatch(normalized)
            if route_method == method and match is not None:
                return handler, match.groups()
        return None

    def _authenticate(self, authorization: str | None) -> _Environment:
        """§4.1; messages from apps/api/src/app/auth/e2e/user.auth.guard.e2e.ts."""
        if authorization is None or not authorization.strip():
            raise _http_exception(401, "Missing authorization header")
        scheme, _, credential = authorization.strip().partition(" ")
        if scheme not in ("ApiKey", "Bearer"):
            raise _http_exception(401, f'Invalid authentication scheme: "{scheme}"')
        if scheme == "Bearer" or not credential.strip():
            # The emulator issues no dashboard JWTs: every Bearer token is invalid, as is an empty key.
            raise _bare_http_exception(401)
        with self._lock:
            for env in self._environments:
                if hmac.compare_digest(env.api_key.encode(), credential.strip().encode()):
                    return env
        raise _http_exception(401, "API Key not found")

    def _idempotent(self, call: _Call, handler: _Handler, *, idempotency_key: str) -> _Response:
        """§4.9, after apps/api/src/app/shared/framework/idempotency.interceptor.ts (flag on)."""
        if len(idempotency_key) > IDEMPOTENCY_KEY_MAX_LENGTH:
            raise _http_exception(
                400,
                f'idempotencyKey "{idempotency_key}" has exceeded the maximum allowed length of '
                f"{IDEMPOTENCY_KEY_MAX_LENGTH} characters",
            )
        echo = ("Idempotency-Key", idempotency_key)
        # Novu hashes JSON.stringify(req.body); express gives {} for an empty body.
        body_hash = hashlib.sha256(_json_bytes(call.body if call.body is not None else {})).hexdigest()
        with self._lock:  # one emulator = one organisation, so the key alone is the cache key
            previous = self._idempotency.get(idempotency_key)
            if previous is None:
                self._idempotency[idempotency_key] = _IdempotencyEntry(body_hash, None)
        if previous is not None:
            return self._duplicate(previous, call, body_hash=body_hash, idempotency_key=idempotency_key)
        try:
            response = self._run(handler, call)
        except BaseException:
            with self._lock:  # an emulator bug must not leave the key "in progress" for the rest of the run
                del self._idempotency[idempotency_key]
            raise
        with self._lock:
            self._idempotency[idempotency_key] = _IdempotencyEntry(body_hash, response)
        return response.with_headers(echo)

    def _duplicate(
        self, previous: _IdempotencyEntry, call: _Call, *, body_hash: str, idempotency_key: str
    ) -> _Response:
        echo = ("Idempotency-Key", idempotency_key)
        link = ("Link", _IDEMPOTENCY_DOCS_LINK)
        if previous.response is None:
            raise _http_exception(
                409,
                f'Request with key "{idempotency_key}" is currently being processed. '
                "Please retry after 1 second",
                headers=(echo, ("Retry-After", "1"), link),
            )
        if previous.body_hash != body_hash:
            raise _http_exception(
                422,
                f'Request with key "{idempotency_key}" is being reused for a different body',
                headers=(echo, link),
            )
        cached = previous.response
        if cached.status >= 400 and isinstance(cached.body, dict):
            # A cached error is thrown again, so the exception filter stamps a new timestamp and path.
            cached = _Response(cached.status, {**cached.body, "timestamp": self._now(), "path": call.path})
        return _Response(cached.status, cached.body, (echo, ("Idempotency-Replay", "true")))

    def _take_fault(self, method: str, path: str) -> _Fault | None:
        with self._lock:
            for index, fault in enumerate(self._faults):
                if fault.method == method and path.startswith(fault.path_prefix):
                    return self._faults.pop(index)
        return None

    def _fault_response(self, fault: _Fault, path: str) -> _Response:
        if fault.body is not None:
            return _Response(fault.status, fault.body, fault.headers)
        if fault.status == HTTPStatus.INTERNAL_SERVER_ERROR:
            error = _internal_server_error()
        elif fault.status == HTTPStatus.TOO_MANY_REQUESTS:
            error = _ApiError(429, {"message": "API rate limit exceeded"})  # ThrottlerException (§4.9)
        else:
            error = _bare_http_exception(fault.status)
        return self._error_response(error, path).with_headers(*fault.headers)

    def _error_response(self, error: _ApiError, path: str) -> _Response:
        body: JsonObject = {"statusCode": error.status, "timestamp": self._now(), "path": path}
        body.update(error.payload)
        return _Response(error.status, body, error.headers)

    # ----------------------------------------------------------------- endpoints

    def _environments_me(self, call: _Call) -> _Response:
        """GET /v1/environments/me (§4.8): the environment document without apiKeys."""
        with self._lock:
            return _Response(200, {"data": self._environment_document(call.environment)})

    def _bridge_diff(self, call: _Call) -> _Response:
        """POST /v1/bridge/diff (§4.6): the stored rawData and bridge URL; the bridge is not called."""
        body = call.body if call.body is not None else {}
        if isinstance(body, dict) and "bridgeUrl" in body:
            _require_http_url(body.get("bridgeUrl"))
        with self._lock:
            env = call.environment
            if not env.bridge_url:
                raise _http_exception(400, "Bridge URL not found")
            current = [
                copy.deepcopy(doc.get("rawData"))
                for doc in self._live_workflows(env)
                if doc["type"] in _BRIDGE_TYPES
            ]
            return _Response(
                201, {"data": {"current": {"workflows": current, "bridgeUrl": env.bridge_url}, "new": body}}
            )

    def _bridge_validate(self, call: _Call) -> _Response:
        """POST /v1/bridge/validate (§4.7): unsigned health-check of the URL, answered as `isValid`."""
        bridge_url = _body_field(call.body, "bridgeUrl")
        _require_http_url(bridge_url)
        try:
            health = self._call_bridge(
                call.environment, bridge_url=bridge_url, action="health-check", signed=False
            )
        except _BridgeRequestFailed as failure:
            return _Response(201, {"data": {"isValid": False, "error": str(failure)}})
        is_valid = isinstance(health, dict) and health.get("status") == "ok"
        return _Response(201, {"data": {"isValid": is_valid}})

    def _bridge_sync(self, call: _Call) -> _Response:
        """POST /v1/bridge/sync (§4.2-§4.5): signed discover, Dashboard clash check, upsert, soft delete."""
        bridge_url = _body_field(call.body, "bridgeUrl")
        if bridge_url is None:
            # [inferred] the DTO lets it pass; SyncCommand's @IsDefined @IsString rejects it (§4.2).
            raise _ApiError(
                400,
                {
                    "message": "Validation failed",
                    "cause": {
                        "bridgeUrl": {
                            "messages": [
                                "bridgeUrl should not be null or undefined",
                                "bridgeUrl must be a string",
                            ]
                        }
                    },
                },
            )
        _require_http_url(bridge_url)
        env = call.environment
        try:
            discover = self._call_bridge(env, bridge_url=bridge_url, action="discover", signed=True)
        except _BridgeRequestFailed as failure:
            raise _http_exception(400, str(failure)) from None
        if _is_js_falsy(discover):
            # got answers '' for an empty 2xx body; `null` is falsy too (§4.4 step 2).
            raise _http_exception(400, "Invalid Bridge URL Response")
        workflows = discover.get("workflows") if isinstance(discover, dict) else None
        if not isinstance(workflows, list) or not all(isinstance(w, dict) for w in workflows):
            raise _internal_server_error()  # Novu calls workflows.map() on it and crashes with a TypeError
        # §4.4 step 2 says only a falsy discover body is "Invalid Bridge URL Response"; an empty
        # `workflows` list is a valid answer: 201 {"data": []}, and step 5 then deletes every Framework
        # workflow (§4.2; the API e2e test "should update bridge url" syncs `workflows: []` this way).
        with self._lock:
            live = self._live_workflows(env)
            existing = {_trigger_identifier(doc): doc for doc in live}
            for discovered in workflows:
                clash = existing.get(discovered.get("workflowId"))
                if clash is not None and clash.get("origin") and clash["origin"] != "external":
                    raise _http_exception(
                        400,
                        f"Workflow {discovered.get('workflowId')} was already created in Dashboard. "
                        "Please use another workflowId.",
                    )
            now = self._now()
            persisted = [
                self._upsert(env, discovered, existing.get(discovered.get("workflowId")), now=now)
                for discovered in workflows
            ]
            kept_ids = {doc["_id"] for doc in persisted}
            for doc in live:
                deletable = doc["type"] in _BRIDGE_TYPES and doc.get("origin") in _DELETABLE_ORIGINS
                if deletable and doc["_id"] not in kept_ids:
                    doc.update(deleted=True, deletedAt=now)
            env.bridge_url = bridge_url
            env.updated_at = now
            return _Response(201, {"data": copy.deepcopy(persisted)})

    def _v2_workflows(self, call: _Call) -> _Response:
        """GET /v2/workflows (§4.8): every non-deleted workflow, newest first, paged by limit/offset."""
        limit = min(_query_int(call.query, "limit", default=V2_DEFAULT_LIMIT, minimum=1), V2_MAX_LIMIT)
        offset = _query_int(call.query, "offset", default=0, minimum=0)
        with self._lock:
            live = self._live_workflows(call.environment)
            # orderBy createdAt, orderDirection DESC; insertion order breaks ties deterministically.
            ordered = [
                doc
                for _, doc in sorted(enumerate(live), key=lambda p: (p[1]["createdAt"], p[0]), reverse=True)
            ]
            page = [_v2_summary(doc) for doc in ordered[offset : offset + limit]]
            return _Response(200, {"data": {"workflows": page, "totalCount": len(live)}})

    def _agent_bridge(self, call: _Call) -> _Response:
        """PUT /v1/agents/{agentId}/bridge (§5.2). The response body beyond `data` is [inferred]."""
        (agent_id,) = call.path_params
        bridge_url = _body_field(call.body, "bridgeUrl")
        _require_http_url(bridge_url)
        with self._lock:
            call.environment.agent_bridge_urls[agent_id] = bridge_url
        return _Response(
            200,
            {
                "data": {
                    "agentId": agent_id,
                    "bridgeUrl": bridge_url,
                    "_environmentId": call.environment.id,
                    "updatedAt": self._now(),
                }
            },
        )

    # ----------------------------------------------------------------- Novu calling the bridge (§4.3)

    def _call_bridge(self, env: _Environment, *, bridge_url: str, action: str, signed: bool) -> Any:
        """GET the bridge as ExecuteBridgeRequest does: one retry after 2 s for retryable failures."""
        url = _url_with_action(bridge_url, action)
        headers = {
            "Bypass-Tunnel-Reminder": "true",
            "Content-Type": "application/json",
            "User-Agent": _GOT_USER_AGENT,
        }
        if signed:
            headers["novu-signature"] = _signature_header(
                secret_key=env.api_key, timestamp_ms=int(self._clock() * 1000)
            )
        # rejectUnauthorized only when the environment is named production (case-insensitive).
        verify_tls = env.name.lower() == "production"
        try:
            return self._bridge_attempt(url, bridge_url=bridge_url, headers=headers, verify=verify_tls)
        except _BridgeRequestFailed as failure:
            if not failure.retryable:
                raise
        self._sleep(BRIDGE_RETRY_DELAY_SECONDS)
        return self._bridge_attempt(url, bridge_url=bridge_url, headers=headers, verify=verify_tls)

    def _bridge_attempt(self, url: str, *, bridge_url: str, headers: dict[str, str], verify: bool) -> Any:
        """One GET: the parsed 2xx body, or _BridgeRequestFailed carrying Novu's message."""
        with self._lock:
            reachable = self._bridge_reachable
        if not reachable:
            raise _BridgeRequestFailed(_unreachable_message(bridge_url), retryable=True)
        with requests.Session() as session:
            session.max_redirects = _MAX_REDIRECTS
            try:
                response = session.get(url, headers=headers, timeout=self._bridge_timeout, verify=verify)
            except requests.Timeout:
                raise _BridgeRequestFailed(_timeout_message(bridge_url), retryable=True) from None
            except requests.TooManyRedirects:
                raise _BridgeRequestFailed(_max_redirects_message(bridge_url), retryable=False) from None
            except requests.exceptions.SSLError:
                raise _BridgeRequestFailed(_SELF_SIGNED_CERTIFICATE_MESSAGE, retryable=False) from None
            except requests.ConnectionError:  # refused, DNS failure, reset: ECONNREFUSED, ENOTFOUND, …
                raise _BridgeRequestFailed(_unreachable_message(bridge_url), retryable=True) from None
        if 200 <= response.status_code < 300:
            if not response.content:
                return ""  # got's .json() of an empty body
            try:
                return json.loads(response.content.decode("utf-8"))
            except ValueError:
                # got's ParseError is mapped to the redirects message: the real bug of §4.5.
                raise _BridgeRequestFailed(_max_redirects_message(bridge_url), retryable=False) from None
        raise _BridgeRequestFailed(
            _bridge_error_message(response, bridge_url=bridge_url),
            retryable=response.status_code in _RETRYABLE_BRIDGE_STATUSES,
        )

    # ----------------------------------------------------------------- helpers (call with the lock held)

    def _upsert(
        self, env: _Environment, discovered: JsonObject, existing: JsonObject | None, *, now: str
    ) -> JsonObject:
        """§4.4 step 4: create or update one Framework workflow, keeping ids of existing steps."""
        workflow_id = str(discovered.get("workflowId"))
        old_steps = {step["stepId"]: step for step in existing["steps"]} if existing else {}
        active = discovered.get("active")
        active = True if active is None else bool(active)
        document: JsonObject = {
            "_id": existing["_id"] if existing else self._new_object_id(),
            "name": discovered.get("name") or workflow_id,
            "description": discovered.get("description") or "",
            "active": active,
            "status": "ACTIVE" if active else "INACTIVE",
            "origin": "external",
            "type": "BRIDGE",
            "tags": discovered.get("tags") or [],
            "severity": discovered.get("severity") or "none",
            "triggers": [{"type": "event", "identifier": workflow_id, "variables": []}],
            "steps": [
                self._step_document(step, old_steps.get(step.get("stepId")))
                for step in discovered.get("steps") or []
            ],
            "payloadSchema": (discovered.get("payload") or {}).get("schema"),
            "controls": {"schema": (discovered.get("controls") or {}).get("schema")},
            "rawData": _raw_data(discovered),
            "_environmentId": env.id,
            "_organizationId": self._organization_id,
            "deleted": False,
            "createdAt": existing["createdAt"] if existing else now,
            "updatedAt": now,
        }
        if existing is not None:
            existing.clear()
            existing.update(document)
            return existing
        env.workflows.append(document)
        return document

    def _step_document(self, step: JsonObject, existing: JsonObject | None) -> JsonObject:
        template_id = existing["_templateId"] if existing else self._new_object_id()
        options = step.get("options")
        return {
            "_id": existing["_id"] if existing else self._new_object_id(),
            "_templateId": template_id,
            "stepId": step.get("stepId"),
            "uuid": step.get("stepId"),
            "name": step.get("stepId"),
            "shouldStopOnFail": bool(options.get("failOnErrorEnabled", False))
            if isinstance(options, dict)
            else False,
            "issues": {},
            "template": {
                "_id": template_id,
                "type": step.get("type"),
                "name": step.get("stepId"),
                "controls": step.get("controls"),
                "output": step.get("outputs"),
                "options": options,
                "code": step.get("code"),
            },
        }

    def _environment_document(self, env: _Environment) -> JsonObject:
        document: JsonObject = {
            "_id": env.id,
            "name": env.name,
            "_organizationId": self._organization_id,
            "identifier": env.identifier,
        }
        parent = self._parent_of(env)
        if parent is not None:
            document["_parentId"] = parent.id
        if env.bridge_url is not None:  # mongoose leaves the nested paths out until the first sync
            document["bridge"] = {"url": env.bridge_url}
            document["echo"] = {"url": env.bridge_url}
        document["widget"] = {"notificationCenterEncryption": False}
        document["createdAt"] = env.created_at
        document["updatedAt"] = env.updated_at
        return document

    def _parent_of(self, env: _Environment) -> _Environment | None:
        if env.name.lower() != "production":
            return None
        return next((other for other in self._environments if other.name.lower() == "development"), None)

    def _environment_named(self, name: str) -> _Environment:
        for env in self._environments:
            if env.name == name:
                return env
        raise KeyError(f"No environment named {name!r}; add it with add_environment() first.")

    @staticmethod
    def _live_workflows(env: _Environment) -> list[JsonObject]:
        return [doc for doc in env.workflows if not doc.get("deleted")]

    def _now(self) -> str:
        return _iso_timestamp(self._clock())

    _object_id_counter: ClassVar[Iterator[int]] = itertools.count(secrets.randbelow(0xFFFFFF))

    def _new_object_id(self) -> str:
        """A MongoDB ObjectId: 4-byte seconds, 5 random bytes, 3-byte counter, as 24 hex digits."""
        counter = next(NovuCloudEmulator._object_id_counter) & 0xFFFFFF
        return f"{int(self._clock()) & 0xFFFFFFFF:08x}{secrets.token_hex(5)}{counter:06x}"


def _empty_discover(workflow_id: str) -> JsonObject:
    empty_schema = {"type": "object", "properties": {}, "required": [], "additionalProperties": False}
    return {
        "workflowId": workflow_id,
        "severity": "none",
        "steps": [],
        "code": "",
        "payload": {"schema": empty_schema},
        "controls": {"schema": empty_schema},
        "tags": [],
        "preferences": {},
    }


def _v2_summary(doc: JsonObject) -> JsonObject:
    workflow_id = _trigger_identifier(doc)
    return {
        "_id": doc["_id"],
        "workflowId": workflow_id,
        "slug": f"{_slugify(doc['name']) or 'workflow'}_wf_{_base62(doc['_id'])}",
        "name": doc["name"],
        "tags": doc.get("tags", []),
        "status": doc.get("status", "ACTIVE"),
        "origin": doc.get("origin"),
        "updatedAt": doc["updatedAt"],
        "createdAt": doc["createdAt"],
        "stepTypeOverviews": [step["template"]["type"] for step in doc.get("steps", [])],
    }


def _bridge_error_message(response: requests.Response, *, bridge_url: str) -> str:
    """handleResponseError of ExecuteBridgeRequest for a non-2xx answer (§4.5)."""
    try:
        body = json.loads(response.content.decode("utf-8"))
    except ValueError:
        body = {}
    if not isinstance(body, dict):
        body = {}
    if body.get("code") in _FRAMEWORK_ERROR_CODES:
        message = body.get("message")
        return str(message) if message is not None else HTTPStatus.BAD_REQUEST.phrase
    if body.get("code") == _TUNNEL_ERROR_CODE:
        return _tunnel_not_found_message(bridge_url)
    if response.status_code == HTTPStatus.BAD_GATEWAY:
        return _endpoint_not_found_message(bridge_url)
    if response.status_code == HTTPStatus.NOT_FOUND:
        return _unreachable_message(bridge_url)
    if response.status_code == HTTPStatus.METHOD_NOT_ALLOWED:
        return _method_not_configured_message(bridge_url)
    return _unknown_bridge_error_message(bridge_url)


def _is_js_falsy(value: Any) -> bool:
    """JavaScript truthiness: `{}` and `[]` are truthy, unlike in Python."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, int | float):
        return value == 0 or value != value  # NaN is falsy
    return value is None or value == ""


def _body_field(body: Any, name: str) -> Any:
    return body.get(name) if isinstance(body, dict) else None


def _require_http_url(value: Any) -> None:
    if not _is_http_url(value):
        raise _validation_error("bridgeUrl", ["bridgeUrl must be a URL address"], value)


def _query_int(query: dict[str, str], name: str, *, default: int, minimum: int) -> int:
    raw = query.get(name)
    if raw is None or raw == "":
        return default
    if not re.fullmatch(r"\d+", raw) or int(raw) < minimum:
        raise _validation_error(
            name, [f"{name} must not be less than {minimum}", f"{name} must be an integer number"], raw
        )
    return int(raw)


def _rate_limit_headers() -> dict[str, str]:
    return {
        "RateLimit-Limit": "30",
        "RateLimit-Remaining": "0",
        "RateLimit-Reset": "1",
        "RateLimit-Policy": (
            '30;w=1;burst=33;comment="token bucket";category="global";cost="single";serviceLevel="free"'
        ),
        "Retry-After": "1",
    }


_ROUTES: tuple[tuple[str, re.Pattern[str], _Handler], ...] = (
    ("GET", re.compile(r"/v1/environments/me"), NovuCloudEmulator._environments_me),
    ("POST", re.compile(r"/v1/bridge/diff"), NovuCloudEmulator._bridge_diff),
    ("POST", re.compile(r"/v1/bridge/validate"), NovuCloudEmulator._bridge_validate),
    ("POST", re.compile(r"/v1/bridge/sync"), NovuCloudEmulator._bridge_sync),
    ("GET", re.compile(r"/v2/workflows"), NovuCloudEmulator._v2_workflows),
    ("PUT", re.compile(r"/v1/agents/([^/]+)/bridge"), NovuCloudEmulator._agent_bridge),
)


def _handler_for(emulator: NovuCloudEmulator) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _dispatch(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw_body = self.rfile.read(length) if length else b""
            headers = {name.lower(): value for name, value in self.headers.items()}
            response = emulator.handle(
                method=self.command, path=self.path, headers=headers, raw_body=raw_body
            )
            payload = _json_bytes(response.body)
            self.send_response(response.status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(payload)))
            for name, value in response.headers:
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = _dispatch

        def log_message(self, format: str, *args: Any) -> None:
            """Silent: tests and the demo read `requests` instead of an access log."""

    return Handler


def _parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tests.stand_ins.novu_cloud",
        description="Run the Novu Cloud API emulator until SIGTERM or SIGINT; prints its base URL.",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="port to listen on; default: a free one")
    parser.add_argument(
        "--environment",
        action="append",
        default=[],
        metavar="NAME=API_KEY",
        help="an environment and its API key (= secret key); repeat for each environment",
    )
    parser.add_argument("--state-file", type=Path, help="where to write the state as JSON when stopped")
    return parser.parse_args(argv)


@contextmanager
def _stop_signals() -> Iterator[threading.Event]:
    stop_requested = threading.Event()

    def request_stop(_signal_number: int, _frame: FrameType | None) -> None:
        stop_requested.set()

    previous = {number: signal.signal(number, request_stop) for number in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield stop_requested
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


def main(argv: Sequence[str]) -> int:
    args = _parse_args(argv)
    emulator = NovuCloudEmulator()
    for option in args.environment:
        name, separator, api_key = option.partition("=")
        if not separator or not name or not api_key:
            print(
                f"--environment takes NAME=API_KEY; got one without '=' or with an empty part: {name!r}",
                file=sys.stderr,
            )
            return 2
        emulator.add_environment(name, api_key=api_key)
    with _stop_signals() as stop_requested:
        print(emulator.start(args.host, args.port), flush=True)
        try:
            while not stop_requested.wait(timeout=0.5):
                pass
        finally:
            emulator.stop()
            if args.state_file is not None:
                args.state_file.write_text(
                    json.dumps(emulator.snapshot(), indent=2, ensure_ascii=False) + "\n"
                )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
