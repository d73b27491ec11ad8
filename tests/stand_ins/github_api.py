"""An in-process stand-in for the slice of GitHub's REST API that the action uses: the sticky PR comment,
the token's own user, and the pull requests of a deployment's commit.

It follows GitHub's contract as the reference (``reference/github-actions-contract.md`` §5–§8) and the
``@octokit/openapi`` description (from github/rest-api-description) state it: issue-comment listing with
``per_page``/``page`` and absolute ``Link`` URLs, create (201 + ``Location``), update, get; comment authors
with ``user.type`` ("Bot" for ``[bot]`` accounts); ``GET /user`` (403 for installation tokens);
``GET /repos/{owner}/{repo}/commits/{sha}/pulls``, paged like the comments; ``token``/``Bearer``
authentication; read-only tokens (403 "Resource not accessible by integration"); 404 for unknown
repositories and pull requests; 422 for bodies over 65,536 characters and for unknown commits; an optional
base path (``/api/v3``) as on GitHub Enterprise Server.

Tests register pull requests with their head, base and state (``add_pull_request``, ``move_head``,
``close_pull_request``), seed comments by any user (``seed_comments(..., user=)``), script failures with
``fail_next`` / ``disconnect_next`` (optionally after storing the write, the case that makes blind POST
retries duplicate comments), act between two requests with ``before_next`` (a person deleting the comment),
and read what was asked in ``requests``. Serving, faults and the request log are
``rest_api.RestApiStandIn``'s, shared with the GitLab stand-in. It shares no code with ``novu_action``.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from tests.stand_ins.rest_api import Answer, Page, RecordedRequest, RestApiHandler, RestApiStandIn

DEFAULT_PER_PAGE = 30
MAX_PER_PAGE = 100
MAX_BODY_CHARACTERS = 65_536
ACTIONS_BOT = "github-actions[bot]"

_DOCS = "https://docs.github.com/rest/issues/comments"
_USER_DOCS = "https://docs.github.com/rest/users/users#get-the-authenticated-user"
_COMMIT_PULLS_DOCS = (
    "https://docs.github.com/rest/commits/commits#list-pull-requests-associated-with-a-commit"
)
_EPOCH = datetime(2026, 1, 1, tzinfo=UTC)
_COMMENTS_OF_PR = re.compile(r"/repos/(?P<repository>[^/]+/[^/]+)/issues/(?P<number>[0-9]+)/comments")
_ONE_COMMENT = re.compile(r"/repos/(?P<repository>[^/]+/[^/]+)/issues/comments/(?P<id>[0-9]+)")
_PULLS_OF_COMMIT = re.compile(r"/repos/(?P<repository>[^/]+/[^/]+)/commits/(?P<sha>[^/]+)/pulls")


@dataclass(frozen=True)
class StoredComment:
    id: int
    repository: str
    pr_number: int
    body: str
    user: str
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class StoredPullRequest:
    repository: str
    number: int
    state: str  # "open" or "closed"
    merged: bool
    head_ref: str
    base_ref: str
    commits: tuple[str, ...]  # every commit the head has pointed at, oldest first: the last is the head
    user: str
    created_at: datetime

    @property
    def head_sha(self) -> str:
        return self.commits[-1]


@dataclass(frozen=True)
class _Token:
    login: str
    read_only: bool

    @property
    def is_bot(self) -> bool:
        """An installation token (``github-actions[bot]``, ``<app>[bot]``) acts as a Bot account."""
        return _is_bot(self.login)


@dataclass(frozen=True)
class _Hook:
    method: str
    path_prefix: str
    action: Callable[[], None]


class _Handler(RestApiHandler):
    content_type = "application/json; charset=utf-8"

    def do_PATCH(self) -> None:
        self._serve()


class GitHubApiStandIn(RestApiStandIn):
    """``with GitHubApiStandIn() as api_url:`` serves on 127.0.0.1 and yields the API root URL.

    ``api_url`` ends with ``base_path`` (``""`` for api.github.com, ``"/api/v3"`` for GHES); it is what the
    action gets as ``GITHUB_API_URL``. Known tokens are given as ``tokens`` (token → login) and
    ``read_only_tokens``; a login ending in ``[bot]`` is an installation token (a Bot account, no
    ``GET /user``), any other a person's token (a User). Pull requests exist once named by
    ``add_pull_request`` or ``seed_comments``; a repository exists once it has a pull request or a commit.
    """

    _name = "GitHub API stand-in"
    _handler = _Handler
    _server_error_message = "Server Error"

    def __init__(
        self,
        *,
        tokens: Mapping[str, str] | None = None,
        read_only_tokens: Mapping[str, str] | None = None,
        base_path: str = "",
    ) -> None:
        super().__init__(base_path=base_path)
        self._tokens = {token: _Token(login, read_only=False) for token, login in (tokens or {}).items()}
        self._tokens |= {
            token: _Token(login, read_only=True) for token, login in (read_only_tokens or {}).items()
        }
        self._pull_requests: dict[tuple[str, int], StoredPullRequest] = {}
        self._commits: set[tuple[str, str]] = set()
        self._comments: dict[int, StoredComment] = {}
        self._next_id = 1_000_001
        self._ticks = 0
        self._hooks: list[_Hook] = []

    # -- scripting ---------------------------------------------------------------------------------------

    def add_pull_request(
        self,
        repository: str,
        pr_number: int,
        *,
        head_sha: str | None = None,
        head_ref: str | None = None,
        base_ref: str = "main",
        state: str = "open",
        merged: bool = False,
        earlier_commits: Sequence[str] = (),
        user: str = "octocat",
    ) -> StoredPullRequest:
        """Register (or replace) a pull request from ``head_ref`` at ``head_sha`` into ``base_ref``.

        Without ``head_sha`` the head is a commit made up from the repository and number, which no test
        names by accident. ``earlier_commits`` are commits the head pointed at before (pushed over, still part
        of the pull request). A ``merged`` pull request is closed.
        """
        if state not in ("open", "closed") or (merged and state != "closed"):
            raise ValueError(f"a pull request is open, closed, or closed and merged; got {state=}, {merged=}")
        head = head_sha or _made_up_sha(f"{repository}#{pr_number}")
        pull = StoredPullRequest(
            repository=repository,
            number=pr_number,
            state=state,
            merged=merged,
            head_ref=head_ref or f"feature/{pr_number}",
            base_ref=base_ref,
            commits=(*earlier_commits, head),
            user=user,
            created_at=_EPOCH,
        )
        with self._lock:
            self._pull_requests[(repository, pr_number)] = pull
            self._commits.update((repository, sha) for sha in pull.commits)
        return pull

    def move_head(self, repository: str, pr_number: int, sha: str) -> None:
        """A push to the pull request's branch: ``sha`` is the new head; the old one stays in its commits."""
        with self._lock:
            pull = self._pull_requests[(repository, pr_number)]
            self._pull_requests[(repository, pr_number)] = replace(pull, commits=(*pull.commits, sha))
            self._commits.add((repository, sha))

    def close_pull_request(self, repository: str, pr_number: int, *, merged: bool = False) -> None:
        with self._lock:
            pull = self._pull_requests[(repository, pr_number)]
            self._pull_requests[(repository, pr_number)] = replace(pull, state="closed", merged=merged)

    def add_commit(self, repository: str, sha: str) -> None:
        """A commit of the repository that belongs to no pull request (pushed to a branch)."""
        with self._lock:
            self._commits.add((repository, sha))

    def pull_request(self, repository: str, pr_number: int) -> StoredPullRequest:
        with self._lock:
            return self._pull_requests[(repository, pr_number)]

    def seed_comments(
        self, repository: str, pr_number: int, bodies: Iterable[str], *, user: str = "octocat"
    ) -> list[int]:
        """Store comments as if ``user`` had written them, oldest first; returns their ids.

        ``user`` is any login: ``github-actions[bot]`` (or another ``[bot]``) for comments the action's
        token wrote, a person's login for comments people wrote. An unknown pull request is registered.
        """
        if (repository, pr_number) not in self._pull_requests:
            self.add_pull_request(repository, pr_number)
        with self._lock:
            return [
                self._store(repository=repository, pr_number=pr_number, body=body, user=user).id
                for body in bodies
            ]

    def delete_comment(self, repository: str, comment_id: int) -> None:
        """Someone deleted the comment (in the browser)."""
        with self._lock:
            comment = self._comments.get(comment_id)
            if comment is None or comment.repository != repository:
                raise KeyError(f"no comment {comment_id} in {repository}")
            del self._comments[comment_id]

    def comments(self, repository: str, pr_number: int) -> list[StoredComment]:
        """The pull request's comments in ascending id order (GitHub's listing order)."""
        with self._lock:
            return self._comments_of(repository, pr_number)

    def before_next(self, method: str, path_prefix: str, action: Callable[[], None]) -> None:
        """Run ``action`` once, when the next matching request arrives and before it is handled.

        What happens on GitHub between two requests of one run: ``before_next("PATCH", "/repos/o/r/issues/
        comments/", lambda: api.delete_comment("o/r", comment_id))`` deletes the comment after it was listed.
        ``action`` may call the stand-in's scripting methods.
        """
        with self._lock:
            self._hooks.append(_Hook(method.upper(), path_prefix, action))

    # -- request handling (called from server threads) ---------------------------------------------------

    def _take_hook(self, method: str, path: str) -> _Hook | None:
        with self._lock:
            for index, hook in enumerate(self._hooks):
                if hook.method == method and path.startswith(hook.path_prefix):
                    return self._hooks.pop(index)
        return None

    def _handle(self, request: RecordedRequest) -> Answer | None:
        hook = self._take_hook(request.method, request.path)
        if hook is not None:
            hook.action()  # outside the lock: the action uses the scripting methods
        return super()._handle(request)

    def _fault_payload(self, message: str) -> Any:
        return {"message": message, "documentation_url": "https://docs.github.com/rest"}

    def _no_such_route(self) -> Answer:
        return _not_found()

    def _route(self, request: RecordedRequest) -> Answer:
        token = _token_from(request.headers.get("authorization", ""))
        if token is None:
            return _error(401, "Requires authentication", documentation_url="https://docs.github.com/rest")
        identity = self._tokens.get(token)
        if identity is None:
            return _error(401, "Bad credentials", documentation_url="https://docs.github.com/rest")

        if match := _COMMENTS_OF_PR.fullmatch(request.path):
            repository, pr_number = match["repository"], int(match["number"])
            if request.method == "GET":
                return self._list(repository, pr_number, request.query)
            if request.method == "POST":
                return self._create(
                    repository=repository, pr_number=pr_number, body=request.body, author=identity
                )
        if match := _ONE_COMMENT.fullmatch(request.path):
            repository, comment_id = match["repository"], int(match["id"])
            if request.method == "GET":
                return self._get(repository, comment_id)
            if request.method == "PATCH":
                return self._update(
                    repository=repository, comment_id=comment_id, body=request.body, author=identity
                )
        if request.path == "/user" and request.method == "GET":
            return self._authenticated_user(identity)
        if (match := _PULLS_OF_COMMIT.fullmatch(request.path)) and request.method == "GET":
            return self._pulls_of_commit(match["repository"], match["sha"], request.query)
        return _not_found()

    def _list(self, repository: str, pr_number: int, query: Mapping[str, str]) -> Answer:
        if (repository, pr_number) not in self._pull_requests:
            return _not_found()
        comments = [self._json(comment) for comment in self._comments_of(repository, pr_number)]
        return self._page(comments, f"/repos/{repository}/issues/{pr_number}/comments", query)

    def _authenticated_user(self, identity: _Token) -> Answer:
        """``GET /user``: the account behind the token.

        OpenAPI ``/paths/~1user/get`` (``users/get-authenticated``) answers 200 with a ``private-user`` or
        ``public-user`` (``login``, ``id``, ``type``, ...) and lists 304, 401 and 403. An installation token
        (``GITHUB_TOKEN`` is one, for the ``github-actions[bot]`` account) has no user: GitHub answers 403
        "Resource not accessible by integration" with this operation's documentation URL (reported in
        actions/create-github-app-token#258, anthropics/claude-code-action#538).
        """
        if identity.is_bot:
            return _error(403, "Resource not accessible by integration", documentation_url=_USER_DOCS)
        return Answer(
            200,
            self._user_json(identity.login)
            | {"name": identity.login.title(), "created_at": _iso(_EPOCH), "updated_at": _iso(_EPOCH)},
        )

    def _pulls_of_commit(self, repository: str, sha: str, query: Mapping[str, str]) -> Answer:
        """``GET /repos/{owner}/{repo}/commits/{commit_sha}/pulls``.

        OpenAPI ``/paths/~1repos~1{owner}~1{repo}~1commits~1{commit_sha}~1pulls/get``
        (``repos/list-pull-requests-associated-with-commit``): "Lists the merged pull request that introduced
        the commit to the repository. If the commit is not present in the default branch, it will return
        merged and open pull requests associated with the commit." Query ``per_page`` (max 100) and ``page``
        as for the comments; 200 is an array of ``pull-request-simple``. Here a pull request is associated
        with every commit its head has pointed at, so one whose head moved on is still listed, and a closed
        one only if it was merged. An unknown repository is 404; an unknown commit is 422 "No commit found for
        SHA: …", which the description does not list but GitHub's commit endpoints answer (e.g.
        rust-lang/homu#141).
        """
        if not any(known == repository for known, _ in self._commits):
            return _not_found()
        if (repository, sha) not in self._commits:
            return _error(422, f"No commit found for SHA: {sha}", documentation_url=_COMMIT_PULLS_DOCS)
        pulls = sorted(
            (
                pull
                for pull in self._pull_requests.values()
                if pull.repository == repository
                and sha in pull.commits
                and (pull.state == "open" or pull.merged)
            ),
            key=lambda pull: pull.number,
        )
        return self._page(
            [self._pull_json(pull) for pull in pulls], f"/repos/{repository}/commits/{sha}/pulls", query
        )

    def _page(self, items: list[dict[str, Any]], path: str, query: Mapping[str, str]) -> Answer:
        """One page of a listing: ``per_page`` (default 30, max 100) and ``page``, with ``Link`` headers."""
        page = Page.of(query, count=len(items), default_per_page=DEFAULT_PER_PAGE, max_per_page=MAX_PER_PAGE)
        links = self._links(path, query, page=page.number, last_page=page.last, per_page=page.per_page)
        headers = {"Link": links} if links else {}
        return Answer(200, page.items(items), headers)

    def _links(self, path: str, query: Mapping[str, str], *, page: int, last_page: int, per_page: int) -> str:
        def url(target_page: int) -> str:
            params = {**query, "per_page": str(per_page), "page": str(target_page)}
            return f"{self.api_url}{path}?{urlencode(params)}"

        relations: list[tuple[str, int]] = []
        if page > 1:
            relations.append(("prev", min(page - 1, last_page)))
        if page < last_page:
            relations += [("next", page + 1), ("last", last_page)]
        if page > 1:
            relations.append(("first", 1))
        return ", ".join(f'<{url(target)}>; rel="{relation}"' for relation, target in relations)

    def _create(self, *, repository: str, pr_number: int, body: Any, author: _Token) -> Answer:
        if (repository, pr_number) not in self._pull_requests:
            return _not_found()
        if author.read_only:
            return _not_accessible("create-an-issue-comment")
        invalid = _invalid_body(body, "create-an-issue-comment")
        if invalid is not None:
            return invalid
        comment = self._store(
            repository=repository, pr_number=pr_number, body=body["body"], user=author.login
        )
        return Answer(201, self._json(comment), {"Location": self._json(comment)["url"]})

    def _get(self, repository: str, comment_id: int) -> Answer:
        comment = self._comments.get(comment_id)
        if comment is None or comment.repository != repository:
            return _not_found()
        return Answer(200, self._json(comment))

    def _update(self, *, repository: str, comment_id: int, body: Any, author: _Token) -> Answer:
        comment = self._comments.get(comment_id)
        if comment is None or comment.repository != repository:
            return _not_found()
        if author.read_only:
            return _not_accessible("update-an-issue-comment")
        invalid = _invalid_body(body, "update-an-issue-comment")
        if invalid is not None:
            return invalid
        updated = replace(comment, body=body["body"], updated_at=self._now())
        self._comments[comment_id] = updated
        return Answer(200, self._json(updated))

    def _store(self, *, repository: str, pr_number: int, body: str, user: str) -> StoredComment:
        now = self._now()
        comment = StoredComment(self._next_id, repository, pr_number, body, user, now, now)
        self._comments[comment.id] = comment
        self._next_id += 1
        return comment

    def _comments_of(self, repository: str, pr_number: int) -> list[StoredComment]:
        return sorted(
            (c for c in self._comments.values() if (c.repository, c.pr_number) == (repository, pr_number)),
            key=lambda c: c.id,
        )

    def _now(self) -> datetime:
        self._ticks += 1
        return _EPOCH + timedelta(seconds=self._ticks)

    def _json(self, comment: StoredComment) -> dict[str, Any]:
        api, web = self.api_url, self.origin
        issue_url = f"{api}/repos/{comment.repository}/issues/{comment.pr_number}"
        return {
            "id": comment.id,
            "node_id": f"IC_kwDOStandIn{comment.id}",
            "url": f"{api}/repos/{comment.repository}/issues/comments/{comment.id}",
            "html_url": f"{web}/{comment.repository}/pull/{comment.pr_number}#issuecomment-{comment.id}",
            "issue_url": issue_url,
            "body": comment.body,
            "user": self._user_json(comment.user),
            "created_at": _iso(comment.created_at),
            "updated_at": _iso(comment.updated_at),
            "author_association": "NONE" if _is_bot(comment.user) else "CONTRIBUTOR",
            "performed_via_github_app": None,
        }

    def _user_json(self, login: str) -> dict[str, Any]:
        """A ``simple-user`` (``/components/schemas/simple-user``; ``nullable-simple-user`` in a comment).

        Its required ``type`` is "Bot" for the account of a GitHub App (``github-actions[bot]`` is GitHub
        Actions' app, ``<slug>[bot]`` any other) and "User" for a person.
        """
        api, web = self.api_url, self.origin
        user_id = sum(login.encode()) + 40_000
        return {
            "login": login,
            "id": user_id,
            "node_id": f"U_StandIn{user_id}",
            "type": "Bot" if _is_bot(login) else "User",
            "site_admin": False,
            "url": f"{api}/users/{login}",
            "html_url": f"{web}/{login}",
            "avatar_url": f"{web}/avatars/{login}",
        }

    def _pull_json(self, pull: StoredPullRequest) -> dict[str, Any]:
        """A ``pull-request-simple`` (``/components/schemas/pull-request-simple``): the fields it requires,
        with ``head``/``base`` as ``{label, ref, repo, sha, user}``."""
        api, web = self.api_url, self.origin
        owner = pull.repository.split("/", 1)[0]
        url = f"{api}/repos/{pull.repository}/pulls/{pull.number}"
        html_url = f"{web}/{pull.repository}/pull/{pull.number}"
        base_sha = _made_up_sha(f"{pull.repository}@{pull.base_ref}")
        closed_at = _iso(_EPOCH + timedelta(days=1)) if pull.state == "closed" else None

        def part(ref: str, sha: str) -> dict[str, Any]:
            return {
                "label": f"{owner}:{ref}",
                "ref": ref,
                "sha": sha,
                "user": self._user_json(owner),
                "repo": self._repository_json(pull.repository),
            }

        return {
            "url": url,
            "id": 900_000 + pull.number,
            "node_id": f"PR_kwDOStandIn{pull.number}",
            "html_url": html_url,
            "diff_url": f"{html_url}.diff",
            "patch_url": f"{html_url}.patch",
            "issue_url": f"{api}/repos/{pull.repository}/issues/{pull.number}",
            "commits_url": f"{url}/commits",
            "review_comments_url": f"{url}/comments",
            "review_comment_url": f"{api}/repos/{pull.repository}/pulls/comments{{/number}}",
            "comments_url": f"{api}/repos/{pull.repository}/issues/{pull.number}/comments",
            "statuses_url": f"{api}/repos/{pull.repository}/statuses/{pull.head_sha}",
            "number": pull.number,
            "state": pull.state,
            "locked": False,
            "title": f"Pull request {pull.number}",
            "user": self._user_json(pull.user),
            "body": None,
            "labels": [],
            "milestone": None,
            "created_at": _iso(pull.created_at),
            "updated_at": _iso(pull.created_at),
            "closed_at": closed_at,
            "merged_at": closed_at if pull.merged else None,
            "merge_commit_sha": None,
            "assignee": None,
            "head": part(pull.head_ref, pull.head_sha),
            "base": part(pull.base_ref, base_sha),
            "_links": {
                "self": {"href": url},
                "html": {"href": html_url},
                "issue": {"href": f"{api}/repos/{pull.repository}/issues/{pull.number}"},
                "comments": {"href": f"{api}/repos/{pull.repository}/issues/{pull.number}/comments"},
                "review_comments": {"href": f"{url}/comments"},
                "review_comment": {"href": f"{api}/repos/{pull.repository}/pulls/comments{{/number}}"},
                "commits": {"href": f"{url}/commits"},
                "statuses": {"href": f"{api}/repos/{pull.repository}/statuses/{pull.head_sha}"},
            },
            "author_association": "CONTRIBUTOR",
            "auto_merge": None,
            "draft": False,
        }

    def _repository_json(self, repository: str) -> dict[str, Any]:
        owner, name = repository.split("/", 1)
        return {
            "id": sum(repository.encode()) + 70_000,
            "node_id": f"R_StandIn{repository}",
            "name": name,
            "full_name": repository,
            "owner": self._user_json(owner),
            "private": False,
            "fork": False,
            "url": f"{self.api_url}/repos/{repository}",
            "html_url": f"{self.origin}/{repository}",
        }


