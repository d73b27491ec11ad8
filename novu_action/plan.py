"""The change set: what a sync of the discovered workflows would do to an environment.

Pure: definitions in, ``Plan`` out. No I/O, no clock, deterministic ordering.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum, StrEnum
from typing import Any

from novu_action.errors import ActionError

JsonObject = Mapping[str, Any]
_EXTERNAL_ORIGIN = "external"


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
    WORKFLOW = "workflow"  # only the workflow list was available: ids only


class Guard(StrEnum):
    """Reasons a sync must not run (in preview they are warnings)."""

    DELETIONS_NOT_ALLOWED = "deletions-not-allowed"
    EMPTY_BRIDGE = "empty-bridge"
    DASHBOARD_CLASH = "dashboard-clash"


@dataclass(frozen=True)
class ListedWorkflow:
    """One entry of the environment's workflow list (``GET /v2/workflows``).

    ``origin`` is ``"external"`` for Framework (bridge) workflows; Dashboard-made ones carry another
    value (``"novu-cloud"``, ``"novu-cloud-v1"``). ``None`` when Novu did not say.
    """

    workflow_id: str
    origin: str | None = None
    name: str | None = None

    @property
    def is_framework(self) -> bool:
        """A bridge workflow: what Novu's sync upserts and deletes (origin external, or unset on old ones)."""
        return self.origin in (None, _EXTERNAL_ORIGIN)


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


@dataclass(frozen=True)
class GuardFinding:
    """A reason the sync must not run, with the workflows concerned."""

    guard: Guard
    workflow_ids: tuple[str, ...]
    environment: str

    @property
    def headline(self) -> str:
        """One sentence, no workflow ids (they are listed separately and escaped by the caller)."""
        n = len(self.workflow_ids)
        plural = "workflow" if n == 1 else "workflows"
        match self.guard:
            case Guard.DELETIONS_NOT_ALLOWED:
                return (
                    f"This sync would delete {n} {plural} from {self.environment}, "
                    "and deletions are not allowed."
                )
            case Guard.EMPTY_BRIDGE:
                return (
                    f"The bridge discovers no workflows, but {self.environment} holds {n} {plural}: "
                    "a sync would delete all of them."
                )
            case Guard.DASHBOARD_CLASH:
                exist = "already exists" if n == 1 else "already exist"
                made = "a Dashboard workflow" if n == 1 else "Dashboard workflows"
                return (
                    f"{n} {plural} {exist} in {self.environment} as {made} with the same id; "
                    "Novu rejects the sync."
                )

    @property
    def remedy(self) -> str:
        """What the user can do about it (names the input that allows it, where one does)."""
        match self.guard:
            case Guard.DELETIONS_NOT_ALLOWED:
                return (
                    "If the deletions are intended, set the input `allow-deletions: true` for this run; "
                    "otherwise restore the workflows in the bridge code."
                )
            case Guard.EMPTY_BRIDGE:
                return (
                    "Check that the bridge URL points at the right deployment and that it serves its "
                    "workflows. To empty the environment on purpose, set `allow-deletions: true`."
                )
            case Guard.DASHBOARD_CLASH:
                return "Rename the workflow id in code, or delete the Dashboard workflow in Novu first."


