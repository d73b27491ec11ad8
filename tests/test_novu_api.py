"""Novu API client over real HTTP: requests as Novu expects them, answers parsed, Novu's own words kept, and a
sync that is sent again only where Novu cannot have acted on it."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

from novu_action.http import MAX_BODY_BYTES, HttpClient
from novu_action.novu_api import (
    BridgeValidation,
    EnvironmentInfo,
    NovuApi,
    SyncOutcomeUnknown,
    SyncResponse,
)
from novu_action.novu_errors import (
    NovuApiError,
    NovuAuthError,
    NovuForbiddenError,
    NovuNoAnswerError,
    NovuNotFoundError,
    NovuRateLimitedError,
    NovuServerError,
    NovuUnexpectedAnswerError,
)
from novu_action.state import ListedWorkflow
from tests.stand_ins.scripted_http import (
    BYPASS_TOKEN,
    Received,
    Recorder,
    Reply,
    ScriptedServer,
    closed_port,
    scripted,
)

SECRET_KEY = "nv_sk_9f8e7d6c5b4a39281706f5e4d3c2b1a0"
KEY_INPUT = "production-secret-key"
BRIDGE_URL = f"https://acme.vercel.app/api/novu?x-vercel-protection-bypass={BYPASS_TOKEN}"
SHOWN_BRIDGE_URL = "https://acme.vercel.app/api/novu?x-vercel-protection-bypass=REDACTED"
IDEMPOTENCY_KEY = "novu-sync-action:acme/notifications:1234:1:Production"
ENDPOINT_UNAVAILABLE = Reply(401, {"statusCode": 401, "message": "API endpoint not available"})


def api_for(server_url: str, recorder: Recorder | None = None, *, timeout: float = 5.0) -> NovuApi:
    recorder = recorder or Recorder()
    http = HttpClient(
        timeout=timeout, sleep=recorder.sleep, random=lambda: 0.5, on_retry=recorder.notice, environ={}
    )
    return NovuApi(http=http, api_url=server_url, secret_key=SECRET_KEY, key_input=KEY_INPUT)


def assert_safe(text: str) -> None:
    assert SECRET_KEY not in text
    assert BYPASS_TOKEN not in text
    assert "\n" not in text


def error_from(call: Callable[[NovuApi], Any], *replies: Reply) -> NovuApiError:
    with scripted(*replies) as server, pytest.raises(NovuApiError) as caught:
        call(api_for(server.url))
    assert_safe(str(caught.value))
    return caught.value


def sync(api: NovuApi, *, deadline: float = 5.0) -> SyncResponse:
    return api.sync(BRIDGE_URL, idempotency_key=IDEMPOTENCY_KEY, deadline=deadline)


def unknown_outcome(*replies: Reply, deadline: float = 5.0) -> tuple[SyncOutcomeUnknown, list[Received]]:
    with scripted(*replies) as server, pytest.raises(SyncOutcomeUnknown) as caught:
        sync(api_for(server.url), deadline=deadline)
    assert_safe(str(caught.value))
    return caught.value, server.received


def json_of(request: Received) -> Any:
    return json.loads(request.body)


# --- environment ---------------------------------------------------------------------------------------


def test_environment_sends_the_api_key_and_reads_the_environment() -> None:
    me = {
        "data": {
            "_id": "66a1",
            "name": "Production",
            "slug": "production",
            "_organizationId": "org1",
            "identifier": "abc",
            "_parentId": "66a0",
            "bridge": {"url": "https://acme.example/api/novu"},
            "echo": {"url": "https://acme.example/api/novu"},
        }
    }
    with scripted(Reply(200, me)) as server:
        environment = api_for(server.url + "/").environment()
    assert environment == EnvironmentInfo(id="66a1", name="Production", slug="production")
    [request] = server.received
    assert (request.method, request.target) == ("GET", "/v1/environments/me")
    assert request.headers["authorization"] == f"ApiKey {SECRET_KEY}"


def test_an_older_novu_names_the_environment_without_a_slug() -> None:
    with scripted(Reply(200, {"data": {"_id": "66a0", "name": "Development"}})) as server:
        environment = api_for(server.url).environment()
    assert environment == EnvironmentInfo(id="66a0", name="Development", slug=None)


@pytest.mark.parametrize(
    "reply",
    [
        Reply(404, {"statusCode": 404, "message": "Cannot GET /v1/environments/me", "error": "Not Found"}),
        Reply(405, "", headers={"Content-Type": "text/plain"}),
        ENDPOINT_UNAVAILABLE,
    ],
)
def test_environment_is_none_where_the_endpoint_is_unavailable(reply: Reply) -> None:
    with scripted(reply) as server:
        assert api_for(server.url).environment() is None


def test_an_unknown_key_names_the_input_and_both_regions() -> None:
    error = error_from(
        NovuApi.environment,
        Reply(401, {"statusCode": 401, "message": "API Key not found", "error": "Unauthorized"}),
    )
    assert isinstance(error, NovuAuthError)
    assert error.status == 401
    assert error.novu_message == "API Key not found"
    assert str(error).startswith(
        "The key in `production-secret-key` is not a valid secret key for http://127.0.0.1:"
    )
    assert 'Novu answered 401 Unauthorized: "API Key not found"' in str(error)
    assert "US https://api.novu.co or EU https://eu.api.novu.co" in str(error)


def test_another_refusal_of_the_key_names_the_call() -> None:
    error = error_from(
        NovuApi.environment, Reply(401, {"statusCode": 401, "message": 'Invalid authentication scheme: "X"'})
    )
    assert isinstance(error, NovuAuthError)
    assert "Novu refused the key in `production-secret-key` for reading the key's environment" in str(error)


# --- stored workflows ----------------------------------------------------------------------------------


def test_stored_workflows_come_from_the_diff_endpoint() -> None:
    stored = [
        {"workflowId": "welcome", "steps": [{"stepId": "s", "type": "email"}]},
        {"workflowId": "sms-alert", "steps": []},
    ]
    answer = {"data": {"current": {"workflows": stored, "bridgeUrl": "https://old"}, "new": {}}}
    with scripted(Reply(201, answer)) as server:
        found = api_for(server.url).stored_workflows(BRIDGE_URL)
    assert found is not None
    assert [d.workflow_id for d in found] == ["welcome", "sms-alert"]
    assert [d.tree() for d in found] == stored
    [request] = server.received
    assert (request.method, request.target) == ("POST", "/v1/bridge/diff")
    assert request.headers["authorization"] == f"ApiKey {SECRET_KEY}"
    assert request.body == json.dumps({"bridgeUrl": BRIDGE_URL}, separators=(",", ":")).encode()


def test_stored_entries_that_cannot_be_definitions_are_skipped() -> None:
    """Dashboard workflows never edited are stored as null; other odd entries are not definitions either."""
    stored = [
        None,
        {"workflowId": "welcome", "steps": []},
        "text",
        {"name": "no id"},
        {"workflowId": ""},
        {"workflowId": 7},
        {"workflowId": "dashboard-made", "name": "Made in the Dashboard", "steps": [{"type": "email"}]},
    ]
    answer = {"data": {"current": {"workflows": stored}}}
    with scripted(Reply(201, answer)) as server:
        found = api_for(server.url).stored_workflows(BRIDGE_URL)
    assert found is not None
    assert [d.workflow_id for d in found] == ["welcome", "dashboard-made"]


def test_a_preview_from_a_discover_file_reads_the_stored_state_without_a_bridge_url() -> None:
    answer: dict[str, object] = {"data": {"current": {"workflows": []}}}
    with scripted(Reply(201, answer)) as server:
        assert api_for(server.url).stored_workflows("") == ()
    assert server.received[0].body == b"{}"


def test_a_never_synced_environment_stores_nothing() -> None:
    never = {"statusCode": 400, "message": "Bridge URL not found", "error": "Bad Request"}
    with scripted(Reply(400, never)) as server:
        assert api_for(server.url).stored_workflows(BRIDGE_URL) == ()


@pytest.mark.parametrize(
    "reply",
    [Reply(404, {"statusCode": 404, "message": "Cannot POST /v1/bridge/diff"}), ENDPOINT_UNAVAILABLE],
)
def test_stored_workflows_is_none_without_the_diff_endpoint(reply: Reply) -> None:
    with scripted(reply) as server:
        assert api_for(server.url).stored_workflows(BRIDGE_URL) is None


def test_an_answer_of_another_shape_names_the_first_problem() -> None:
    error = error_from(lambda api: api.stored_workflows(BRIDGE_URL), Reply(201, {"data": {"new": {}}}))
    assert isinstance(error, NovuUnexpectedAnswerError)
    assert "(data.current: Field required)" in str(error)


def test_another_bad_request_from_the_diff_endpoint_is_an_error_that_keeps_the_url_secret() -> None:
    body = {"statusCode": 400, "message": f"bridgeUrl {BRIDGE_URL} must be a URL address"}
    error = error_from(lambda api: api.stored_workflows(BRIDGE_URL), Reply(400, body))
    assert error.novu_message == f"bridgeUrl {SHOWN_BRIDGE_URL} must be a URL address"


# --- the workflow list -----------------------------------------------------------------------------------


def workflow(i: int) -> dict[str, Any]:
    return {"_id": f"id{i}", "workflowId": f"wf-{i}", "name": f"Workflow {i}", "origin": "external"}


def offset_of(request: Received) -> int:
    return int(dict(parse_qsl(urlsplit(request.target).query))["offset"])


def paged_workflows(total: int, *, reported_total: int | None = None) -> Callable[[Received], Reply]:
    everything = [workflow(i) for i in range(total)]

    def answer(request: Received) -> Reply:
        params = dict(parse_qsl(urlsplit(request.target).query))
        offset, limit = int(params["offset"]), int(params["limit"])
        page = everything[offset : offset + limit]
        count = total if reported_total is None else reported_total
        return Reply(200, {"data": {"workflows": page, "totalCount": count}})

    return answer


def listing(
    reads: Sequence[Sequence[Sequence[dict[str, Any]]]], *, total: int
) -> Callable[[Received], Reply]:
    """Answers whole reads of the list in turn: ``reads[n][p]`` is page ``p`` of read ``n``."""
    pages = [page for read in reads for page in read]
    answered = 0

    def answer(request: Received) -> Reply:
        nonlocal answered
        page = pages[min(answered, len(pages) - 1)]
        answered += 1
        return Reply(200, {"data": {"workflows": list(page), "totalCount": total}})

    return answer


def test_list_workflows_reads_every_page_oldest_first() -> None:
    with ScriptedServer(paged_workflows(230)) as server:
        listed = api_for(server.url).list_workflows()
    assert listed is not None
    assert len(listed) == 230
    assert listed[0] == ListedWorkflow(workflow_id="wf-0", origin="external", name="Workflow 0")
    assert listed[-1].workflow_id == "wf-229"
    queries = [dict(parse_qsl(urlsplit(r.target).query)) for r in server.received]
    assert [q["offset"] for q in queries] == ["0", "100", "200"]
    assert all(
        q["limit"] == "100" and q["orderBy"] == "createdAt" and q["orderDirection"] == "ASC" for q in queries
    )
    assert all(urlsplit(r.target).path == "/v2/workflows" for r in server.received)


def test_list_workflows_stops_at_the_total_count() -> None:
    with ScriptedServer(paged_workflows(200)) as server:
        listed = api_for(server.url).list_workflows()
    assert listed is not None
    assert len(listed) == 200
    assert len(server.received) == 2


def test_an_empty_environment_lists_nothing_in_one_request() -> None:
    with ScriptedServer(paged_workflows(0)) as server:
        assert api_for(server.url).list_workflows() == ()
    assert len(server.received) == 1


def test_a_workflow_repeated_across_pages_is_listed_once_and_the_skipped_one_found_on_a_second_read() -> None:
    """Novu sorts on createdAt alone: a sync's workflows share it, so offset paging can repeat and skip."""
    everything = [workflow(i) for i in range(150)]
    shuffled = [*everything[:99], everything[100], everything[99], *everything[101:]]
    first_read = [everything[:100], [everything[99], *everything[101:]]]  # wf-99 twice, wf-100 never
    second_read = [shuffled[:100], shuffled[100:]]
    with ScriptedServer(listing([first_read, second_read], total=150)) as server:
        listed = api_for(server.url).list_workflows()
    assert listed is not None
    assert sorted(w.workflow_id for w in listed) == sorted(f"wf-{i}" for i in range(150))
    assert [offset_of(r) for r in server.received] == [0, 100, 0, 100]


