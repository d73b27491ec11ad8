"""The Novu Cloud emulator, checked against docs/novu-protocol.md (Novu's source) and a real bridge.

These tests keep the emulator honest independently of the action: plain `requests` calls, signatures
computed here with hmac, expected texts taken from the reference (and the real bridge's captured bodies).
A scripted stand-in bridge covers the failure answers a real bridge cannot be made to give.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.stand_ins.bridge_process import RunningBridge, running_bridge
from tests.stand_ins.local_server import LocalServer
from tests.stand_ins.novu_cloud import NovuCloudEmulator

DEV_KEY = "dev-secret-key-0123456789"
PROD_KEY = "prod-secret-key-9876543210"
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
DISCOVER_FIXTURE = (FIXTURES / "discover.json").read_bytes()
MISMATCH_MESSAGE = json.loads((FIXTURES / "signature-mismatch.json").read_text())["body"]["message"]
BRIDGE_WORKFLOW_IDS = ["welcome", "digest-comments", "sms-alert", "invoice-paid"]
FIXTURE_WORKFLOW_IDS = ["digest-comments", "sms-alert", "welcome"]  # discover.json, sorted


def unreachable_message(url: str) -> str:
    return (
        f"Unable to reach Bridge Endpoint at `{url}`. Run npx novu@latest dev in Local mode, "
        "or ensure your Bridge app deployment is available."
    )


# ---- helpers


def sign(secret: str, timestamp_ms: int) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp_ms}.{{}}".encode(), hashlib.sha256).hexdigest()
    return f"t={timestamp_ms},v1={digest}"


def signed_discover(bridge_url: str, secret: str) -> dict[str, Any]:
    response = requests.get(
        bridge_url,
        params={"action": "discover"},
        headers={"novu-signature": sign(secret, int(time.time() * 1000))},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    discovered: dict[str, Any] = response.json()
    return discovered


def without_unknown_schema(discovered_workflow: dict[str, Any]) -> dict[str, Any]:
    """What §6.3 says Novu stores as rawData."""
    raw = copy.deepcopy(discovered_workflow)
    for key in ("payload", "controls"):
        raw[key].pop("unknownSchema", None)
    return raw


def api(
    cloud: NovuCloudEmulator,
    method: str,
    path: str,
    *,
    key: str | None = DEV_KEY,
    body: Any = None,
    headers: dict[str, str] | None = None,
) -> requests.Response:
    all_headers = {"Authorization": f"ApiKey {key}"} if key is not None else {}
    all_headers.update(headers or {})
    return requests.request(method, cloud.base_url + path, json=body, headers=all_headers, timeout=30)


def sync(
    cloud: NovuCloudEmulator, bridge_url: str, *, key: str = DEV_KEY, **kwargs: Any
) -> requests.Response:
    return api(
        cloud,
        "POST",
        "/v1/bridge/sync?source=githubAction",
        key=key,
        body={"bridgeUrl": bridge_url},
        **kwargs,
    )


def assert_nest_error(response: requests.Response, *, status: int, message: str, path: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert body["statusCode"] == status
    assert body["message"] == message
    assert body["path"] == path
    datetime.strptime(body["timestamp"], "%Y-%m-%dT%H:%M:%S.%fZ")
    return body


def closed_port_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/api/novu"


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes
    content_type: str = "application/json"


def json_answer(status: int, body: Any) -> Answer:
    return Answer(status, json.dumps(body).encode())


class ScriptedBridge:
    """A stand-in bridge giving scripted answers (the last repeats) and recording what it received.

    With `hold`, each request waits (up to 5 s) for the event before answering; `arrived` is set on the
    first request.
    """

    def __init__(self, *answers: Answer, hold: threading.Event | None = None) -> None:
        self.answers = list(answers)
        self.received: list[tuple[str, dict[str, str]]] = []
        self.arrived = threading.Event()
        self.hold = hold
        bridge = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                bridge.received.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
                bridge.arrived.set()
                if bridge.hold is not None:
                    bridge.hold.wait(timeout=5)
                answer = bridge.answers.pop(0) if len(bridge.answers) > 1 else bridge.answers[0]
                self.send_response(answer.status)
                self.send_header("Content-Type", answer.content_type)
                self.send_header("Content-Length", str(len(answer.body)))
                self.end_headers()
                self.wfile.write(answer.body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = LocalServer(Handler, name="scripted-bridge")
        self._server.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/api/novu"

    def close(self) -> None:
        if self.hold is not None:
            self.hold.set()
        self._server.stop()


# ---- fixtures


@pytest.fixture(scope="module")
def dev_bridge() -> Iterator[RunningBridge]:
    """A strict (NODE_ENV=production) @novu/framework 2.13.2 bridge holding the Development key."""
    with running_bridge(secret_key=DEV_KEY) as bridge:
        yield bridge


@pytest.fixture(scope="module")
def prod_keyed_bridge() -> Iterator[RunningBridge]:
    """The classic mistake: a bridge deployed with the Production key, synced with the Development key."""
    with running_bridge(secret_key=PROD_KEY) as bridge:
        yield bridge


@pytest.fixture(scope="module")
def partial_bridge() -> Iterator[RunningBridge]:
    with running_bridge(secret_key=DEV_KEY, workflows=["welcome", "sms-alert"]) as bridge:
        yield bridge


@pytest.fixture(scope="module")
def empty_bridge() -> Iterator[RunningBridge]:
    with running_bridge(secret_key=DEV_KEY, workflows=()) as bridge:
        yield bridge


@pytest.fixture(scope="module")
def dev_discover(dev_bridge: RunningBridge) -> dict[str, Any]:
    return signed_discover(dev_bridge.url, DEV_KEY)


@pytest.fixture
def sleeps() -> list[float]:
    """Novu's retry back-offs, recorded instead of slept."""
    return []


def new_cloud(sleeps: list[float], **options: Any) -> NovuCloudEmulator:
    emulator = NovuCloudEmulator(sleep=sleeps.append, **options)
    emulator.add_environment("Development", api_key=DEV_KEY)
    emulator.add_environment("Production", api_key=PROD_KEY)
    return emulator


@pytest.fixture
def cloud(sleeps: list[float]) -> Iterator[NovuCloudEmulator]:
    with new_cloud(sleeps) as emulator:
        yield emulator


@pytest.fixture
def scripted() -> Iterator[Callable[..., ScriptedBridge]]:
    bridges: list[ScriptedBridge] = []

    def make(*answers: Answer, hold: threading.Event | None = None) -> ScriptedBridge:
        bridge = ScriptedBridge(*answers, hold=hold)
        bridges.append(bridge)
        return bridge

    yield make
    for bridge in bridges:
        bridge.close()


# ---- §4 basics, §5 environments


@pytest.mark.parametrize(
    ("authorization", "message", "error"),
    [
        (None, "Missing authorization header", "Unauthorized"),
        ("Basic dXNlcjpwYXNz", 'Invalid authentication scheme: "Basic"', "Unauthorized"),
        ("ApiKey wrong-key", "API Key not found", "Unauthorized"),
        ("ApiKey ", "Unauthorized", None),
        ("Bearer not-a-jwt", "Unauthorized", None),
    ],
)
@pytest.mark.parametrize(("method", "path"), [("GET", "/v1/environments/me"), ("POST", "/v1/bridge/sync")])
def test_auth_failures_are_401_with_novus_exact_messages(
    cloud: NovuCloudEmulator,
    authorization: str | None,
    message: str,
    error: str | None,
    method: str,
    path: str,
) -> None:
    headers = {"Authorization": authorization} if authorization is not None else {}
    response = api(
        cloud, method, path, key=None, headers=headers, body={"bridgeUrl": "http://x.test/api/novu"}
    )

    body = assert_nest_error(response, status=401, message=message, path=path)
    assert body.get("error") == error
    assert cloud.bridge_url("Development") is None


