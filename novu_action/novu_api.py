"""Novu Cloud client: environment identity, stored and listed workflows, bridge validation, sync.

Every call sends ``Authorization: ApiKey <secret key>`` through ``HttpClient`` and reads Novu's
``{"data": ...}`` envelope. Failures become ``NovuApiError``s that carry Novu's own message (remote
text: cleaned, shortened and stripped of secrets) and say what to do.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any, TypeVar
from urllib.parse import quote, urlencode

import requests
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from novu_action.errors import ActionError
from novu_action.http import (
    HttpClient,
    TransportError,
    format_seconds,
    status_text,
)
from novu_action.plan import ListedWorkflow
from novu_action.redaction import redact_url, remote_text, url_secrets

US_API_URL = "https://api.novu.co"
EU_API_URL = "https://eu.api.novu.co"
WORKFLOW_PAGE_SIZE = 100
_LABEL = "Novu API"
_ENDPOINT_UNAVAILABLE = "API endpoint not available"  # 401 for routes an API key may not call
_NEVER_SYNCED = "Bridge URL not found"
_REGIONS = f"US {US_API_URL} or EU {EU_API_URL}"

Model = TypeVar("Model", bound=BaseModel)


@dataclass(frozen=True)
class EnvironmentInfo:
    """The environment a secret key belongs to. ``parent_id`` is set on Production-like environments;
    ``bridge_url`` is the bridge URL of the last sync (``None`` if never synced)."""

    id: str
    name: str
    parent_id: str | None
    bridge_url: str | None


@dataclass(frozen=True)
class BridgeValidation:
    """Whether Novu Cloud itself can reach the bridge; ``error`` is Novu's reason, cleaned."""

    is_valid: bool
    error: str | None


@dataclass(frozen=True)
class SyncResponse:
    """Novu's answer to a sync: its ``data`` list as served (the persisted workflow documents, for the
    ``result`` output) and the ids of the workflows it synced, in discover order."""

    data: tuple[Any, ...]
    workflow_ids: tuple[str, ...]


