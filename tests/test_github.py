"""The sticky PR comment and the pull request of a commit, through PyGithub, against the local GitHub REST
stand-in."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from novu_action.errors import ActionError
from novu_action.events import PullRequest, WithheldSecrets
from novu_action.github import (
    MARKER_PREFIX,
    ClientPolicy,
    CommentOutcome,
    PullRequestComments,
    comment_marker,
    publish_comment,
    pull_request_for_commit,
)
from novu_action.github_errors import CommentError, GitHubError, PullRequestLookupError
from novu_action.settings import CommentMode
from tests.stand_ins.github_api import GitHubApiStandIn

REPO = "octo-org/notifications"
PR = 42
TOKEN = "ghs_SecretTokenValue0123456789"
READ_ONLY_TOKEN = "ghs_ReadOnlyTokenValue0123456789"
PAT = "github_pat_MonasTokenValue0123456789"  # a person's token: its comments are by the User "mona"
ACTIONS_BOT = "github-actions[bot]"
COMMENTS = f"/repos/{REPO}/issues/{PR}/comments"
ONE_COMMENT = f"/repos/{REPO}/issues/comments/"
HEAD_SHA = "ec26c3e57ca3a959ca5aad62de7213c562f8c821"
NEWER_SHA = "0a1b2c3d4e5f60718293a4b5c6d7e8f901234567"
MARKER = comment_marker(None)
FAST = ClientPolicy(
    retries=2,
    backoff_factor=0,
    secondary_rate_wait=0,
    max_rate_limit_wait=0,
    seconds_between_requests=0,
    seconds_between_writes=0,
    timeout_seconds=5,
)


@pytest.fixture
def github() -> Iterator[GitHubApiStandIn]:
    stand_in = GitHubApiStandIn(
        tokens={TOKEN: ACTIONS_BOT, PAT: "mona"}, read_only_tokens={READ_ONLY_TOKEN: ACTIONS_BOT}
    )
    with stand_in:
        stand_in.add_pull_request(REPO, PR)
        yield stand_in


def rendered(text: str, marker: str = MARKER) -> str:
    return f"{marker}\n### Novu sync preview — Development\n\n{text}\n"


def publish(github: GitHubApiStandIn, **overrides: Any) -> CommentOutcome:
    """One run's ``PullRequestComments(...).publish(...)``; ``overrides`` name either's parameters."""
    where: dict[str, Any] = {
        "token": TOKEN,
        "api_url": github.api_url,
        "repository": REPO,
        "pr_number": PR,
        "withheld": None,
        "policy": FAST,
    }
    what: dict[str, Any] = {
        "body": rendered("🟢 create 1"),
        "marker": MARKER,
        "mode": CommentMode.ALWAYS,
        "has_changes": True,
    }
    comments = PullRequestComments(**{k: overrides.get(k, v) for k, v in where.items()})
    return comments.publish(**{k: overrides.get(k, v) for k, v in what.items()})


def lookup(github: GitHubApiStandIn, sha: str = HEAD_SHA, **overrides: Any) -> PullRequest | None:
    arguments: dict[str, Any] = {
        "token": TOKEN,
        "api_url": github.api_url,
        "repository": REPO,
        "sha": sha,
        "policy": FAST,
    } | overrides
    return pull_request_for_commit(**arguments)


def url_nobody_listens_on() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def bodies(github: GitHubApiStandIn) -> list[str]:
    return [comment.body for comment in github.comments(REPO, PR)]


# -- create, update, unchanged ----------------------------------------------------------------------------


def test_first_run_creates_one_comment_and_returns_its_html_url(github):
    outcome = publish(github, body=rendered("🟢 create 2"))

    [comment] = github.comments(REPO, PR)
    assert outcome.action == "created"
    assert comment.body == rendered("🟢 create 2")
    assert comment.user == ACTIONS_BOT
    assert outcome.url == f"{github.origin}/{REPO}/pull/{PR}#issuecomment-{comment.id}"
    assert outcome.notice is None


def test_second_run_updates_the_same_comment_in_place(github):
    first = publish(github, body=rendered("🟢 create 2"))

    second = publish(github, body=rendered("🟡 update 1"))

    assert second.action == "updated"
    assert second.url == first.url
    assert bodies(github) == [rendered("🟡 update 1")]
    assert len(github.requests_to("POST")) == 1


def test_identical_body_is_left_alone_without_a_patch(github):
    publish(github)

    outcome = publish(github)

    assert outcome.action == "unchanged"
    assert outcome.url is not None
    assert github.requests_to("PATCH") == []
    assert len(github.requests_to("POST")) == 1


def test_comment_among_75_others_is_found_with_one_request_of_100_per_page(github):
    others = [f"discussion {n}" for n in range(75)]
    github.seed_comments(REPO, PR, others[:59])
    [ours] = github.seed_comments(REPO, PR, [rendered("old plan")], user=ACTIONS_BOT)
    github.seed_comments(REPO, PR, others[59:])

    outcome = publish(github, body=rendered("new plan"))

    assert outcome.action == "updated"
    assert [c.body for c in github.comments(REPO, PR) if c.id == ours] == [rendered("new plan")]
    assert len(github.comments(REPO, PR)) == 76
    [listing] = github.requests_to("GET")
    assert listing.query.get("per_page") == "100"


def test_comment_on_the_third_page_is_found_by_following_every_page(github):
    github.seed_comments(REPO, PR, [f"discussion {n}" for n in range(229)])
    github.seed_comments(REPO, PR, [rendered("old plan")], user=ACTIONS_BOT)
    github.seed_comments(REPO, PR, [f"late discussion {n}" for n in range(20)])

    outcome = publish(github, body=rendered("new plan"))

    assert outcome.action == "updated"
    assert github.requests_to("POST") == []
    assert [r.query.get("page", "1") for r in github.requests_to("GET")] == ["1", "2", "3"]
    assert bodies(github).count(rendered("new plan")) == 1


def test_of_several_marked_comments_the_newest_is_updated_and_the_others_are_left_alone(github):
    older, newer = github.seed_comments(
        REPO, PR, [rendered("stale 1"), rendered("stale 2")], user=ACTIONS_BOT
    )

    outcome = publish(github, body=rendered("current"))

    stored = {c.id: c.body for c in github.comments(REPO, PR)}
    assert outcome.action == "updated"
    assert stored == {older: rendered("stale 1"), newer: rendered("current")}


def test_marker_quoted_or_not_on_the_first_line_is_not_ours(github):
    quoted = "> " + rendered("someone quoting the bot")
    mentioned = "What does this mean?\n" + MARKER
    github.seed_comments(REPO, PR, [quoted, mentioned])

    outcome = publish(github)

    assert outcome.action == "created"
    assert bodies(github) == [quoted, mentioned, rendered("🟢 create 1")]


def test_comment_edited_in_the_browser_with_crlf_line_endings_is_still_found(github):
    github.seed_comments(REPO, PR, [rendered("old").replace("\n", "\r\n")], user=ACTIONS_BOT)

    outcome = publish(github)

    assert outcome.action == "updated"
    assert bodies(github) == [rendered("🟢 create 1")]


def test_two_ids_keep_two_separate_comments(github):
    web, api = comment_marker("web"), comment_marker("web-api")

    publish(github, marker=web, body=rendered("web v1", web))
    publish(github, marker=api, body=rendered("api v1", api))
    outcome = publish(github, marker=web, body=rendered("web v2", web))

    assert outcome.action == "updated"
    assert bodies(github) == [rendered("web v2", web), rendered("api v1", api)]


# -- only the action's own comment is ever edited -----------------------------------------------------------


def test_a_persons_newer_marked_comment_is_left_untouched_and_the_actions_own_is_updated(github):
    [ours] = github.seed_comments(REPO, PR, [rendered("old plan")], user=ACTIONS_BOT)
    [theirs] = github.seed_comments(REPO, PR, [rendered("a person's fake plan")], user="mallory")

    outcome = publish(github, body=rendered("new plan"))

    stored = {c.id: c.body for c in github.comments(REPO, PR)}
    assert outcome.action == "updated"
    assert outcome.url is not None
    assert outcome.url.endswith(f"#issuecomment-{ours}")
    assert stored == {ours: rendered("new plan"), theirs: rendered("a person's fake plan")}
    [patch] = github.requests_to("PATCH")
    assert patch.path == f"{ONE_COMMENT}{ours}"
    # The default token is an installation token: GitHub answers its GET /user with 403, so no User's
    # comment can be the action's.
    assert [r.path for r in github.requests_to("GET")] == [COMMENTS, "/user"]


def test_a_persons_marked_comment_alone_is_not_taken_and_the_action_writes_its_own(github):
    [theirs] = github.seed_comments(REPO, PR, [rendered("copied plan")], user="mallory")

    outcome = publish(github, body=rendered("real plan"))

    assert outcome.action == "created"
    assert bodies(github) == [rendered("copied plan"), rendered("real plan")]
    assert github.requests_to("PATCH") == []
    assert [c.user for c in github.comments(REPO, PR) if c.id == theirs] == ["mallory"]


def test_with_the_actions_comment_newest_no_get_user_is_made(github):
    github.seed_comments(REPO, PR, [rendered("someone's older copy")], user="mallory")
    github.seed_comments(REPO, PR, [rendered("old plan")], user=ACTIONS_BOT)

    outcome = publish(github, body=rendered("new plan"))

    assert outcome.action == "updated"
    assert [r.path for r in github.requests_to("GET")] == [COMMENTS]


def test_a_marked_comment_by_another_apps_bot_counts_as_the_actions(github):
    """An app's installation token writes as ``<app>[bot]``; all Bot comments count, at no request."""
    [ours] = github.seed_comments(REPO, PR, [rendered("old plan")], user="novu-previews[bot]")

    outcome = publish(github, body=rendered("new plan"))

    assert outcome.action == "updated"
    assert {c.id: c.body for c in github.comments(REPO, PR)} == {ours: rendered("new plan")}
    assert [r.path for r in github.requests_to("GET")] == [COMMENTS]


