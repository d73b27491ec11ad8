"""The comparison rules: which differences between what the code serves and what Novu holds count.

What must never count is asserted through the plan (every workflow unchanged); the rules themselves and
``storage_text``, the fast path's text, are asserted directly.
"""

from __future__ import annotations

import copy
import json
import random
from collections.abc import Callable
from typing import Any

import pytest

from novu_action.normalise import as_set, canonical, normalise_workflow, same, storage_text
from novu_action.plan import Change
from tests.test_planner import (
    CAPTURES,
    Workflow,
    as_stored,
    captured,
    plan_of,
    reorder_keys,
    replace_zod_internals,
    workflow_in,
)

# ---- unchanged: what must never count as a change ------------------------------------------------------


def _stored_as_novu_keeps_it(workflows: list[Workflow]) -> list[Workflow]:
    return [as_stored(w) for w in workflows]


def _shuffled_keys(workflows: list[Workflow]) -> list[Workflow]:
    rng = random.Random(7)  # noqa: S311 (shuffles keys, not secrets)
    return [reorder_keys(as_stored(w), rng) for w in workflows]


def _other_zod_internals(workflows: list[Workflow]) -> list[Workflow]:
    return [replace_zod_internals(w, "other run") for w in workflows]


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
    "stored as Novu keeps it (no unknownSchema)": _stored_as_novu_keeps_it,
    "stored exactly as served": copy.deepcopy,
    "key order shuffled everywhere": _shuffled_keys,
    "Zod internals differ": _other_zod_internals,
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


def test_normalising_does_not_modify_the_definition() -> None:
    workflow = captured()[0]
    snapshot = copy.deepcopy(workflow)

    normalise_workflow(workflow)
    storage_text(workflow)
    plan_of([workflow], [as_stored(captured()[0])])

    assert workflow == snapshot


# ---- the rules -------------------------------------------------------------------------------------------


def test_novus_defaults_and_an_empty_name_equal_absence() -> None:
    bare = normalise_workflow({"workflowId": "w"})
    explicit = normalise_workflow(
        {
            "workflowId": "w",
            "name": "",
            "tags": None,
            "severity": "none",
            "preferences": {},
            "description": "",
            "steps": [],
        }
    )

    assert (
        bare
        == explicit
        == {
            "workflowId": "w",
            "tags": [],
            "severity": "none",
            "preferences": {},
            "description": "",
            "steps": [],
        }
    )


def test_a_step_is_normalised_to_what_a_sync_can_change() -> None:
    step = {
        "stepId": "send",
        "type": "email",
        "inputs": {"stale": True},
        "controls": {"schema": {"type": "object", "required": ["b", "a"]}, "unknownSchema": {"_def": {}}},
        "options": {"controlSchema": {"_def": {}}, "outputSchema": {}, "retries": 3},
        "providers": [{"type": "sendgrid", "code": "x"}, {"code": "untyped"}, "odd"],
    }

    (normalised,) = normalise_workflow({"workflowId": "w", "steps": [step]})["steps"]

    assert normalised == {
        "stepId": "send",
        "type": "email",
        "controls": {"type": "object", "required": ["a", "b"]},
        "options": {"retries": 3},
        "providers": {"sendgrid": {"type": "sendgrid", "code": "x"}, "#1": {"code": "untyped"}, "#2": "odd"},
    }


def test_unknown_schema_is_dropped_outside_user_schemas_and_kept_inside_them() -> None:
    definition = {
        "workflowId": "w",
        "payload": {"schema": {"properties": {"unknownSchema": {"type": "string"}}}, "unknownSchema": {}},
        "retention": {"unknownSchema": {"_def": {}}, "days": 30},
    }

    normalised = normalise_workflow(definition)

    assert normalised["payload"] == {"properties": {"unknownSchema": {"type": "string"}}}
    assert normalised["retention"] == {"days": 30}


def test_unknown_schema_is_dropped_at_any_depth_outside_user_schemas() -> None:
    definition = {"workflowId": "w", "retention": {"policy": {"unknownSchema": {"_def": {}}, "days": 30}}}

    assert normalise_workflow(definition)["retention"] == {"policy": {"days": 30}}


def test_a_schema_held_beside_other_keys_is_still_a_schema() -> None:
    step = {"stepId": "s", "options": {"form": {"schema": {"required": ["b", "a"]}, "title": "Form"}}}

    (normalised,) = normalise_workflow({"workflowId": "w", "steps": [step]})["steps"]

    assert normalised["options"] == {"form": {"schema": {"required": ["a", "b"]}, "title": "Form"}}


