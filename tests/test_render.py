"""The report as users see it: golden Markdown, GitHub's size limits, and hostile bridge text.

Regenerate the golden files after an intended change with
``UPDATE_GOLDEN=1 .venv/bin/pytest tests/test_render.py`` and review the diff.
"""

from __future__ import annotations

import os
import re
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path

import cmarkgfm
import pytest
from cmarkgfm.cmark import Options

from novu_action import __version__
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
from novu_action.render import COMMENT_LIMIT, SUMMARY_LIMIT, render_comment, render_report, render_summary
from novu_action.report import Failure, ReportContext, RunResult, Status
from novu_action.target import SourceKind
from novu_action.wording import Note, NoteKind, finding_text

GOLDEN = Path(__file__).parent / "golden"
MARKER = "<!-- novu-sync-action -->"
RUN_URL = "https://github.com/acme/notifications/actions/runs/4242"
SHORTENED = "This report was shortened to fit GitHub's size limit."

PREVIEW = ReportContext(
    mode="preview",
    environment="Production",
    report_id=None,
    source=SourceKind.PREVIEW_BRIDGE,
    shown_source="https://notify-git-welcome.acme.dev/api/novu",
    base_branch="main",
    commit_sha="3f2a9c1d8e7b6a5f4e3d2c1b0a9f8e7d6c5b4a39",
    commit_url="https://github.com/acme/notifications/commit/3f2a9c1d8e7b6a5f4e3d2c1b0a9f8e7d6c5b4a39",
    run_url=RUN_URL,
    dashboard_url="https://dashboard.novu.co/env/prod_env_6Tj1/workflows",
)
SYNC = replace(
    PREVIEW,
    mode="sync",
    base_branch=None,
    source=SourceKind.DEPLOYED_BRIDGE,
    shown_source="https://notify.acme.dev/api/novu",
)


def result(
    context: ReportContext | None,
    plan: Plan | None,
    status: Status,
    *,
    error: str | None = None,
    notes: tuple[Note, ...] = (),
    title: str = "Sync failed",
) -> RunResult:
    mode = context.mode if context else ""
    return RunResult(
        status,
        mode=mode,
        environment=context.environment if context else "",
        context=context,
        plan=plan,
        notes=notes,
        failure=Failure(title, error) if error is not None else None,
    )


def summary_of(context, plan, status, **kwargs) -> str:
    return render_summary(result(context, plan, status, **kwargs))


def comment_of(context, plan, *, status: Status = Status.PREVIEW, **kwargs) -> str:
    return render_comment(result(context, plan, status, **kwargs), marker=MARKER)


def realistic_plan() -> Plan:
    return Plan(
        workflows=(
            WorkflowChange("comment-digest", Change.UNCHANGED, name="Comment digest"),
            WorkflowChange(
                "invoice-paid",
                Change.CREATE,
                name="Invoice paid",
                definition={
                    "workflowId": "invoice-paid",
                    "steps": [
                        {"stepId": "receipt-email", "type": "email"},
                        {"stepId": "receipt-inbox", "type": "in_app"},
                    ],
                },
            ),
            WorkflowChange("legacy-reminder", Change.DELETE, name="Legacy reminder"),
            WorkflowChange("sms-alert", Change.UNCHANGED, name="SMS Alert"),
            WorkflowChange(
                "welcome",
                Change.UPDATE,
                name="Welcome onboarding",
                fields=(
                    FieldDiff("name", DiffKind.CHANGED, before='"Welcome"', after='"Welcome onboarding"'),
                    FieldDiff(
                        "payload.properties.plan",
                        DiffKind.ADDED,
                        after='{"type":"string","enum":["free","pro"]}',
                    ),
                    FieldDiff("payload.required", DiffKind.ADDED, after='"userName"'),
                    FieldDiff("tags", DiffKind.REMOVED, before='"beta"'),
                ),
                steps=(
                    StepDiff(
                        "welcome-email",
                        StepChange.CHANGED,
                        type_before="email",
                        type_after="email",
                        position_before=1,
                        position_after=0,
                        moved=True,
                        details=(
                            FieldDiff(
                                "controls.properties.subject",
                                DiffKind.CHANGED,
                                before='{"type":"string","default":"Welcome!"}',
                                after='{"type":"string","default":"Welcome aboard!"}',
                            ),
                        ),
                    ),
                    StepDiff(
                        "welcome-inbox",
                        StepChange.MOVED,
                        type_before="in_app",
                        type_after="in_app",
                        position_before=0,
                        position_after=1,
                        moved=True,
                    ),
                    StepDiff(
                        "welcome-push",
                        StepChange.CHANGED,
                        type_before="push",
                        type_after="sms",
                        position_before=2,
                        position_after=2,
                    ),
                    StepDiff("welcome-sms", StepChange.ADDED, type_after="sms", position_after=3),
                    StepDiff("welcome-chat", StepChange.REMOVED, type_before="chat", position_before=3),
                ),
            ),
        ),
        findings=(
            GuardFinding(
                guard=Guard.DASHBOARD_CLASH, workflow_ids=("invoice-paid",), environment="Production"
            ),
            GuardFinding(
                guard=Guard.DELETIONS_NOT_ALLOWED, workflow_ids=("legacy-reminder",), environment="Production"
            ),
        ),
    )


