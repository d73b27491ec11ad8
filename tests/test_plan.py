"""The diff engine over real discover captures: what a sync would do, and why.

Every "stored" definition is built the way Novu keeps it at sync time (``rawData`` = the discover object
with ``unknownSchema`` removed from ``payload`` and ``controls``). Table cases edit the *discovered* copy,
i.e. they play "the developer changed the code", and assert exactly what the plan reports.
"""

from __future__ import annotations

import copy
import json
import random
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from novu_action.errors import ActionError
from novu_action.plan import (
    Change,
    Detail,
    DiffKind,
    FieldDiff,
    Guard,
    GuardFinding,
    InvalidDiscoveryError,
    ListedWorkflow,
    Plan,
    StepChange,
    StepDiff,
    WorkflowChange,
    build_plan,
    normalise_workflow,
    value_text,
)

FIXTURES = Path(__file__).parent / "fixtures"
CAPTURES = ("discover.json", "example-bridge-discover.json")
ENVIRONMENT = "Production"

Workflow = dict[str, Any]


def captured(name: str = "discover.json") -> list[Workflow]:
    workflows: list[Workflow] = json.loads((FIXTURES / name).read_text())["workflows"]
    return workflows


def as_stored(workflow: Workflow) -> Workflow:
    """What Novu keeps as rawData at sync time."""
    stored = copy.deepcopy(workflow)
    for key in ("payload", "controls"):
        stored[key].pop("unknownSchema", None)
    return stored


def plan_of(
    discovered: list[Workflow],
    stored: list[Workflow] | None,
    *,
    listed: tuple[ListedWorkflow, ...] = (),
    allow_deletions: bool = False,
    allow_emptying: bool = False,
) -> Plan:
    return build_plan(
        discovered=discovered,
        stored=stored,
        listed=listed,
        allow_deletions=allow_deletions,
        allow_emptying=allow_emptying,
        environment=ENVIRONMENT,
    )


def workflow_in(workflows: list[Workflow], workflow_id: str) -> Workflow:
    return next(w for w in workflows if w["workflowId"] == workflow_id)


def step_in(workflow: Workflow, step_id: str) -> Workflow:
    step: Workflow = next(s for s in workflow["steps"] if s["stepId"] == step_id)
    return step


def change_of(plan: Plan, workflow_id: str) -> WorkflowChange:
    return next(w for w in plan.workflows if w.workflow_id == workflow_id)


def edited(workflows: list[Workflow], workflow_id: str, edit: Callable[[Workflow], object]) -> list[Workflow]:
    copies = copy.deepcopy(workflows)
    edit(workflow_in(copies, workflow_id))
    return copies


def reorder_keys(value: Any, rng: random.Random) -> Any:
    """Same JSON, other key order everywhere (list order kept)."""
    if isinstance(value, dict):
        keys = list(value)
        rng.shuffle(keys)
        return {key: reorder_keys(value[key], rng) for key in keys}
    if isinstance(value, list):
        return [reorder_keys(item, rng) for item in value]
    return value


