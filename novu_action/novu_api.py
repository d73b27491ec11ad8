"""Novu Cloud client: environment identity, what the environment holds, bridge validation, sync, agents.

Every call sends ``Authorization: ApiKey <secret key>`` through ``HttpClient`` and reads Novu's
``{"data": ...}`` envelope. Failures become ``NovuApiError``s (``novu_errors``) that carry Novu's own
message and say what to do. The wire facts are in docs/novu-protocol.md.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from http import HTTPStatus
from typing import Any, TypeVar
from urllib.parse import quote, urlencode

from pydantic import Field, ValidationError

from novu_action.http import HttpClient, HttpResponse, ResponseTooLargeError, TransportError, status_text
from novu_action.novu_errors import (
    NEVER_SYNCED,
    Call,
    Explainer,
    NovuNotFoundError,
    NovuUnexpectedAnswerError,
    advice_for,
    clean_novu_text,
    endpoint_missing,
    novu_message,
    requested_wait_text,
)
from novu_action.redaction import redact_url, url_secrets
from novu_action.state import EnvironmentState, ListedWorkflow, StoredDefinition, stored_definitions
from novu_action.wire import WireModel, first_problem, json_object

WORKFLOW_PAGE_SIZE = 100
# Novu runs the whole sync inside the request (discover, then every upsert and deletion), so it gets far
# longer than other calls: a large bridge takes minutes.
SYNC_DEADLINE_SECONDS = 300.0
_LIST_READS = 5  # whole reads of the workflow list before it is believed to be moving
_LABEL = "Novu API"

Model = TypeVar("Model", bound=WireModel)


@dataclass(frozen=True)
class EnvironmentInfo:
    """The environment a secret key belongs to; ``slug`` names it in Dashboard URLs (newer Novu)."""

    id: str
    name: str
    slug: str | None


@dataclass(frozen=True)
class BridgeValidation:
    """Whether Novu Cloud itself can reach the bridge; ``error`` is Novu's reason, cleaned, and
    ``advice`` what to do about it when the reason is a known one."""

    is_valid: bool
    error: str | None
    advice: str | None


@dataclass(frozen=True)
class SyncResponse:
    """Novu's answer to a sync: its ``data`` list as served (the persisted workflow documents, for the
    ``result`` output) and the ids of the workflows it synced, in discover order."""

    data: tuple[Any, ...]
    workflow_ids: tuple[str, ...]


class SyncOutcomeUnknown(Exception):
    """The sync request may have reached Novu, but no answer says what it did (a 5xx, a read timeout, a
    connection lost while waiting). Resending it blindly could run a second sync; see ``apply``."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class _Environment(WireModel):
    id: str = Field(alias="_id")
    name: str
    slug: str | None = None


class _StoredState(WireModel):
    workflows: list[Any]  # rawData as stored: framework definitions, Dashboard bodies, nulls


class _Diff(WireModel):
    current: _StoredState


class _ListedItem(WireModel):
    id: str | None = Field(default=None, alias="_id")
    workflow_id: str = Field(alias="workflowId")
    origin: str | None = None
    name: str | None = None


class _WorkflowPage(WireModel):
    workflows: list[_ListedItem]
    total_count: int = Field(alias="totalCount")


class _Validation(WireModel):
    is_valid: bool = Field(alias="isValid")
    error: str | None = None