def test_duplicates_are_told_apart_by_their_database_id() -> None:
    """Two entries with one workflowId but two _ids are two workflows (the count says so)."""
    page = [
        {"_id": "a", "workflowId": "welcome", "origin": "external"},
        {"_id": "a", "workflowId": "welcome", "origin": "external"},
        {"_id": "b", "workflowId": "welcome", "origin": "novu-cloud"},
    ]
    with ScriptedServer(listing([[page]], total=2)) as server:
        listed = api_for(server.url).list_workflows()
    assert listed == (
        ListedWorkflow(workflow_id="welcome", origin="external"),
        ListedWorkflow(workflow_id="welcome", origin="novu-cloud"),
    )


def test_a_count_that_keeps_moving_is_an_error_after_five_reads() -> None:
    with (
        ScriptedServer(paged_workflows(30, reported_total=500)) as server,
        pytest.raises(NovuUnexpectedAnswerError) as caught,
    ):
        api_for(server.url).list_workflows()
    assert len(server.received) == 5  # one short page per read
    assert str(caught.value) == (
        "The environment's workflow list did not hold still while it was read 5 times (it reported 500, then "
        "500, then 500, then 500, then 500 workflows; 30 were seen): someone or something is changing the "
        "environment right now. Re-run the job when it is done; a plan from a moving list could miss a "
        "deletion."
    )
    assert caught.value.status is None


