"""End to end against what real Novu does and the first picture of it got wrong: Dashboard workflows in the
stored state, v1 workflows, unstable list order, syncs whose answer is lost or which fail halfway,
idempotency that replays errors, agents that Novu does not know, and a separate bridge signing secret."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.conftest import DEV_KEY
from tests.e2e.test_sync import BRIDGE_IDS, sync_inputs
from tests.factories import example_bridge_workflows, pull_request_event, push_event
from tests.stand_ins.bridge_process import running_bridge

pytestmark = pytest.mark.e2e

BRIDGE_SCRIPTS = Path(__file__).parent / "bridges"
# Short calls make the sync's own deadline (ten times `timeout`) and the settle window short enough to test.
QUICK = "0.5"


def test_dashboard_workflows_never_edited_and_edited_are_not_planned_as_deletions(
    run_action, novu, dev_bridge
):
    novu.seed_synced("Development", list(example_bridge_workflows().values()), bridge_url=dev_bridge.url)
    novu.seed_dashboard_workflow("Development", name="Password reset")  # rawData null
    novu.seed_dashboard_workflow("Development", name="Weekly digest", edited=True)  # the Dashboard's body
    inputs = sync_inputs(novu, dev_bridge=dev_bridge)

    preview = run_action(event_name="pull_request", event=pull_request_event(base="dev"), inputs=inputs)
    sync = run_action(event_name="push", event=push_event("dev"), inputs=inputs)

    for run in (preview, sync):
        assert run.returncode == 0, run.log
        assert run.outputs["deleted"] == "0"
        assert "password-reset" not in run.outputs["plan"]
        assert "weekly-digest" not in run.outputs["plan"]
    assert "Verified" in sync.log
    assert {"password-reset", "weekly-digest"} <= set(novu.workflow_ids("Development"))


def test_a_new_dashboard_workflow_with_a_bridge_id_is_refused_before_novu_rejects_it(
    run_action, novu, dev_bridge
):
    novu.seed_dashboard_workflow("Development", name="Welcome", workflow_id="welcome")
    run = run_action(
        event_name="push", event=push_event("dev"), inputs=sync_inputs(novu, dev_bridge=dev_bridge)
    )
    error = run.the_error()
    assert "welcome" in error
    assert "Dashboard" in error
    assert novu.requests_to("POST", "/v1/bridge/sync") == []


def test_an_old_v1_workflow_with_a_bridge_id_is_taken_over_with_a_warning(run_action, novu, dev_bridge):
    novu.seed_v1_workflow("Development", workflow_id="welcome")
    run = run_action(
        event_name="push", event=push_event("dev"), inputs=sync_inputs(novu, dev_bridge=dev_bridge)
    )
    assert run.returncode == 0, run.log
    assert any("Old v1 workflows taken over" in w for w in run.annotations("warning"))
    assert sorted(novu.workflow_ids("Development")) == BRIDGE_IDS


def test_workflows_sharing_one_creation_time_are_all_listed_although_novu_pages_them_unstably(
    run_action, novu, dev_bridge
):
    # One sync writes its workflows in parallel: groups of them share a millisecond, and a page boundary
    # may fall inside a group.
    for index in range(250):
        created_at = f"2026-01-01T00:00:{index // 30:02d}.000Z"
        novu.seed_dashboard_workflow("Development", name=f"Archived {index:03d}", created_at=created_at)
    run = run_action(
        event_name="push", event=push_event("dev"), inputs=sync_inputs(novu, dev_bridge=dev_bridge)
    )
    assert run.returncode == 0, run.log
    assert "250 workflows listed" in run.log


def test_a_sync_whose_answer_is_lost_after_novu_applied_it_is_not_sent_again(run_action, novu, dev_bridge):
    novu.delay_next_sync(8.0)  # applied at once, answered after the action's deadline of 5 s
    run = run_action(
        event_name="push",
        event=push_event("dev"),
        inputs=sync_inputs(novu, dev_bridge=dev_bridge, timeout=QUICK),
    )
    assert run.returncode == 0, run.log
    assert len(novu.requests_to("POST", "/v1/bridge/sync")) == 1
    assert any("title=Sync applied%2C answer lost (Development)" in n for n in run.annotations("notice"))
    assert run.outputs["result"] == "{}"
    assert sorted(novu.workflow_ids("Development")) == BRIDGE_IDS


@pytest.mark.parametrize("stage", ["before", "halfway"])
def test_a_sync_that_novu_failed_is_sent_once_more_with_a_fresh_key_and_verified(
    run_action, novu, dev_bridge, stage
):
    novu.fail_next_sync(stage)
    run = run_action(
        event_name="push",
        event=push_event("dev"),
        inputs=sync_inputs(novu, dev_bridge=dev_bridge, timeout=QUICK),
    )
    assert run.returncode == 0, run.log
    syncs = novu.requests_to("POST", "/v1/bridge/sync")
    assert len(syncs) == 2
    assert syncs[0].headers["idempotency-key"] != syncs[1].headers["idempotency-key"]
    assert "Verified" in run.log
    assert sorted(novu.workflow_ids("Development")) == BRIDGE_IDS


def test_with_idempotency_on_a_cached_error_is_not_replayed_because_the_resend_has_a_fresh_key(
    run_action, novu, dev_bridge
):
    novu.set_idempotency(True)
    novu.fail_next_sync("before")  # Novu's own 500: cached for 24 h under the first key
    run = run_action(
        event_name="push",
        event=push_event("dev"),
        inputs=sync_inputs(novu, dev_bridge=dev_bridge, timeout=QUICK),
    )
    assert run.returncode == 0, run.log
    syncs = novu.requests_to("POST", "/v1/bridge/sync")
    assert len({s.headers["idempotency-key"] for s in syncs}) == len(syncs) == 2
    assert sorted(novu.workflow_ids("Development")) == BRIDGE_IDS


def test_agents_novu_does_not_know_are_a_warning_not_a_failure(run_action, novu):
    with running_bridge(secret_key=DEV_KEY, script=BRIDGE_SCRIPTS / "with_agent.cjs") as bridge:
        run = run_action(
            event_name="push", event=push_event("dev"), inputs=sync_inputs(novu, dev_bridge=bridge)
        )
    assert run.returncode == 0, run.log
    [warning] = [w for w in run.annotations("warning") if "Agent not pointed" in w]
    assert "support-bot" in warning
    assert run.outputs["success"] == "true"


def test_a_bridge_that_verifies_a_separate_signing_secret(run_action, novu):
    signing_secret = "whsec_bridge_signing_0123456789"
    novu.set_bridge_signing_secret("Development", signing_secret)
    with running_bridge(secret_key=signing_secret) as bridge:
        without = run_action(
            event_name="push", event=push_event("dev"), inputs=sync_inputs(novu, dev_bridge=bridge)
        )
        with_input = run_action(
            event_name="push",
            event=push_event("dev"),
            inputs=sync_inputs(
                novu, dev_bridge=bridge, **{"development-bridge-signing-secret": signing_secret}
            ),
        )
    error = without.the_error()
    assert "development-bridge-signing-secret" in error
    assert with_input.returncode == 0, with_input.log
    assert signing_secret not in with_input.log.replace(f"::add-mask::{signing_secret}", "")
    assert len(novu.requests_to("POST", "/v1/bridge/sync")) == 1
