"""GitHub's REST API: the one sticky pull-request comment per pull request and ``id``, and the pull request a
deployment's commit belongs to.

The sticky comment is found again by its hidden marker line **and** its author: only a comment written by
the identity behind ``github-token`` is the action's, so a person who posts a comment starting with the
marker can neither make the action overwrite it nor hide the real plan behind it. A marked comment by a
``Bot`` account counts as the action's (``github-actions[bot]`` for the default token, ``<app>[bot]`` for an
app's); a marked comment by a ``User`` counts only when that user is the token's own (a personal access
token), which ``GET /user`` tells, asked at most once and only when such a comment exists. Nothing else is
ever edited, and nothing is ever deleted.

PyGithub is imported only inside the functions that talk to GitHub, so runs that never comment (push,
``comment-mode: off``, fork pull requests) do not pay for importing it.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from novu_action import __version__
from novu_action.events import PullRequest, WithheldSecrets
from novu_action.github_errors import (
    FIRST_SERVER_ERROR,
    FORBIDDEN,
    NOT_FOUND,
    PLAN_IN_SUMMARY,
    TOO_MANY_REQUESTS,
    UNPROCESSABLE,
    CommentError,
    GitHubCall,
    PullRequestLookupError,
    failure_message,
    forbidden_notice,
    github_message,
    is_rate_limit,
    redacted,
    unreachable,
)
from novu_action.settings import CommentMode

if TYPE_CHECKING:
    from collections.abc import Iterable

    from github import Github
    from github.GithubRetry import GithubRetry
    from github.Issue import Issue
    from github.IssueComment import IssueComment

MARKER_PREFIX = "<!-- novu-sync-action"
USER_AGENT = f"novu-sync-action/{__version__}"

_ID_CHARACTERS_KEPT = frozenset(string.ascii_letters + string.digits + "_.-:/@+")
# GitHub answers these before acting on a request, so repeating even a POST cannot duplicate a comment.
_REJECTED_UNPROCESSED = frozenset({FORBIDDEN, TOO_MANY_REQUESTS})
# `user.type` of the accounts whose comments may be the action's (the simple-user schema's `type`).
_BOT, _USER = "Bot", "User"

_WITHHELD_NOTICE = (
    "No PR comment: this pull request comes from {who}, and GitHub gives such pull_request runs a read-only "
    f"token and no secrets, so this run does not try to write one. {PLAN_IN_SUMMARY}"
)
_EMPTY_TOKEN_NOTICE = (
    "No PR comment: the `github-token` input is empty. Leave it at its default (`${{ github.token }}`) or "
    f"pass a token that may write pull-request comments. {PLAN_IN_SUMMARY}"
)


@dataclass(frozen=True)
class CommentOutcome:
    action: Literal["created", "updated", "unchanged", "skipped"]
    url: str | None  # the comment's html_url
    notice: str | None  # text for a ::notice:: when the comment was skipped for a reason the user should know


@dataclass(frozen=True)
class ClientPolicy:
    """How patient the GitHub client is. The defaults are for production; tests pass a fast policy."""

    retries: int = 5
    backoff_factor: float = 1.0  # 0, 2, 4, 8, 16 seconds between retries of a failing GET or PATCH
    secondary_rate_wait: float = 60.0  # GitHub asks for at least a minute after a secondary rate limit
    # A primary-limit reset further away fails the run; a longer Retry-After is cut to this.
    max_rate_limit_wait: int = 120
    # A run makes two or three requests; pausing between reads only makes every preview slower.
    seconds_between_requests: float = 0.0
    seconds_between_writes: float = 1.0  # keeps clear of the 80 content-creating requests per minute
    timeout_seconds: int = 15


PRODUCTION_POLICY = ClientPolicy()


@dataclass(frozen=True)
class PullRequestComments:
    """The sticky comment of one pull request, as ``pipeline.CommentPublisher``."""

    token: str | None
    api_url: str
    repository: str
    pr_number: int
    withheld: WithheldSecrets | None
    policy: ClientPolicy = PRODUCTION_POLICY

    def publish(self, *, body: str, marker: str, mode: CommentMode, has_changes: bool) -> CommentOutcome:
        return publish_comment(
            body=body,
            marker=marker,
            mode=mode,
            has_changes=has_changes,
            token=self.token,
            api_url=self.api_url,
            repository=self.repository,
            pr_number=self.pr_number,
            withheld=self.withheld,
            policy=self.policy,
        )


def comment_marker(comment_id: str | None) -> str:
    """The hidden first line of the comment for the bridge named ``comment_id`` (no id and ``""`` agree).

    The id is percent-encoded (UTF-8) except for a few safe characters, so it can neither close the HTML
    comment (no ``>``, no ``--``) nor the quotes, and distinct ids always give distinct markers.
    """
    return f'{MARKER_PREFIX} id="{_escape_id(comment_id or "")}" -->'


def publish_comment(
    *,
    body: str,
    marker: str,
    mode: CommentMode,
    has_changes: bool,
    token: str | None,
    api_url: str,
    repository: str,
    pr_number: int,
    withheld: WithheldSecrets | None,
    policy: ClientPolicy = PRODUCTION_POLICY,
) -> CommentOutcome:
    """Create, update or leave alone the action's own comment on the pull request that starts with ``marker``.

    ``body`` is the whole rendered comment and must start with the ``marker`` line. Raises CommentError
    when the failure must fail the run; a token that may not write comments only skips, with a notice.
    """
    if mode is CommentMode.OFF:
        return CommentOutcome("skipped", None, None)
    if withheld is not None:
        return CommentOutcome("skipped", None, _WITHHELD_NOTICE.format(who=withheld))
    if not token:
        return CommentOutcome("skipped", None, _EMPTY_TOKEN_NOTICE)
    if _first_line(body) != marker:
        raise ValueError("the rendered comment must start with its marker line, or it is never found again")
    return _publish_with_pygithub(
        body=body,
        marker=marker,
        create_allowed=mode is CommentMode.ALWAYS or has_changes,
        token=token,
        api_url=api_url,
        repository=repository,
        pr_number=pr_number,
        policy=policy,
    )


def pull_request_for_commit(
    *, token: str | None, api_url: str, repository: str, sha: str, policy: ClientPolicy = PRODUCTION_POLICY
) -> PullRequest | None:
    """The open pull request whose head is commit ``sha`` (a preview deployment's), or ``None``.

    ``GET /repos/{owner}/{repo}/commits/{sha}/pulls`` lists the open and merged pull requests that contain
    the commit; a closed one, or one whose head has moved on to a newer commit, is not the deployment's.
    Of several open pull requests with that head (one branch proposed into two bases) the oldest is taken.
    Raises PullRequestLookupError when GitHub cannot answer.
    """
    import requests
    from github.GithubException import GithubException

    where = f"commit {sha[:7]} in {repository}"
    if not token:
        raise PullRequestLookupError(
            f"A `deployment_status` preview looks up the pull request of the deployed {where}, but the "
            "`github-token` input is empty. Leave it at its default (`${{ github.token }}`)."
        )
    call = GitHubCall(
        what=f"the lookup of the pull requests of {where}",
        doing=f"looking up the pull requests of {where}",
        not_found=(
            f"the repository {repository} does not exist or the token cannot see it. Check that the workflow "
            "runs in the repository the deployment belongs to and that `github-token` is a token for it"
        ),
        forbidden=(
            "Grant it with `permissions: pull-requests: read` (write includes read) and `contents: read` "
            "on the job."
        ),
    )
    client = _client(token=token, api_url=api_url, policy=policy)
    try:
        heads = [
            pull
            for pull in client.get_repo(repository).get_commit(sha).get_pulls()
            if pull.state == "open" and pull.head.sha == sha
        ]
        oldest = min(heads, key=lambda pull: pull.number, default=None)
        return None if oldest is None else PullRequest(number=oldest.number, base_branch=oldest.base.ref)
    except GithubException as error:
        if error.status == UNPROCESSABLE and "no commit found" in github_message(error).lower():
            raise PullRequestLookupError(
                redacted(
                    f'GitHub knows no {where} (422 "{github_message(error)}"). The deployment is of a '
                    "commit that is not in this repository: check that the deployment provider reports to "
                    "the repository the workflow runs in.",
                    token,
                )
            ) from error
        raise PullRequestLookupError(redacted(failure_message(error, call), token)) from error
    except (requests.ConnectionError, requests.Timeout) as error:
        raise PullRequestLookupError(redacted(unreachable(api_url, call, error), token)) from error
    finally:
        client.close()


# -- internals ---------------------------------------------------------------------------------------------


class _Authorship:
    """Which marked comments the token wrote (see the module's docstring).

    The token's own login is asked of ``GET /user`` once, and only when a marked comment by a ``User``
    must be judged. An installation token (``github-actions[bot]``, an app) has no user and is answered 403
    "Resource not accessible by integration": then no ``User`` comment is the action's.
    """

    def __init__(self, client: Github) -> None:
        self.client = client
        self._login: str | None = None
        self._asked = False

    def wrote(self, comment: IssueComment) -> bool:
        author = comment.user  # None for a deleted account ("ghost")
        if author is None:
            return False
        if author.type == _BOT:
            return True
        return author.type == _USER and author.login.casefold() == (self._token_login() or "").casefold()

    def _token_login(self) -> str | None:
        from github.GithubException import GithubException

        if not self._asked:
            self._asked = True
            try:
                self._login = self.client.get_user().login
            except GithubException as error:
                if error.status != FORBIDDEN or is_rate_limit(error):
                    raise
        return self._login


def _publish_with_pygithub(
    *,
    body: str,
    marker: str,
    create_allowed: bool,
    token: str,
    api_url: str,
    repository: str,
    pr_number: int,
    policy: ClientPolicy,
) -> CommentOutcome:
    import requests
    from github.GithubException import GithubException

    where = f"pull request #{pr_number} in {repository}"
    call = GitHubCall(
        what=f"the comment on {where}",
        doing=f"commenting on {where}",
        not_found=(
            "the repository or pull request does not exist, or the token cannot see it. Check that the "
            "workflow runs in that repository and that `github-token` is a token for it (a token of another "
            "repository or an app not installed there cannot see it)"
        ),
        forbidden="Grant it with `permissions: pull-requests: write` on the job.",
    )
    client = _client(token=token, api_url=api_url, policy=policy)
    authorship = _Authorship(client)
    try:
        issue = client.get_repo(repository).get_issue(pr_number)
        existing = _newest_own(issue.get_comments(), marker=marker, authorship=authorship)
        if existing is not None:
            if existing.body == body:
                return CommentOutcome("unchanged", existing.html_url, None)
            if _edited(existing, body):
                return CommentOutcome("updated", existing.html_url, None)
            # Deleted since it was listed: create it again, as if there had never been one.
        if not create_allowed:
            return CommentOutcome("skipped", None, None)
        created = _create_once(issue, body=body, marker=marker, authorship=authorship)
        return CommentOutcome("created", created.html_url, None)
    except GithubException as error:
        if error.status == FORBIDDEN and not is_rate_limit(error):
            return CommentOutcome("skipped", None, redacted(forbidden_notice(error, where=where), token))
        raise CommentError(redacted(failure_message(error, call), token)) from error
    except (requests.ConnectionError, requests.Timeout) as error:
        raise CommentError(redacted(unreachable(api_url, call, error), token)) from error
    finally:
        client.close()


def _client(*, token: str, api_url: str, policy: ClientPolicy) -> Github:
    from github import Auth, Github

    return Github(
        auth=Auth.Token(token),
        base_url=api_url.rstrip("/"),
        lazy=True,  # no GETs of the repository and the issue before the calls that matter
        per_page=100,
        user_agent=USER_AGENT,
        retry=_retry(policy),
        timeout=policy.timeout_seconds,
        seconds_between_requests=policy.seconds_between_requests,
        seconds_between_writes=policy.seconds_between_writes,
    )


def _edited(comment: IssueComment, body: str) -> bool:
    """``PATCH`` the comment; False when it was deleted after it was listed (404)."""
    from github.GithubException import GithubException

    try:
        comment.edit(body)
    except GithubException as error:
        if error.status == NOT_FOUND:
            return False
        raise
    return True


def _create_once(issue: Issue, *, body: str, marker: str, authorship: _Authorship) -> IssueComment:
    """Create the comment; after an ambiguous failure look for it before trying once more.

    A 5xx or a dropped connection may come after GitHub stored the comment; posting again blindly is
    how duplicate comments happen.
    """
    import requests
    from github.GithubException import GithubException

    try:
        return issue.create_comment(body)
    except GithubException as error:
        if error.status < FIRST_SERVER_ERROR:
            raise
    except (requests.ConnectionError, requests.Timeout):
        pass
    stored = _newest_own(issue.get_comments(), marker=marker, authorship=authorship)
    return stored if stored is not None else issue.create_comment(body)


def _newest_own(
    comments: Iterable[IssueComment], *, marker: str, authorship: _Authorship
) -> IssueComment | None:
    """The newest comment that starts with ``marker`` and that the token wrote; newest first, so that an
    action's comment newer than every person's costs no ``GET /user``."""
    marked = [comment for comment in comments if _first_line(comment.body) == marker]
    for comment in sorted(marked, key=lambda comment: comment.id, reverse=True):
        if authorship.wrote(comment):
            return comment
    return None


def _first_line(text: str | None) -> str:
    return (text or "").split("\n", 1)[0].removesuffix("\r")


def _escape_id(comment_id: str) -> str:
    escaped: list[str] = []
    for byte in comment_id.encode("utf-8"):
        character = chr(byte)
        doubles_a_dash = character == "-" and bool(escaped) and escaped[-1] == "-"
        keep = character in _ID_CHARACTERS_KEPT and not doubles_a_dash
        escaped.append(character if keep else f"%{byte:02X}")
    return "".join(escaped)


def _retry(policy: ClientPolicy) -> GithubRetry:
    """PyGithub's rate-limit-aware retry, minus the POST retries on 5xx that duplicate comments."""
    from github.GithubRetry import GithubRetry
    from urllib3 import Retry

    class NoDuplicateRetry(GithubRetry):
        def is_retry(self, method: str, status_code: int, has_retry_after: bool = False) -> bool:
            if method == "POST":
                # Judge a rejected POST as a GET would be judged: POST itself stays out of
                # allowed_methods so that a read error after sending is never retried either.
                return status_code in _REJECTED_UNPROCESSED and super().is_retry(
                    "GET", status_code, has_retry_after
                )
            return super().is_retry(method, status_code, has_retry_after)

    return NoDuplicateRetry(
        total=policy.retries,
        backoff_factor=policy.backoff_factor,
        secondary_rate_wait=policy.secondary_rate_wait,
        max_rate_limit_wait=policy.max_rate_limit_wait,
        retry_after_max=policy.max_rate_limit_wait,
        allowed_methods=Retry.DEFAULT_ALLOWED_METHODS | {"GET", "PATCH"},
        raise_on_status=False,  # PyGithub then raises GithubException with the last status
    )
