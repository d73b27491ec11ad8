"""What the action says when a call to GitHub's REST API fails: the error classes and their messages.

Messages are built from the status, GitHub's own message and what the call was for (``GitHubCall``), and
never contain the token (``redacted`` guards against GitHub echoing it back).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from novu_action.errors import ActionError

if TYPE_CHECKING:
    from github.GithubException import GithubException

UNAUTHORIZED = 401
FORBIDDEN = 403
NOT_FOUND = 404
UNPROCESSABLE = 422
TOO_MANY_REQUESTS = 429
FIRST_SERVER_ERROR = 500

PLAN_IN_SUMMARY = "The plan is in the job summary."


class GitHubError(ActionError):
    """A call to GitHub's REST API failed in a way that must fail the run."""

    title = "GitHub API call failed"


class CommentError(GitHubError):
    """The comment could not be written (bad token, wrong repository, GitHub down)."""

    title = "PR comment failed"


class PullRequestLookupError(GitHubError):
    """The pull request of a deployment's commit could not be looked up."""

    title = "Pull request lookup failed"


@dataclass(frozen=True)
class GitHubCall:
    """What a failing request was for, so that its message says so."""

    what: str  # "the comment on pull request #42 in octo/repo"
    doing: str  # "commenting on pull request #42 in octo/repo"
    not_found: str  # what a 404 means for this call
    forbidden: str  # how to grant what a 403 "not accessible by integration" lacks


def is_rate_limit(error: GithubException) -> bool:
    from github.GithubException import RateLimitExceededException

    return isinstance(error, RateLimitExceededException) or "retry-after" in {
        name.lower() for name in (error.headers or {})
    }


def github_message(error: GithubException) -> str:
    data = error.data if isinstance(error.data, dict) else {}
    details = [item.get("message") for item in data.get("errors") or [] if isinstance(item, dict)]
    messages = [str(message) for message in [data.get("message"), *details] if message]
    return ": ".join(messages) or "no message"


def forbidden_notice(error: GithubException, *, where: str) -> str:
    message = github_message(error)
    if "not accessible by integration" in message.lower():
        return (
            f"No PR comment: the token cannot write comments on {where} (GitHub answered 403 "
            f'"{message}"). Grant it with `permissions: pull-requests: write` on the job. {PLAN_IN_SUMMARY}'
        )
    return (
        f'No PR comment: GitHub refused to let the token comment on {where} (403 "{message}"). '
        + PLAN_IN_SUMMARY
    )


def failure_message(error: GithubException, call: GitHubCall) -> str:
    status, message = error.status, github_message(error)
    if status == UNAUTHORIZED:
        return (
            f'GitHub rejected the `github-token` (401 "{message}"): it is invalid or has expired. Leave the '
            "input at its default (`${{ github.token }}`) or pass a valid token."
        )
    if status == NOT_FOUND:
        return f"GitHub answered 404 while {call.doing}: {call.not_found}."
    if status == TOO_MANY_REQUESTS or (status == FORBIDDEN and is_rate_limit(error)):
        return (
            f'GitHub\'s rate limit stopped {call.what} ({status} "{message}"), and the wait it asked for is '
            "longer than this action waits. Re-run the job later."
        )
    if status == FORBIDDEN and "not accessible by integration" in message.lower():
        return f'GitHub refused {call.what} (403 "{message}"): the token lacks a permission. {call.forbidden}'
    if status == FORBIDDEN:
        return f'GitHub refused {call.what} (403 "{message}"). Check the token\'s access to the repository.'
    if status >= FIRST_SERVER_ERROR:
        return (
            f'GitHub kept failing while {call.doing} ({status} "{message}"), also after retries. Re-run the '
            "job; if it persists, check https://www.githubstatus.com."
        )
    return f'GitHub refused {call.what} ({status} "{message}"). Please report this as a bug.'


def unreachable(api_url: str, call: GitHubCall, error: Exception) -> str:
    return (
        f"Could not reach the GitHub API at {api_url} while {call.doing} ({type(error).__name__}). Re-run "
        "the job; on GitHub Enterprise Server check that the runner can reach the API."
    )


def redacted(text: str, token: str) -> str:
    """Messages are built without the token; this guards against GitHub ever echoing it back."""
    return text.replace(token, "***")