def assert_golden(name: str, text: str) -> None:
    path = GOLDEN / f"{name}.md"
    if os.environ.get("UPDATE_GOLDEN") == "1":
        GOLDEN.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8", newline="\n")
    assert path.exists(), f"{path} is missing: run UPDATE_GOLDEN=1 .venv/bin/pytest tests/test_render.py"
    assert text == path.read_text(encoding="utf-8"), f"the report differs from {path}"


# ---------------------------------------------------------------------------------------------------
# Golden files


def test_preview_comment_shows_what_was_compared_the_counts_the_findings_then_each_change():
    comment = comment_of(PREVIEW, realistic_plan())

    assert_golden("preview", comment)
    lines = comment.splitlines()
    assert lines[4].startswith(
        "Compared the preview deployment at `https://notify-git-welcome.acme.dev/api/novu`"
    )
    assert lines[4].endswith(f"· [Run log]({RUN_URL})")  # the run link near the top
    assert comment.index("[!CAUTION]") < comment.index("- 🔴 delete") < comment.index("<details>")


def test_comment_is_the_summary_with_the_marker_line_first():
    comment = comment_of(PREVIEW, realistic_plan())
    summary = summary_of(PREVIEW, realistic_plan(), Status.PREVIEW)

    assert comment.splitlines()[0] == MARKER
    assert comment == f"{MARKER}\n\n{summary}"


def test_synced_report():
    plan = replace(realistic_plan(), findings=())

    summary = summary_of(SYNC, plan, Status.SYNCED)

    assert_golden("synced", summary)
    assert "**Production** now matches the bridge." in summary
    assert "> Deleted 1 workflow from **Production**: `legacy-reminder`" in summary


def test_refused_sync_gives_the_findings_as_the_reason_and_its_counts_are_only_planned():
    plan = Plan(
        workflows=(
            WorkflowChange("digest", Change.DELETE, name="Digest"),
            WorkflowChange("onboarding", Change.DELETE),
            WorkflowChange("welcome", Change.UNCHANGED),
        ),
        findings=(
            GuardFinding(
                guard=Guard.DELETIONS_NOT_ALLOWED,
                workflow_ids=("digest", "onboarding"),
                environment="Production",
            ),
        ),
    )
    summary = summary_of(
        SYNC,
        plan,
        Status.REFUSED,
        error="This sync would delete 2 workflows from Production, and deletions are not allowed.",
    )

    assert_golden("refused", summary)
    assert "**This stopped the sync:**" in summary
    assert "Planned, not applied:\n\n🟢 0 create" in summary
    assert summary.count("deletions are not allowed") == 1  # the refusal message is not said twice
    assert summary.count("`digest`") == 2  # in the finding and in its own line: no third mention
    assert "<details>" not in summary  # a deleted workflow has nothing to unfold


def test_a_refusal_without_findings_shows_its_message():
    plan = Plan(workflows=(WorkflowChange("welcome", Change.CREATE),))

    summary = summary_of(SYNC, plan, Status.REFUSED, error="Novu Cloud cannot reach the bridge.")

    assert "> Novu Cloud cannot reach the bridge." in summary


def test_a_failed_preview_says_nothing_changed():
    plan = Plan(workflows=(WorkflowChange("welcome", Change.CREATE),))

    summary = summary_of(PREVIEW, plan, Status.FAILED, error="Timed out.")

    assert "❌ The preview of **Production** failed. Nothing was changed." in summary


def test_failed_sync_shows_the_escaped_error_line_by_line():
    plan = replace(realistic_plan(), findings=())
    error = "Novu answered 502 Bad Gateway.\nIt said: <html><body>upstream @oncall down</body></html>"

    summary = summary_of(SYNC, plan, Status.FAILED, error=error)

    assert_golden("failed", summary)
    assert "<html>" not in summary


def test_failure_before_a_plan_existed():
    summary = summary_of(
        SYNC,
        None,
        Status.FAILED,
        title="Bridge unreachable",
        error="GET https://notify.acme.dev/api/novu?action=discover failed: 404 Not Found.\n"
        "Check `bridge-url`.",
        notes=(Note(NoteKind.UNSIGNED_BRIDGE, subject="https://notify.acme.dev/api/novu"),),
    )

    assert_golden("failure", summary)
    assert "> Check `bridge-url`." in summary  # the action's own quoting stays code, not &#96;


def test_failure_without_context_still_has_a_title_and_the_message():
    summary = summary_of(
        None, None, Status.FAILED, title="Invalid inputs", error="input `mode`: must be one of `auto`"
    )

    assert summary.startswith("### Novu sync\n")
    assert "> input `mode`: must be one of `auto`" in summary


def test_preview_without_changes_says_nothing_would_change():
    plan = Plan(
        workflows=(WorkflowChange("welcome", Change.UNCHANGED), WorkflowChange("digest", Change.UNCHANGED))
    )

    summary = summary_of(PREVIEW, plan, Status.PREVIEW)

    assert_golden("no_changes", summary)
    assert "Merging into `main` would change nothing in **Production**." in summary
    assert "🟢 0 create · 🟡 0 update · 🔴 0 delete · ⚪ 2 unchanged" in summary
    assert "<details>" not in summary


