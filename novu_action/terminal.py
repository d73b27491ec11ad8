"""The report for a terminal: the plan as a readable text diff, guard findings first, coloured on request.

Pure: result in, text out. Text from the bridge or Novu cannot move the cursor or recolour the terminal:
every line goes through ``markdown.one_line``-style cleaning (control characters become U+FFFD).
"""

from __future__ import annotations

from novu_action import markdown as md
from novu_action.diff_text import diff_lines
from novu_action.plan import Change, Plan, WorkflowChange
from novu_action.report import RunResult, Status
from novu_action.wording import counts, finding_text, note_text

_RESET = "\033[0m"
_COLOURS = {"+": "\033[32m", "-": "\033[31m", "!": "\033[33m", "bold": "\033[1m", "dim": "\033[2m"}
_SIGNS = {Change.CREATE: "+", Change.UPDATE: "!", Change.DELETE: "-"}
_ORDER = (Change.DELETE, Change.UPDATE, Change.CREATE)


class _Paint:
    def __init__(self, *, colour: bool) -> None:
        self._colour = colour

    def __call__(self, style: str, text: str) -> str:
        return f"{_COLOURS[style]}{text}{_RESET}" if self._colour and style in _COLOURS else text


def render_text(result: RunResult, *, colour: bool = False) -> str:
    """The whole report for a terminal; ``colour`` adds ANSI colours (only when writing to a TTY)."""
    paint = _Paint(colour=colour)
    if result.status is Status.SKIPPED:
        return f"Skipped: {_clean(result.skip_reason or '')}\n"
    lines: list[str] = []
    context, plan, env = result.context, result.plan, result.environment
    title = "Novu sync plan" if context is None or context.mode == "preview" else "Novu sync"
    lines.append(paint("bold", f"{title} — {_clean(env)}" if env else title))
    if context is not None:
        line = context.comparison
        lines.append(_clean(line.plain(env)))
    if plan is not None:
        lines.extend(_findings(plan, result=result, paint=paint))
    for note in result.notes:
        words = note_text(note)
        lines.append(
            paint("!", f"{words.level.value.title()}: {words.title}: ") + _clean(words.sentence.plain(env))
        )
    if plan is not None:
        lines.append("")
        lines.extend(_changes(plan, paint=paint))
        done = {Status.SYNCED: "Applied", Status.PREVIEW: "Plan"}.get(result.status, "Planned, not applied")
        lines.append("")
        lines.append(paint("bold", f"{done}: {counts(plan)}."))
    if result.failure is not None:
        lines.append("")
        lines.append(paint("-", f"Error: {_clean(result.failure.title)}: ") + _clean(result.failure.message))
    return "\n".join(lines) + "\n"


def _findings(plan: Plan, *, result: RunResult, paint: _Paint) -> list[str]:
    drift = result.context.drift if result.context else False
    refused = "This stopped the sync" if result.status is Status.REFUSED else "The sync would be refused"
    lines = []
    for finding in plan.findings:
        words = finding_text(finding, drift=drift)
        lines.append("")
        lines.append(paint("-", f"✗ {refused}: ") + _clean(words.headline))
        lines.append(f"    Workflows: {_clean(', '.join(finding.workflow_ids))}")
        lines.append(f"    Fix: {_clean(words.remedy)}")
    return lines


def _changes(plan: Plan, *, paint: _Paint) -> list[str]:
    lines = []
    for change in _ORDER:
        for workflow in sorted(plan.of(change), key=lambda w: w.workflow_id):
            sign = _SIGNS[change]
            lines.append(paint(sign, f"{sign} {change.value:<7}") + " " + paint("bold", _headline(workflow)))
            if change is not Change.DELETE:
                lines.extend("      " + paint(line[:1], line) for line in diff_lines(workflow))
    unchanged = sorted(w.workflow_id for w in plan.of(Change.UNCHANGED))
    if unchanged:
        lines.append(paint("dim", f"  {len(unchanged)} unchanged: {_clean(', '.join(unchanged))}"))
    return lines


def _headline(workflow: WorkflowChange) -> str:
    parts = [workflow.workflow_id]
    if workflow.name and workflow.name != workflow.workflow_id:
        parts.append(workflow.name)
    return _clean(" · ".join(parts))


def _clean(text: str) -> str:
    """Untrusted text on one line, without control characters (no escape sequence reaches the terminal)."""
    return md.one_line(text)