class NovuApiError(ActionError):
    """Novu answered with an error (``status``) or not at all (``status`` is ``None``).

    ``novu_message`` is Novu's own explanation, cleaned and shortened, when it gave one.
    """

    title = "Novu API request failed"

    def __init__(self, message: str, *, status: int | None, novu_message: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.novu_message = novu_message


class NovuAuthError(NovuApiError):
    title = "Novu secret key rejected"


class NovuForbiddenError(NovuApiError):
    title = "Novu secret key lacks permission"


class NovuRateLimitedError(NovuApiError):
    title = "Novu API rate limit"


class NovuServerError(NovuApiError):
    title = "Novu API is having trouble"


class NovuUnreachableError(NovuApiError):
    title = "Novu API unreachable"


class NovuUnexpectedAnswerError(NovuApiError):
    title = "Unexpected answer from the Novu API"


class _Wire(BaseModel):
    model_config = ConfigDict(extra="allow")


class _BridgeRef(_Wire):
    url: str | None = None


class _Environment(_Wire):
    id: str = Field(alias="_id")
    name: str
    parent_id: str | None = Field(default=None, alias="_parentId")
    bridge: _BridgeRef | None = None


class _StoredState(_Wire):
    workflows: list[dict[str, Any]]


class _Diff(_Wire):
    current: _StoredState


class _ListedItem(_Wire):
    workflow_id: str = Field(alias="workflowId")
    origin: str | None = None
    name: str | None = None


class _WorkflowPage(_Wire):
    workflows: list[_ListedItem]
    total_count: int = Field(alias="totalCount")


class _Validation(_Wire):
    is_valid: bool = Field(alias="isValid")
    error: str | None = None


@dataclass(frozen=True)
class _Call:
    """One API call: what it is for (in messages) and secrets its error texts might echo."""

    method: str
    path: str
    purpose: str
    secrets: tuple[str, ...] = ()

    @property
    def what(self) -> str:
        return f"{self.purpose} ({self.method} {self.path.split('?', 1)[0]})"


# Known Novu messages (substring) and what the user should do about them.
_HINTS: tuple[tuple[str, str], ...] = (
    (
        "Signature does not match",
        "The bridge's NOVU_SECRET_KEY is not this environment's secret key: set it to this key.",
    ),
    (
        "Maximum redirects exceeded",
        "Novu reports this when the bridge answers with something other than JSON, such as a login or "
        "deployment-protection page; for Vercel add ?x-vercel-protection-bypass=<secret> to the bridge URL.",
    ),
    (
        "Unable to reach Bridge Endpoint",
        "Novu Cloud could not reach the bridge: it must be deployed and public (not localhost or a "
        "private address).",
    ),
    (
        "Bridge request timeout",
        "Novu Cloud waits only 5 s for the bridge: make sure it is warm and answers quickly.",
    ),
    (
        "already created in Dashboard",
        "A workflow made in the Dashboard already uses that id: rename the workflowId in code or "
        "delete the Dashboard workflow.",
    ),
    (
        "SSRF",
        "Novu Cloud refuses bridge URLs on localhost, on private addresses or with user:pass@: use a "
        "public URL.",
    ),
)


class NovuApi:
    """The Novu API as one environment's secret key sees it."""

    def __init__(self, *, http: HttpClient, api_url: str, secret_key: str, key_input: str) -> None:
        self._http = http
        self._api_url = api_url.rstrip("/")
        self._shown_api_url = redact_url(self._api_url)
        self._secret_key = secret_key
        self._key_input = key_input

    def environment(self) -> EnvironmentInfo | None:
        """The environment the key belongs to; ``None`` when this Novu does not offer the endpoint."""
        call = _Call("GET", "/v1/environments/me", "reading the key's environment")
        response = self._send(call)
        if _endpoint_missing(response):
            return None
        found = self._parse(response, _Environment, call)
        return EnvironmentInfo(
            id=found.id,
            name=found.name,
            parent_id=found.parent_id,
            bridge_url=found.bridge.url if found.bridge else None,
        )

    def stored_workflows(self, bridge_url: str) -> list[dict[str, Any]] | None:
        """The workflow definitions stored at the last sync (``[]`` if never synced).

        ``None`` when ``/v1/bridge/diff`` is not available (it is internal and may change): the caller
        falls back to ``list_workflows``.
        """
        call = _Call(
            "POST", "/v1/bridge/diff", "reading the stored workflows", tuple(url_secrets(bridge_url))
        )
        response = self._send(call, json_body={"bridgeUrl": bridge_url})
        if response.status_code == HTTPStatus.BAD_REQUEST and _novu_message(response) == _NEVER_SYNCED:
            return []
        if _endpoint_missing(response):
            return None
        return self._parse(response, _Diff, call).current.workflows

    def list_workflows(self) -> list[ListedWorkflow]:
        """Every workflow in the environment, oldest first, with its origin."""
        listed: list[ListedWorkflow] = []
        while True:
            query = urlencode(
                {
                    "limit": WORKFLOW_PAGE_SIZE,
                    "offset": len(listed),
                    "orderBy": "createdAt",
                    "orderDirection": "ASC",
                }
            )
            call = _Call("GET", f"/v2/workflows?{query}", "listing the environment's workflows")
            page = self._parse(self._send(call), _WorkflowPage, call)
            listed.extend(
                ListedWorkflow(workflow_id=item.workflow_id, origin=item.origin, name=item.name)
                for item in page.workflows
            )
            if len(page.workflows) < WORKFLOW_PAGE_SIZE or len(listed) >= page.total_count:
                return listed

    def validate_bridge(self, bridge_url: str) -> BridgeValidation:
        """Novu Cloud's own check that it can reach the bridge (health-check, SSRF policy)."""
        secrets = tuple(url_secrets(bridge_url))
        call = _Call("POST", "/v1/bridge/validate", "asking Novu to check the bridge URL", secrets)
        result = self._parse(self._send(call, json_body={"bridgeUrl": bridge_url}), _Validation, call)
        error = remote_text(result.error, secrets=self._secrets(call)) if result.error else None
        return BridgeValidation(is_valid=result.is_valid, error=error)

    def sync(self, bridge_url: str, *, idempotency_key: str) -> SyncResponse:
        """Have Novu discover the bridge and store its workflows (deleting the ones it lacks).

        Retries reuse ``idempotency_key`` (at most 255 characters), so Novu applies the sync once.
        """
        call = _Call(
            "POST", "/v1/bridge/sync?source=githubAction", "the sync", tuple(url_secrets(bridge_url))
        )
        response = self._send(
            call, json_body={"bridgeUrl": bridge_url}, headers={"Idempotency-Key": idempotency_key}
        )
        if not response.ok:
            raise self._error(response, call)
        body = self._json_object(response, call)
        data = body.get("data")
        if not isinstance(data, list):
            raise NovuUnexpectedAnswerError(
                f"The Novu API answered {call.what} with {status_text(response)} but without the list of "
                "synced workflows. Check that `api-url` is the Novu API.",
                status=response.status_code,
            )
        ids = (_synced_workflow_id(item) for item in data)
        return SyncResponse(data=tuple(data), workflow_ids=tuple(i for i in ids if i is not None))

    def point_agent(self, agent_id: str, bridge_url: str) -> None:
        """Point one agent at the bridge, as ``npx novu sync`` does for every discovered agent."""
        call = _Call(
            "PUT",
            f"/v1/agents/{quote(agent_id, safe='')}/bridge",
            f"pointing agent {remote_text(agent_id, limit=80)!r} at the bridge",
            tuple(url_secrets(bridge_url)),
        )
        response = self._send(call, json_body={"bridgeUrl": bridge_url})
        if not response.ok:
            raise self._error(response, call)

    def _send(
        self, call: _Call, *, json_body: Any = None, headers: dict[str, str] | None = None
    ) -> requests.Response:
        try:
            return self._http.request(
                call.method,
                f"{self._api_url}{call.path}",
                headers={"Authorization": f"ApiKey {self._secret_key}", **(headers or {})},
                json_body=json_body,
                label=_LABEL,
            )
        except TransportError as error:
            raise NovuUnreachableError(
                f"Cannot reach the Novu API at {self._shown_api_url}: {error.reason}; check `api-url` "
                f"({_REGIONS}, or your self-hosted API's URL).",
                status=None,
            ) from None

    def _secrets(self, call: _Call) -> tuple[str, ...]:
        return (self._secret_key, *call.secrets)

    def _parse(self, response: requests.Response, model: type[Model], call: _Call) -> Model:
        if not response.ok:
            raise self._error(response, call)
        body = self._json_object(response, call)
        try:
            return model.model_validate(body.get("data"))
        except ValidationError as error:
            first = error.errors()[0]
            where = ".".join(str(part) for part in ("data", *first["loc"]))
            problem = remote_text(f"{where}: {first['msg']}", secrets=self._secrets(call), limit=200)
            raise NovuUnexpectedAnswerError(
                f"The Novu API answered {call.what} in an unexpected shape ({problem}). Check that "
                f"`api-url` ({self._shown_api_url}) is the Novu API; if it is, Novu changed this endpoint: "
                "please report it.",
                status=response.status_code,
            ) from None

    def _json_object(self, response: requests.Response, call: _Call) -> dict[str, Any]:
        body = _json_body(response)
        if isinstance(body, dict):
            return body
        raise NovuUnexpectedAnswerError(
            f"The Novu API at {self._shown_api_url} answered {call.what} with {status_text(response)} but "
            "not with JSON. Check that `api-url` is the Novu API itself "
            f"({_REGIONS}), not the Dashboard or a proxy's page.",
            status=response.status_code,
        )

    def _error(self, response: requests.Response, call: _Call) -> NovuApiError:
        """The user-facing error for a non-2xx answer (retries, if any, are already spent)."""
        status = response.status_code
        raw = _novu_message(response)
        novu_message = remote_text(raw, secrets=self._secrets(call)) if raw else None
        said = f'"{novu_message}"' if novu_message else _not_json_note(response)
        answered = f"{status_text(response)}: {said}"
        error_class, message = self._explain(response, call, raw=raw, answered=answered)
        return error_class(message, status=status, novu_message=novu_message)

    def _explain(
        self, response: requests.Response, call: _Call, *, raw: str | None, answered: str
    ) -> tuple[type[NovuApiError], str]:
        """Which error a non-2xx answer is, and the sentence that tells the user what to do."""
        status = response.status_code
        if status == HTTPStatus.UNAUTHORIZED and raw == "API Key not found":
            return NovuAuthError, (
                f"The key in {self._key_input} is not a valid secret key for {self._shown_api_url} "
                f"(Novu answered {answered}). Check the value (Novu Dashboard → API Keys → Secret Key) "
                f"and the region: {_REGIONS}, set with `api-url`."
            )
        if status == HTTPStatus.UNAUTHORIZED:
            return NovuAuthError, (
                f"Novu refused the key in {self._key_input} for {call.what} ({answered}). Check that it "
                f"is the environment's secret key and that `api-url` ({self._shown_api_url}) is right "
                f"({_REGIONS})."
            )
        if status == HTTPStatus.FORBIDDEN:
            return NovuForbiddenError, (
                f"The key in {self._key_input} may not do {call.what} ({answered}). Use the environment's "
                "secret key from Novu Dashboard → API Keys, not a key with restricted permissions."
            )
        if status == HTTPStatus.TOO_MANY_REQUESTS:
            return NovuRateLimitedError, (
                f"Novu rate-limited {call.what} ({answered}) and retrying did not help"
                f"{self._requested_wait(response)}. Try again later."
            )
        if status >= 500:
            return NovuServerError, (
                f"The Novu API is having trouble with {call.what}: it answered {answered} and retrying "
                f"did not help{self._requested_wait(response)}. {_server_error_consequence(call)}"
            )
        if status == HTTPStatus.CONFLICT:
            return NovuApiError, (
                f"Novu is still processing an earlier request with the same Idempotency-Key for {call.what} "
                f"({answered}). Wait a minute, then re-run the job."
            )
        hint = next((advice for needle, advice in _HINTS if raw and needle in raw), None)
        return NovuApiError, f"The Novu API refused {call.what} with {answered}." + (
            f" {hint}" if hint else ""
        )

    def _requested_wait(self, response: requests.Response) -> str:
        wait = self._http.retry_after(response)
        if wait is None:
            return ""
        if wait > self._http.policy.max_retry_after:
            limit = format_seconds(self._http.policy.max_retry_after)
            return (
                f"; Novu asks to wait {format_seconds(wait)} (Retry-After), longer than the {limit} "
                "the action waits"
            )
        return f"; Novu asks to wait {format_seconds(wait)} (Retry-After)"


def _server_error_consequence(call: _Call) -> str:
    if call.method == "POST" and call.path.startswith("/v1/bridge/sync"):
        return (
            "The sync may have been applied in part. Re-running the job is safe: a sync always brings the "
            "environment to what the bridge serves, and this run's retries reused one Idempotency-Key."
        )
    return "Nothing was changed. Try again later."


def _endpoint_missing(response: requests.Response) -> bool:
    """404/405, or Novu's 401 for routes an API key may not call: this Novu lacks the endpoint."""
    if response.status_code in (HTTPStatus.NOT_FOUND, HTTPStatus.METHOD_NOT_ALLOWED):
        return True
    return response.status_code == HTTPStatus.UNAUTHORIZED and _novu_message(response) == (
        _ENDPOINT_UNAVAILABLE
    )


def _json_body(response: requests.Response) -> Any:
    try:
        return json.loads(response.content)
    except ValueError:
        return None


def _novu_message(response: requests.Response) -> str | None:
    """Novu's own explanation from an error body, raw (the caller cleans it), or ``None``."""
    body = _json_body(response)
    if not isinstance(body, dict):
        return None
    parts: list[str] = []
    message = body.get("message")
    if isinstance(message, str) and message:
        parts.append(message)
    elif isinstance(message, list):
        parts.extend(str(item) for item in message if item)
    errors = body.get("errors")
    if isinstance(errors, dict):  # 422: {"<field>": {"messages": [...], "value": ...}}
        for field, detail in errors.items():
            messages = detail.get("messages") if isinstance(detail, dict) else None
            if isinstance(messages, list) and messages:
                parts.append(f"{field}: {'; '.join(str(m) for m in messages)}")
    elif isinstance(errors, list):  # zod: [{"message": ..., "path": [...]}]
        for item in errors:
            if isinstance(item, dict) and item.get("message"):
                path = item.get("path")
                where = ".".join(str(p) for p in path) if isinstance(path, list) and path else None
                parts.append(f"{where}: {item['message']}" if where else str(item["message"]))
    if not parts and isinstance(body.get("error"), str):
        parts.append(body["error"])
    return "; ".join(parts) or None


def _not_json_note(response: requests.Response) -> str:
    content_type = response.headers.get("Content-Type", "").split(";", 1)[0].strip()
    kind = remote_text(content_type, limit=60) if content_type else "no content-type"
    return f"no message (the body is not Novu's JSON; {kind})"


def _synced_workflow_id(item: Any) -> str | None:
    if not isinstance(item, dict):
        return None
    triggers = item.get("triggers")
    if isinstance(triggers, list) and triggers and isinstance(triggers[0], dict):
        identifier = triggers[0].get("identifier")
        if isinstance(identifier, str):
            return identifier
    raw_data = item.get("rawData")
    if isinstance(raw_data, dict) and isinstance(raw_data.get("workflowId"), str):
        return str(raw_data["workflowId"])
    return None
