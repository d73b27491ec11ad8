"""Novu's own published clients against the Novu Cloud stand-in: clients nobody in this project wrote.

`@novu/api` 3.19.1 validates every answer with the zod schemas Novu generates from its API, and the official
CLI `novu` 2.20.1 syncs the real example bridge (docs/novu-protocol.md §14). Where they disagree with the
stand-in, the stand-in is wrong: fix it, never these tests. `make test` installs both with `npm ci` from
tests/contract/package-lock.json.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.stand_ins.bridge_process import RunningBridge, running_bridge
from tests.stand_ins.novu_cloud import NovuCloudEmulator

pytestmark = pytest.mark.contract

CONTRACT_DIR = Path(__file__).resolve().parent
NODE_MODULES = CONTRACT_DIR / "node_modules"
SDK_SCRIPT = CONTRACT_DIR / "sdk_read.cjs"
CLI = NODE_MODULES / "novu" / "dist" / "src" / "index.js"
AGENT_BRIDGE = CONTRACT_DIR.parent / "e2e" / "bridges" / "with_agent.cjs"
DEV_KEY = "sk_contract_dev_0123456789"
PROD_KEY = "sk_contract_prod_9876543210"
EXAMPLE_WORKFLOW_IDS = ["digest-comments", "invoice-paid", "sms-alert", "welcome"]


@pytest.fixture(scope="module", autouse=True)
def _clients_installed() -> None:
    node = shutil.which("node")
    if node is None or not (NODE_MODULES / "@novu" / "api").is_dir() or not CLI.is_file():
        pytest.fail("Novu's clients are not installed: run `make test` (npm ci in tests/contract).")


@pytest.fixture(scope="module")
def strict_bridge() -> Iterator[RunningBridge]:
    """The real example bridge, @novu/framework 2.13.2 with NODE_ENV=production."""
    with running_bridge(secret_key=DEV_KEY) as bridge:
        yield bridge


@pytest.fixture
def cloud() -> Iterator[NovuCloudEmulator]:
    emulator = NovuCloudEmulator()
    emulator.add_environment("Development", api_key=DEV_KEY)
    emulator.add_environment("Production", api_key=PROD_KEY)
    with emulator:
        yield emulator


def node(*args: str | Path, home: Path) -> subprocess.CompletedProcess[str]:
    """Run node with a clean environment: no telemetry, a throw-away HOME for the CLI's config store."""
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(home), "ANALYTICS_ENABLED": "false"}
    return subprocess.run(
        ["node", *map(str, args)], capture_output=True, text=True, env=env, cwd=home, timeout=60, check=False
    )


def sdk_read(cloud: NovuCloudEmulator, home: Path, *, page_size: int) -> dict[str, Any]:
    result = node(SDK_SCRIPT, cloud.base_url, DEV_KEY, str(page_size), home=home)
    assert result.returncode == 0, f"@novu/api rejected the stand-in's answer:\n{result.stderr}"
    answer: dict[str, Any] = json.loads(result.stdout)
    return answer


def fill_environment(cloud: NovuCloudEmulator, bridge: RunningBridge) -> None:
    """Framework workflows from a real sync, next to every other kind of workflow Novu stores (§10)."""
    synced = requests.post(
        f"{cloud.base_url}/v1/bridge/sync",
        json={"bridgeUrl": bridge.url},
        headers={"Authorization": f"ApiKey {DEV_KEY}"},
        timeout=30,
    )
    assert synced.status_code == 201, synced.text
    cloud.seed_dashboard_workflow("Development", name="Order Shipped", step_types=("in_app", "email"))
    cloud.seed_dashboard_workflow("Development", name="Password reset", step_types=("email",), edited=True)
    cloud.seed_v1_workflow("Development", workflow_id="legacy-digest")
    cloud.seed_v1_workflow("Development", workflow_id="legacy-typed", stored_origin="novu-cloud")
    cloud.seed_v1_workflow("Development", workflow_id="legacy-untyped", stored_type=None, step_types=())


EXPECTED_ORIGINS = {
    **dict.fromkeys(EXAMPLE_WORKFLOW_IDS, "external"),
    "order-shipped": "novu-cloud",
    "password-reset": "novu-cloud",
    "legacy-digest": "novu-cloud-v1",
    "legacy-typed": "novu-cloud-v1",
    "legacy-untyped": "novu-cloud-v1",
}


