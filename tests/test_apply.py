"""apply.sync with a scripted Novu: refusal, validation, the one sync, its verification, and what happens
when the sync's answer leaves its effect unknown (read back; never resend blindly)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from novu_action.apply import (
    NovuCannotReachBridgeError,
    SyncNotVerifiedError,
    SyncOutcomeUnknownError,
    SyncRefusedError,
    Timing,
    idempotency_key,
    sync,
)
from novu_action.novu_api import BridgeValidation, SyncOutcomeUnknown, SyncResponse
from novu_action.novu_errors import NovuAuthError, NovuNotFoundError
from novu_action.plan import Change, Guard, GuardFinding, Plan, WorkflowChange
from novu_action.planner import build_plan
from novu_action.state import EnvironmentState, ListedWorkflow, stored_definitions
from novu_action.wording import NoteKind

BRIDGE = "https://app.example.com/api/novu?x-vercel-protection-bypass=token123"
SHOWN = "https://app.example.com/api/novu?x-vercel-protection-bypass=REDACTED"
SERVED = [
    {"workflowId": "welcome", "steps": [{"stepId": "hello", "type": "email"}]},
    {"workflowId": "digest", "steps": [{"stepId": "wait", "type": "digest"}]},
]
TIMING = Timing(deadline=50.0, poll=1.0, stable_for=3.0, give_up_after=20.0)


def state_of(definitions: list[dict[str, Any]]) -> EnvironmentState:
    listed = tuple(ListedWorkflow(workflow_id=d["workflowId"], origin="external") for d in definitions)
    return EnvironmentState(stored=stored_definitions(definitions), listed=listed)


BEFORE = state_of([])
SYNCED = state_of(SERVED)
HALFWAY = state_of(SERVED[:1])


def replan(state: EnvironmentState) -> Plan:
    return build_plan(
        discovered=SERVED, state=state, allow_deletions=True, allow_emptying=True, environment="Production"
    )


@dataclass
class FakeClock:
    now: float = 1_000.0
    sleeps: list[float] = field(default_factory=list)

    def time(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@dataclass
class FakeNovu:
    """Stands in for NovuApi. ``sends`` scripts each sync request: a state it leaves (and answers 201 with)
    or ``("lost", state)``: the state it leaves while its answer is lost. ``reads`` optionally scripts the
    states read back, in order (the last repeats); by default the read shows the last state left."""

    sends: list[Any]
    reads: list[EnvironmentState] | None = None
    valid: BridgeValidation = field(
        default_factory=lambda: BridgeValidation(is_valid=True, error=None, advice=None)
    )
    agents: dict[str, Exception | NovuNotFoundError | None] = field(default_factory=dict)
    current: EnvironmentState = BEFORE
    keys: list[str] = field(default_factory=list)
    calls: list[str] = field(default_factory=list)

    def validate_bridge(self, bridge_url: str) -> BridgeValidation:
        self.calls.append("validate")
        return self.valid

    def sync(self, bridge_url: str, *, idempotency_key: str, deadline: float) -> SyncResponse:
        assert bridge_url == BRIDGE
        assert deadline == TIMING.deadline
        self.calls.append("sync")
        self.keys.append(idempotency_key)
        outcome = self.sends[len(self.keys) - 1]
        if isinstance(outcome, tuple):
            self.current = outcome[1]
            raise SyncOutcomeUnknown("no answer: timed out after 50 s")
        self.current = outcome
        return SyncResponse(data=({"_id": "1"},), workflow_ids=("welcome", "digest"))

    def read_state(self, bridge_url: str) -> EnvironmentState:
        self.calls.append("read")
        if self.reads:
            return self.reads.pop(0) if len(self.reads) > 1 else self.reads[0]
        return self.current

    def point_agent(self, agent_id: str, bridge_url: str) -> NovuNotFoundError | None:
        self.calls.append(f"agent {agent_id}")
        answer = self.agents.get(agent_id)
        if isinstance(answer, NovuNotFoundError) or answer is None:
            return answer
        raise answer


def run(
    novu: FakeNovu, *, plan: Plan | None = None, agent_ids: tuple[str, ...] = (), log: list[str] | None = None
):
    clock = FakeClock()
    outcome = sync(
        plan=plan or replan(BEFORE),
        api=novu,
        bridge_url=BRIDGE,
        shown_url=SHOWN,
        environment="Production",
        key_for=lambda send: f"key-{send}",
        replan=replan,
        agent_ids=agent_ids,
        timing=TIMING,
        log=(log if log is not None else []).append,
        clock=clock.time,
        sleep=clock.sleep,
    )
    return outcome, clock


def test_a_sync_is_sent_once_and_verified_by_reading_the_environment_back():
    novu = FakeNovu(sends=[SYNCED])
    outcome, clock = run(novu)
    assert novu.calls == ["validate", "sync", "read"]
    assert novu.keys == ["key-1"]
    assert outcome.result == ({"_id": "1"},)
    assert outcome.notes == ()
    assert clock.sleeps == []


def test_guard_findings_refuse_before_anything_is_sent():
    plan = Plan(
        workflows=(WorkflowChange(workflow_id="old", change=Change.DELETE),),
        findings=(
            GuardFinding(guard=Guard.DELETIONS_NOT_ALLOWED, workflow_ids=("old",), environment="Production"),
        ),
    )
    novu = FakeNovu(sends=[])
    with pytest.raises(SyncRefusedError) as caught:
        run(novu, plan=plan)
    assert novu.calls == []
    assert str(caught.value).startswith(
        "Nothing was changed. This sync would delete 1 workflow from Production"
    )
    assert "Workflows: old." in str(caught.value)
    assert "workflow_dispatch" in str(caught.value)


def test_a_bridge_novu_cannot_reach_stops_the_sync_with_novus_reason_and_advice():
    invalid = BridgeValidation(
        is_valid=False,
        error='Requests to "localhost" are not allowed.',
        advice="Novu Cloud refuses bridge URLs on localhost …",
    )
    novu = FakeNovu(sends=[], valid=invalid)
    with pytest.raises(NovuCannotReachBridgeError) as caught:
        run(novu)
    assert novu.calls == ["validate"]
    message = str(caught.value)
    assert SHOWN in message
    assert "token123" not in message
    assert 'Requests to "localhost" are not allowed. Nothing was changed.' in message
    assert message.endswith("Novu Cloud refuses bridge URLs on localhost …")


def test_a_sync_that_stopped_halfway_is_caught_by_the_same_comparison_the_plan_uses():
    novu = FakeNovu(sends=[HALFWAY])
    with pytest.raises(SyncNotVerifiedError) as caught:
        run(novu)
    assert "still missing: digest" in str(caught.value)
    assert "concurrency" in str(caught.value)


def test_an_update_that_did_not_land_fails_verification_although_every_id_is_there():
    stale = state_of([SERVED[0], {"workflowId": "digest", "steps": [{"stepId": "old", "type": "digest"}]}])
    with pytest.raises(SyncNotVerifiedError, match="still different: digest"):
        run(FakeNovu(sends=[stale]))


def test_a_lost_answer_after_novu_applied_the_sync_is_a_success_without_a_second_request():
    log: list[str] = []
    novu = FakeNovu(sends=[("lost", SYNCED)])
    outcome, clock = run(novu, log=log)
    assert novu.calls == ["validate", "sync", "read"]
    assert [n.kind for n in outcome.notes] == [NoteKind.APPLIED_WITHOUT_ANSWER]
    assert outcome.notes[0].detail == "no answer: timed out after 50 s"
    assert outcome.result is None
    assert clock.sleeps == [TIMING.poll]
    assert any("not sent again" in line for line in log)


def test_a_lost_answer_while_novu_is_still_syncing_waits_until_the_environment_matches():
    novu = FakeNovu(sends=[("lost", BEFORE)], reads=[BEFORE, HALFWAY, SYNCED])
    outcome, clock = run(novu)
    assert novu.keys == ["key-1"]
    assert [n.kind for n in outcome.notes] == [NoteKind.APPLIED_WITHOUT_ANSWER]
    assert len(clock.sleeps) == 3


def test_a_sync_that_did_nothing_is_sent_again_with_a_fresh_key_once_the_environment_is_still():
    log: list[str] = []
    novu = FakeNovu(sends=[("lost", BEFORE), SYNCED])
    outcome, clock = run(novu, log=log)
    assert novu.keys == ["key-1", "key-2"]
    assert [n.kind for n in outcome.notes] == [NoteKind.RESENT]
    assert sum(clock.sleeps) >= TIMING.stable_for  # it waited for the environment to stay still
    assert novu.calls[-2:] == ["sync", "read"]  # and verified the second sync
    assert any("sending the sync again with a fresh key" in line for line in log)
    assert all("Read back after" in line for line in log if line.startswith("Read back"))


def test_two_lost_answers_with_nothing_applied_fail_without_a_third_request():
    novu = FakeNovu(sends=[("lost", BEFORE), ("lost", BEFORE), SYNCED])
    with pytest.raises(SyncOutcomeUnknownError) as caught:
        run(novu)
    assert novu.keys == ["key-1", "key-2"]
    assert "re-run is safe" in str(caught.value)


def test_an_environment_that_keeps_changing_ends_the_wait_without_resending():
    moving = [state_of(SERVED[:1] if n % 2 else [{"workflowId": f"x{n}", "steps": []}]) for n in range(40)]
    novu = FakeNovu(sends=[("lost", BEFORE)], reads=moving)
    with pytest.raises(SyncOutcomeUnknownError, match="another sync may be running"):
        run(novu)
    assert novu.keys == ["key-1"]


def test_agents_are_pointed_after_the_sync_and_a_404_is_a_note_not_a_failure():
    missing = NovuNotFoundError("…", status=404, novu_message='Agent with identifier "helper" was not found.')
    novu = FakeNovu(sends=[SYNCED], agents={"support": None, "helper": missing})
    outcome, _ = run(novu, agent_ids=("support", "helper"))
    assert novu.calls[-2:] == ["agent support", "agent helper"]
    [note] = outcome.notes
    assert (note.kind, note.subject) == (NoteKind.AGENT_NOT_POINTED, "helper")
    assert note.detail == 'Agent with identifier "helper" was not found.'


def test_an_agent_error_that_means_the_key_is_broken_fails_the_run():
    novu = FakeNovu(sends=[SYNCED], agents={"support": NovuAuthError("key rejected", status=401)})
    with pytest.raises(NovuAuthError):
        run(novu, agent_ids=("support",))


def test_idempotency_keys_differ_per_send_and_per_run_and_fit_novus_limit():
    make: Callable[..., str] = idempotency_key
    base = {
        "repository": "acme/n",
        "run_id": "7",
        "run_attempt": "1",
        "environment": "Production",
        "report_id": None,
    }
    first, second = make(**base, send=1), make(**base, send=2)
    assert first != second
    assert first == make(**base, send=1)
    assert first != make(**{**base, "run_attempt": "2"}, send=1)
    assert first != make(**{**base, "report_id": "billing"}, send=1)
    assert len(first) <= 255
    assert first.startswith("novu-sync-action-")


def test_timing_follows_the_per_call_timeout():
    default = Timing.for_timeout(30)
    assert (default.deadline, default.poll, default.stable_for, default.give_up_after) == (300, 2, 20, 300)
    quick = Timing.for_timeout(1)
    assert (quick.deadline, quick.poll, quick.stable_for) == (10, 0.5, 2)
