"""GitHub's side of a run, end to end: the pull request of a preview deployment, and the sticky comment that
is only ever the action's own. The real bridge, the Novu Cloud emulator and the GitHub API stand-in."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import GITHUB_TOKEN, PROD_KEY
from tests.factories import HEAD_SHA, deployment_status_event, last_months_workflows, pull_request_event
from tests.stand_ins.bridge_process import RunningBridge
from tests.stand_ins.github_api import GitHubApiStandIn
from tests.stand_ins.novu_cloud import NovuCloudEmulator

pytestmark = pytest.mark.e2e

REPO = "acme/notifications"
MARKER = "<!-- novu-sync-action"
PULLS_OF_HEAD = f"/repos/{REPO}/commits/{HEAD_SHA}/pulls"


@pytest.fixture
def production(novu: NovuCloudEmulator) -> NovuCloudEmulator:
    """Production as last month's sync left it: the bridge's code changes something there."""
    novu.seed_synced("Production", last_months_workflows(), bridge_url="https://bridge.example.com/api/novu")
    return novu


def deployment_inputs(novu: NovuCloudEmulator) -> dict[str, str]:
    """No bridge URL at all: a deployment_status preview discovers at the deployment's URL + `bridge-path`."""
    return {
        "api-url": novu.base_url,
        "production-secret-key": PROD_KEY,
        "github-token": GITHUB_TOKEN,
        "timeout": "10",
    }


def deployment_of(bridge: RunningBridge) -> dict[str, object]:
    """A successful preview deployment of HEAD_SHA served by ``bridge``: its origin is the deployment URL."""
    return deployment_status_event(
        sha=HEAD_SHA, environment="Preview", environment_url=bridge.url.removesuffix("/api/novu")
    )


def test_a_preview_deployment_is_previewed_on_the_pull_request_whose_head_it_deployed(
    run_action, production, github_api: GitHubApiStandIn, prod_bridge
):
    github_api.add_pull_request(REPO, 6, head_sha=HEAD_SHA, state="closed", merged=True, base_ref="dev")
    github_api.add_pull_request(REPO, 7, head_sha=HEAD_SHA, head_ref="feature/welcome", base_ref="main")

    run = run_action(
        event_name="deployment_status", event=deployment_of(prod_bridge), inputs=deployment_inputs(production)
    )

    assert run.returncode == 0, run.log
    assert (run.outputs["mode"], run.outputs["environment"]) == ("preview", "Production")
    assert run.outputs["has-changes"] == "true"
    # Discovered at the deployment's URL + `bridge-path`, and said so.
    assert f"preview deployment at `{prod_bridge.url}`" in run.summary
    assert production.requests_to("POST", "/v1/bridge/sync") == []
    [comment] = github_api.comments(REPO, 7)
    assert comment.body.startswith(MARKER)
    assert comment.user == "github-actions[bot]"
    assert f"preview deployment at `{prod_bridge.url}`" in comment.body
    assert "Merging into `main`" in comment.body
    assert "ec26c3e" in comment.body
    assert run.outputs["comment-url"] == f"{github_api.origin}/{REPO}/pull/7#issuecomment-{comment.id}"
    assert github_api.comments(REPO, 6) == []
    assert github_api.comments(REPO, 2) == []
    assert (github_api.requests[0].method, github_api.requests[0].path) == ("GET", PULLS_OF_HEAD)
    assert not run.annotations("error")


def test_a_deployment_of_a_commit_with_no_open_pull_request_is_skipped_with_a_notice(
    run_action, novu, github_api: GitHubApiStandIn, prod_bridge
):
    github_api.add_pull_request(REPO, 7, head_sha=HEAD_SHA, state="closed", merged=True)

    run = run_action(
        event_name="deployment_status", event=deployment_of(prod_bridge), inputs=deployment_inputs(novu)
    )

    assert run.returncode == 0, run.log
    assert run.outputs["mode"] == "skip"
    notices = run.annotations("notice")
    assert any("no open pull request" in line and "ec26c3e" in line for line in notices), run.log
    assert not run.annotations("error")
    assert [(r.method, r.path) for r in github_api.requests] == [("GET", PULLS_OF_HEAD)]
    assert novu.requests == []


def test_a_persons_newer_comment_with_the_marker_is_left_alone_and_the_actions_own_is_updated(
    run_action, production, github_api: GitHubApiStandIn, prod_bridge
):
    inputs = {
        "api-url": production.base_url,
        "production-secret-key": PROD_KEY,
        "production-bridge-url": prod_bridge.url,
        "github-token": GITHUB_TOKEN,
        "timeout": "10",
    }
    first = run_action(
        event_name="pull_request", event=pull_request_event(base="main", number=2), inputs=inputs
    )
    assert first.returncode == 0, first.log
    [ours] = github_api.comments(REPO, 2)
    marker = ours.body.split("\n", 1)[0]
    fake = f"{marker}\n### Novu sync preview — Production\n\nNothing changes. Merge away!\n"
    [theirs] = github_api.seed_comments(REPO, 2, [fake], user="mallory")

    second = run_action(
        event_name="pull_request",
        event=pull_request_event(base="main", number=2, head_sha="0a1b2c3d4e5f60718293a4b5c6d7e8f901234567"),
        inputs=inputs,
    )

    assert second.returncode == 0, second.log
    stored = {comment.id: comment for comment in github_api.comments(REPO, 2)}
    assert set(stored) == {ours.id, theirs}
    assert stored[theirs].body == fake
    assert stored[theirs].user == "mallory"
    assert "0a1b2c3" in stored[ours.id].body
    assert stored[ours.id].user == "github-actions[bot]"
    assert second.outputs["comment-url"] == first.outputs["comment-url"]
    [patch] = github_api.requests_to("PATCH")
    assert patch.path == f"/repos/{REPO}/issues/comments/{ours.id}"
    assert len(github_api.requests_to("POST")) == 1  # the first run's
