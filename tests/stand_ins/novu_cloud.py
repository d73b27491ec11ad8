"""A local emulator of the Novu Cloud API, for tests and the demo.

It reproduces Novu's own code, not our notes about it: every behaviour carries a comment naming the
`novuhq/novu` source file (and commit, where newer than 74a2e9a6a295) it follows, and docs/novu-protocol.md
(§ numbers below) collects them. It shares no code with `novu_action` and signs its bridge requests itself.
Standard library only, plus `requests` for the calls it makes to a bridge, as Novu Cloud does during sync
and validate.

    python -m tests.stand_ins.novu_cloud --port N --environment Development=KEY \
        --environment Production=KEY [--state-file PATH]

runs it in the foreground, prints its base URL and, on SIGTERM or SIGINT, writes its state as JSON.

One emulator is one organisation; each environment is selected by its API key (= its secret key, §4).
Switches for organisation feature flags and deployments (all off or as on Novu Cloud by default):
`idempotency` (§11), `conversational_agents` (§12), `ssrf_policy` (§13), `v2_workflows_external=False` for
an old self-hosted API (§9), `shuffle_ties`/`seed` for the unstable order of equal `createdAt` (§9).
Not emulated: rate limiting (only through `fail_next`) and endpoints the action does not call (404).
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import hmac
import ipaddress
import itertools
import json
import random
import re
import secrets
import signal
import socket
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
from typing import Any, ClassVar, Literal
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import requests

from tests.stand_ins.local_server import LocalServer

JsonObject = dict[str, Any]
SyncStage = Literal["before", "halfway", "after"]

BRIDGE_TIMEOUT_SECONDS = 5.0  # §6.2 DEFAULT_TIMEOUT
BRIDGE_RETRY_DELAY_SECONDS = 2.0  # §6.2: sync and validate pass retriesLimit 1; got waits 2**1 s
_RETRYABLE_BRIDGE_STATUSES = frozenset({408, 429, 500, 503, 504, 521, 522, 524})  # §6.2
_MAX_REDIRECTS = 10  # got's default
_GOT_USER_AGENT = "got (https://github.com/sindresorhus/got)"
# @novu/framework 2.13.2 ErrorCodeEnum: `isFrameworkError` is "the body's code is one of these" (§2.4).
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

# §11
IDEMPOTENCY_KEY_MAX_LENGTH = 255
_IDEMPOTENCY_DOCS_LINK = "https://docs.novu.co/additional-resources/idempotency"
_IDEMPOTENT_METHODS = frozenset({"POST", "PATCH"})

# §9
V2_DEFAULT_LIMIT = 50
V2_MAX_LIMIT = 100

_INTERNAL_SERVER_ERROR_MESSAGE = "Internal server error, contact support and provide them with the errorId"
_BASE62_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
_BRIDGE_TYPES = frozenset({"BRIDGE", "ECHO"})
_EXTERNAL = "external"
_NOVU_CLOUD = "novu-cloud"
_NOVU_CLOUD_V1 = "novu-cloud-v1"
# Dashboard step types and the control values the Dashboard stores for a new step (§10).
_DASHBOARD_STEP_CONTROLS: dict[str, JsonObject] = {
    "email": {"subject": "", "body": ""},
    "in_app": {"subject": "", "body": ""},
    "sms": {"body": ""},
    "push": {"subject": "", "body": ""},
    "chat": {"body": ""},
    "delay": {"type": "regular", "amount": 30, "unit": "seconds"},
    "digest": {"amount": 30, "unit": "seconds"},
}
# SSRF policy (§13): libs/application-generic/src/utils/ssrf-url-validation.ts @176d33fab163
_SSRF_BLOCKED_HOSTNAMES = frozenset({"localhost", "metadata.google.internal"})
_SSRF_PRIVATE_NETWORKS = tuple(
    ipaddress.ip_network(network)
    for network in (
        "0.0.0.0/32",
        "10.0.0.0/8",
        "127.0.0.0/8",
        "169.254.0.0/16",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "100.64.0.0/10",
        "::/128",
        "::1/128",
        "fc00::/7",
        "fe80::/10",
    )
)


# Bridge error messages, §6.4 (libs/application-generic/src/utils/bridge.ts). `url` is the bridge URL as
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
    """An answer; `status` 0 means "none": the connection is closed without one (a lost answer)."""

    status: int
    body: Any
    headers: tuple[tuple[str, str], ...] = ()

    def with_headers(self, *headers: tuple[str, str]) -> _Response:
        return _Response(self.status, self.body, self.headers + headers)


_NO_ANSWER = _Response(0, None)


class _ApiError(Exception):
    """An error answer, rendered by Novu's exception filter (apps/api/src/exception-filter.ts, §4).

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
    """Any non-HTTP exception: apps/api/src/exception-filter.ts answers 500 with an errorId (§4)."""
    return _ApiError(500, {"message": _INTERNAL_SERVER_ERROR_MESSAGE, "errorId": str(uuid.uuid4())})


def _validation_error(field_name: str, messages: list[str], value: Any) -> _ApiError:
    """The newer API's DTO validation failure, 422 (§4)."""
    detail: JsonObject = {"messages": messages}
    if value is not None:
        detail["value"] = value
    return _ApiError(422, {"message": "Validation Error", "errors": {field_name: detail}})


class _BridgeRequestFailed(Exception):
    """Novu's BridgeRequestError; its message is what sync flattens into a 400 (§6.4)."""

    def __init__(self, message: str, *, retryable: bool) -> None:
        super().__init__(message)
        self.retryable = retryable


class _SsrfBlocked(Exception):
    """SsrfBlockedError of libs/application-generic/src/utils/ssrf-url-validation.ts @176d33fab163 (§13)."""


@dataclass
class _Environment:
    """Mutable state of one environment; only touched while holding the emulator's lock."""

    id: str
    name: str
    api_key: str
    identifier: str
    created_at: str
    updated_at: str
    bridge_signing_secret: str | None = None
    bridge_url: str | None = None
    workflows: list[JsonObject] = field(default_factory=list)
    agents: dict[str, JsonObject] = field(default_factory=dict)


@dataclass(frozen=True)
class _Fault:
    method: str
    path_prefix: str
    status: int
    body: JsonObject | None
    headers: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class _SyncFault:
    """What the next sync does wrong: fail at `stage` with `status`, or answer `delay` s late (or never)."""

    stage: SyncStage | None = None
    status: int = 500
    delay: float = 0.0
    answer: bool = True

    @property
    def from_gateway(self) -> bool:
        """A 5xx other than 500 comes from a gateway in front of the API, not from Novu's handler."""
        return self.stage is not None and self.status != HTTPStatus.INTERNAL_SERVER_ERROR


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
    sync_fault: _SyncFault | None = None