@dataclass(frozen=True)
class Plan:
    """Everything a sync would change, in deterministic order (by workflow id)."""

    workflows: tuple[WorkflowChange, ...]
    detail: Detail = Detail.FULL
    findings: tuple[GuardFinding, ...] = ()

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
        "findings": [{"guard", "workflowIds"}]}`` where FIELD is ``{"path", "change", "before"?, "after"?}``
        and ``before``/``after`` are JSON texts as in ``value_text``. Keys marked ``?`` are left out when
        empty.
        """
        document = {
            "detail": self.detail.value,
            "counts": {c.value: self.count(c) for c in Change},
            "workflows": [_workflow_json(w) for w in self.workflows],
            "findings": [
                {"guard": f.guard.value, "workflowIds": list(f.workflow_ids)} for f in self.findings
            ],
        }
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


# --------------------------------------------------------------------------------------------------
# The diff engine
# --------------------------------------------------------------------------------------------------

# Deprecated 2.3.0 copies of other fields: `options` holds payloadSchema/controlSchema, `data` = payload,
# `inputs` = controls. Comparing them would report every change twice.
_DEPRECATED_WORKFLOW_KEYS = frozenset({"options", "data", "inputs"})
_DEPRECATED_STEP_KEYS = frozenset({"inputs"})
# Step options that repeat the step's schemas, often as serialised Zod internals that differ between runs.
_SCHEMA_OPTION_KEYS = frozenset({"controlSchema", "outputSchema", "inputSchema", "payloadSchema"})
# Novu's defaults on sync (`tags || []`, `severity || 'none'`, `description || ''`): absence equals them.
_WORKFLOW_DEFAULTS: Mapping[str, Any] = {"tags": [], "severity": "none", "preferences": {}, "description": ""}
_STEP_DEFAULTS: Mapping[str, Any] = {"options": {}, "providers": {}}
# Lists whose members are compared as a set: one FieldDiff per member added or removed.
_SET_LIKE_KEYS = frozenset({"required", "tags", "enum"})
# Schema keywords whose value maps names (which may be any text, even "required") to schemas.
_SCHEMA_MAP_KEYWORDS = frozenset(
    {"properties", "patternProperties", "definitions", "$defs", "dependentSchemas"}
)
# Schema keywords whose value is data, not a schema: copied as they are.
_SCHEMA_DATA_KEYWORDS = frozenset({"default", "const", "enum", "examples"})
_OPAQUE_KEY = "code"
_MAX_VALUE_TEXT = 200
_ELLIPSIS = "…"
_SIMPLE_KEY = re.compile(r"[A-Za-z0-9_$-]+")


class InvalidDiscoveryError(ActionError):
    """The bridge's discover answer cannot be planned from."""

    title = "Bridge served invalid workflows"


class _Absent(Enum):
    """The side of a comparison where a key does not exist (distinct from a JSON null)."""

    ABSENT = "absent"


_ABSENT = _Absent.ABSENT

PathSegment = str | int