def test_unknown_route_is_nest_404_even_without_a_key(cloud: NovuCloudEmulator) -> None:
    response = api(cloud, "GET", "/v1/no-such-thing?x=1", key=None)

    body = assert_nest_error(
        response, status=404, message="Cannot GET /v1/no-such-thing?x=1", path="/v1/no-such-thing?x=1"
    )
    assert body["error"] == "Not Found"


def test_environments_me_identifies_the_keys_environment_without_its_keys(cloud: NovuCloudEmulator) -> None:
    development = api(cloud, "GET", "/v1/environments/me", key=DEV_KEY)
    production = api(cloud, "GET", "/v1/environments/me", key=PROD_KEY)

    assert development.status_code == production.status_code == 200
    dev_env, prod_env = development.json()["data"], production.json()["data"]
    assert (dev_env["name"], prod_env["name"]) == ("Development", "Production")
    assert prod_env["_parentId"] == dev_env["_id"]
    assert "_parentId" not in dev_env
    assert dev_env["_organizationId"] == prod_env["_organizationId"]
    assert dev_env["identifier"]
    assert dev_env["_id"] != prod_env["_id"]
    assert "bridge" not in dev_env  # never synced
    for response in (development, production):
        assert "apiKeys" not in response.json()["data"]
        assert DEV_KEY not in response.text
        assert PROD_KEY not in response.text


# ---- §6 sync


def test_sync_stores_the_real_bridges_workflows_in_discover_order(
    cloud: NovuCloudEmulator, dev_bridge: RunningBridge, dev_discover: dict[str, Any]
) -> None:
    response = sync(cloud, dev_bridge.url)

    # 201 means the strict 2.13.2 bridge accepted the emulator's signature on discover.
    assert response.status_code == 201, response.text
    documents = response.json()["data"]
    discovered = {w["workflowId"]: w for w in dev_discover["workflows"]}
    assert [doc["triggers"][0]["identifier"] for doc in documents] == list(discovered) == BRIDGE_WORKFLOW_IDS
    for doc in documents:
        source = discovered[doc["triggers"][0]["identifier"]]
        assert doc["rawData"] == without_unknown_schema(source)
        assert (doc["origin"], doc["type"], doc["active"]) == ("external", "BRIDGE", True)
        assert doc["name"] == source.get("name", source["workflowId"])
        assert doc["description"] == source.get("description", "")
        assert (doc["tags"], doc["severity"]) == (source["tags"], source["severity"])
        assert [step["stepId"] for step in doc["steps"]] == [step["stepId"] for step in source["steps"]]
        assert len(doc["_id"]) == 24
        assert int(doc["_id"], 16) >= 0
    assert documents[2]["name"] == "SMS Alert"
    assert documents[2]["severity"] == "high"
    assert documents[0]["name"] == "welcome"
    assert documents[0]["description"] == ""
    # The upserts run in parallel (§6.3): the response keeps discover order, the creation order is undefined.
    assert sorted(cloud.workflow_ids("Development")) == sorted(BRIDGE_WORKFLOW_IDS)
    assert cloud.workflow_ids("Production") == []
    assert cloud.bridge_url("Development") == dev_bridge.url
    me = api(cloud, "GET", "/v1/environments/me").json()["data"]
    assert me["bridge"] == me["echo"] == {"url": dev_bridge.url}


def test_discover_request_is_signed_as_novu_signs_it(
    sleeps: list[float], scripted: Callable[..., ScriptedBridge]
) -> None:
    """§3 test vector: secret test-secret-key at t=1700000000000 signs "<t>.{}" to 2254…f00d."""
    bridge = scripted(Answer(200, DISCOVER_FIXTURE))
    emulator = NovuCloudEmulator(sleep=sleeps.append, clock=lambda: 1_700_000_000.0)
    emulator.add_environment("Development", api_key="test-secret-key")
    with emulator:
        response = sync(emulator, f"{bridge.url}?x-vercel-protection-bypass=abc", key="test-secret-key")

    assert response.status_code == 201, response.text
    [(path, headers)] = bridge.received
    assert path == "/api/novu?x-vercel-protection-bypass=abc&action=discover"
    assert headers["novu-signature"] == (
        "t=1700000000000,v1=2254412395c724a8c0af3c5d2c3ff787d8aa6b9c0b8c5cedd111e7e41444f00d"
    )
    assert "x-novu-signature" not in headers
    assert headers["bypass-tunnel-reminder"] == "true"
    assert "content-length" not in headers  # a GET without a body


def test_sync_replaces_an_action_already_in_the_bridge_url(
    cloud: NovuCloudEmulator, scripted: Callable[..., ScriptedBridge]
) -> None:
    bridge = scripted(Answer(200, DISCOVER_FIXTURE))

    assert sync(cloud, f"{bridge.url}?action=health-check&token=t").status_code == 201
    assert bridge.received[0][0] == "/api/novu?action=discover&token=t"


def test_resync_updates_in_place_and_soft_deletes_what_the_bridge_dropped(
    cloud: NovuCloudEmulator, dev_bridge: RunningBridge, partial_bridge: RunningBridge
) -> None:
    cloud.seed_workflow("Development", workflow_id="made-in-dashboard", origin="novu-cloud")  # v1, REGULAR
    cloud.seed_dashboard_workflow("Development", name="New Dashboard")  # BRIDGE, origin novu-cloud
    cloud.seed_workflow("Development", workflow_id="retired-flow")  # an old Framework workflow
    cloud.seed_workflow("Development", workflow_id="pre-origin-flow", origin=None)  # synced before #6663
    first = {doc["rawData"]["workflowId"]: doc for doc in sync(cloud, dev_bridge.url).json()["data"]}

    assert sorted(cloud.workflow_ids("Development")) == sorted(
        ["made-in-dashboard", "new-dashboard", *BRIDGE_WORKFLOW_IDS]
    )

    second = sync(cloud, partial_bridge.url)

    assert second.status_code == 201
    kept = second.json()["data"]
    assert [doc["rawData"]["workflowId"] for doc in kept] == ["welcome", "sms-alert"]
    for doc in kept:
        before = first[doc["rawData"]["workflowId"]]
        assert (doc["_id"], doc["createdAt"]) == (before["_id"], before["createdAt"])
        assert [s["_id"] for s in doc["steps"]] == [s["_id"] for s in before["steps"]]
    assert sorted(cloud.workflow_ids("Development")) == [
        "made-in-dashboard",
        "new-dashboard",
        "sms-alert",
        "welcome",
    ]
    listed = api(cloud, "GET", "/v2/workflows").json()["data"]
    assert sorted(w["workflowId"] for w in listed["workflows"]) == [
        "made-in-dashboard",
        "new-dashboard",
        "sms-alert",
        "welcome",
    ]
    assert listed["totalCount"] == 4
    current = api(cloud, "POST", "/v1/bridge/diff", body={"bridgeUrl": partial_bridge.url}).json()["data"][
        "current"
    ]
    # The never-edited Dashboard workflow is BRIDGE too: its rawData is null (§7).
    assert sorted(raw["workflowId"] for raw in current["workflows"] if raw) == ["sms-alert", "welcome"]
    assert current["workflows"].count(None) == 1


def test_sync_of_a_bridge_without_workflows_deletes_every_framework_workflow(
    cloud: NovuCloudEmulator, dev_bridge: RunningBridge, empty_bridge: RunningBridge
) -> None:
    cloud.seed_workflow("Development", workflow_id="made-in-dashboard", origin="novu-cloud")
    cloud.seed_dashboard_workflow("Development", name="New Dashboard")
    sync(cloud, dev_bridge.url)

    response = sync(cloud, empty_bridge.url)

    assert response.status_code == 201
    assert response.json() == {"data": []}
    assert cloud.workflow_ids("Development") == ["made-in-dashboard", "new-dashboard"]
    assert cloud.bridge_url("Development") == empty_bridge.url