def test_novu_api_sdk_accepts_the_workflow_list_and_environments(
    cloud: NovuCloudEmulator, strict_bridge: RunningBridge, tmp_path: Path
) -> None:
    fill_environment(cloud, strict_bridge)

    whole = sdk_read(cloud, tmp_path, page_size=100)
    paged = sdk_read(cloud, tmp_path, page_size=4)

    [page] = whole["pages"]
    assert page["totalCount"] == len(EXPECTED_ORIGINS)
    assert {item["workflowId"]: item["origin"] for item in page["workflows"]} == EXPECTED_ORIGINS
    assert [len(p["workflows"]) for p in paged["pages"]] == [4, 4, 1]
    for item in (item for p in paged["pages"] for item in p["workflows"]):
        assert item["origin"] == EXPECTED_ORIGINS[item["workflowId"]]
    development, production = whole["environments"]
    assert (development["name"], production["name"]) == ("Development", "Production")
    assert [key["key"] for key in development["apiKeys"]] == [DEV_KEY]
    assert production["apiKeys"] == []
    assert production["parentId"] == development["id"]  # the SDK's own renaming of _parentId


def test_official_cli_syncs_the_real_bridge_into_the_stand_in(
    cloud: NovuCloudEmulator, strict_bridge: RunningBridge, tmp_path: Path
) -> None:
    result = node(CLI, "sync", "-b", strict_bridge.url, "-s", DEV_KEY, "-a", cloud.base_url, home=tmp_path)

    assert result.returncode == 0, result.stdout + result.stderr
    assert sorted(cloud.workflow_ids("Development")) == EXAMPLE_WORKFLOW_IDS
    assert cloud.bridge_url("Development") == strict_bridge.url
    [request] = cloud.requests
    assert (request.method, request.path) == ("POST", "/v1/bridge/sync?source=cli")
    assert request.body == {"bridgeUrl": strict_bridge.url}
    assert "idempotency-key" not in request.headers
    # The CLI's own discover is unsigned, so a strict bridge answers 401 and it only warns (§14).
    assert result.stdout == ""
    assert "Could not discover agents for bridge URL sync" in result.stderr


def test_official_cli_fails_on_a_dashboard_clash_as_novu_rejects_it(
    cloud: NovuCloudEmulator, strict_bridge: RunningBridge, tmp_path: Path
) -> None:
    cloud.seed_dashboard_workflow("Development", name="Welcome", workflow_id="welcome")

    result = node(CLI, "sync", "-b", strict_bridge.url, "-s", DEV_KEY, "-a", cloud.base_url, home=tmp_path)

    assert result.returncode == 1
    assert "Request failed with status code 400" in result.stderr
    assert cloud.workflow_ids("Development") == ["welcome"]
    assert cloud.bridge_url("Development") is None


@pytest.mark.parametrize("agents_enabled", [False, True], ids=["agents-off", "agents-on"])
def test_official_cli_points_agents_only_where_novu_has_them(
    cloud: NovuCloudEmulator, tmp_path: Path, agents_enabled: bool
) -> None:
    """A bridge without NODE_ENV answers the CLI's unsigned discover, so the CLI finds the agent (§12)."""
    if agents_enabled:
        cloud.set_conversational_agents(True)
        cloud.add_agent("Development", "support-bot")

    with running_bridge(secret_key=DEV_KEY, node_env=None, script=AGENT_BRIDGE) as bridge:
        result = node(CLI, "sync", "-b", bridge.url, "-s", DEV_KEY, "-a", cloud.base_url, home=tmp_path)

    assert result.returncode == 0, result.stdout + result.stderr
    assert cloud.workflow_ids("Development") == ["support-reply"]
    assert "Setting production bridge URL for 1 agent(s)..." in result.stdout
    if agents_enabled:
        assert "✓ support-bot" in result.stdout
        assert cloud.agent_bridge_urls("Development") == {"support-bot": bridge.url}
    else:
        assert "✗ support-bot: Request failed with status code 404" in result.stderr
        assert cloud.agent_bridge_urls("Development") == {}
