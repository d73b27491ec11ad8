"""Pull-request previews, end to end: the real bridge, the Novu Cloud emulator and the GitHub API stand-in."""

from __future__ import annotations

import pytest

from tests.conftest import example_bridge_workflows, last_months_workflows, pull_request_event
from tests.e2e.conftest import GITHUB_TOKEN, PROD_KEY
from tests.stand_ins.bridge_process import RunningBridge, start_bridge
from tests.stand_ins.github_api import GitHubApiStandIn

pytestmark = pytest.mark.e2e

MARKER = "<!-- novu-sync-action"


@pytest.fixture(scope="module")
def pr_bridge():
    """The pull request's preview deployment: it no longer serves sms-alert."""
    bridge = start_bridge(secret_key=PROD_KEY, workflows=("welcome", "digest-comments", "invoice-paid"))
    yield bridge
    bridge.stop()


@pytest.fixture
def production(novu):
    """Production as the last sync left it: welcome as in the PR, an older digest-comments, and sms-alert."""
    novu.seed_synced("Production", last_months_workflows(), bridge_url="https://bridge.example.com/api/novu")
    novu.seed_workflow("Production", workflow_id="invoice-paid", origin="novu-cloud", name="Invoice paid")
    return novu


def preview_inputs(
    novu, *, preview_bridge: RunningBridge | None, prod_bridge: RunningBridge, **extra: str
) -> dict[str, str]:
    inputs = {
        "api-url": novu.base_url,
        "production-secret-key": PROD_KEY,
        "production-bridge-url": prod_bridge.url,
        "github-token": GITHUB_TOKEN,
        "timeout": "10",
    }
    if preview_bridge is not None:
        inputs["preview-bridge-url"] = preview_bridge.url
    inputs.update(extra)
    return inputs


def test_pull_request_into_main_previews_production_in_one_sticky_comment(
    run_action, production, github_api, pr_bridge, prod_bridge
):
    inputs = preview_inputs(production, preview_bridge=pr_bridge, prod_bridge=prod_bridge)
    run = run_action(
        event_name="pull_request", event=pull_request_event(base="main", number=2), inputs=inputs
    )

    assert run.returncode == 0, run.log
    assert run.outputs["mode"] == "preview"
    assert run.outputs["environment"] == "Production"
    counts = tuple(run.outputs[k] for k in ("created", "updated", "deleted", "unchanged"))
    assert counts == ("1", "1", "1", "1")
    assert run.outputs["has-changes"] == "true"
    assert run.outputs["success"] == "true"
    assert run.outputs["result"] == "{}"
    changes = {w["workflowId"]: w["change"] for w in run.plan["workflows"]}
    assert changes == {
        "digest-comments": "update",
        "invoice-paid": "create",
        "sms-alert": "delete",
        "welcome": "unchanged",
    }
    assert production.requests_to("POST", "/v1/bridge/sync") == []
    assert production.requests_to("POST", "/v1/bridge/validate") == []

    comments = github_api.comments("acme/notifications", 2)
    assert len(comments) == 1
    body = comments[0].body
    assert body.startswith(MARKER)
    assert run.outputs["comment-url"] == (
        f"{github_api.origin}/acme/notifications/pull/2#issuecomment-{comments[0].id}"
    )
    for text in (
        "Production",
        "sms-alert",
        "digest-comments",
        "invoice-paid",
        "allow-deletions",
        "Dashboard",
    ):
        assert text in body
    assert "amount" in body  # the step control whose default changed
    assert "ec26c3e" in body  # the PR head commit, not the merge commit
    assert body.split("\n", 1)[1].strip() == run.summary.strip()
    warnings = run.annotations("warning")
    assert any("sms-alert" in w for w in warnings)
    assert any("invoice-paid" in w for w in warnings)
    assert not run.annotations("error")

    again = run_action(
        event_name="pull_request",
        event=pull_request_event(base="main", number=2, head_sha="0a1b2c3d4e5f60718293a4b5c6d7e8f901234567"),
        inputs=inputs,
    )
    assert again.returncode == 0, again.log
    comments = github_api.comments("acme/notifications", 2)
    assert len(comments) == 1
    assert again.outputs["comment-url"] == run.outputs["comment-url"]
    assert "0a1b2c3" in comments[0].body
    assert len(github_api.requests_to("PATCH")) == 1


def test_fail_on_refusal_fails_the_check_with_one_error_and_still_writes_the_comment(
    run_action, production, github_api, pr_bridge, prod_bridge
):
    inputs = preview_inputs(
        production, preview_bridge=pr_bridge, prod_bridge=prod_bridge, **{"fail-on-refusal": "true"}
    )
    run = run_action(
        event_name="pull_request", event=pull_request_event(base="main", number=2), inputs=inputs
    )

    assert run.returncode == 1, run.log
    errors = run.annotations("error")
    assert len(errors) == 1
    assert "would be refused" in errors[0]
    assert "fail-on-refusal: true" in errors[0]
    assert "sms-alert" in errors[0]
    assert run.outputs["success"] == "false"
    assert run.outputs["deleted"] == "1"
    comments = github_api.comments("acme/notifications", 2)
    assert len(comments) == 1
    assert "sms-alert" in comments[0].body
    assert run.outputs["comment-url"].endswith(f"#issuecomment-{comments[0].id}")
    assert production.requests_to("POST", "/v1/bridge/sync") == []