def _made_up_sha(seed: str) -> str:
    """A commit id no test names by accident, the same for the same seed."""
    return hashlib.sha1(seed.encode(), usedforsecurity=False).hexdigest()


def _is_bot(login: str) -> bool:
    return login.endswith("[bot]")


def _token_from(authorization: str) -> str | None:
    scheme, _, credentials = authorization.partition(" ")
    if scheme.lower() in ("token", "bearer") and credentials.strip():
        return credentials.strip()
    return None


def _invalid_body(body: Any, operation: str) -> Answer | None:
    if not isinstance(body, dict) or not isinstance(body.get("body"), str):
        return _error(
            422, 'Invalid request.\n\n"body" wasn\'t supplied.', documentation_url=f"{_DOCS}#{operation}"
        )
    if len(body["body"]) > MAX_BODY_CHARACTERS:
        return Answer(
            422,
            {
                "message": "Validation Failed",
                "errors": [
                    {
                        "resource": "IssueComment",
                        "code": "unprocessable",
                        "field": "data",
                        "message": f"Body is too long (maximum is {MAX_BODY_CHARACTERS} characters)",
                    }
                ],
                "documentation_url": f"{_DOCS}#{operation}",
                "status": "422",
            },
        )
    return None


def _not_accessible(operation: str) -> Answer:
    return _error(403, "Resource not accessible by integration", documentation_url=f"{_DOCS}#{operation}")


def _not_found() -> Answer:
    return _error(404, "Not Found", documentation_url="https://docs.github.com/rest")


def _error(status: int, message: str, *, documentation_url: str) -> Answer:
    return Answer(status, {"message": message, "documentation_url": documentation_url, "status": str(status)})


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
