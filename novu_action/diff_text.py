"""One changed workflow as lines of a diff (``+`` added, ``-`` removed, ``!`` changed): what the report puts
in a fenced block and the terminal prints. Each line is one line, with no control character. Pure.
"""

from __future__ import annotations

from collections.abc import Mapping

from novu_action import markdown as md
from novu_action.plan import Change, DiffKind, FieldDiff, StepChange, StepDiff, WorkflowChange

_VALUE_CHARS = 300
_SET_LIKE_LEAVES = ("required", "tags", "enum")


def defined_steps(definition: Mapping[str, object] | None) -> list[tuple[str, str]]:
    """(stepId, type) of each step a definition declares."""
    steps = definition.get("steps") if definition is not None else None
    if not isinstance(steps, list):
        return []
    return [(str(s.get("stepId", "?")), str(s.get("type", "?"))) for s in steps if isinstance(s, Mapping)]


def _value(json_text: str | None) -> str:
    return "(none)" if json_text is None else md.in_code_block(json_text, _VALUE_CHARS)


def _field_line(diff: FieldDiff, *, indent: str = "") -> str:
    path = md.in_code_block(diff.path)
    if diff.kind is not DiffKind.CHANGED and path.endswith(_SET_LIKE_LEAVES):
        path += "[]"  # a member of a list compared as a set, not the whole value
    match diff.kind:
        case DiffKind.ADDED:
            return f"+ {indent}{path}" + ("" if diff.after is None else f": {_value(diff.after)}")
        case DiffKind.REMOVED:
            return f"- {indent}{path}" + ("" if diff.before is None else f": {_value(diff.before)}")
        case DiffKind.CHANGED if diff.before is None and diff.after is None:
            return f"! {indent}{path} changed"  # opaque values (code): only that they differ
        case DiffKind.CHANGED:
            return f"! {indent}{path}: {_value(diff.before)} → {_value(diff.after)}"


def _position(index: int | None) -> str:
    return "?" if index is None else str(index + 1)  # people count steps from 1


def _step_lines(step: StepDiff) -> list[str]:
    step_id = md.in_code_block(step.step_id)
    type_before = md.in_code_block(step.type_before or "?")
    type_after = md.in_code_block(step.type_after or "?")
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


def diff_lines(workflow: WorkflowChange) -> list[str]:
    """One changed workflow as diff lines (``+``, ``-``, ``!``), each on one line with no control
    character: for a fenced block here, and for a terminal (``terminal``)."""
    workflow_id = md.in_code_block(workflow.workflow_id)
    steps = [
        f"step {md.in_code_block(s)} ({md.in_code_block(t)})" for s, t in defined_steps(workflow.definition)
    ]
    if workflow.change is Change.CREATE:
        return [f"+ workflow {workflow_id}", *(f"+ {step}" for step in steps)]
    if workflow.fields or workflow.steps:
        return [
            *(_field_line(diff) for diff in workflow.fields),
            *(line for step in workflow.steps for line in _step_lines(step)),
        ]
    return [f"! workflow {workflow_id} (compared by id only)", *(f"  {step}" for step in steps)]
