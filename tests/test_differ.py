"""The differ: what an update reports, field by field and step by step.

Table cases edit the *discovered* copy of a real capture, i.e. they play "the developer changed the code",
and assert exactly what the plan reports for it.
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from novu_action.differ import step_diffs, value_text, workflow_field_diffs
from novu_action.normalise import normalise_workflow
from novu_action.plan import Change, DiffKind, FieldDiff, StepChange, StepDiff, WorkflowChange
from tests.test_planner import (
    NEW_SMS_STEP,
    Workflow,
    as_stored,
    captured,
    change_of,
    delete_at,
    edited,
    plan_of,
    reverse_steps_and_change_inbox,
    set_at,
    step_in,
    stored_captures,
    workflow_in,
)


def changed(path: str, before: str | None = None, after: str | None = None) -> FieldDiff:
    return FieldDiff(path=path, kind=DiffKind.CHANGED, before=before, after=after)


def added(path: str, after: str | None = None) -> FieldDiff:
    return FieldDiff(path=path, kind=DiffKind.ADDED, after=after)


def removed(path: str, before: str | None = None) -> FieldDiff:
    return FieldDiff(path=path, kind=DiffKind.REMOVED, before=before)


def update_of(
    workflow_id: str,
    edit: Callable[[Workflow], object],
    *,
    edit_stored: Callable[[Workflow], object] | None = None,
) -> WorkflowChange:
    """The plan's entry for ``workflow_id`` after ``edit`` of the code (and ``edit_stored`` of what Novu
    holds); the other workflows must stay unchanged."""
    stored = stored_captures()
    if edit_stored is not None:
        edit_stored(workflow_in(stored, workflow_id))
    plan = plan_of(edited(captured(), workflow_id, edit), stored)
    others = [w.change for w in plan.workflows if w.workflow_id != workflow_id]
    assert others == [Change.UNCHANGED] * len(others)
    return change_of(plan, workflow_id)


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


def _both_control_schemas(step_id: str, edit: Callable[[dict[str, Any]], None]) -> Callable[[Workflow], None]:
    """A control schema edit as the bridge serves it: in `controls.schema` and again in `options`."""

    def apply(workflow: Workflow) -> None:
        step = step_in(workflow, step_id)
        edit(step["controls"]["schema"])
        edit(step["options"]["controlSchema"])

    return apply


def _append_enum(workflow: Workflow) -> None:
    workflow["payload"]["schema"]["properties"]["plan"]["enum"].append("team")


def _append_code_comment(workflow: Workflow) -> None:
    workflow["code"] += "\n// v2"


def _insert_step(workflow: Workflow) -> None:
    workflow["steps"].insert(1, copy.deepcopy(NEW_SMS_STEP))


def _remove_first_step(workflow: Workflow) -> None:
    del workflow["steps"][0]


def _reverse_steps(workflow: Workflow) -> None:
    workflow["steps"].reverse()


def _change_step_type(workflow: Workflow) -> None:
    step_in(workflow, "alert-sms")["type"] = "chat"


def _change_step_outputs_and_results(workflow: Workflow) -> None:
    step = step_in(workflow, "digest-email")
    del step["outputs"]["schema"]["properties"]["preheader"]
    step["results"]["schema"]["required"] = ["id"]


def _add_step_option(workflow: Workflow) -> None:
    step_in(workflow, "digest-email")["options"]["disableOutputSanitization"] = True


def _add_provider(workflow: Workflow) -> None:
    step_in(workflow, "alert-sms")["providers"] = [copy.deepcopy(TWILIO)]


def _change_provider(workflow: Workflow) -> None:
    provider = step_in(workflow, "alert-sms")["providers"][0]
    provider["code"] = "async () => ({})"
    provider["outputs"]["schema"]["properties"]["to"] = {"type": "string"}


def _add_changed_provider(workflow: Workflow) -> None:
    _add_provider(workflow)
    _change_provider(workflow)


def _change_step_code(workflow: Workflow) -> None:
    step_in(workflow, "alert-sms")["code"] = "async () => ({ body: 'changed' })"


def _no_edit(workflow: Workflow) -> None:
    return None


@dataclass(frozen=True)
class UpdateCase:
    workflow_id: str
    edit: Callable[[Workflow], object]
    fields: tuple[FieldDiff, ...] = ()
    steps: tuple[StepDiff, ...] = ()
    edit_stored: Callable[[Workflow], object] | None = None


ALERT = "Sends an urgent SMS alert to the subscriber."


def _in_step(step_id: str, step_type: str, position: int, *details: FieldDiff) -> tuple[StepDiff, ...]:
    """A step changed in place (same type, same position)."""
    return (
        StepDiff(
            step_id=step_id,
            change=StepChange.CHANGED,
            type_before=step_type,
            type_after=step_type,
            position_before=position,
            position_after=position,
            details=details,
        ),
    )


UPDATE_CASES: dict[str, UpdateCase] = {
    "name changed": UpdateCase(
        workflow_id="sms-alert",
        edit=set_at("name", "Urgent SMS"),
        fields=(changed("name", '"SMS Alert"', '"Urgent SMS"'),),
    ),
    "name added": UpdateCase(
        workflow_id="welcome", edit=set_at("name", "Welcome"), fields=(added("name", '"Welcome"'),)
    ),
    "name removed": UpdateCase(
        workflow_id="sms-alert", edit=delete_at("name"), fields=(removed("name", '"SMS Alert"'),)
    ),
    "description changed": UpdateCase(
        workflow_id="sms-alert",
        edit=set_at("description", "Pages ops."),
        fields=(changed("description", f'"{ALERT}"', '"Pages ops."'),),
    ),
    "description removed becomes empty, as Novu stores it": UpdateCase(
        workflow_id="sms-alert",
        edit=delete_at("description"),
        fields=(changed("description", f'"{ALERT}"', '""'),),
    ),
    "tags: one added, one removed": UpdateCase(
        workflow_id="sms-alert",
        edit=set_at("tags", ["alerts", "pager"]),
        fields=(added("tags", '"pager"'), removed("tags", '"ops"')),
    ),
    "severity changed": UpdateCase(
        workflow_id="sms-alert",
        edit=set_at("severity", "low"),
        fields=(changed("severity", '"high"', '"low"'),),
    ),
    "severity removed falls back to none": UpdateCase(
        workflow_id="sms-alert",
        edit=delete_at("severity"),
        fields=(changed("severity", '"high"', '"none"'),),
    ),
    "preference toggled": UpdateCase(
        workflow_id="sms-alert",
        edit=set_at("preferences.channels.email.enabled", True),
        fields=(changed("preferences.channels.email.enabled", "false", "true"),),
    ),
    "preferences set where there were none": UpdateCase(
        workflow_id="welcome",
        edit=set_at("preferences", {"all": {"enabled": False, "readOnly": True}}),
        fields=(added("preferences.all", '{"enabled":false,"readOnly":true}'),),
    ),
    "payload property added": UpdateCase(
        workflow_id="welcome",
        edit=set_at("payload.schema.properties.locale", {"type": "string"}),
        fields=(added("payload.properties.locale", '{"type":"string"}'),),
    ),
    "payload property removed": UpdateCase(
        workflow_id="digest-comments",
        edit=delete_at("payload.schema.properties.postId"),
        fields=(removed("payload.properties.postId", '{"type":"string"}'),),
    ),
    "payload property type changed": UpdateCase(
        workflow_id="digest-comments",
        edit=set_at("payload.schema.properties.postId.type", "number"),
        fields=(changed("payload.properties.postId.type", '"string"', '"number"'),),
    ),
    "payload enum member added": UpdateCase(
        workflow_id="welcome", edit=_append_enum, fields=(added("payload.properties.plan.enum", '"team"'),)
    ),
    "payload enum reordered only": UpdateCase(
        workflow_id="welcome",
        edit=set_at("payload.schema.properties.plan.enum", ["pro", "free", "enterprise"]),
        fields=(
            changed(
                "payload.properties.plan.enum", '["free","pro","enterprise"]', '["pro","free","enterprise"]'
            ),
        ),
    ),
    "payload default changed": UpdateCase(
        workflow_id="welcome",
        edit=set_at("payload.schema.properties.plan.default", "pro"),
        fields=(changed("payload.properties.plan.default", '"free"', '"pro"'),),
    ),
    "payload required member added": UpdateCase(
        workflow_id="welcome",
        edit=set_at("payload.schema.required", ["userName", "plan"]),
        fields=(added("payload.required", '"plan"'),),
    ),
    "payload required member removed": UpdateCase(
        workflow_id="digest-comments",
        edit=set_at("payload.schema.required", []),
        fields=(removed("payload.required", '"comment"'),),
    ),
    "payload property whose name needs quoting": UpdateCase(
        workflow_id="welcome",
        edit=set_at("payload.schema.properties.first name", {"type": "string"}),
        fields=(added('payload.properties["first name"]', '{"type":"string"}'),),
    ),
    "workflow controls schema changed": UpdateCase(
        workflow_id="welcome",
        edit=set_at("controls.schema.properties.locale", {"type": "string", "default": "en"}),
        fields=(added("controls.properties.locale", '{"default":"en","type":"string"}'),),
    ),
    "env schema changed": UpdateCase(
        workflow_id="digest-comments",
        edit=set_at("env.schema.required", ["API_URL"]),
        fields=(added("env.required", '"API_URL"'),),
    ),
    "workflow code changed": UpdateCase(
        workflow_id="welcome", edit=_append_code_comment, fields=(changed("code"),)
    ),
    "unknown new framework field": UpdateCase(
        workflow_id="welcome",
        edit=set_at("retention", {"days": 30}),
        fields=(added("retention", '{"days":30}'),),
    ),
    "step added": UpdateCase(
        workflow_id="digest-comments",
        edit=_insert_step,
        steps=(StepDiff(step_id="digest-sms", change=StepChange.ADDED, type_after="sms", position_after=1),),
    ),
    "step removed": UpdateCase(
        workflow_id="welcome",
        edit=_remove_first_step,
        steps=(
            StepDiff(
                step_id="welcome-inbox", change=StepChange.REMOVED, type_before="in_app", position_before=0
            ),
        ),
    ),
    "steps swapped: one step moved": UpdateCase(
        workflow_id="welcome",
        edit=_reverse_steps,
        steps=(
            StepDiff(
                step_id="welcome-inbox",
                change=StepChange.MOVED,
                type_before="in_app",
                type_after="in_app",
                position_before=0,
                position_after=1,
                moved=True,
            ),
        ),
    ),
    "step moved and changed": UpdateCase(
        workflow_id="welcome",
        edit=reverse_steps_and_change_inbox,
        steps=(
            StepDiff(
                step_id="welcome-inbox",
                change=StepChange.CHANGED,
                type_before="in_app",
                type_after="in_app",
                position_before=0,
                position_after=1,
                moved=True,
                details=(changed("controls.properties.subject.default", '"Welcome!"', '"Hi!"'),),
            ),
        ),
    ),
    "step type changed": UpdateCase(
        workflow_id="sms-alert",
        edit=_change_step_type,
        steps=(
            StepDiff(
                step_id="alert-sms",
                change=StepChange.CHANGED,
                type_before="sms",
                type_after="chat",
                position_before=0,
                position_after=0,
                details=(changed("type", '"sms"', '"chat"'),),
            ),
        ),
    ),
    "step control default changed (schema and its options copy)": UpdateCase(
        workflow_id="digest-comments",
        edit=_both_control_schemas("comment-digest", lambda s: s["properties"]["amount"].update(default=60)),
        steps=_in_step(
            "comment-digest", "digest", 0, changed("controls.properties.amount.default", "30", "60")
        ),
    ),
    "step control made optional": UpdateCase(
        workflow_id="digest-comments",
        edit=_both_control_schemas("comment-digest", lambda s: s.update(required=["amount"])),
        steps=_in_step("comment-digest", "digest", 0, removed("controls.required", '"unit"')),
    ),
    "step outputs and results schemas changed": UpdateCase(
        workflow_id="digest-comments",
        edit=_change_step_outputs_and_results,
        steps=_in_step(
            "digest-email",
            "email",
            1,
            removed("outputs.properties.preheader", '{"type":"string"}'),
            added("results.required", '"id"'),
        ),
    ),
    "step option added": UpdateCase(
        workflow_id="digest-comments",
        edit=_add_step_option,
        steps=_in_step("digest-email", "email", 1, added("options.disableOutputSanitization", "true")),
    ),
    "step provider added": UpdateCase(
        workflow_id="sms-alert",
        edit=_add_provider,
        steps=_in_step("alert-sms", "sms", 0, added("providers.twilio")),
    ),
    "step provider removed": UpdateCase(
        workflow_id="sms-alert",
        edit=_no_edit,
        edit_stored=_add_provider,
        steps=_in_step("alert-sms", "sms", 0, removed("providers.twilio")),
    ),
    "step provider changed": UpdateCase(
        workflow_id="sms-alert",
        edit=_add_changed_provider,
        edit_stored=_add_provider,
        steps=_in_step(
            "alert-sms",
            "sms",
            0,
            changed("providers.twilio.code"),
            added("providers.twilio.outputs.properties.to", '{"type":"string"}'),
        ),
    ),
    "step code changed": UpdateCase(
        workflow_id="sms-alert",
        edit=_change_step_code,
        steps=_in_step("alert-sms", "sms", 0, changed("code")),
    ),
}


@pytest.mark.parametrize("case_name", sorted(UPDATE_CASES))
def test_an_edit_in_code_is_one_update_that_names_exactly_what_changed(case_name: str) -> None:
    case = UPDATE_CASES[case_name]

    updated = update_of(case.workflow_id, case.edit, edit_stored=case.edit_stored)

    assert updated.change is Change.UPDATE
    assert (updated.fields, updated.steps) == (case.fields, case.steps)


def test_several_field_changes_are_sorted_by_path_then_kind() -> None:
    def edit(workflow: Workflow) -> None:
        workflow.update(severity="low", tags=["pager", "alerts"], name="Urgent")
        workflow["payload"]["schema"]["properties"]["zone"] = {"type": "string"}

    fields = update_of("sms-alert", edit).fields

    assert [(f.path, f.kind) for f in fields] == [
        ("name", DiffKind.CHANGED),
        ("payload.properties.zone", DiffKind.ADDED),
        ("severity", DiffKind.CHANGED),
        ("tags", DiffKind.ADDED),
        ("tags", DiffKind.REMOVED),
    ]


def test_moving_one_step_among_many_reports_only_that_step() -> None:
    def make_steps(workflow: Workflow) -> None:
        template = workflow["steps"][0]
        workflow["steps"] = [dict(copy.deepcopy(template), stepId=f"s{i}") for i in range(6)]

    def move_fifth_first(workflow: Workflow) -> None:
        workflow["steps"].insert(0, workflow["steps"].pop(4))

    before = edited(captured(), "sms-alert", make_steps)
    after = edited(before, "sms-alert", move_fifth_first)

    plan = plan_of(after, [as_stored(w) for w in before])

    assert change_of(plan, "sms-alert").steps == (
        StepDiff(
            step_id="s4",
            change=StepChange.MOVED,
            type_before="sms",
            type_after="sms",
            position_before=4,
            position_after=0,
            moved=True,
        ),
    )


def test_steps_are_listed_in_discovered_order_then_removed_ones_by_old_position() -> None:
    def prepend_old_step(workflow: Workflow) -> None:
        workflow["steps"].insert(0, dict(copy.deepcopy(NEW_SMS_STEP), stepId="old"))

    def keep_new_and_last(workflow: Workflow) -> None:
        workflow["steps"] = [copy.deepcopy(NEW_SMS_STEP), workflow["steps"][2]]

    before = edited(captured(), "welcome", prepend_old_step)
    after = edited(before, "welcome", keep_new_and_last)

    steps = change_of(plan_of(after, [as_stored(w) for w in before]), "welcome").steps

    assert [(s.step_id, s.change, s.position_before, s.position_after) for s in steps] == [
        ("digest-sms", StepChange.ADDED, None, 0),
        ("old", StepChange.REMOVED, 0, None),
        ("welcome-inbox", StepChange.REMOVED, 1, None),
    ]


# ---- values ---------------------------------------------------------------------------------------------


def test_long_values_are_abbreviated_keeping_both_ends() -> None:
    long_default = "start-" + "x" * 400 + "-end"

    (diff,) = update_of("sms-alert", set_at("payload.schema.properties.message.default", long_default)).fields

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
    (diff,) = update_of("sms-alert", set_at("preferences.all.enabled", 1)).fields

    assert diff == changed("preferences.all.enabled", "true", "1")


def test_one_and_one_point_zero_are_different_values() -> None:
    (diff,) = update_of(
        "digest-comments",
        set_at("payload.schema.properties.postId.maxLength", 1.0),
        edit_stored=set_at("payload.schema.properties.postId.maxLength", 1),
    ).fields

    assert diff == changed("payload.properties.postId.maxLength", "1", "1.0")


def test_non_ascii_text_is_shown_as_written() -> None:
    (diff,) = update_of("sms-alert", set_at("name", "Alerte urgente — SMS ✉ 警報")).fields

    assert diff == changed("name", '"SMS Alert"', '"Alerte urgente — SMS ✉ 警報"')


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("é" * 198, '"' + "é" * 198 + '"'),  # 400 bytes, but 200 characters
        ("é" * 199, '"' + "é" * 139 + "…" + "é" * 58 + '"'),
        ("é" * 300, '"' + "é" * 139 + "…" + "é" * 58 + '"'),
        (["ü" * 300], '["' + "ü" * 138 + "…" + "ü" * 57 + '"]'),
    ],
    ids=["200 characters: whole", "201 characters: abbreviated", "300 characters", "inside a list"],
)
def test_value_text_counts_characters_not_bytes_and_keeps_the_first_140_and_the_last_59(
    value: Any, text: str
) -> None:
    assert value_text(value) == text
    assert len(text) == 200


# ---- inside arrays, changes of kind -----------------------------------------------------------------------

ANY_OF = {"anyOf": [{"type": "string"}, {"type": "null"}]}


def _with_contact(schema: Any) -> Callable[[Workflow], None]:
    return set_at("payload.schema.properties.contact", schema)


@pytest.mark.parametrize(
    ("code_schema", "expected"),
    [
        (
            {"anyOf": [{"type": "string", "format": "email"}, {"type": "null"}]},
            (added("payload.properties.contact.anyOf[0].format", '"email"'),),
        ),
        (
            {"anyOf": [{"type": "string"}, {"type": "number"}]},
            (changed("payload.properties.contact.anyOf[1].type", '"null"', '"number"'),),
        ),
        (
            {"anyOf": [{"type": "string"}, {"type": "null"}, {"type": "number"}]},
            (added("payload.properties.contact.anyOf[2]", '{"type":"number"}'),),
        ),
        (
            {"anyOf": [{"type": "string"}]},
            (removed("payload.properties.contact.anyOf[1]", '{"type":"null"}'),),
        ),
    ],
    ids=["member gains a key", "member changes", "member appended", "member dropped"],
)
def test_differences_inside_arrays_are_reported_at_their_index(
    code_schema: dict[str, Any], expected: tuple[FieldDiff, ...]
) -> None:
    updated = update_of(
        "welcome", _with_contact(code_schema), edit_stored=_with_contact(copy.deepcopy(ANY_OF))
    )

    assert updated.fields == expected


def test_an_object_that_becomes_a_scalar_is_one_change_with_both_values() -> None:
    updated = update_of("welcome", set_at("payload.schema.properties.userName", True))

    assert updated.fields == (changed("payload.properties.userName", '{"type":"string"}', "true"),)


def test_a_scalar_that_becomes_an_object_is_one_change_with_both_values() -> None:
    updated = update_of("welcome", set_at("payload.schema.additionalProperties", {"type": "string"}))

    assert updated.fields == (changed("payload.additionalProperties", "false", '{"type":"string"}'),)


def test_an_object_that_becomes_a_list_is_one_change_with_both_values() -> None:
    updated = update_of("sms-alert", set_at("preferences.channels", []))

    (diff,) = updated.fields
    assert (diff.path, diff.kind, diff.after) == ("preferences.channels", DiffKind.CHANGED, "[]")
    assert diff.before is not None
    assert diff.before.startswith('{"email":{"enabled":false}')


# ---- changes after other changes ---------------------------------------------------------------------------


def test_a_step_changed_after_an_added_step_is_reported_too() -> None:
    def add_first_and_change_last(workflow: Workflow) -> None:
        workflow["steps"].insert(0, copy.deepcopy(NEW_SMS_STEP))
        step_in(workflow, "digest-email")["controls"]["schema"]["properties"]["intro"]["default"] = (
            "<p>New</p>"
        )

    updated = update_of("digest-comments", add_first_and_change_last)

    assert updated.steps == (
        StepDiff(step_id="digest-sms", change=StepChange.ADDED, type_after="sms", position_after=0),
        StepDiff(
            step_id="digest-email",
            change=StepChange.CHANGED,
            type_before="email",
            type_after="email",
            position_before=1,
            position_after=2,
            details=(changed("controls.properties.intro.default", '"<p>New comments:</p>"', '"<p>New</p>"'),),
        ),
    )


def test_every_step_added_is_reported_not_only_the_first() -> None:
    def add_two(workflow: Workflow) -> None:
        workflow["steps"][1:1] = [dict(copy.deepcopy(NEW_SMS_STEP), stepId=i) for i in ("first", "second")]

    updated = update_of("welcome", add_two)

    assert [(s.step_id, s.change, s.position_after) for s in updated.steps] == [
        ("first", StepChange.ADDED, 1),
        ("second", StepChange.ADDED, 2),
    ]


def _options(options: dict[str, Any]) -> Callable[[Workflow], None]:
    def edit(workflow: Workflow) -> None:
        step_in(workflow, "digest-email")["options"].update(copy.deepcopy(options))

    return edit


def test_option_changes_after_an_unchanged_option_are_reported() -> None:
    updated = update_of(
        "digest-comments",
        _options({"aardvark": 1, "skip": {"a": True}, "zebra": 2}),
        edit_stored=_options({"aardvark": 1, "beta": "gone", "zebra": 1}),
    )

    assert updated.steps == _in_step(
        "digest-email",
        "email",
        1,
        removed("options.beta", '"gone"'),
        added("options.skip", '{"a":true}'),
        changed("options.zebra", "1", "2"),
    )


def _providers(*providers: dict[str, Any]) -> Callable[[Workflow], None]:
    def edit(workflow: Workflow) -> None:
        step_in(workflow, "alert-sms")["providers"] = copy.deepcopy(list(providers))

    return edit


def test_a_provider_changed_after_an_unchanged_provider_is_reported() -> None:
    sendgrid = {"type": "sendgrid", "code": "async () => ({})"}
    twilio_changed = dict(copy.deepcopy(TWILIO), code="async () => ({ changed: true })")

    updated = update_of(
        "sms-alert", _providers(sendgrid, twilio_changed), edit_stored=_providers(sendgrid, TWILIO)
    )

    assert updated.steps == _in_step("alert-sms", "sms", 0, changed("providers.twilio.code"))


# ---- code: whether it changed, never its text -------------------------------------------------------------


def test_a_steps_code_change_is_reported_without_before_or_after() -> None:
    (step,) = update_of("sms-alert", _change_step_code).steps

    (detail,) = step.details
    assert (detail.path, detail.kind, detail.before, detail.after) == ("code", DiffKind.CHANGED, None, None)


def _drop_step_code(workflow: Workflow) -> None:
    del step_in(workflow, "alert-sms")["code"]


@pytest.mark.parametrize(
    ("edit", "edit_stored", "expected"),
    [
        (_no_edit, _drop_step_code, added("code")),
        (_drop_step_code, _no_edit, removed("code")),
    ],
    ids=["added", "removed"],
)
def test_a_steps_code_added_or_removed_is_reported_without_its_text(
    edit: Callable[[Workflow], None], edit_stored: Callable[[Workflow], None], expected: FieldDiff
) -> None:
    updated = update_of("sms-alert", edit, edit_stored=edit_stored)

    assert updated.steps == _in_step("alert-sms", "sms", 0, expected)


def test_a_workflows_code_removed_is_reported_without_its_text() -> None:
    assert update_of("welcome", delete_at("code")).fields == (removed("code"),)


def test_a_providers_code_added_is_reported_without_its_text() -> None:
    without_code = {key: value for key, value in TWILIO.items() if key != "code"}

    updated = update_of("sms-alert", _providers(TWILIO), edit_stored=_providers(without_code))

    assert updated.steps == _in_step("alert-sms", "sms", 0, added("providers.twilio.code"))


# ---- required: a set of names, blank when empty ------------------------------------------------------------


def test_requiring_names_where_none_were_required_lists_each_name() -> None:
    updated = update_of("welcome", set_at("controls.schema.required", ["tone", "locale"]))

    assert updated.fields == (added("controls.required", '"locale"'), added("controls.required", '"tone"'))


def test_requiring_names_where_required_was_absent_lists_each_name() -> None:
    updated = update_of("sms-alert", set_at("payload.schema.required", ["message"]))

    assert updated.fields == (added("payload.required", '"message"'),)


def test_an_empty_required_list_is_the_same_as_none() -> None:
    plan = plan_of(edited(captured(), "sms-alert", set_at("payload.schema.required", [])), stored_captures())

    assert change_of(plan, "sms-alert").change is Change.UNCHANGED


def test_a_property_named_required_is_a_property_not_a_list_of_names() -> None:
    updated = update_of("welcome", set_at("payload.schema.properties.required", {"type": "boolean"}))

    assert updated.fields == (added("payload.properties.required", '{"type":"boolean"}'),)


def test_a_required_list_of_other_values_is_compared_member_by_member() -> None:
    updated = update_of("welcome", set_at("controls.schema.required", [1]))

    assert updated.fields == (added("controls.required", "1"),)


# ---- the differ on its own -------------------------------------------------------------------------------


def test_steps_that_are_not_a_list_are_compared_as_a_field() -> None:
    before = normalise_workflow({"workflowId": "w", "steps": [{"stepId": "a"}]})
    after = normalise_workflow({"workflowId": "w", "steps": None})

    assert workflow_field_diffs(before, after, skip_steps=False) == (
        changed("steps", '[{"options":{},"providers":{},"stepId":"a"}]', "null"),
    )


# ---- paths and step types as the report shows them ------------------------------------------------------


def test_a_key_with_other_characters_is_quoted_in_the_path_as_written() -> None:
    def add_property(workflow: Workflow) -> None:
        workflow["payload"]["schema"]["properties"]["prénom du client"] = {"type": "string"}

    (diff,) = update_of("sms-alert", add_property).fields

    assert diff.path == 'payload.properties["prénom du client"]'
    assert diff.kind is DiffKind.ADDED


def test_a_step_whose_type_is_not_text_is_reported_without_a_type() -> None:
    def add_odd_step(workflow: Workflow) -> None:
        workflow["steps"].append(dict(copy.deepcopy(NEW_SMS_STEP), stepId="odd", type=7))

    (step,) = update_of("sms-alert", add_odd_step).steps

    assert (step.step_id, step.change, step.type_after) == ("odd", StepChange.ADDED, None)


# ---- the step matcher on its own --------------------------------------------------------------------------


def _steps(*ids: object) -> list[dict[str, object]]:
    return [{"stepId": step_id, "type": "sms"} for step_id in ids]


def _longest_increasing_run(order: tuple[int, ...]) -> int:
    best = [1] * len(order)
    for i, j in itertools.combinations(range(len(order)), 2):
        if order[i] < order[j]:
            best[j] = max(best[j], best[i] + 1)
    return max(best, default=0)


@pytest.mark.parametrize("order", list(itertools.permutations(range(5))), ids=str)
def test_a_reordering_reports_the_fewest_steps_as_moved(order: tuple[int, ...]) -> None:
    diffs = step_diffs(_steps(*"abcde"), _steps(*("abcde"[index] for index in order)))

    assert all(diff.change is StepChange.MOVED for diff in diffs)
    assert len(diffs) == 5 - _longest_increasing_run(order)


def test_a_step_id_that_is_not_text_is_shown_as_json() -> None:
    (diff,) = step_diffs(_steps("a"), _steps("a", 42))

    assert (diff.step_id, diff.change, diff.position_after) == ("42", StepChange.ADDED, 1)


def test_repeated_step_ids_are_matched_in_order() -> None:
    before = _steps("a", "dup", "dup")
    after = [*_steps("a", "dup", "dup"), {"stepId": "dup", "type": "email"}]

    (diff,) = step_diffs(before, after)

    assert (diff.step_id, diff.change, diff.type_after, diff.position_after) == (
        "dup",
        StepChange.ADDED,
        "email",
        3,
    )


def test_a_step_that_is_not_an_object_is_compared_as_a_value() -> None:
    (diff,) = step_diffs(["sms"], ["email"])

    assert (diff.change, diff.details) == (StepChange.CHANGED, (changed("", '"sms"', '"email"'),))


def _step(**fields: object) -> dict[str, object]:
    """A normalised step (providers keyed by their type), as the planner passes it to the differ."""
    return {"stepId": "s", "type": "sms", **fields}


def test_a_nested_option_change_is_reported_at_the_option_with_its_whole_values() -> None:
    (diff,) = step_diffs(
        [_step(options={"skip": {"a": True, "b": 1}})], [_step(options={"skip": {"a": False, "b": 1}})]
    )

    assert diff.details == (changed("options.skip", '{"a":true,"b":1}', '{"a":false,"b":1}'),)


def test_an_unchanged_provider_is_not_reported_whatever_its_shape() -> None:
    before = _step(providers={"slack": "on", "twilio": {"code": "a"}})
    after = _step(providers={"slack": "on", "twilio": {"code": "b"}})

    (diff,) = step_diffs([before], [after])

    assert diff.details == (changed("providers.twilio.code"),)


def test_a_provider_that_stops_being_an_object_is_one_change_at_its_path() -> None:
    (diff,) = step_diffs([_step(providers={"slack": {"code": "a"}})], [_step(providers={"slack": "off"})])

    assert diff.details == (changed("providers.slack"),)


def test_a_key_removed_from_a_provider_is_reported_removed() -> None:
    before = _step(providers={"slack": {"code": "a", "region": "eu"}})

    (diff,) = step_diffs([before], [_step(providers={"slack": {"code": "a"}})])

    assert diff.details == (removed("providers.slack.region", '"eu"'),)


def test_a_step_is_matched_by_the_json_text_of_its_id_which_is_never_a_detail() -> None:
    assert step_diffs([_step(stepId=5)], [_step(stepId="5")]) == ()


def test_set_members_removed_or_added_are_listed_in_order_of_their_values() -> None:
    names = ["hotel", "golf", "foxtrot", "echo", "delta", "charlie", "bravo", "alpha"]

    removed_all = workflow_field_diffs({"tags": names}, {"tags": []}, skip_steps=True)
    added_all = workflow_field_diffs({"tags": []}, {"tags": names}, skip_steps=True)

    assert [d.before for d in removed_all] == [f'"{name}"' for name in sorted(names)]
    assert [d.after for d in added_all] == [f'"{name}"' for name in sorted(names)]


def test_a_step_that_stops_being_an_object_is_one_change_of_its_whole_value() -> None:
    (diff,) = step_diffs([{"type": "sms"}], ["sms"])

    assert (diff.change, diff.details) == (StepChange.CHANGED, (changed("", '{"type":"sms"}', '"sms"'),))
