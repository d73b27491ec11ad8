"""The plan: what a sync of the discovered workflows would do to an environment, and its JSON form.

Data only. ``planner.build_plan`` makes a ``Plan``; the renderer, the log and the ``plan`` output read it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import KW_ONLY, dataclass, field
from enum import StrEnum
from typing import Any

JsonObject = Mapping[str, Any]


class Change(StrEnum):
    """What a sync does to one workflow."""

    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    UNCHANGED = "unchanged"


class DiffKind(StrEnum):
    """How one field (or one member of a set-like list) differs."""

    ADDED = "added"
    REMOVED = "removed"
    CHANGED = "changed"


class StepChange(StrEnum):
    """What happens to one step inside an updated workflow."""

    ADDED = "added"
    REMOVED = "removed"
    MOVED = "moved"  # same definition, other position
    CHANGED = "changed"  # definition changed (it may also have moved: see StepDiff.moved)


class Detail(StrEnum):
    """How deep the comparison could go."""

    FULL = "full"  # stored definitions were available: field- and step-level detail
    IDS_ONLY = "workflow"  # only the workflow list was available: ids compared, no field or step detail


class Guard(StrEnum):
    """Reasons a sync must not run (in preview they are warnings)."""

    DELETIONS_NOT_ALLOWED = "deletions-not-allowed"
    EMPTY_BRIDGE = "empty-bridge"
    DASHBOARD_CLASH = "dashboard-clash"


@dataclass(frozen=True)
class FieldDiff:
    """One difference at a path.

    ``path`` reads like ``name``, ``payload.properties.plan``, ``payload.required``,
    ``controls.properties.subject.default``, ``preferences.channels.email.enabled``.
    For set-like lists (``required``, ``tags``, ``enum``) there is one ``FieldDiff`` per member
    added or removed, with the member in ``after`` (added) or ``before`` (removed).
    ``before`` and ``after`` are compact JSON texts (``"Welcome"``, ``30``, ``{"type":"string"}``)
    or ``None`` where the side does not exist. They come from the bridge: untrusted text.
    """

    path: str
    kind: DiffKind
    _: KW_ONLY
    before: str | None = None
    after: str | None = None


@dataclass(frozen=True)
class StepDiff:
    """One step of an updated workflow that is not unchanged.

    ``position_before`` / ``position_after`` are 0-based indexes (``None`` on the missing side).
    ``moved`` is true when a kept step's position among kept steps changed.
    ``details`` use step-relative paths: ``type``, ``controls.properties.subject``, ``options``,
    ``providers``, ``code``.
    """

    step_id: str
    change: StepChange
    _: KW_ONLY
    type_before: str | None = None
    type_after: str | None = None
    position_before: int | None = None
    position_after: int | None = None
    moved: bool = False
    details: tuple[FieldDiff, ...] = ()


@dataclass(frozen=True)
class WorkflowChange:
    """The plan for one workflow id.

    ``name`` is the display name (the discovered one when it exists, else the stored one), or
    ``None`` when the definition has none. ``definition`` is the discovered definition for
    create, update and unchanged (what the environment holds after the sync), ``None`` for delete.
    ``fields`` and ``steps`` are filled for updates with ``Detail.FULL`` only.
    """

    workflow_id: str
    change: Change
    name: str | None = None
    fields: tuple[FieldDiff, ...] = ()
    steps: tuple[StepDiff, ...] = ()
    definition: JsonObject | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, kw_only=True)
class GuardFinding:
    """A reason the sync must not run, with the workflows concerned."""

    guard: Guard
    workflow_ids: tuple[str, ...]
    environment: str


@dataclass(frozen=True)
class Plan:
    """Everything a sync would change, in deterministic order (by workflow id)."""

    workflows: tuple[WorkflowChange, ...]
    detail: Detail = Detail.FULL
    findings: tuple[GuardFinding, ...] = ()
    takeovers: tuple[str, ...] = ()  # old v1 workflows the sync turns into framework workflows

    def of(self, change: Change) -> tuple[WorkflowChange, ...]:
        return tuple(w for w in self.workflows if w.change is change)

    def count(self, change: Change) -> int:
        return len(self.of(change))

    @property
    def has_changes(self) -> bool:
        return any(w.change is not Change.UNCHANGED for w in self.workflows)

    @property
    def discovered_ids(self) -> tuple[str, ...]:
        return tuple(w.workflow_id for w in self.workflows if w.change is not Change.DELETE)

    def to_json(self) -> str:
        """The ``plan`` output: compact JSON a later step can read; same plan, same text.

        ``{"detail", "counts": {"create", "update", "delete", "unchanged"}, "workflows": [{"workflowId",
        "change", "name"?, "fields"?: [FIELD], "steps"?: [{"stepId", "change", "type"?, "typeBefore"?
        (only when the type changed), "positionBefore"?, "positionAfter"?, "moved"?, "details"?: [FIELD]}]}],
        "findings": [{"guard", "workflowIds"}], "takeovers"?: [id]}`` where FIELD is ``{"path", "change",
        "before"?, "after"?}`` and ``before``/``after`` are JSON texts as in ``value_text``. Keys marked ``?``
        are left out when empty.
        """
        document: dict[str, Any] = {
            "detail": self.detail.value,
            "counts": {c.value: self.count(c) for c in Change},
            "workflows": [_workflow_json(w) for w in self.workflows],
            "findings": [
                {"guard": f.guard.value, "workflowIds": list(f.workflow_ids)} for f in self.findings
            ],
        }
        if self.takeovers:
            document["takeovers"] = list(self.takeovers)
        return json.dumps(document, separators=(",", ":"), ensure_ascii=False)


def _workflow_json(change: WorkflowChange) -> dict[str, Any]:
    entry: dict[str, Any] = {"workflowId": change.workflow_id, "change": change.change.value}
    if change.name is not None:
        entry["name"] = change.name
    if change.fields:
        entry["fields"] = [_field_json(f) for f in change.fields]
    if change.steps:
        entry["steps"] = [_step_json(s) for s in change.steps]
    return entry


def _step_json(step: StepDiff) -> dict[str, Any]:
    optional = {
        "type": step.type_after if step.type_after is not None else step.type_before,
        "typeBefore": step.type_before if step.type_after not in (None, step.type_before) else None,
        "positionBefore": step.position_before,
        "positionAfter": step.position_after,
    }
    entry: dict[str, Any] = {"stepId": step.step_id, "change": step.change.value}
    entry.update({key: value for key, value in optional.items() if value is not None})
    if step.moved:
        entry["moved"] = True
    if step.details:
        entry["details"] = [_field_json(d) for d in step.details]
    return entry


def _field_json(diff: FieldDiff) -> dict[str, Any]:
    entry: dict[str, Any] = {"path": diff.path, "change": diff.kind.value}
    if diff.before is not None:
        entry["before"] = diff.before
    if diff.after is not None:
        entry["after"] = diff.after
    return entry