_Handler = Callable[["NovuCloudEmulator", _Call], _Response]


# Upserts run in parallel and each stamps its own `new Date()`: a few land on the same millisecond, so equal
# createdAt values come in small groups, not as one group of the whole sync.
_UPSERTS_PER_MILLISECOND = 3


def _upsert_time(start: float, position: int) -> str:
    return _iso_timestamp(start + (position // _UPSERTS_PER_MILLISECOND) / 1000)


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


def _is_url_any_protocol(value: Any) -> bool:
    """class-validator `IsUrl({require_tld: false})`: protocol optional, http, https or ftp (§12)."""
    if not isinstance(value, str) or not value or any(character.isspace() for character in value):
        return False
    candidate = value if "://" in value else f"http://{value}"
    parts = urlsplit(candidate)
    return parts.scheme in ("http", "https", "ftp") and bool(parts.hostname)


def _url_with_action(bridge_url: str, action: str) -> str:
    """`new URL(bridgeUrl)` then `searchParams.set('action', …)`: other parameters survive (§6.2)."""
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
    """§3: `t=<ms>,v1=<hex HMAC-SHA256 of "<t>.{}">`; a GET signs `JSON.stringify({})`."""
    digest = hmac.new(secret_key.encode(), f"{timestamp_ms}.{{}}".encode(), hashlib.sha256).hexdigest()
    return f"t={timestamp_ms},v1={digest}"


def _raw_data(discovered: JsonObject) -> JsonObject:
    """§6.3: the discover object with `unknownSchema` removed from the workflow's `payload` and `controls`."""
    raw = dict(discovered)
    for key in ("payload", "controls"):
        if isinstance(raw.get(key), dict):
            raw[key] = {name: value for name, value in raw[key].items() if name != "unknownSchema"}
    return raw


def _slugify(name: str) -> str:
    """Close to `slugify` of @novu/shared (decamelize, lower-case, non-alphanumerics to '-'), for slugs."""
    decamelized = re.sub(r"([a-z\d])([A-Z])", r"\1 \2", name)
    return re.sub(r"[^a-z0-9]+", "-", decamelized.lower()).strip("-")


def _base62(hex_id: str) -> str:
    number = int(hex_id, 16)
    digits = ""
    while number:
        number, remainder = divmod(number, 62)
        digits = _BASE62_ALPHABET[remainder] + digits
    return digits or "0"


def _build_slug(name: str, prefix: str, internal_id: str) -> str:
    """`buildSlug` of libs/application-generic/src/utils/build-slug.ts @2ad1bc712e6f: name_prefix_base62."""
    return f"{_slugify(name)}_{prefix}{_base62(internal_id)}"


def _trigger_identifier(workflow: JsonObject) -> str:
    return str(workflow["triggers"][0]["identifier"])


@dataclass(frozen=True)
class _Encoded:
    """A body serialised in advance (under the emulator's lock), sent as it is."""

    payload: bytes


def _json_bytes(value: Any) -> bytes:
    if isinstance(value, _Encoded):
        return value.payload
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


def _ssrf_check(url: str) -> None:
    """`assertSafeOutboundUrl` then `resolvePublicAddresses` (§13); raises _SsrfBlocked with Novu's text.

    libs/application-generic/src/utils/ssrf-url-validation.ts @176d33fab163.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise _SsrfBlocked(f'URL scheme "{parts.scheme}:" is not allowed. Only http and https are permitted.')
    if parts.username or parts.password:
        raise _SsrfBlocked("URLs with embedded credentials are not allowed.")
    hostname = (parts.hostname or "").lower()
    if hostname in _SSRF_BLOCKED_HOSTNAMES:
        raise _SsrfBlocked(f'Requests to "{hostname}" are not allowed.')
    try:
        addresses = [ipaddress.ip_address(hostname)]
    except ValueError:
        try:
            infos = socket.getaddrinfo(hostname, None)
        except OSError:
            raise _SsrfBlocked(f'Unable to resolve hostname "{hostname}".') from None
        addresses = [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]
    for address in addresses:
        embedded = address.ipv4_mapped if isinstance(address, ipaddress.IPv6Address) else None
        checked = embedded or address
        if any(
            checked in network for network in _SSRF_PRIVATE_NETWORKS if checked.version == network.version
        ):
            raise _SsrfBlocked(
                f"Requests to private or reserved IP addresses are not allowed (resolved: {address})."
            )


class NovuCloudEmulator:
    """An in-memory Novu Cloud (one organisation) served over HTTP on 127.0.0.1.

    `bridge_timeout`, `clock` and `sleep` are injectable so tests can make bridge timeouts and Novu's retry
    back-off fast and signatures reproducible; the defaults are Novu's (§6.2).

    Organisation feature flags and deployment differences, as Novu Cloud has them by default:

    - `idempotency`: the IS_API_IDEMPOTENCY_ENABLED flag (§11). Off: an `Idempotency-Key` is ignored.
    - `conversational_agents`: IS_CONVERSATIONAL_AGENTS_ENABLED (§12). Off: `/v1/agents/*` answers 404.
    - `ssrf_policy`: refuse bridge URLs on localhost, private addresses or with credentials (§13). Off by
      default only because tests run their bridges on 127.0.0.1.
    - `v2_workflows_external`: False emulates a late-2024 self-hosted API whose `GET /v2/workflows` is not
      open to API keys (401 `API endpoint not available`, §9).
    - `shuffle_ties`: list workflows with equal `createdAt` in a new order on every request, as MongoDB may
      (§9); `seed` makes that order, and the order of a sync's parallel upserts (§6.3), reproducible.
    """

    requests: list[RecordedRequest]

    def __init__(
        self,
        *,
        bridge_timeout: float = BRIDGE_TIMEOUT_SECONDS,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        idempotency: bool = False,
        conversational_agents: bool = False,
        ssrf_policy: bool = False,
        v2_workflows_external: bool = True,
        shuffle_ties: bool = True,
        seed: int | None = 0,
    ) -> None:
        self._bridge_timeout = bridge_timeout
        self._clock = clock
        self._sleep = sleep
        self._idempotency_enabled = idempotency
        self._conversational_agents = conversational_agents
        self._ssrf_policy = ssrf_policy
        self._v2_workflows_external = v2_workflows_external
        self._shuffle_ties = shuffle_ties
        self._random = random.Random(seed)  # noqa: S311 - reproducible orders, not secrets
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._organization_id = self._new_object_id()
        self._user_id = self._new_object_id()
        self._environments: list[_Environment] = []
        self._idempotency: dict[str, _IdempotencyEntry] = {}
        self._faults: list[_Fault] = []
        self._sync_faults: list[_SyncFault] = []
        self._removed_endpoints: set[tuple[str, str]] = set()
        self._bridge_reachable = True
        self._server: LocalServer | None = None
        self.requests = []

    # ----------------------------------------------------------------- set-up and inspection (Python API)

    def add_environment(self, name: str, *, api_key: str, bridge_signing_secret: str | None = None) -> str:
        """Add an environment whose API key (= secret key) is `api_key`; returns its `_id`.

        `bridge_signing_secret`: the environment's active bridge signing secret (§3.3), used instead of the
        API key to sign the emulator's calls to bridges; None, as before the Dashboard created one.
        """
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
                bridge_signing_secret=bridge_signing_secret,
            )
            self._environments.append(environment)
            return environment.id

    def set_bridge_signing_secret(self, environment: str, secret: str | None) -> None:
        """Rotate (or, with None, remove) the environment's bridge signing secret (§3.3)."""
        with self._lock:
            self._environment_named(environment).bridge_signing_secret = secret

    def seed_workflow(
        self,
        environment: str,
        *,
        workflow_id: str,
        origin: str | None = _EXTERNAL,
        raw_data: JsonObject | None = None,
        name: str | None = None,
        synced_from: str = "https://bridge.example.com/api/novu",
        created_at: str | None = None,
    ) -> None:
        """Store a workflow as if it already existed.

        origin "external" (or None, as synced before novuhq/novu#6663) makes a Framework workflow (type
        BRIDGE) whose rawData defaults to a discover object with no steps. Any other origin, e.g.
        "novu-cloud", makes an old (v1) Dashboard workflow: type REGULAR with that stored origin, as the
        2024 v1 controller created them (§10); see `seed_dashboard_workflow` for the new Dashboard's
        workflows and `seed_v1_workflow` for v1 workflows without a stored origin. A Framework workflow only
        exists after a sync, and a sync stores its bridge URL: an environment never synced gets
        ``synced_from``.
        """
        is_framework = origin in (_EXTERNAL, None)
        document = self._workflow_document(
            workflow_id=workflow_id,
            name=name or workflow_id,
            stored_type="BRIDGE" if is_framework else "REGULAR",
            stored_origin=origin,
            steps=[],
            created_at=created_at,
        )
        if is_framework:
            document["rawData"] = (
                copy.deepcopy(raw_data) if raw_data is not None else _empty_discover(workflow_id)
            )
        elif raw_data is not None:
            document["rawData"] = copy.deepcopy(raw_data)
        with self._lock:
            env = self._environment_named(environment)
            self._insert(env, document)
            if is_framework:
                env.bridge_url = env.bridge_url or synced_from

    def seed_dashboard_workflow(
        self,
        environment: str,
        *,
        name: str,
        workflow_id: str | None = None,
        step_types: Sequence[str] = ("in_app",),
        edited: bool = False,
        tags: Sequence[str] = (),
        created_at: str | None = None,
    ) -> str:
        """Store a workflow made in the new Dashboard; returns its workflowId (default: slugified name).

        upsert-workflow.usecase.ts (apps/api/src/app/workflows-v2/usecases/upsert-workflow/ @4fae50616)
        creates it with type BRIDGE, origin novu-cloud and no rawData; its first update stores the
        Dashboard's request body as rawData (`edited=True`): name, workflowId, Dashboard-shaped steps
        (`_id`, `name`, `type`, `controlValues`; no stepId), preferences (§10).
        """
        workflow_id = workflow_id or _slugify(name)  # triggerIdentifier: slugify(workflowDto.name)
        steps = [
            self._dashboard_step(f"{step_type.replace('_', '-')}-step", step_type) for step_type in step_types
        ]
        document = self._workflow_document(
            workflow_id=workflow_id,
            name=name,
            stored_type="BRIDGE",
            stored_origin=_NOVU_CLOUD,
            steps=steps,
            created_at=created_at,
            tags=list(tags),
        )
        if edited:
            document["rawData"] = _dashboard_update_body(document)
        with self._lock:
            self._insert(self._environment_named(environment), document)
        return workflow_id

    def seed_v1_workflow(
        self,
        environment: str,
        *,
        workflow_id: str,
        name: str | None = None,
        stored_origin: str | None = None,
        stored_type: str | None = "REGULAR",
        step_types: Sequence[str] = ("email",),
        created_at: str | None = None,
    ) -> None:
        """Store an old v1 workflow (classic Dashboard or `POST /v1/workflows`), §10.

        Type REGULAR; `stored_origin` None leaves origin unset, as on workflows created before origins
        existed (with `stored_type=None` the type is unset too). v2 lists such a workflow as
        `novu-cloud-v1`; a sync takes over one without a stored origin (§6.3).
        """
        steps = [
            {
                "_id": (template_id := self._new_object_id()),
                "_templateId": template_id,
                "name": f"{step_type} step",
                "template": {"_id": template_id, "type": step_type, "name": f"{step_type} step"},
            }
            for step_type in step_types
        ]
        document = self._workflow_document(
            workflow_id=workflow_id,
            name=name or workflow_id,
            stored_type=stored_type,
            stored_origin=stored_origin,
            steps=steps,
            created_at=created_at,
        )
        with self._lock:
            self._insert(self._environment_named(environment), document)

    def seed_synced(self, environment: str, workflows: list[JsonObject], *, bridge_url: str) -> None:
        """Store discover workflow objects exactly as a sync of them would (rawData, origin, bridge URL)."""
        with self._lock:
            env = self._environment_named(environment)
            existing = {_trigger_identifier(doc): doc for doc in self._live_workflows(env)}
            start = self._clock()
            for position, discovered in enumerate(workflows):
                now = _upsert_time(start, position)
                self._upsert(env, discovered, existing.get(str(discovered.get("workflowId"))), now=now)
            env.bridge_url = bridge_url

    def workflows(self, environment: str) -> list[JsonObject]:
        """The environment's non-deleted workflow documents in insertion order.

        A sync upserts in parallel (§6.3), so the order among the workflows one sync created is not defined.
        """
        with self._lock:
            return copy.deepcopy(self._live_workflows(self._environment_named(environment)))

    def workflow_ids(self, environment: str) -> list[str]:
        return [_trigger_identifier(doc) for doc in self.workflows(environment)]

    def bridge_url(self, environment: str) -> str | None:
        """The bridge URL stored by the last successful sync, None if never synced."""
        with self._lock:
            return self._environment_named(environment).bridge_url

    def add_agent(self, environment: str, identifier: str, *, name: str | None = None) -> str:
        """Create an agent as the Dashboard does (§12); returns its `_id`. Agents are not created by sync."""
        with self._lock:
            env = self._environment_named(environment)
            if identifier in env.agents:
                raise ValueError(f"Agent {identifier!r} already exists in {environment}.")
            now = self._now()
            agent_id = self._new_object_id()
            env.agents[identifier] = {
                "_id": agent_id,
                "name": name or identifier,
                "identifier": identifier,
                "active": True,
                "_environmentId": env.id,
                "_organizationId": self._organization_id,
                "createdAt": now,
                "updatedAt": now,
            }
            return agent_id

    def set_conversational_agents(self, enabled: bool) -> None:
        """Turn the organisation's IS_CONVERSATIONAL_AGENTS_ENABLED flag on or off (§12)."""
        with self._lock:
            self._conversational_agents = enabled

    def set_idempotency(self, enabled: bool) -> None:
        """Turn the organisation's IS_API_IDEMPOTENCY_ENABLED flag on or off (§11)."""
        with self._lock:
            self._idempotency_enabled = enabled

    def set_ssrf_policy(self, enabled: bool) -> None:
        """Refuse (True) or allow (False) bridge URLs on localhost and private addresses (§13)."""
        with self._lock:
            self._ssrf_policy = enabled

    def agent_bridge_urls(self, environment: str) -> dict[str, str]:
        """Agent identifier → bridge URL, as set with `PUT /v1/agents/{identifier}/bridge`."""
        with self._lock:
            agents = self._environment_named(environment).agents
            return {key: str(agent["bridgeUrl"]) for key, agent in agents.items() if agent.get("bridgeUrl")}

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
        a Nest-shaped error body is sent; a 429 also gets Retry-After and RateLimit-* headers (§4), which
        `headers` can override.
        """
        default_headers = _rate_limit_headers() if status == HTTPStatus.TOO_MANY_REQUESTS else {}
        merged = tuple({**default_headers, **(headers or {})}.items())
        fault = _Fault(method.upper(), path_prefix, status, copy.deepcopy(body), merged)
        with self._lock:
            self._faults.extend([fault] * times)

    def fail_next_sync(self, stage: SyncStage, *, status: int = 500) -> None:
        """Make the next `POST /v1/bridge/sync` fail with a 5xx at `stage` (§6.5).

        Novu runs the whole sync inside the request and nothing is transactional:

        - "before": nothing is applied. 500 is Novu's own failure (the handler threw); another 5xx is a
          gateway that never forwarded the request.
        - "halfway": some upserts are stored (in the parallel, undefined order), then 500; nothing is
          deleted and the bridge URL is not updated.
        - "after": everything is applied, then the client gets the 5xx: 500 from Novu's handler, another
          status from a gateway in front of a Novu that answered 201 (with idempotency on, that 201 is
          what a retry with the same key replays).
        """
        if not 500 <= status < 600:
            raise ValueError("fail_next_sync takes a 5xx status.")
        if stage == "halfway" and status != HTTPStatus.INTERNAL_SERVER_ERROR:
            raise ValueError("A sync stops halfway only through Novu's own 500.")
        with self._lock:
            self._sync_faults.append(_SyncFault(stage=stage, status=status))

    def delay_next_sync(self, seconds: float, *, answer: bool = True) -> None:
        """Make the next `POST /v1/bridge/sync` apply everything, then answer `seconds` late (§6.5).

        With `answer=False` it never answers: the connection is held until the client gives up (or the
        emulator stops) and then closed without a response. The sync counts as in flight for idempotency
        (§11) until then.
        """
        with self._lock:
            self._sync_faults.append(_SyncFault(delay=seconds, answer=answer))

    def remove_endpoint(self, method: str, path_prefix: str) -> None:
        """Make matching routes answer 404 as if the API lacked them (e.g. an API without /v1/bridge/diff)."""
        with self._lock:
            self._removed_endpoints.add((method.upper(), path_prefix))

    def set_bridge_reachable(self, reachable: bool) -> None:
        """False simulates a bridge Novu Cloud cannot reach (firewall, private network, tunnel down).

        Every call the emulator makes to a bridge then fails as a refused connection: validate reports
        `isValid: false` with the unreachable message and sync answers 400 with it (§6.4, §8).
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
                document["agents"] = copy.deepcopy(list(env.agents.values()))
                document["agentBridgeUrls"] = {
                    key: agent["bridgeUrl"] for key, agent in env.agents.items() if agent.get("bridgeUrl")
                }
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
        self._stopping.clear()
        self._server = LocalServer(_handler_for(self), name="novu-cloud-emulator", host=host, port=port)
        self._server.start()
        return self.base_url

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("The emulator is not running; call start() first.")
        return self._server.origin

    def stop(self) -> None:
        self._stopping.set()  # releases syncs held by delay_next_sync
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
        """Answer one request: record, gateway fault, route (404), auth guard (401), feature guard,
        idempotency interceptor, handler; then what a gateway does to the answer."""
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
        sync_fault = self._take_sync_fault() if handler is NovuCloudEmulator._bridge_sync else None
        if sync_fault is not None and sync_fault.stage == "before" and sync_fault.from_gateway:
            return self._gateway_error(sync_fault.status, path)
        try:
            environment = self._authenticate(
                headers.get("authorization"), external_api=self._is_external_api(handler)
            )
            if handler is NovuCloudEmulator._agent_bridge:
                self._require_conversational_agents()
            if body_error is not None:
                # [inferred] express.json() rejects the body before any handler runs.
                raise _http_exception(400, f"Invalid JSON body: {body_error}")
            call = _Call(
                environment=environment,
                path=path,
                query=dict(parse_qsl(query_string, keep_blank_values=True)),
                body=body,
                path_params=path_params,
                sync_fault=sync_fault,
            )
            response = self._intercept(call, handler, method=method, key=headers.get("idempotency-key"))
        except _ApiError as error:
            response = self._error_response(error, path)
        if sync_fault is not None and sync_fault.stage == "after" and sync_fault.from_gateway:
            return self._gateway_error(sync_fault.status, path)
        if sync_fault is not None and not sync_fault.answer:
            return _NO_ANSWER
        return response

    def _intercept(self, call: _Call, handler: _Handler, *, method: str, key: str | None) -> _Response:
        """The idempotency interceptor runs only where the organisation's flag is on (§11).

        apps/api/src/app/shared/framework/idempotency.interceptor.ts @1b0657b359a9: `isEnabled` reads
        IS_API_IDEMPOTENCY_ENABLED (default false; apps/api/src/.env.production ships it false). Off, the
        header is ignored entirely: no echo, no length check, a resent request runs again.
        """
        with self._lock:
            enabled = self._idempotency_enabled
        if enabled and key and method in _IDEMPOTENT_METHODS:
            return self._idempotent(call, handler, idempotency_key=key)
        return self._run(handler, call)

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

    def _is_external_api(self, handler: _Handler) -> bool:
        """Routes marked @ExternalApiAccessible; all the emulator serves are, except `GET /v2/workflows` on
        late-2024 self-hosted builds (apps/api/src/app/workflows-v2/workflow.controller.ts @74a2e9a6a295)."""
        if handler is NovuCloudEmulator._v2_workflows:
            return self._v2_workflows_external
        return True

    def _authenticate(self, authorization: str | None, *, external_api: bool) -> _Environment:
        """§4; libs/application-generic/src/services/auth/community.user.auth.guard.ts @74a2e9a6a295, messages
        from apps/api/src/app/auth/e2e/user.auth.guard.e2e.ts."""
        if authorization is None or not authorization.strip():
            raise _http_exception(401, "Missing authorization header")
        scheme, _, credential = authorization.strip().partition(" ")
        if scheme not in ("ApiKey", "Bearer"):
            raise _http_exception(401, f'Invalid authentication scheme: "{scheme}"')
        if scheme == "ApiKey" and not external_api:
            # The guard refuses API keys on routes without @ExternalApiAccessible before reading the key.
            raise _http_exception(401, "API endpoint not available")
        if scheme == "Bearer" or not credential.strip():
            # The emulator issues no dashboard JWTs: every Bearer token is invalid, as is an empty key.
            raise _bare_http_exception(401)
        with self._lock:
            for env in self._environments:
                if hmac.compare_digest(env.api_key.encode(), credential.strip().encode()):
                    return env
        raise _http_exception(401, "API Key not found")

    def _require_conversational_agents(self) -> None:
        """AgentConversationEnabledGuard (apps/api/src/app/agents/guards/agent-conversation-enabled.guard.ts
        @66045a283db4): `throw new NotFoundException()` unless IS_CONVERSATIONAL_AGENTS_ENABLED (default
        false) is on for the organisation (§12)."""
        with self._lock:
            enabled = self._conversational_agents
        if not enabled:
            raise _bare_http_exception(404)

    def _idempotent(self, call: _Call, handler: _Handler, *, idempotency_key: str) -> _Response:
        """§11, after apps/api/src/app/shared/framework/idempotency.interceptor.ts (flag on)."""
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
            # Success and error answers of the handler are both cached for 24 h (catchError → setCache).
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
        replay = (echo, ("Idempotency-Replay", "true"))
        if cached.status >= HTTPStatus.INTERNAL_SERVER_ERROR:
            # apps/api/src/app/shared/framework/idempotency-http-error.ts @280731c993535: a cached 5xx (or any
            # non-HTTP error) is restored as `new InternalServerErrorException()`, whose response object
            # becomes the filter's `message`.
            error = _ApiError(
                500,
                {
                    "message": {"message": "Internal Server Error", "statusCode": 500},
                    "errorId": str(uuid.uuid4()),
                },
            )
            return self._error_response(error, call.path).with_headers(*replay)
        if cached.status >= HTTPStatus.BAD_REQUEST and isinstance(cached.body, dict):
            # A cached 4xx is thrown again as `new HttpException(response, status)`
            # (idempotency-http-error.ts @280731c993535), so the filter stamps a new timestamp and path.
            cached = _Response(cached.status, {**cached.body, "timestamp": self._now(), "path": call.path})
        return _Response(cached.status, cached.body, replay)

    def _take_fault(self, method: str, path: str) -> _Fault | None:
        with self._lock:
            for index, fault in enumerate(self._faults):
                if fault.method == method and path.startswith(fault.path_prefix):
                    return self._faults.pop(index)
        return None

    def _take_sync_fault(self) -> _SyncFault | None:
        with self._lock:
            return self._sync_faults.pop(0) if self._sync_faults else None

    def _fault_response(self, fault: _Fault, path: str) -> _Response:
        if fault.body is not None:
            return _Response(fault.status, fault.body, fault.headers)
        if fault.status == HTTPStatus.INTERNAL_SERVER_ERROR:
            error = _internal_server_error()
        elif fault.status == HTTPStatus.TOO_MANY_REQUESTS:
            error = _ApiError(429, {"message": "API rate limit exceeded"})  # ThrottlerException (§4)
        else:
            error = _bare_http_exception(fault.status)
        return self._error_response(error, path).with_headers(*fault.headers)

    def _gateway_error(self, status: int, path: str) -> _Response:
        return self._fault_response(_Fault("POST", path, status, None, ()), path)

    def _error_response(self, error: _ApiError, path: str) -> _Response:
        body: JsonObject = {"statusCode": error.status, "timestamp": self._now(), "path": path}
        body.update(error.payload)
        return _Response(error.status, body, error.headers)

    # ----------------------------------------------------------------- endpoints

    def _environments_me(self, call: _Call) -> _Response:
        """GET /v1/environments/me (§5): the environment document without apiKeys."""
        with self._lock:
            return _Response(200, {"data": self._environment_document(call.environment)})

    def _environments_list(self, call: _Call) -> _Response:
        """GET /v1/environments (§5): every environment of the organisation.

        apps/api/src/app/environments-v1/usecases/get-my-environments/get-my-environments.usecase.ts
        @bb741c9317603: `type` forced to "dev" while IS_NEW_CHANGE_MECHANISM_ENABLED is off (its default),
        `slug` = buildSlug(dev|prod|name, "env_", _id). With an API key only the caller's environment carries
        its (decrypted) key: e2e/api-key-environments-exposure.e2e.ts @5889899cd552.
        """
        with self._lock:
            listed = []
            for env in self._environments:
                document = self._environment_document(env)
                document["apiKeys"] = (
                    [{"key": env.api_key, "_userId": self._user_id}] if env is call.environment else []
                )
                document["type"] = "dev"
                short_name = {"Production": "prod", "Development": "dev"}.get(env.name, env.name)
                document["slug"] = _build_slug(short_name, "env_", env.id)
                listed.append(document)
            return _Response(200, {"data": listed})

    def _bridge_diff(self, call: _Call) -> _Response:
        """POST /v1/bridge/diff (§7): the stored rawData and bridge URL; the bridge is not called.

        apps/api/src/app/bridge/bridge.controller.ts @e10384692dbb (createDiscoverySoft): rawData of every
        non-deleted workflow of type BRIDGE or ECHO, whatever its origin, so a never-edited Dashboard
        workflow contributes `null` and an edited one the Dashboard's request body (§10).
        """
        body = call.body if call.body is not None else {}
        if isinstance(body, dict) and "bridgeUrl" in body:
            _require_http_url(body.get("bridgeUrl"))
        with self._lock:
            env = call.environment
            if not env.bridge_url:
                raise _http_exception(400, "Bridge URL not found")
            current = [
                doc.get("rawData") for doc in self._live_workflows(env) if doc.get("type") in _BRIDGE_TYPES
            ]
            # Serialised while the lock is held instead of deep-copied: a 1,000-workflow environment is 30 MB
            # of rawData, which a copy takes seconds over (make bench measures the action, not this).
            answer = {"data": {"current": {"workflows": current, "bridgeUrl": env.bridge_url}, "new": body}}
            return _Response(201, _Encoded(_json_bytes(answer)))

    def _bridge_validate(self, call: _Call) -> _Response:
        """POST /v1/bridge/validate (§8): Novu's health-check of the URL, answered as `isValid`.

        apps/api/src/app/bridge/bridge.controller.ts @74a2e9a6a295 (validateBridgeUrl) returns
        `{isValid: false, error: err.message}` on any failure; the health-check goes through
        ExecuteBridgeRequest, which signs every bridge request (§3).
        """
        bridge_url = _body_field(call.body, "bridgeUrl")
        _require_http_url(bridge_url)
        try:
            self._refuse_by_ssrf_policy(bridge_url)
            health = self._call_bridge(call.environment, bridge_url=bridge_url, action="health-check")
        except (_BridgeRequestFailed, _SsrfBlocked) as failure:
            return _Response(201, {"data": {"isValid": False, "error": str(failure)}})
        is_valid = isinstance(health, dict) and health.get("status") == "ok"
        return _Response(201, {"data": {"isValid": is_valid}})

    def _bridge_sync(self, call: _Call) -> _Response:
        """POST /v1/bridge/sync (§6): signed discover, Dashboard clash check, parallel upserts, deletions,
        bridge URL; all inside the request, nothing transactional.

        apps/api/src/app/bridge/usecases/sync/sync.usecase.ts @4fae5061645b.
        """
        bridge_url = _body_field(call.body, "bridgeUrl")
        if bridge_url is None:
            # [inferred] the DTO lets it pass; SyncCommand's @IsDefined @IsString rejects it (§6.1).
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
        fault = call.sync_fault
        if fault is not None and fault.stage == "before":
            raise _internal_server_error()  # e.g. the database is down: nothing was applied
        env = call.environment
        try:
            # [inferred wrapping] the SSRF message reaches the client as a 400 (§13).
            self._refuse_by_ssrf_policy(bridge_url)
        except _SsrfBlocked as blocked:
            raise _http_exception(400, str(blocked)) from None
        try:
            discover = self._call_bridge(env, bridge_url=bridge_url, action="discover")
        except _BridgeRequestFailed as failure:
            raise _http_exception(400, str(failure)) from None
        if _is_js_falsy(discover):
            # got answers '' for an empty 2xx body; `null` is falsy too (executeDiscover).
            raise _http_exception(400, "Invalid Bridge URL Response")
        workflows = discover.get("workflows") if isinstance(discover, dict) else None
        if not isinstance(workflows, list) or not all(isinstance(w, dict) for w in workflows):
            raise _internal_server_error()  # Novu calls workflows.map() on it and crashes with a TypeError
        # An empty `workflows` list is a valid answer: 201 {"data": []}, and every Framework workflow is
        # deleted (the API e2e test "should update bridge url" syncs `workflows: []` this way).
        with self._lock:
            live = self._live_workflows(env)
            # findByTriggerIdentifier: any type, any origin, not deleted.
            existing = {_trigger_identifier(doc): doc for doc in live}
            for discovered in workflows:
                clash = existing.get(discovered.get("workflowId"))
                # processWorkflows: `workflow?.origin && workflow.origin !== EXTERNAL`. A v1 workflow without
                # a stored origin is not a clash: the sync takes it over.
                if clash is not None and clash.get("origin") and clash["origin"] != _EXTERNAL:
                    raise _http_exception(
                        400,
                        f"Workflow {discovered.get('workflowId')} was already created in Dashboard. "
                        "Please use another workflowId.",
                    )
            start, now = self._clock(), self._now()
            # Promise.all over the upserts: the order of their side effects is not defined.
            order = list(range(len(workflows)))
            self._random.shuffle(order)
            if fault is not None and fault.stage == "halfway":
                for position, index in enumerate(order[: (len(order) + 1) // 2]):
                    self._upsert(
                        env,
                        workflows[index],
                        existing.get(workflows[index].get("workflowId")),
                        now=_upsert_time(start, position),
                    )
                raise _internal_server_error()
            persisted: list[JsonObject] = [{} for _ in workflows]
            for position, index in enumerate(order):
                discovered = workflows[index]
                persisted[index] = self._upsert(
                    env,
                    discovered,
                    existing.get(discovered.get("workflowId")),
                    now=_upsert_time(start, position),
                )
            kept_ids = {doc["_id"] for doc in persisted}
            for doc in live:
                # disposeOldWorkflows: type BRIDGE or ECHO, origin external, undefined or null.
                deletable = doc.get("type") in _BRIDGE_TYPES and doc.get("origin") in (_EXTERNAL, None)
                if deletable and doc["_id"] not in kept_ids:
                    doc.update(deleted=True, deletedAt=now)
            env.bridge_url = bridge_url
            env.updated_at = now
            response = _Response(201, {"data": copy.deepcopy(persisted)})
        if fault is not None and fault.stage == "after" and not fault.from_gateway:
            raise _internal_server_error()  # Novu's own failure after applying, e.g. in updateBridgeUrl
        if fault is not None and fault.delay > 0:
            self._stopping.wait(fault.delay)  # applied, answering late: the request is still in flight
        return response

    def _v2_workflows(self, call: _Call) -> _Response:
        """GET /v2/workflows (§9): every non-deleted workflow, newest first, paged by limit/offset.

        libs/dal/src/repositories/notification-template/notification-template.repository.ts @baacebcfbbe3
        (getList): `.sort({createdAt: -1}).skip(offset).limit(limit)`, orderBy/orderDirection not applied,
        no tie-breaker, so MongoDB may return equal createdAt in any order; `totalCount` counts all.
        """
        limit = _query_int(call.query, "limit", default=V2_DEFAULT_LIMIT, minimum=1)
        if limit > V2_MAX_LIMIT:
            # apps/api/src/app/shared/dtos/limit-offset-pagination.dto.ts @bb741c931760: @Max(100), a 422,
            # not a silent cap.
            raise _validation_error("limit", [f"limit must not be greater than {V2_MAX_LIMIT}"], limit)
        offset = _query_int(call.query, "offset", default=0, minimum=0)
        with self._lock:
            live = self._live_workflows(call.environment)
            newest_first = [
                doc
                for _, doc in sorted(enumerate(live), key=lambda p: (p[1]["createdAt"], p[0]), reverse=True)
            ]
            ordered: list[JsonObject] = []
            for _, tied in itertools.groupby(newest_first, key=lambda doc: doc["createdAt"]):
                group = list(tied)
                if self._shuffle_ties:
                    self._random.shuffle(group)
                ordered.extend(group)
            page = [_v2_list_item(doc) for doc in ordered[offset : offset + limit]]
            return _Response(200, {"data": {"workflows": page, "totalCount": len(live)}})

    def _agent_bridge(self, call: _Call) -> _Response:
        """PUT /v1/agents/{identifier}/bridge (§12), behind the agents guard (see `handle`).

        apps/api/src/app/agents/agents.controller.ts @5b14d70cb85b (updateAgentBridge) with
        UpdateAgentBridgeRequestDto (`bridgeUrl`, `devBridgeUrl`: IsUrl({require_tld: false});
        `devBridgeActive`: IsBoolean) and
        apps/api/src/app/agents/usecases/update-agent/update-agent.usecase.ts @16177809bd47.
        """
        (identifier,) = call.path_params
        body = call.body if isinstance(call.body, dict) else {}
        for name in ("bridgeUrl", "devBridgeUrl"):
            value = body.get(name)
            if value is not None and not _is_url_any_protocol(value):
                raise _validation_error(name, [f"{name} must be a URL address"], value)
        active = body.get("devBridgeActive")
        if active is not None and not isinstance(active, bool):
            raise _validation_error("devBridgeActive", ["devBridgeActive must be a boolean value"], active)
        fields = [name for name in ("bridgeUrl", "devBridgeUrl", "devBridgeActive") if name in body]
        if not fields:
            raise _http_exception(400, "At least one field must be provided.")
        env = call.environment
        if ("devBridgeUrl" in body or "devBridgeActive" in body) and env.name.lower() == "production":
            raise _http_exception(403, "Dev bridge settings cannot be modified in production environments.")
        for name in ("bridgeUrl", "devBridgeUrl"):
            if body.get(name):
                try:
                    self._refuse_by_ssrf_policy(str(body[name]))
                except _SsrfBlocked as blocked:
                    raise _http_exception(400, f"{name}: {blocked}") from None
        with self._lock:
            agent = env.agents.get(identifier)
            if agent is None:
                raise _http_exception(404, f'Agent with identifier "{identifier}" was not found.')
            for name in fields:
                agent[name] = body[name]
            agent["updatedAt"] = self._now()
            return _Response(200, {"data": _agent_response(agent)})

    # ----------------------------------------------------------------- Novu calling the bridge (§6.2)

    def _refuse_by_ssrf_policy(self, url: str) -> None:
        with self._lock:
            enabled = self._ssrf_policy
        if enabled:
            _ssrf_check(url)

    def _call_bridge(self, env: _Environment, *, bridge_url: str, action: str) -> Any:
        """GET the bridge as ExecuteBridgeRequest does: signed, one retry after 2 s for retryable failures.

        libs/application-generic/src/usecases/execute-bridge-request/execute-bridge-request.usecase.ts
        @a21077a7b661 signs every request, health-check included, with the secret GetDecryptedSecretKey
        returns: the environment's active bridge signing secret, else its API key
        (get-decrypted-secret-key.usecase.ts, signing-secret-resolver.service.ts @5acc4aa48fc8; §3.3).
        """
        url = _url_with_action(bridge_url, action)
        with self._lock:
            secret = env.bridge_signing_secret or env.api_key
        headers = {
            "Bypass-Tunnel-Reminder": "true",
            "Content-Type": "application/json",
            "User-Agent": _GOT_USER_AGENT,
            "novu-signature": _signature_header(secret_key=secret, timestamp_ms=int(self._clock() * 1000)),
        }
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
                # got's ParseError is mapped to the redirects message: the real bug of §6.4.
                raise _BridgeRequestFailed(_max_redirects_message(bridge_url), retryable=False) from None
        raise _BridgeRequestFailed(
            _bridge_error_message(response, bridge_url=bridge_url),
            retryable=response.status_code in _RETRYABLE_BRIDGE_STATUSES,
        )

    # ----------------------------------------------------------------- helpers (call with the lock held)

    def _upsert(
        self, env: _Environment, discovered: JsonObject, existing: JsonObject | None, *, now: str
    ) -> JsonObject:
        """One Framework workflow as sync.usecase.ts @4fae5061645b creates or updates it (§6.3).

        createWorkflow sets origin external and type BRIDGE; the update command
        (mapDiscoverWorkflowToUpdateWorkflowCommand) sets type BRIDGE and rawData but no origin, so a
        taken-over workflow keeps its stored origin (or none). Existing step ids are kept by stepId.
        """
        workflow_id = str(discovered.get("workflowId"))
        old_steps = {step.get("stepId"): step for step in existing["steps"]} if existing else {}
        active = discovered.get("active")
        active = True if active is None else bool(active)
        document: JsonObject = {
            "_id": existing["_id"] if existing else self._new_object_id(),
            "name": discovered.get("name") or workflow_id,
            "description": discovered.get("description") or "",
            "active": active,
            "status": "ACTIVE" if active else "INACTIVE",
        }
        if existing is None:
            document["origin"] = _EXTERNAL
        elif "origin" in existing:
            document["origin"] = existing["origin"]
        document.update(
            {
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
        )
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

    def _dashboard_step(self, name: str, step_type: str) -> JsonObject:
        """A step as upsert-workflow.usecase.ts @4fae5061645b (mapSingleStep) stores a new Dashboard step."""
        template_id = self._new_object_id()
        return {
            "_id": template_id,
            "_templateId": template_id,
            "stepId": _slugify(name),
            "name": name,
            "issues": {},
            "template": {"_id": template_id, "type": step_type, "name": name, "controls": {}, "content": ""},
            "controlValues": copy.deepcopy(_DASHBOARD_STEP_CONTROLS.get(step_type, {})),
        }

    def _workflow_document(
        self,
        *,
        workflow_id: str,
        name: str,
        stored_type: str | None,
        stored_origin: str | None,
        steps: list[JsonObject],
        created_at: str | None,
        tags: list[str] | None = None,
    ) -> JsonObject:
        """A stored workflow; a None type or origin is left out, as MongoDB leaves an unset path out."""
        now = created_at or self._now()
        document: JsonObject = {
            "_id": self._new_object_id(),
            "name": name,
            "description": "",
            "active": True,
            "status": "ACTIVE",
        }
        if stored_origin is not None:
            document["origin"] = stored_origin
        if stored_type is not None:
            document["type"] = stored_type
        document.update(
            {
                "tags": tags or [],
                "severity": "none",
                "triggers": [{"type": "event", "identifier": workflow_id, "variables": []}],
                "steps": steps,
                "deleted": False,
                "createdAt": now,
                "updatedAt": now,
            }
        )
        return document

    def _insert(self, env: _Environment, document: JsonObject) -> None:
        workflow_id = _trigger_identifier(document)
        if any(_trigger_identifier(doc) == workflow_id for doc in self._live_workflows(env)):
            raise ValueError(f"Workflow {workflow_id!r} already exists in {env.name}.")
        document["_environmentId"] = env.id
        document["_organizationId"] = self._organization_id
        env.workflows.append(document)

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


def _computed_origin(doc: JsonObject) -> str:
    """`computeOrigin` of libs/application-generic/src/utils/notification-template-mapper.ts @2ad1bc712e6f
    (§9): no type and no stored origin, or type REGULAR: novu-cloud-v1; else the stored origin or external."""
    if "type" not in doc and "origin" not in doc:
        return _NOVU_CLOUD_V1
    if doc.get("type") == "REGULAR":
        return _NOVU_CLOUD_V1
    return str(doc.get("origin") or _EXTERNAL)


def _v2_list_item(doc: JsonObject) -> JsonObject:
    """`toMinifiedWorkflowDto` of libs/application-generic/src/utils/notification-template-mapper.ts
    @2ad1bc712e6f (§9); undefined values are left out, as JSON.stringify leaves them out."""
    name = doc.get("name") or "Missing Name"
    item: JsonObject = {
        "_id": doc["_id"],
        "workflowId": _trigger_identifier(doc),
        "slug": _build_slug(name, "wf_", doc["_id"]),
        "name": name,
        "origin": _computed_origin(doc),
    }
    if doc.get("tags") is not None:
        item["tags"] = doc["tags"]
    steps = doc.get("steps") or []
    item.update(
        {
            "updatedAt": doc.get("updatedAt") or "",
            "lastPublishedAt": doc.get("lastPublishedAt") or "",
            "stepTypeOverviews": [
                step_type for step in steps if (step_type := (step.get("template") or {}).get("type"))
            ],
            "createdAt": doc.get("createdAt") or "",
            "status": doc.get("status") or "ACTIVE",
        }
    )
    if doc.get("lastTriggeredAt") is not None:
        item["lastTriggeredAt"] = doc["lastTriggeredAt"]
    item["isTranslationEnabled"] = bool(doc.get("isTranslationEnabled"))
    item["steps"] = [_v2_list_step(step) for step in steps]
    return item


def _v2_list_step(step: JsonObject) -> JsonObject:
    """`toStepListResponseDto` (same file): slug from the step name and _templateId, type, issues."""
    listed: JsonObject = {
        "slug": _build_slug(step.get("name") or "Missing Name", "st_", str(step.get("_templateId") or "0")),
        "type": (step.get("template") or {}).get("type"),
    }
    if step.get("issues") is not None:
        listed["issues"] = step["issues"]
    return listed


def _dashboard_update_body(document: JsonObject) -> JsonObject:
    """What the Dashboard sends to `PUT /v2/workflows/:id` (UpdateWorkflowDto), stored as rawData by
    upsert-workflow.usecase.ts @4fae5061645b (buildUpdateWorkflowCommand: `rawData: workflowDto`), §10."""
    return {
        "name": document["name"],
        "workflowId": _trigger_identifier(document),
        "description": document.get("description", ""),
        "tags": list(document.get("tags") or []),
        "active": document.get("active", True),
        "validatePayload": False,
        "steps": [
            {
                "_id": step["_templateId"],
                "name": step["name"],
                "type": step["template"]["type"],
                "controlValues": copy.deepcopy(step.get("controlValues", {})),
            }
            for step in document.get("steps") or []
        ],
        "preferences": {
            "user": None,
            "workflow": {"all": {"enabled": True, "readOnly": False}, "channels": {}},
        },
        "origin": _NOVU_CLOUD,
    }


def _agent_response(agent: JsonObject) -> JsonObject:
    """`toAgentResponse` of apps/api/src/app/agents/mappers/agent-response.mapper.ts @16177809bd47."""
    keys = (
        "_id",
        "name",
        "identifier",
        "description",
        "active",
        "behavior",
        "bridgeUrl",
        "devBridgeUrl",
        "devBridgeActive",
        "runtime",
        "_environmentId",
        "_organizationId",
        "createdAt",
        "updatedAt",
    )
    return {key: copy.deepcopy(agent[key]) for key in keys if agent.get(key) is not None}


def _bridge_error_message(response: requests.Response, *, bridge_url: str) -> str:
    """handleResponseError of ExecuteBridgeRequest for a non-2xx answer (§6.4)."""
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
    ("GET", re.compile(r"/v1/environments"), NovuCloudEmulator._environments_list),
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
            if response.status == _NO_ANSWER.status:
                self.close_connection = True  # a lost answer: the connection closes with no response
                return
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