def build_plan(
    *,
    discovered: Sequence[JsonObject],
    stored: Sequence[JsonObject] | None,
    listed: Sequence[ListedWorkflow],
    allow_deletions: bool,
    allow_emptying: bool = False,
    environment: str,
) -> Plan:
    """Compare what the bridge discovers with what the environment holds.

    ``discovered`` are the bridge's discover ``workflows`` exactly as served. ``stored`` are the
    definitions Novu kept at the last sync (``POST /v1/bridge/diff`` → ``data.current.workflows``):
    ``[]`` when the environment was never synced, ``None`` when that endpoint is unavailable.
    ``listed`` is the environment's workflow list with each workflow's origin.

    With stored definitions (``Detail.FULL``): a discovered id that is not stored is a create; a stored
    id, or a listed id of origin ``"external"`` or unknown, that is not discovered is a delete (these are
    what Novu's sync soft-deletes); an id on both sides is an update when the normalised definitions
    differ (see ``normalise_workflow``), with field- and step-level detail, and unchanged otherwise.

    Without stored definitions (``Detail.WORKFLOW``) only ids can be compared, using ``listed``: a
    discovered id not listed is a create, a listed ``"external"``/unknown-origin id not discovered is a
    delete, and an id on both sides is reported as an update without detail, because its stored
    definition cannot be read and the sync rewrites it anyway.

    Dashboard-made workflows (a listed origin other than ``"external"``) are never deleted; a discovered
    id that clashes with one is a ``DASHBOARD_CLASH`` finding. Deletions without ``allow_deletions``
    are a ``DELETIONS_NOT_ALLOWED`` finding. A bridge that discovers nothing while the environment holds
    workflows is an ``EMPTY_BRIDGE`` finding unless ``allow_emptying``: deletions allowed by default
    (outside Production) do not cover emptying an environment, which is almost always a wrong URL or a
    broken deployment; only an explicit ``allow-deletions: true`` does.
    """
    discovered_by_id = _index_discovered(discovered)
    dashboard_ids = {w.workflow_id for w in listed if not w.is_framework}
    deletable_listed = {w.workflow_id for w in listed if w.is_framework}
    listed_names = {w.workflow_id: w.name for w in listed}

    if stored is None:
        detail = Detail.WORKFLOW
        changes = [_compare_ids(definition, set(listed_names)) for definition in discovered_by_id.values()]
        stored_by_id: dict[str, JsonObject] = {}
    else:
        detail = Detail.FULL
        stored_by_id = _index_stored(stored)
        changes = [
            _compare_definitions(workflow_id, definition, stored_by_id.get(workflow_id))
            for workflow_id, definition in discovered_by_id.items()
        ]

    deleted_ids = (set(stored_by_id) | deletable_listed) - set(discovered_by_id) - dashboard_ids
    changes.extend(
        WorkflowChange(
            workflow_id=workflow_id,
            change=Change.DELETE,
            name=_display_name(stored_by_id[workflow_id])
            if workflow_id in stored_by_id
            else listed_names.get(workflow_id),
        )
        for workflow_id in deleted_ids
    )

    findings: list[GuardFinding] = []
    if deleted_ids and not discovered_by_id and not allow_emptying:
        findings.append(GuardFinding(Guard.EMPTY_BRIDGE, tuple(sorted(deleted_ids)), environment))
    elif deleted_ids and discovered_by_id and not allow_deletions:
        findings.append(GuardFinding(Guard.DELETIONS_NOT_ALLOWED, tuple(sorted(deleted_ids)), environment))
    clashing = sorted(set(discovered_by_id) & dashboard_ids)
    if clashing:
        findings.append(GuardFinding(Guard.DASHBOARD_CLASH, tuple(clashing), environment))

    return Plan(
        workflows=tuple(sorted(changes, key=lambda c: c.workflow_id)),
        detail=detail,
        findings=tuple(findings),
    )


def normalise_workflow(definition: JsonObject) -> dict[str, Any]:
    """The parts of a workflow definition that a sync can change, in a form fit for comparing.

    Volatile or duplicated parts never count: ``unknownSchema`` (outside user schemas), the deprecated
    2.3.0 fields (workflow ``options``/``data``/``inputs``, step ``inputs``), step options that repeat a
    schema. ``{schema, unknownSchema}`` containers become their schema; Novu's defaults equal absence
    (``tags`` [], ``severity`` "none", ``preferences`` {}, ``description`` ""; an empty name is absent);
    ``tags`` and schema ``required`` lists are sorted sets (an empty ``required`` is dropped); providers
    are keyed by their type. Unknown fields are kept and compared as they are. Two definitions are the
    same when their normalised forms give the same JSON with sorted keys (not Python's ``==``, for
    which ``true`` equals ``1``).
    """
    normalised: dict[str, Any] = {}
    for key, value in definition.items():
        if key in _DEPRECATED_WORKFLOW_KEYS:
            continue
        if key == "steps" and isinstance(value, list):
            normalised[key] = [_normalise_step(step) for step in value]
        else:
            normalised[key] = _normalise_field(value)
    for key, default in _WORKFLOW_DEFAULTS.items():
        if normalised.get(key) is None:
            normalised[key] = default
    normalised.setdefault("steps", [])
    if normalised.get("name") in (None, ""):
        normalised.pop("name", None)
    if isinstance(normalised["tags"], list):
        normalised["tags"] = _as_set(normalised["tags"])
    return normalised


