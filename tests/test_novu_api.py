"""Novu API client over real HTTP: requests as Novu expects them, answers parsed, Novu's own words kept."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

from novu_action.http import HttpClient
from novu_action.novu_api import (
    BridgeValidation,
    EnvironmentInfo,
    NovuApi,
    NovuApiError,
    NovuAuthError,
    NovuForbiddenError,
    NovuRateLimitedError,
    NovuServerError,
    NovuUnexpectedAnswerError,
    NovuUnreachableError,
)
from novu_action.plan import ListedWorkflow
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
KEY_INPUT = "`production-secret-key`"
BRIDGE_URL = f"https://acme.vercel.app/api/novu?x-vercel-protection-bypass={BYPASS_TOKEN}"
IDEMPOTENCY_KEY = "novu-sync-action:acme/notifications:1234:1:Production"


def api_for(server_url: str, recorder: Recorder | None = None) -> NovuApi:
    recorder = recorder or Recorder()
    http = HttpClient(timeout=5.0, sleep=recorder.sleep, random=lambda: 0.5, on_retry=recorder.notice)
    return NovuApi(http=http, api_url=server_url, secret_key=SECRET_KEY, key_input=KEY_INPUT)


def error_from(call: Callable[[NovuApi], Any], *replies: Reply) -> NovuApiError:
    with scripted(*replies) as server, pytest.raises(NovuApiError) as caught:
        call(api_for(server.url))
    text = str(caught.value)
    assert SECRET_KEY not in text
    assert BYPASS_TOKEN not in text
    assert "\n" not in text
    return caught.value


def sync(api: NovuApi) -> Any:
    return api.sync(BRIDGE_URL, idempotency_key=IDEMPOTENCY_KEY)


def json_of(request: Received) -> Any:
    return json.loads(request.body)


# --- environment ---------------------------------------------------------------------------------------


def test_environment_sends_the_api_key_and_reads_the_environment() -> None:
    me = {
        "data": {
            "_id": "66a1",
            "name": "Production",
            "_organizationId": "org1",
            "identifier": "abc",
            "_parentId": "66a0",
            "bridge": {"url": "https://acme.example/api/novu"},
            "echo": {"url": "https://acme.example/api/novu"},
        }
    }
    with scripted(Reply(200, me)) as server:
        environment = api_for(server.url + "/").environment()
    assert environment == EnvironmentInfo(
        id="66a1", name="Production", parent_id="66a0", bridge_url="https://acme.example/api/novu"
    )
    [request] = server.received
    assert (request.method, request.target) == ("GET", "/v1/environments/me")
    assert request.headers["authorization"] == f"ApiKey {SECRET_KEY}"


def test_a_never_synced_development_environment_has_no_parent_or_bridge() -> None:
    with scripted(Reply(200, {"data": {"_id": "66a0", "name": "Development"}})) as server:
        environment = api_for(server.url).environment()
    assert environment == EnvironmentInfo(id="66a0", name="Development", parent_id=None, bridge_url=None)


@pytest.mark.parametrize(
    "reply",
    [
        Reply(404, {"statusCode": 404, "message": "Cannot GET /v1/environments/me", "error": "Not Found"}),
        Reply(405, "", headers={"Content-Type": "text/plain"}),
        Reply(401, {"statusCode": 401, "message": "API endpoint not available"}),
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


# --- stored and listed workflows -----------------------------------------------------------------------


def test_stored_workflows_come_from_the_diff_endpoint() -> None:
    stored = [{"workflowId": "welcome", "steps": []}, {"workflowId": "sms-alert", "steps": []}]
    answer = {"data": {"current": {"workflows": stored, "bridgeUrl": "https://old"}, "new": {}}}
    with scripted(Reply(201, answer)) as server:
        found = api_for(server.url).stored_workflows(BRIDGE_URL)
    assert found == stored
    [request] = server.received
    assert (request.method, request.target) == ("POST", "/v1/bridge/diff")
    assert request.body == json.dumps({"bridgeUrl": BRIDGE_URL}, separators=(",", ":")).encode()


def test_a_never_synced_environment_stores_nothing() -> None:
    never = {"statusCode": 400, "message": "Bridge URL not found", "error": "Bad Request"}
    with scripted(Reply(400, never)) as server:
        assert api_for(server.url).stored_workflows(BRIDGE_URL) == []


def test_stored_workflows_is_none_without_the_diff_endpoint() -> None:
    with scripted(Reply(404, {"statusCode": 404, "message": "Cannot POST /v1/bridge/diff"})) as server:
        assert api_for(server.url).stored_workflows(BRIDGE_URL) is None


def paged_workflows(total: int, *, reported_total: int | None = None) -> Callable[[Received], Reply]:
    everything = [
        {"_id": f"id{i}", "workflowId": f"wf-{i}", "name": f"Workflow {i}", "origin": "external"}
        for i in range(total)
    ]

    def answer(request: Received) -> Reply:
        params = dict(parse_qsl(urlsplit(request.target).query))
        offset, limit = int(params["offset"]), int(params["limit"])
        page = everything[offset : offset + limit]
        count = total if reported_total is None else reported_total
        return Reply(200, {"data": {"workflows": page, "totalCount": count}})

    return answer


def test_list_workflows_reads_every_page_oldest_first() -> None:
    with ScriptedServer(paged_workflows(230)) as server:
        listed = api_for(server.url).list_workflows()
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
        assert len(api_for(server.url).list_workflows()) == 200
    assert len(server.received) == 2


def test_list_workflows_stops_at_a_short_page_even_if_the_count_says_more() -> None:
    with ScriptedServer(paged_workflows(30, reported_total=500)) as server:
        listed = api_for(server.url).list_workflows()
    assert [w.workflow_id for w in listed] == [f"wf-{i}" for i in range(30)]
    assert len(server.received) == 1


def test_dashboard_workflows_keep_their_origin() -> None:
    page = {
        "data": {
            "workflows": [
                {"workflowId": "welcome", "origin": "novu-cloud", "name": "Welcome"},
                {"workflowId": "legacy"},
            ],
            "totalCount": 2,
        }
    }
    with scripted(Reply(200, page)) as server:
        assert api_for(server.url).list_workflows() == [
            ListedWorkflow(workflow_id="welcome", origin="novu-cloud", name="Welcome"),
            ListedWorkflow(workflow_id="legacy"),
        ]


# --- validate, sync, agents ----------------------------------------------------------------------------


def test_validate_bridge_reports_novus_reason_without_the_token() -> None:
    reason = (
        f"Unable to reach Bridge Endpoint at `{BRIDGE_URL}`. Ensure your Bridge app deployment is available."
    )
    with scripted(
        Reply(201, {"data": {"isValid": True}}), Reply(201, {"data": {"isValid": False, "error": reason}})
    ) as server:
        api = api_for(server.url)
        assert api.validate_bridge(BRIDGE_URL) == BridgeValidation(is_valid=True, error=None)
        invalid = api.validate_bridge(BRIDGE_URL)
    assert invalid.is_valid is False
    assert invalid.error == (
        "Unable to reach Bridge Endpoint at "
        "`https://acme.vercel.app/api/novu?x-vercel-protection-bypass=REDACTED`. "
        "Ensure your Bridge app deployment is available."
    )
    assert json_of(server.received[1]) == {"bridgeUrl": BRIDGE_URL}


SYNCED = [
    {
        "_id": "t1",
        "name": "welcome",
        "triggers": [{"type": "event", "identifier": "welcome"}],
        "origin": "external",
    },
    {"_id": "t2", "name": "SMS Alert", "rawData": {"workflowId": "sms-alert"}, "origin": "external"},
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


def test_sync_retries_busy_and_failing_answers_with_the_same_key() -> None:
    recorder = Recorder()
    in_progress = Reply(
        409, {"statusCode": 409, "message": "Request in progress"}, headers={"Retry-After": "1"}
    )
    with scripted(
        in_progress,
        Reply(503, "<html>down</html>", headers={"Content-Type": "text/html"}),
        Reply(201, {"data": SYNCED}),
    ) as server:
        response = sync(api_for(server.url, recorder))
    assert response.workflow_ids == ("welcome", "sms-alert")
    assert [r.headers["idempotency-key"] for r in server.received] == [IDEMPOTENCY_KEY] * 3
    assert recorder.sleeps == [1.0, 1.0]
    assert recorder.notices[0] == (
        f"Novu API (POST {server.url}/v1/bridge/sync?source=REDACTED) answered 409 Conflict; "
        "retrying in 1 s (attempt 2 of 4)"
    )


def test_sync_keeps_novus_message_and_adds_what_to_do() -> None:
    message = "Workflow welcome was already created in Dashboard. Please use another workflowId."
    error = error_from(sync, Reply(400, {"statusCode": 400, "message": message, "error": "Bad Request"}))
    assert type(error) is NovuApiError
    assert error.status == 400
    assert error.novu_message == message
    assert f'refused the sync (POST /v1/bridge/sync) with 400 Bad Request: "{message}"' in str(error)
    assert "rename the workflowId in code or delete the Dashboard workflow" in str(error)


def test_a_bridge_error_relayed_by_novu_does_not_leak_the_bypass_token() -> None:
    message = f"Unable to reach Bridge Endpoint at `{BRIDGE_URL}`. Run npx novu@latest dev in Local mode."
    error = error_from(sync, Reply(400, {"statusCode": 400, "message": message}))
    assert "x-vercel-protection-bypass=REDACTED" in str(error)
    assert "it must be deployed and public" in str(error)


def test_validation_errors_list_each_field() -> None:
    body = {
        "statusCode": 422,
        "message": "Validation Error",
        "errors": {"bridgeUrl": {"messages": ["bridgeUrl must be a URL address"], "value": "ftp://x"}},
    }
    error = error_from(sync, Reply(422, body))
    assert error.novu_message == "Validation Error; bridgeUrl: bridgeUrl must be a URL address"


def test_list_messages_and_zod_errors_are_joined() -> None:
    listed = error_from(
        NovuApi.list_workflows, Reply(400, {"message": ["limit must be a number", "offset bad"]})
    )
    assert listed.novu_message == "limit must be a number; offset bad"
    zod = error_from(
        NovuApi.list_workflows, Reply(400, {"errors": [{"message": "Required", "path": ["limit"]}]})
    )
    assert zod.novu_message == "limit: Required"


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


def test_a_failing_sync_says_repeating_it_is_safe() -> None:
    recorder = Recorder()
    with (
        scripted(
            Reply(500, {"statusCode": 500, "message": "Internal server error", "errorId": "e1"})
        ) as server,
        pytest.raises(NovuServerError) as caught,
    ):
        sync(api_for(server.url, recorder))
    assert len(server.received) == 4
    assert recorder.sleeps == [0.5, 1.0, 2.0]
    assert '500 Internal Server Error: "Internal server error"' in str(caught.value)
    assert "this run's retries reused one Idempotency-Key" in str(caught.value)


def test_a_failing_read_says_nothing_changed() -> None:
    error = error_from(
        NovuApi.environment, Reply(502, "<html>Bad gateway</html>", headers={"Content-Type": "text/html"})
    )
    assert isinstance(error, NovuServerError)
    assert "502 Bad Gateway: no message (the body is not Novu's JSON; text/html)" in str(error)
    assert "Nothing was changed." in str(error)


def test_a_web_page_instead_of_the_api_points_at_api_url() -> None:
    error = error_from(
        NovuApi.environment, Reply(200, "<html>Novu Dashboard</html>", headers={"Content-Type": "text/html"})
    )
    assert isinstance(error, NovuUnexpectedAnswerError)
    assert "Check that `api-url` is the Novu API itself" in str(error)


def test_an_answer_of_another_shape_names_the_first_problem() -> None:
    error = error_from(lambda api: api.stored_workflows(BRIDGE_URL), Reply(201, {"data": {"new": {}}}))
    assert isinstance(error, NovuUnexpectedAnswerError)
    assert "(data.current: Field required)" in str(error)


def test_a_sync_answer_without_a_list_is_unexpected() -> None:
    assert isinstance(error_from(sync, Reply(201, {"data": {"ok": True}})), NovuUnexpectedAnswerError)


def test_an_unreachable_api_points_at_api_url() -> None:
    url = f"http://127.0.0.1:{closed_port()}"
    recorder = Recorder()
    with pytest.raises(NovuUnreachableError) as caught:
        api_for(url, recorder).environment()
    assert str(caught.value) == (
        f"Cannot reach the Novu API at {url}: connection refused; check `api-url` "
        "(US https://api.novu.co or EU https://eu.api.novu.co, or your self-hosted API's URL)."
    )
    assert caught.value.status is None
    assert len(recorder.sleeps) == 3


def test_point_agent_quotes_the_agent_id() -> None:
    with scripted(Reply(200, {"data": {"agentId": "support/bot"}})) as server:
        api_for(server.url).point_agent("support/bot", BRIDGE_URL)
    [request] = server.received
    assert (request.method, request.target) == ("PUT", "/v1/agents/support%2Fbot/bridge")
    assert json_of(request) == {"bridgeUrl": BRIDGE_URL}


def test_an_agent_that_cannot_be_pointed_is_an_error_with_novus_message() -> None:
    error = error_from(
        lambda api: api.point_agent("support-bot", BRIDGE_URL),
        Reply(404, {"statusCode": 404, "message": "Agent not found"}),
    )
    assert error.status == 404
    assert "pointing agent 'support-bot' at the bridge (PUT /v1/agents/support-bot/bridge)" in str(error)
    assert '"Agent not found"' in str(error)