def replace_zod_internals(value: Any, marker: str) -> Any:
    """Every unknownSchema and schema-duplicating option gets other (volatile) content."""
    if isinstance(value, dict):
        return {
            key: {"_def": {"typeName": "ZodObject", "marker": marker}, "~standard": {"version": 1}}
            if key in ("unknownSchema", "controlSchema", "outputSchema")
            else replace_zod_internals(item, marker)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [replace_zod_internals(item, marker) for item in value]
    return value


# ---- unchanged: what must never count as a change ------------------------------------------------------


def _shuffled_keys(workflows: list[Workflow]) -> list[Workflow]:
    rng = random.Random(7)  # noqa: S311 (shuffles keys, not secrets)
    return [reorder_keys(as_stored(w), rng) for w in workflows]


def _drop_defaults(workflows: list[Workflow]) -> list[Workflow]:
    stored = [as_stored(w) for w in workflows]
    for workflow in stored:
        for key, default in (("tags", []), ("severity", "none"), ("preferences", {})):
            if workflow.get(key) == default:
                del workflow[key]
        for step in workflow["steps"]:
            if step.get("providers") == []:
                del step["providers"]
    return stored


def _reversed_sets(workflows: list[Workflow]) -> list[Workflow]:
    stored = [as_stored(w) for w in workflows]
    for workflow in stored:
        workflow["tags"] = list(reversed(workflow["tags"]))
        for schema in (workflow["payload"]["schema"], *(s["controls"]["schema"] for s in workflow["steps"])):
            if "required" in schema:
                schema["required"] = list(reversed(schema["required"]))
    return stored


def _empty_required_lists_left_out(workflows: list[Workflow]) -> list[Workflow]:
    stored = [as_stored(w) for w in workflows]
    for workflow in stored:
        for key in ("controls", "env"):
            assert workflow[key]["schema"].pop("required") == []
    return stored


def _with_deprecated_fields(workflows: list[Workflow]) -> list[Workflow]:
    stored = [as_stored(w) for w in workflows]
    for workflow in stored:
        workflow["options"] = {"payloadSchema": workflow["payload"]["schema"], "retries": 3}
        workflow["data"] = workflow["payload"]
        workflow["inputs"] = workflow["controls"]
        for step in workflow["steps"]:
            step["inputs"] = step["controls"]
    return stored


def _explicit_empty_description(workflows: list[Workflow]) -> list[Workflow]:
    stored = [as_stored(w) for w in workflows]
    for workflow in stored:
        workflow.setdefault("description", "")
    return stored


UNCHANGED_STORED: dict[str, Callable[[list[Workflow]], list[Workflow]]] = {
    "stored as Novu keeps it (no unknownSchema)": lambda ws: [as_stored(w) for w in ws],
    "stored exactly as served": copy.deepcopy,
    "key order shuffled everywhere": _shuffled_keys,
    "Zod internals differ": lambda ws: [replace_zod_internals(w, "other run") for w in ws],
    "Novu defaults left out": _drop_defaults,
    "required and tags in another order": _reversed_sets,
    "deprecated 2.3.0 fields present": _with_deprecated_fields,
    "empty required lists left out": _empty_required_lists_left_out,
    "description explicitly empty": _explicit_empty_description,
}


@pytest.mark.parametrize("capture", CAPTURES)
@pytest.mark.parametrize("stored_form", sorted(UNCHANGED_STORED))
def test_volatile_differences_leave_every_workflow_unchanged(capture: str, stored_form: str) -> None:
    discovered = captured(capture)
    plan = plan_of(discovered, UNCHANGED_STORED[stored_form](discovered))

    assert [w.change for w in plan.workflows] == [Change.UNCHANGED] * len(discovered)
    assert not plan.has_changes
    assert plan.findings == ()
    assert all(w.fields == () and w.steps == () for w in plan.workflows)


def test_two_real_captures_of_the_same_code_with_different_zod_internals_are_unchanged() -> None:
    first, second = captured("discover.json"), captured("example-bridge-discover.json")
    assert (
        workflow_in(first, "welcome")["payload"]["unknownSchema"]
        != (workflow_in(second, "welcome")["payload"]["unknownSchema"])
    )

    plan = plan_of(second, [as_stored(w) for w in first])

    assert {w.workflow_id: w.change for w in plan.workflows} == {
        "welcome": Change.UNCHANGED,
        "digest-comments": Change.UNCHANGED,
        "sms-alert": Change.UNCHANGED,
        "invoice-paid": Change.CREATE,
    }


# ---- updates: exactly what the plan says -----------------------------------------------------------------

TWILIO = {
    "type": "twilio",
    "code": "async ({ outputs }) => ({ _passthrough: { body: { to: '+1' } } })",
    "outputs": {
        "schema": {
            "type": "object",
            "properties": {"from": {"type": "string"}},
            "additionalProperties": False,
        },
        "unknownSchema": {"_def": {"typeName": "ZodObject"}},
    },
}
NEW_SMS_STEP = {
    "stepId": "digest-sms",
    "type": "sms",
    "controls": {"schema": {"type": "object", "properties": {}}, "unknownSchema": {"type": "object"}},
    "outputs": {"schema": {"type": "object"}, "unknownSchema": {"type": "object"}},
    "results": {"schema": {"type": "object"}, "unknownSchema": {"type": "object"}},
    "code": "async () => ({ body: 'x' })",
    "options": {},
    "providers": [],
}


def _set(path: str, value: Any) -> Callable[[Workflow], None]:
    """An edit that sets a dotted path (list indexes as numbers) in a workflow."""
    *parents, last = path.split(".")

    def edit(workflow: Workflow) -> None:
        target: Any = workflow
        for part in parents:
            target = target[int(part)] if isinstance(target, list) else target[part]
        target[last] = value

    return edit


def _delete(path: str) -> Callable[[Workflow], None]:
    *parents, last = path.split(".")

    def edit(workflow: Workflow) -> None:
        target: Any = workflow
        for part in parents:
            target = target[part]
        del target[last]

    return edit


def _both_control_schemas(step_id: str, edit: Callable[[dict[str, Any]], None]) -> Callable[[Workflow], None]:
    """A control schema edit as the bridge serves it: in `controls.schema` and again in `options`."""

    def apply(workflow: Workflow) -> None:
        step = step_in(workflow, step_id)
        edit(step["controls"]["schema"])
        edit(step["options"]["controlSchema"])

    return apply


def _append_enum(schema: dict[str, Any]) -> None:
    schema["properties"]["plan"]["enum"].append("team")


def _insert_step(workflow: Workflow) -> None:
    workflow["steps"].insert(1, copy.deepcopy(NEW_SMS_STEP))


def _reverse_steps(workflow: Workflow) -> None:
    workflow["steps"].reverse()


def _reverse_steps_and_change_inbox(workflow: Workflow) -> None:
    workflow["steps"].reverse()
    step_in(workflow, "welcome-inbox")["controls"]["schema"]["properties"]["subject"]["default"] = "Hi!"


def _add_provider(workflow: Workflow) -> None:
    step_in(workflow, "alert-sms")["providers"] = [copy.deepcopy(TWILIO)]


def _change_provider(workflow: Workflow) -> None:
    provider = step_in(workflow, "alert-sms")["providers"][0]
    provider["code"] = "async () => ({})"
    provider["outputs"]["schema"]["properties"]["to"] = {"type": "string"}


def _add_changed_provider(workflow: Workflow) -> None:
    _add_provider(workflow)
    _change_provider(workflow)


def _stored_with_provider(workflow: Workflow) -> None:
    step_in(workflow, "alert-sms")["providers"] = [copy.deepcopy(TWILIO)]


@dataclass(frozen=True)
class UpdateCase:
    workflow_id: str
    edit: Callable[[Workflow], object]
    fields: tuple[FieldDiff, ...] = ()
    steps: tuple[StepDiff, ...] = ()
    edit_stored: Callable[[Workflow], object] | None = field(default=None)


CHANGED, ADDED, REMOVED = DiffKind.CHANGED, DiffKind.ADDED, DiffKind.REMOVED
ALERT = "Sends an urgent SMS alert to the subscriber."

UPDATE_CASES: dict[str, UpdateCase] = {
    "name changed": UpdateCase(
        "sms-alert", _set("name", "Urgent SMS"), (FieldDiff("name", CHANGED, '"SMS Alert"', '"Urgent SMS"'),)
    ),
    "name added": UpdateCase(
        "welcome", _set("name", "Welcome"), (FieldDiff("name", ADDED, None, '"Welcome"'),)
    ),
    "name removed": UpdateCase("sms-alert", _delete("name"), (FieldDiff("name", REMOVED, '"SMS Alert"'),)),
    "description changed": UpdateCase(
        "sms-alert",
        _set("description", "Pages ops."),
        (FieldDiff("description", CHANGED, f'"{ALERT}"', '"Pages ops."'),),
    ),
    "description removed becomes empty, as Novu stores it": UpdateCase(
        "sms-alert", _delete("description"), (FieldDiff("description", CHANGED, f'"{ALERT}"', '""'),)
    ),
    "tags: one added, one removed": UpdateCase(
        "sms-alert",
        _set("tags", ["alerts", "pager"]),
        (FieldDiff("tags", ADDED, None, '"pager"'), FieldDiff("tags", REMOVED, '"ops"')),
    ),
    "severity changed": UpdateCase(
        "sms-alert", _set("severity", "low"), (FieldDiff("severity", CHANGED, '"high"', '"low"'),)
    ),
    "severity removed falls back to none": UpdateCase(
        "sms-alert", _delete("severity"), (FieldDiff("severity", CHANGED, '"high"', '"none"'),)
    ),
    "preference toggled": UpdateCase(
        "sms-alert",
        _set("preferences.channels.email.enabled", True),
        (FieldDiff("preferences.channels.email.enabled", CHANGED, "false", "true"),),
    ),
    "preferences set where there were none": UpdateCase(
        "welcome",
        _set("preferences", {"all": {"enabled": False, "readOnly": True}}),
        (FieldDiff("preferences.all", ADDED, None, '{"enabled":false,"readOnly":true}'),),
    ),
    "payload property added": UpdateCase(
        "welcome",
        _set("payload.schema.properties.locale", {"type": "string"}),
        (FieldDiff("payload.properties.locale", ADDED, None, '{"type":"string"}'),),
    ),
    "payload property removed": UpdateCase(
        "digest-comments",
        _delete("payload.schema.properties.postId"),
        (FieldDiff("payload.properties.postId", REMOVED, '{"type":"string"}'),),
    ),
    "payload property type changed": UpdateCase(
        "digest-comments",
        _set("payload.schema.properties.postId.type", "number"),
        (FieldDiff("payload.properties.postId.type", CHANGED, '"string"', '"number"'),),
    ),
    "payload enum member added": UpdateCase(
        "welcome",
        lambda w: _append_enum(w["payload"]["schema"]),
        (FieldDiff("payload.properties.plan.enum", ADDED, None, '"team"'),),
    ),
    "payload enum reordered only": UpdateCase(
        "welcome",
        _set("payload.schema.properties.plan.enum", ["pro", "free", "enterprise"]),
        (
            FieldDiff(
                "payload.properties.plan.enum",
                CHANGED,
                '["free","pro","enterprise"]',
                '["pro","free","enterprise"]',
            ),
        ),
    ),
    "payload default changed": UpdateCase(
        "welcome",
        _set("payload.schema.properties.plan.default", "pro"),
        (FieldDiff("payload.properties.plan.default", CHANGED, '"free"', '"pro"'),),
    ),
    "payload required member added": UpdateCase(
        "welcome",
        _set("payload.schema.required", ["userName", "plan"]),
        (FieldDiff("payload.required", ADDED, None, '"plan"'),),
    ),
    "payload required member removed": UpdateCase(
        "digest-comments",
        _set("payload.schema.required", []),
        (FieldDiff("payload.required", REMOVED, '"comment"'),),
    ),
    "payload property whose name needs quoting": UpdateCase(
        "welcome",
        _set("payload.schema.properties.first name", {"type": "string"}),
        (FieldDiff('payload.properties["first name"]', ADDED, None, '{"type":"string"}'),),
    ),
    "workflow controls schema changed": UpdateCase(
        "welcome",
        _set("controls.schema.properties.locale", {"type": "string", "default": "en"}),
        (FieldDiff("controls.properties.locale", ADDED, None, '{"default":"en","type":"string"}'),),
    ),
    "env schema changed": UpdateCase(
        "digest-comments",
        _set("env.schema.required", ["API_URL"]),
        (FieldDiff("env.required", ADDED, None, '"API_URL"'),),
    ),
    "workflow code changed": UpdateCase(
        "welcome", lambda w: w.update(code=w["code"] + "\n// v2"), (FieldDiff("code", CHANGED),)
    ),
    "unknown new framework field": UpdateCase(
        "welcome",
        _set("retention", {"days": 30}),
        (FieldDiff("retention", ADDED, None, '{"days":30}'),),
    ),
    "step added": UpdateCase(
        "digest-comments",
        _insert_step,
        steps=(StepDiff("digest-sms", StepChange.ADDED, type_after="sms", position_after=1),),
    ),
    "step removed": UpdateCase(
        "welcome",
        lambda w: w["steps"].pop(0),
        steps=(StepDiff("welcome-inbox", StepChange.REMOVED, type_before="in_app", position_before=0),),
    ),
    "steps swapped: one step moved": UpdateCase(
        "welcome",
        _reverse_steps,
        steps=(StepDiff("welcome-inbox", StepChange.MOVED, "in_app", "in_app", 0, 1, moved=True),),
    ),
    "step moved and changed": UpdateCase(
        "welcome",
        _reverse_steps_and_change_inbox,
        steps=(
            StepDiff(
                "welcome-inbox",
                StepChange.CHANGED,
                "in_app",
                "in_app",
                0,
                1,
                moved=True,
                details=(FieldDiff("controls.properties.subject.default", CHANGED, '"Welcome!"', '"Hi!"'),),
            ),
        ),
    ),
    "step type changed": UpdateCase(
        "sms-alert",
        lambda w: step_in(w, "alert-sms").update(type="chat"),
        steps=(
            StepDiff(
                "alert-sms",
                StepChange.CHANGED,
                "sms",
                "chat",
                0,
                0,
                details=(FieldDiff("type", CHANGED, '"sms"', '"chat"'),),
            ),
        ),
    ),
    "step control default changed (schema and its options copy)": UpdateCase(
        "digest-comments",
        _both_control_schemas("comment-digest", lambda s: s["properties"]["amount"].update(default=60)),
        steps=(
            StepDiff(
                "comment-digest",
                StepChange.CHANGED,
                "digest",
                "digest",
                0,
                0,
                details=(FieldDiff("controls.properties.amount.default", CHANGED, "30", "60"),),
            ),
        ),
    ),
    "step control made optional": UpdateCase(
        "digest-comments",
        _both_control_schemas("comment-digest", lambda s: s.update(required=["amount"])),
        steps=(
            StepDiff(
                "comment-digest",
                StepChange.CHANGED,
                "digest",
                "digest",
                0,
                0,
                details=(FieldDiff("controls.required", REMOVED, '"unit"'),),
            ),
        ),
    ),
    "step outputs and results schemas changed": UpdateCase(
        "digest-comments",
        lambda w: (
            step_in(w, "digest-email")["outputs"]["schema"]["properties"].pop("preheader"),
            step_in(w, "digest-email")["results"]["schema"].update(required=["id"]),
        ),
        steps=(
            StepDiff(
                "digest-email",
                StepChange.CHANGED,
                "email",
                "email",
                1,
                1,
                details=(
                    FieldDiff("outputs.properties.preheader", REMOVED, '{"type":"string"}'),
                    FieldDiff("results.required", ADDED, None, '"id"'),
                ),
            ),
        ),
    ),
    "step option added": UpdateCase(
        "digest-comments",
        lambda w: step_in(w, "digest-email")["options"].update(disableOutputSanitization=True),
        steps=(
            StepDiff(
                "digest-email",
                StepChange.CHANGED,
                "email",
                "email",
                1,
                1,
                details=(FieldDiff("options.disableOutputSanitization", ADDED, None, "true"),),
            ),
        ),
    ),
    "step provider added": UpdateCase(
        "sms-alert",
        _add_provider,
        steps=(
            StepDiff(
                "alert-sms",
                StepChange.CHANGED,
                "sms",
                "sms",
                0,
                0,
                details=(FieldDiff("providers.twilio", ADDED),),
            ),
        ),
    ),
    "step provider removed": UpdateCase(
        "sms-alert",
        lambda w: w,
        edit_stored=_stored_with_provider,
        steps=(
            StepDiff(
                "alert-sms",
                StepChange.CHANGED,
                "sms",
                "sms",
                0,
                0,
                details=(FieldDiff("providers.twilio", REMOVED),),
            ),
        ),
    ),
    "step provider changed": UpdateCase(
        "sms-alert",
        _add_changed_provider,
        edit_stored=_stored_with_provider,
        steps=(
            StepDiff(
                "alert-sms",
                StepChange.CHANGED,
                "sms",
                "sms",
                0,
                0,
                details=(
                    FieldDiff("providers.twilio.code", CHANGED),
                    FieldDiff("providers.twilio.outputs.properties.to", ADDED, None, '{"type":"string"}'),
                ),
            ),
        ),
    ),
    "step code changed": UpdateCase(
        "sms-alert",
        lambda w: step_in(w, "alert-sms").update(code="async () => ({ body: 'changed' })"),
        steps=(
            StepDiff(
                "alert-sms", StepChange.CHANGED, "sms", "sms", 0, 0, details=(FieldDiff("code", CHANGED),)
            ),
        ),
    ),
}


@pytest.mark.parametrize("case_name", sorted(UPDATE_CASES))
def test_an_edit_in_code_is_one_update_that_names_exactly_what_changed(case_name: str) -> None:
    case = UPDATE_CASES[case_name]
    original = captured()
    stored = [as_stored(w) for w in original]
    if case.edit_stored is not None:
        case.edit_stored(workflow_in(stored, case.workflow_id))

    plan = plan_of(edited(original, case.workflow_id, case.edit), stored)

    updated = change_of(plan, case.workflow_id)
    assert updated.change is Change.UPDATE
    assert (updated.fields, updated.steps) == (case.fields, case.steps)
    others = [w.change for w in plan.workflows if w.workflow_id != case.workflow_id]
    assert others == [Change.UNCHANGED] * len(others)


def test_several_field_changes_are_sorted_by_path_then_kind() -> None:
    def edit(workflow: Workflow) -> None:
        workflow.update(severity="low", tags=["pager", "alerts"], name="Urgent")
        workflow["payload"]["schema"]["properties"]["zone"] = {"type": "string"}

    plan = plan_of(edited(captured(), "sms-alert", edit), [as_stored(w) for w in captured()])

    assert [(f.path, f.kind) for f in change_of(plan, "sms-alert").fields] == [
        ("name", CHANGED),
        ("payload.properties.zone", ADDED),
        ("severity", CHANGED),
        ("tags", ADDED),
        ("tags", REMOVED),
    ]


def test_moving_one_step_among_many_reports_only_that_step() -> None:
    def make_steps(workflow: Workflow) -> None:
        template = workflow["steps"][0]
        workflow["steps"] = [dict(copy.deepcopy(template), stepId=f"s{i}") for i in range(6)]

    before = edited(captured(), "sms-alert", make_steps)
    after = edited(before, "sms-alert", lambda w: w["steps"].insert(0, w["steps"].pop(4)))

    plan = plan_of(after, [as_stored(w) for w in before])

    assert change_of(plan, "sms-alert").steps == (
        StepDiff("s4", StepChange.MOVED, "sms", "sms", 4, 0, moved=True),
    )


def test_steps_are_listed_in_discovered_order_then_removed_ones_by_old_position() -> None:
    def edit(workflow: Workflow) -> None:
        workflow["steps"] = [copy.deepcopy(NEW_SMS_STEP), workflow["steps"][2]]

    before = edited(
        captured(), "welcome", lambda w: w["steps"].insert(0, dict(copy.deepcopy(NEW_SMS_STEP), stepId="old"))
    )
    after = edited(before, "welcome", edit)

    steps = change_of(plan_of(after, [as_stored(w) for w in before]), "welcome").steps

    assert [(s.step_id, s.change, s.position_before, s.position_after) for s in steps] == [
        ("digest-sms", StepChange.ADDED, None, 0),
        ("old", StepChange.REMOVED, 0, None),
        ("welcome-inbox", StepChange.REMOVED, 1, None),
    ]


def test_long_values_are_abbreviated_keeping_both_ends() -> None:
    long_default = "start-" + "x" * 400 + "-end"
    discovered = edited(
        captured(), "sms-alert", _set("payload.schema.properties.message.default", long_default)
    )

    (diff,) = change_of(plan_of(discovered, [as_stored(w) for w in captured()]), "sms-alert").fields

    assert diff.path == "payload.properties.message.default"
    assert diff.before == '"Something happened"'
    assert diff.after is not None
    assert len(diff.after) <= 200
    assert diff.after.startswith('"start-xxx')
    assert diff.after.endswith('xxx-end"')
    assert "…" in diff.after


def test_value_text_is_compact_json_with_sorted_keys() -> None:
    assert value_text({"b": [1, True, None], "a": "ë"}) == '{"a":"ë","b":[1,true,null]}'
    assert len(value_text(list(range(500)))) == 200


def test_true_and_one_are_different_values() -> None:
    discovered = edited(captured(), "sms-alert", _set("preferences.all.enabled", 1))

    (diff,) = change_of(plan_of(discovered, [as_stored(w) for w in captured()]), "sms-alert").fields

    assert diff == FieldDiff("preferences.all.enabled", CHANGED, "true", "1")


# ---- create / delete / Dashboard workflows -----------------------------------------------------------


def test_never_synced_environment_creates_every_workflow_with_its_definition() -> None:
    discovered = captured("example-bridge-discover.json")

    plan = plan_of(discovered, [])

    assert [(w.workflow_id, w.change, w.name) for w in plan.workflows] == [
        ("digest-comments", Change.CREATE, None),
        ("invoice-paid", Change.CREATE, "Invoice paid"),
        ("sms-alert", Change.CREATE, "SMS Alert"),
        ("welcome", Change.CREATE, None),
    ]
    assert [w.definition for w in plan.workflows] == sorted(discovered, key=lambda w: w["workflowId"])
    assert plan.count(Change.CREATE) == 4
    assert plan.findings == ()


def test_workflows_no_longer_in_code_are_deleted_whether_stored_or_only_listed() -> None:
    discovered = [w for w in captured() if w["workflowId"] != "sms-alert"]
    listed = (
        ListedWorkflow("welcome", "external"),
        ListedWorkflow("from-other-bridge", "external", "Other"),
        ListedWorkflow("legacy-echo", None, "Legacy"),
        ListedWorkflow("made-in-dashboard", "novu-cloud", "Dashboard"),
    )

    plan = plan_of(discovered, [as_stored(w) for w in captured()], listed=listed, allow_deletions=True)

    assert {w.workflow_id: (w.change, w.name) for w in plan.of(Change.DELETE)} == {
        "from-other-bridge": (Change.DELETE, "Other"),
        "legacy-echo": (Change.DELETE, "Legacy"),
        "sms-alert": (Change.DELETE, "SMS Alert"),
    }
    assert all(w.definition is None for w in plan.of(Change.DELETE))
    assert "made-in-dashboard" not in {w.workflow_id for w in plan.workflows}
    assert plan.findings == ()


def test_a_dashboard_workflow_is_never_deleted_even_when_stored() -> None:
    stored = [*map(as_stored, captured()), {"workflowId": "made-in-dashboard", "steps": []}]
    listed = (ListedWorkflow("made-in-dashboard", "novu-cloud-v1"),)

    plan = plan_of(captured(), stored, listed=listed)

    assert plan.count(Change.DELETE) == 0
    assert plan.findings == ()


def test_stored_entries_without_a_workflow_id_are_ignored() -> None:
    plan = plan_of(captured(), [*map(as_stored, captured()), {"name": "no id"}, {"workflowId": None}])

    assert not plan.has_changes


# ---- Detail.WORKFLOW fallback --------------------------------------------------------------------------


def test_without_stored_definitions_ids_are_compared_with_the_workflow_list() -> None:
    listed = (
        ListedWorkflow("welcome", "external"),
        ListedWorkflow("sms-alert", None, "SMS Alert"),
        ListedWorkflow("retired", "external", "Retired"),
        ListedWorkflow("dashboard-only", "novu-cloud"),
    )

    plan = plan_of(captured(), None, listed=listed, allow_deletions=True)

    assert plan.detail is Detail.WORKFLOW
    assert [(w.workflow_id, w.change, w.name) for w in plan.workflows] == [
        ("digest-comments", Change.CREATE, None),
        ("retired", Change.DELETE, "Retired"),
        ("sms-alert", Change.UPDATE, "SMS Alert"),
        ("welcome", Change.UPDATE, None),
    ]
    assert all(w.fields == () and w.steps == () for w in plan.workflows)
    assert json.loads(plan.to_json())["detail"] == "workflow"


# ---- guards -------------------------------------------------------------------------------------------

STORED = [as_stored(w) for w in captured()]


@dataclass(frozen=True)
class GuardCase:
    discovered: list[Workflow]
    allow_deletions: bool
    findings: tuple[GuardFinding, ...]
    listed: tuple[ListedWorkflow, ...] = ()
    allow_emptying: bool = False


ALL_IDS = ("digest-comments", "sms-alert", "welcome")
GUARD_CASES: dict[str, GuardCase] = {
    "empty bridge over a populated environment": GuardCase(
        [], False, (GuardFinding(Guard.EMPTY_BRIDGE, ALL_IDS, ENVIRONMENT),)
    ),
    "empty bridge, deletions allowed by default only": GuardCase(
        [], True, (GuardFinding(Guard.EMPTY_BRIDGE, ALL_IDS, ENVIRONMENT),)
    ),
    "empty bridge, emptying allowed explicitly": GuardCase([], True, (), allow_emptying=True),
    "deletions not allowed": GuardCase(
        captured()[:1], False, (GuardFinding(Guard.DELETIONS_NOT_ALLOWED, ALL_IDS[:2], ENVIRONMENT),)
    ),
    "deletions allowed": GuardCase(captured()[:1], True, ()),
    "dashboard clash, reported even with deletions allowed": GuardCase(
        captured(),
        True,
        (GuardFinding(Guard.DASHBOARD_CLASH, ("sms-alert", "welcome"), ENVIRONMENT),),
        (ListedWorkflow("welcome", "novu-cloud"), ListedWorkflow("sms-alert", "novu-cloud-v1")),
    ),
    "deletions first, then the clash": GuardCase(
        captured()[2:],
        False,
        (
            GuardFinding(Guard.DELETIONS_NOT_ALLOWED, ("digest-comments", "welcome"), ENVIRONMENT),
            GuardFinding(Guard.DASHBOARD_CLASH, ("sms-alert",), ENVIRONMENT),
        ),
        (ListedWorkflow("sms-alert", "novu-cloud"),),
    ),
    "nothing to delete": GuardCase(captured(), False, ()),
}


@pytest.mark.parametrize("case_name", sorted(GUARD_CASES))
def test_guards(case_name: str) -> None:
    case = GUARD_CASES[case_name]

    plan = plan_of(
        case.discovered,
        STORED,
        listed=case.listed,
        allow_deletions=case.allow_deletions,
        allow_emptying=case.allow_emptying,
    )

    assert plan.findings == case.findings


def test_empty_bridge_over_an_empty_environment_is_fine() -> None:
    plan = plan_of([], [], listed=(ListedWorkflow("dashboard-only", "novu-cloud"),))

    assert plan.workflows == ()
    assert plan.findings == ()


def test_empty_bridge_counts_workflows_only_listed_in_the_fallback() -> None:
    plan = plan_of([], None, listed=(ListedWorkflow("a", "external"), ListedWorkflow("b", None)))

    assert plan.findings == (GuardFinding(Guard.EMPTY_BRIDGE, ("a", "b"), ENVIRONMENT),)
    assert "holds 2 workflows" in plan.findings[0].headline


# ---- input errors, determinism, JSON -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("discovered", "message_part"),
    [
        ([{"steps": []}], "without a `workflowId`"),
        ([{"workflowId": ""}], "without a `workflowId`"),
        ([{"workflowId": "welcome"}, {"workflowId": "welcome"}], '"welcome" more than once'),
    ],
)
def test_unusable_discover_answers_are_refused_with_advice(
    discovered: list[Workflow], message_part: str
) -> None:
    with pytest.raises(InvalidDiscoveryError, match=re.escape(message_part)) as raised:
        plan_of(discovered, [])

    assert isinstance(raised.value, ActionError)