def test_with_a_persons_token_their_own_marked_comment_is_found_through_get_user(github):
    [own] = github.seed_comments(REPO, PR, [rendered("old plan")], user="mona")
    [other] = github.seed_comments(REPO, PR, [rendered("another person's copy")], user="octocat")

    outcome = publish(github, token=PAT, body=rendered("new plan"))

    stored = {c.id: c.body for c in github.comments(REPO, PR)}
    assert outcome.action == "updated"
    assert stored == {own: rendered("new plan"), other: rendered("another person's copy")}
    assert [r.path for r in github.requests_to("GET")] == [COMMENTS, "/user"]


def test_with_a_persons_token_another_users_marked_comment_is_not_theirs(github):
    github.seed_comments(REPO, PR, [rendered("octocat's copy")], user="octocat")

    outcome = publish(github, token=PAT, body=rendered("plan"))

    assert outcome.action == "created"
    assert [(c.user, c.body) for c in github.comments(REPO, PR)] == [
        ("octocat", rendered("octocat's copy")),
        ("mona", rendered("plan")),
    ]
    assert github.requests_to("PATCH") == []


def test_get_user_is_asked_once_however_many_marked_comments_people_wrote(github):
    github.seed_comments(REPO, PR, [rendered("mona's own")], user="mona")
    github.seed_comments(REPO, PR, [rendered(f"copy {n}") for n in range(3)], user="octocat")

    outcome = publish(github, token=PAT, body=rendered("new"))

    assert outcome.action == "updated"
    assert [r.path for r in github.requests_to("GET")].count("/user") == 1
    assert bodies(github)[0] == rendered("new")


