"""The planner over real discover captures: which workflows a sync creates, updates, deletes or leaves, and
whether it may.

Every "stored" definition is built the way Novu keeps it at sync time (``rawData`` = the discover object
with ``unknownSchema`` removed from ``payload`` and ``controls``). The helpers here are shared with the
normalisation, differ and model tests, which drive the differ through the plan as a user sees it.
"""

from __future__ import annotations

import copy
import json
import random
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from novu_action.errors import ActionError
from novu_action.normalise import normalise_workflow, same, storage_text
from novu_action.plan import Change, Detail, Guard, GuardFinding, Plan, StepChange, WorkflowChange
from novu_action.planner import InvalidDiscoveryError, build_plan
from novu_action.state import EnvironmentState, ListedWorkflow, stored_definitions
from novu_action.wording import finding_text

FIXTURES = Path(__file__).parent / "fixtures"
CAPTURES = ("discover.json", "example-bridge-discover.json")
ENVIRONMENT = "Production"

Workflow = dict[str, Any]


# ---- helpers (shared with test_plan, test_normalise and test_differ) -------------------------------------


def captured(name: str = "discover.json") -> list[Workflow]:
    workflows: list[Workflow] = json.loads((FIXTURES / name).read_text())["workflows"]
    return workflows


def as_stored(workflow: Workflow) -> Workflow:
    """What Novu keeps as rawData at sync time."""
    stored = copy.deepcopy(workflow)
    for key in ("payload", "controls"):
        stored[key].pop("unknownSchema", None)
    return stored


def listed(workflow_id: str, origin: str | None = None, name: str | None = None) -> ListedWorkflow:
    return ListedWorkflow(workflow_id=workflow_id, origin=origin, name=name)


def state(stored: Iterable[Any] | None, listed: Iterable[ListedWorkflow] | None = ()) -> EnvironmentState:
    """The environment as the planner reads it: ``stored`` entries as ``bridge/diff`` returns them (``None``:
    that read is unavailable) and the workflow list (``None``: unavailable, an old self-hosted Novu)."""
    return EnvironmentState(
        stored=None if stored is None else stored_definitions(stored),
        listed=None if listed is None else tuple(listed),
    )


def plan_of(
    discovered: list[Workflow],
    stored: list[Any] | None,
    *,
    listed: Iterable[ListedWorkflow] | None = (),
    allow_deletions: bool = False,
    allow_emptying: bool = False,
) -> Plan:
    return build_plan(
        discovered=discovered,
        state=state(stored, listed),
        allow_deletions=allow_deletions,
        allow_emptying=allow_emptying,
        environment=ENVIRONMENT,
    )


def stored_captures() -> list[Workflow]:
    return [as_stored(w) for w in captured()]


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


def finding(guard: Guard, workflow_ids: tuple[str, ...]) -> GuardFinding:
    return GuardFinding(guard=guard, workflow_ids=workflow_ids, environment=ENVIRONMENT)


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


def set_at(path: str, value: Any) -> Callable[[Workflow], None]:
    """An edit that sets a dotted path (list indexes as numbers) in a workflow."""
    *parents, last = path.split(".")

    def edit(workflow: Workflow) -> None:
        target: Any = workflow
        for part in parents:
            target = target[int(part)] if isinstance(target, list) else target[part]
        target[last] = value

    return edit


def delete_at(path: str) -> Callable[[Workflow], None]:
    *parents, last = path.split(".")

    def edit(workflow: Workflow) -> None:
        target: Any = workflow
        for part in parents:
            target = target[part]
        del target[last]

    return edit


NEW_SMS_STEP: Workflow = {
    "stepId": "digest-sms",
    "type": "sms",
    "controls": {"schema": {"type": "object", "properties": {}}, "unknownSchema": {"type": "object"}},
    "outputs": {"schema": {"type": "object"}, "unknownSchema": {"type": "object"}},
    "results": {"schema": {"type": "object"}, "unknownSchema": {"type": "object"}},
    "code": "async () => ({ body: 'x' })",
    "options": {},
    "providers": [],
}


def reverse_steps_and_change_inbox(workflow: Workflow) -> None:
    workflow["steps"].reverse()
    step_in(workflow, "welcome-inbox")["controls"]["schema"]["properties"]["subject"]["default"] = "Hi!"