def test_dashboard_workflow_with_a_bridge_id_fails_the_whole_sync_without_writing(
    cloud: NovuCloudEmulator, dev_bridge: RunningBridge
) -> None:
    cloud.seed_workflow(
        "Development", workflow_id="sms-alert", origin="novu-cloud", name="SMS alert (Dashboard)"
    )
    before = cloud.workflows("Development")

    response = sync(cloud, dev_bridge.url)

    body = assert_nest_error(
        response,
        status=400,
        message="Workflow sms-alert was already created in Dashboard. Please use another workflowId.",
        path="/v1/bridge/sync?source=githubAction",
    )
    assert body["error"] == "Bad Request"
    assert cloud.workflows("Development") == before
    assert cloud.bridge_url("Development") is None


def test_a_workflow_without_origin_is_not_a_dashboard_clash(
    cloud: NovuCloudEmulator, dev_bridge: RunningBridge
) -> None:
    cloud.seed_workflow("Development", workflow_id="welcome", origin=None)
    [seeded] = cloud.workflows("Development")

    response = sync(cloud, dev_bridge.url)

    assert response.status_code == 201
    assert response.json()["data"][0]["_id"] == seeded["_id"]
    assert sorted(cloud.workflow_ids("Development")) == sorted(BRIDGE_WORKFLOW_IDS)


def test_bridge_running_with_another_environments_key_gives_the_bridges_mismatch_message(
    cloud: NovuCloudEmulator, prod_keyed_bridge: RunningBridge
) -> None:
    response = sync(cloud, prod_keyed_bridge.url)

    body = assert_nest_error(
        response, status=400, message=MISMATCH_MESSAGE, path="/v1/bridge/sync?source=githubAction"
    )
    assert body["error"] == "Bad Request"
    assert "code" not in body  # Novu drops the bridge's error code
    assert cloud.workflows("Development") == []
    assert cloud.bridge_url("Development") is None


def test_unreachable_bridge_is_retried_once_after_two_seconds_then_400(
    cloud: NovuCloudEmulator, sleeps: list[float]
) -> None:
    url = closed_port_url()

    response = sync(cloud, url)

    assert_nest_error(
        response, status=400, message=unreachable_message(url), path="/v1/bridge/sync?source=githubAction"
    )
    assert sleeps == [2.0]


def test_bridge_slower_than_the_timeout_gives_the_timeout_message(
    sleeps: list[float], scripted: Callable[..., ScriptedBridge]
) -> None:
    bridge = scripted(Answer(200, DISCOVER_FIXTURE), hold=threading.Event())
    with new_cloud(sleeps, bridge_timeout=0.2) as emulator:
        response = sync(emulator, bridge.url)

    assert_nest_error(
        response,
        status=400,
        message=f"Bridge request timeout for `{bridge.url}`",
        path="/v1/bridge/sync?source=githubAction",
    )
    assert len(bridge.received) == 2
    assert sleeps == [2.0]


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (Answer(200, b"<html>Vercel login</html>", "text/html"), "Maximum redirects exceeded for `{url}`"),
        (Answer(200, b""), "Invalid Bridge URL Response"),
        (Answer(200, b"null"), "Invalid Bridge URL Response"),
        (Answer(404, b"<pre>Cannot GET /api/novu</pre>", "text/html"), unreachable_message("{url}")),
        (
            Answer(405, b"Method Not Allowed", "text/plain"),
            "Bridge Endpoint at `{url}` is not correctly configured. Ensure your `@novu/framework` "
            "integration exposes the `POST`, `GET`, and `OPTIONS` methods.",
        ),
        (
            Answer(502, b"Bad Gateway", "text/plain"),
            "Could not connect to Bridge Endpoint at `{url}`. "
            "Make sure you are running your local app server.",
        ),
        (
            json_answer(401, {"message": "Signature expired.", "code": "SignatureExpiredError"}),
            "Signature expired.",
        ),
        (
            json_answer(418, {"message": "not a framework error"}),
            "Unknown bridge request error calling `{url}`",
        ),
    ],
)
def test_bridge_failures_are_flattened_to_400_with_novus_messages(
    cloud: NovuCloudEmulator,
    scripted: Callable[..., ScriptedBridge],
    answer: Answer,
    expected: str,
    sleeps: list[float],
) -> None:
    bridge = scripted(answer)

    response = sync(cloud, bridge.url)

    assert_nest_error(
        response,
        status=400,
        message=expected.format(url=bridge.url),
        path="/v1/bridge/sync?source=githubAction",
    )
    assert sleeps == []
    assert len(bridge.received) == 1
    assert cloud.workflows("Development") == []


def test_retryable_bridge_error_is_retried_once(
    cloud: NovuCloudEmulator, scripted: Callable[..., ScriptedBridge], sleeps: list[float]
) -> None:
    failing = scripted(json_answer(500, {"message": "boom", "code": "BridgeError", "data": {"stack": "…"}}))
    recovering = scripted(json_answer(503, {"message": "cold start"}), Answer(200, DISCOVER_FIXTURE))

    assert_nest_error(
        sync(cloud, failing.url), status=400, message="boom", path="/v1/bridge/sync?source=githubAction"
    )
    assert sync(cloud, recovering.url).status_code == 201
    assert len(failing.received) == len(recovering.received) == 2
    assert sleeps == [2.0, 2.0]


def test_discover_answer_without_workflows_crashes_novu_with_500(
    cloud: NovuCloudEmulator, scripted: Callable[..., ScriptedBridge]
) -> None:
    bridge = scripted(json_answer(200, {}))

    response = sync(cloud, bridge.url)

    body = assert_nest_error(
        response,
        status=500,
        message="Internal server error, contact support and provide them with the errorId",
        path="/v1/bridge/sync?source=githubAction",
    )
    assert body["errorId"]


def test_sync_rejects_a_bridge_url_that_is_not_http(cloud: NovuCloudEmulator) -> None:
    bad_scheme = sync(cloud, "ftp://bridge.example.com/api/novu")
    missing = api(cloud, "POST", "/v1/bridge/sync", body={})

    assert bad_scheme.status_code == 422
    assert bad_scheme.json()["message"] == "Validation Error"
    assert bad_scheme.json()["errors"]["bridgeUrl"]["value"] == "ftp://bridge.example.com/api/novu"
    assert missing.status_code == 400
    assert "bridgeUrl" in missing.json()["cause"]


# ---- §7 diff


def test_diff_before_the_first_sync_is_bridge_url_not_found(cloud: NovuCloudEmulator) -> None:
    response = api(cloud, "POST", "/v1/bridge/diff", body={"bridgeUrl": "https://app.example.com/api/novu"})

    body = assert_nest_error(response, status=400, message="Bridge URL not found", path="/v1/bridge/diff")
    assert body["error"] == "Bad Request"


def test_diff_after_sync_returns_raw_data_without_unknown_schema(
    cloud: NovuCloudEmulator, dev_bridge: RunningBridge, dev_discover: dict[str, Any]
) -> None:
    cloud.seed_workflow("Development", workflow_id="made-in-dashboard", origin="novu-cloud")
    sync(cloud, dev_bridge.url)
    request_body = {"bridgeUrl": "https://preview.example.com/api/novu"}

    response = api(cloud, "POST", "/v1/bridge/diff", body=request_body)

    assert response.status_code == 201
    data = response.json()["data"]
    assert data["new"] == request_body
    assert data["current"]["bridgeUrl"] == dev_bridge.url
    by_id = {raw["workflowId"]: raw for raw in data["current"]["workflows"]}  # a v1 workflow has no rawData
    assert by_id == {w["workflowId"]: without_unknown_schema(w) for w in dev_discover["workflows"]}
    for raw in data["current"]["workflows"]:
        assert "unknownSchema" not in raw["payload"]
        assert "unknownSchema" not in raw["controls"]


def test_diff_reads_stored_state_and_never_calls_the_bridge(
    cloud: NovuCloudEmulator, scripted: Callable[..., ScriptedBridge]
) -> None:
    bridge = scripted(Answer(200, DISCOVER_FIXTURE))
    sync(cloud, bridge.url)

    api(cloud, "POST", "/v1/bridge/diff", body={"bridgeUrl": bridge.url})

    assert len(bridge.received) == 1


