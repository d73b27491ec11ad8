"""Sync runs, end to end: entrypoint.py in a subprocess, the real strict bridge, the Novu Cloud emulator."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import push_event
from tests.e2e.conftest import DEV_KEY, PROD_KEY
from tests.stand_ins.bridge_process import running_bridge

pytestmark = pytest.mark.e2e

BRIDGES = Path(__file__).parent / "bridges"
BRIDGE_IDS = ["digest-comments", "invoice-paid", "sms-alert", "welcome"]


def sync_inputs(novu, *, dev_bridge=None, prod_bridge=None, **extra: str) -> dict[str, str]:
    inputs = {
        "api-url": novu.base_url,
        "development-secret-key": DEV_KEY,
        "production-secret-key": PROD_KEY,
        "timeout": "10",
    }
    if dev_bridge is not None:
        inputs["development-bridge-url"] = dev_bridge.url
    if prod_bridge is not None:
        inputs["production-bridge-url"] = prod_bridge.url
    inputs.update(extra)
    return inputs


def test_push_to_dev_syncs_development(run_action, novu, dev_bridge):
    run = run_action(
        event_name="push", event=push_event("dev"), inputs=sync_inputs(novu, dev_bridge=dev_bridge)
    )

    assert run.returncode == 0, run.log
    assert run.outputs["mode"] == "sync"
    assert run.outputs["environment"] == "Development"
    assert (
        run.outputs["created"],
        run.outputs["updated"],
        run.outputs["deleted"],
        run.outputs["unchanged"],
    ) == ("4", "0", "0", "0")
    assert run.outputs["has-changes"] == "true"
    assert run.outputs["success"] == "true"
    assert run.outputs["comment-url"] == ""
    assert sorted(w["workflowId"] for w in run.plan["workflows"]) == BRIDGE_IDS
    result = json.loads(run.outputs["result"])
    assert len(result) == 4
    assert sorted(novu.workflow_ids("Development")) == BRIDGE_IDS
    assert novu.workflow_ids("Production") == []
    syncs = novu.requests_to("POST", "/v1/bridge/sync")
    assert len(syncs) == 1
    assert "source=githubAction" in syncs[0].path
    assert syncs[0].body == {"bridgeUrl": dev_bridge.url}
    assert syncs[0].headers.get("idempotency-key", "").startswith("novu-sync-action-")
    assert "novu-sync-action/" in syncs[0].headers.get("user-agent", "")
    assert "Development" in run.summary
    for workflow_id in BRIDGE_IDS:
        assert workflow_id in run.summary
    assert not run.annotations("error")
    assert "(@novu/framework 2.13.2)" in run.log


def test_push_to_main_syncs_production_and_a_second_run_changes_nothing(run_action, novu, prod_bridge):
    inputs = sync_inputs(novu, prod_bridge=prod_bridge)
    first = run_action(event_name="push", event=push_event("main"), inputs=inputs)
    assert first.returncode == 0, first.log
    assert first.outputs["environment"] == "Production"
    assert sorted(novu.workflow_ids("Production")) == BRIDGE_IDS

    second = run_action(event_name="push", event=push_event("main"), inputs=inputs)
    assert second.returncode == 0, second.log
    assert second.outputs["unchanged"] == "4"
    assert second.outputs["has-changes"] == "false"


def test_unmapped_branch_is_skipped_without_any_request(run_action, novu, dev_bridge):
    run = run_action(
        event_name="push",
        event=push_event("feature/new-digest"),
        inputs=sync_inputs(novu, dev_bridge=dev_bridge),
    )
    assert run.returncode == 0, run.log
    assert run.outputs["mode"] == "skip"
    assert run.outputs["environment"] == ""
    assert any("feature/new-digest" in line for line in run.annotations("notice"))
    assert novu.requests == []


def test_workflow_dispatch_with_environment_syncs_that_environment(run_action, novu, prod_bridge):
    event = {"ref": "refs/heads/feature/x", "inputs": {}, "repository": {"full_name": "acme/notifications"}}
    run = run_action(
        event_name="workflow_dispatch",
        event=event,
        inputs=sync_inputs(novu, prod_bridge=prod_bridge, environment="Production"),
    )
    assert run.returncode == 0, run.log
    assert run.outputs["environment"] == "Production"
    assert sorted(novu.workflow_ids("Production")) == BRIDGE_IDS


def test_key_of_another_environment_stops_before_the_bridge_is_called(run_action, novu, prod_bridge):
    inputs = sync_inputs(novu, prod_bridge=prod_bridge, **{"production-secret-key": DEV_KEY})
    run = run_action(event_name="push", event=push_event("main"), inputs=inputs)
    error = run.the_error()
    assert "Development" in error
    assert "Production" in error
    assert "production-secret-key" in error
    assert [r.path for r in novu.requests] == ["/v1/environments/me"]
    assert "Bridge is up" not in run.log
    assert run.outputs["success"] == "false"


def test_bridge_running_with_another_secret_is_explained(run_action, novu, dev_bridge):
    # Production's key, but the bridge at that URL runs with Development's secret key.
    run = run_action(
        event_name="push", event=push_event("main"), inputs=sync_inputs(novu, prod_bridge=dev_bridge)
    )
    error = run.the_error()
    assert "NOVU_SECRET_KEY" in error
    assert "Production" in error
    assert novu.requests_to("POST", "/v1/bridge/sync") == []
    assert novu.workflow_ids("Production") == []


def test_bridge_novu_cannot_reach_stops_the_sync(run_action, novu, dev_bridge):
    novu.set_bridge_reachable(False)
    run = run_action(
        event_name="push", event=push_event("dev"), inputs=sync_inputs(novu, dev_bridge=dev_bridge)
    )
    assert "could not reach the bridge" in run.the_error()
    assert novu.requests_to("POST", "/v1/bridge/sync") == []
    assert novu.workflow_ids("Development") == []


def test_a_5xx_before_novu_applied_anything_is_sent_again_once_with_a_fresh_key(run_action, novu, dev_bridge):
    """A 503 from a gateway in front of Novu: the sync did not run. The action reads the environment back,
    sees it unchanged and still different, and only then sends the sync again, with a fresh key."""
    novu.fail_next("POST", "/v1/bridge/sync", status=503)
    run = run_action(
        event_name="push",
        event=push_event("dev"),
        inputs=sync_inputs(novu, dev_bridge=dev_bridge, timeout="1"),
    )
    assert run.returncode == 0, run.log
    syncs = novu.requests_to("POST", "/v1/bridge/sync")
    assert len(syncs) == 2
    assert len({s.headers["idempotency-key"] for s in syncs}) == 2
    assert "reading Development back before anything else" in run.log
    assert any("Sync sent again" in notice for notice in run.annotations("notice"))
    assert sorted(novu.workflow_ids("Development")) == BRIDGE_IDS


def test_429_with_retry_after_is_honoured(run_action, novu, dev_bridge):
    novu.fail_next(
        "POST",
        "/v1/bridge/sync",
        status=429,
        headers={"Retry-After": "1"},
        body={"statusCode": 429, "message": "API rate limit exceeded"},
    )
    run = run_action(
        event_name="push", event=push_event("dev"), inputs=sync_inputs(novu, dev_bridge=dev_bridge)
    )
    assert run.returncode == 0, run.log
    assert len(novu.requests_to("POST", "/v1/bridge/sync")) == 2
    assert "429" in run.log
    assert "retrying in 1 s" in run.log


def test_deletion_in_production_is_refused_then_allowed(run_action, novu, prod_bridge):
    novu.seed_workflow("Production", workflow_id="legacy-digest")
    inputs = sync_inputs(novu, prod_bridge=prod_bridge)

    refused = run_action(event_name="push", event=push_event("main"), inputs=inputs)
    error = refused.the_error()
    assert "legacy-digest" in error
    assert "allow-deletions" in error
    assert refused.outputs["deleted"] == "1"
    assert refused.outputs["success"] == "false"
    assert "legacy-digest" in refused.summary
    assert "was refused before anything changed" in refused.summary
    assert novu.requests_to("POST", "/v1/bridge/sync") == []
    assert novu.workflow_ids("Production") == ["legacy-digest"]

    allowed = run_action(
        event_name="push", event=push_event("main"), inputs={**inputs, "allow-deletions": "true"}
    )
    assert allowed.returncode == 0, allowed.log
    assert allowed.outputs["deleted"] == "1"
    assert sorted(novu.workflow_ids("Production")) == BRIDGE_IDS


def test_empty_bridge_is_refused_even_where_deletions_are_allowed_by_default(
    run_action, novu, empty_dev_bridge
):
    novu.seed_workflow("Development", workflow_id="welcome")
    inputs = sync_inputs(novu, dev_bridge=empty_dev_bridge)
    refused = run_action(event_name="push", event=push_event("dev"), inputs=inputs)
    error = refused.the_error()
    assert "discovers no workflows" in error
    assert novu.requests_to("POST", "/v1/bridge/sync") == []
    assert novu.workflow_ids("Development") == ["welcome"]

    emptied = run_action(
        event_name="push", event=push_event("dev"), inputs={**inputs, "allow-deletions": "true"}
    )
    assert emptied.returncode == 0, emptied.log
    assert emptied.outputs["deleted"] == "1"
    assert novu.workflow_ids("Development") == []


def test_bad_inputs_are_reported_together_before_any_request(run_action, novu, dev_bridge):
    inputs = sync_inputs(
        novu, dev_bridge=dev_bridge, mode="sideways", **{"allow-deletions": "maybe", "comment-mode": "loud"}
    )
    run = run_action(event_name="push", event=push_event("dev"), inputs=inputs)
    error = run.the_error()
    for name in ("mode", "allow-deletions", "comment-mode"):
        assert f"input `{name}`" in error
    assert novu.requests == []
    assert run.outputs["success"] == "false"


def test_missing_secret_names_the_inputs(run_action, novu, dev_bridge):
    inputs = sync_inputs(novu, dev_bridge=dev_bridge, **{"development-secret-key": ""})
    run = run_action(event_name="push", event=push_event("dev"), inputs=inputs)
    assert "`development-secret-key` or `secret-key`" in run.the_error()
    assert novu.requests == []


def test_bridge_that_does_not_verify_signatures_is_warned_about(run_action, novu, lax_dev_bridge):
    run = run_action(
        event_name="push", event=push_event("dev"), inputs=sync_inputs(novu, dev_bridge=lax_dev_bridge)
    )
    assert run.returncode == 0, run.log
    warnings = run.annotations("warning")
    assert any("NODE_ENV=production" in w for w in warnings)
    assert "NODE_ENV=production" in run.summary


def test_bridge_url_query_string_is_kept_on_the_wire_and_redacted_everywhere(run_action, novu, dev_bridge):
    bypass = "vercelBypassToken123456"
    url = f"{dev_bridge.url}?x-vercel-protection-bypass={bypass}"
    run = run_action(
        event_name="push",
        event=push_event("dev"),
        inputs=sync_inputs(novu, **{"development-bridge-url": url}),
    )
    assert run.returncode == 0, run.log
    assert novu.requests_to("POST", "/v1/bridge/sync")[0].body == {"bridgeUrl": url}
    visible = "\n".join(line for line in run.log.splitlines() if not line.startswith("::add-mask::"))
    assert bypass not in visible
    assert bypass not in run.summary
    assert bypass not in json.dumps(run.outputs)


def test_requests_do_not_grow_with_the_number_of_workflows(run_action, novu, dev_bridge):
    """Bulk calls only: 250 workflows in the environment cost three list pages, not 250 requests; the
    verification after the sync reads the environment back with the same two bulk reads."""
    for index in range(250):  # distinct createdAt: reading ties twice is another test's subject
        created_at = f"2026-01-01T00:{index // 60:02d}:{index % 60:02d}.000Z"
        novu.seed_dashboard_workflow("Development", name=f"Archived {index:03d}", created_at=created_at)
    run = run_action(
        event_name="push", event=push_event("dev"), inputs=sync_inputs(novu, dev_bridge=dev_bridge)
    )
    assert run.returncode == 0, run.log
    calls = [f"{r.method} {r.path.split('?')[0]}" for r in novu.requests]
    assert calls == [
        "GET /v1/environments/me",
        "POST /v1/bridge/diff",
        "GET /v2/workflows",
        "GET /v2/workflows",
        "GET /v2/workflows",
        "POST /v1/bridge/validate",
        "POST /v1/bridge/sync",
        "POST /v1/bridge/diff",
        "GET /v2/workflows",
        "GET /v2/workflows",
        "GET /v2/workflows",
    ]


def test_without_the_diff_endpoint_the_plan_is_at_workflow_level_and_says_so(run_action, novu, dev_bridge):
    novu.seed_workflow("Development", workflow_id="welcome")
    novu.remove_endpoint("POST", "/v1/bridge/diff")
    run = run_action(
        event_name="push", event=push_event("dev"), inputs=sync_inputs(novu, dev_bridge=dev_bridge)
    )
    assert run.returncode == 0, run.log
    assert run.plan["detail"] == "workflow"
    assert (run.outputs["created"], run.outputs["updated"]) == ("3", "1")
    assert any("workflow ids only" in line for line in run.annotations("warning"))
    assert "compares workflow ids only" in run.summary
    assert sorted(novu.workflow_ids("Development")) == BRIDGE_IDS


def test_agents_the_bridge_serves_are_pointed_at_it(run_action, novu):
    # Agents exist only where the organisation has conversational agents and made the agent in the
    # Dashboard; otherwise Novu answers 404 (docs/novu-protocol.md §12).
    novu.set_conversational_agents(True)
    novu.add_agent("Development", "support-bot")
    with running_bridge(secret_key=DEV_KEY, script=BRIDGES / "with_agent.cjs") as bridge:
        run = run_action(
            event_name="push", event=push_event("dev"), inputs=sync_inputs(novu, dev_bridge=bridge)
        )
    assert run.returncode == 0, run.log
    assert novu.workflow_ids("Development") == ["support-reply"]
    assert novu.agent_bridge_urls("Development") == {"support-bot": bridge.url}
    agent_calls = novu.requests_to("PUT", "/v1/agents/")
    assert [call.path for call in agent_calls] == ["/v1/agents/support-bot/bridge"]
    # after the sync, never before it: an agent must not point at workflows Novu does not hold yet
    assert novu.requests.index(agent_calls[0]) > novu.requests.index(
        novu.requests_to("POST", "/v1/bridge/sync")[0]
    )