# A Dashboard workflow as bridge/diff returns it once edited in the Dashboard: the Dashboard's own request
# body, with steps that have names and control values but no stepId.
DASHBOARD_BODY: Workflow = {
    "name": "Edited in the Dashboard",
    "workflowId": "edited-in-dashboard",
    "steps": [
        {
            "name": "Email",
            "type": "email",
            "controlValues": {"subject": "Hello {{subscriber.firstName}}", "body": "<p>Hi</p>"},
        }
    ],
}


def framework_listing(workflows: Iterable[Workflow]) -> list[ListedWorkflow]:
    return [listed(w["workflowId"], "external", w.get("name")) for w in workflows]


# ---- create / delete ----------------------------------------------------------------------------------


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
    listing = (
        listed("welcome", "external"),
        listed("from-other-bridge", "external", "Other"),
        listed("legacy-echo", None, "Legacy"),
        listed("made-in-dashboard", "novu-cloud", "Dashboard"),
    )

    plan = plan_of(discovered, stored_captures(), listed=listing, allow_deletions=True)

    assert {w.workflow_id: (w.change, w.name) for w in plan.of(Change.DELETE)} == {
        "from-other-bridge": (Change.DELETE, "Other"),
        "legacy-echo": (Change.DELETE, "Legacy"),
        "sms-alert": (Change.DELETE, "SMS Alert"),
    }
    assert all(w.definition is None for w in plan.of(Change.DELETE))
    assert "made-in-dashboard" not in {w.workflow_id for w in plan.workflows}
    assert plan.findings == ()


def test_an_old_v1_workflow_is_never_deleted_even_when_stored() -> None:
    stored = [*stored_captures(), {"workflowId": "made-in-dashboard", "steps": []}]

    plan = plan_of(captured(), stored, listed=(listed("made-in-dashboard", "novu-cloud-v1"),))

    assert plan.count(Change.DELETE) == 0
    assert plan.findings == ()


def test_stored_entries_without_a_workflow_id_are_ignored() -> None:
    plan = plan_of(captured(), [*stored_captures(), {"name": "no id"}, {"workflowId": None}])

    assert not plan.has_changes


# ---- Dashboard workflows in the stored state ------------------------------------------------------------


def test_dashboard_workflows_in_the_stored_state_are_neither_deleted_nor_compared() -> None:
    stored = [None, *stored_captures(), copy.deepcopy(DASHBOARD_BODY)]
    listing = [
        *framework_listing(captured()),
        listed("edited-in-dashboard", "novu-cloud", "Edited in the Dashboard"),
        listed("never-edited", "novu-cloud", "Never edited"),
    ]

    plan = plan_of(captured(), stored, listed=listing)

    assert {w.workflow_id: w.change for w in plan.workflows} == {
        "digest-comments": Change.UNCHANGED,
        "sms-alert": Change.UNCHANGED,
        "welcome": Change.UNCHANGED,
    }
    assert plan.detail is Detail.FULL
    assert plan.findings == ()
    assert plan.takeovers == ()


def test_code_that_reuses_a_dashboard_workflows_id_is_a_clash_not_a_comparison_with_its_body() -> None:
    same_id_in_code = {**copy.deepcopy(captured()[0]), "workflowId": "edited-in-dashboard"}
    listing = [*framework_listing(captured()), listed("edited-in-dashboard", "novu-cloud")]

    plan = plan_of(
        [*captured(), same_id_in_code], [*stored_captures(), copy.deepcopy(DASHBOARD_BODY)], listed=listing
    )

    clash = change_of(plan, "edited-in-dashboard")
    assert (clash.change, clash.fields, clash.steps) == (Change.CREATE, (), ())
    assert plan.findings == (finding(Guard.DASHBOARD_CLASH, ("edited-in-dashboard",)),)


# ---- origins -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OriginCase:
    findings_when_discovered: tuple[Guard, ...]
    taken_over: bool
    deleted_when_not_discovered: bool


ORIGIN_CASES: dict[str | None, OriginCase] = {
    "novu-cloud": OriginCase(
        findings_when_discovered=(Guard.DASHBOARD_CLASH,), taken_over=False, deleted_when_not_discovered=False
    ),
    "novu-cloud-v1": OriginCase(
        findings_when_discovered=(), taken_over=True, deleted_when_not_discovered=False
    ),
    "external": OriginCase(findings_when_discovered=(), taken_over=False, deleted_when_not_discovered=True),
    None: OriginCase(findings_when_discovered=(), taken_over=False, deleted_when_not_discovered=True),
    "some-future-origin": OriginCase(
        findings_when_discovered=(Guard.DASHBOARD_CLASH,), taken_over=False, deleted_when_not_discovered=False
    ),
}