# ---- §8 validate


def test_validate_reports_a_reachable_bridge_as_valid(
    cloud: NovuCloudEmulator, dev_bridge: RunningBridge
) -> None:
    response = api(cloud, "POST", "/v1/bridge/validate", body={"bridgeUrl": dev_bridge.url})

    assert response.status_code == 201
    assert response.json() == {"data": {"isValid": True}}


def test_validate_health_check_is_signed_like_every_bridge_request(
    sleeps: list[float], scripted: Callable[..., ScriptedBridge]
) -> None:
    """ExecuteBridgeRequest signs every request, health-check included (§3, §8)."""
    bridge = scripted(Answer(200, (FIXTURES / "health.json").read_bytes()))
    emulator = NovuCloudEmulator(sleep=sleeps.append, clock=lambda: 1_700_000_000.0)
    emulator.add_environment("Development", api_key="test-secret-key")
    with emulator:
        answer = api(
            emulator, "POST", "/v1/bridge/validate", key="test-secret-key", body={"bridgeUrl": bridge.url}
        )

    assert answer.json() == {"data": {"isValid": True}}
    [(path, headers)] = bridge.received
    assert path == "/api/novu?action=health-check"
    assert headers["novu-signature"] == (
        "t=1700000000000,v1=2254412395c724a8c0af3c5d2c3ff787d8aa6b9c0b8c5cedd111e7e41444f00d"
    )


def test_validate_reports_an_unreachable_bridge_as_invalid_with_the_reason(cloud: NovuCloudEmulator) -> None:
    url = closed_port_url()

    response = api(cloud, "POST", "/v1/bridge/validate", body={"bridgeUrl": url})

    assert response.status_code == 201
    assert response.json() == {"data": {"isValid": False, "error": unreachable_message(url)}}


@pytest.mark.parametrize(
    "body", [{}, {"bridgeUrl": "ftp://bridge.example.com/api/novu"}, {"bridgeUrl": "not a url"}]
)
def test_validate_rejects_a_missing_or_ill_formed_url_with_422(
    cloud: NovuCloudEmulator, body: dict[str, Any]
) -> None:
    response = api(cloud, "POST", "/v1/bridge/validate", body=body)

    assert response.status_code == 422
    assert response.json()["message"] == "Validation Error"
    assert response.json()["errors"]["bridgeUrl"]["messages"] == ["bridgeUrl must be a URL address"]


def test_a_bridge_cloud_cannot_reach_fails_validate_and_sync_alike(
    cloud: NovuCloudEmulator, dev_bridge: RunningBridge
) -> None:
    cloud.set_bridge_reachable(False)

    validate = api(cloud, "POST", "/v1/bridge/validate", body={"bridgeUrl": dev_bridge.url})
    synced = sync(cloud, dev_bridge.url)

    assert validate.json() == {"data": {"isValid": False, "error": unreachable_message(dev_bridge.url)}}
    assert synced.status_code == 400
    assert synced.json()["message"] == unreachable_message(dev_bridge.url)
    cloud.set_bridge_reachable(True)
    assert sync(cloud, dev_bridge.url).status_code == 201


# ---- §9 v2 list


def test_v2_list_pages_through_every_workflow_with_a_total_count(
    sleeps: list[float], dev_bridge: RunningBridge
) -> None:
    """With ties in a stable order (not what MongoDB promises, see the tie tests below) offsets add up."""
    with new_cloud(sleeps, shuffle_ties=False) as cloud:
        for number in range(7):
            cloud.seed_dashboard_workflow("Development", name=f"Dashboard {number}")
        sync(cloud, dev_bridge.url)

        pages = [
            api(cloud, "GET", f"/v2/workflows?limit=4&offset={offset}").json()["data"] for offset in (0, 4, 8)
        ]

    assert [len(page["workflows"]) for page in pages] == [4, 4, 3]
    assert {page["totalCount"] for page in pages} == {11}
    listed = [item for page in pages for item in page["workflows"]]
    assert sorted(item["workflowId"] for item in listed) == sorted(
        [f"dashboard-{n}" for n in range(7)] + BRIDGE_WORKFLOW_IDS
    )
    origins = {item["workflowId"]: item["origin"] for item in listed}
    assert origins["welcome"] == "external"
    assert origins["dashboard-0"] == "novu-cloud"
    for item in listed:
        assert {
            "_id",
            "workflowId",
            "slug",
            "name",
            "tags",
            "status",
            "origin",
            "updatedAt",
            "createdAt",
        } <= set(item)


def test_v2_list_defaults_to_50_and_refuses_a_limit_above_100(cloud: NovuCloudEmulator) -> None:
    for number in range(120):
        cloud.seed_workflow("Development", workflow_id=f"wf-{number}", origin="novu-cloud")

    default = api(cloud, "GET", "/v2/workflows").json()["data"]
    too_many = api(cloud, "GET", "/v2/workflows?limit=500")
    last = api(cloud, "GET", "/v2/workflows?limit=100&offset=100").json()["data"]

    assert (len(default["workflows"]), default["totalCount"]) == (50, 120)
    assert too_many.status_code == 422
    assert too_many.json()["errors"]["limit"]["messages"] == ["limit must not be greater than 100"]
    assert len(last["workflows"]) == 20


# ---- §11 idempotency


def test_idempotent_replay_returns_the_cached_answer_without_calling_the_bridge_again(
    cloud: NovuCloudEmulator, scripted: Callable[..., ScriptedBridge]
) -> None:
    cloud.set_idempotency(True)  # the organisation's IS_API_IDEMPOTENCY_ENABLED flag (§11)
    bridge = scripted(Answer(200, DISCOVER_FIXTURE))
    key = {"Idempotency-Key": "run-1-attempt-1-development"}

    first = sync(cloud, bridge.url, headers=key)
    second = sync(cloud, bridge.url, headers=key)

    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    assert (
        first.headers["Idempotency-Key"] == second.headers["Idempotency-Key"] == "run-1-attempt-1-development"
    )
    assert "Idempotency-Replay" not in first.headers
    assert second.headers["Idempotency-Replay"] == "true"
    assert len(bridge.received) == 1


def test_idempotent_replay_repeats_a_cached_error(
    cloud: NovuCloudEmulator, scripted: Callable[..., ScriptedBridge]
) -> None:
    cloud.set_idempotency(True)  # the organisation's IS_API_IDEMPOTENCY_ENABLED flag (§11)
    bridge = scripted(json_answer(401, {"message": MISMATCH_MESSAGE, "code": "SignatureMismatchError"}))
    key = {"Idempotency-Key": "k-error"}

    first = sync(cloud, bridge.url, headers=key)
    second = sync(cloud, bridge.url, headers=key)

    assert first.status_code == second.status_code == 400
    assert first.json()["message"] == second.json()["message"] == MISMATCH_MESSAGE
    assert second.headers["Idempotency-Replay"] == "true"
    assert len(bridge.received) == 1


def test_same_key_with_another_body_is_422(
    cloud: NovuCloudEmulator, scripted: Callable[..., ScriptedBridge]
) -> None:
    cloud.set_idempotency(True)  # the organisation's IS_API_IDEMPOTENCY_ENABLED flag (§11)
    bridge = scripted(Answer(200, DISCOVER_FIXTURE))
    sync(cloud, bridge.url, headers={"Idempotency-Key": "k-body"})

    response = sync(cloud, f"{bridge.url}?other=1", headers={"Idempotency-Key": "k-body"})

    assert_nest_error(
        response,
        status=422,
        message='Request with key "k-body" is being reused for a different body',
        path="/v1/bridge/sync?source=githubAction",
    )
    assert response.headers["Idempotency-Key"] == "k-body"