def test_a_preview_of_the_deployed_bridge_calls_its_differences_drift_not_changes_of_the_pull_request():
    plan = Plan(
        workflows=(
            WorkflowChange(
                "welcome", Change.UPDATE, definition={"steps": [{"stepId": "welcome-email", "type": "email"}]}
            ),
            WorkflowChange("retired", Change.DELETE),
        ),
        detail=Detail.IDS_ONLY,
        findings=(
            GuardFinding(
                guard=Guard.DELETIONS_NOT_ALLOWED, workflow_ids=("retired",), environment="Development"
            ),
        ),
    )
    context = replace(
        PREVIEW,
        environment="Development",
        base_branch="dev",
        source=SourceKind.DEPLOYED_BRIDGE,
        shown_source="https://dev.acme.dev/api/novu",
    )

    summary = summary_of(context, plan, Status.PREVIEW, notes=(Note(NoteKind.NO_STORED_DEFINITIONS),))

    assert_golden("drift", summary)
    assert (
        "Compared the deployed bridge at `https://dev.acme.dev/api/novu` with **Development** — not this "
        "pull request's code." in summary
    )
    assert (
        "Drift between **Development** and its deployed bridge (not changes of this pull request)" in summary
    )
    assert "This is drift, not a change of this pull request" in summary
    assert "restore the workflows in the bridge code" not in summary
    assert "compares workflow ids only" in summary
    assert "**A sync of the deployed bridge would be refused:** Development holds 1 workflow" in summary


def test_a_discover_file_preview_names_the_pull_requests_code_and_commit():
    context = replace(PREVIEW, source=SourceKind.DISCOVER_FILE, shown_source="novu-discover.json")

    summary = summary_of(context, Plan(workflows=(WorkflowChange("welcome", Change.CREATE),)), Status.PREVIEW)

    assert (
        "Compared this pull request's code (discover-file `novu-discover.json`, commit 3f2a9c1) with "
        "**Production**." in summary
    )


def test_report_id_names_the_bridge_in_the_title():
    plan = Plan(
        workflows=(WorkflowChange("billing-alert", Change.DELETE),),
        findings=(
            GuardFinding(guard=Guard.EMPTY_BRIDGE, workflow_ids=("billing-alert",), environment="Production"),
        ),
    )
    context = replace(PREVIEW, report_id="billing")

    comment = render_comment(
        result(context, plan, Status.PREVIEW, notes=(Note(NoteKind.KEY_NOT_CHECKED),)),
        marker="<!-- novu-sync-action id=billing -->",
    )

    assert_golden("with_id", comment)
    assert comment.splitlines()[2] == "### Novu sync preview — Production · billing"


def test_the_footer_links_the_commit_and_the_dashboard_and_names_the_action_and_its_version():
    footer = summary_of(PREVIEW, realistic_plan(), Status.PREVIEW).splitlines()[-1]

    assert footer == (
        f"<sub>[commit 3f2a9c1]({PREVIEW.commit_url}) · [Novu Dashboard]({PREVIEW.dashboard_url}) · source "
        "`https://notify-git-welcome.acme.dev/api/novu` · "
        f"novu-sync-action {__version__}</sub>"
    )


def test_a_url_is_shown_as_code_without_a_zero_width_space_so_it_copies_whole():
    summary = summary_of(SYNC, realistic_plan(), Status.SYNCED)

    assert "`https://notify.acme.dev/api/novu`" in summary
    assert "&#8203;//" not in summary
    assert "\u200b" not in summary


def test_a_list_member_removed_reads_as_a_member_not_a_string_value():
    summary = summary_of(PREVIEW, realistic_plan(), Status.PREVIEW)

    assert '- tags[]: "beta"' in summary
    assert '+ payload.required[]: "userName"' in summary


def test_counts_always_show_all_four_kinds():
    plan = Plan(workflows=(WorkflowChange("a", Change.CREATE),))

    summary = summary_of(SYNC, plan, Status.SYNCED)

    assert "🟢 1 create · 🟡 0 update · 🔴 0 delete · ⚪ 0 unchanged" in summary


def test_sections_are_deletions_then_updates_then_creations_each_by_id():
    plan = Plan(
        workflows=tuple(
            WorkflowChange(workflow_id, change)
            for workflow_id, change in (
                ("a-new", Change.CREATE),
                ("b-gone", Change.DELETE),
                ("c-new", Change.CREATE),
                ("d-changed", Change.UPDATE),
                ("a-gone", Change.DELETE),
            )
        )
    )

    summary = summary_of(SYNC, plan, Status.SYNCED)

    order = re.findall(r"(?:<summary>|^- )\S+ \w+ (?:<code>|`)([^<`]+)(?:</code>|`)", summary, re.MULTILINE)
    assert order == ["a-gone", "b-gone", "d-changed", "a-new", "c-new"]
    assert "<summary>🔴" not in summary  # deleted workflows are one line each, nothing to unfold


def test_many_unchanged_workflows_fold_into_one_count():
    plan = Plan(workflows=tuple(WorkflowChange(f"wf-{n:03}", Change.UNCHANGED) for n in range(120)))

    summary = summary_of(SYNC, plan, Status.SYNCED)

    assert "⚪ 120 unchanged (not listed)" in summary
    assert "wf-000" not in summary


# ---------------------------------------------------------------------------------------------------
# Size limits

CJK_NAME = "通知ワークフロー🚀" * 12


def big_update(n: int, *, value_chars: int = 280) -> WorkflowChange:
    value = '"' + ("漢字🙂" * value_chars)[:value_chars] + '"'
    return WorkflowChange(
        f"update-{n:05}",
        Change.UPDATE,
        name=f"{CJK_NAME} {n}",
        fields=tuple(
            FieldDiff(f"payload.properties.field{i}", DiffKind.CHANGED, before=value, after=value)
            for i in range(8)
        ),
        steps=(
            StepDiff(
                f"step-{n}",
                StepChange.CHANGED,
                type_before="email",
                type_after="email",
                position_before=0,
                position_after=0,
                details=(FieldDiff("controls.properties.body", DiffKind.CHANGED, before=value, after=value),),
            ),
        ),
    )