@pytest.mark.parametrize("origin", list(ORIGIN_CASES), ids=str)
def test_a_listed_workflows_origin_decides_clash_takeover_and_deletion(origin: str | None) -> None:
    case = ORIGIN_CASES[origin]
    listing = [*framework_listing(captured()), listed("shared", origin, "Shared")]
    in_code = {**copy.deepcopy(captured()[0]), "workflowId": "shared"}

    discovered_plan = plan_of([*captured(), in_code], stored_captures(), listed=listing)
    absent_plan = plan_of(captured(), stored_captures(), listed=listing, allow_deletions=True)

    assert tuple(f.guard for f in discovered_plan.findings) == case.findings_when_discovered
    assert discovered_plan.takeovers == (("shared",) if case.taken_over else ())
    deleted = [(w.workflow_id, w.name) for w in absent_plan.of(Change.DELETE)]
    assert deleted == ([("shared", "Shared")] if case.deleted_when_not_discovered else [])
    assert absent_plan.takeovers == ()


def test_several_v1_workflows_are_taken_over_in_id_order_and_only_when_discovered() -> None:
    discovered = [{**copy.deepcopy(captured()[0]), "workflowId": wid} for wid in ("zeta", "alpha")]
    listing = [
        listed("zeta", "novu-cloud-v1"),
        listed("alpha", "novu-cloud-v1"),
        listed("kept", "novu-cloud-v1"),
    ]

    plan = plan_of(discovered, [], listed=listing)

    assert plan.takeovers == ("alpha", "zeta")
    assert [(w.workflow_id, w.change) for w in plan.workflows] == [
        ("alpha", Change.CREATE),
        ("zeta", Change.CREATE),
    ]
    assert plan.findings == ()


# ---- Detail.IDS_ONLY fallbacks ---------------------------------------------------------------------------


def test_without_stored_definitions_ids_are_compared_with_the_workflow_list() -> None:
    listing = (
        listed("welcome", "external"),
        listed("sms-alert", None, "SMS Alert"),
        listed("retired", "external", "Retired"),
        listed("dashboard-only", "novu-cloud"),
    )

    plan = plan_of(captured(), None, listed=listing, allow_deletions=True)

    assert plan.detail is Detail.IDS_ONLY
    assert [(w.workflow_id, w.change, w.name) for w in plan.workflows] == [
        ("digest-comments", Change.CREATE, None),
        ("retired", Change.DELETE, "Retired"),
        ("sms-alert", Change.UPDATE, "SMS Alert"),
        ("welcome", Change.UPDATE, None),
    ]
    assert all(w.fields == () and w.steps == () for w in plan.workflows)
    assert json.loads(plan.to_json())["detail"] == "workflow"


def test_without_the_workflow_list_ids_are_compared_with_the_stored_definitions() -> None:
    discovered = [w for w in captured("example-bridge-discover.json") if w["workflowId"] != "sms-alert"]
    stored = [None, *stored_captures(), copy.deepcopy(DASHBOARD_BODY)]

    plan = plan_of(discovered, stored, listed=None, allow_deletions=True)

    assert plan.detail is Detail.IDS_ONLY
    assert [(w.workflow_id, w.change, w.name) for w in plan.workflows] == [
        ("digest-comments", Change.UPDATE, None),
        ("invoice-paid", Change.CREATE, "Invoice paid"),
        ("sms-alert", Change.DELETE, "SMS Alert"),
        ("welcome", Change.UPDATE, None),
    ]
    assert all(w.fields == () and w.steps == () for w in plan.workflows)
    assert plan.findings == ()
    assert json.loads(plan.to_json())["detail"] == "workflow"


def test_an_id_comparison_keeps_each_discovered_definition_for_the_report() -> None:
    discovered = captured()

    plan = plan_of(discovered, None, listed=(listed("welcome", "external"),))

    assert {w.workflow_id: w.definition for w in plan.workflows} == {w["workflowId"]: w for w in discovered}


def test_without_the_workflow_list_deletions_of_stored_workflows_are_still_guarded() -> None:
    plan = plan_of(captured()[:1], stored_captures(), listed=None)

    assert plan.findings == (finding(Guard.DELETIONS_NOT_ALLOWED, ("digest-comments", "sms-alert")),)