def test_same_key_while_the_first_request_is_in_flight_is_409_retry_after_1(
    cloud: NovuCloudEmulator, scripted: Callable[..., ScriptedBridge]
) -> None:
    cloud.set_idempotency(True)  # the organisation's IS_API_IDEMPOTENCY_ENABLED flag (§11)
    release = threading.Event()
    bridge = scripted(Answer(200, DISCOVER_FIXTURE), hold=release)
    results: list[requests.Response] = []
    first = threading.Thread(
        target=lambda: results.append(sync(cloud, bridge.url, headers={"Idempotency-Key": "k-flight"}))
    )
    first.start()
    assert bridge.arrived.wait(timeout=10)

    concurrent = sync(cloud, bridge.url, headers={"Idempotency-Key": "k-flight"})
    release.set()
    first.join(timeout=10)

    body = assert_nest_error(
        concurrent,
        status=409,
        message='Request with key "k-flight" is currently being processed. Please retry after 1 second',
        path="/v1/bridge/sync?source=githubAction",
    )
    assert body["error"] == "Conflict"
    assert concurrent.headers["Retry-After"] == "1"
    assert concurrent.headers["Idempotency-Key"] == "k-flight"
    assert [r.status_code for r in results] == [201]


def test_idempotency_key_longer_than_255_characters_is_400(
    cloud: NovuCloudEmulator, scripted: Callable[..., ScriptedBridge]
) -> None:
    cloud.set_idempotency(True)  # the organisation's IS_API_IDEMPOTENCY_ENABLED flag (§11)
    bridge = scripted(Answer(200, DISCOVER_FIXTURE))
    too_long = "k" * 256

    rejected = sync(cloud, bridge.url, headers={"Idempotency-Key": too_long})
    accepted = sync(cloud, bridge.url, headers={"Idempotency-Key": "k" * 255})

    assert_nest_error(
        rejected,
        status=400,
        message=f'idempotencyKey "{too_long}" has exceeded the maximum allowed length of 255 characters',
        path="/v1/bridge/sync?source=githubAction",
    )
    assert accepted.status_code == 201
    assert len(bridge.received) == 1


def test_idempotency_keys_are_scoped_to_the_organisation_not_the_environment(
    cloud: NovuCloudEmulator, scripted: Callable[..., ScriptedBridge]
) -> None:
    """Why a key must name the environment: the same key and body under the Production key is a replay."""
    cloud.set_idempotency(True)  # the organisation's IS_API_IDEMPOTENCY_ENABLED flag (§11)
    bridge = scripted(Answer(200, DISCOVER_FIXTURE))
    sync(cloud, bridge.url, key=DEV_KEY, headers={"Idempotency-Key": "run-1"})

    production = sync(cloud, bridge.url, key=PROD_KEY, headers={"Idempotency-Key": "run-1"})

    assert production.headers["Idempotency-Replay"] == "true"
    assert cloud.workflow_ids("Production") == []
    assert cloud.bridge_url("Production") is None


# ---- faults, agents, misc


def test_injected_503s_come_first_and_are_recorded(
    cloud: NovuCloudEmulator, scripted: Callable[..., ScriptedBridge]
) -> None:
    cloud.set_idempotency(True)  # the organisation's IS_API_IDEMPOTENCY_ENABLED flag (§11)
    bridge = scripted(Answer(200, DISCOVER_FIXTURE))
    cloud.fail_next("POST", "/v1/bridge/sync", status=503, times=2)

    statuses = [sync(cloud, bridge.url, headers={"Idempotency-Key": "k-503"}) for _ in range(3)]

    assert [r.status_code for r in statuses] == [503, 503, 201]
    assert statuses[0].json()["message"] == "Service Unavailable"
    assert "Idempotency-Replay" not in statuses[2].headers  # the gateway's 503s never reached the API
    assert len(cloud.requests_to("POST", "/v1/bridge/sync")) == 3
    assert len(bridge.received) == 1


def test_injected_429_carries_retry_after_and_rate_limit_headers(cloud: NovuCloudEmulator) -> None:
    cloud.fail_next("GET", "/v1/environments/me", status=429)

    limited = api(cloud, "GET", "/v1/environments/me")
    after = api(cloud, "GET", "/v1/environments/me")

    assert_nest_error(limited, status=429, message="API rate limit exceeded", path="/v1/environments/me")
    assert limited.headers["Retry-After"] == "1"
    assert limited.headers["RateLimit-Remaining"] == "0"
    assert after.status_code == 200


def test_injected_fault_uses_the_given_body_and_headers_even_without_a_key(cloud: NovuCloudEmulator) -> None:
    cloud.fail_next("GET", "/v2/workflows", status=500, body={"oops": True}, headers={"Retry-After": "7"})

    response = api(cloud, "GET", "/v2/workflows?limit=10", key=None)

    assert response.status_code == 500
    assert response.json() == {"oops": True}
    assert response.headers["Retry-After"] == "7"


def test_removed_endpoint_answers_404_as_if_the_api_lacked_it(
    cloud: NovuCloudEmulator, dev_bridge: RunningBridge
) -> None:
    sync(cloud, dev_bridge.url)
    cloud.remove_endpoint("POST", "/v1/bridge/diff")

    response = api(cloud, "POST", "/v1/bridge/diff", body={"bridgeUrl": dev_bridge.url})

    assert_nest_error(response, status=404, message="Cannot POST /v1/bridge/diff", path="/v1/bridge/diff")
    assert api(cloud, "GET", "/v2/workflows").status_code == 200


def test_agents_answer_a_bare_404_while_the_organisation_lacks_conversational_agents(
    cloud: NovuCloudEmulator,
) -> None:
    """AgentConversationEnabledGuard throws `new NotFoundException()`: no `error`, no agent name (§12)."""
    cloud.add_agent("Development", "support-bot")

    response = api(cloud, "PUT", "/v1/agents/support-bot/bridge", body={"bridgeUrl": "https://a.example/api"})

    body = assert_nest_error(response, status=404, message="Not Found", path="/v1/agents/support-bot/bridge")
    assert "error" not in body
    assert cloud.agent_bridge_urls("Development") == {}


def test_agent_bridge_url_is_set_on_an_existing_agent(cloud: NovuCloudEmulator) -> None:
    cloud.set_conversational_agents(True)
    agent_id = cloud.add_agent("Development", "support-bot", name="Support bot")

    response = api(
        cloud, "PUT", "/v1/agents/support-bot/bridge", body={"bridgeUrl": "https://app.example.com/api/novu"}
    )

    assert response.status_code == 200
    agent = response.json()["data"]
    assert agent["_id"] == agent_id
    assert (agent["identifier"], agent["name"], agent["active"]) == ("support-bot", "Support bot", True)
    assert agent["bridgeUrl"] == "https://app.example.com/api/novu"
    assert {"_environmentId", "_organizationId", "createdAt", "updatedAt"} <= set(agent)
    assert cloud.agent_bridge_urls("Development") == {"support-bot": "https://app.example.com/api/novu"}
    assert cloud.agent_bridge_urls("Production") == {}
    [recorded] = cloud.requests_to("PUT", "/v1/agents/")
    assert recorded.body == {"bridgeUrl": "https://app.example.com/api/novu"}
    assert recorded.headers["authorization"] == f"ApiKey {DEV_KEY}"


def test_agent_that_does_not_exist_is_404_with_its_identifier(cloud: NovuCloudEmulator) -> None:
    cloud.set_conversational_agents(True)

    response = api(cloud, "PUT", "/v1/agents/ghost/bridge", body={"bridgeUrl": "https://app.example.com/x"})

    body = assert_nest_error(
        response,
        status=404,
        message='Agent with identifier "ghost" was not found.',
        path="/v1/agents/ghost/bridge",
    )
    assert body["error"] == "Not Found"