def huge_plan(*, updates: int, creates: int = 0, deletes: int = 0, unchanged: int = 0) -> Plan:
    deleted = tuple(WorkflowChange(f"delete-{n:05}", Change.DELETE, name=CJK_NAME) for n in range(deletes))
    return Plan(
        workflows=(
            *(big_update(n) for n in range(updates)),
            *(WorkflowChange(f"create-{n:05}", Change.CREATE, name=CJK_NAME) for n in range(creates)),
            *deleted,
            *(WorkflowChange(f"same-{n:05}", Change.UNCHANGED) for n in range(unchanged)),
        ),
        findings=(
            GuardFinding(
                guard=Guard.DELETIONS_NOT_ALLOWED,
                workflow_ids=tuple(w.workflow_id for w in deleted),
                environment="Production",
            ),
        )
        if deleted
        else (),
    )


def assert_keeps_what_matters(text: str, plan: Plan) -> None:
    counts = " · ".join(
        f"{mark} {plan.count(change)} {change.value}" for mark, change in zip("🟢🟡🔴⚪", Change, strict=True)
    )
    assert counts in text
    for finding in plan.findings:
        assert finding_text(finding, drift=False).headline in text
    for workflow in plan.of(Change.DELETE):
        assert f"`{workflow.workflow_id}`" in text
    assert SHORTENED in text


def test_comment_of_thousands_of_huge_multibyte_changes_fits_and_keeps_counts_deletions_findings():
    plan = huge_plan(updates=3000, creates=1500, deletes=300, unchanged=40)

    comment = comment_of(PREVIEW, plan)

    assert len(comment) <= COMMENT_LIMIT
    assert comment.startswith(MARKER + "\n")
    assert_keeps_what_matters(comment, plan)
    assert f"The job summary of [this run]({RUN_URL}) has more detail." in comment
    assert "… and " in comment  # the long id lists were cut, with the number left out


def test_summary_of_thousands_of_huge_multibyte_changes_fits_in_one_mebibyte():
    plan = huge_plan(updates=3000, creates=2000, deletes=500, unchanged=100)

    summary = summary_of(SYNC, plan, Status.SYNCED)

    assert len(summary.encode()) <= SUMMARY_LIMIT
    assert_keeps_what_matters(summary, plan)
    assert "The step's `plan` output lists every change as JSON." in summary


def test_details_fold_from_the_end_first_and_every_workflow_keeps_its_line():
    plan = huge_plan(updates=60)

    comment = comment_of(PREVIEW, plan)

    assert len(comment) <= COMMENT_LIMIT
    assert SHORTENED in comment
    assert "<details><summary>🟡 update <code>update-00000</code>" in comment  # the first keep their diff
    assert "\n- 🟡 update `update-00059`" in comment  # the last are one line each
    for workflow in plan.workflows:
        assert f"<code>{workflow.workflow_id}</code>" in comment or f"`{workflow.workflow_id}`" in comment


def test_absurd_deletions_are_capped_with_a_pointer_to_the_plan_output():
    plan = huge_plan(updates=0, deletes=12_000)

    comment = comment_of(PREVIEW, plan)

    assert len(comment) <= COMMENT_LIMIT
    assert "more — see the `plan` output" in comment
    assert "🔴 12000 delete" in comment
    assert finding_text(plan.findings[0], drift=False).headline in comment
    assert "`delete-00000`" in comment  # the first deleted ids are kept, the rest counted


def test_absurd_notes_are_cut_at_a_line_and_the_limit_still_holds():
    notes = tuple(
        Note(NoteKind.AGENT_NOT_POINTED, subject=f"agent-{n}", detail="x" * 300) for n in range(5_000)
    )
    plan = realistic_plan()

    summary = summary_of(SYNC, plan, Status.REFUSED, notes=notes)

    assert len(summary.encode()) <= SUMMARY_LIMIT
    assert "🟢 1 create · 🟡 1 update · 🔴 1 delete · ⚪ 2 unchanged" in summary
    assert finding_text(plan.findings[0], drift=False).headline in summary
    assert "The rest of this report was cut to fit GitHub's size limit." in summary


def test_a_failure_summary_with_absurd_notes_still_fits():
    notes = tuple(
        Note(NoteKind.AGENT_NOT_POINTED, subject=f"agent-{n}", detail="y" * 300) for n in range(5_000)
    )

    summary = summary_of(
        SYNC, None, Status.FAILED, title="Bridge unreachable", error="404 Not Found", notes=notes
    )

    assert len(summary.encode()) <= SUMMARY_LIMIT
    assert "404 Not Found" in summary


def test_a_tiny_limit_is_still_honoured():
    assert len(render_report(result(SYNC, realistic_plan(), Status.SYNCED), limit_chars=40)) <= 40


def test_a_huge_error_is_shortened():
    comment = comment_of(SYNC, realistic_plan(), status=Status.FAILED, error="<" * 500_000)

    assert len(comment) <= COMMENT_LIMIT
    assert SHORTENED not in comment  # the error is shortened on its own; the plan keeps its detail
    assert "&lt;…" in comment


PADDING_FIELDS = 120


