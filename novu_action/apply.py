"""Sync mode only: refuse what the guards refuse, then sync, then prove the result.

Nothing here decides *what* changes (that is the plan); it makes the change happen once, safely,
and checks that Novu now holds exactly the discovered workflows.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from novu_action.errors import ActionError
from novu_action.novu_api import BridgeValidation, NovuApiError, SyncResponse
from novu_action.plan import ListedWorkflow, Plan


class SyncApi(Protocol):
    """The part of ``novu_api.NovuApi`` a sync uses; tests hand in a stand-in."""

    def validate_bridge(self, bridge_url: str) -> BridgeValidation: ...
    def sync(self, bridge_url: str, *, idempotency_key: str) -> SyncResponse: ...
    def stored_workflows(self, bridge_url: str) -> list[dict[str, Any]] | None: ...
    def list_workflows(self) -> list[ListedWorkflow]: ...
    def point_agent(self, agent_id: str, bridge_url: str) -> None: ...


class SyncRefused(ActionError):
    title = "Sync refused"


class BridgeNotReachableFromNovu(ActionError):
    title = "Novu cannot reach the bridge"


class SyncNotVerified(ActionError):
    title = "Sync result differs from the plan"


class AgentsNotPointed(ActionError):
    title = "Agents not pointed at the bridge"


@dataclass(frozen=True)
class SyncOutcome:
    result: Sequence[Any]  # Novu's sync response `data`, for the `result` output
    held_ids: tuple[str, ...]  # what the environment holds after the sync (verified == discovered)
    agent_ids: tuple[str, ...]


def idempotency_key(
    *, repository: str | None, run_id: str | None, run_attempt: str, environment: str, report_id: str | None
) -> str:
    """Unique per run, attempt, environment and bridge; stable across retries within one attempt."""
    scope = "\n".join([repository or "", run_id or "", run_attempt, environment, report_id or ""])
    return "novu-sync-action-" + hashlib.sha256(scope.encode()).hexdigest()[:40]


def refuse_guarded(plan: Plan) -> None:
    """Every guard finding stops the sync before anything is sent."""
    if not plan.findings:
        return
    parts = [
        f"{finding.headline} Workflows: {', '.join(finding.workflow_ids)}. {finding.remedy}"
        for finding in plan.findings
    ]
    raise SyncRefused("Nothing was changed. " + " ".join(parts))


def sync(
    *,
    plan: Plan,
    api: SyncApi,
    bridge_url: str,
    shown_url: str,
    environment: str,
    key: str,
    agent_ids: Sequence[str],
    log: Callable[[str], None],
) -> SyncOutcome:
    refuse_guarded(plan)
    validation = api.validate_bridge(bridge_url)
    if not validation.is_valid:
        reason = f": {validation.error.rstrip('.')}" if validation.error else ""
        raise BridgeNotReachableFromNovu(
            f"Novu Cloud could not reach the bridge at {shown_url}{reason}. Nothing was changed. "
            "The runner reached it, so check that the deployment is public (no login, VPN or IP allow-list; "
            "for Vercel previews add `?x-vercel-protection-bypass=<secret>` to the URL)."
        )
    response = api.sync(bridge_url, idempotency_key=key)
    log(f"Novu synced {len(response.workflow_ids)} workflow(s) into {environment}.")
    held = _held_ids(api, bridge_url)
    expected = set(plan.discovered_ids)
    if set(held) != expected:
        missing = sorted(expected - set(held))
        extra = sorted(set(held) - expected)
        raise SyncNotVerified(
            f"After the sync {environment} holds {len(held)} workflow(s), not the {len(expected)} the "
            f"bridge discovered (missing: {', '.join(missing) or 'none'}; "
            f"unexpected: {', '.join(extra) or 'none'}). Another sync may have run at the same time: "
            "use a `concurrency` group per environment and re-run."
        )
    log(f"Verified: {environment} holds exactly the {len(expected)} discovered workflow(s).")
    _point_agents(api=api, agent_ids=agent_ids, bridge_url=bridge_url, log=log)
    return SyncOutcome(result=response.data, held_ids=tuple(sorted(held)), agent_ids=tuple(agent_ids))


def _held_ids(api: SyncApi, bridge_url: str) -> list[str]:
    stored = api.stored_workflows(bridge_url)
    if stored is not None:
        return [str(w.get("workflowId")) for w in stored]
    return [w.workflow_id for w in api.list_workflows() if w.is_framework]


def _point_agents(
    *, api: SyncApi, agent_ids: Sequence[str], bridge_url: str, log: Callable[[str], None]
) -> None:
    failed: list[str] = []
    for agent_id in agent_ids:
        try:
            api.point_agent(agent_id, bridge_url)
            log(f"Agent {agent_id} now uses the bridge.")
        except NovuApiError as error:
            failed.append(f"{agent_id} ({error})")
    if failed:
        raise AgentsNotPointed(
            "The workflows were synced, but these agents could not be pointed at the bridge: "
            + "; ".join(failed)
            + ". Re-run the job; the sync itself is safe to repeat."
        )