@pytest.mark.parametrize(
    ("key", "body", "status", "message"),
    [
        (DEV_KEY, {"bridgeUrl": "not a url"}, 422, "Validation Error"),
        (DEV_KEY, {}, 400, "At least one field must be provided."),
        (
            PROD_KEY,
            {"devBridgeUrl": "https://x.example/api"},
            403,
            "Dev bridge settings cannot be modified in production environments.",
        ),
    ],
)
def test_agent_bridge_update_refusals(
    cloud: NovuCloudEmulator, key: str, body: dict[str, Any], status: int, message: str
) -> None:
    cloud.set_conversational_agents(True)
    cloud.add_agent("Development", "support-bot")
    cloud.add_agent("Production", "support-bot")

    response = api(cloud, "PUT", "/v1/agents/support-bot/bridge", key=key, body=body)

    assert response.status_code == status
    assert response.json()["message"] == message
    assert cloud.agent_bridge_urls("Development") == cloud.agent_bridge_urls("Production") == {}


def test_command_line_prints_the_url_and_writes_state_without_keys(tmp_path: Path) -> None:
    state_file = tmp_path / "state.json"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.stand_ins.novu_cloud",
            "--port",
            "0",
            "--environment",
            f"Development={DEV_KEY}",
            "--environment",
            f"Production={PROD_KEY}",
            "--state-file",
            str(state_file),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])},
    )
    try:
        assert process.stdout is not None
        base_url = process.stdout.readline().strip()
        me = requests.get(
            f"{base_url}/v1/environments/me", headers={"Authorization": f"ApiKey {PROD_KEY}"}, timeout=10
        )
        assert me.json()["data"]["name"] == "Production"
    finally:
        process.send_signal(signal.SIGTERM)
        stdout, stderr = process.communicate(timeout=10)

    assert process.returncode == 0, stderr
    state_text = state_file.read_text()
    state = json.loads(state_text)
    assert [env["name"] for env in state["environments"]] == ["Development", "Production"]
    assert state["requests"][0]["headers"]["authorization"] == "[redacted]"
    for text in (base_url + stdout, stderr, state_text):
        assert DEV_KEY not in text
        assert PROD_KEY not in text


def test_seed_synced_stores_what_a_sync_would_store():
    served = json.loads((Path(__file__).parents[1] / "fixtures" / "discover.json").read_text())["workflows"]
    emulator = NovuCloudEmulator()
    emulator.add_environment("Development", api_key="sk_seed")
    base = emulator.start()
    try:
        emulator.seed_synced("Development", served, bridge_url="https://b.example.com/api/novu")
        answer = requests.post(
            f"{base}/v1/bridge/diff",
            json={"bridgeUrl": "https://b.example.com/api/novu"},
            headers={"Authorization": "ApiKey sk_seed"},
            timeout=5,
        )
    finally:
        emulator.stop()
    current = answer.json()["data"]["current"]
    assert current["bridgeUrl"] == "https://b.example.com/api/novu"
    assert [w["workflowId"] for w in current["workflows"]] == [w["workflowId"] for w in served]
    assert all("unknownSchema" not in w["payload"] for w in current["workflows"])


# ---- §10 Dashboard and v1 workflows, §9 computed origins


def test_new_dashboard_workflows_are_bridge_type_with_null_raw_data_until_edited(
    cloud: NovuCloudEmulator, dev_bridge: RunningBridge
) -> None:
    untouched = cloud.seed_dashboard_workflow("Development", name="Order Shipped")
    edited = cloud.seed_dashboard_workflow(
        "Development", name="Password reset", step_types=("email", "sms"), edited=True
    )
    cloud.seed_v1_workflow("Development", workflow_id="legacy-v1")
    sync(cloud, dev_bridge.url)

    docs = {doc["triggers"][0]["identifier"]: doc for doc in cloud.workflows("Development")}
    current = api(cloud, "POST", "/v1/bridge/diff", body={}).json()["data"]["current"]["workflows"]

    assert (untouched, edited) == ("order-shipped", "password-reset")
    assert (docs[untouched]["type"], docs[untouched]["origin"]) == ("BRIDGE", "novu-cloud")
    assert "rawData" not in docs[untouched]
    assert docs["legacy-v1"]["type"] == "REGULAR"
    assert "origin" not in docs["legacy-v1"]
    assert len(current) == 6  # 4 framework + 2 Dashboard; the REGULAR one is not BRIDGE/ECHO
    assert current.count(None) == 1
    [dashboard_body] = [raw for raw in current if raw and "steps" in raw and "stepId" not in raw["steps"][0]]
    assert dashboard_body["workflowId"] == "password-reset"
    assert dashboard_body["name"] == "Password reset"
    assert [step["type"] for step in dashboard_body["steps"]] == ["email", "sms"]
    assert all({"_id", "name", "type", "controlValues"} == set(step) for step in dashboard_body["steps"])
    assert "payload" not in dashboard_body


@pytest.mark.parametrize(
    ("seed", "origin"),
    [
        (lambda c: c.seed_workflow("Development", workflow_id="wf"), "external"),
        (lambda c: c.seed_workflow("Development", workflow_id="wf", origin=None), "external"),
        (lambda c: c.seed_dashboard_workflow("Development", name="wf"), "novu-cloud"),
        (lambda c: c.seed_v1_workflow("Development", workflow_id="wf"), "novu-cloud-v1"),
        (
            lambda c: c.seed_v1_workflow("Development", workflow_id="wf", stored_origin="novu-cloud"),
            "novu-cloud-v1",
        ),
        (lambda c: c.seed_v1_workflow("Development", workflow_id="wf", stored_type=None), "novu-cloud-v1"),
    ],
    ids=["external", "framework-before-origins", "dashboard", "v1", "v1-with-origin", "v1-without-type"],
)
def test_v2_list_computes_the_origin_as_novu_does(
    cloud: NovuCloudEmulator, seed: Callable[[NovuCloudEmulator], Any], origin: str
) -> None:
    seed(cloud)

    [item] = api(cloud, "GET", "/v2/workflows").json()["data"]["workflows"]

    assert item["origin"] == origin


def test_v2_list_item_has_the_fields_of_novus_list_dto(
    cloud: NovuCloudEmulator, dev_bridge: RunningBridge
) -> None:
    """The newest toMinifiedWorkflowDto; tests/contract validates the same with @novu/api's own schema."""
    sync(cloud, dev_bridge.url)
    cloud.seed_dashboard_workflow("Development", name="Order Shipped", step_types=("in_app", "email"))

    listed = {w["workflowId"]: w for w in api(cloud, "GET", "/v2/workflows").json()["data"]["workflows"]}

    welcome, dashboard = listed["welcome"], listed["order-shipped"]
    for item in listed.values():
        assert {"_id", "workflowId", "slug", "name", "origin", "updatedAt", "createdAt", "status"} <= set(
            item
        )
        assert item["lastPublishedAt"] == ""
        assert item["isTranslationEnabled"] is False
        assert item["stepTypeOverviews"] == [step["type"] for step in item["steps"]]
    assert welcome["slug"].startswith("welcome_wf_")
    assert [step["type"] for step in welcome["steps"]] == ["in_app", "email"]
    assert welcome["steps"][0]["slug"].startswith("welcome-inbox_st_")
    assert dashboard["slug"].startswith("order-shipped_wf_")
    assert [step["type"] for step in dashboard["steps"]] == ["in_app", "email"]


def test_sync_takes_over_a_v1_workflow_without_a_stored_origin(
    cloud: NovuCloudEmulator, dev_bridge: RunningBridge, partial_bridge: RunningBridge
) -> None:
    cloud.seed_v1_workflow("Development", workflow_id="welcome")
    [before] = cloud.workflows("Development")

    response = sync(cloud, dev_bridge.url)

    assert response.status_code == 201
    [after] = [doc for doc in cloud.workflows("Development") if doc["triggers"][0]["identifier"] == "welcome"]
    assert after["_id"] == before["_id"]
    assert (after["type"], after["rawData"]["workflowId"]) == ("BRIDGE", "welcome")
    assert "origin" not in after  # the update command sets no origin
    listed = {
        w["workflowId"]: w["origin"] for w in api(cloud, "GET", "/v2/workflows").json()["data"]["workflows"]
    }
    assert listed["welcome"] == "external"
    # Taken over, it is a Framework workflow: a bridge that drops it deletes it.
    cloud.seed_v1_workflow("Development", workflow_id="legacy-v1")
    sync(cloud, f"{partial_bridge.url}")
    assert sorted(cloud.workflow_ids("Development")) == ["legacy-v1", "sms-alert", "welcome"]


