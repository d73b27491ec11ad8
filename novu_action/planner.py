"""Classification and guards: which workflows a sync creates, updates, deletes or leaves, and whether it may.

Pure: the discovered definitions and the environment's state in, ``Plan`` out. No I/O, no clock,
deterministic ordering.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence

from novu_action.differ import step_diffs, workflow_field_diffs
from novu_action.errors import ActionError
from novu_action.normalise import normalise_workflow, same, storage_text
from novu_action.plan import Change, Detail, Guard, GuardFinding, JsonObject, Plan, WorkflowChange
from novu_action.state import EnvironmentState, StoredDefinition


class InvalidDiscoveryError(ActionError):
    """The bridge's discover answer cannot be planned from."""

    title = "Bridge served invalid workflows"


def build_plan(
    *,
    discovered: Sequence[JsonObject],
    state: EnvironmentState,
    allow_deletions: bool,
    allow_emptying: bool = False,
    environment: str,
) -> Plan:
    """Compare what the bridge discovers with what the environment holds.

    ``discovered`` are the bridge's discover ``workflows`` exactly as served; ``state`` holds the stored
    framework definitions and the workflow list with origins (either may be unavailable).

    With both (``Detail.FULL``): a discovered id that is not stored is a create; a stored id, or a listed
    framework id (origin ``"external"`` or unknown), that is not discovered is a delete (what Novu's sync
    soft-deletes); an id on both sides is an update when the definitions differ (``normalise``), with
    field- and step-level detail, and unchanged otherwise.

    With one of them only (``Detail.IDS_ONLY``) ids are compared: the ids the available read shows. An id
    on both sides is an update without detail, because the sync rewrites it and its definition cannot be
    compared.

    Workflows of other origins are never deleted. A discovered id that clashes with a Dashboard workflow
    (origin ``"novu-cloud"`` or another Novu does not take over) is a ``DASHBOARD_CLASH`` finding; one that
    matches an old v1 workflow (origin ``"novu-cloud-v1"``) is taken over by the sync: ``Plan.takeovers``.
    Deletions without ``allow_deletions`` are a ``DELETIONS_NOT_ALLOWED`` finding. A bridge that discovers
    nothing while the environment holds workflows is an ``EMPTY_BRIDGE`` finding unless ``allow_emptying``:
    deletions allowed by default (outside Production) do not cover emptying an environment, which is
    almost always a wrong URL or a broken deployment; only an explicit ``allow-deletions: true`` does.
    """
    discovered_by_id = _index_discovered(discovered)
    listed = state.listed or ()
    stored = state.framework_definitions
    v1_ids = {w.workflow_id for w in listed if w.is_v1}
    dashboard_ids = {w.workflow_id for w in listed if not w.is_framework and not w.is_v1}
    listed_names = {w.workflow_id: w.name for w in listed}

    if stored is None or state.listed is None:
        detail = Detail.IDS_ONLY
        present = set(listed_names) if stored is None else set(stored)
        changes = [_compare_ids(definition, present) for definition in discovered_by_id.values()]
        deletable = {w.workflow_id for w in listed if w.is_framework} if stored is None else set(stored)
    else:
        detail = Detail.FULL
        changes = [
            _compare_definitions(workflow_id, definition, stored.get(workflow_id))
            for workflow_id, definition in discovered_by_id.items()
        ]
        deletable = set(stored) | {w.workflow_id for w in listed if w.is_framework}

    deleted_ids = deletable - set(discovered_by_id) - dashboard_ids - v1_ids
    changes.extend(
        WorkflowChange(
            workflow_id=workflow_id,
            change=Change.DELETE,
            name=listed_names.get(workflow_id) or _stored_name(stored, workflow_id),
        )
        for workflow_id in deleted_ids
    )

    findings: list[GuardFinding] = []
    if deleted_ids and not discovered_by_id and not allow_emptying:
        findings.append(
            GuardFinding(
                guard=Guard.EMPTY_BRIDGE, workflow_ids=tuple(sorted(deleted_ids)), environment=environment
            )
        )
    elif deleted_ids and discovered_by_id and not allow_deletions:
        findings.append(
            GuardFinding(
                guard=Guard.DELETIONS_NOT_ALLOWED,
                workflow_ids=tuple(sorted(deleted_ids)),
                environment=environment,
            )
        )
    clashing = sorted(set(discovered_by_id) & dashboard_ids)
    if clashing:
        findings.append(
            GuardFinding(guard=Guard.DASHBOARD_CLASH, workflow_ids=tuple(clashing), environment=environment)
        )

    return Plan(
        workflows=tuple(sorted(changes, key=lambda c: c.workflow_id)),
        detail=detail,
        findings=tuple(findings),
        takeovers=tuple(sorted(set(discovered_by_id) & v1_ids)),
    )


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


def _display_name(definition: JsonObject) -> str | None:
    name = definition.get("name")
    return name if isinstance(name, str) and name else None


def _stored_name(stored: Mapping[str, StoredDefinition] | None, workflow_id: str) -> str | None:
    definition = stored.get(workflow_id) if stored is not None else None
    return _display_name(definition.tree()) if definition is not None else None


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
    workflow_id: str, definition: JsonObject, stored: StoredDefinition | None
) -> WorkflowChange:
    name = _display_name(definition)
    if stored is None:
        return WorkflowChange(workflow_id=workflow_id, change=Change.CREATE, name=name, definition=definition)
    # The fast path: most workflows are unchanged, and then the stored text is the discovered one.
    if stored.text == storage_text(definition):
        return WorkflowChange(
            workflow_id=workflow_id, change=Change.UNCHANGED, name=name, definition=definition
        )
    stored_definition = stored.tree()
    before = normalise_workflow(stored_definition)
    after = normalise_workflow(definition)
    if same(before, after):
        return WorkflowChange(
            workflow_id=workflow_id, change=Change.UNCHANGED, name=name, definition=definition
        )
    steps_compared = isinstance(before["steps"], list) and isinstance(after["steps"], list)
    return WorkflowChange(
        workflow_id=workflow_id,
        change=Change.UPDATE,
        name=name if name is not None else _display_name(stored_definition),
        fields=workflow_field_diffs(before, after, skip_steps=steps_compared),
        steps=step_diffs(before["steps"], after["steps"]) if steps_compared else (),
        definition=definition,
    )