def test_reads_that_each_skip_a_different_workflow_complete_each_other() -> None:
    """Ties in createdAt come back in another order on each request: two reads see all three between them."""
    reads = [[[workflow(0), workflow(1)]], [[workflow(1), workflow(2)]]]
    with ScriptedServer(listing(reads, total=3)) as server:
        listed = api_for(server.url).list_workflows()
    assert listed is not None
    assert sorted(w.workflow_id for w in listed) == ["wf-0", "wf-1", "wf-2"]
    assert len(server.received) == 2


def test_a_count_that_settles_is_believed_on_the_next_read() -> None:
    reads = [[[workflow(0), workflow(1)]], [[workflow(0), workflow(1), workflow(2)]]]
    with ScriptedServer(listing(reads, total=3)) as server:
        listed = api_for(server.url).list_workflows()
    assert listed is not None
    assert [w.workflow_id for w in listed] == ["wf-0", "wf-1", "wf-2"]
    assert len(server.received) == 2


def test_dashboard_workflows_keep_their_origin() -> None:
    page = {
        "data": {
            "workflows": [
                {"_id": "1", "workflowId": "welcome", "origin": "novu-cloud", "name": "Welcome", "new": 1},
                {"workflowId": "legacy"},
            ],
            "totalCount": 2,
        }
    }
    with scripted(Reply(200, page)) as server:
        assert api_for(server.url).list_workflows() == (
            ListedWorkflow(workflow_id="welcome", origin="novu-cloud", name="Welcome"),
            ListedWorkflow(workflow_id="legacy"),
        )


