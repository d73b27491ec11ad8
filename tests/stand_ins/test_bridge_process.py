"""The launcher starts the real example bridge, and that bridge answers as novu-protocol.md says."""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.stand_ins.bridge_process import BridgeStartError, RunningBridge, running_bridge, start_bridge

SECRET_KEY = "test-secret"
ALL_WORKFLOW_IDS = ["welcome", "digest-comments", "sms-alert", "invoice-paid"]
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def signature_header(secret_key: str) -> dict[str, str]:
    timestamp_ms = int(time.time() * 1000)
    digest = hmac.new(secret_key.encode(), f"{timestamp_ms}.{{}}".encode(), hashlib.sha256).hexdigest()
    return {"novu-signature": f"t={timestamp_ms},v1={digest}"}


def discover(bridge: RunningBridge, headers: dict[str, str] | None = None) -> requests.Response:
    return requests.get(bridge.url, params={"action": "discover"}, headers=headers, timeout=5)


def health_check(bridge: RunningBridge) -> requests.Response:
    return requests.get(bridge.url, params={"action": "health-check"}, timeout=5)


def workflow_ids(response: requests.Response) -> list[str]:
    return [workflow["workflowId"] for workflow in response.json()["workflows"]]


@pytest.fixture(scope="module")
def strict_bridge() -> Iterator[RunningBridge]:
    with running_bridge(secret_key=SECRET_KEY) as bridge:
        yield bridge


@pytest.fixture(scope="module")
def non_strict_bridge() -> Iterator[RunningBridge]:
    # A developer's shell may carry these; the launcher must not let them make the bridge strict.
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("NODE_ENV", "production")
        patch.setenv("NOVU_STRICT_AUTHENTICATION_ENABLED", "true")
        with running_bridge(secret_key=SECRET_KEY, node_env=None) as bridge:
            yield bridge


def test_strict_bridge_health_check_counts_all_workflows_and_steps(strict_bridge: RunningBridge) -> None:
    response = health_check(strict_bridge)

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["discovered"] == {"workflows": 4, "steps": 6}


def test_strict_bridge_url_is_loopback_api_novu(strict_bridge: RunningBridge) -> None:
    assert strict_bridge.url.startswith("http://127.0.0.1:")
    assert strict_bridge.url.endswith("/api/novu")
    assert strict_bridge.secret_key == SECRET_KEY


def test_strict_bridge_rejects_unsigned_discover(strict_bridge: RunningBridge) -> None:
    response = discover(strict_bridge)

    assert response.status_code == 401
    assert response.json() == json.loads((FIXTURES / "signature-missing.json").read_text())["body"]


def test_strict_bridge_rejects_discover_signed_with_another_key(strict_bridge: RunningBridge) -> None:
    response = discover(strict_bridge, signature_header("the-production-key"))

    assert response.status_code == 401
    assert response.json()["code"] == "SignatureMismatchError"


def test_strict_bridge_serves_all_workflows_to_signed_discover(strict_bridge: RunningBridge) -> None:
    response = discover(strict_bridge, signature_header(SECRET_KEY))

    assert response.status_code == 200
    assert workflow_ids(response) == ALL_WORKFLOW_IDS
    assert response.json()["agents"] == []


def test_bridge_reports_framework_sdk_version_in_header(strict_bridge: RunningBridge) -> None:
    response = health_check(strict_bridge)

    assert response.headers["novu-framework-sdk"] == "2.13.2"
    assert response.headers["novu-framework-server"] == "express"


def test_committed_example_discover_fixture_matches_what_the_bridge_serves(
    strict_bridge: RunningBridge,
) -> None:
    served = discover(strict_bridge, signature_header(SECRET_KEY)).json()
    committed = json.loads((FIXTURES / "example-bridge-discover.json").read_text())

    # Serialised Zod internals (unknownSchema, options) change once Zod has parsed anything; ignore them.
    assert without_zod_internals(served) == without_zod_internals(committed)


def without_zod_internals(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            key: without_zod_internals(item)
            for key, item in value.items()
            if key not in {"unknownSchema", "options"}
        }
    if isinstance(value, list):
        return [without_zod_internals(item) for item in value]
    return value


def test_selected_workflows_only_are_served() -> None:
    with running_bridge(secret_key=SECRET_KEY, workflows=("welcome", "sms-alert")) as bridge:
        response = discover(bridge, signature_header(SECRET_KEY))
        health = health_check(bridge).json()

    assert workflow_ids(response) == ["welcome", "sms-alert"]
    assert health["discovered"] == {"workflows": 2, "steps": 3}


def test_empty_selection_serves_no_workflow_and_stop_ends_the_process() -> None:
    port = free_port()
    with running_bridge(secret_key=SECRET_KEY, workflows=(), port=port) as bridge:
        response = discover(bridge, signature_header(SECRET_KEY))

        assert bridge.url == f"http://127.0.0.1:{port}/api/novu"
        assert response.status_code == 200
        assert response.json() == {"workflows": [], "agents": []}

    assert bridge.process.returncode == 0
    with pytest.raises(requests.ConnectionError):
        health_check(bridge)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def test_non_strict_bridge_answers_unsigned_discover(non_strict_bridge: RunningBridge) -> None:
    response = discover(non_strict_bridge)

    assert response.status_code == 200
    assert workflow_ids(response) == ALL_WORKFLOW_IDS


def test_unknown_workflow_id_fails_start_with_the_bridge_message() -> None:
    with pytest.raises(BridgeStartError, match=r"unknown workflow id\(s\): not-a-workflow"):
        start_bridge(secret_key=SECRET_KEY, workflows=("welcome", "not-a-workflow"))


def test_bridge_without_secret_key_fails_start_naming_the_variable() -> None:
    with pytest.raises(BridgeStartError, match="NOVU_SECRET_KEY"):
        start_bridge(secret_key=None)


def test_missing_node_modules_tells_to_run_npm_ci(tmp_path: Path) -> None:
    with pytest.raises(BridgeStartError, match="run `npm ci` in"):
        start_bridge(secret_key=SECRET_KEY, bridge_dir=tmp_path)


def test_another_bridge_script_runs_strict_on_the_example_node_modules() -> None:
    script = Path(__file__).parents[1] / "e2e" / "bridges" / "with_agent.cjs"
    with running_bridge(secret_key=SECRET_KEY, script=script) as bridge:
        assert discover(bridge).status_code == 401
        signed = discover(bridge, signature_header(SECRET_KEY))
    assert signed.status_code == 200
    assert workflow_ids(signed) == ["support-reply"]
    assert signed.json()["agents"] == [{"agentId": "support-bot"}]
