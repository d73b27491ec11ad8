"""Structural differences between two normalised definitions: fields at readable paths, and steps matched
by id with their moves. Generic over JSON; the few keys it treats specially are named below. Pure.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from enum import Enum
from typing import Any

from novu_action.normalise import canonical, same
from novu_action.plan import DiffKind, FieldDiff, StepChange, StepDiff

# Lists whose members are compared as a set: one FieldDiff per member added or removed.
_SET_LIKE_KEYS = frozenset({"required", "tags", "enum"})
_OPAQUE_KEY = "code"
_MAX_VALUE_TEXT = 200
_ELLIPSIS = "…"
_SIMPLE_KEY = re.compile(r"[A-Za-z0-9_$-]+")


class _Absent(Enum):
    """The side of a comparison where a key does not exist (distinct from a JSON null)."""

    ABSENT = "absent"


_ABSENT = _Absent.ABSENT

PathSegment = str | int


def _same(before: Any, after: Any) -> bool:
    if before is _ABSENT or after is _ABSENT:
        return before is after
    return same(before, after)


def value_text(value: Any) -> str:
    """Compact JSON of a value, keys sorted, for ``FieldDiff.before``/``after``: at most 200 characters.

    A longer text is abbreviated to exactly 200 characters: its first 140, ``…``, its last 59. Both ends
    stay readable (a string keeps its quotes, an object its braces), but the result is no longer valid
    JSON: a script should parse ``before``/``after`` only when they are shorter than 200 characters.
    """
    text = canonical(value)
    if len(text) <= _MAX_VALUE_TEXT:
        return text
    head = 140
    tail = _MAX_VALUE_TEXT - head - len(_ELLIPSIS)
    return text[:head] + _ELLIPSIS + text[-tail:]


# ---- field differences -------------------------------------------------------------------------------


def workflow_field_diffs(
    before: dict[str, Any], after: dict[str, Any], *, skip_steps: bool
) -> tuple[FieldDiff, ...]:
    skipped = {"workflowId", "steps"} if skip_steps else {"workflowId"}
    diffs: list[FieldDiff] = []
    for key in sorted((set(before) | set(after)) - skipped):
        previous, current = before.get(key, _ABSENT), after.get(key, _ABSENT)
        if key == _OPAQUE_KEY:
            _diff_opaque(previous, current, (key,), diffs)
        else:
            _diff_value(previous, current, (key,), diffs)
    return _sorted_diffs(diffs)


def _diff_value(before: Any, after: Any, path: tuple[PathSegment, ...], out: list[FieldDiff]) -> None:
    """Appends the differences between two JSON values as FieldDiffs at readable paths."""
    if _same(before, after):
        return
    if path and path[-1] == "required" and {type(before), type(after)} == {list, _Absent}:
        # Normalising drops empty `required` lists: show the members, not the whole list, appearing.
        _diff_members([] if before is _ABSENT else before, [] if after is _ABSENT else after, path, out)
    elif before is _ABSENT:
        out.append(FieldDiff(_format_path(path), DiffKind.ADDED, after=value_text(after)))
    elif after is _ABSENT:
        out.append(FieldDiff(_format_path(path), DiffKind.REMOVED, before=value_text(before)))
    elif isinstance(before, Mapping) and isinstance(after, Mapping):
        for key in sorted(set(before) | set(after)):
            _diff_value(before.get(key, _ABSENT), after.get(key, _ABSENT), (*path, key), out)
    elif isinstance(before, list) and isinstance(after, list) and path and path[-1] in _SET_LIKE_KEYS:
        if not _diff_members(before, after, path, out):
            out.append(
                FieldDiff(
                    _format_path(path), DiffKind.CHANGED, before=value_text(before), after=value_text(after)
                )
            )
    elif isinstance(before, list) and isinstance(after, list):
        for index in range(max(len(before), len(after))):
            previous = before[index] if index < len(before) else _ABSENT
            current = after[index] if index < len(after) else _ABSENT
            _diff_value(previous, current, (*path, index), out)
    else:
        out.append(
            FieldDiff(
                _format_path(path), DiffKind.CHANGED, before=value_text(before), after=value_text(after)
            )
        )


def _diff_members(
    before: list[Any], after: list[Any], path: tuple[PathSegment, ...], out: list[FieldDiff]
) -> bool:
    """Per-member differences of a set-like list; False when only the order or repetition changed."""
    previous = {canonical(member): member for member in before}
    current = {canonical(member): member for member in after}
    if previous.keys() == current.keys():
        return False
    text = _format_path(path)
    out.extend(
        FieldDiff(text, DiffKind.REMOVED, before=value_text(previous[k]))
        for k in previous.keys() - current.keys()
    )
    out.extend(
        FieldDiff(text, DiffKind.ADDED, after=value_text(current[k]))
        for k in current.keys() - previous.keys()
    )
    return True


def _diff_opaque(before: Any, after: Any, path: tuple[PathSegment, ...], out: list[FieldDiff]) -> None:
    """Source code is long and says little as JSON: only whether it changed."""
    if _same(before, after):
        return
    kind = DiffKind.ADDED if before is _ABSENT else DiffKind.REMOVED if after is _ABSENT else DiffKind.CHANGED
    out.append(FieldDiff(_format_path(path), kind))


def _format_path(path: Iterable[PathSegment]) -> str:
    text = ""
    for segment in path:
        if isinstance(segment, int):
            text += f"[{segment}]"
        elif _SIMPLE_KEY.fullmatch(segment):
            text += f".{segment}" if text else segment
        else:
            text += f"[{json.dumps(segment, ensure_ascii=False)}]"
    return text


def _sorted_diffs(diffs: Iterable[FieldDiff]) -> tuple[FieldDiff, ...]:
    kind_order = {kind: index for index, kind in enumerate(DiffKind)}
    return tuple(sorted(diffs, key=lambda d: (d.path, kind_order[d.kind], d.before or "", d.after or "")))


# ---- step differences --------------------------------------------------------------------------------


StepKey = tuple[str, int]


def step_diffs(before: list[Any], after: list[Any]) -> tuple[StepDiff, ...]:
    old = _keyed_steps(before)
    new = _keyed_steps(after)
    old_position = {key: index for index, (key, _) in enumerate(old)}
    new_position = {key: index for index, (key, _) in enumerate(new)}
    in_place = set(
        _longest_common_subsequence(
            [key for key, _ in old if key in new_position], [key for key, _ in new if key in old_position]
        )
    )
    diffs: list[StepDiff] = []
    for position, (key, step) in enumerate(new):
        if key not in old_position:
            diffs.append(
                StepDiff(key[0], StepChange.ADDED, type_after=_step_type(step), position_after=position)
            )
            continue
        previous = old[old_position[key]][1]
        moved = key not in in_place
        details = _step_details(previous, step)
        if details or moved:
            diffs.append(
                StepDiff(
                    key[0],
                    StepChange.CHANGED if details else StepChange.MOVED,
                    type_before=_step_type(previous),
                    type_after=_step_type(step),
                    position_before=old_position[key],
                    position_after=position,
                    moved=moved,
                    details=details,
                )
            )
    diffs.extend(
        StepDiff(key[0], StepChange.REMOVED, type_before=_step_type(step), position_before=position)
        for position, (key, step) in enumerate(old)
        if key not in new_position
    )
    return tuple(diffs)


def _keyed_steps(steps: list[Any]) -> list[tuple[StepKey, Any]]:
    # The occurrence number keeps a (malformed) repeated stepId matched in order instead of lost.
    seen: dict[str, int] = {}
    keyed: list[tuple[StepKey, Any]] = []
    for step in steps:
        raw_id = step.get("stepId") if isinstance(step, Mapping) else None
        step_id = raw_id if isinstance(raw_id, str) else canonical(raw_id)
        occurrence = seen.get(step_id, 0)
        seen[step_id] = occurrence + 1
        keyed.append(((step_id, occurrence), step))
    return keyed


def _step_type(step: Any) -> str | None:
    step_type = step.get("type") if isinstance(step, Mapping) else None
    return step_type if isinstance(step_type, str) else None


def _longest_common_subsequence(first: Sequence[StepKey], second: Sequence[StepKey]) -> list[StepKey]:
    lengths = [[0] * (len(second) + 1) for _ in range(len(first) + 1)]
    for i in range(len(first) - 1, -1, -1):
        for j in range(len(second) - 1, -1, -1):
            lengths[i][j] = (
                lengths[i + 1][j + 1] + 1
                if first[i] == second[j]
                else max(lengths[i + 1][j], lengths[i][j + 1])
            )
    common: list[StepKey] = []
    i = j = 0
    while i < len(first) and j < len(second):
        if first[i] == second[j]:
            common.append(first[i])
            i, j = i + 1, j + 1
        elif lengths[i + 1][j] >= lengths[i][j + 1]:
            i += 1
        else:
            j += 1
    return common


def _step_details(before: Any, after: Any) -> tuple[FieldDiff, ...]:
    diffs: list[FieldDiff] = []
    if not (isinstance(before, Mapping) and isinstance(after, Mapping)):
        _diff_value(before, after, (), diffs)
        return _sorted_diffs(diffs)
    for key in sorted((set(before) | set(after)) - {"stepId"}):
        previous, current = before.get(key, _ABSENT), after.get(key, _ABSENT)
        if key == _OPAQUE_KEY:
            _diff_opaque(previous, current, (key,), diffs)
        elif key == "options" and isinstance(previous, Mapping) and isinstance(current, Mapping):
            _diff_shallow(previous, current, (key,), diffs)
        elif key == "providers" and isinstance(previous, Mapping) and isinstance(current, Mapping):
            _diff_providers(previous, current, diffs)
        else:
            _diff_value(previous, current, (key,), diffs)
    return _sorted_diffs(diffs)


def _diff_shallow(
    before: Mapping[str, Any], after: Mapping[str, Any], path: tuple[PathSegment, ...], out: list[FieldDiff]
) -> None:
    """One FieldDiff per changed key, with whole values (step options are small flat settings)."""
    for key in sorted(set(before) | set(after)):
        previous, current = before.get(key, _ABSENT), after.get(key, _ABSENT)
        if _same(previous, current):
            continue
        text = _format_path((*path, key))
        if previous is _ABSENT:
            out.append(FieldDiff(text, DiffKind.ADDED, after=value_text(current)))
        elif current is _ABSENT:
            out.append(FieldDiff(text, DiffKind.REMOVED, before=value_text(previous)))
        else:
            out.append(
                FieldDiff(text, DiffKind.CHANGED, before=value_text(previous), after=value_text(current))
            )


def _diff_providers(before: Mapping[str, Any], after: Mapping[str, Any], out: list[FieldDiff]) -> None:
    """Provider overrides by type: added or removed as a whole; a changed one by its code and schema paths."""
    for provider_type in sorted(set(before) | set(after)):
        previous, current = before.get(provider_type, _ABSENT), after.get(provider_type, _ABSENT)
        path: tuple[PathSegment, ...] = ("providers", provider_type)
        if _same(previous, current):
            continue
        if previous is _ABSENT:
            out.append(FieldDiff(_format_path(path), DiffKind.ADDED))
        elif current is _ABSENT:
            out.append(FieldDiff(_format_path(path), DiffKind.REMOVED))
        elif isinstance(previous, Mapping) and isinstance(current, Mapping):
            for key in sorted(set(previous) | set(current)):
                differ = _diff_opaque if key == _OPAQUE_KEY else _diff_value
                differ(previous.get(key, _ABSENT), current.get(key, _ABSENT), (*path, key), out)
        else:
            out.append(FieldDiff(_format_path(path), DiffKind.CHANGED))