@pytest.mark.parametrize(
    "reply", [ENDPOINT_UNAVAILABLE, Reply(404, {"statusCode": 404, "message": "Cannot GET /v2/workflows"})]
)
def test_list_workflows_is_none_where_novu_does_not_list_them_to_an_api_key(reply: Reply) -> None:
    with scripted(reply) as server:
        assert api_for(server.url).list_workflows() is None


def test_list_messages_and_zod_errors_are_joined() -> None:
    listed = error_from(
        NovuApi.list_workflows, Reply(400, {"message": ["limit must be a number", "offset bad"]})
    )
    assert listed.novu_message == "limit must be a number; offset bad"
    zod = error_from(
        NovuApi.list_workflows, Reply(400, {"errors": [{"message": "Required", "path": ["limit"]}]})
    )
    assert zod.novu_message == "limit: Required"


# --- the environment's state ---------------------------------------------------------------------------


def by_path(diff: Reply, workflows: Reply) -> Callable[[Received], Reply]:
    def answer(request: Received) -> Reply:
        return diff if request.target.startswith("/v1/bridge/diff") else workflows

    return answer


def test_read_state_reads_the_stored_definitions_and_the_list() -> None:
    diff = Reply(201, {"data": {"current": {"workflows": [{"workflowId": "wf-0", "steps": []}]}}})
    listed = Reply(200, {"data": {"workflows": [workflow(0)], "totalCount": 1}})
    with ScriptedServer(by_path(diff, listed)) as server:
        state = api_for(server.url).read_state(BRIDGE_URL)
    assert [d.workflow_id for d in state.stored or ()] == ["wf-0"]
    assert state.listed == (ListedWorkflow(workflow_id="wf-0", origin="external", name="Workflow 0"),)


