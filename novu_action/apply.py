"""Sync mode only: refuse what the guards refuse, then sync once, then prove the result.

Nothing here decides *what* changes (that is the plan); it makes the change happen once, safely, and
checks that Novu now holds exactly what the bridge serves, with the same comparison the plan uses.

Novu's ``Idempotency-Key`` is no safety net: Novu honours it only where a feature flag is on (off by
default), and then caches error answers for 24 hours (docs/novu-protocol.md). So the sync request is
sent again with the same key only where Novu cannot have acted (``novu_api.NovuApi.sync``); where it may
have (a 5xx, no answer), the environment is read back until it either matches the bridge (the sync was
applied: done) or stays the same while still differing (it was not: sent again with a fresh key).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from novu_action.errors import ActionError
from novu_action.http import format_seconds
from novu_action.novu_api import BridgeValidation, SyncOutcomeUnknown, SyncResponse
from novu_action.novu_errors import NovuNotFoundError
from novu_action.plan import Change, Detail, Plan
from novu_action.state import EnvironmentState
from novu_action.wording import Note, NoteKind, refusal

# One first request and at most this many more, each after reading back that the last one did nothing.
_MAX_SENDS = 2


class SyncApi(Protocol):
    """The part of ``novu_api.NovuApi`` a sync uses; tests hand in a stand-in."""

    def validate_bridge(self, bridge_url: str) -> BridgeValidation: ...
    def sync(self, bridge_url: str, *, idempotency_key: str, deadline: float) -> SyncResponse: ...
    def read_state(self, bridge_url: str) -> EnvironmentState: ...
    def point_agent(self, agent_id: str, bridge_url: str) -> NovuNotFoundError | None: ...


class SyncRefusedError(ActionError):
    title = "Sync refused"


class NovuCannotReachBridgeError(ActionError):
    title = "Novu Cloud cannot reach the bridge"


class SyncNotVerifiedError(ActionError):
    title = "Sync result differs from the bridge"


class SyncOutcomeUnknownError(ActionError):
    title = "Sync outcome unknown"


@dataclass(frozen=True)
class Timing:
    """How long the sync may take, from the per-call ``timeout``.

    ``deadline``: the sync request itself (Novu runs the whole sync inside it). After an answer that
    leaves the effect unknown, the environment is read every ``poll`` seconds until it matches the
    bridge, or has not changed for ``stable_for`` seconds (a sync still running would have written by
    then: each of its bridge calls is bounded like ours), or ``give_up_after`` seconds have passed.
    """

    deadline: float
    poll: float
    stable_for: float
    give_up_after: float

    @classmethod
    def for_timeout(cls, timeout: float) -> Timing:
        return cls(
            deadline=10 * timeout,
            poll=min(2.0, timeout / 2),
            stable_for=min(20.0, 2 * timeout),
            give_up_after=10 * timeout,
        )


@dataclass(frozen=True)
class SyncOutcome:
    result: tuple[Any, ...] | None  # Novu's sync response `data`; None when its answer was lost
    notes: tuple[Note, ...]


def idempotency_key(
    *,
    repository: str | None,
    run_id: str | None,
    run_attempt: str,
    environment: str,
    report_id: str | None,
    send: int,
) -> str:
    """Unique per run, attempt, environment, bridge and send; the same for every retry of one send."""
    scope = "\n".join([repository or "", run_id or "", run_attempt, environment, report_id or "", str(send)])
    return "novu-sync-action-" + hashlib.sha256(scope.encode()).hexdigest()[:40]


def refuse_guarded(plan: Plan) -> None:
    """Every guard finding stops the sync before anything is sent."""
    if plan.findings:
        raise SyncRefusedError(refusal(plan, drift=False))


def matches(plan: Plan) -> bool:
    """Whether the environment holds what the bridge serves. Compared by id only, every workflow on both
    sides is an update, so only creates and deletes count."""
    if plan.detail is Detail.IDS_ONLY:
        return not (plan.count(Change.CREATE) or plan.count(Change.DELETE))
    return not plan.has_changes


def sync(
    *,
    plan: Plan,
    api: SyncApi,
    bridge_url: str,
    shown_url: str,
    environment: str,
    key_for: Callable[[int], str],
    replan: Callable[[EnvironmentState], Plan],
    agent_ids: Sequence[str],
    timing: Timing,
    log: Callable[[str], None],
    clock: Callable[[], float],
    sleep: Callable[[float], None],
) -> SyncOutcome:
    """Sync the environment to the bridge; ``replan`` compares a freshly read state with the bridge's
    workflows, ``key_for(n)`` is the Idempotency-Key of the n-th send."""
    refuse_guarded(plan)
    validation = api.validate_bridge(bridge_url)
    if not validation.is_valid:
        reason = f": {validation.error.rstrip('.')}" if validation.error else ""
        advice = validation.advice or (
            "The runner reached it, so check that the deployment is public (no login, VPN or IP allow-list; "
            "for Vercel previews add `?x-vercel-protection-bypass=<secret>` to the URL)."
        )
        raise NovuCannotReachBridgeError(
            f"Novu Cloud could not reach the bridge at {shown_url}{reason}. Nothing was changed. {advice}"
        )
    notes: list[Note] = []
    result: tuple[Any, ...] | None = None
    for send in range(1, _MAX_SENDS + 1):
        try:
            response = api.sync(bridge_url, idempotency_key=key_for(send), deadline=timing.deadline)
        except SyncOutcomeUnknown as unknown:
            log(
                f"The sync's effect is unknown ({unknown.reason}); reading {environment} back before "
                "anything else."
            )
            if _settle(
                api=api,
                bridge_url=bridge_url,
                replan=replan,
                timing=timing,
                log=log,
                clock=clock,
                sleep=sleep,
            ):
                notes.append(Note(NoteKind.APPLIED_WITHOUT_ANSWER, detail=unknown.reason))
                log(f"{environment} matches the bridge: Novu applied the sync, so it is not sent again.")
                break
            if send == _MAX_SENDS:
                raise SyncOutcomeUnknownError(
                    f"Novu did not apply the sync into {environment} after {send} requests whose answers "
                    "were "
                    f"lost (the last: {unknown.reason}), and nothing shows it in progress. Check Novu's "
                    "status "
                    "page and re-run the job; a re-run is safe, because a sync always brings the environment "
                    "to what the bridge serves."
                ) from None
            notes.append(Note(NoteKind.RESENT, detail=unknown.reason))
            log(
                f"{environment} does not match the bridge and is not changing: sending the sync again with a "
                "fresh key."
            )
            continue
        log(f"Novu synced {len(response.workflow_ids)} workflow(s) into {environment}.")
        result = response.data
        verified = replan(api.read_state(bridge_url))
        if not matches(verified):
            raise SyncNotVerifiedError(_difference(verified, environment=environment))
        break
    log(f"Verified: {environment} holds exactly what the bridge serves.")
    notes.extend(_point_agents(api=api, agent_ids=agent_ids, bridge_url=bridge_url, log=log))
    return SyncOutcome(result=result, notes=tuple(notes))


def _settle(
    *,
    api: SyncApi,
    bridge_url: str,
    replan: Callable[[EnvironmentState], Plan],
    timing: Timing,
    log: Callable[[str], None],
    clock: Callable[[], float],
    sleep: Callable[[float], None],
) -> bool:
    """Whether the environment comes to match the bridge (True) or stays different and still (False)."""
    start = clock()
    last_seen: tuple[object, float] | None = None  # a state's fingerprint, and since when it is unchanged
    while True:
        sleep(timing.poll)
        state = api.read_state(bridge_url)
        plan = replan(state)
        now = clock()
        if matches(plan):
            return True
        fingerprint = _fingerprint(state)
        if last_seen is None or last_seen[0] != fingerprint:
            last_seen = (fingerprint, now)
        still_for = now - last_seen[1]
        log(
            f"Read back after {format_seconds(now - start)}: {_counts(plan)} still to do; unchanged for "
            f"{format_seconds(still_for)}."
        )
        if still_for >= timing.stable_for:
            return False
        if now - start >= timing.give_up_after:
            raise SyncOutcomeUnknownError(
                f"The sync's answer was lost and {_counts(plan)} are still to do after "
                f"{format_seconds(now - start)} of reading the environment back, while it keeps changing: "
                "another sync may be running. Nothing more was sent. Wait for it to finish, then re-run the "
                "job."
            )


def _fingerprint(state: EnvironmentState) -> object:
    stored = None if state.stored is None else tuple(sorted((d.workflow_id, d.text) for d in state.stored))
    listed = (
        None if state.listed is None else tuple(sorted((w.workflow_id, w.origin or "") for w in state.listed))
    )
    return (stored, listed)


def _counts(plan: Plan) -> str:
    parts = [
        f"{plan.count(c)} to {c.value}"
        for c in (Change.CREATE, Change.UPDATE, Change.DELETE)
        if plan.count(c)
    ]
    return ", ".join(parts) or "nothing"


def _difference(plan: Plan, *, environment: str) -> str:
    def ids(change: Change) -> str:
        return ", ".join(w.workflow_id for w in plan.of(change)) or "none"

    return (
        f"After the sync, {environment} does not hold what the bridge serves (still missing: "
        f"{ids(Change.CREATE)}; "
        f"still different: {ids(Change.UPDATE)}; still there although the bridge lacks them: "
        f"{ids(Change.DELETE)}). The sync may have stopped halfway, or another sync ran at the same time: "
        "use a "
        "`concurrency` group per environment and re-run the job."
    )


def _point_agents(
    *, api: SyncApi, agent_ids: Sequence[str], bridge_url: str, log: Callable[[str], None]
) -> list[Note]:
    notes = []
    for agent_id in agent_ids:
        missing = api.point_agent(agent_id, bridge_url)
        if missing is None:
            log(f"Agent {agent_id} now uses the bridge.")
        else:
            reason = missing.novu_message or "Novu answered 404 Not Found"
            log(f"Agent {agent_id} was not pointed at the bridge: {reason}.")
            notes.append(Note(NoteKind.AGENT_NOT_POINTED, subject=agent_id, detail=reason))
    return notes