def test_required_names_are_a_set_in_nested_schemas_too() -> None:
    schema = {"type": "array", "items": {"type": "object", "required": ["b", "a"]}}

    normalised = normalise_workflow({"workflowId": "w", "payload": {"schema": schema}})

    assert normalised["payload"] == {"type": "array", "items": {"type": "object", "required": ["a", "b"]}}


def test_only_a_steps_providers_are_keyed_by_type_other_lists_stay_lists() -> None:
    step = {"stepId": "s", "channels": ["sms", "email"], "providers": {"twilio": {"code": "x"}}}

    (normalised,) = normalise_workflow({"workflowId": "w", "steps": [step]})["steps"]

    assert normalised["channels"] == ["sms", "email"]
    assert normalised["providers"] == {"twilio": {"code": "x"}}


def test_deprecated_workflow_fields_are_dropped_and_the_fields_after_them_still_count() -> None:
    definition = {"workflowId": "w", "options": {"x": 1}, "name": "Welcome", "data": {}, "severity": "high"}

    normalised = normalise_workflow(definition)

    assert "options" not in normalised
    assert "data" not in normalised
    assert (normalised["name"], normalised["severity"]) == ("Welcome", "high")


def test_a_step_that_is_not_an_object_is_kept_as_it_is() -> None:
    assert normalise_workflow({"workflowId": "w", "steps": ["sms", None]})["steps"] == ["sms", None]


def test_schema_data_keywords_are_kept_as_written() -> None:
    schema = {"default": {"required": ["b", "a"]}, "enum": [["b", "a"]], "required": []}

    normalised = normalise_workflow({"workflowId": "w", "payload": {"schema": schema}})

    assert normalised["payload"] == {"default": {"required": ["b", "a"]}, "enum": [["b", "a"]]}


def test_sets_are_sorted_and_unique_by_their_json_and_true_is_not_one() -> None:
    assert as_set(["b", "a", "b"]) == ["a", "b"]
    assert as_set([1, True, 1.0, 1]) == [1, 1.0, True]
    assert normalise_workflow({"workflowId": "w", "tags": ["ops", "alerts", "ops"]})["tags"] == [
        "alerts",
        "ops",
    ]


def test_canonical_text_is_compact_with_sorted_keys_and_text_as_written() -> None:
    assert canonical({"b": 1, "a": ["é", None, 1.5]}) == '{"a":["é",null,1.5],"b":1}'


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        ({"a": 1, "b": 2}, {"b": 2, "a": 1}, True),
        (True, 1, False),
        (1, 1.0, False),
        (0, False, False),
        (None, "null", False),
        ([1, 2], [2, 1], False),
    ],
)
def test_same_means_the_same_json_not_pythons_equality(before: Any, after: Any, expected: bool) -> None:
    assert same(before, after) is expected


# ---- storage_text: the fast path's text -----------------------------------------------------------------


def test_storage_text_is_what_novu_stores_at_sync() -> None:
    for workflow in captured():
        assert json.loads(storage_text(workflow)) == as_stored(workflow)


def test_storage_text_is_compact_json_in_the_definitions_own_key_order() -> None:
    assert storage_text({"workflowId": "w", "name": "Wé", "steps": [], "tags": ["a"]}) == (
        '{"workflowId":"w","name":"Wé","steps":[],"tags":["a"]}'.encode()
    )
    assert storage_text({"b": 1, "a": 2}) != storage_text({"a": 2, "b": 1})


def test_storage_text_drops_unknown_schema_only_from_payload_and_controls() -> None:
    definition = {
        "workflowId": "w",
        "payload": {"schema": {}, "unknownSchema": {"_def": 1}},
        "controls": {"schema": {}, "unknownSchema": {"_def": 2}},
        "env": {"schema": {}, "unknownSchema": {"_def": 3}},
        "steps": [{"stepId": "s", "controls": {"schema": {}, "unknownSchema": {"_def": 4}}}],
    }

    assert json.loads(storage_text(definition)) == {
        "workflowId": "w",
        "payload": {"schema": {}},
        "controls": {"schema": {}},
        "env": {"schema": {}, "unknownSchema": {"_def": 3}},
        "steps": [{"stepId": "s", "controls": {"schema": {}, "unknownSchema": {"_def": 4}}}],
    }


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (True, 1),
        (1, 1.0),
        (0, False),
        (0.0, -0.0),
        (None, float("nan")),
        (None, "null"),
        (float("inf"), None),
    ],
)
def test_storage_text_tells_apart_values_python_finds_equal(first: Any, second: Any) -> None:
    assert storage_text({"workflowId": "w", "value": first}) != storage_text(
        {"workflowId": "w", "value": second}
    )