def _busy_plan(discovered: list[Workflow], stored: list[Workflow], listed: list[ListedWorkflow]) -> Plan:
    return plan_of(discovered, stored, listed=tuple(listed))


def test_input_order_does_not_change_the_plan_or_its_json() -> None:
    discovered = edited(captured("example-bridge-discover.json"), "welcome", _reverse_steps_and_change_inbox)
    discovered = edited(discovered, "sms-alert", lambda w: w.update(tags=["b", "a"], severity="low"))
    stored = [as_stored(w) for w in captured()] + [{"workflowId": "gone", "steps": []}]
    listed = [ListedWorkflow("old", "external"), ListedWorkflow("digest-comments", "novu-cloud")]
    expected = _busy_plan(discovered, stored, listed)
    rng = random.Random(3)  # noqa: S311 (shuffles inputs, not secrets)

    for _ in range(5):
        shuffled = [reorder_keys(copy.deepcopy(w), rng) for w in discovered]
        rng.shuffle(shuffled)
        stored_shuffled = stored[:]
        rng.shuffle(stored_shuffled)
        listed_shuffled = listed[:]
        rng.shuffle(listed_shuffled)
        again = _busy_plan(shuffled, stored_shuffled, listed_shuffled)
        assert again == expected
        assert again.to_json() == expected.to_json()