def padded_plan(workflows: int, padding: int) -> Plan:
    """``workflows`` multibyte updates, then one update whose values add ``padding`` ASCII characters."""
    chunks = [min(250, max(0, padding - 250 * i)) for i in range(PADDING_FIELDS)]
    assert sum(chunks) == padding
    pad = WorkflowChange(
        "zz-padding",
        Change.UPDATE,
        fields=tuple(
            FieldDiff(f"f{i:02}", DiffKind.ADDED, after='"' + "p" * chunk + '"')
            for i, chunk in enumerate(chunks)
        ),
    )
    return Plan(workflows=(*(big_update(n, value_chars=100) for n in range(workflows)), pad))


@pytest.mark.parametrize(
    ("render", "measure", "limit", "header"),
    [
        (
            lambda plan: comment_of(PREVIEW, plan),
            len,
            COMMENT_LIMIT,
            MARKER,
        ),
        (
            lambda plan: summary_of(PREVIEW, plan, Status.PREVIEW),
            lambda text: len(text.encode()),
            SUMMARY_LIMIT,
            "",
        ),
    ],
    ids=["comment-characters", "summary-bytes"],
)
def test_exactly_at_the_limit_nothing_is_shortened_and_one_more_character_shortens(
    render, measure, limit, header
):
    def unlimited(plan: Plan) -> str:
        return render_report(result(PREVIEW, plan, Status.PREVIEW), header=header)

    base = measure(unlimited(padded_plan(0, 0)))
    per_workflow = measure(unlimited(padded_plan(1, 0))) - base
    workflows = (limit - base) // per_workflow - 1
    padding = limit - measure(unlimited(padded_plan(workflows, 0)))
    at_limit = padded_plan(workflows, padding)

    exact = render(at_limit)
    over = render(padded_plan(workflows, padding + 1))

    assert measure(exact) == limit
    assert exact == unlimited(at_limit)
    assert SHORTENED not in exact
    assert measure(over) <= limit
    assert SHORTENED in over
    assert "`zz-padding`" in over


# ---------------------------------------------------------------------------------------------------
# The shortening ladder, step by step, on a small report with small limits

CUT_NOTE = (
    "\n\n> [!WARNING]\n> The rest of this report was cut to fit GitHub's size limit. "
    "The step's `plan` output lists every change as JSON.\n"
)


def ten_new_ten_same() -> RunResult:
    plan = Plan(
        workflows=(
            *(WorkflowChange(f"new-{n:02}", Change.CREATE) for n in range(10)),
            *(WorkflowChange(f"same-{n:02}", Change.UNCHANGED) for n in range(10)),
        )
    )
    return result(SYNC, plan, Status.SYNCED)


@pytest.mark.parametrize(("unchanged", "listed"), [(50, True), (51, False)])
def test_unchanged_workflows_are_listed_up_to_fifty(unchanged, listed):
    plan = Plan(workflows=tuple(WorkflowChange(f"wf-{n:03}", Change.UNCHANGED) for n in range(unchanged)))

    summary = summary_of(SYNC, plan, Status.SYNCED)

    assert ("`wf-000`" in summary) is listed
    assert (f"⚪ {unchanged} unchanged (not listed)" in summary) is not listed


def test_a_report_shortened_to_ids_lists_as_many_as_fit_in_each_list_and_counts_the_rest():
    shortened = render_report(ten_new_ten_same(), limit_chars=827)

    assert len(shortened) == 827  # the largest cap that fits, here exactly
    assert "\n- 🟢 create (10): `new-00`, `new-01`, `new-02`, `new-03`, `new-04`, … and 5 more\n" in shortened
    assert (
        "\n⚪ 10 unchanged: `same-00`, `same-01`, `same-02`, `same-03`, `same-04`, … and 5 more\n"
        in shortened
    )
    assert f"\n> [!NOTE]\n> {SHORTENED} The step's `plan` output lists every change as JSON.\n" in shortened


def test_a_report_that_fits_in_no_layout_keeps_whole_lines_from_the_top_and_says_it_was_cut():
    cut = render_report(ten_new_ten_same(), limit_chars=700)

    assert len(cut) <= 700
    assert cut.endswith(CUT_NOTE)
    kept = cut.removesuffix(CUT_NOTE)
    assert kept.endswith("⚪ 10 unchanged: … and 10 more\n")  # whole lines only
    assert render_report(ten_new_ten_same(), limit_chars=len(cut)) == cut  # no line more would fit


def test_a_cut_report_keeps_the_findings_ids_capped_to_none():
    cut = render_report(result(PREVIEW, ten_refused_deletions(), Status.PREVIEW), limit_chars=1_000)

    assert "\n> - Workflows: … and 10 more — see the `plan` output\n" in cut
    assert cut.endswith(CUT_NOTE)


def test_below_the_length_of_the_cut_note_the_report_is_cut_at_the_limit():
    cut = render_report(ten_new_ten_same(), limit_chars=100)

    assert len(cut) == 100
    assert render_report(ten_new_ten_same(), limit_chars=120)[:100] == cut
    assert cut.startswith("### Novu sync — Production\n\n")
    assert render_report(ten_new_ten_same(), limit_chars=0) == ""


def five_field_update(workflow_id: str) -> WorkflowChange:
    return WorkflowChange(
        workflow_id,
        Change.UPDATE,
        fields=tuple(FieldDiff(f"f{k}", DiffKind.ADDED, after='"' + "v" * 100 + '"') for k in range(5)),
    )