def test_read_state_makes_do_with_one_of_the_two_reads() -> None:
    listed = Reply(200, {"data": {"workflows": [workflow(0)], "totalCount": 1}})
    with ScriptedServer(by_path(Reply(404), listed)) as server:
        state = api_for(server.url).read_state(BRIDGE_URL)
    assert state.stored is None
    assert state.listed is not None


def test_read_state_without_either_read_says_the_action_cannot_plan() -> None:
    with (
        ScriptedServer(by_path(Reply(404), ENDPOINT_UNAVAILABLE)) as server,
        pytest.raises(NovuUnexpectedAnswerError) as caught,
    ):
        api_for(server.url).read_state(BRIDGE_URL)
    assert "offers neither the stored workflows (POST /v1/bridge/diff) nor the workflow list" in str(
        caught.value
    )
    assert "a self-hosted Novu must be version 2 or newer" in str(caught.value)


# --- validate ------------------------------------------------------------------------------------------


def test_validate_bridge_reports_novus_reason_without_the_token_or_laptop_advice() -> None:
    reason = (
        f"Unable to reach Bridge Endpoint at `{BRIDGE_URL}`. Run npx novu@latest dev in Local mode, "
        "or ensure your Bridge app deployment is available."
    )
    with scripted(
        Reply(201, {"data": {"isValid": True}}), Reply(201, {"data": {"isValid": False, "error": reason}})
    ) as server:
        api = api_for(server.url)
        assert api.validate_bridge(BRIDGE_URL) == BridgeValidation(is_valid=True, error=None, advice=None)
        invalid = api.validate_bridge(BRIDGE_URL)
    assert invalid.is_valid is False
    assert invalid.error == (
        f"Unable to reach Bridge Endpoint at `{SHOWN_BRIDGE_URL}`. "
        "Ensure your Bridge app deployment is available."
    )
    assert invalid.advice is not None
    assert "it must be deployed and public" in invalid.advice
    assert json_of(server.received[1]) == {"bridgeUrl": BRIDGE_URL}
    assert server.received[1].target == "/v1/bridge/validate"


@pytest.mark.parametrize(
    "reason",
    [
        'Requests to "localhost" are not allowed.',
        "Requests to private or reserved IP addresses are not allowed (resolved: 10.0.0.5).",
        "URLs with embedded credentials are not allowed.",
        "bridgeUrl is blocked by the outbound SSRF policy",
    ],
)
def test_novus_ssrf_refusals_come_with_advice_to_deploy_publicly(reason: str) -> None:
    with scripted(Reply(201, {"data": {"isValid": False, "error": reason}})) as server:
        validation = api_for(server.url).validate_bridge(BRIDGE_URL)
    assert validation.error == reason
    assert validation.advice is not None
    assert "deploy the bridge to a public URL" in validation.advice


def test_an_unknown_reason_has_no_advice() -> None:
    with scripted(Reply(201, {"data": {"isValid": False, "error": "Something new"}})) as server:
        assert api_for(server.url).validate_bridge(BRIDGE_URL) == BridgeValidation(
            is_valid=False, error="Something new", advice=None
        )


# --- sync ----------------------------------------------------------------------------------------------