# ---- display names -------------------------------------------------------------------------------------


@pytest.mark.parametrize("stored_form", ["same text", "same definition, other key order"])
def test_an_unchanged_workflow_keeps_its_name_and_its_discovered_definition(stored_form: str) -> None:
    discovered = captured()
    stored = stored_captures()
    if stored_form != "same text":  # the full comparison, not the fast path
        stored = [reorder_keys(w, random.Random(5)) for w in stored]  # noqa: S311 (key order, not secrets)

    plan = plan_of(discovered, stored)

    assert {w.workflow_id: (w.change, w.name, w.definition) for w in plan.workflows} == {
        w["workflowId"]: (Change.UNCHANGED, w.get("name") or None, w) for w in discovered
    }


def test_an_updated_workflow_keeps_its_discovered_definition() -> None:
    discovered = edited(captured(), "sms-alert", set_at("name", "Urgent SMS"))

    updated = change_of(plan_of(discovered, stored_captures()), "sms-alert")

    assert (updated.change, updated.definition) == (Change.UPDATE, workflow_in(discovered, "sms-alert"))


def test_steps_that_are_not_a_list_make_one_field_change_and_no_step_changes() -> None:
    plan = plan_of(edited(captured(), "sms-alert", set_at("steps", None)), stored_captures())

    updated = change_of(plan, "sms-alert")
    assert (updated.change, [f.path for f in updated.fields], updated.steps) == (Change.UPDATE, ["steps"], ())


def test_a_renamed_workflow_is_shown_with_its_new_name() -> None:
    plan = plan_of(edited(captured(), "sms-alert", set_at("name", "Urgent SMS")), stored_captures())

    assert change_of(plan, "sms-alert").name == "Urgent SMS"


def test_a_workflow_whose_name_was_removed_is_still_shown_with_its_stored_name() -> None:
    for empty in (delete_at("name"), set_at("name", ""), set_at("name", None)):
        plan = plan_of(edited(captured(), "sms-alert", empty), stored_captures())

        updated = change_of(plan, "sms-alert")
        assert (updated.change, updated.name) == (Change.UPDATE, "SMS Alert")


def test_a_workflow_named_only_in_the_stored_definition_is_shown_with_that_name() -> None:
    stored = edited(stored_captures(), "welcome", set_at("name", "Welcome (old)"))

    updated = change_of(plan_of(captured(), stored), "welcome")

    assert (updated.change, updated.name) == (Change.UPDATE, "Welcome (old)")


def test_a_deleted_workflow_is_shown_with_its_listed_name_else_its_stored_name() -> None:
    stored = edited(stored_captures(), "welcome", set_at("name", "Welcome"))
    listing = [listed("welcome", "external"), listed("sms-alert", "external", "SMS Alert (listed)")]

    plan = plan_of(captured()[1:2], stored, listed=listing, allow_deletions=True)

    assert [(w.workflow_id, w.name) for w in plan.of(Change.DELETE)] == [
        ("sms-alert", "SMS Alert (listed)"),
        ("welcome", "Welcome"),
    ]


# ---- guards -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GuardCase:
    discovered: list[Workflow]
    allow_deletions: bool
    findings: tuple[GuardFinding, ...]
    listed: tuple[ListedWorkflow, ...] = ()
    allow_emptying: bool = False
    takeovers: tuple[str, ...] = ()


