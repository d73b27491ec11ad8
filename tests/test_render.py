"""The report as users see it: golden Markdown, GitHub's size limits, and hostile bridge text.

Regenerate the golden files after an intended change with
``UPDATE_GOLDEN=1 .venv/bin/pytest tests/test_render.py`` and review the diff.
"""

from __future__ import annotations

import html
import os
import re
from dataclasses import replace
from pathlib import Path

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
from novu_action.render import (
    COMMENT_LIMIT,
    SUMMARY_LIMIT,
    ReportContext,
    Status,
    escape_markdown,
    render_comment,
    render_failure,
    render_report,
    render_skip,
    render_summary,
)

GOLDEN = Path(__file__).parent / "golden"
MARKER = "<!-- novu-sync-action -->"
RUN_URL = "https://github.com/acme/notifications/actions/runs/4242"
SHORTENED = "This report was shortened to fit GitHub's size limit."

PREVIEW = ReportContext(
    mode="preview",
    environment="Production",
    report_id=None,
    bridge_url="https://notify.acme.dev/api/novu",
    previewing_deployed_bridge=False,
    base_branch="main",
    commit_sha="3f2a9c1d8e7b6a5f4e3d2c1b0a9f8e7d6c5b4a39",
    run_url=RUN_URL,
)
SYNC = replace(PREVIEW, mode="sync", base_branch=None)


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
                    StepDiff("welcome-inbox", StepChange.MOVED, "in_app", "in_app", 0, 1, moved=True),
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
            GuardFinding(Guard.DASHBOARD_CLASH, ("invoice-paid",), "Production"),
            GuardFinding(Guard.DELETIONS_NOT_ALLOWED, ("legacy-reminder",), "Production"),
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


def test_preview_comment_shows_findings_and_deletions_first_then_each_change():
    comment = render_comment(context=PREVIEW, plan=realistic_plan(), marker=MARKER)

    assert_golden("preview", comment)
    assert comment.index("[!CAUTION]") < comment.index("[!WARNING]") < comment.index("<details>")


def test_comment_is_the_summary_with_the_marker_line_first():
    comment = render_comment(context=PREVIEW, plan=realistic_plan(), marker=MARKER)
    summary = render_summary(context=PREVIEW, plan=realistic_plan(), status=Status.PREVIEW)

    assert comment.splitlines()[0] == MARKER
    assert comment == f"{MARKER}\n\n{summary}"


def test_synced_report():
    plan = replace(realistic_plan(), findings=())

    assert_golden("synced", render_summary(context=SYNC, plan=plan, status=Status.SYNCED))


def test_refused_sync_gives_the_findings_as_the_reason():
    plan = Plan(
        workflows=(
            WorkflowChange("digest", Change.DELETE, name="Digest"),
            WorkflowChange("onboarding", Change.DELETE),
            WorkflowChange("welcome", Change.UNCHANGED),
        ),
        findings=(GuardFinding(Guard.DELETIONS_NOT_ALLOWED, ("digest", "onboarding"), "Production"),),
    )
    summary = render_summary(
        context=SYNC,
        plan=plan,
        status=Status.REFUSED,
        error="This sync would delete 2 workflows from Production, and deletions are not allowed.",
    )

    assert_golden("refused", summary)
    assert "This stopped the sync." in summary
    assert summary.count("deletions are not allowed") == 1  # the refusal message is not said twice


def test_a_refusal_without_findings_shows_its_message():
    plan = Plan(workflows=(WorkflowChange("welcome", Change.CREATE),))

    summary = render_summary(
        context=SYNC, plan=plan, status=Status.REFUSED, error="Novu Cloud cannot reach the bridge."
    )

    assert "> Novu Cloud cannot reach the bridge." in summary


def test_a_failed_preview_says_nothing_changed():
    plan = Plan(workflows=(WorkflowChange("welcome", Change.CREATE),))

    summary = render_summary(context=PREVIEW, plan=plan, status=Status.FAILED, error="Timed out.")

    assert "❌ The preview of **Production** failed. Nothing was changed." in summary


def test_failed_sync_shows_the_escaped_error_line_by_line():
    plan = replace(realistic_plan(), findings=())
    error = "Novu answered 502 Bad Gateway.\nIt said: <html><body>upstream @oncall down</body></html>"

    summary = render_summary(context=SYNC, plan=plan, status=Status.FAILED, error=error)

    assert_golden("failed", summary)
    assert "<html>" not in summary


