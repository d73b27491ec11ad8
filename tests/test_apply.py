from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from novu_action.apply import (
    AgentsNotPointed,
    BridgeNotReachableFromNovu,
    SyncNotVerified,
    SyncRefused,
    idempotency_key,
    sync,
)
from novu_action.novu_api import BridgeValidation, NovuApiError, SyncResponse
from novu_action.plan import Change, Guard, GuardFinding, ListedWorkflow, Plan, WorkflowChange

BRIDGE = "https://app.example.com/api/novu?x-vercel-protection-bypass=token123"
SHOWN = "https://app.example.com/api/novu?x-vercel-protection-bypass=REDACTED"


@dataclass
class FakeNovu:
    """Stands in for NovuApi: records calls, answers as scripted."""

    valid: bool = True
    validation_error: str | None = None
    held_after_sync: list[str] = field(default_factory=lambda: ["welcome", "digest"])
    diff_available: bool = True
    failing_agents: set[str] = field(default_factory=set)
    calls: list[tuple[str, Any]] = field(default_factory=list)

    def validate_bridge(self, bridge_url: str) -> BridgeValidation:
        self.calls.append(("validate", bridge_url))
        return BridgeValidation(is_valid=self.valid, error=self.validation_error)

    def sync(self, bridge_url: str, *, idempotency_key: str) -> SyncResponse:
        self.calls.append(("sync", (bridge_url, idempotency_key)))
        return SyncResponse(data=({"_id": "1"}, {"_id": "2"}), workflow_ids=("welcome", "digest"))

    def stored_workflows(self, bridge_url: str) -> list[dict[str, Any]] | None:
        self.calls.append(("stored", bridge_url))
        return [{"workflowId": w} for w in self.held_after_sync] if self.diff_available else None

    def list_workflows(self) -> list[ListedWorkflow]:
        self.calls.append(("list", None))
        return [ListedWorkflow(w, origin="external") for w in self.held_after_sync] + [
            ListedWorkflow("made-in-dashboard", origin="novu-cloud")
        ]

    def point_agent(self, agent_id: str, bridge_url: str) -> None:
        self.calls.append(("agent", agent_id))
        if agent_id in self.failing_agents:
            raise NovuApiError("Novu refused", status=404, novu_message="Agent not found")

    def names(self) -> list[str]:
        return [name for name, _ in self.calls]


PLAN = Plan(
    workflows=(
        WorkflowChange("digest", Change.UNCHANGED, definition={"workflowId": "digest"}),
        WorkflowChange("old", Change.DELETE),
        WorkflowChange("welcome", Change.CREATE, definition={"workflowId": "welcome"}),
    )
)


def run_sync(api: FakeNovu, plan: Plan = PLAN, agents: tuple[str, ...] = ()) -> tuple[Any, list[str]]:
    lines: list[str] = []
    outcome = sync(
        plan=plan,
        api=api,
        bridge_url=BRIDGE,
        shown_url=SHOWN,
        environment="Production",
        key="novu-sync-action-abc",
        agent_ids=agents,
        log=lines.append,
    )
    return outcome, lines


def test_sync_validates_then_syncs_then_reads_back():
    api = FakeNovu()
    outcome, lines = run_sync(api)
    assert api.names() == ["validate", "sync", "stored"]
    assert api.calls[1] == ("sync", (BRIDGE, "novu-sync-action-abc"))
    assert outcome.held_ids == ("digest", "welcome")
    assert list(outcome.result) == [{"_id": "1"}, {"_id": "2"}]
    assert any("Verified" in line for line in lines)


def test_guard_findings_refuse_before_anything_is_sent():
    api = FakeNovu()
    plan = Plan(
        workflows=PLAN.workflows,
        findings=(GuardFinding(Guard.DELETIONS_NOT_ALLOWED, ("old",), "Production"),),
    )
    with pytest.raises(SyncRefused) as refused:
        run_sync(api, plan)
    assert api.calls == []
    assert "old" in str(refused.value)
    assert "allow-deletions" in str(refused.value)
    assert str(refused.value).startswith("Nothing was changed.")


def test_bridge_novu_cannot_reach_stops_before_the_sync():
    api = FakeNovu(valid=False, validation_error="Bridge request timeout")
    with pytest.raises(BridgeNotReachableFromNovu) as error:
        run_sync(api)
    assert api.names() == ["validate"]
    assert "Bridge request timeout" in str(error.value)
    assert SHOWN in str(error.value)
    assert "token123" not in str(error.value)


def test_a_result_that_differs_from_the_plan_fails_loudly():
    api = FakeNovu(held_after_sync=["welcome", "digest", "old"])
    with pytest.raises(SyncNotVerified) as error:
        run_sync(api)
    assert "unexpected: old" in str(error.value)
    assert "concurrency" in str(error.value)


def test_verification_falls_back_to_the_workflow_list_without_the_diff_endpoint():
    api = FakeNovu(diff_available=False)
    outcome, _ = run_sync(api)
    assert api.names() == ["validate", "sync", "stored", "list"]
    assert outcome.held_ids == ("digest", "welcome")  # the Dashboard workflow is not the bridge's


def test_agents_are_pointed_at_the_bridge():
    api = FakeNovu()
    outcome, lines = run_sync(api, agents=("support-bot", "sales-bot"))
    assert [arg for name, arg in api.calls if name == "agent"] == ["support-bot", "sales-bot"]
    assert outcome.agent_ids == ("support-bot", "sales-bot")
    assert any("support-bot" in line for line in lines)


def test_every_agent_is_tried_and_failures_are_reported_together():
    api = FakeNovu(failing_agents={"support-bot"})
    with pytest.raises(AgentsNotPointed) as error:
        run_sync(api, agents=("support-bot", "sales-bot"))
    assert [arg for name, arg in api.calls if name == "agent"] == ["support-bot", "sales-bot"]
    assert "support-bot" in str(error.value)
    assert "The workflows were synced" in str(error.value)


def key(*, attempt: str = "1", environment: str = "Production", report_id: str | None = None) -> str:
    return idempotency_key(
        repository="acme/n", run_id="42", run_attempt=attempt, environment=environment, report_id=report_id
    )


def test_idempotency_key_is_stable_within_an_attempt_and_differs_across_them():
    assert key() == key()
    assert key() != key(attempt="2")
    assert key() != key(environment="Development")
    assert key() != key(report_id="billing")
    assert key().startswith("novu-sync-action-")
    assert len(key()) <= 255