ALL_IDS = ("digest-comments", "sms-alert", "welcome")
GUARD_CASES: dict[str, GuardCase] = {
    "empty bridge over a populated environment": GuardCase(
        discovered=[], allow_deletions=False, findings=(finding(Guard.EMPTY_BRIDGE, ALL_IDS),)
    ),
    "empty bridge, deletions allowed by default only": GuardCase(
        discovered=[], allow_deletions=True, findings=(finding(Guard.EMPTY_BRIDGE, ALL_IDS),)
    ),
    "empty bridge, emptying allowed explicitly": GuardCase(
        discovered=[], allow_deletions=True, findings=(), allow_emptying=True
    ),
    "deletions not allowed": GuardCase(
        discovered=captured()[:1],
        allow_deletions=False,
        findings=(finding(Guard.DELETIONS_NOT_ALLOWED, ALL_IDS[:2]),),
    ),
    "deletions allowed": GuardCase(discovered=captured()[:1], allow_deletions=True, findings=()),
    # Before the split a v1 workflow ("novu-cloud-v1") clashed too; a sync now takes it over.
    "dashboard clash, reported even with deletions allowed; a v1 workflow is taken over": GuardCase(
        discovered=captured(),
        allow_deletions=True,
        findings=(finding(Guard.DASHBOARD_CLASH, ("welcome",)),),
        listed=(listed("welcome", "novu-cloud"), listed("sms-alert", "novu-cloud-v1")),
        takeovers=("sms-alert",),
    ),
    "deletions first, then the clash": GuardCase(
        discovered=captured()[2:],
        allow_deletions=False,
        findings=(
            finding(Guard.DELETIONS_NOT_ALLOWED, ("digest-comments", "welcome")),
            finding(Guard.DASHBOARD_CLASH, ("sms-alert",)),
        ),
        listed=(listed("sms-alert", "novu-cloud"),),
    ),
    "nothing to delete": GuardCase(discovered=captured(), allow_deletions=False, findings=()),
}


@pytest.mark.parametrize("case_name", sorted(GUARD_CASES))
def test_guards(case_name: str) -> None:
    case = GUARD_CASES[case_name]

    plan = plan_of(
        case.discovered,
        stored_captures(),
        listed=case.listed,
        allow_deletions=case.allow_deletions,
        allow_emptying=case.allow_emptying,
    )

    assert plan.findings == case.findings
    assert plan.takeovers == case.takeovers


def test_empty_bridge_over_an_empty_environment_is_fine() -> None:
    plan = plan_of([], [], listed=(listed("dashboard-only", "novu-cloud"),))

    assert plan.workflows == ()
    assert plan.findings == ()


def test_empty_bridge_counts_workflows_only_listed_in_the_fallback() -> None:
    plan = plan_of([], None, listed=(listed("a", "external"), listed("b", None)))

    assert plan.findings == (finding(Guard.EMPTY_BRIDGE, ("a", "b")),)
    assert "holds 2 workflows" in finding_text(plan.findings[0], drift=False).headline


# ---- input errors, determinism --------------------------------------------------------------------------


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


@pytest.mark.parametrize("workflow", [{"steps": []}, "not an object", None], ids=["no id", "text", "null"])
def test_a_workflow_without_an_id_is_refused_with_advice_to_check_the_bridge(workflow: Any) -> None:
    with pytest.raises(InvalidDiscoveryError) as raised:
        plan_of([workflow], [])

    assert str(raised.value) == (
        "The bridge's discover answer contains a workflow without a `workflowId`. "
        "Check that the bridge runs @novu/framework and serves its workflows unchanged."
    )


def test_a_workflow_id_discovered_twice_is_refused_with_advice_to_make_it_unique() -> None:
    with pytest.raises(InvalidDiscoveryError) as raised:
        plan_of([{"workflowId": "welcome"}, {"workflowId": "welcome"}], [])

    assert str(raised.value) == (
        'The bridge discovers the workflow id "welcome" more than once. '
        "Give each workflow a unique id in the bridge code."
    )


def test_emptying_an_environment_is_not_allowed_unless_asked_for() -> None:
    plan = build_plan(
        discovered=[], state=state(stored_captures()), allow_deletions=True, environment=ENVIRONMENT
    )

    assert [f.guard for f in plan.findings] == [Guard.EMPTY_BRIDGE]


def test_input_order_does_not_change_the_plan_or_its_json() -> None:
    discovered = edited(captured("example-bridge-discover.json"), "welcome", reverse_steps_and_change_inbox)
    discovered = edited(discovered, "sms-alert", lambda w: w.update(tags=["b", "a"], severity="low"))
    stored = [*stored_captures(), {"workflowId": "gone", "steps": []}]
    listing = [listed("old", "external"), listed("digest-comments", "novu-cloud")]
    expected = plan_of(discovered, stored, listed=listing)
    rng = random.Random(3)  # noqa: S311 (shuffles inputs, not secrets)

    for _ in range(5):
        shuffled = [reorder_keys(copy.deepcopy(w), rng) for w in discovered]
        rng.shuffle(shuffled)
        stored_shuffled = stored[:]
        rng.shuffle(stored_shuffled)
        listed_shuffled = listing[:]
        rng.shuffle(listed_shuffled)
        again = plan_of(shuffled, stored_shuffled, listed=listed_shuffled)
        assert again == expected
        assert again.to_json() == expected.to_json()


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