class NovuApi:
    """The Novu API as one environment's secret key sees it. ``source`` tells Novu's analytics who synced."""

    def __init__(
        self, *, http: HttpClient, api_url: str, secret_key: str, key_input: str, source: str = "githubAction"
    ) -> None:
        self._http = http
        self._api_url = api_url.rstrip("/")
        self._secret_key = secret_key
        self._source = source
        self._explainer = Explainer(
            shown_api_url=redact_url(self._api_url),
            key_input=key_input,
            secret_key=secret_key,
            requested_wait=lambda response: requested_wait_text(
                http.retry_after(response), max_wait=http.policy.max_retry_after
            ),
        )

    def environment(self) -> EnvironmentInfo | None:
        """The environment the key belongs to; ``None`` when this Novu does not offer the endpoint."""
        call = Call("GET", "/v1/environments/me", "reading the key's environment")
        response = self._send(call)
        if endpoint_missing(response):
            return None
        found = self._parse(response, _Environment, call)
        return EnvironmentInfo(id=found.id, name=found.name, slug=found.slug)

    def read_state(self, bridge_url: str) -> EnvironmentState:
        """What the environment holds: stored definitions and the workflow list (two bulk reads)."""
        state = EnvironmentState(stored=self.stored_workflows(bridge_url), listed=self.list_workflows())
        if state.stored is None and state.listed is None:
            raise NovuUnexpectedAnswerError(
                "This Novu API offers neither the stored workflows (POST /v1/bridge/diff) nor the workflow "
                "list (GET /v2/workflows) to an API key, so the action cannot tell what a sync would change. "
                "Check that `api-url` is right; a self-hosted Novu must be version 2 or newer.",
                status=None,
            )
        return state

    def stored_workflows(self, bridge_url: str) -> tuple[StoredDefinition, ...] | None:
        """The entries stored at the last sync that can be definitions (``()`` if never synced).
        ``bridge_url`` may be empty.

        ``None`` when ``/v1/bridge/diff`` is not available (it is internal and may change).
        """
        call = Call("POST", "/v1/bridge/diff", "reading the stored workflows", tuple(url_secrets(bridge_url)))
        # Novu reads the stored state whatever the URL; a preview from a discover file has none to give.
        response = self._send(call, json_body={"bridgeUrl": bridge_url} if bridge_url else {})
        if response.status == HTTPStatus.BAD_REQUEST and novu_message(response) == NEVER_SYNCED:
            return ()
        if endpoint_missing(response):
            return None
        entries = self._parse(response, _Diff, call).current.workflows
        return stored_definitions(entries)

    def list_workflows(self) -> tuple[ListedWorkflow, ...] | None:
        """Every workflow in the environment with its origin; ``None`` when this Novu does not list them
        to an API key (self-hosted builds of late 2024).

        Novu sorts the list on ``createdAt`` alone, and workflows made by one sync can share it, so paging
        by offset can repeat or skip one: entries are de-duplicated by ``_id``, and the list is read again,
        keeping what earlier reads saw, until the workflows seen are exactly ``totalCount``.
        """
        found: dict[
            str, _ListedItem
        ] = {}  # across reads: a read that skipped one may be completed by the next
        totals: list[int] = []
        for _ in range(_LIST_READS):
            offset = 0
            while True:
                page = self._list_page(offset)
                if page is None:
                    return None
                total = page.total_count
                for item in page.workflows:
                    found.setdefault(item.id or item.workflow_id, item)
                offset += len(page.workflows)
                if len(page.workflows) < WORKFLOW_PAGE_SIZE or offset >= total:
                    break
            totals.append(total)
            if len(found) == total and len(set(totals)) == 1:
                return tuple(
                    ListedWorkflow(workflow_id=item.workflow_id, origin=item.origin, name=item.name)
                    for item in found.values()
                )
        raise NovuUnexpectedAnswerError(
            f"The environment's workflow list did not hold still while it was read {_LIST_READS} times (it "
            f"reported {', then '.join(str(t) for t in totals)} workflows; {len(found)} were seen): someone "
            "or something is changing the environment right now. Re-run the job when it is done; a plan from "
            "a moving list could miss a deletion.",
            status=None,
        )

    def _list_page(self, offset: int) -> _WorkflowPage | None:
        query = urlencode(
            {"limit": WORKFLOW_PAGE_SIZE, "offset": offset, "orderBy": "createdAt", "orderDirection": "ASC"}
        )
        call = Call("GET", f"/v2/workflows?{query}", "listing the environment's workflows")
        response = self._send(call)
        if endpoint_missing(response):
            return None
        return self._parse(response, _WorkflowPage, call)

    def validate_bridge(self, bridge_url: str) -> BridgeValidation:
        """Novu Cloud's own check that it can reach the bridge (health-check, SSRF policy)."""
        secrets = (self._secret_key, *url_secrets(bridge_url))
        call = Call("POST", "/v1/bridge/validate", "asking Novu to check the bridge URL", secrets[1:])
        result = self._parse(self._send(call, json_body={"bridgeUrl": bridge_url}), _Validation, call)
        if result.is_valid or not result.error:
            return BridgeValidation(is_valid=result.is_valid, error=None, advice=None)
        error = clean_novu_text(result.error, secrets=secrets)
        return BridgeValidation(is_valid=False, error=error, advice=advice_for(result.error))

    def sync(self, bridge_url: str, *, idempotency_key: str, deadline: float) -> SyncResponse:
        """Have Novu discover the bridge and store its workflows (deleting the ones it lacks).

        Sent again with the same ``idempotency_key`` only where Novu cannot have acted (429, 409 "in
        progress", a connection that failed before sending); raises ``SyncOutcomeUnknown`` where it may
        have (a 5xx, no answer within ``deadline`` seconds, a connection lost while waiting).
        """
        call = Call(
            "POST",
            f"/v1/bridge/sync?source={quote(self._source)}",
            "the sync",
            tuple(url_secrets(bridge_url)),
        )
        try:
            response = self._http.request(
                call.method,
                f"{self._api_url}{call.path}",
                headers={**self._auth, "Idempotency-Key": idempotency_key},
                json_body={"bridgeUrl": bridge_url},
                policy=replace(self._http.policy, resend_after_send=False),
                timeout=deadline,
                label=_LABEL,
            )
        except TransportError as error:
            if error.sent:
                raise SyncOutcomeUnknown(f"no answer: {error.reason}") from None
            raise self._explainer.no_answer(error.reason) from None
        except ResponseTooLargeError:
            raise SyncOutcomeUnknown("its answer was too large to read") from None
        if response.status >= 500:
            said = self._explainer.error(response, call).novu_message
            raise SyncOutcomeUnknown(
                f"Novu answered {status_text(response)}" + (f': "{said}"' if said else "")
            )
        if not response.ok:
            raise self._explainer.error(response, call)
        data = self._json_object(response, call).get("data")
        if not isinstance(data, list):
            raise NovuUnexpectedAnswerError(
                f"The Novu API answered {call.what} with {status_text(response)} but without the list of "
                "synced workflows. Check that `api-url` is the Novu API.",
                status=response.status,
            )
        ids = (_synced_workflow_id(item) for item in data)
        return SyncResponse(data=tuple(data), workflow_ids=tuple(i for i in ids if i is not None))

    def point_agent(self, agent_id: str, bridge_url: str) -> NovuNotFoundError | None:
        """Point one agent at the bridge, as ``npx novu sync`` does for every discovered agent.

        A 404 is returned, not raised: Novu answers it when the organisation has conversational agents
        turned off and for an agent it does not know, neither of which undoes the sync.
        """
        call = Call(
            "PUT",
            f"/v1/agents/{quote(agent_id, safe='')}/bridge",
            "pointing an agent at the bridge",
            tuple(url_secrets(bridge_url)),
        )
        response = self._send(call, json_body={"bridgeUrl": bridge_url})
        if response.ok:
            return None
        error = self._explainer.error(response, call)
        if isinstance(error, NovuNotFoundError):
            return error
        raise error

    @property
    def _auth(self) -> dict[str, str]:
        return {"Authorization": f"ApiKey {self._secret_key}"}

    def _send(self, call: Call, *, json_body: Any = None) -> HttpResponse:
        try:
            return self._http.request(
                call.method,
                f"{self._api_url}{call.path}",
                headers=self._auth,
                json_body=json_body,
                label=_LABEL,
            )
        except TransportError as error:
            raise self._explainer.no_answer(error.reason) from None
        except ResponseTooLargeError as too_large:
            raise NovuUnexpectedAnswerError(
                f"The Novu API answered {call.what} with more than {too_large.limit // (1024 * 1024)} MiB, "
                "the most the action reads. Split the workflows over several bridges and environments.",
                status=too_large.status,
            ) from None

    def _parse(self, response: HttpResponse, model: type[Model], call: Call) -> Model:
        if not response.ok:
            raise self._explainer.error(response, call)
        body = self._json_object(response, call)
        try:
            return model.model_validate(body.get("data"))
        except ValidationError as error:
            problem = first_problem(error, where=("data",), secrets=(self._secret_key, *call.secrets))
            raise self._explainer.unexpected(response, call, problem) from None

    def _json_object(self, response: HttpResponse, call: Call) -> dict[str, Any]:
        body = json_object(response)
        if body is None:
            raise self._explainer.not_json(response, call)
        return body


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