@pytest.mark.parametrize("workflows", [1, 2])
def test_when_no_diff_fits_each_changed_workflow_keeps_its_one_line(workflows):
    plan = Plan(workflows=tuple(five_field_update(f"upd-{n}") for n in range(workflows)))

    shortened = render_report(result(SYNC, plan, Status.SYNCED), limit_chars=1_000)

    assert len(shortened) <= 1_000
    assert "<details>" not in shortened
    for n in range(workflows):
        assert f"\n- 🟡 update `upd-{n}` · 5 field changes\n" in shortened


def test_a_list_of_ids_that_fits_whole_has_no_count_of_more():
    plan = Plan(workflows=(five_field_update("upd-0"), five_field_update("upd-1")))

    shortened = render_report(result(SYNC, plan, Status.SYNCED), limit_chars=720)

    assert "\n- 🟡 update (2): `upd-0`, `upd-1`\n" in shortened


def test_the_unchanged_list_may_be_the_longest_list_and_is_still_shown_whole_when_it_fits():
    plan = Plan(
        workflows=(
            *(WorkflowChange(f"new-{n}", Change.CREATE) for n in range(2)),
            *(WorkflowChange(f"same-{n:02}", Change.UNCHANGED) for n in range(10)),
        )
    )

    shortened = render_report(result(SYNC, plan, Status.SYNCED), limit_chars=824)

    assert "\n- 🟢 create (2): `new-0`, `new-1`\n" in shortened
    assert "\n⚪ 10 unchanged: " + ", ".join(f"`same-{n:02}`" for n in range(10)) + "\n" in shortened


def test_a_findings_ids_are_capped_even_when_nothing_is_deleted():
    ids = tuple(f"new-{n}" for n in range(10))
    plan = Plan(
        workflows=tuple(WorkflowChange(workflow_id, Change.CREATE) for workflow_id in ids),
        findings=(GuardFinding(guard=Guard.DASHBOARD_CLASH, workflow_ids=ids, environment="Production"),),
    )

    shortened = render_report(result(PREVIEW, plan, Status.PREVIEW), limit_chars=1_090)

    assert "\n> - Workflows: `new-0`, `new-1`, … and 8 more — see the `plan` output\n" in shortened
    assert "cut to fit" not in shortened


def test_a_shortened_report_without_changes_has_no_empty_list():
    plan = Plan(
        workflows=tuple(WorkflowChange(f"same-{n:02}-" + "x" * 30, Change.UNCHANGED) for n in range(10))
    )

    shortened = render_report(result(SYNC, plan, Status.SYNCED), limit_chars=900)

    assert "`, … and 6 more\n" in shortened
    assert SHORTENED in shortened
    assert "\n\n\n" not in shortened


def test_diffs_fold_one_workflow_at_a_time_from_the_last():
    plan = Plan(workflows=(five_field_update("upd-0"), five_field_update("upd-1")))

    shortened = render_report(result(SYNC, plan, Status.SYNCED), limit_chars=1_500)

    assert "<details><summary>🟡 update <code>upd-0</code> · 5 field changes</summary>" in shortened
    assert "\n- 🟡 update `upd-1` · 5 field changes\n" in shortened


def test_deleted_ids_are_capped_last_as_little_as_needed_and_the_other_lists_to_none():
    ids = tuple(f"gone-{n}-" + "x" * 60 for n in range(10))
    plan = Plan(
        workflows=(*(WorkflowChange(i, Change.DELETE) for i in ids), WorkflowChange("new-0", Change.CREATE)),
        findings=(
            GuardFinding(guard=Guard.DELETIONS_NOT_ALLOWED, workflow_ids=ids, environment="Production"),
        ),
    )

    shortened = render_report(result(PREVIEW, plan, Status.PREVIEW), limit_chars=2_500)

    assert f"`{ids[8]}`, … and 1 more — see the `plan` output\n" in shortened
    assert f"\n- 🔴 delete (10): `{ids[0]}`" in shortened
    assert f"`{ids[8]}`, … and 1 more\n- 🟢 create (1): … and 1 more\n" in shortened


def ten_refused_deletions() -> Plan:
    ids = tuple(f"gone-{n}" for n in range(10))
    return Plan(
        workflows=tuple(WorkflowChange(workflow_id, Change.DELETE) for workflow_id in ids),
        findings=(
            GuardFinding(guard=Guard.DELETIONS_NOT_ALLOWED, workflow_ids=ids, environment="Production"),
        ),
    )


def test_a_findings_workflows_are_capped_last_with_a_pointer_to_the_plan_output():
    shortened = render_report(result(PREVIEW, ten_refused_deletions(), Status.PREVIEW), limit_chars=1_233)

    assert (
        "\n> - Workflows: `gone-0`, `gone-1`, `gone-2`, … and 7 more — see the `plan` output\n" in shortened
    )
    assert "\n- 🔴 delete (10): `gone-0`, `gone-1`, `gone-2`, … and 7 more\n" in shortened


def test_a_refusal_without_a_run_context_words_its_finding_without_drift():
    summary = render_report(result(None, ten_refused_deletions(), Status.REFUSED))

    assert (
        "\n> **This stopped the sync:** This sync would delete 10 workflows from Production, and "
        "deletions are not allowed.\n"
    ) in summary


def test_the_findings_of_a_failed_sync_are_shown_without_a_consequence():
    summary = summary_of(SYNC, ten_refused_deletions(), Status.FAILED, error="boom")

    assert (
        "\n> [!CAUTION]\n> This sync would delete 10 workflows from Production, and deletions are not "
        "allowed.\n"
    ) in summary