SYNCED = [
    {
        "_id": "t1",
        "name": "welcome",
        "triggers": [{"type": "event", "identifier": "welcome"}],
        "origin": "external",
    },
    {"_id": "t2", "name": "SMS Alert", "rawData": {"workflowId": "sms-alert"}, "origin": "external"},
    {"_id": "t3", "name": "no id at all"},
]


def test_sync_posts_the_bridge_url_with_an_idempotency_key() -> None:
    with scripted(Reply(201, {"data": SYNCED})) as server:
        response = sync(api_for(server.url))
    assert response.data == tuple(SYNCED)
    assert response.workflow_ids == ("welcome", "sms-alert")
    [request] = server.received
    assert (request.method, request.target) == ("POST", "/v1/bridge/sync?source=githubAction")
    assert request.headers["idempotency-key"] == IDEMPOTENCY_KEY
    assert request.headers["authorization"] == f"ApiKey {SECRET_KEY}"
    assert request.headers["content-type"] == "application/json"
    assert json_of(request) == {"bridgeUrl": BRIDGE_URL}


def test_sync_names_another_source_when_told() -> None:
    with scripted(Reply(201, {"data": []})) as server:
        http = HttpClient(timeout=5.0, environ={})
        api = NovuApi(
            http=http, api_url=server.url, secret_key=SECRET_KEY, key_input=KEY_INPUT, source="cli x"
        )
        assert api.sync(BRIDGE_URL, idempotency_key=IDEMPOTENCY_KEY, deadline=5.0).workflow_ids == ()
    assert server.received[0].target == "/v1/bridge/sync?source=cli%20x"


def test_sync_resends_busy_and_rate_limited_answers_with_the_same_key() -> None:
    recorder = Recorder()
    in_progress = Reply(
        409, {"statusCode": 409, "message": "Request in progress"}, headers={"Retry-After": "1"}
    )
    limited = Reply(429, {"statusCode": 429, "message": "API rate limit exceeded"})
    with scripted(in_progress, limited, Reply(201, {"data": SYNCED})) as server:
        response = sync(api_for(server.url, recorder))
    assert response.workflow_ids == ("welcome", "sms-alert")
    assert [r.headers["idempotency-key"] for r in server.received] == [IDEMPOTENCY_KEY] * 3
    assert recorder.sleeps == [1.0, 1.0]  # Retry-After, then backoff 0.5 x 2 s
    assert recorder.notices[0] == (
        f"Novu API (POST {server.url}/v1/bridge/sync?source=REDACTED) answered 409 Conflict; "
        "retrying in 1 s (attempt 2 of 4)"
    )


def test_a_server_error_from_the_sync_is_an_unknown_outcome_after_one_request() -> None:
    """Novu may have synced before failing: sending the sync again on its own could sync twice."""
    body = {"statusCode": 503, "message": f"Bridge {BRIDGE_URL} crashed", "errorId": "e1"}
    outcome, received = unknown_outcome(Reply(503, body), Reply(201, {"data": SYNCED}))
    assert len(received) == 1
    assert outcome.reason == f'Novu answered 503 Service Unavailable: "Bridge {SHOWN_BRIDGE_URL} crashed"'


def test_a_server_error_page_from_the_sync_is_an_unknown_outcome_too() -> None:
    outcome, received = unknown_outcome(
        Reply(502, "<html>Bad gateway</html>", headers={"Content-Type": "text/html"})
    )
    assert outcome.reason == "Novu answered 502 Bad Gateway"
    assert len(received) == 1


def test_a_sync_answer_later_than_the_deadline_is_an_unknown_outcome() -> None:
    outcome, received = unknown_outcome(Reply(201, {"data": SYNCED}, delay=1.0), deadline=0.2)
    assert outcome.reason == "no answer: timed out after 0.2 s"
    assert len(received) == 1


def test_the_sync_waits_until_its_deadline_not_the_timeout_of_other_calls() -> None:
    with scripted(Reply(201, {"data": SYNCED}, delay=0.5)) as server:
        api = api_for(server.url, timeout=0.1)
        assert sync(api, deadline=3.0).workflow_ids == ("welcome", "sms-alert")
        with pytest.raises(NovuNoAnswerError, match=r"timed out after 0\.1 s"):
            api.environment()


