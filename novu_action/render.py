"""The report: Markdown for the job summary and the pull request comment, rendered once from the plan.

Pure: plan and context in, text out; no I/O, no clock, no randomness.

Every string that came from the bridge or from Novu (workflow ids, names, step ids and types, field
values, the bridge URL, error text) is untrusted. Outside fenced code blocks it goes through
``escape_markdown``; inside a fenced block it is kept on one line and the fence is made longer than
any backtick run in the block, so nothing can close it.

Size budgets live here and only here: ``render_comment`` stays within GitHub's comment limit (in
characters) and ``render_summary`` within the step summary limit (in UTF-8 bytes). When the full
report does not fit, detail goes first and the counts, the guard findings and the deletions last.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from novu_action.plan import (
    Change,
    Detail,
    DiffKind,
    FieldDiff,
    GuardFinding,
    Plan,
    StepChange,
    StepDiff,
    WorkflowChange,
)

COMMENT_LIMIT = 65_536  # characters (Python len): GitHub's "Body is too long (maximum is 65536 characters)"
SUMMARY_LIMIT = 1_048_576  # bytes of UTF-8: a larger $GITHUB_STEP_SUMMARY is dropped whole


class Status(StrEnum):
    """What the report says happened."""

    PREVIEW = "preview"
    SYNCED = "synced"
    REFUSED = "refused"  # a guard stopped the sync before anything changed
    FAILED = "failed"


@dataclass(frozen=True)
class ReportContext:
    """What the report needs to know besides the plan.

    ``bridge_url`` is already redacted by the caller but is still user text: it is escaped here.
    ``notes`` are the action's own warnings: trusted Markdown, shown as written.
    """

    mode: Literal["preview", "sync"]
    environment: str
    report_id: str | None
    bridge_url: str
    previewing_deployed_bridge: bool
    base_branch: str | None
    commit_sha: str | None
    run_url: str | None
    notes: tuple[str, ...] = ()


# ---------------------------------------------------------------------------------------------------
# Escaping

# A zero-width space between "@" and a name stops GitHub's mention filter and the e-mail autolinker
# (Renovate writes "@&#8203;name" in pull request bodies for the same reason). "&#64;" alone would not
# do: GitHub finds mentions in the rendered text, after entities are decoded. The same goes for "#12"
# (issue references), "http://" and "www." (autolinks, which cmark-gfm applies even inside an inline
# <code> element).
_ZERO_WIDTH_SPACE = "&#8203;"
_ENTITIES = str.maketrans(
    {
        "&": "&amp;",
        "<": "&lt;",
        ">": "&gt;",
        '"': "&quot;",
        "'": "&#39;",
        "\\": "&#92;",
        "`": "&#96;",
        "*": "&#42;",
        "_": "&#95;",
        "~": "&#126;",
        "[": "&#91;",
        "]": "&#93;",
        "(": "&#40;",
        ")": "&#41;",
        "!": "&#33;",
        "|": "&#124;",
        "$": "&#36;",  # GitHub renders $…$ as math
        "#": "&#35;" + _ZERO_WIDTH_SPACE,
        "@": "@" + _ZERO_WIDTH_SPACE,
    }
)
_AUTOLINK_PREFIXES = re.compile(r"(?i)(?<=:)(?=//)|(?<=www)(?=\.)")
# Characters that only mean something at the start of a line: list markers, setext underlines,
# ordered-list numbers and indentation (four spaces start a code block).
_LINE_START_MARKUP = re.compile(r"^(?:[ ]+|[-+=]|\d+(?=\.))")
_LINE_BREAKS = re.compile(r"\r\n|[\r\n\t\v\f\x85\u2028\u2029]")
_INVISIBLE_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")  # incl. bidi overrides


def escape_markdown(text: str) -> str:
    """Make untrusted text render literally, on one line, in Markdown and inside HTML elements alike.

    Line breaks become spaces; control and bidi-override characters become U+FFFD. HTML and
    Markdown punctuation become numeric character references (decoded both in Markdown text and
    in raw HTML such as ``<summary>``, never structural). A zero-width space follows ``@`` and
    ``#`` and splits ``://`` and ``www.``, so no mention, issue reference or autolink can form.
    """
    one_line = _INVISIBLE_CONTROLS.sub("\ufffd", _LINE_BREAKS.sub(" ", text))
    escaped = _AUTOLINK_PREFIXES.sub(_ZERO_WIDTH_SPACE, one_line.translate(_ENTITIES))
    return _LINE_START_MARKUP.sub(_escape_line_start, escaped)


def _escape_line_start(match: re.Match[str]) -> str:
    text = match.group()
    if text.isdigit():  # "1." starts an ordered list; "1", a zero-width space, "." does not
        return text + _ZERO_WIDTH_SPACE
    return "".join(f"&#{ord(char)};" for char in text)


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _inline(text: str, limit: int = 200) -> str:
    return escape_markdown(_shorten(text, limit))


def _code(text: str, limit: int = 200) -> str:
    return f"<code>{_inline(text, limit)}</code>"


def _in_code_block(text: str, limit: int = 200) -> str:
    """Untrusted text for a fenced code block: literal there, it only has to stay on its line."""
    return _INVISIBLE_CONTROLS.sub("\ufffd", _LINE_BREAKS.sub(" ", _shorten(text, limit)))


def _fenced(info: str, lines: Sequence[str]) -> str:
    longest_run = max((len(run) for line in lines for run in re.findall(r"`+", line)), default=0)
    fence = "`" * max(3, longest_run + 1)
    return "\n".join((fence + info, *lines, fence))


_SAFE_URL = re.compile(r"https?://[^\s<>()\[\]\"'`\\]+")


def _link(label: str, url: str | None) -> str | None:
    """A Markdown link to a URL the runner gave us, or None when it does not look like one."""
    if url is None or not _SAFE_URL.fullmatch(url):
        return None
    return f"[{label}]({url})"


# ---------------------------------------------------------------------------------------------------
# Pieces of the report

_MARK = {Change.CREATE: "🟢", Change.UPDATE: "🟡", Change.DELETE: "🔴", Change.UNCHANGED: "⚪"}
_SECTION_ORDER = (Change.DELETE, Change.UPDATE, Change.CREATE)
_UNCHANGED_LISTED_UP_TO = 50
_VALUE_CHARS = 300
_ERROR_CHARS = 2_000  # escaped, at most ~12 times longer: still far below the comment limit
_PLAN_OUTPUT_HINT = "The step's `plan` output lists every change as JSON."


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _title(context: ReportContext) -> str:
    kind = "Novu sync preview" if context.mode == "preview" else "Novu sync"
    title = f"### {kind} — {_inline(context.environment, 100)}"
    return title + f" · {_inline(context.report_id, 100)}" if context.report_id else title


def _alert(kind: Literal["NOTE", "IMPORTANT", "WARNING", "CAUTION"], lines: Iterable[str]) -> str:
    """A GitHub alert block; rendered in comments and job summaries alike."""
    return "\n".join((f"> [!{kind}]", *(f"> {line}".rstrip() for line in lines)))


def _quoted_lines(text: str, limit: int) -> list[str]:
    """Untrusted multi-line text as escaped lines joined by hard breaks (a trailing backslash)."""
    lines = [_inline(line, limit) for line in _shorten(text, limit).splitlines() if line.strip()]
    if not lines:
        return ["(no details)"]
    return [line + "\\" for line in lines[:-1]] + lines[-1:]


def _status(*, context: ReportContext, plan: Plan, status: Status, error: str | None) -> list[str]:
    environment = f"**{_inline(context.environment, 100)}**"
    match status:
        case Status.PREVIEW:
            who = f"Merging into {_code(context.base_branch)}" if context.base_branch else "A sync"
            line = (
                f"{who} would apply this to {environment}. Nothing has changed yet."
                if plan.has_changes
                else f"{who} would change nothing in {environment}: it already matches the bridge."
            )
        case Status.SYNCED:
            line = (
                f"✅ Synced {environment}: it now matches the bridge."
                if plan.has_changes
                else f"✅ {environment} already matched the bridge; nothing changed."
            )
        case Status.REFUSED:
            line = f"⛔ The sync into {environment} was refused before anything changed."
        case Status.FAILED:
            line = (
                f"❌ The preview of {environment} failed. Nothing was changed."
                if context.mode == "preview"
                else f"❌ The sync into {environment} failed."
            )
    parts = [line]
    if error and not (status is Status.REFUSED and plan.findings):  # the findings below say it all
        parts.append(_alert("CAUTION", _quoted_lines(error, _ERROR_CHARS)))
    return parts


def _counts(plan: Plan) -> str:
    return " · ".join(f"{_MARK[change]} {change.value} {plan.count(change)}" for change in Change)


def _id_list(codes: Sequence[str], *, cap: int | None, more: str) -> str:
    """Comma-separated ids, the first ``cap`` of them followed by "… and N more"."""
    if cap is None or cap >= len(codes):
        return ", ".join(codes)
    return ", ".join((*codes[:cap], f"… and {len(codes) - cap} {more}"))


def _finding(finding: GuardFinding, *, status: Status, cap: int | None) -> str:
    consequence = {
        Status.PREVIEW: " The sync after merge would be refused.",
        Status.REFUSED: " This stopped the sync.",
    }.get(status, "")
    codes = [_code(workflow_id) for workflow_id in finding.workflow_ids]
    return _alert(
        "CAUTION",
        (
            f"**{finding.headline}**{consequence}",
            f"- Workflows: {_id_list(codes, cap=cap, more='more — see the `plan` output')}",
            f"- Fix: {finding.remedy}",
        ),
    )


def _deletions(*, context: ReportContext, plan: Plan, status: Status, cap: int | None) -> str:
    deleted = sorted(plan.of(Change.DELETE), key=lambda w: w.workflow_id)
    where = f"**{_inline(context.environment, 100)}**"
    workflows = _plural(len(deleted), "workflow")
    lead = {
        Status.PREVIEW: f"Would delete {workflows} from {where}:",
        Status.SYNCED: f"Deleted {workflows} from {where}:",
        Status.REFUSED: f"Would have deleted {workflows} from {where} (nothing was deleted):",
        Status.FAILED: f"The plan deletes {workflows} from {where}:",
    }[status]
    codes = [_code(w.workflow_id) for w in deleted]
    return _alert(
        "WARNING", (f"{lead} {_id_list(codes, cap=cap, more='more deletions — see the `plan` output')}",)
    )


def _notes(*, context: ReportContext, plan: Plan) -> list[str]:
    blocks = []
    if context.previewing_deployed_bridge:
        blocks.append(
            _alert(
                "IMPORTANT",
                (
                    f"This preview discovered the workflows from the bridge deployed for "
                    f"{_inline(context.environment, 100)} ({_code(context.bridge_url, 300)}), not from this "
                    "pull request's code. To preview the pull request's own workflows, set "
                    "`preview-bridge-url` to a bridge that serves them (for example a preview deployment).",
                ),
            )
        )
    blocks.extend(_alert("WARNING", note.splitlines()) for note in context.notes if note.strip())
    if plan.detail is Detail.WORKFLOW:
        blocks.append(
            _alert(
                "NOTE",
                (
                    "Novu's stored workflow definitions were not available, so this compares workflow ids "
                    "only: every workflow that exists on both sides is counted as an update, without field "
                    "or step detail.",
                ),
            )
        )
    return blocks


def _footer(context: ReportContext) -> str:
    parts = []
    if context.commit_sha:
        parts.append(f"commit {_code(context.commit_sha[:7])}")
    run = _link("run log", context.run_url)
    if run:
        parts.append(run)
    if context.bridge_url:
        parts.append(f"bridge {_code(context.bridge_url, 300)}")
    parts.append("novu-sync-action")
    return f"<sub>{' · '.join(parts)}</sub>"


# ---------------------------------------------------------------------------------------------------
# One changed workflow: a collapsible section with its diff, or one line


def _defined_steps(definition: Mapping[str, object] | None) -> list[tuple[str, str]]:
    steps = definition.get("steps") if definition is not None else None
    if not isinstance(steps, list):
        return []
    return [
        (str(step.get("stepId", "?")), str(step.get("type", "?")))
        for step in steps
        if isinstance(step, Mapping)
    ]


def _headline(workflow: WorkflowChange) -> str:
    """``🟡 update <code>id</code> · Name · 2 field changes, 1 step change`` (valid in Markdown and HTML)."""
    parts = [f"{_MARK[workflow.change]} {workflow.change.value} {_code(workflow.workflow_id)}"]
    if workflow.name and workflow.name != workflow.workflow_id:
        parts.append(_inline(workflow.name))
    if workflow.change is Change.UPDATE:
        counts = [
            _plural(len(items), noun)
            for items, noun in ((workflow.fields, "field change"), (workflow.steps, "step change"))
            if items
        ]
        if counts:
            parts.append(", ".join(counts))
    elif workflow.change is Change.CREATE and (steps := _defined_steps(workflow.definition)):
        parts.append(_plural(len(steps), "step"))
    return " · ".join(parts)


def _value(json_text: str | None) -> str:
    return "(none)" if json_text is None else _in_code_block(json_text, _VALUE_CHARS)


def _field_line(diff: FieldDiff, *, indent: str = "") -> str:
    path = _in_code_block(diff.path)
    match diff.kind:
        case DiffKind.ADDED:
            return f"+ {indent}{path}" + ("" if diff.after is None else f": {_value(diff.after)}")
        case DiffKind.REMOVED:
            return f"- {indent}{path}" + ("" if diff.before is None else f": {_value(diff.before)}")
        case DiffKind.CHANGED:
            return f"! {indent}{path}: {_value(diff.before)} → {_value(diff.after)}"


def _position(index: int | None) -> str:
    return "?" if index is None else str(index + 1)  # people count steps from 1


def _step_lines(step: StepDiff) -> list[str]:
    step_id = _in_code_block(step.step_id)
    type_before = _in_code_block(step.type_before or "?")
    type_after = _in_code_block(step.type_after or "?")
    moved = f"moved from position {_position(step.position_before)} to {_position(step.position_after)}"
    match step.change:
        case StepChange.ADDED:
            header = f"+ step {step_id} ({type_after}) added at position {_position(step.position_after)}"
        case StepChange.REMOVED:
            header = f"- step {step_id} ({type_before}) removed"
        case StepChange.MOVED:
            header = f"! step {step_id} {moved}"
        case StepChange.CHANGED:
            kind = type_after if step.type_before == step.type_after else f"{type_before} → {type_after}"
            header = f"! step {step_id} ({kind}) changed" + (f", {moved}" if step.moved else "")
    return [header, *(_field_line(detail, indent="    ") for detail in step.details)]


def _diff_lines(workflow: WorkflowChange) -> list[str]:
    workflow_id = _in_code_block(workflow.workflow_id)
    steps = [
        f"step {_in_code_block(s)} ({_in_code_block(t)})" for s, t in _defined_steps(workflow.definition)
    ]
    match workflow.change:
        case Change.DELETE:
            return [f"- workflow {workflow_id}"]
        case Change.CREATE:
            return [f"+ workflow {workflow_id}", *(f"+ {step}" for step in steps)]
        case _ if workflow.fields or workflow.steps:
            return [
                *(_field_line(diff) for diff in workflow.fields),
                *(line for step in workflow.steps for line in _step_lines(step)),
            ]
        case _:  # compared by id only: show what the bridge defines, as context
            return [f"! workflow {workflow_id} (compared by id only)", *(f"  {step}" for step in steps)]


def _section(workflow: WorkflowChange) -> str:
    return (
        f"<details><summary>{_headline(workflow)}</summary>\n\n"
        f"{_fenced('diff', _diff_lines(workflow))}\n\n"
        "</details>"
    )


# ---------------------------------------------------------------------------------------------------
# Layouts and budgets


@dataclass(frozen=True)
class _Layout:
    """How much detail to show.

    ``detailed``: how many changed workflows (in section order) keep their section and diff; the
    others get one line each. ``None``: changed workflows are listed by id only, per kind.
    ``list_cap``: most ids shown in the created, updated and unchanged lists.
    ``deletion_cap``: most ids shown in the deletion list and in each finding (the last resort).
    """

    detailed: int | None
    list_cap: int | None = None
    deletion_cap: int | None = None


@dataclass(frozen=True)
class _Report:
    """The parts of one report, rendered once; ``text`` assembles them for a layout."""

    header: str
    top: tuple[str, ...]  # title, status, counts: never shortened
    status: Status
    context: ReportContext
    plan: Plan
    shortened_hint: str
    changed: tuple[WorkflowChange, ...]  # in section order
    sections: tuple[str, ...]
    lines: tuple[str, ...]
    unchanged_codes: tuple[str, ...]

    @classmethod
    def build(
        cls,
        *,
        context: ReportContext,
        plan: Plan,
        status: Status,
        error: str | None,
        header: str,
        shortened_hint: str,
    ) -> _Report:
        changed = tuple(
            workflow
            for change in _SECTION_ORDER
            for workflow in sorted(plan.of(change), key=lambda w: w.workflow_id)
        )
        return cls(
            header=header,
            top=(
                _title(context),
                *_status(context=context, plan=plan, status=status, error=error),
                _counts(plan),
            ),
            status=status,
            context=context,
            plan=plan,
            shortened_hint=shortened_hint,
            changed=changed,
            sections=tuple(_section(workflow) for workflow in changed),
            lines=tuple(f"- {_headline(workflow)}" for workflow in changed),
            unchanged_codes=tuple(
                _code(w.workflow_id) for w in sorted(plan.of(Change.UNCHANGED), key=lambda w: w.workflow_id)
            ),
        )

    @property
    def full(self) -> _Layout:
        return _Layout(detailed=len(self.changed))

    @property
    def longest_list(self) -> int:
        return max(len(self.unchanged_codes), self.plan.count(Change.CREATE), self.plan.count(Change.UPDATE))

    @property
    def longest_deletion_list(self) -> int:
        lengths = [len(f.workflow_ids) for f in self.plan.findings]
        return max([self.plan.count(Change.DELETE), *lengths])

    def text(self, layout: _Layout) -> str:
        blocks = [self.header] if self.header else []
        blocks.extend(self.top)
        blocks.extend(_finding(f, status=self.status, cap=layout.deletion_cap) for f in self.plan.findings)
        if self.plan.count(Change.DELETE):
            blocks.append(
                _deletions(context=self.context, plan=self.plan, status=self.status, cap=layout.deletion_cap)
            )
        blocks.extend(_notes(context=self.context, plan=self.plan))
        if layout != self.full:
            blocks.append(
                _alert(
                    "NOTE", (f"This report was shortened to fit GitHub's size limit. {self.shortened_hint}",)
                )
            )
        blocks.extend(self._changes(layout))
        if self.unchanged_codes:
            blocks.append(self._unchanged(layout))
        blocks.append(_footer(self.context))
        return "\n\n".join(blocks) + "\n"

    def _changes(self, layout: _Layout) -> list[str]:
        if layout.detailed is not None:
            rest = self.lines[layout.detailed :]
            return [*self.sections[: layout.detailed], *(["\n".join(rest)] if rest else [])]
        lines = []
        for change in _SECTION_ORDER:
            ids = [_code(w.workflow_id) for w in self.changed if w.change is change]
            if not ids:
                continue
            listed = (
                "listed above" if change is Change.DELETE else _id_list(ids, cap=layout.list_cap, more="more")
            )
            lines.append(f"- {_MARK[change]} {change.value} ({len(ids)}): {listed}")
        return ["\n".join(lines)] if lines else []

    def _unchanged(self, layout: _Layout) -> str:
        count = len(self.unchanged_codes)
        if count > _UNCHANGED_LISTED_UP_TO:
            return f"{_MARK[Change.UNCHANGED]} unchanged: {count} workflows (not listed)"
        listed = _id_list(self.unchanged_codes, cap=layout.list_cap, more="more")
        return f"{_MARK[Change.UNCHANGED]} unchanged ({count}): {listed}"


def _within(*, limit_chars: int | None = None, limit_bytes: int | None = None) -> Callable[[str], bool]:
    def fits(text: str) -> bool:
        return (limit_chars is None or len(text) <= limit_chars) and (
            limit_bytes is None or len(text.encode()) <= limit_bytes
        )

    return fits


def _largest(fits: Callable[[int], bool], *, high: int) -> int | None:
    """The largest n in [0, high] with ``fits(n)``, for a ``fits`` that holds up to some n; else None."""
    if high < 0 or not fits(0):
        return None
    low = 0  # fits(low) holds throughout
    while low < high:
        middle = (low + high + 1) // 2
        if fits(middle):
            low = middle
        else:
            high = middle - 1
    return low


def _fit(report: _Report, fits: Callable[[str], bool]) -> str:
    """The most detailed rendering of ``report`` that fits, degrading one step at a time."""
    full = report.text(report.full)
    if fits(full):
        return full
    steps: tuple[tuple[Callable[[int], _Layout], int], ...] = (
        (lambda n: _Layout(detailed=n), len(report.changed) - 1),  # fold details, the last sections first
        (lambda n: _Layout(detailed=None, list_cap=n), report.longest_list),  # ids only, then fewer ids
        (lambda n: _Layout(detailed=None, list_cap=0, deletion_cap=n), report.longest_deletion_list - 1),
    )
    for layout_for, high in steps:
        best = _best(report, fits=fits, layout_for=layout_for, high=high)
        if best is not None:
            return best
    return _cut(report.text(_Layout(detailed=None, list_cap=0, deletion_cap=0)), fits)


def _best(
    report: _Report, *, fits: Callable[[str], bool], layout_for: Callable[[int], _Layout], high: int
) -> str | None:
    """The text for the largest n in [0, high] whose layout fits, or None when none does."""
    best = _largest(lambda n: fits(report.text(layout_for(n))), high=high)
    return None if best is None else report.text(layout_for(best))


def _cut(text: str, fits: Callable[[str], bool]) -> str:
    """Absurd inputs only (say, megabytes of notes): keep whole lines from the top, then say so."""
    lines = text.split("\n")
    note = "\n\n" + _alert(
        "WARNING", (f"The rest of this report was cut to fit GitHub's size limit. {_PLAN_OUTPUT_HINT}",)
    )
    note += "\n"
    kept = _largest(lambda n: fits("\n".join(lines[:n]) + note), high=len(lines))
    if kept is not None:
        return "\n".join(lines[:kept]) + note
    length = _largest(lambda n: fits(text[:n]), high=len(text))
    return text[: length or 0]


# ---------------------------------------------------------------------------------------------------
# Public entry points


def render_report(
    *,
    context: ReportContext,
    plan: Plan,
    status: Status,
    error: str | None = None,
    limit_chars: int | None = None,
    limit_bytes: int | None = None,
    header: str = "",
    shortened_hint: str = _PLAN_OUTPUT_HINT,
) -> str:
    """The report, with ``header`` as its first line, within ``limit_chars`` characters and ``limit_bytes``
    UTF-8 bytes. ``shortened_hint`` (trusted Markdown) says where to find the rest when it was shortened."""

    report = _Report.build(
        context=context, plan=plan, status=status, error=error, header=header, shortened_hint=shortened_hint
    )
    return _fit(report, _within(limit_chars=limit_chars, limit_bytes=limit_bytes))


def render_comment(
    *,
    context: ReportContext,
    plan: Plan,
    marker: str,
    status: Status = Status.PREVIEW,
    error: str | None = None,
) -> str:
    """The pull request comment: ``marker`` first, then the report; at most COMMENT_LIMIT characters."""
    run = _link("this run", context.run_url) or "this run"
    return render_report(
        context=context,
        plan=plan,
        status=status,
        error=error,
        limit_chars=COMMENT_LIMIT,
        header=marker,
        shortened_hint=f"The job summary of {run} has more detail. {_PLAN_OUTPUT_HINT}",
    )


def render_summary(*, context: ReportContext, plan: Plan, status: Status, error: str | None = None) -> str:
    """The job summary: the same report; at most SUMMARY_LIMIT bytes of UTF-8."""
    return render_report(context=context, plan=plan, status=status, error=error, limit_bytes=SUMMARY_LIMIT)


def render_skip(reason: str) -> str:
    """The job summary of a run that skipped; ``reason`` names the user's branch or event: escaped."""
    return f"### Novu sync skipped\n\n{escape_markdown(reason)}\n"


def render_failure(*, title: str, message: str, context: ReportContext | None) -> str:
    """The job summary of a run that failed before a plan existed. ``message`` may hold remote text."""
    blocks = [_title(context) if context else "### Novu sync", f"❌ **{_inline(title)}**"]
    blocks.append(_alert("CAUTION", _quoted_lines(message, _ERROR_CHARS)))
    if context:
        blocks.extend(_alert("WARNING", note.splitlines()) for note in context.notes if note.strip())
        blocks.append(_footer(context))
    text = "\n\n".join(blocks) + "\n"
    fits = _within(limit_bytes=SUMMARY_LIMIT)
    return text if fits(text) else _cut(text, fits)