def test_failure_before_a_plan_existed():
    summary = render_failure(
        title="Bridge unreachable",
        message="GET https://notify.acme.dev/api/novu?action=discover failed: 404 Not Found.\n"
        "Check `bridge-url`.",
        context=replace(SYNC, notes=("The bridge answered an unsigned request.",)),
    )

    assert_golden("failure", summary)


def test_failure_without_context_still_has_a_title_and_the_message():
    summary = render_failure(
        title="Invalid inputs", message="mode: must be auto, preview or sync", context=None
    )

    assert summary.startswith("### Novu sync\n")
    assert "mode: must be auto, preview or sync" in summary


def test_preview_without_changes_says_nothing_would_change():
    plan = Plan(
        workflows=(WorkflowChange("welcome", Change.UNCHANGED), WorkflowChange("digest", Change.UNCHANGED))
    )

    summary = render_summary(context=PREVIEW, plan=plan, status=Status.PREVIEW)

    assert_golden("no_changes", summary)
    assert "🟢 create 0 · 🟡 update 0 · 🔴 delete 0 · ⚪ unchanged 2" in summary
    assert "<details>" not in summary


def test_workflow_level_preview_explains_that_updates_are_ids_only_and_the_bridge_is_the_deployed_one():
    plan = Plan(
        workflows=(
            WorkflowChange(
                "welcome",
                Change.UPDATE,
                definition={"steps": [{"stepId": "welcome-email", "type": "email"}]},
            ),
            WorkflowChange("digest", Change.CREATE),
        ),
        detail=Detail.WORKFLOW,
    )
    context = replace(PREVIEW, environment="Development", base_branch="dev", previewing_deployed_bridge=True)

    summary = render_summary(context=context, plan=plan, status=Status.PREVIEW)

    assert_golden("workflow_detail", summary)
    assert "compares workflow ids only" in summary
    assert "`preview-bridge-url`" in summary


def test_report_id_names_the_bridge_in_the_title():
    plan = Plan(
        workflows=(WorkflowChange("billing-alert", Change.DELETE),),
        findings=(GuardFinding(Guard.EMPTY_BRIDGE, ("billing-alert",), "Production"),),
    )
    context = replace(PREVIEW, report_id="billing", notes=("Checked the key against `Production`.",))

    comment = render_comment(context=context, plan=plan, marker="<!-- novu-sync-action id=billing -->")

    assert_golden("with_id", comment)
    assert comment.splitlines()[2] == "### Novu sync preview — Production · billing"


def test_counts_always_show_all_four_kinds():
    plan = Plan(workflows=(WorkflowChange("a", Change.CREATE),))

    summary = render_summary(context=SYNC, plan=plan, status=Status.SYNCED)

    assert "🟢 create 1 · 🟡 update 0 · 🔴 delete 0 · ⚪ unchanged 0" in summary


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

    summary = render_summary(context=SYNC, plan=plan, status=Status.SYNCED)

    order = re.findall(r"<summary>\S+ \w+ <code>([^<]+)</code>", summary)
    assert order == ["a-gone", "b-gone", "d-changed", "a-new", "c-new"]


def test_many_unchanged_workflows_fold_into_one_count():
    plan = Plan(workflows=tuple(WorkflowChange(f"wf-{n:03}", Change.UNCHANGED) for n in range(120)))

    summary = render_summary(context=SYNC, plan=plan, status=Status.SYNCED)

    assert "⚪ unchanged: 120 workflows (not listed)" in summary
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
            FieldDiff(f"payload.properties.field{i}", DiffKind.CHANGED, value, value) for i in range(8)
        ),
        steps=(
            StepDiff(
                f"step-{n}",
                StepChange.CHANGED,
                "email",
                "email",
                0,
                0,
                details=(FieldDiff("controls.properties.body", DiffKind.CHANGED, value, value),),
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
            GuardFinding(Guard.DELETIONS_NOT_ALLOWED, tuple(w.workflow_id for w in deleted), "Production"),
        )
        if deleted
        else (),
    )


def assert_keeps_what_matters(text: str, plan: Plan) -> None:
    counts = " · ".join(
        f"{mark} {change.value} {plan.count(change)}" for mark, change in zip("🟢🟡🔴⚪", Change, strict=True)
    )
    assert counts in text
    for finding in plan.findings:
        assert finding.headline in text
    for workflow in plan.of(Change.DELETE):
        assert f"<code>{workflow.workflow_id}</code>" in text
    assert SHORTENED in text