def test_a_comment_without_a_run_context_still_shows_the_failure():
    comment = render_comment(result(None, None, Status.FAILED, error="boom"), marker=MARKER)

    assert comment.startswith(MARKER + "\n\n### Novu sync\n")
    assert "\n> boom\n" in comment


@pytest.mark.parametrize(
    ("run_url", "run"), [(RUN_URL, f"[this run]({RUN_URL})"), (None, "this run")], ids=["link", "no link"]
)
def test_a_shortened_comment_points_to_the_job_summary_of_this_run(run_url, run):
    comment = comment_of(replace(PREVIEW, run_url=run_url), huge_plan(updates=60))

    assert (
        f"This report was shortened to fit GitHub's size limit. The job summary of {run} has more "
        "detail. The step's `plan` output lists every change as JSON."
    ) in comment


def test_the_deletion_alert_caps_its_ids_last_with_a_pointer_to_the_plan_output():
    plan = Plan(workflows=tuple(WorkflowChange(f"gone-{n}", Change.DELETE) for n in range(10)))

    shortened = render_report(result(PREVIEW, plan, Status.PREVIEW), limit_chars=966)

    assert (
        "\n> Would delete 10 workflows from **Production**; Novu keeps no copy: `gone-0`, `gone-1`, "
        "`gone-2`, … and 7 more deletions — see the `plan` output\n"
    ) in shortened


# ---------------------------------------------------------------------------------------------------
# Lengths, links and kinds of the parts of a report


def test_a_long_environment_name_is_cut_at_100_characters_wherever_it_is_named():
    context = replace(SYNC, environment="E" * 150)
    plan = Plan(workflows=(WorkflowChange("old", Change.DELETE),))
    notes = (Note(NoteKind.AGENT_NOT_POINTED, subject="agent", detail="gone"),)

    summary = summary_of(context, plan, Status.FAILED, error="boom", notes=notes)

    shown = "E" * 99 + "…"
    assert "E" * 100 not in summary
    assert summary.startswith(f"### Novu sync — {shown}\n")
    assert f"\nSync of **{shown}** from the bridge at" in summary
    assert f"\n❌ The sync into **{shown}** failed.\n" in summary
    assert f"\n> The plan deletes 1 workflow from **{shown}**: `old`\n" in summary
    assert f"the agent must exist in {shown}; the official CLI" in summary


def test_values_in_sentences_and_the_footers_source_are_cut_at_300_characters():
    source = "https://x.io/" + "p" * 400
    notes = (Note(NoteKind.AGENT_NOT_POINTED, subject="a" * 400, detail="d" * 400),)

    summary = summary_of(replace(SYNC, shown_source=source), None, Status.SYNCED, notes=notes)

    assert summary.count(f"`{source[:299]}…`") == 2  # the compared line and the footer
    assert f"but agent `{'a' * 299}…` was not pointed at the bridge: {'d' * 299}…. Conversational" in summary


def test_a_notice_is_a_note_and_a_warning_is_a_warning():
    notes = (Note(NoteKind.RESENT, detail="timed out"), Note(NoteKind.TAKEOVER, subject="old-one"))

    summary = summary_of(SYNC, None, Status.SYNCED, notes=notes)

    assert "\n> [!NOTE]\n> **Sync sent again:** The first sync request's effect" in summary
    assert "\n> [!WARNING]\n> **Old v1 workflows taken over:** The bridge serves `old-one`" in summary


def test_without_a_run_url_the_compared_line_has_no_run_link():
    summary = summary_of(replace(SYNC, run_url=None), None, Status.SYNCED)

    assert "\nSync of **Production** from the bridge at `https://notify.acme.dev/api/novu`.\n" in summary


def test_a_failure_in_no_known_environment_names_the_environment_generically():
    summary = summary_of(replace(SYNC, environment=""), None, Status.FAILED, error="boom")

    assert "\n❌ The sync into the environment failed.\n" in summary


def test_without_a_commit_url_the_footer_shows_the_short_commit_as_code():
    summary = summary_of(replace(SYNC, commit_url=None), None, Status.SYNCED)

    assert "\n<sub>`3f2a9c1` · [Novu Dashboard](" in summary


# ---------------------------------------------------------------------------------------------------
# Hostile text from the bridge

HOSTILE = (
    "<script>alert(1)</script>",
    "@someone",
    "</details>",
    "![x](http://evil/x.png)",
    "[link](http://evil)",
    "::error::boom",
    "`tick`",
    "```fence```",
    "line one\n# Heading\n@someone\r\n::error::boom\n```\n</details>",
    "<img src=x onerror=alert(1)>",
    "www.evil.com and mail@evil.com",
    "#1 **bold** $x$ ~~gone~~ | pipe",
    "- item",
    "1. item",
    "    indented code",
    "&lt;script&gt;",
    "\u202eevil\u202c bidi",
)
# What the report may render to: GitHub keeps these tags; nothing from the bridge may add another.
OUR_TAGS = {"h3", "p", "blockquote", "ul", "li", "strong", "code", "pre", "details", "summary", "sub", "a"}


