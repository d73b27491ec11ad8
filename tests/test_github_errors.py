"""What each GitHub error answer is turned into: one sentence that says what happened and what to do.

The same messages are reached through the real client in tests/test_github.py; here each branch is pinned
with PyGithub's own exception, including the ones the stand-in cannot easily produce."""

from __future__ import annotations

import pytest
from github.GithubException import GithubException, RateLimitExceededException

from novu_action.github_errors import (
    GitHubCall,
    failure_message,
    forbidden_notice,
    github_message,
    is_rate_limit,
    redacted,
    unreachable,
)

CALL = GitHubCall(
    what="the comment on pull request #7 in octo/repo",
    doing="commenting on pull request #7 in octo/repo",
    not_found="the repository or pull request does not exist, or the token cannot see it",
    forbidden="Grant it with `permissions: pull-requests: write` on the job.",
)


def answer(status: int, data: object, headers: dict[str, str] | None = None) -> GithubException:
    return GithubException(status, data, headers or {})


def test_githubs_message_joins_the_message_and_each_validation_error():
    errors = [{"message": "Body is too long"}, "x", {}]
    error = answer(422, {"message": "Validation Failed", "errors": errors})
    assert github_message(error) == "Validation Failed: Body is too long"
    assert github_message(answer(502, "<html>Bad gateway</html>")) == "no message"


def test_a_rate_limit_is_known_by_its_exception_or_a_retry_after_header():
    assert is_rate_limit(RateLimitExceededException(403, {"message": "API rate limit exceeded"}, {}))
    assert is_rate_limit(answer(403, {"message": "secondary rate limit"}, {"Retry-After": "60"}))
    assert not is_rate_limit(answer(403, {"message": "Resource not accessible by integration"}))


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (answer(401, {"message": "Bad credentials"}), ['401 "Bad credentials"', "invalid or has expired"]),
        (answer(404, {"message": "Not Found"}), ["404 while commenting on pull request #7", "see it."]),
        (answer(429, {"message": "slow down"}), ["rate limit stopped the comment", "Re-run the job later"]),
        (
            answer(403, {"message": "secondary rate limit"}, {"Retry-After": "60"}),
            ["rate limit stopped", '403 "secondary rate limit"'],
        ),
        (
            answer(403, {"message": "Resource not accessible by integration"}),
            ["lacks a permission", "pull-requests: write"],
        ),
        (answer(403, {"message": "Repository access blocked"}), ["Check the token's access"]),
        (answer(503, {"message": "Service Unavailable"}), ["kept failing while commenting", "githubstatus"]),
        (answer(418, {"message": "teapot"}), ['pull request #7 in octo/repo (418 "teapot")', "bug"]),
    ],
)
def test_each_failure_says_what_happened_and_what_to_do(error, expected):
    message = failure_message(error, CALL)
    for part in expected:
        assert part in message


def test_a_forbidden_comment_is_a_notice_that_points_to_the_summary():
    lacking = forbidden_notice(answer(403, {"message": "Resource not accessible by integration"}), where="#7")
    other = forbidden_notice(answer(403, {"message": "Blocked"}), where="#7")
    assert "Grant it with `permissions: pull-requests: write`" in lacking
    assert 'refused to let the token comment on #7 (403 "Blocked")' in other
    assert lacking.endswith("The plan is in the job summary.")
    assert other.endswith("The plan is in the job summary.")


def test_an_unreachable_api_names_the_address_and_the_error_type_only():
    message = unreachable("https://ghe.example.com/api/v3", CALL, ConnectionError("secret detail"))
    assert "https://ghe.example.com/api/v3" in message
    assert "ConnectionError" in message
    assert "secret detail" not in message


def test_a_token_echoed_by_github_is_redacted():
    assert redacted("token ghs_abc was rejected", "ghs_abc") == "token *** was rejected"
