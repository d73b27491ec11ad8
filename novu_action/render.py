"""The report: Markdown for the job summary and the pull request comment, rendered once from a run's result.

Pure: result in, text out; no I/O, no clock, no randomness. Untrusted text (from the bridge, from Novu, from
inputs) goes in only through ``markdown``'s primitives; the action's own sentences come from ``wording``.

Size budgets live here and only here: ``render_comment`` stays within GitHub's comment limit (in characters)
and ``render_summary`` within the step summary limit (in UTF-8 bytes). When the full report does not fit,
detail goes first; the counts, the guard findings and the deletions go last.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from novu_action import __version__
from novu_action import markdown as md
from novu_action.diff_text import defined_steps, diff_lines
from novu_action.plan import (
    Change,
    Guard,
    GuardFinding,
    Plan,
    WorkflowChange,
)
from novu_action.report import ReportContext, RunResult, Status
from novu_action.wording import DRIFT_ADVICE, Code, Sentence, counts_label, finding_text, note_text

COMMENT_LIMIT = 65_536  # characters (Python len): GitHub's "Body is too long (maximum is 65536 characters)"
SUMMARY_LIMIT = 1_048_576  # bytes of UTF-8: a larger $GITHUB_STEP_SUMMARY is dropped whole
ACTION = "novu-sync-action"

_MARK = {Change.CREATE: "🟢", Change.UPDATE: "🟡", Change.DELETE: "🔴", Change.UNCHANGED: "⚪"}
_SECTION_ORDER = (Change.DELETE, Change.UPDATE, Change.CREATE)
_UNCHANGED_LISTED_UP_TO = 50
_ERROR_CHARS = 2_000  # escaped, at most ~12 times longer: still far below the comment limit
_PLAN_OUTPUT_HINT = "The step's `plan` output lists every change as JSON."
_DELETION_GUARDS = (Guard.DELETIONS_NOT_ALLOWED, Guard.EMPTY_BRIDGE)


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _sentence(sentence: Sentence, environment: str) -> str:
    """A sentence of ``wording`` in Markdown: its values as code or escaped text, its own words as written."""
    values = (
        md.code(v.value, 300) if isinstance(v, Code) else md.text(v.value, 300) for v in sentence.values
    )
    return sentence.text.format(*values, env=md.text(environment, 100))


# ---------------------------------------------------------------------------------------------------
# The top of the report: never shortened


def _title(context: ReportContext | None) -> str:
    if context is None:
        return "### Novu sync"
    kind = "Novu sync preview" if context.mode == "preview" else "Novu sync"
    title = f"### {kind} — {md.text(context.environment, 100)}"
    return title + f" · {md.text(context.report_id, 100)}" if context.report_id else title


def _counts(plan: Plan) -> str:
    return " · ".join(f"{_MARK[change]} {plan.count(change)} {change.value}" for change in Change)


def _top(result: RunResult) -> list[str]:
    context, plan, env = result.context, result.plan, result.environment
    blocks = [_title(context)]
    if context is not None:
        line = context.comparison
        run = md.link("Run log", context.run_url)
        blocks.append(_sentence(line, env) + (f" · {run}" if run else ""))
    where = md.bold(md.text(env, 100)) if env else "the environment"
    match result.status:
        case Status.SYNCED:
            blocks.append("✅ Synced.")
        case Status.REFUSED:
            blocks.append(f"⛔ The sync into {where} was refused before anything changed.")
        case Status.FAILED if context is not None and context.mode == "preview":
            blocks.append(f"❌ The preview of {where} failed. Nothing was changed.")
        case Status.FAILED:
            blocks.append(f"❌ The sync into {where} failed.")
        case _:
            pass
    if result.failure is not None and not (result.status is Status.REFUSED and plan and plan.findings):
        title = md.bold(md.text(result.failure.title))
        blocks.append(md.alert("CAUTION", [title, *md.from_plain(result.failure.message, _ERROR_CHARS)]))
    if plan is not None and context is not None:
        label = counts_label(
            plan=plan,
            mode=context.mode,
            source=context.source,
            base_branch=context.base_branch,
            synced=result.status is Status.SYNCED,
        )
        applied = result.status in (Status.PREVIEW, Status.SYNCED)
        blocks.append(_sentence(label, env) if applied else "Planned, not applied:")
        blocks.append(_counts(plan))
    if context is not None and context.drift:
        blocks.append(md.alert("IMPORTANT", md.from_plain(DRIFT_ADVICE)))
    return blocks


def _finding(finding: GuardFinding, *, result: RunResult, cap: int | None) -> str:
    drift = result.context.drift if result.context else False
    text = finding_text(finding, drift=drift)
    consequence = {
        Status.PREVIEW: "A sync of the deployed bridge would be refused:"
        if drift
        else "The sync after merge would be refused:",
        Status.REFUSED: "This stopped the sync:",
    }.get(result.status)
    headline = md.from_plain(text.headline)[0]
    codes = [md.code(workflow_id) for workflow_id in finding.workflow_ids]
    return md.alert(
        "CAUTION",
        (
            f"**{consequence}** {headline}" if consequence else headline,
            f"- Workflows: {_id_list(codes, cap=cap, more='more — see the `plan` output')}",
            f"- Fix: {' '.join(md.from_plain(text.remedy))}",
        ),
    )


def _id_list(codes: Sequence[str], *, cap: int | None, more: str) -> str:
    """Comma-separated ids, the first ``cap`` of them followed by "… and N more"."""
    if cap is None or cap >= len(codes):
        return ", ".join(codes)
    return ", ".join((*codes[:cap], f"… and {len(codes) - cap} {more}"))


def _deletions(result: RunResult, *, cap: int | None) -> str | None:
    """The one alert about deletions, unless a guard finding already lists them."""
    plan = result.plan
    if (
        plan is None
        or not plan.count(Change.DELETE)
        or any(f.guard in _DELETION_GUARDS for f in plan.findings)
    ):
        return None
    deleted = sorted(plan.of(Change.DELETE), key=lambda w: w.workflow_id)
    where = md.bold(md.text(result.environment, 100))
    workflows = _plural(len(deleted), "workflow")
    lead = {
        Status.PREVIEW: f"Would delete {workflows} from {where}; Novu keeps no copy:",
        Status.SYNCED: f"Deleted {workflows} from {where}:",
    }.get(result.status, f"The plan deletes {workflows} from {where}:")
    codes = [md.code(w.workflow_id) for w in deleted]
    return md.alert(
        "WARNING", (f"{lead} {_id_list(codes, cap=cap, more='more deletions — see the `plan` output')}",)
    )


def _notes(result: RunResult) -> list[str]:
    blocks = []
    for note in result.notes:
        words = note_text(note)
        kind: md.AlertKind = "WARNING" if words.level.value == "warning" else "NOTE"
        blocks.append(
            md.alert(kind, (f"**{md.text(words.title)}:** {_sentence(words.sentence, result.environment)}",))
        )
    return blocks


def _footer(context: ReportContext | None) -> str:
    parts = []
    if context is not None:
        if context.commit_sha:
            commit = f"commit {context.commit_sha[:7]}"
            parts.append(md.link(commit, context.commit_url) or md.code(context.commit_sha[:7]))
        dashboard = md.link("Novu Dashboard", context.dashboard_url)
        if dashboard:
            parts.append(dashboard)
        if context.shown_source:
            parts.append(f"source {md.code(context.shown_source, 300)}")
    parts.append(f"{ACTION} {__version__}")
    return f"<sub>{' · '.join(parts)}</sub>"


# ---------------------------------------------------------------------------------------------------
# One changed workflow: a collapsible section with its diff, or one line


def _headline(workflow: WorkflowChange, *, code: Callable[[str], str]) -> str:
    """``🟡 update `id` · Name · 2 field changes, 1 step change``; ``code`` suits Markdown or HTML."""
    parts = [f"{_MARK[workflow.change]} {workflow.change.value} {code(workflow.workflow_id)}"]
    if workflow.name and workflow.name != workflow.workflow_id:
        parts.append(md.text(workflow.name))
    if workflow.change is Change.UPDATE:
        counted = [
            _plural(len(items), noun)
            for items, noun in ((workflow.fields, "field change"), (workflow.steps, "step change"))
            if items
        ]
        if counted:
            parts.append(", ".join(counted))
    elif workflow.change is Change.CREATE and (steps := defined_steps(workflow.definition)):
        parts.append(_plural(len(steps), "step"))
    return " · ".join(parts)


def _section(workflow: WorkflowChange) -> str:
    if workflow.change is Change.DELETE:  # nothing to unfold: one line
        return f"- {_headline(workflow, code=md.code)}"
    return (
        f"<details><summary>{_headline(workflow, code=md.html_code)}</summary>\n\n"
        f"{md.fenced('diff', diff_lines(workflow))}\n\n"
        "</details>"
    )


# ---------------------------------------------------------------------------------------------------
# Layouts and budgets


@dataclass(frozen=True)
class _Layout:
    """How much detail to show.

    ``detailed_count``: how many changed workflows (in section order) keep their section and diff; the
    others get one line each. ``None``: changed workflows are listed by id only, per kind.
    ``list_cap``: most ids shown in the created, updated and unchanged lists.
    ``deletion_cap``: most ids shown in the deletion alert and in each finding (the last resort).
    """

    detailed_count: int | None
    list_cap: int | None = None
    deletion_cap: int | None = None


@dataclass(frozen=True)
class _Report:
    """The parts of one report, rendered once; ``text`` assembles them for a layout."""

    result: RunResult
    header: str
    top: tuple[str, ...]
    shortened_hint: str
    changed: tuple[WorkflowChange, ...]  # in section order
    sections: tuple[str, ...]
    lines: tuple[str, ...]
    unchanged_codes: tuple[str, ...]

    @classmethod
    def build(cls, result: RunResult, *, header: str, shortened_hint: str) -> _Report:
        plan = result.plan or Plan(workflows=())
        changed = tuple(
            workflow
            for change in _SECTION_ORDER
            for workflow in sorted(plan.of(change), key=lambda w: w.workflow_id)
        )
        return cls(
            result=result,
            header=header,
            top=tuple(_top(result)),
            shortened_hint=shortened_hint,
            changed=changed,
            sections=tuple(_section(workflow) for workflow in changed),
            lines=tuple(f"- {_headline(workflow, code=md.code)}" for workflow in changed),
            unchanged_codes=tuple(
                md.code(w.workflow_id) for w in sorted(plan.of(Change.UNCHANGED), key=lambda w: w.workflow_id)
            ),
        )

    @property
    def plan(self) -> Plan:
        return self.result.plan or Plan(workflows=())

    @property
    def full(self) -> _Layout:
        return _Layout(detailed_count=len(self.changed))

    @property
    def longest_list(self) -> int:
        return max(len(self.unchanged_codes), self.plan.count(Change.CREATE), self.plan.count(Change.UPDATE))

    @property
    def longest_deletion_list(self) -> int:
        return max([self.plan.count(Change.DELETE), *(len(f.workflow_ids) for f in self.plan.findings)])

    def text(self, layout: _Layout) -> str:
        blocks = [self.header] if self.header else []
        blocks.extend(self.top)
        blocks.extend(_finding(f, result=self.result, cap=layout.deletion_cap) for f in self.plan.findings)
        deletions = _deletions(self.result, cap=layout.deletion_cap)
        if deletions:
            blocks.append(deletions)
        blocks.extend(_notes(self.result))
        if layout != self.full:
            blocks.append(
                md.alert(
                    "NOTE", (f"This report was shortened to fit GitHub's size limit. {self.shortened_hint}",)
                )
            )
        blocks.extend(self._changes(layout))
        if self.unchanged_codes:
            blocks.append(self._unchanged(layout))
        blocks.append(_footer(self.result.context))
        return "\n\n".join(blocks) + "\n"

    def _changes(self, layout: _Layout) -> list[str]:
        if layout.detailed_count is not None:
            detailed = list(self.sections[: layout.detailed_count])
            rest = self.lines[layout.detailed_count :]
            return _joined_lists([*detailed, *rest])
        lines = []
        for change in _SECTION_ORDER:
            ids = [md.code(w.workflow_id) for w in self.changed if w.change is change]
            if ids:
                listed = _id_list(
                    ids, cap=layout.deletion_cap if change is Change.DELETE else layout.list_cap, more="more"
                )
                lines.append(f"- {_MARK[change]} {change.value} ({len(ids)}): {listed}")
        return ["\n".join(lines)] if lines else []

    def _unchanged(self, layout: _Layout) -> str:
        count = len(self.unchanged_codes)
        if count > _UNCHANGED_LISTED_UP_TO:
            return f"{_MARK[Change.UNCHANGED]} {count} unchanged (not listed)"
        listed = _id_list(self.unchanged_codes, cap=layout.list_cap, more="more")
        return f"{_MARK[Change.UNCHANGED]} {count} unchanged: {listed}"


def _joined_lists(blocks: list[str]) -> list[str]:
    """Consecutive one-line list items join into one list; sections stay blocks of their own."""
    joined: list[str] = []
    for block in blocks:
        if block.startswith("- ") and joined and joined[-1].startswith("- "):
            joined[-1] += "\n" + block
        else:
            joined.append(block)
    return joined


def _within(*, limit_chars: int | None = None, limit_bytes: int | None = None) -> Callable[[str], bool]:
    def fits(text: str) -> bool:
        return (limit_chars is None or len(text) <= limit_chars) and (
            limit_bytes is None or len(text.encode()) <= limit_bytes
        )

    return fits


def _largest(fits: Callable[[int], bool], *, high: int) -> int | None:
    """The largest n in [0, high] with ``fits(n)``, for a ``fits`` that holds up to some n; else None.

    A binary search: ``fits(low)`` holds throughout, and each step halves [low, high].
    """
    if high < 0 or not fits(0):
        return None
    low = 0
    while low < high:
        middle = (low + high + 1) // 2
        if fits(middle):
            low = middle
        else:
            high = middle - 1
    return low


def _fit(report: _Report, fits: Callable[[str], bool]) -> str:
    """The most detailed rendering of ``report`` that fits, degrading one step at a time: fold diffs (the
    last sections first), then list ids only, then fewer ids, then fewer deleted ids; each step's
    parameter is the largest that fits."""
    full = report.text(report.full)
    if fits(full):
        return full
    # Each step's upper bound is the first value that changes nothing, minus what an earlier step already
    # tried: every section detailed is ``full`` (so at most one fewer); a cap of the longest list shows every
    # list whole (the first layout without diffs, not tried yet); a deletion cap of the longest deletion
    # list is the previous step's last layout (so at most one fewer). A search with no fitting value moves on.
    steps: tuple[tuple[Callable[[int], _Layout], int], ...] = (
        (lambda n: _Layout(detailed_count=n), len(report.changed) - 1),
        (lambda n: _Layout(detailed_count=None, list_cap=n), report.longest_list),
        (
            lambda n: _Layout(detailed_count=None, list_cap=0, deletion_cap=n),
            report.longest_deletion_list - 1,
        ),
    )
    for layout_for, high in steps:
        best = _largest(lambda n: fits(report.text(layout_for(n))), high=high)  # noqa: B023 -- used at once
        if best is not None:
            return report.text(layout_for(best))
    return _cut(report.text(_Layout(detailed_count=None, list_cap=0, deletion_cap=0)), fits)


def _cut(text: str, fits: Callable[[str], bool]) -> str:
    """Absurd inputs only (say, megabytes of notes): keep whole lines from the top, then say so."""
    lines = text.split("\n")
    note = (
        "\n\n"
        + md.alert(
            "WARNING", (f"The rest of this report was cut to fit GitHub's size limit. {_PLAN_OUTPUT_HINT}",)
        )
        + "\n"
    )
    kept = _largest(lambda n: fits("\n".join(lines[:n]) + note), high=len(lines))
    if kept is not None:
        return "\n".join(lines[:kept]) + note
    length = _largest(lambda n: fits(text[:n]), high=len(text))
    return text[: length or 0]


# ---------------------------------------------------------------------------------------------------
# Public entry points


def render_report(
    result: RunResult,
    *,
    limit_chars: int | None = None,
    limit_bytes: int | None = None,
    header: str = "",
    shortened_hint: str = _PLAN_OUTPUT_HINT,
) -> str:
    """The report, with ``header`` as its first line, within ``limit_chars`` characters and ``limit_bytes``
    UTF-8 bytes. ``shortened_hint`` (trusted Markdown) says where to find the rest when it was shortened."""
    if result.status is Status.SKIPPED:
        return f"### Novu sync skipped\n\n{md.text(result.skip_reason or '', 1_000)}\n"
    report = _Report.build(result, header=header, shortened_hint=shortened_hint)
    return _fit(report, _within(limit_chars=limit_chars, limit_bytes=limit_bytes))


def render_comment(result: RunResult, *, marker: str) -> str:
    """The pull request comment: ``marker`` first, then the report; at most COMMENT_LIMIT characters."""
    run = md.link("this run", result.context.run_url if result.context else None) or "this run"
    return render_report(
        result,
        limit_chars=COMMENT_LIMIT,
        header=marker,
        shortened_hint=f"The job summary of {run} has more detail. {_PLAN_OUTPUT_HINT}",
    )


def render_summary(result: RunResult) -> str:
    """The job summary: the same report; at most SUMMARY_LIMIT bytes of UTF-8."""
    return render_report(result, limit_bytes=SUMMARY_LIMIT)