@pytest.mark.parametrize(
    "seed",
    [
        lambda c: c.seed_dashboard_workflow("Development", name="sms-alert"),
        lambda c: c.seed_v1_workflow("Development", workflow_id="sms-alert", stored_origin="novu-cloud"),
        lambda c: c.seed_v1_workflow("Development", workflow_id="sms-alert", stored_origin="novu-cloud-v1"),
    ],
    ids=["new-dashboard", "v1-with-novu-cloud", "v1-with-novu-cloud-v1"],
)
def test_a_stored_origin_other_than_external_is_a_clash(
    cloud: NovuCloudEmulator, dev_bridge: RunningBridge, seed: Callable[[NovuCloudEmulator], Any]
) -> None:
    seed(cloud)
    before = cloud.workflows("Development")

    response = sync(cloud, dev_bridge.url)

    assert response.status_code == 400
    assert response.json()["message"] == (
        "Workflow sms-alert was already created in Dashboard. Please use another workflowId."
    )
    assert cloud.workflows("Development") == before


def test_parallel_upserts_have_no_defined_order_but_the_answer_keeps_discover_order(
    sleeps: list[float], dev_bridge: RunningBridge
) -> None:
    orders = set()
    for seed in range(6):
        with new_cloud(sleeps, seed=seed) as cloud:
            answer = sync(cloud, dev_bridge.url).json()["data"]
            assert [doc["triggers"][0]["identifier"] for doc in answer] == BRIDGE_WORKFLOW_IDS
            orders.add(tuple(cloud.workflow_ids("Development")))

    assert len(orders) > 1


# ---- §9 paging: ties on createdAt, old self-hosted


def _seed_tied(cloud: NovuCloudEmulator, count: int) -> None:
    for number in range(count):
        cloud.seed_v1_workflow(
            "Development", workflow_id=f"wf-{number:02d}", created_at="2026-01-01T00:00:00.000Z"
        )


def test_equal_created_at_come_back_in_a_new_order_on_every_request(cloud: NovuCloudEmulator) -> None:
    _seed_tied(cloud, 30)

    orders = {
        tuple(w["workflowId"] for w in api(cloud, "GET", "/v2/workflows").json()["data"]["workflows"])
        for _ in range(3)
    }

    assert len(orders) == 3


def test_offset_paging_over_ties_repeats_and_skips_so_clients_must_deduplicate(
    cloud: NovuCloudEmulator,
) -> None:
    _seed_tied(cloud, 30)

    pages = [
        api(cloud, "GET", f"/v2/workflows?limit=10&offset={offset}").json()["data"] for offset in (0, 10, 20)
    ]

    listed = [item for page in pages for item in page["workflows"]]
    unique = {item["_id"] for item in listed}
    assert len(listed) == pages[0]["totalCount"] == 30
    assert len(unique) < 30  # duplicates, and as many skips: only totalCount tells
    assert len(unique) < pages[0]["totalCount"]


def test_stable_ties_when_asked(sleeps: list[float]) -> None:
    with new_cloud(sleeps, shuffle_ties=False) as cloud:
        _seed_tied(cloud, 30)
        pages = [api(cloud, "GET", f"/v2/workflows?limit=10&offset={o}").json()["data"] for o in (0, 10, 20)]

    assert len({item["_id"] for page in pages for item in page["workflows"]}) == 30


def test_old_self_hosted_api_refuses_api_keys_on_the_v2_list(sleeps: list[float]) -> None:
    with new_cloud(sleeps, v2_workflows_external=False) as cloud:
        refused = api(cloud, "GET", "/v2/workflows?limit=100&offset=0")
        wrong_key = api(cloud, "GET", "/v2/workflows", key="not-a-key")
        me = api(cloud, "GET", "/v1/environments/me")

    body = assert_nest_error(
        refused, status=401, message="API endpoint not available", path="/v2/workflows?limit=100&offset=0"
    )
    assert body["error"] == "Unauthorized"
    assert wrong_key.json()["message"] == "API endpoint not available"  # checked before the key
    assert me.status_code == 200


# ---- §5 environments list


def test_environment_list_shows_only_the_callers_key(cloud: NovuCloudEmulator) -> None:
    response = api(cloud, "GET", "/v1/environments", key=DEV_KEY)

    assert response.status_code == 200
    development, production = response.json()["data"]
    assert (development["name"], production["name"]) == ("Development", "Production")
    assert [key["key"] for key in development["apiKeys"]] == [DEV_KEY]
    assert production["apiKeys"] == []
    assert development["type"] == production["type"] == "dev"  # IS_NEW_CHANGE_MECHANISM_ENABLED off
    assert development["slug"].startswith("dev_env_")
    assert production["slug"].startswith("prod_env_")
    assert production["_parentId"] == development["_id"]


# ---- §11 idempotency is off unless the organisation's flag is on


def test_without_the_flag_an_idempotency_key_is_ignored_and_a_resent_sync_runs_again(
    cloud: NovuCloudEmulator, scripted: Callable[..., ScriptedBridge]
) -> None:
    bridge = scripted(Answer(200, DISCOVER_FIXTURE))
    key = {"Idempotency-Key": "k" * 300}

    first = sync(cloud, bridge.url, headers=key)
    second = sync(cloud, bridge.url, headers=key)

    assert first.status_code == second.status_code == 201
    assert "Idempotency-Key" not in second.headers
    assert "Idempotency-Replay" not in second.headers
    assert len(bridge.received) == 2


def test_a_cached_5xx_replays_as_internal_server_error(
    cloud: NovuCloudEmulator, scripted: Callable[..., ScriptedBridge]
) -> None:
    """idempotency-http-error.ts restores a cached 5xx as InternalServerErrorException (§11)."""
    cloud.set_idempotency(True)
    bridge = scripted(Answer(200, DISCOVER_FIXTURE))
    cloud.fail_next_sync("before")
    key = {"Idempotency-Key": "k-500"}

    first = sync(cloud, bridge.url, headers=key)
    replay = sync(cloud, bridge.url, headers=key)

    assert first.status_code == replay.status_code == 500
    assert (
        first.json()["message"] == "Internal server error, contact support and provide them with the errorId"
    )
    assert replay.json()["message"] == {"message": "Internal Server Error", "statusCode": 500}
    assert replay.json()["errorId"] != first.json()["errorId"]
    assert replay.headers["Idempotency-Replay"] == "true"
    assert bridge.received == []
    assert cloud.workflows("Development") == []


def test_a_rate_limited_request_is_not_cached(
    cloud: NovuCloudEmulator, scripted: Callable[..., ScriptedBridge]
) -> None:
    """The throttler answers before the idempotency interceptor runs (§11)."""
    cloud.set_idempotency(True)
    bridge = scripted(Answer(200, DISCOVER_FIXTURE))
    cloud.fail_next("POST", "/v1/bridge/sync", status=429)
    key = {"Idempotency-Key": "k-429"}

    limited = sync(cloud, bridge.url, headers=key)
    retried = sync(cloud, bridge.url, headers=key)

    assert (limited.status_code, retried.status_code) == (429, 201)
    assert "Idempotency-Replay" not in retried.headers


# ---- §6.5 slow, failed and partial syncs