def _zod_internals(checks: int) -> dict[str, Any]:
    return {"_def": {"typeName": "ZodObject", "checks": list(range(checks))}, "~standard": {"vendor": "zod"}}


ZOD_INTERNALS = st.builds(_zod_internals, st.integers(0, 3))


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


# Mutations change the workflow in place.


def _rename(workflow: Workflow, data: st.DataObject) -> None:
    workflow["name"] = FRESH + "name"


def _describe(workflow: Workflow, data: st.DataObject) -> None:
    workflow["description"] = FRESH + "description"


def _tag(workflow: Workflow, data: st.DataObject) -> None:
    workflow["tags"].append(FRESH + "tag")


def _change_severity(workflow: Workflow, data: st.DataObject) -> None:
    workflow["severity"] = FRESH + "severity"


def _change_preference(workflow: Workflow, data: st.DataObject) -> None:
    workflow["preferences"]["all"] = {"enabled": FRESH}


def _add_payload_property(workflow: Workflow, data: st.DataObject) -> None:
    workflow["payload"]["schema"]["properties"][FRESH] = {"type": "string"}


def _require(workflow: Workflow, data: st.DataObject) -> None:
    workflow["payload"]["schema"]["required"] = [FRESH]


def _change_controls(workflow: Workflow, data: st.DataObject) -> None:
    workflow["controls"]["schema"]["additionalProperties"] = FRESH


def _change_code(workflow: Workflow, data: st.DataObject) -> None:
    workflow["code"] = FRESH + "code"


def _add_step(workflow: Workflow, data: st.DataObject) -> None:
    workflow["steps"].insert(
        data.draw(st.integers(0, len(workflow["steps"]))), data.draw(steps(FRESH + "step"))
    )


def _remove_step(workflow: Workflow, data: st.DataObject) -> None:
    if workflow["steps"]:
        workflow["steps"].pop(data.draw(st.integers(0, len(workflow["steps"]) - 1)))


def move_step(workflow: Workflow, data: st.DataObject) -> None:
    steps_ = workflow["steps"]
    if len(steps_) < 2:
        return
    source = data.draw(st.integers(0, len(steps_) - 1))
    target = data.draw(st.integers(0, len(steps_) - 1).filter(lambda t: t != source))
    steps_.insert(target, steps_.pop(source))


def _change_step_type(workflow: Workflow, data: st.DataObject) -> None:
    for step in workflow["steps"][:1]:
        step["type"] = FRESH + "type"


def _change_step_control(workflow: Workflow, data: st.DataObject) -> None:
    for step in workflow["steps"][-1:]:
        step["controls"]["schema"]["title"] = FRESH


def _change_step_option(workflow: Workflow, data: st.DataObject) -> None:
    for step in workflow["steps"][:1]:
        step["options"]["retries"] = FRESH


def _add_step_provider(workflow: Workflow, data: st.DataObject) -> None:
    for step in workflow["steps"][:1]:
        step["providers"].append({"type": FRESH, "code": ""})


MUTATIONS: dict[str, Callable[[Workflow, st.DataObject], None]] = {
    "rename": _rename,
    "describe": _describe,
    "tag": _tag,
    "severity": _change_severity,
    "preference": _change_preference,
    "payload property": _add_payload_property,
    "require": _require,
    "controls": _change_controls,
    "code": _change_code,
    "add step": _add_step,
    "remove step": _remove_step,
    "move step": move_step,
    "step type": _change_step_type,
    "step control": _change_step_control,
    "step option": _change_step_option,
    "step provider": _add_step_provider,
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
    held: dict[str, Any] = {w["workflowId"]: w for w in stored}
    for change in plan.workflows:
        if change.change in (Change.CREATE, Change.UPDATE):
            held[change.workflow_id] = change.definition
        elif change.change is Change.DELETE:
            del held[change.workflow_id]
    return held


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
    move_step(moved, data)

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


# ---- the fast path agrees with the full comparison -----------------------------------------------------

# Keys that mean something to storage_text or normalise_workflow, and a few that mean nothing.
KEYS = st.sampled_from(
    [
        *("payload", "controls", "schema", "unknownSchema", "required", "properties", "default", "enum"),
        *("steps", "stepId", "type", "tags", "name", "severity", "description", "preferences"),
        *("options", "inputs", "data", "providers", "code", "controlSchema", "a", "b"),
    ]
)
# Values that Python finds equal (True == 1 == 1.0, 0 == -0.0 == False) or JSON libraries may write alike
# (NaN and infinities as null), but that are different JSON.
LOOKALIKES: tuple[Any, ...] = (
    *(True, 1, 1.0, False, 0, 0.0, -0.0, None, "", "1"),
    *(float("nan"), float("inf"), [], {}),
)
SCALARS = st.one_of(st.sampled_from(LOOKALIKES[:-2]), st.integers(), st.floats(), st.text(max_size=3))
JSON_VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(KEYS, inner, max_size=3),
    max_leaves=6,
)
CONTAINERS = st.fixed_dictionaries(
    {"schema": JSON_VALUES}, optional={"unknownSchema": JSON_VALUES, "a": JSON_VALUES}
)
STEPS = st.lists(st.dictionaries(KEYS, JSON_VALUES, max_size=3) | JSON_VALUES, max_size=3)
FAST_PATH_ID = "wf"