def test_a_sync_answer_too_large_to_read_is_an_unknown_outcome() -> None:
    outcome, received = unknown_outcome(Reply(201, b" " * (MAX_BODY_BYTES + 1)))
    assert outcome.reason == "its answer was too large to read"
    assert len(received) == 1


def test_a_sync_that_cannot_connect_is_retried_and_then_says_so() -> None:
    """A refused connection never reached Novu: sending the sync again is safe."""
    recorder = Recorder()
    url = f"http://127.0.0.1:{closed_port()}"
    with pytest.raises(NovuNoAnswerError) as caught:
        sync(api_for(url, recorder))
    assert str(caught.value).startswith(f"Cannot reach the Novu API at {url}: connection refused;")
    assert len(recorder.sleeps) == 3


def test_sync_keeps_novus_message_and_adds_what_to_do() -> None:
    message = "Workflow welcome was already created in Dashboard. Please use another workflowId."
    error = error_from(sync, Reply(400, {"statusCode": 400, "message": message, "error": "Bad Request"}))
    assert type(error) is NovuApiError
    assert error.status == 400
    assert error.novu_message == message
    assert f'refused the sync (POST /v1/bridge/sync) with 400 Bad Request: "{message}"' in str(error)
    assert "rename the workflowId in code or delete the Dashboard workflow" in str(error)


def test_a_bridge_error_relayed_by_novu_drops_the_laptop_advice_and_the_bypass_token() -> None:
    message = (
        f"Unable to reach Bridge Endpoint at `{BRIDGE_URL}`. Run npx novu@latest dev in Local mode, "
        "or ensure your Bridge app deployment is available."
    )
    error = error_from(sync, Reply(400, {"statusCode": 400, "message": message}))
    assert error.novu_message == (
        f"Unable to reach Bridge Endpoint at `{SHOWN_BRIDGE_URL}`. "
        "Ensure your Bridge app deployment is available."
    )
    assert "npx novu" not in str(error)
    assert "it must be deployed and public" in str(error)


def test_an_ssrf_refusal_of_the_sync_says_to_deploy_publicly() -> None:
    error = error_from(
        sync, Reply(400, {"statusCode": 400, "message": 'Requests to "localhost" are not allowed.'})
    )
    assert "deploy the bridge to a public URL and set that URL" in str(error)


def test_validation_errors_list_each_field() -> None:
    body = {
        "statusCode": 422,
        "message": "Validation Error",
        "errors": {"bridgeUrl": {"messages": ["bridgeUrl must be a URL address"], "value": "ftp://x"}},
    }
    error = error_from(sync, Reply(422, body))
    assert error.novu_message == "Validation Error; bridgeUrl: bridgeUrl must be a URL address"


def test_forbidden_asks_for_the_environments_secret_key() -> None:
    error = error_from(sync, Reply(403, {"statusCode": 403, "message": "Insufficient permissions"}))
    assert isinstance(error, NovuForbiddenError)
    assert "The key in `production-secret-key` may not do the sync" in str(error)


def test_rate_limit_after_every_retry_says_when_to_come_back() -> None:
    limited = Reply(
        429, {"statusCode": 429, "message": "API rate limit exceeded"}, headers={"Retry-After": "5"}
    )
    error = error_from(sync, limited)
    assert isinstance(error, NovuRateLimitedError)
    assert str(error) == (
        "Novu rate-limited the sync (POST /v1/bridge/sync) "
        '(429 Too Many Requests: "API rate limit exceeded") and retrying did not help; '
        "Novu asks to wait 5 s (Retry-After). Try again later."
    )


def test_a_retry_after_beyond_the_cap_ends_at_once_and_says_so() -> None:
    with (
        scripted(
            Reply(429, {"message": "API rate limit exceeded"}, headers={"Retry-After": "900"})
        ) as server,
        pytest.raises(NovuRateLimitedError) as caught,
    ):
        sync(api_for(server.url))
    assert len(server.received) == 1
    assert "Novu asks to wait 900 s (Retry-After), longer than the 60 s the action waits" in str(caught.value)