def test_a_sync_slower_than_the_client_is_still_applied_and_in_flight(
    cloud: NovuCloudEmulator, scripted: Callable[..., ScriptedBridge]
) -> None:
    cloud.set_idempotency(True)
    bridge = scripted(Answer(200, DISCOVER_FIXTURE))
    cloud.delay_next_sync(1.0)
    headers = {"Authorization": f"ApiKey {DEV_KEY}", "Idempotency-Key": "k-slow"}
    url = cloud.base_url + "/v1/bridge/sync"

    with pytest.raises(requests.ReadTimeout):
        requests.post(url, json={"bridgeUrl": bridge.url}, headers=headers, timeout=0.3)
    in_flight = requests.post(url, json={"bridgeUrl": bridge.url}, headers=headers, timeout=5)
    time.sleep(0.9)
    replay = requests.post(url, json={"bridgeUrl": bridge.url}, headers=headers, timeout=5)

    assert sorted(cloud.workflow_ids("Development")) == FIXTURE_WORKFLOW_IDS
    assert (in_flight.status_code, in_flight.headers["Retry-After"]) == (409, "1")
    assert (replay.status_code, replay.headers["Idempotency-Replay"]) == (201, "true")
    assert len(bridge.received) == 1


def test_a_sync_whose_answer_is_lost_is_applied_all_the_same(
    cloud: NovuCloudEmulator, scripted: Callable[..., ScriptedBridge]
) -> None:
    bridge = scripted(Answer(200, DISCOVER_FIXTURE))
    cloud.delay_next_sync(0, answer=False)

    with pytest.raises(requests.ConnectionError):
        sync(cloud, bridge.url)

    assert sorted(cloud.workflow_ids("Development")) == FIXTURE_WORKFLOW_IDS
    assert cloud.bridge_url("Development") == bridge.url


def test_a_sync_failing_before_it_applies_changes_nothing(
    cloud: NovuCloudEmulator, scripted: Callable[..., ScriptedBridge]
) -> None:
    bridge = scripted(Answer(200, DISCOVER_FIXTURE))
    cloud.fail_next_sync("before")
    cloud.fail_next_sync("before", status=502)

    own = sync(cloud, bridge.url)
    gateway = sync(cloud, bridge.url, key="not-even-checked")

    assert own.status_code == 500
    assert own.json()["errorId"]
    assert gateway.status_code == 502
    assert bridge.received == []
    assert cloud.workflows("Development") == []
    assert cloud.bridge_url("Development") is None


def test_a_sync_failing_after_it_applied_has_changed_everything(
    cloud: NovuCloudEmulator, scripted: Callable[..., ScriptedBridge]
) -> None:
    cloud.seed_workflow("Development", workflow_id="retired-flow")
    bridge = scripted(Answer(200, DISCOVER_FIXTURE))
    cloud.fail_next_sync("after")

    response = sync(cloud, bridge.url)

    assert response.status_code == 500
    assert sorted(cloud.workflow_ids("Development")) == ["digest-comments", "sms-alert", "welcome"]
    assert cloud.bridge_url("Development") == bridge.url


def test_a_gateway_5xx_after_the_sync_hides_a_success_that_idempotency_replays(
    cloud: NovuCloudEmulator, scripted: Callable[..., ScriptedBridge]
) -> None:
    cloud.set_idempotency(True)
    bridge = scripted(Answer(200, DISCOVER_FIXTURE))
    cloud.fail_next_sync("after", status=504)
    key = {"Idempotency-Key": "k-504"}

    timed_out = sync(cloud, bridge.url, headers=key)
    retried = sync(cloud, bridge.url, headers=key)

    assert timed_out.status_code == 504
    assert (retried.status_code, retried.headers["Idempotency-Replay"]) == (201, "true")
    assert len(retried.json()["data"]) == 3
    assert len(bridge.received) == 1


def test_a_sync_stopping_halfway_stores_some_upserts_and_deletes_nothing(
    cloud: NovuCloudEmulator, dev_bridge: RunningBridge
) -> None:
    cloud.seed_workflow(
        "Development", workflow_id="retired-flow", synced_from="https://old.example.com/api/novu"
    )
    cloud.fail_next_sync("halfway")

    response = sync(cloud, dev_bridge.url)

    assert response.status_code == 500
    held = cloud.workflow_ids("Development")
    assert "retired-flow" in held
    assert len(set(held) & set(BRIDGE_WORKFLOW_IDS)) == 2
    assert cloud.bridge_url("Development") == "https://old.example.com/api/novu"
    assert sync(cloud, dev_bridge.url).status_code == 201
    assert sorted(cloud.workflow_ids("Development")) == sorted(BRIDGE_WORKFLOW_IDS)


# ---- §3.3 bridge signing secret


def test_a_bridge_signing_secret_signs_novus_bridge_calls_instead_of_the_api_key(
    sleeps: list[float], scripted: Callable[..., ScriptedBridge]
) -> None:
    bridge = scripted(Answer(200, (FIXTURES / "health.json").read_bytes()), Answer(200, DISCOVER_FIXTURE))
    emulator = NovuCloudEmulator(sleep=sleeps.append, clock=lambda: 1_700_000_000.0)
    emulator.add_environment("Development", api_key="sk_api_key", bridge_signing_secret="test-secret-key")
    with emulator:
        api(emulator, "POST", "/v1/bridge/validate", key="sk_api_key", body={"bridgeUrl": bridge.url})
        sync(emulator, bridge.url, key="sk_api_key")

    expected = "t=1700000000000,v1=2254412395c724a8c0af3c5d2c3ff787d8aa6b9c0b8c5cedd111e7e41444f00d"
    assert [headers["novu-signature"] for _, headers in bridge.received] == [expected, expected]


def test_a_real_bridge_keyed_with_the_signing_secret_accepts_the_sync_but_not_a_key_signed_discover(
    sleeps: list[float], prod_keyed_bridge: RunningBridge
) -> None:
    """The bridge holds PROD_KEY as NOVU_SECRET_KEY; here that is Development's signing secret."""
    emulator = NovuCloudEmulator(sleep=sleeps.append)
    emulator.add_environment("Development", api_key=DEV_KEY, bridge_signing_secret=PROD_KEY)
    with emulator:
        response = sync(emulator, prod_keyed_bridge.url)
        emulator.set_bridge_signing_secret("Development", None)
        fallback = sync(emulator, prod_keyed_bridge.url)

    assert response.status_code == 201, response.text
    assert fallback.status_code == 400
    assert fallback.json()["message"] == MISMATCH_MESSAGE


# ---- §13 SSRF policy


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://localhost:4000/api/novu", 'Requests to "localhost" are not allowed.'),
        (
            "http://127.0.0.1:4000/api/novu",
            "Requests to private or reserved IP addresses are not allowed (resolved: 127.0.0.1).",
        ),
        (
            "http://10.1.2.3/api/novu",
            "Requests to private or reserved IP addresses are not allowed (resolved: 10.1.2.3).",
        ),
        ("https://user:pass@bridge.example.com/api/novu", "URLs with embedded credentials are not allowed."),
    ],
)
def test_ssrf_policy_refuses_sync_with_400_and_validate_as_invalid(
    sleeps: list[float], url: str, message: str
) -> None:
    with new_cloud(sleeps, ssrf_policy=True) as cloud:
        synced = sync(cloud, url)
        validated = api(cloud, "POST", "/v1/bridge/validate", body={"bridgeUrl": url})
        cloud.set_conversational_agents(True)
        cloud.add_agent("Development", "bot")
        agent = api(cloud, "PUT", "/v1/agents/bot/bridge", body={"bridgeUrl": url})

    assert_nest_error(synced, status=400, message=message, path="/v1/bridge/sync?source=githubAction")
    assert validated.status_code == 201
    assert validated.json() == {"data": {"isValid": False, "error": message}}
    assert (agent.status_code, agent.json()["message"]) == (400, f"bridgeUrl: {message}")


def test_ssrf_policy_is_off_by_default_for_local_bridges(
    cloud: NovuCloudEmulator, dev_bridge: RunningBridge
) -> None:
    assert dev_bridge.url.startswith("http://127.0.0.1:")
    assert sync(cloud, dev_bridge.url).status_code == 201