def test_comment_of_thousands_of_huge_multibyte_changes_fits_and_keeps_counts_deletions_findings():
    plan = huge_plan(updates=1500, creates=500, deletes=300, unchanged=40)

    comment = render_comment(context=PREVIEW, plan=plan, marker=MARKER)

    assert len(comment) <= COMMENT_LIMIT
    assert comment.startswith(MARKER + "\n")
    assert_keeps_what_matters(comment, plan)
    assert f"The job summary of [this run]({RUN_URL}) has more detail." in comment
    assert "… and " in comment  # the long id lists were cut, with the number left out


def test_summary_of_thousands_of_huge_multibyte_changes_fits_in_one_mebibyte():
    plan = huge_plan(updates=3000, creates=2000, deletes=500, unchanged=100)

    summary = render_summary(context=SYNC, plan=plan, status=Status.SYNCED)

    assert len(summary.encode()) <= SUMMARY_LIMIT
    assert_keeps_what_matters(summary, plan)
    assert "The step's `plan` output lists every change as JSON." in summary


def test_details_fold_from_the_end_first_and_every_workflow_keeps_its_line():
    plan = huge_plan(updates=60)

    comment = render_comment(context=PREVIEW, plan=plan, marker=MARKER)

    assert len(comment) <= COMMENT_LIMIT
    assert SHORTENED in comment
    assert "<details><summary>🟡 update <code>update-00000</code>" in comment  # the first keep their diff
    assert "\n- 🟡 update <code>update-00059</code>" in comment  # the last are one line each
    for workflow in plan.workflows:
        assert f"<code>{workflow.workflow_id}</code>" in comment


def test_absurd_deletions_are_capped_with_a_pointer_to_the_plan_output():
    plan = huge_plan(updates=0, deletes=12_000)

    comment = render_comment(context=PREVIEW, plan=plan, marker=MARKER)

    assert len(comment) <= COMMENT_LIMIT
    assert "more deletions — see the `plan` output" in comment
    assert "🔴 delete 12000" in comment
    assert plan.findings[0].headline in comment


def test_absurd_notes_are_cut_at_a_line_and_the_limit_still_holds():
    context = replace(SYNC, notes=("x" * 3 * SUMMARY_LIMIT,))
    plan = realistic_plan()

    summary = render_summary(context=context, plan=plan, status=Status.REFUSED)

    assert len(summary.encode()) <= SUMMARY_LIMIT
    assert "🟢 create 1 · 🟡 update 1 · 🔴 delete 1 · ⚪ unchanged 2" in summary
    assert plan.findings[0].headline in summary
    assert "The rest of this report was cut to fit GitHub's size limit." in summary


def test_a_failure_summary_with_absurd_notes_still_fits():
    context = replace(SYNC, notes=("y" * 2 * SUMMARY_LIMIT,))

    summary = render_failure(title="Bridge unreachable", message="404 Not Found", context=context)

    assert len(summary.encode()) <= SUMMARY_LIMIT
    assert "404 Not Found" in summary


def test_a_tiny_limit_is_still_honoured():
    assert len(render_report(context=SYNC, plan=realistic_plan(), status=Status.SYNCED, limit_chars=40)) <= 40


def test_a_huge_error_is_shortened():
    comment = render_comment(
        context=SYNC, plan=realistic_plan(), marker=MARKER, status=Status.FAILED, error="<" * 500_000
    )

    assert len(comment) <= COMMENT_LIMIT
    assert SHORTENED not in comment  # the error is shortened on its own; the plan keeps its detail
    assert "&lt;…" in comment


PADDING_FIELDS = 40


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
            lambda plan: render_comment(context=PREVIEW, plan=plan, marker=MARKER),
            len,
            COMMENT_LIMIT,
            MARKER,
        ),
        (
            lambda plan: render_summary(context=PREVIEW, plan=plan, status=Status.PREVIEW),
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
        return render_report(context=PREVIEW, plan=plan, status=Status.PREVIEW, header=header)

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
    assert "<code>zz-padding</code>" in over


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
OUR_TAGS = {"details", "/details", "summary", "/summary", "code", "/code", "sub", "/sub"}
OUR_LINE_STARTS = (
    "",
    "### ",
    "> ",
    "- ",
    "<details><summary>",
    "</details>",
    "<sub>",
    "<!-- novu-sync-action",
    "⚪ ",
    "Merging into ",
    "A sync ",
    "✅ ",
    "⛔ ",
    "❌ ",
)


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
                        text, StepChange.CHANGED, text, text + "x", 0, 1, moved=True, details=(diff(text),)
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
            GuardFinding(Guard.DELETIONS_NOT_ALLOWED, deleted, "Production"),
            GuardFinding(Guard.DASHBOARD_CLASH, HOSTILE, "Production"),
        ),
    )


