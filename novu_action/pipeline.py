"""The pipeline, top to bottom: target, plan, apply, report. Every client is passed in.

``run`` takes the validated settings and ``Connections`` (what talks to Novu, the bridge and the code host)
and returns an immutable ``RunResult``; it prints progress through ``Log`` and nothing else. The GitHub
action (``main``), the command line (``cli``) and GitLab CI (``gitlab``) assemble real connections; tests
hand in stand-ins.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Protocol

from novu_action.errors import ActionError
from novu_action.events import PullRequest
from novu_action.redaction import redact_url
from novu_action.report import Failure, ReportContext, RunResult, Status
from novu_action.target import Mode, Skip, Target, deployment_skip, resolve_target
from novu_action.wording import Note, NoteKind, counts, refusal

if TYPE_CHECKING:
    from novu_action.bridge import HealthCheck
    from novu_action.discovery import Discovery
    from novu_action.github import CommentOutcome
    from novu_action.novu_api import BridgeValidation, EnvironmentInfo, SyncResponse
    from novu_action.novu_errors import NovuNotFoundError
    from novu_action.plan import Plan
    from novu_action.settings import CommentMode, Settings
    from novu_action.state import EnvironmentState


class KeyForOtherEnvironmentError(ActionError):
    title = "Secret key of another environment"


class Progress(Protocol):
    """Where the pipeline reports what it does while it runs (the runner's log, a terminal)."""

    def log(self, text: str) -> None: ...
    def group(self, title: str) -> AbstractContextManager[None]: ...


class NovuConnection(Protocol):
    """``novu_api.NovuApi``: what the plan reads and what ``apply.SyncApi`` needs."""

    def environment(self) -> EnvironmentInfo | None: ...
    def read_state(self, bridge_url: str) -> EnvironmentState: ...
    def validate_bridge(self, bridge_url: str) -> BridgeValidation: ...
    def sync(self, bridge_url: str, *, idempotency_key: str, deadline: float) -> SyncResponse: ...
    def point_agent(self, agent_id: str, bridge_url: str) -> NovuNotFoundError | None: ...


class BridgeConnection(Protocol):
    def health(self) -> HealthCheck: ...
    def discover(self) -> Discovery: ...
    def verifies_signatures(self) -> bool: ...


class CommentPublisher(Protocol):
    def publish(self, *, body: str, marker: str, mode: CommentMode, has_changes: bool) -> CommentOutcome: ...


class Connections(Protocol):
    """What the pipeline talks to, made for the run's target."""

    def novu(self, target: Target) -> NovuConnection: ...
    def bridge(self, target: Target) -> BridgeConnection: ...
    def read_discover_file(self, path: str) -> Discovery: ...
    def comments(self, pr_number: int) -> CommentPublisher | None: ...
    def pull_request_for_commit(self, sha: str) -> PullRequest | None: ...
    def comment_marker(self, report_id: str | None) -> str: ...


@dataclass(frozen=True)
class Clock:
    now: Callable[[], float]
    sleep: Callable[[float], None]


@dataclass(frozen=True)
class _Planned:
    plan: Plan
    discovery: Discovery
    notes: tuple[Note, ...]
    context: ReportContext


def run(
    *,
    settings: Settings,
    connections: Connections,
    progress: Progress,
    clock: Clock,
    confirm: Callable[[RunResult], bool] | None = None,
) -> RunResult:
    """One run: decide the target, then preview or sync it. ``confirm`` (a terminal's question) sees the
    planned sync before it is applied and may stop it."""
    inputs, event = settings.inputs, settings.event
    try:
        skip = deployment_skip(inputs=inputs, event=event)
        if skip is None and event.deployment is not None and event.sha is not None:
            found = connections.pull_request_for_commit(event.sha)
            if found is None:
                skip = Skip(
                    f"no open pull request has commit `{event.sha[:7]}` as its head, so there is no pull "
                    "request to preview this deployment for."
                )
            else:
                event = event.for_pull_request(number=found.number, base_branch=found.base_branch)
        target = skip or resolve_target(inputs=inputs, event=event)
    except ActionError as error:
        return RunResult(Status.FAILED, mode="", failure=Failure(error.title, str(error)))
    if isinstance(target, Skip):
        return RunResult(Status.SKIPPED, mode=Mode.SKIP.value, skip_reason=target.reason)
    context = ReportContext(
        mode="preview" if target.mode is Mode.PREVIEW else "sync",
        environment=target.environment,
        report_id=inputs.id,
        source=target.source,
        shown_source=redact_url(target.bridge_url) if target.bridge_url else str(target.discover_file),
        base_branch=event.base_branch,
        commit_sha=event.sha,
        commit_url=settings.context.commit_url(event.sha),
        run_url=settings.context.run_url,
    )
    progress.log(context.comparison.plain(target.environment))
    try:
        planned = _plan(
            target=target,
            context=context,
            api_url=inputs.api_url,
            connections=connections,
            progress=progress,
        )
    except ActionError as error:
        result = RunResult(
            Status.FAILED,
            mode=context.mode,
            environment=target.environment,
            context=context,
            failure=Failure(error.title, str(error)),
        )
    else:
        if target.mode is not Mode.PREVIEW:
            return _sync(
                planned,
                settings=settings,
                target=target,
                connections=connections,
                progress=progress,
                clock=clock,
                confirm=confirm,
            )
        result = _previewed(planned, fail_on_refusal=target.fail_on_refusal)
    if target.mode is not Mode.PREVIEW or event.pr_number is None:
        return result
    return _comment(
        result, settings=settings, connections=connections, progress=progress, pr_number=event.pr_number
    )


def _previewed(planned: _Planned, *, fail_on_refusal: bool) -> RunResult:
    failure: Failure | None = None
    if fail_on_refusal and planned.plan.findings:
        failure = Failure(
            "The sync after merge would be refused",
            refusal(planned.plan, drift=planned.context.drift).replace("Nothing was changed. ", "", 1)
            + " (`fail-on-refusal: true` fails this check.)",
        )
    return _planned_result(planned, status=Status.PREVIEW, notes=planned.notes, failure=failure)


def _comment(
    result: RunResult, *, settings: Settings, connections: Connections, progress: Progress, pr_number: int
) -> RunResult:
    from novu_action import render

    publisher = connections.comments(pr_number)
    if publisher is None:
        return result
    marker = connections.comment_marker(settings.inputs.id)
    with progress.group("Update the pull request comment"):
        try:
            published = publisher.publish(
                body=render.render_comment(result, marker=marker),
                marker=marker,
                mode=settings.inputs.comment_mode,
                has_changes=bool(result.plan and result.plan.has_changes),
            )
        except ActionError as error:
            if result.failure is not None:
                progress.log(f"The comment could not be written either: {error}")
                return result
            return replace(result, failure=Failure(error.title, str(error)))
        progress.log(f"Comment {published.action}" + (f": {published.url}" if published.url else ""))
    return replace(result, comment_url=published.url or "", comment_notice=published.notice)


def _sync(
    planned: _Planned,
    *,
    settings: Settings,
    target: Target,
    connections: Connections,
    progress: Progress,
    clock: Clock,
    confirm: Callable[[RunResult], bool] | None,
) -> RunResult:
    from novu_action import apply
    from novu_action.planner import build_plan

    notes = planned.notes
    if settings.inputs.discover_file is not None:
        notes = (*notes, Note(NoteKind.DISCOVER_FILE_IGNORED))
    if confirm is not None and not confirm(_planned_result(planned, status=Status.PREVIEW, notes=notes)):
        not_confirmed = Failure(
            "Sync not confirmed", f"Nothing was changed: the sync of {target.environment} was not confirmed."
        )
        return _planned_result(planned, status=Status.REFUSED, notes=notes, failure=not_confirmed)
    environment, discovered = target.environment, planned.discovery.workflows
    github = settings.context
    bridge_url = target.bridge_url or ""
    try:
        with progress.group(f"Sync {environment}"):
            outcome = apply.sync(
                plan=planned.plan,
                api=connections.novu(target),
                bridge_url=bridge_url,
                shown_url=planned.context.shown_source,
                environment=environment,
                key_for=lambda send: apply.idempotency_key(
                    repository=github.repository,
                    run_id=github.run_id,
                    run_attempt=github.run_attempt,
                    environment=environment,
                    report_id=settings.inputs.id,
                    send=send,
                ),
                replan=lambda state: build_plan(
                    discovered=discovered,
                    state=state,
                    allow_deletions=True,
                    allow_emptying=True,
                    environment=environment,
                ),
                agent_ids=planned.discovery.agent_ids,
                timing=apply.Timing.for_timeout(settings.inputs.timeout),
                log=progress.log,
                clock=clock.now,
                sleep=clock.sleep,
            )
    except apply.SyncRefusedError as error:  # the guards' own verdict: nothing was sent
        return _planned_result(
            planned, status=Status.REFUSED, notes=notes, failure=Failure(error.title, str(error))
        )
    except ActionError as error:
        return _planned_result(
            planned, status=Status.FAILED, notes=notes, failure=Failure(error.title, str(error))
        )
    return _planned_result(planned, status=Status.SYNCED, notes=notes + outcome.notes, synced=outcome.result)


def _planned_result(
    planned: _Planned,
    *,
    status: Status,
    notes: tuple[Note, ...],
    failure: Failure | None = None,
    synced: tuple[Any, ...] | None = None,
) -> RunResult:
    context = planned.context
    return RunResult(
        status,
        mode=context.mode,
        environment=context.environment,
        context=context,
        plan=planned.plan,
        notes=notes,
        failure=failure,
        synced=synced,
    )


def _plan(
    *, target: Target, context: ReportContext, api_url: str, connections: Connections, progress: Progress
) -> _Planned:
    """Check the key, read the environment, discover the workflows and compare them."""
    from novu_action.planner import build_plan  # not imported by runs that skip

    notes: list[Note] = []
    novu = connections.novu(target)
    environment = target.environment
    with progress.group(f"Check that the secret key belongs to {environment}"):
        found = novu.environment()
        if found is None:
            notes.append(Note(NoteKind.KEY_NOT_CHECKED))
            progress.log("Novu did not say which environment the key belongs to.")
        elif found.name.casefold() != environment.casefold():
            raise KeyForOtherEnvironmentError(
                f"The secret key in `{target.key_input}` belongs to Novu's {found.name} environment, but "
                "this "
                f"run targets {environment}. Nothing was sent to the bridge. Set `{target.key_input}` to the "
                f"secret key of {environment} (Novu Dashboard → Developer → API Keys, with {environment} "
                "selected)."
            )
        else:
            progress.log(f"The secret key belongs to {found.name}.")
    # The stored definitions are read before the bridge's answer is: holding both as trees at once is what
    # would make a large bridge expensive (state.py keeps stored definitions as text).
    with progress.group(f"Read what {environment} holds"):
        state = novu.read_state(target.bridge_url or "")
        stored = (
            "no stored definitions" if state.stored is None else f"{len(state.stored)} stored definitions"
        )
        listed = "no workflow list" if state.listed is None else f"{len(state.listed)} workflows listed"
        progress.log(f"{environment}: {stored}, {listed}.")
    if state.stored is None:
        notes.append(Note(NoteKind.NO_STORED_DEFINITIONS))
    if state.listed is None:
        notes.append(Note(NoteKind.NO_WORKFLOW_LIST))
    with progress.group("Discover the bridge's workflows"):
        discovery = _discover(
            target=target, context=context, connections=connections, progress=progress, notes=notes
        )
    with progress.group("Plan"):
        plan = build_plan(
            discovered=discovery.workflows,
            state=state,
            allow_deletions=target.allow_deletions,
            allow_emptying=target.allow_emptying,
            environment=environment,
        )
        progress.log("Plan: " + counts(plan) + ("" if plan.has_changes else " (no changes)"))
        for line in _changed_lines(plan):
            progress.log(line)
    if plan.takeovers:
        notes.append(Note(NoteKind.TAKEOVER, subject=", ".join(plan.takeovers)))
    dashboard = None
    if found is not None:
        from novu_action.novu_urls import dashboard_workflows_url

        dashboard = dashboard_workflows_url(api_url, found.slug)
    return _Planned(plan, discovery, tuple(notes), replace(context, dashboard_url=dashboard))


def _discover(
    *, target: Target, context: ReportContext, connections: Connections, progress: Progress, notes: list[Note]
) -> Discovery:
    if target.discover_file is not None:
        discovery = connections.read_discover_file(target.discover_file)
        progress.log(
            f"Read {len(discovery.workflows)} workflows from the discover file {target.discover_file}."
        )
        return discovery
    bridge = connections.bridge(target)
    health = bridge.health()
    progress.log(f"Bridge is up: {health.discovered.workflows} workflows, {health.discovered.steps} steps.")
    discovery = bridge.discover()
    progress.log(
        f"Discovered {len(discovery.workflows)} workflows with a signed request "
        f"(@novu/framework {discovery.sdk_version or 'version unknown'})."
    )
    if not bridge.verifies_signatures():
        notes.append(Note(NoteKind.UNSIGNED_BRIDGE, subject=context.shown_source))
    return discovery


def _changed_lines(plan: Plan) -> Iterator[str]:
    from novu_action.plan import Change

    for change in plan.workflows:
        if change.change is not Change.UNCHANGED:
            yield f"  {change.change.value:<9} {change.workflow_id}"