def value_text(value: Any) -> str:
    """Compact JSON of a value, keys sorted, for ``FieldDiff.before``/``after``: at most 200 characters.

    A longer text is abbreviated to exactly 200 characters: its first 140, ``…``, its last 59. Both ends
    stay readable (a string keeps its quotes, an object its braces), but the result is no longer valid
    JSON: a script should parse ``before``/``after`` only when they are shorter than 200 characters.
    """
    text = _canonical(value)
    if len(text) <= _MAX_VALUE_TEXT:
        return text
    head = 140
    tail = _MAX_VALUE_TEXT - head - len(_ELLIPSIS)
    return text[:head] + _ELLIPSIS + text[-tail:]


# ---- indexing ----------------------------------------------------------------------------------------


def _index_discovered(discovered: Iterable[JsonObject]) -> dict[str, JsonObject]:
    by_id: dict[str, JsonObject] = {}
    for definition in discovered:
        workflow_id = definition.get("workflowId") if isinstance(definition, Mapping) else None
        if not isinstance(workflow_id, str) or not workflow_id:
            raise InvalidDiscoveryError(
                "The bridge's discover answer contains a workflow without a `workflowId`. "
                "Check that the bridge runs @novu/framework and serves its workflows unchanged."
            )
        if workflow_id in by_id:
            raise InvalidDiscoveryError(
                f"The bridge discovers the workflow id {json.dumps(workflow_id)} more than once. "
                "Give each workflow a unique id in the bridge code."
            )
        by_id[workflow_id] = definition
    return by_id


def _index_stored(stored: Iterable[JsonObject]) -> dict[str, JsonObject]:
    # Entries without a workflowId (e.g. Dashboard workflows, which keep no bridge definition) are skipped:
    # the workflow list still accounts for them.
    by_id: dict[str, JsonObject] = {}
    for definition in stored:
        workflow_id = definition.get("workflowId") if isinstance(definition, Mapping) else None
        if isinstance(workflow_id, str) and workflow_id:
            by_id.setdefault(workflow_id, definition)
    return by_id


def _display_name(definition: JsonObject) -> str | None:
    name = definition.get("name")
    return name if isinstance(name, str) and name else None


# ---- classification ----------------------------------------------------------------------------------


def _compare_ids(definition: JsonObject, present: set[str]) -> WorkflowChange:
    workflow_id = str(definition["workflowId"])
    return WorkflowChange(
        workflow_id=workflow_id,
        change=Change.UPDATE if workflow_id in present else Change.CREATE,
        name=_display_name(definition),
        definition=definition,
    )


def _compare_definitions(
    workflow_id: str, definition: JsonObject, stored_definition: JsonObject | None
) -> WorkflowChange:
    name = _display_name(definition)
    if stored_definition is None:
        return WorkflowChange(workflow_id=workflow_id, change=Change.CREATE, name=name, definition=definition)
    before = normalise_workflow(stored_definition)
    after = normalise_workflow(definition)
    if _same(before, after):
        return WorkflowChange(
            workflow_id=workflow_id, change=Change.UNCHANGED, name=name, definition=definition
        )
    steps_compared = isinstance(before["steps"], list) and isinstance(after["steps"], list)
    return WorkflowChange(
        workflow_id=workflow_id,
        change=Change.UPDATE,
        name=name if name is not None else _display_name(stored_definition),
        fields=_workflow_field_diffs(before, after, skip_steps=steps_compared),
        steps=_step_diffs(before["steps"], after["steps"]) if steps_compared else (),
        definition=definition,
    )


# ---- normalisation -----------------------------------------------------------------------------------


def _normalise_step(step: Any) -> Any:
    if not isinstance(step, Mapping):
        return _normalise_field(step)
    normalised: dict[str, Any] = {}
    for key, value in step.items():
        if key in _DEPRECATED_STEP_KEYS:
            continue
        if key == "options" and isinstance(value, Mapping):
            normalised[key] = {k: _clean(v) for k, v in value.items() if k not in _SCHEMA_OPTION_KEYS}
        elif key == "providers" and isinstance(value, list):
            normalised[key] = _normalise_providers(value)
        else:
            normalised[key] = _normalise_field(value)
    for key, default in _STEP_DEFAULTS.items():
        if normalised.get(key) is None:
            normalised[key] = default
    return normalised


