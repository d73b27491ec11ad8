"""What a run reports, as one immutable value: the pipeline returns it, and the outputs, the annotations, the
job summary and the comment are all written from it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Literal

from novu_action.errors import ActionError
from novu_action.plan import Change, Plan
from novu_action.target import SourceKind
from novu_action.wording import (
    DRIFT_ADVICE,
    Level,
    Note,
    Sentence,
    compared,
    counts,
    finding_text,
    is_drift,
    note_text,
)

OUTPUT_NAMES = (
    "environment",
    "mode",
    "has-changes",
    "created",
    "updated",
    "deleted",
    "unchanged",
    "plan",
    "comment-url",
    "success",
    "result",
)


class Status(StrEnum):
    """What the report says happened."""

    PREVIEW = "preview"
    SYNCED = "synced"
    REFUSED = "refused"  # a guard stopped the sync before anything changed
    FAILED = "failed"
    SKIPPED = "skipped"


@dataclass(frozen=True)
class ReportContext:
    """What the report needs to know besides the plan. ``shown_source`` is the bridge URL (redacted) or
    the discover file's path: user text, escaped by the renderer."""

    mode: Literal["preview", "sync"]
    environment: str
    report_id: str | None
    source: SourceKind
    shown_source: str
    base_branch: str | None
    commit_sha: str | None
    commit_url: str | None
    run_url: str | None
    dashboard_url: str | None = None

    @property
    def drift(self) -> bool:
        return is_drift(mode=self.mode, source=self.source)

    @property
    def comparison(self) -> Sentence:
        """What was compared with what: the report's first line and the log's."""
        return compared(
            mode=self.mode, source=self.source, shown_source=self.shown_source, commit=self.commit_sha
        )


@dataclass(frozen=True)
class Failure:
    title: str
    message: str


@dataclass(frozen=True)
class Annotation:
    level: Literal["error", "warning", "notice"]
    title: str
    message: str


@dataclass(frozen=True)
class RunResult:
    """``mode`` is empty when the run failed before its target was known."""

    status: Status
    mode: str
    environment: str = ""
    context: ReportContext | None = None
    plan: Plan | None = None
    notes: tuple[Note, ...] = ()
    failure: Failure | None = None
    skip_reason: str | None = None
    comment_url: str = ""
    comment_notice: str | None = None
    synced: tuple[Any, ...] | None = None  # Novu's sync answer (`data`), when there was one

    @property
    def exit_code(self) -> int:
        return 1 if self.failure is not None else 0

    def outputs(self) -> dict[str, str]:
        plan = self.plan
        count = {c: str(plan.count(c)) if plan else "0" for c in Change}
        synced = (
            "{}"
            if self.synced is None
            else json.dumps(list(self.synced), separators=(",", ":"), ensure_ascii=False)
        )
        values = {
            "environment": self.environment,
            "mode": self.mode,
            "has-changes": str(bool(plan and plan.has_changes)).lower(),
            "created": count[Change.CREATE],
            "updated": count[Change.UPDATE],
            "deleted": count[Change.DELETE],
            "unchanged": count[Change.UNCHANGED],
            "plan": plan.to_json() if plan else "{}",
            "comment-url": self.comment_url,
            "success": str(self.failure is None).lower(),
            "result": synced,
        }
        return {name: values[name] for name in OUTPUT_NAMES}


def stopped_by(error: Exception) -> RunResult:
    """The result of a run an error stopped outside the pipeline's stages: the error's own title and
    message, or for an unexpected error (a bug) its type and text with a request to report it, never a
    traceback."""
    if isinstance(error, ActionError):
        return RunResult(Status.FAILED, mode="", failure=Failure(error.title, str(error)))
    return RunResult(
        Status.FAILED,
        mode="",
        failure=Failure(
            "Unexpected error",
            f"{type(error).__name__}: {error}. Nothing more was sent. This is a bug in novu-sync-action: "
            "please open an issue with this log.",
        ),
    )


def annotations_of(result: RunResult) -> list[Annotation]:
    """The run's annotations: notes and findings as warnings or notices, one closing notice, and exactly one
    error when it failed. Titles name the environment."""
    where = f" ({result.environment})" if result.environment else ""
    found: list[Annotation] = []
    for note in result.notes:
        text = note_text(note)
        found.append(
            Annotation(text.level.value, text.title + where, text.sentence.plain(result.environment))
        )
    if result.comment_notice:
        found.append(Annotation(Level.NOTICE.value, "No pull request comment", result.comment_notice))
    context, plan = result.context, result.plan
    if result.status is Status.PREVIEW and plan is not None and context is not None:
        failing = result.failure is not None
        for finding in plan.findings if not failing else ():
            said = finding_text(finding, drift=context.drift)
            refused = (
                "A sync of the deployed bridge would be refused"
                if context.drift
                else "The sync after merge would be refused"
            )
            found.append(
                Annotation(
                    "warning",
                    refused + where,
                    f"{said.headline} Workflows: {', '.join(finding.workflow_ids)}. {said.remedy}",
                )
            )
    if result.failure is not None:
        found.append(Annotation("error", result.failure.title + where, result.failure.message))
    elif result.status is Status.SKIPPED:
        found.append(Annotation("notice", "Novu sync skipped", f"Skipped: {result.skip_reason}"))
    elif plan is not None and context is not None:
        found.append(Annotation("notice", *closing_notice(result.status, plan, context)))
    return found


def closing_notice(status: Status, plan: Plan, context: ReportContext) -> tuple[str, str]:
    """The title and text of the notice a successful run ends with (the log's last line says the same)."""
    environment = context.environment
    if status is Status.SYNCED:
        return f"Novu {environment} synced", f"{environment} synced: {counts(plan)}."
    if context.drift:
        return (
            f"Novu {environment} preview of the deployed bridge",
            f"{environment} compared with its deployed bridge, not with this pull request's code: "
            f"{counts(plan)}. Differences are drift, not changes of this pull request. {DRIFT_ADVICE}",
        )
    return f"Novu {environment} preview", f"{environment} preview: {counts(plan)}."