def test_get_user_failing_fails_the_run_with_a_comment_error_and_edits_nothing(github):
    github.seed_comments(REPO, PR, [rendered("a copy")], user="octocat")
    github.fail_next("GET", "/user", 502, times=5, message="Bad Gateway")

    with pytest.raises(CommentError, match="502") as raised:
        publish(github, token=PAT)

    assert "Re-run the job" in str(raised.value)
    assert PAT not in str(raised.value)
    assert github.requests_to("PATCH") == github.requests_to("POST") == []


# -- a comment deleted while the run works ---------------------------------------------------------------


def test_a_comment_deleted_between_listing_and_updating_is_created_again(github):
    [ours] = github.seed_comments(REPO, PR, [rendered("old plan")], user=ACTIONS_BOT)
    github.before_next("PATCH", ONE_COMMENT, lambda: github.delete_comment(REPO, ours))

    outcome = publish(github, body=rendered("new plan"))

    [comment] = github.comments(REPO, PR)
    assert outcome.action == "created"
    assert comment.id != ours
    assert comment.body == rendered("new plan")
    assert outcome.url is not None
    assert outcome.url.endswith(f"#issuecomment-{comment.id}")
    assert len(github.requests_to("PATCH")) == len(github.requests_to("POST")) == 1


def test_a_deleted_comment_is_not_created_again_when_comment_mode_changes_has_no_changes(github):
    [ours] = github.seed_comments(REPO, PR, [rendered("🔴 delete 1")], user=ACTIONS_BOT)
    github.before_next("PATCH", ONE_COMMENT, lambda: github.delete_comment(REPO, ours))

    outcome = publish(github, mode=CommentMode.CHANGES, has_changes=False, body=rendered("no changes"))

    assert outcome == CommentOutcome("skipped", None, None)
    assert bodies(github) == []
    assert github.requests_to("POST") == []