def test_preview_without_a_preview_bridge_says_it_shows_the_deployed_bridge(
    run_action, novu, github_api, prod_bridge
):
    bypass = "vercelBypassInPreview987"
    inputs = preview_inputs(
        novu,
        preview_bridge=None,
        prod_bridge=prod_bridge,
        **{"production-bridge-url": f"{prod_bridge.url}?x-vercel-protection-bypass={bypass}"},
    )
    run = run_action(event_name="pull_request", event=pull_request_event(base="main"), inputs=inputs)
    assert run.returncode == 0, run.log
    assert run.outputs["created"] == "4"
    body = github_api.comments("acme/notifications", 2)[0].body
    assert "preview-bridge-url" in run.summary
    assert "preview-bridge-url" in body
    assert "x-vercel-protection-bypass=REDACTED" in body
    for secret in (bypass, PROD_KEY, GITHUB_TOKEN):
        assert secret not in body


def test_fork_pull_request_without_secrets_is_skipped_quietly(run_action, novu, github_api, prod_bridge):
    inputs = preview_inputs(
        novu, preview_bridge=None, prod_bridge=prod_bridge, **{"production-secret-key": ""}
    )
    event = pull_request_event(base="main", head_repo="someone/notifications")
    run = run_action(event_name="pull_request", event=event, inputs=inputs)
    assert run.returncode == 0, run.log
    assert run.outputs["mode"] == "skip"
    assert any("fork" in line for line in run.annotations("notice"))
    assert novu.requests == []
    assert github_api.requests == []


def test_read_only_token_still_gives_the_plan_in_the_summary(run_action, novu, prod_bridge):
    read_only = GitHubApiStandIn(read_only_tokens={GITHUB_TOKEN: "github-actions[bot]"})
    read_only.start()
    read_only.add_pull_request("acme/notifications", 2)
    try:
        inputs = preview_inputs(novu, preview_bridge=None, prod_bridge=prod_bridge)
        run = run_action(
            event_name="pull_request",
            event=pull_request_event(base="main"),
            inputs=inputs,
            github_api_url=read_only.api_url,
        )
    finally:
        read_only.stop()
    assert run.returncode == 0, run.log
    assert run.outputs["comment-url"] == ""
    assert any("pull-requests: write" in line for line in run.annotations("notice"))
    assert "welcome" in run.summary
    assert not read_only.comments("acme/notifications", 2)


def test_comment_mode_changes_writes_no_comment_when_nothing_changes(
    run_action, novu, github_api, prod_bridge
):
    novu.seed_synced(
        "Production",
        list(example_bridge_workflows().values()),
        bridge_url="https://bridge.example.com/api/novu",
    )
    inputs = preview_inputs(novu, preview_bridge=None, prod_bridge=prod_bridge, **{"comment-mode": "changes"})
    run = run_action(event_name="pull_request", event=pull_request_event(base="main"), inputs=inputs)
    assert run.returncode == 0, run.log
    assert run.outputs["has-changes"] == "false"
    assert run.outputs["unchanged"] == "4"
    assert github_api.requests_to("POST") == []
    assert run.outputs["comment-url"] == ""


def test_pull_request_target_from_a_fork_gets_its_comment(run_action, novu, github_api, prod_bridge):
    """pull_request_target runs in the base repository with its secrets and a writable token."""
    inputs = preview_inputs(novu, preview_bridge=None, prod_bridge=prod_bridge)
    event = pull_request_event(base="main", head_repo="someone/notifications")
    run = run_action(event_name="pull_request_target", event=event, inputs=inputs)
    assert run.returncode == 0, run.log
    assert run.outputs["mode"] == "preview"
    assert len(github_api.comments("acme/notifications", 2)) == 1


def test_scheduled_drift_check_previews_without_a_pull_request(
    run_action, production, github_api, prod_bridge
):
    inputs = preview_inputs(
        production,
        preview_bridge=None,
        prod_bridge=prod_bridge,
        mode="preview",
        environment="Production",
    )
    run = run_action(
        event_name="schedule", event={"schedule": "17 6 * * 1-5"}, inputs=inputs, ref="refs/heads/main"
    )
    assert run.returncode == 0, run.log
    assert (run.outputs["mode"], run.outputs["has-changes"]) == ("preview", "true")
    assert run.outputs["comment-url"] == ""
    assert production.requests_to("POST", "/v1/bridge/sync") == []
    assert github_api.requests == []
    assert "digest-comments" in run.summary
