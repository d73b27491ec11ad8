"""The plan model and its JSON, the ``plan`` output a later workflow step reads."""

from __future__ import annotations

import json

import pytest

from novu_action.plan import (
    Change,
    Detail,
    DiffKind,
    FieldDiff,
    Guard,
    GuardFinding,
    Plan,
    StepChange,
    StepDiff,
    WorkflowChange,
)
from novu_action.wording import finding_text
from tests.test_planner import (
    ENVIRONMENT,
    Workflow,
    captured,
    edited,
    listed,
    plan_of,
    reverse_steps_and_change_inbox,
    set_at,
    step_in,
    stored_captures,
)

ALERT = "Sends an urgent SMS alert to the subscriber."


def _change(workflow_id: str, change: Change) -> WorkflowChange:
    return WorkflowChange(workflow_id=workflow_id, change=change)


MIXED = Plan(
    workflows=(
        _change("a", Change.CREATE),
        _change("b", Change.DELETE),
        _change("c", Change.UNCHANGED),
        _change("d", Change.UPDATE),
        _change("e", Change.UNCHANGED),
    )
)


# ---- the model -------------------------------------------------------------------------------------------


def test_a_plan_counts_and_lists_its_workflows_by_change() -> None:
    assert [w.workflow_id for w in MIXED.of(Change.UNCHANGED)] == ["c", "e"]
    assert {change: MIXED.count(change) for change in Change} == {
        Change.CREATE: 1,
        Change.UPDATE: 1,
        Change.DELETE: 1,
        Change.UNCHANGED: 2,
    }


def test_a_plan_has_changes_unless_every_workflow_is_unchanged() -> None:
    assert MIXED.has_changes
    assert not Plan(workflows=(_change("c", Change.UNCHANGED),)).has_changes
    assert not Plan(workflows=()).has_changes


def test_the_discovered_ids_are_every_workflow_the_sync_keeps() -> None:
    assert MIXED.discovered_ids == ("a", "c", "d", "e")


def test_a_plan_defaults_to_full_detail_without_findings_or_takeovers() -> None:
    plan = Plan(workflows=())

    assert (plan.detail, plan.findings, plan.takeovers) == (Detail.FULL, (), ())


def test_workflow_changes_compare_without_their_definitions() -> None:
    first = WorkflowChange(workflow_id="w", change=Change.CREATE, definition={"workflowId": "w"})
    second = WorkflowChange(workflow_id="w", change=Change.CREATE, definition={"workflowId": "w", "x": 1})

    assert first == second
    assert "definition" not in repr(first)


# ---- JSON ------------------------------------------------------------------------------------------------


def test_plan_json_carries_what_a_script_needs() -> None:
    discovered = edited(captured(), "welcome", reverse_steps_and_change_inbox)
    discovered = edited(discovered, "sms-alert", set_at("severity", "low"))
    discovered = [w for w in discovered if w["workflowId"] != "digest-comments"]
    plan = plan_of(discovered, stored_captures(), listed=(listed("x", "novu-cloud"),))

    text = plan.to_json()
    document = json.loads(text)

    assert " " not in text.replace(ALERT, "").replace("SMS Alert", "")
    assert document["counts"] == {"create": 0, "update": 2, "delete": 1, "unchanged": 0}
    assert document["findings"] == [{"guard": "deletions-not-allowed", "workflowIds": ["digest-comments"]}]
    assert "takeovers" not in document
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
    def to_chat(workflow: Workflow) -> None:
        step_in(workflow, "alert-sms")["type"] = "chat"

    document = json.loads(plan_of(edited(captured(), "sms-alert", to_chat), stored_captures()).to_json())

    (step,) = document["workflows"][1]["steps"]
    assert (step["type"], step["typeBefore"]) == ("chat", "sms")


def test_plan_json_leaves_out_empty_keys() -> None:
    plan = Plan(
        workflows=(
            WorkflowChange(
                workflow_id="w",
                change=Change.UPDATE,
                steps=(
                    StepDiff(step_id="gone", change=StepChange.REMOVED, type_before="sms", position_before=0),
                    StepDiff(step_id="odd", change=StepChange.ADDED),
                ),
                fields=(FieldDiff(path="code", kind=DiffKind.CHANGED),),
            ),
            _change("new", Change.CREATE),
        ),
        detail=Detail.IDS_ONLY,
    )

    assert json.loads(plan.to_json()) == {
        "detail": "workflow",
        "counts": {"create": 1, "update": 1, "delete": 0, "unchanged": 0},
        "workflows": [
            {
                "workflowId": "w",
                "change": "update",
                "fields": [{"path": "code", "change": "changed"}],
                "steps": [
                    {"stepId": "gone", "change": "removed", "type": "sms", "positionBefore": 0},
                    {"stepId": "odd", "change": "added"},
                ],
            },
            {"workflowId": "new", "change": "create"},
        ],
        "findings": [],
    }


def test_plan_json_lists_takeovers_only_when_there_are_some() -> None:
    taking_over = plan_of(
        [dict(captured()[0], workflowId="legacy")], [], listed=(listed("legacy", "novu-cloud-v1"),)
    )
    not_taking_over = plan_of(captured(), [], listed=(listed("legacy", "novu-cloud-v1"),))

    assert json.loads(taking_over.to_json())["takeovers"] == ["legacy"]
    assert "takeovers" not in json.loads(not_taking_over.to_json())
    assert json.loads(Plan(workflows=(), takeovers=("a", "b")).to_json())["takeovers"] == ["a", "b"]


def test_plan_json_keeps_non_ascii_text_as_written() -> None:
    plan = plan_of(edited(captured(), "sms-alert", set_at("name", "Alerte — SMS ✉")), stored_captures())

    text = plan.to_json()

    assert '"name":"Alerte — SMS ✉"' in text
    assert '"after":"\\"Alerte — SMS ✉\\""' in text


def test_the_same_plan_gives_the_same_json() -> None:
    first = plan_of(edited(captured(), "welcome", reverse_steps_and_change_inbox), stored_captures())
    second = plan_of(edited(captured(), "welcome", reverse_steps_and_change_inbox), stored_captures())

    assert first.to_json() == second.to_json()


# ---- findings in words (novu_action.wording) --------------------------------------------------------------


@pytest.mark.parametrize(
    ("ids", "headline"),
    [
        (("welcome",), "1 workflow already exists in Production as a Dashboard workflow with the same id"),
        (("a", "b"), "2 workflows already exist in Production as Dashboard workflows with the same id"),
    ],
)
def test_clash_headline_reads_right_for_one_and_many(ids: tuple[str, ...], headline: str) -> None:
    clash = GuardFinding(guard=Guard.DASHBOARD_CLASH, workflow_ids=ids, environment=ENVIRONMENT)

    assert finding_text(clash, drift=False).headline.startswith(headline)