# -- comment-mode -----------------------------------------------------------------------------------------


def test_mode_changes_without_changes_and_without_a_comment_posts_nothing(github):
    outcome = publish(github, mode=CommentMode.CHANGES, has_changes=False, body=rendered("no changes"))

    assert outcome == CommentOutcome("skipped", None, None)
    assert github.requests_to("POST") == []
    assert bodies(github) == []


def test_mode_changes_with_changes_creates(github):
    outcome = publish(github, mode=CommentMode.CHANGES, has_changes=True)

    assert outcome.action == "created"


def test_mode_changes_still_updates_an_existing_comment_to_say_no_changes(github):
    publish(github, body=rendered("🔴 delete 1"))

    outcome = publish(github, mode=CommentMode.CHANGES, has_changes=False, body=rendered("no changes"))

    assert outcome.action == "updated"
    assert bodies(github) == [rendered("no changes")]


def test_mode_off_sends_no_request_at_all(github):
    outcome = publish(github, mode=CommentMode.OFF)

    assert outcome == CommentOutcome("skipped", None, None)
    assert github.requests == []


# -- forks, tokens, permissions ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("withheld", "named"), [(WithheldSecrets.FORK, "a fork"), (WithheldSecrets.DEPENDABOT, "Dependabot")]
)
def test_fork_or_dependabot_pull_request_sends_no_request_and_explains_why_in_a_notice(
    github, withheld, named
):
    outcome = publish(github, withheld=withheld)

    assert outcome.action == "skipped"
    assert github.requests == []
    assert outcome.notice is not None
    assert f"comes from {named}" in outcome.notice
    assert "read-only token" in outcome.notice
    assert "job summary" in outcome.notice


@pytest.mark.parametrize("token", ["", None])
def test_empty_token_sends_no_request_and_names_the_github_token_input(github, token):
    outcome = publish(github, token=token)

    assert outcome.action == "skipped"
    assert github.requests == []
    assert outcome.notice is not None
    assert "`github-token`" in outcome.notice


def test_read_only_token_skips_with_a_notice_asking_for_pull_requests_write(github):
    outcome = publish(github, token=READ_ONLY_TOKEN)

    assert outcome.action == "skipped"
    assert outcome.notice is not None
    assert "permissions: pull-requests: write" in outcome.notice
    assert "Resource not accessible by integration" in outcome.notice
    assert "job summary" in outcome.notice
    assert bodies(github) == []


def test_read_only_token_cannot_update_either_and_the_comment_stays(github):
    github.seed_comments(REPO, PR, [rendered("old")], user=ACTIONS_BOT)

    outcome = publish(github, token=READ_ONLY_TOKEN, body=rendered("new"))

    assert outcome.action == "skipped"
    assert outcome.notice is not None
    assert "pull-requests: write" in outcome.notice
    assert bodies(github) == [rendered("old")]


def test_other_403_skips_with_githubs_reason(github):
    github.fail_next("POST", COMMENTS, 403, message="Unable to create comment because issue is locked.")

    outcome = publish(github)

    assert outcome.action == "skipped"
    assert outcome.notice is not None
    assert "issue is locked" in outcome.notice


def test_invalid_token_fails_the_run_naming_the_input(github):
    with pytest.raises(CommentError, match="`github-token`") as raised:
        publish(github, token="ghs_RevokedToken")

    assert "401" in str(raised.value)
    assert isinstance(raised.value, ActionError)