def test_plan_json_carries_what_a_script_needs() -> None:
    discovered = edited(captured(), "welcome", _reverse_steps_and_change_inbox)
    discovered = edited(discovered, "sms-alert", _set("severity", "low"))
    discovered = [w for w in discovered if w["workflowId"] != "digest-comments"]
    plan = plan_of(
        discovered, [as_stored(w) for w in captured()], listed=(ListedWorkflow("x", "novu-cloud"),)
    )

    text = plan.to_json()
    document = json.loads(text)

    assert " " not in text.replace(ALERT, "").replace("SMS Alert", "")
    assert document["counts"] == {"create": 0, "update": 2, "delete": 1, "unchanged": 0}
    assert document["findings"] == [{"guard": "deletions-not-allowed", "workflowIds": ["digest-comments"]}]
    sms, welcome = document["workflows"][1], document["workflows"][2]
    assert sms == {
        "workflowId": "sms-alert",
        "change": "update",
        "name": "SMS Alert",
        "fields": [{"path": "severity", "change": "changed", "before": '"high"', "after": '"low"'}],
    }
    assert welcome["steps"] == [
        {
            "stepId": "welcome-inbox",
            "change": "changed",
            "type": "in_app",
            "positionBefore": 0,
            "positionAfter": 1,
            "moved": True,
            "details": [
                {
                    "path": "controls.properties.subject.default",
                    "change": "changed",
                    "before": '"Welcome!"',
                    "after": '"Hi!"',
                }
            ],
        }
    ]