def hostile_plan() -> Plan:
    def diff(text: str) -> FieldDiff:
        return FieldDiff(text, DiffKind.CHANGED, before=text, after=text)

    workflows = []
    for n, text in enumerate(HOSTILE):
        workflows += [
            WorkflowChange(
                f"{text}-update-{n}",
                Change.UPDATE,
                name=text,
                fields=(diff(text),),
                steps=(
                    StepDiff(
                        text,
                        StepChange.CHANGED,
                        type_before=text,
                        type_after=text + "x",
                        position_before=0,
                        position_after=1,
                        moved=True,
                        details=(diff(text),),
                    ),
                    StepDiff(text + "-added", StepChange.ADDED, type_after=text, position_after=2),
                ),
            ),
            WorkflowChange(
                f"{text}-create-{n}",
                Change.CREATE,
                name=text,
                definition={"steps": [{"stepId": text, "type": text}]},
            ),
            WorkflowChange(f"{text}-delete-{n}", Change.DELETE, name=text),
            WorkflowChange(f"{text}-same-{n}", Change.UNCHANGED, name=text),
        ]
    deleted = tuple(w.workflow_id for w in workflows if w.change is Change.DELETE)
    return Plan(
        workflows=tuple(workflows),
        findings=(
            GuardFinding(guard=Guard.DELETIONS_NOT_ALLOWED, workflow_ids=deleted, environment="Production"),
            GuardFinding(guard=Guard.DASHBOARD_CLASH, workflow_ids=HOSTILE, environment="Production"),
        ),
    )


HOSTILE_CONTEXT = replace(
    PREVIEW,
    environment="Prod <b>@ops</b>",
    report_id="[id](http://evil) @team",
    shown_source="https://evil.example/<script>?q=@someone",
    base_branch="main`</code><script>",
    commit_sha="<img src=x>",
    source=SourceKind.DEPLOYED_BRIDGE,
)
OUR_LINKS = {RUN_URL, PREVIEW.commit_url, PREVIEW.dashboard_url}


class _Rendered(HTMLParser):
    """What GitHub shows for a piece of Markdown: its tags, its links and its text outside code."""

    def __init__(self, markdown: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.links: list[str | None] = []
        self.prose: list[str] = []
        self._in_code = 0
        body = cmarkgfm.github_flavored_markdown_to_html(markdown, options=Options.CMARK_OPT_UNSAFE)
        self.feed(body)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        if tag == "a":
            self.links.append(dict(attrs).get("href"))
        if tag in ("code", "pre", "a"):
            self._in_code += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("code", "pre", "a"):
            self._in_code -= 1

    def handle_data(self, data: str) -> None:
        if not self._in_code:
            self.prose.append(data)


def assert_renders_nothing_hostile(markdown: str, *, sections: int) -> None:
    """Rendered as GitHub renders it (cmark-gfm), the report has only our tags and links, no mention, issue
    reference or autolink outside code, and no line that the runner could read as a workflow command."""
    rendered = _Rendered(markdown)
    prose = " ".join(rendered.prose)
    assert set(rendered.tags) <= OUR_TAGS, set(rendered.tags) - OUR_TAGS
    assert rendered.tags.count("details") == rendered.tags.count("summary") == sections
    assert set(rendered.links) <= OUR_LINKS, set(rendered.links) - OUR_LINKS
    assert not re.search(r"@[A-Za-z0-9]", prose), "a mention or e-mail autolink could form"
    assert not re.search(r"#\d", prose), "an issue reference could form"
    for line in markdown.split("\n"):
        assert not line.lstrip().startswith(("::", "##[")), "a line could read as a workflow command"
    assert "\u202e" not in markdown


def test_hostile_names_render_as_plain_text_in_the_comment():
    plan = hostile_plan()
    unfolded = sum(1 for w in plan.workflows if w.change in (Change.CREATE, Change.UPDATE))

    comment = comment_of(HOSTILE_CONTEXT, plan)

    assert SHORTENED not in comment
    assert_renders_nothing_hostile(comment, sections=unfolded)


def test_hostile_names_render_as_plain_text_when_listed_by_id_only():
    plan = hostile_plan()

    text = render_report(result(HOSTILE_CONTEXT, plan, Status.PREVIEW), limit_chars=len(plan.workflows) * 100)

    assert "🟡 update (17):" in text
    assert_renders_nothing_hostile(text, sections=0)


def test_hostile_error_notes_and_run_url_render_as_plain_text():
    context = replace(HOSTILE_CONTEXT, run_url="javascript:alert(1)//)")
    error = "\n".join(HOSTILE)
    notes = tuple(Note(NoteKind.AGENT_NOT_POINTED, subject=text, detail=text) for text in HOSTILE)

    failed = summary_of(context, hostile_plan(), Status.FAILED, error=error, notes=notes)
    failure = summary_of(
        context, None, Status.FAILED, title="Bridge said <b>no</b>", error=error, notes=notes
    )

    assert "javascript" not in failed
    assert_renders_nothing_hostile(failed, sections=34)
    assert_renders_nothing_hostile(failure, sections=0)


def test_skip_summary_shows_the_reason_but_not_a_hostile_branch_name_as_markup() -> None:
    summary = render_summary(
        RunResult(
            Status.SKIPPED, mode="skip", skip_reason="branch `<img src=x>@octocat` is not in `branch-map`"
        )
    )
    assert summary.startswith("### Novu sync skipped\n")
    assert_renders_nothing_hostile(summary, sections=0)
    assert "branch-map" in summary


@pytest.mark.parametrize(
    ("reason", "shown"),
    [("x" * 1_001, "x" * 999 + "…"), ("x" * 1_000, "x" * 1_000), (None, "")],
    ids=["over 1000", "1000", "none"],
)
def test_a_skip_summary_shows_its_reason_up_to_1000_characters(reason, shown) -> None:
    summary = render_summary(RunResult(Status.SKIPPED, mode="skip", skip_reason=reason))

    assert summary == f"### Novu sync skipped\n\n{shown}\n"