def test_unknown_repository_fails_with_a_message_that_says_what_to_check(github):
    with pytest.raises(CommentError) as raised:
        publish(github, repository="octo-org/no-such-repo")

    message = str(raised.value)
    assert "404" in message
    assert "octo-org/no-such-repo" in message
    assert f"#{PR}" in message
    assert "token" in message
    assert raised.value.title == "PR comment failed"
    assert isinstance(raised.value, GitHubError)


# -- no duplicates on flaky writes ------------------------------------------------------------------------


def test_post_that_stores_then_answers_502_leaves_exactly_one_comment(github):
    github.fail_next("POST", COMMENTS, 502, store_anyway=True, message="Bad Gateway")

    outcome = publish(github)

    [comment] = github.comments(REPO, PR)
    assert outcome.action == "created"
    assert outcome.url is not None
    assert outcome.url.endswith(f"#issuecomment-{comment.id}")
    assert len(github.requests_to("POST")) == 1


def test_post_that_stores_then_drops_the_connection_leaves_exactly_one_comment(github):
    github.disconnect_next("POST", COMMENTS, store_anyway=True)

    outcome = publish(github)

    assert outcome.action == "created"
    assert len(github.comments(REPO, PR)) == 1


def test_post_that_fails_with_502_without_storing_is_tried_once_more(github):
    github.fail_next("POST", COMMENTS, 502)

    outcome = publish(github)

    assert outcome.action == "created"
    assert len(github.comments(REPO, PR)) == 1
    assert len(github.requests_to("POST")) == 2


def test_post_that_keeps_failing_fails_the_run_after_two_attempts(github):
    github.fail_next("POST", COMMENTS, 502, times=5, message="Bad Gateway")

    with pytest.raises(CommentError, match="502") as raised:
        publish(github)

    assert "Re-run" in str(raised.value)
    assert len(github.requests_to("POST")) == 2
    assert bodies(github) == []


def test_listing_is_retried_after_a_server_error(github):
    github.fail_next("GET", COMMENTS, 503)

    outcome = publish(github)

    assert outcome.action == "created"
    assert len(github.requests_to("GET")) == 2


def test_update_is_retried_after_a_server_error_because_patch_is_idempotent(github):
    github.seed_comments(REPO, PR, [rendered("old")], user=ACTIONS_BOT)
    github.fail_next("PATCH", f"/repos/{REPO}/issues/comments/", 502, store_anyway=True)

    outcome = publish(github, body=rendered("new"))

    assert outcome.action == "updated"
    assert bodies(github) == [rendered("new")]


def test_body_too_long_fails_the_run_with_githubs_reason(github):
    with pytest.raises(CommentError, match="Body is too long"):
        publish(github, body=rendered("x" * 70_000))

    assert bodies(github) == []


# -- rate limits ------------------------------------------------------------------------------------------


def test_rate_limited_post_is_retried_with_the_wait_capped_and_creates_once(github):
    github.fail_next(
        "POST",
        COMMENTS,
        403,
        message="You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
        headers={"Retry-After": "3600"},
    )
    started = time.monotonic()

    outcome = publish(github)

    assert outcome.action == "created"
    assert len(github.comments(REPO, PR)) == 1
    assert len(github.requests_to("POST")) == 2
    assert time.monotonic() - started < 5


def test_429_with_retry_after_on_the_listing_is_retried(github):
    github.fail_next("GET", COMMENTS, 429, headers={"Retry-After": "1"}, message="Too Many Requests")

    outcome = publish(github)

    assert outcome.action == "created"
    assert len(github.requests_to("GET")) == 2


def test_primary_rate_limit_resetting_later_than_the_cap_fails_the_run_without_waiting(github):
    an_hour_from_now = str(int(time.time()) + 3600)
    github.fail_next(
        "GET",
        COMMENTS,
        403,
        times=5,
        message="API rate limit exceeded for installation ID 1.",
        headers={"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": an_hour_from_now},
    )

    with pytest.raises(CommentError, match="rate limit") as raised:
        publish(github)

    assert "Re-run the job later" in str(raised.value)


# -- GitHub Enterprise Server and the request itself ------------------------------------------------------