def test_plan_json_shows_the_old_type_of_a_step_whose_type_changed() -> None:
    discovered = edited(captured(), "sms-alert", lambda w: step_in(w, "alert-sms").update(type="chat"))

    document = json.loads(plan_of(discovered, [as_stored(w) for w in captured()]).to_json())

    (step,) = document["workflows"][1]["steps"]
    assert (step["type"], step["typeBefore"]) == ("chat", "sms")


def test_normalising_does_not_modify_the_definition() -> None:
    workflow = captured()[0]
    snapshot = copy.deepcopy(workflow)

    normalise_workflow(workflow)
    plan_of([workflow], [as_stored(captured()[0])])

    assert workflow == snapshot


# ---- properties over generated definitions of the real shape ---------------------------------------------

SETTINGS = settings(max_examples=100, deadline=None)
IDS = st.text(alphabet="abcdefgh", min_size=1, max_size=4)
TEXT = st.text(alphabet="abc xyzé", max_size=6)
LEAVES = st.one_of(st.none(), st.booleans(), st.integers(-3, 3), TEXT)
STEP_TYPES = st.sampled_from(
    ["email", "sms", "push", "chat", "in_app", "digest", "delay", "custom", "throttle"]
)
CHANNELS = ("email", "sms", "push", "chat", "in_app")
# Mutations draw from values the generators never produce, so a mutation always changes something.
FRESH = "new-"