HOSTILE_CONTEXT = replace(
    PREVIEW,
    environment="Prod <b>@ops</b>",
    report_id="[id](http://evil) @team",
    bridge_url="https://evil.example/<script>?q=@someone",
    base_branch="main`</code><script>",
    commit_sha="<img src=x>",
    previewing_deployed_bridge=True,
)


def split_code_blocks(markdown: str) -> tuple[list[str], list[str]]:
    """(lines outside fenced code blocks, lines inside), the way CommonMark reads fences at column 0."""
    outside: list[str] = []
    inside: list[str] = []
    fence: str | None = None
    for line in markdown.split("\n"):
        if fence is None:
            opening = re.match(r"(`{3,})[^`]*$", line)
            if opening:
                fence = opening.group(1)
            else:
                outside.append(line)
        elif re.fullmatch(f"{fence}`*\\s*", line):
            fence = None
        else:
            inside.append(line)
    assert fence is None, "a code block was left open"
    return outside, inside


def assert_renders_nothing_hostile(markdown: str, *, sections: int) -> None:
    outside, inside = split_code_blocks(markdown)
    text = "\n".join(outside)
    shown = html.unescape(text)  # what GitHub's mention and link filters see after entities are decoded

    tags = {tag.lower() for tag in re.findall(r"<(/?[a-zA-Z][^\s>/]*)", text)}
    assert tags <= OUR_TAGS
    assert text.count("<details>") == text.count("</details>") == sections
    assert text.count("<summary>") == text.count("</summary>") == sections
    assert not re.search(r"@[A-Za-z0-9]", shown), "a mention or e-mail autolink could form"
    assert not re.search(r"(?i)https?://(?!github\.com/acme/)|www\.", shown), "an autolink could form"
    assert "![" not in text
    assert re.findall(r"\]\(", text) == ["]("] * text.count("[run log](")
    assert not re.search(r"#\d", shown), "an issue reference could form"
    for markup in ("`tick`", "~~gone~~", "**bold**", "$x$"):
        assert markup not in text
    for line in outside:
        assert line.startswith(OUR_LINE_STARTS), f"bridge text starts a line: {line!r}"
    for line in inside:
        assert line[:1] in "+-! ", f"bridge text starts a line in a code block: {line!r}"
    for line in markdown.split("\n"):
        assert not line.startswith(("::", "##[")), "a line could read as a workflow command"


def test_hostile_names_render_as_plain_text_in_the_comment():
    plan = hostile_plan()
    changed = sum(1 for w in plan.workflows if w.change is not Change.UNCHANGED)

    comment = render_comment(context=HOSTILE_CONTEXT, plan=plan, marker=MARKER)

    assert SHORTENED not in comment
    assert_renders_nothing_hostile(comment, sections=changed)
    assert "\u202e" not in comment


def test_hostile_names_render_as_plain_text_when_listed_by_id_only():
    plan = hostile_plan()

    text = render_report(
        context=HOSTILE_CONTEXT, plan=plan, status=Status.PREVIEW, limit_chars=len(plan.workflows) * 150
    )

    assert "🟡 update (17):" in text
    assert_renders_nothing_hostile(text, sections=0)


def test_hostile_error_and_run_url_render_as_plain_text():
    context = replace(HOSTILE_CONTEXT, run_url="javascript:alert(1)//)")
    error = "\n".join(HOSTILE)

    failed = render_summary(context=context, plan=hostile_plan(), status=Status.FAILED, error=error)
    failure = render_failure(title="Bridge said <b>no</b>", message=error, context=context)

    assert "javascript" not in failed
    assert_renders_nothing_hostile(failed, sections=51)
    assert_renders_nothing_hostile(failure, sections=0)


def test_escape_markdown_keeps_text_readable_once_rendered():
    assert escape_markdown("Welcome email") == "Welcome email"
    assert escape_markdown("a\r\nb\nc") == "a b c"
    assert escape_markdown("@team") == "@&#8203;team"
    assert html.unescape(escape_markdown("<b>*x*</b> [l](u) 1. #2")) == "<b>*x*</b> [l](u) 1. #\u200b2"
    assert escape_markdown("1. first") == "1&#8203;. first"
    assert escape_markdown("- item") == "&#45; item"


def test_skip_summary_shows_the_reason_but_not_a_hostile_branch_name_as_markup() -> None:
    summary = render_skip("branch `<img src=x>@octocat` is not in `branch-map`")
    assert summary.startswith("### Novu sync skipped\n")
    assert "<img" not in summary
    assert "@octocat" not in summary
    assert "branch-map" in summary