def test_ghes_base_path_api_v3_works():
    stand_in = GitHubApiStandIn(tokens={TOKEN: ACTIONS_BOT}, base_path="/api/v3")
    with stand_in as api_url:
        stand_in.add_pull_request(REPO, PR)
        created = publish(stand_in, api_url=api_url + "/")
        updated = publish(stand_in, api_url=api_url, body=rendered("second"))

        assert (created.action, updated.action) == ("created", "updated")
        assert bodies(stand_in) == [rendered("second")]
        assert all(request.path.startswith("/repos/") for request in stand_in.requests)


def test_requests_name_the_project_and_send_the_token_as_githubs_token_scheme(github):
    publish(github)

    for request in github.requests:
        assert request.headers["user-agent"].startswith("novu-sync-action/")
        assert request.headers["authorization"] == f"token {TOKEN}"


def test_the_token_never_appears_in_notices_or_error_messages(github):
    texts: list[str] = []
    texts.append(str(publish(github, token=READ_ONLY_TOKEN).notice))
    for scenario in (
        {"repository": "octo-org/missing"},
        {"token": TOKEN + "-revoked"},
        {"api_url": url_nobody_listens_on()},
    ):
        with pytest.raises(CommentError) as raised:
            publish(github, **scenario)
        texts.append(str(raised.value))
    github.fail_next("GET", COMMENTS, 500, times=5, message=f"internal error for token {TOKEN}")
    with pytest.raises(CommentError) as raised:
        publish(github)
    texts.append(str(raised.value))

    assert all(text and TOKEN not in text and READ_ONLY_TOKEN not in text for text in texts)


def test_unreachable_api_fails_the_run_naming_the_url():
    api_url = url_nobody_listens_on()

    with pytest.raises(CommentError, match=re.escape(f"Could not reach the GitHub API at {api_url}")):
        publish_comment(
            body=rendered("x"),
            marker=MARKER,
            mode=CommentMode.ALWAYS,
            has_changes=True,
            token=TOKEN,
            api_url=api_url,
            repository=REPO,
            pr_number=PR,
            withheld=None,
            policy=FAST,
        )


def test_body_that_does_not_start_with_its_marker_is_a_programming_error(github):
    with pytest.raises(ValueError, match="marker"):
        publish(github, body="### Novu sync preview\n" + MARKER)

    assert github.requests == []


def test_importing_the_module_does_not_import_pygithub():
    probe = "import sys, novu_action.github; print('github' in sys.modules)"

    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)

    assert result.stdout.strip() == "False"


# -- the pull request of a commit -------------------------------------------------------------------------


def test_the_open_pull_request_whose_head_is_the_commit_is_found_with_its_base(github):
    github.add_pull_request(REPO, 3, head_sha=HEAD_SHA, state="closed", merged=True, base_ref="main")
    github.add_pull_request(REPO, 4, head_sha=HEAD_SHA, base_ref="main")
    github.move_head(REPO, 4, NEWER_SHA)  # its head moved on: the deployment is of an older commit
    github.add_pull_request(REPO, 5, head_sha=HEAD_SHA, head_ref="feature/welcome", base_ref="dev")

    found = lookup(github)

    assert found == PullRequest(number=5, base_branch="dev")
    [request] = github.requests
    assert (request.method, request.path) == ("GET", f"/repos/{REPO}/commits/{HEAD_SHA}/pulls")
    assert request.query.get("per_page") == "100"


@pytest.mark.parametrize(
    "scenario", ["commit of no pull request", "closed", "merged", "head moved on", "other head"]
)
def test_no_open_pull_request_headed_by_the_commit_is_none(github, scenario):
    if scenario == "commit of no pull request":
        github.add_commit(REPO, HEAD_SHA)
    elif scenario in ("closed", "merged"):
        github.add_pull_request(REPO, 3, head_sha=HEAD_SHA, state="closed", merged=scenario == "merged")
    elif scenario == "head moved on":
        github.add_pull_request(REPO, 3, head_sha=NEWER_SHA, earlier_commits=[HEAD_SHA])
    else:
        github.add_commit(REPO, HEAD_SHA)
        github.add_pull_request(REPO, 3, head_sha=NEWER_SHA)

    assert lookup(github) is None