@st.composite
def object_schemas(draw: st.DrawFn) -> dict[str, Any]:
    names = draw(st.lists(IDS, max_size=3, unique=True))
    properties: dict[str, Any] = {}
    for name in names:
        prop: dict[str, Any] = {"type": draw(st.sampled_from(["string", "number", "boolean", "object"]))}
        if draw(st.booleans()):
            prop["default"] = draw(LEAVES)
        if draw(st.booleans()):
            prop["enum"] = draw(st.lists(TEXT, min_size=1, max_size=3, unique=True))
        properties[name] = prop
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    wants_required = draw(st.booleans())
    if names and wants_required:
        schema["required"] = draw(st.lists(st.sampled_from(names), unique=True))
    schema["additionalProperties"] = draw(st.booleans())
    if draw(st.booleans()):
        schema["$schema"] = "http://json-schema.org/draft-07/schema#"
    return schema


ZOD_INTERNALS = st.builds(
    lambda n: {"_def": {"typeName": "ZodObject", "checks": list(range(n))}, "~standard": {"vendor": "zod"}},
    st.integers(0, 3),
)


@st.composite
def containers(draw: st.DrawFn) -> dict[str, Any]:
    schema = draw(object_schemas())
    unknown = copy.deepcopy(schema) if draw(st.booleans()) else draw(ZOD_INTERNALS)
    return {"schema": schema, "unknownSchema": unknown}