def _normalise_providers(providers: list[Any]) -> dict[str, Any]:
    by_type: dict[str, Any] = {}
    for index, provider in enumerate(providers):
        if isinstance(provider, Mapping):
            provider_type = provider.get("type")
            key = provider_type if isinstance(provider_type, str) else f"#{index}"
            by_type.setdefault(key, {k: _normalise_field(v) for k, v in provider.items()})
        else:
            by_type.setdefault(f"#{index}", _clean(provider))
    return by_type


def _normalise_field(value: Any) -> Any:
    """A ``{schema, unknownSchema}`` container becomes its schema; anything else is cleaned."""
    if isinstance(value, Mapping) and "schema" in value and set(value) <= {"schema", "unknownSchema"}:
        return _clean_schema(value["schema"])
    return _clean(value)


def _clean(value: Any) -> Any:
    """Drops ``unknownSchema`` keys outside user schemas; values under ``schema`` are user schemas."""
    if isinstance(value, Mapping):
        return {
            key: _clean_schema(item) if key == "schema" else _clean(item)
            for key, item in value.items()
            if key != "unknownSchema"
        }
    if isinstance(value, list):
        return [_clean(item) for item in value]
    return value


def _clean_schema(value: Any) -> Any:
    """A JSON Schema; its ``required`` lists become sorted sets (order means nothing), empty ones go."""
    if isinstance(value, list):
        return [_clean_schema(item) for item in value]
    if not isinstance(value, Mapping):
        return value
    cleaned: dict[str, Any] = {}
    for key, item in value.items():
        if key == "required" and isinstance(item, list) and all(isinstance(m, str) for m in item):
            if item:  # an empty list requires nothing, as no list does
                cleaned[key] = _as_set(item)
        elif key in _SCHEMA_MAP_KEYWORDS and isinstance(item, Mapping):
            cleaned[key] = {name: _clean_schema(schema) for name, schema in item.items()}
        elif key in _SCHEMA_DATA_KEYWORDS:
            cleaned[key] = item
        else:
            cleaned[key] = _clean_schema(item)
    return cleaned


def _as_set(members: list[Any]) -> list[Any]:
    unique = {_canonical(member): member for member in members}
    return [unique[text] for text in sorted(unique)]


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _same(before: Any, after: Any) -> bool:
    # Through JSON text, because Python's == says true == 1 and 1 == 1.0.
    if before is _ABSENT or after is _ABSENT:
        return before is after
    return _canonical(before) == _canonical(after)


# ---- field differences -------------------------------------------------------------------------------


def _workflow_field_diffs(
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
            out.append(FieldDiff(_format_path(path), DiffKind.CHANGED, value_text(before), value_text(after)))
    elif isinstance(before, list) and isinstance(after, list):
        for index in range(max(len(before), len(after))):
            previous = before[index] if index < len(before) else _ABSENT
            current = after[index] if index < len(after) else _ABSENT
            _diff_value(previous, current, (*path, index), out)
    else:
        out.append(FieldDiff(_format_path(path), DiffKind.CHANGED, value_text(before), value_text(after)))


def _diff_members(
    before: list[Any], after: list[Any], path: tuple[PathSegment, ...], out: list[FieldDiff]
) -> bool:
    """Per-member differences of a set-like list; False when only the order or repetition changed."""
    previous = {_canonical(member): member for member in before}
    current = {_canonical(member): member for member in after}
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


def _step_diffs(before: list[Any], after: list[Any]) -> tuple[StepDiff, ...]:
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
        step_id = raw_id if isinstance(raw_id, str) else _canonical(raw_id)
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
            out.append(FieldDiff(text, DiffKind.CHANGED, value_text(previous), value_text(current)))


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