def test_of_two_open_pull_requests_with_the_same_head_the_oldest_is_taken(github):
    github.add_pull_request(REPO, 9, head_sha=HEAD_SHA, base_ref="main")
    github.add_pull_request(REPO, 8, head_sha=HEAD_SHA, base_ref="dev")

    assert lookup(github) == PullRequest(number=8, base_branch="dev")


def test_the_pull_request_on_the_second_page_is_found(github):
    for number in range(1, 131):
        github.add_pull_request(REPO, number, head_sha=NEWER_SHA, earlier_commits=[HEAD_SHA])
    github.add_pull_request(REPO, 131, head_sha=HEAD_SHA, base_ref="dev")

    assert lookup(github) == PullRequest(number=131, base_branch="dev")
    assert [r.query.get("page", "1") for r in github.requests] == ["1", "2"]


def test_the_lookup_is_retried_after_a_server_error(github):
    github.add_pull_request(REPO, 5, head_sha=HEAD_SHA)
    github.fail_next("GET", f"/repos/{REPO}/commits/", 503)

    assert lookup(github) == PullRequest(number=5, base_branch="main")
    assert len(github.requests) == 2


@pytest.mark.parametrize(
    ("scenario", "expected"),
    [
        ({"token": "ghs_RevokedToken"}, ["401", "`github-token`", "invalid or has expired"]),
        ({"repository": "octo-org/missing"}, ["404", "octo-org/missing", "token"]),
        ({"sha": "0" * 40}, ["422", "No commit found", "deployment", "not in this repository"]),
        ({"fail": (503, "Service Unavailable")}, ["503", "Re-run the job", "githubstatus"]),
        ({"fail": (403, "Resource not accessible by integration")}, ["403", "pull-requests: read"]),
        ({"api_url": "unreachable"}, ["Could not reach the GitHub API at http://127.0.0.1:", "Re-run"]),
        ({"token": ""}, ["`github-token` input is empty"]),
    ],
    ids=["bad token", "unknown repository", "unknown commit", "5xx", "403", "unreachable", "empty token"],
)
def test_lookup_failures_are_clear_lookup_errors_without_the_token(github, scenario, expected):
    github.add_pull_request(REPO, 5, head_sha=HEAD_SHA)
    arguments = dict(scenario)
    if "fail" in arguments:
        status, message = arguments.pop("fail")
        github.fail_next("GET", f"/repos/{REPO}/commits/", status, times=5, message=message + f" {TOKEN}")
    if arguments.get("api_url") == "unreachable":
        arguments["api_url"] = url_nobody_listens_on()

    with pytest.raises(PullRequestLookupError) as raised:
        lookup(github, **arguments)

    message = str(raised.value)
    for text in expected:
        assert text in message
    assert TOKEN not in message
    assert raised.value.title == "Pull request lookup failed"
    assert isinstance(raised.value, GitHubError)
    assert not isinstance(raised.value, CommentError)


# -- the marker ------------------------------------------------------------------------------------------


def test_marker_without_id_and_with_empty_id_is_the_same():
    assert comment_marker(None) == comment_marker("") == '<!-- novu-sync-action id="" -->'


def test_marker_keeps_an_ordinary_id_readable():
    assert comment_marker("web-app_2") == '<!-- novu-sync-action id="web-app_2" -->'


@pytest.mark.parametrize("hostile", ["-->", "a--b", 'x" --><script>', "--!>", "<!--", "a -->"])
def test_marker_id_cannot_end_the_html_comment_or_the_quotes(hostile):
    marker = comment_marker(hostile)
    inside = marker.removeprefix('<!-- novu-sync-action id="').removesuffix('" -->')

    assert "--" not in inside
    assert ">" not in inside
    assert '"' not in inside
    assert "<" not in inside


@given(st.text(), st.text())
def test_different_ids_never_share_a_marker(first, second):
    if first != second:
        assert comment_marker(first) != comment_marker(second)


@given(st.text())
def test_every_marker_is_one_line_that_starts_with_the_prefix_and_closes_once(comment_id):
    marker = comment_marker(comment_id)

    assert marker.startswith(MARKER_PREFIX + ' id="')
    assert marker.endswith('" -->')
    assert marker.count("-->") == 1
    assert marker.count("--") == 2  # the opening "<!--" and the closing "-->"
    assert "\n" not in marker
    assert "\r" not in marker