@st.composite
def providers(draw: st.DrawFn) -> dict[str, Any]:
    return {
        "type": draw(st.sampled_from(["sendgrid", "twilio", "slack", "fcm"])),
        "code": draw(TEXT),
        "outputs": draw(containers()),
    }


@st.composite
def steps(draw: st.DrawFn, step_id: str) -> dict[str, Any]:
    controls = draw(containers())
    options: dict[str, Any] = {}
    if draw(st.booleans()):
        options["controlSchema"] = (
            copy.deepcopy(controls["schema"]) if draw(st.booleans()) else draw(ZOD_INTERNALS)
        )
    if draw(st.booleans()):
        options["disableOutputSanitization"] = draw(st.booleans())
    return {
        "stepId": step_id,
        "type": draw(STEP_TYPES),
        "controls": controls,
        "outputs": draw(containers()),
        "results": draw(containers()),
        "code": draw(TEXT),
        "options": options,
        "providers": draw(st.lists(providers(), max_size=1)),
    }


@st.composite
def preferences(draw: st.DrawFn) -> dict[str, Any]:
    result: dict[str, Any] = {}
    if draw(st.booleans()):
        result["all"] = {"enabled": draw(st.booleans()), "readOnly": draw(st.booleans())}
    channels = draw(st.lists(st.sampled_from(CHANNELS), unique=True, max_size=3))
    if channels:
        result["channels"] = {channel: {"enabled": draw(st.booleans())} for channel in channels}
    return result


@st.composite
def workflows(draw: st.DrawFn, workflow_id: str, min_steps: int = 0) -> Workflow:
    step_ids = draw(st.lists(IDS, unique=True, min_size=min_steps, max_size=max(min_steps, 4)))
    workflow: Workflow = {
        "workflowId": workflow_id,
        "severity": draw(st.sampled_from(["none", "low", "medium", "high"])),
        "steps": [draw(steps(step_id)) for step_id in step_ids],
        "code": draw(TEXT),
        "payload": draw(containers()),
        "controls": draw(containers()),
        "env": draw(containers()),
        "tags": draw(st.lists(IDS, unique=True, max_size=3)),
        "preferences": draw(preferences()),
    }
    if draw(st.booleans()):
        workflow["name"] = draw(TEXT.filter(bool))
    if draw(st.booleans()):
        workflow["description"] = draw(TEXT)
    return workflow


@st.composite
def workflow_sets(draw: st.DrawFn) -> list[Workflow]:
    ids = draw(st.lists(IDS, unique=True, max_size=3))
    return [draw(workflows(workflow_id)) for workflow_id in ids]


def perturbed(workflow: Workflow, data: st.DataObject) -> Workflow:
    """The same definition as Novu could hold it: only volatile differences."""
    result = (
        as_stored(workflow)
        if data.draw(st.booleans(), label="strip unknownSchema")
        else copy.deepcopy(workflow)
    )
    if data.draw(st.booleans(), label="other Zod internals"):
        result = replace_zod_internals(result, data.draw(TEXT, label="marker"))
    for key, default in (("tags", []), ("severity", "none"), ("preferences", {}), ("description", "")):
        if result.get(key) == default and data.draw(st.booleans(), label=f"drop default {key}"):
            del result[key]
    if data.draw(st.booleans(), label="reverse sets"):
        result["tags"] = list(reversed(result.get("tags", [])))
        for step in result["steps"]:
            step["controls"]["schema"]["required"] = list(
                reversed(step["controls"]["schema"].get("required", []))
            )
    if data.draw(st.booleans(), label="deprecated fields"):
        result["inputs"] = {"stale": data.draw(TEXT)}
        for step in result["steps"]:
            step["inputs"] = {"stale": True}
    seed = data.draw(st.integers(0, 2**16), label="key order")
    reordered: Workflow = reorder_keys(result, random.Random(seed))  # noqa: S311 (shuffles keys, not secrets)
    return reordered


def _move_step(workflow: Workflow, data: st.DataObject) -> None:
    steps_ = workflow["steps"]
    source = data.draw(st.integers(0, len(steps_) - 1))
    target = data.draw(st.integers(0, len(steps_) - 1).filter(lambda t: t != source))
    steps_.insert(target, steps_.pop(source))


