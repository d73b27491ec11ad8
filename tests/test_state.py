"""What an environment holds as the plan reads it: stored definitions read tolerantly, and which of them are
framework workflows (the workflow list's origins decide; without the list, the definitions' shape)."""

from __future__ import annotations

import copy
import json

import pytest

from novu_action.normalise import storage_text
from novu_action.state import EnvironmentState, StoredDefinition, stored_definitions
from tests.test_planner import DASHBOARD_BODY, as_stored, captured, listed


@pytest.mark.parametrize(
    ("origin", "is_framework", "is_v1"),
    [
        (None, True, False),  # Novu did not say: a bridge workflow of an older Novu
        ("external", True, False),
        ("novu-cloud", False, False),  # made in the Dashboard
        ("novu-cloud-v1", False, True),  # an old v1 workflow
        ("some-future-origin", False, False),
    ],
)
def test_a_listed_workflows_origin_says_whether_a_sync_owns_it(
    origin: str | None, is_framework: bool, is_v1: bool
) -> None:
    workflow = listed("w", origin)

    assert (workflow.is_framework, workflow.is_v1) == (is_framework, is_v1)


# ---- StoredDefinition, stored_definitions ------------------------------------------------------------------


def test_a_stored_definition_keeps_the_text_novu_stores_and_gives_back_its_tree() -> None:
    workflow = captured()[0]

    stored = StoredDefinition.of(workflow)

    assert stored.workflow_id == "welcome"
    assert stored.text == storage_text(workflow)
    assert stored.tree() == as_stored(workflow)


def test_stored_definitions_skip_what_cannot_be_a_definition() -> None:
    entries = [
        None,  # a Dashboard workflow never edited
        "text",
        ["list"],
        {"name": "no id"},
        {"workflowId": None},
        {"workflowId": 7},
        {"workflowId": ""},
        *captured(),
        copy.deepcopy(DASHBOARD_BODY),  # kept here; the workflow list tells it apart later
    ]

    kept = stored_definitions(entries)

    assert [d.workflow_id for d in kept] == ["welcome", "digest-comments", "sms-alert", "edited-in-dashboard"]


def test_stored_definitions_of_nothing_are_empty() -> None:
    assert stored_definitions([]) == ()


# ---- EnvironmentState.framework_definitions ----------------------------------------------------------------


def _ids(state: EnvironmentState) -> list[str] | None:
    found = state.framework_definitions
    return None if found is None else sorted(found)


def test_without_stored_definitions_there_are_no_framework_definitions_to_compare() -> None:
    assert (
        EnvironmentState(stored=None, listed=(listed("welcome", "external"),)).framework_definitions is None
    )


def test_the_workflow_list_decides_which_stored_entries_are_framework_definitions() -> None:
    stored = stored_definitions(
        [*captured(), copy.deepcopy(DASHBOARD_BODY), {"workflowId": "legacy", "steps": []}]
    )
    listing = (
        listed("welcome", "external"),
        listed("digest-comments", None),
        listed("sms-alert", "novu-cloud"),  # framework-shaped, but the list says Dashboard
        listed("edited-in-dashboard", "novu-cloud"),
        listed("legacy", "novu-cloud-v1"),
    )

    assert _ids(EnvironmentState(stored=stored, listed=listing)) == ["digest-comments", "welcome"]


def test_a_stored_entry_the_list_does_not_show_is_judged_by_its_shape() -> None:
    stored = stored_definitions([*captured(), copy.deepcopy(DASHBOARD_BODY)])

    assert _ids(EnvironmentState(stored=stored, listed=())) == ["digest-comments", "sms-alert", "welcome"]


def test_without_the_workflow_list_entries_whose_steps_all_have_a_step_id_are_framework_definitions() -> None:
    half_dashboard = {
        "workflowId": "half",
        "steps": [{"stepId": "a", "type": "email"}, {"name": "SMS", "type": "sms"}],
    }
    stored = stored_definitions(
        [*captured(), copy.deepcopy(DASHBOARD_BODY), half_dashboard, {"workflowId": "stepless", "steps": []}]
    )

    assert _ids(EnvironmentState(stored=stored, listed=None)) == [
        "digest-comments",
        "sms-alert",
        "stepless",
        "welcome",
    ]


def test_the_first_stored_entry_of_a_repeated_id_is_the_one_compared() -> None:
    first = captured()[0]
    second = dict(copy.deepcopy(first), name="Second")
    state = EnvironmentState(stored=stored_definitions([first, second]), listed=(listed("welcome"),))

    found = state.framework_definitions

    assert found is not None
    assert json.loads(found["welcome"].text) == as_stored(first)