def test_a_sync_still_in_progress_after_every_retry_says_to_wait() -> None:
    error = error_from(sync, Reply(409, {"statusCode": 409, "message": "Request in progress"}))
    assert error.status == 409
    assert "still processing an earlier request with the same Idempotency-Key for the sync" in str(error)


def test_a_sync_answer_without_a_list_is_unexpected() -> None:
    assert isinstance(error_from(sync, Reply(201, {"data": {"ok": True}})), NovuUnexpectedAnswerError)


# --- reads that fail -----------------------------------------------------------------------------------


def test_a_failing_read_is_retried_and_says_nothing_changed() -> None:
    recorder = Recorder()
    page = Reply(502, "<html>Bad gateway</html>", headers={"Content-Type": "text/html"})
    with scripted(page) as server, pytest.raises(NovuServerError) as caught:
        api_for(server.url, recorder).environment()
    assert len(server.received) == 4
    assert recorder.sleeps == [0.5, 1.0, 2.0]
    assert "502 Bad Gateway: no message (the body is not Novu's JSON; text/html)" in str(caught.value)
    assert "Nothing was changed." in str(caught.value)


def test_a_web_page_instead_of_the_api_points_at_api_url() -> None:
    error = error_from(
        NovuApi.environment, Reply(200, "<html>Novu Dashboard</html>", headers={"Content-Type": "text/html"})
    )
    assert isinstance(error, NovuUnexpectedAnswerError)
    assert "Check that `api-url` is the Novu API itself" in str(error)


def test_a_read_answer_too_large_to_read_is_unexpected() -> None:
    error = error_from(NovuApi.list_workflows, Reply(200, b" " * (MAX_BODY_BYTES + 1)))
    assert isinstance(error, NovuUnexpectedAnswerError)
    assert str(error) == (
        "The Novu API answered listing the environment's workflows (GET /v2/workflows) with more than "
        "64 MiB, the most the action reads. Split the workflows over several bridges and environments."
    )


def test_an_unreachable_api_points_at_api_url() -> None:
    url = f"http://127.0.0.1:{closed_port()}"
    recorder = Recorder()
    with pytest.raises(NovuNoAnswerError) as caught:
        api_for(url, recorder).environment()
    assert str(caught.value) == (
        f"Cannot reach the Novu API at {url}: connection refused; check `api-url` "
        "(US https://api.novu.co or EU https://eu.api.novu.co, or your self-hosted API's URL)."
    )
    assert caught.value.status is None
    assert len(recorder.sleeps) == 3


# --- agents --------------------------------------------------------------------------------------------


def test_point_agent_quotes_the_agent_id() -> None:
    with scripted(Reply(200, {"data": {"agentId": "support/bot"}})) as server:
        assert api_for(server.url).point_agent("support/bot", BRIDGE_URL) is None
    [request] = server.received
    assert (request.method, request.target) == ("PUT", "/v1/agents/support%2Fbot/bridge")
    assert json_of(request) == {"bridgeUrl": BRIDGE_URL}
    assert request.headers["authorization"] == f"ApiKey {SECRET_KEY}"


@pytest.mark.parametrize(
    "reply",
    [
        Reply(404, {"statusCode": 404, "message": 'Agent with identifier "support-bot" was not found.'}),
        Reply(404, "", headers={"Content-Type": "text/plain"}),  # agents turned off for the organisation
    ],
)
def test_an_agent_novu_does_not_know_is_returned_not_raised(reply: Reply) -> None:
    with scripted(reply) as server:
        error = api_for(server.url).point_agent("support-bot", BRIDGE_URL)
    assert isinstance(error, NovuNotFoundError)
    assert error.status == 404
    assert_safe(str(error))
    assert str(error).startswith(
        "The Novu API answered pointing an agent at the bridge (PUT /v1/agents/support-bot/bridge) with 404"
    )


def test_other_agent_failures_are_raised() -> None:
    error = error_from(
        lambda api: api.point_agent("support-bot", BRIDGE_URL),
        Reply(403, {"statusCode": 403, "message": "Insufficient permissions"}),
    )
    assert isinstance(error, NovuForbiddenError)
    assert "may not do pointing an agent at the bridge (PUT /v1/agents/support-bot/bridge)" in str(error)