@st.composite
def definitions(draw: st.DrawFn) -> Workflow:
    """A JSON object shaped loosely like a workflow, with ``unknownSchema`` where Novu does not store it."""
    known = {key: JSON_VALUES for key in ("name", "tags", "severity", "description", "preferences", "code")}
    definition: Workflow = draw(
        st.fixed_dictionaries(
            {}, optional={**known, "payload": CONTAINERS, "controls": CONTAINERS, "steps": STEPS}
        )
    )
    definition.update(draw(st.dictionaries(KEYS, JSON_VALUES, max_size=2)))
    definition["workflowId"] = FAST_PATH_ID
    return definition


JsonPath = tuple[str | int, ...]


def _paths(value: Any, path: JsonPath = ()) -> Iterable[tuple[JsonPath, Any]]:
    """Every value inside ``value`` (itself included) with its path."""
    yield path, value
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        yield from _paths(item, (*path, key))


def _replace(root: Any, path: JsonPath, value: Any) -> None:
    *parents, last = path
    for part in parents:
        root = root[part]
    root[last] = value


@st.composite
def lookalike_of(draw: st.DrawFn, definition: Workflow) -> Workflow:
    """``definition`` in another key order, with another ``unknownSchema`` somewhere and at most one value
    swapped for a lookalike: sometimes the same definition, sometimes one subtly different."""
    result = copy.deepcopy(definition)
    places = list(_paths(result))
    leaves = [path for path, value in places if path and not isinstance(value, dict | list)]
    if draw(st.booleans()) and leaves:
        _replace(result, draw(st.sampled_from(leaves)), copy.deepcopy(draw(st.sampled_from(LOOKALIKES))))
    objects = [value for _, value in places if isinstance(value, dict)]
    if draw(st.booleans()):
        draw(st.sampled_from(objects))["unknownSchema"] = draw(JSON_VALUES)
    for key in ("payload", "controls"):
        if isinstance(result.get(key), dict) and draw(st.booleans()):
            result[key]["unknownSchema"] = draw(JSON_VALUES)
    shuffled: Workflow = reorder_keys(result, draw(st.randoms(use_true_random=False)))
    shuffled["workflowId"] = FAST_PATH_ID
    return shuffled


@st.composite
def definition_pairs(draw: st.DrawFn) -> tuple[Workflow, Workflow]:
    first = draw(definitions())
    return first, draw(st.one_of(lookalike_of(first), definitions()))


@settings(max_examples=200, deadline=None)
@given(pair=definition_pairs())
def test_the_fast_path_and_the_full_comparison_agree(pair: tuple[Workflow, Workflow]) -> None:
    """A workflow is unchanged exactly when the full comparison says so; equal stored texts (the fast path)
    never hide a difference the full comparison would report."""
    stored, discovered = pair
    same_in_full = same(normalise_workflow(stored), normalise_workflow(discovered))

    plan = build_plan(
        discovered=[discovered],
        state=state([stored], [listed(FAST_PATH_ID, "external")]),
        allow_deletions=False,
        environment=ENVIRONMENT,
    )

    (change,) = plan.workflows
    assert change.change in (Change.UNCHANGED, Change.UPDATE)
    assert (change.change is Change.UNCHANGED) == same_in_full
    if storage_text(stored) == storage_text(discovered):
        assert same_in_full