# Edits and mutations change the workflow in place; whatever a lambda returns is ignored.
MUTATIONS: dict[str, Callable[[Workflow, st.DataObject], object]] = {
    "rename": lambda w, d: w.update(name=FRESH + "name"),
    "describe": lambda w, d: w.update(description=FRESH + "description"),
    "tag": lambda w, d: w["tags"].append(FRESH + "tag"),
    "severity": lambda w, d: w.update(severity=FRESH + "severity"),
    "preference": lambda w, d: w["preferences"].update(all={"enabled": FRESH}),
    "payload property": lambda w, d: w["payload"]["schema"]["properties"].update({FRESH: {"type": "string"}}),
    "require": lambda w, d: w["payload"]["schema"].update(required=[FRESH]),
    "controls": lambda w, d: w["controls"]["schema"].update(additionalProperties=FRESH),
    "code": lambda w, d: w.update(code=FRESH + "code"),
    "add step": lambda w, d: w["steps"].insert(
        d.draw(st.integers(0, len(w["steps"]))), d.draw(steps(FRESH + "step"))
    ),
    "remove step": lambda w, d: (
        w["steps"].pop(d.draw(st.integers(0, len(w["steps"]) - 1))) if w["steps"] else None
    ),
    "move step": lambda w, d: _move_step(w, d) if len(w["steps"]) > 1 else None,
    "step type": lambda w, d: [s.update(type=FRESH + "type") for s in w["steps"][:1]],
    "step control": lambda w, d: [s["controls"]["schema"].update(title=FRESH) for s in w["steps"][-1:]],
    "step option": lambda w, d: [s["options"].update(retries=FRESH) for s in w["steps"][:1]],
    "step provider": lambda w, d: [
        s["providers"].append({"type": FRESH, "code": ""}) for s in w["steps"][:1]
    ],
}


def mutated(workflow: Workflow, data: st.DataObject) -> Workflow:
    result = copy.deepcopy(workflow)
    for name in data.draw(
        st.lists(st.sampled_from(sorted(MUTATIONS)), min_size=1, max_size=3), label="mutations"
    ):
        MUTATIONS[name](result, data)
    return result


def canonical_state(workflows_by_id: dict[str, Any]) -> str:
    return json.dumps({k: normalise_workflow(v) for k, v in workflows_by_id.items()}, sort_keys=True)


def apply_plan(stored: list[Workflow], plan: Plan) -> dict[str, Any]:
    """What the environment holds after a sync that does what the plan says."""
    state: dict[str, Any] = {w["workflowId"]: w for w in stored}
    for change in plan.workflows:
        if change.change in (Change.CREATE, Change.UPDATE):
            state[change.workflow_id] = change.definition
        elif change.change is Change.DELETE:
            del state[change.workflow_id]
    return state


@SETTINGS
@given(definitions=workflow_sets(), data=st.data())
def test_any_definition_compared_with_itself_is_unchanged(
    definitions: list[Workflow], data: st.DataObject
) -> None:
    stored = [perturbed(w, data) for w in definitions]
    data.draw(st.randoms(use_true_random=False)).shuffle(stored)

    plan = plan_of(definitions, stored)

    assert [w.change for w in plan.workflows] == [Change.UNCHANGED] * len(definitions)
    assert plan.findings == ()


@SETTINGS
@given(definitions=workflow_sets(), data=st.data())
def test_applying_the_plan_to_the_stored_state_gives_the_discovered_state(
    definitions: list[Workflow], data: st.DataObject
) -> None:
    discovered: list[Workflow] = []
    stored: list[Workflow] = []
    for workflow in definitions:
        fate = data.draw(st.sampled_from(["same", "changed", "new", "deleted"]), label="fate")
        if fate != "deleted":
            discovered.append(workflow)
        if fate == "same":
            stored.append(perturbed(workflow, data))
        elif fate in ("changed", "deleted"):
            stored.append(perturbed(mutated(workflow, data), data))

    plan = plan_of(discovered, stored, allow_deletions=True)

    result = apply_plan(stored, plan)
    assert canonical_state(result) == canonical_state({w["workflowId"]: w for w in discovered})
    for change in plan.of(Change.UPDATE):
        assert change.fields or change.steps, f"update of {change.workflow_id} does not say what changed"


@SETTINGS
@given(data=st.data())
def test_every_real_edit_is_an_update_that_explains_itself(data: st.DataObject) -> None:
    workflow = data.draw(workflows("wf"))
    changed = mutated(workflow, data)
    if changed == workflow:  # a step mutation on a workflow without steps
        return

    (change,) = plan_of([changed], [perturbed(workflow, data)]).workflows

    assert change.change is Change.UPDATE
    assert change.fields or change.steps


@SETTINGS
@given(data=st.data())
def test_moving_one_step_reports_exactly_one_moved_step(data: st.DataObject) -> None:
    workflow = data.draw(workflows("wf", min_steps=2))
    moved = copy.deepcopy(workflow)
    _move_step(moved, data)

    (change,) = plan_of([moved], [as_stored(workflow)]).workflows

    assert [(s.change, s.moved) for s in change.steps] == [(StepChange.MOVED, True)]


@SETTINGS
@given(data=st.data())
def test_steps_not_reported_as_moved_keep_their_relative_order(data: st.DataObject) -> None:
    workflow = data.draw(workflows("wf"))
    changed = mutated(workflow, data)

    (change,) = plan_of([changed], [as_stored(workflow)]).workflows

    reported_moved = {s.step_id for s in change.steps if s.moved}
    new_ids = [s["stepId"] for s in changed["steps"]]
    old_ids = [s["stepId"] for s in workflow["steps"]]
    kept_in_place = [i for i in new_ids if i in old_ids and i not in reported_moved]
    assert kept_in_place == [i for i in old_ids if i in kept_in_place]


@pytest.mark.parametrize(
    ("ids", "headline"),
    [
        (("welcome",), "1 workflow already exists in Production as a Dashboard workflow with the same id"),
        (("a", "b"), "2 workflows already exist in Production as Dashboard workflows with the same id"),
    ],
)
def test_clash_headline_reads_right_for_one_and_many(ids: tuple[str, ...], headline: str) -> None:
    assert GuardFinding(Guard.DASHBOARD_CLASH, ids, "Production").headline.startswith(headline)
