"""An in-process stand-in for the slice of GitHub's REST API that the sticky PR comment uses.

It follows GitHub's contract as the reference (``reference/github-actions-contract.md`` §5–§8) and the
``@octokit/openapi`` description state it: issue-comment listing with ``per_page``/``page`` and absolute
``Link`` URLs, create (201 + ``Location``), update, get; ``token``/``Bearer`` authentication; read-only
tokens (403 "Resource not accessible by integration"); 404 for unknown repositories and pull requests;
422 for bodies over 65,536 characters; an optional base path (``/api/v3``) as on GitHub Enterprise Server.

Tests script failures with ``fail_next`` / ``disconnect_next`` (optionally after storing the write, the case
that makes blind POST retries duplicate comments) and read what was asked in ``requests``. It shares no code
with ``novu_action``.
"""

from __future__ import annotations

import json
import math
import re
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from tests.stand_ins.local_server import LocalServer

DEFAULT_PER_PAGE = 30
MAX_PER_PAGE = 100
MAX_BODY_CHARACTERS = 65_536
ACTIONS_BOT = "github-actions[bot]"

_DOCS = "https://docs.github.com/rest/issues/comments"
_EPOCH = datetime(2026, 1, 1, tzinfo=UTC)
_COMMENTS_OF_PR = re.compile(r"/repos/(?P<repository>[^/]+/[^/]+)/issues/(?P<number>[0-9]+)/comments")
_ONE_COMMENT = re.compile(r"/repos/(?P<repository>[^/]+/[^/]+)/issues/comments/(?P<id>[0-9]+)")
_IDLE_CONNECTION_TIMEOUT_SECONDS = 5.0


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
class RecordedRequest:
    """One request as the server saw it; ``path`` is relative to the API root (base path removed)."""

    method: str
    path: str
    query: Mapping[str, str]
    headers: Mapping[str, str]
    body: Any


@dataclass(frozen=True)
class _Token:
    login: str
    read_only: bool


@dataclass(frozen=True)
class _Fault:
    method: str
    path_prefix: str
    status: int | None  # None: close the connection without answering
    times: int
    store_anyway: bool
    message: str
    headers: Mapping[str, str]


@dataclass(frozen=True)
class _Answer:
    status: int
    payload: Any
    headers: Mapping[str, str] = field(default_factory=dict)


class GitHubApiStandIn:
    """``with GitHubApiStandIn() as api_url:`` serves on 127.0.0.1 and yields the API root URL.

    ``api_url`` ends with ``base_path`` (``""`` for api.github.com, ``"/api/v3"`` for GHES); it is what the
    action gets as ``GITHUB_API_URL``. Known tokens are given as ``tokens`` (token → login) and
    ``read_only_tokens``; pull requests exist once named by ``add_pull_request`` or ``seed_comments``.
    """

    def __init__(
        self,
        *,
        tokens: Mapping[str, str] | None = None,
        read_only_tokens: Mapping[str, str] | None = None,
        base_path: str = "",
    ) -> None:
        if base_path and (not base_path.startswith("/") or base_path.endswith("/")):
            raise ValueError(f"base_path must look like '/api/v3', got {base_path!r}")
        self.base_path = base_path
        self._tokens = {token: _Token(login, read_only=False) for token, login in (tokens or {}).items()}
        self._tokens |= {
            token: _Token(login, read_only=True) for token, login in (read_only_tokens or {}).items()
        }
        self._lock = threading.Lock()
        self._pull_requests: set[tuple[str, int]] = set()
        self._comments: dict[int, StoredComment] = {}
        self._next_id = 1_000_001
        self._ticks = 0
        self._faults: list[_Fault] = []
        self._requests: list[RecordedRequest] = []
        self._server: LocalServer | None = None

    # -- lifecycle ---------------------------------------------------------------------------------------

    def start(self) -> str:
        self._server = LocalServer(_handler_for(self), name="github-api-stand-in")
        self._server.start()
        return self.api_url

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None

    def __enter__(self) -> str:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def origin(self) -> str:
        """``http://127.0.0.1:<port>``: the stand-in's "web" host, used in ``html_url``."""
        if self._server is None:
            raise RuntimeError("the GitHub API stand-in is not running: call start() first")
        return self._server.origin

    @property
    def api_url(self) -> str:
        return self.origin + self.base_path

    # -- scripting ---------------------------------------------------------------------------------------

    def add_pull_request(self, repository: str, pr_number: int) -> None:
        with self._lock:
            self._pull_requests.add((repository, pr_number))

    def seed_comments(
        self, repository: str, pr_number: int, bodies: Iterable[str], *, user: str = "octocat"
    ) -> list[int]:
        """Store comments as if ``user`` had written them, oldest first; returns their ids."""
        with self._lock:
            self._pull_requests.add((repository, pr_number))
            return [
                self._store(repository=repository, pr_number=pr_number, body=body, user=user).id
                for body in bodies
            ]

    def comments(self, repository: str, pr_number: int) -> list[StoredComment]:
        """The pull request's comments in ascending id order (GitHub's listing order)."""
        with self._lock:
            return self._comments_of(repository, pr_number)

    def fail_next(
        self,
        method: str,
        path_prefix: str,
        status: int,
        *,
        times: int = 1,
        store_anyway: bool = False,
        message: str = "Server Error",
        headers: Mapping[str, str] | None = None,
    ) -> None:
        """Answer the next ``times`` matching requests with ``status`` and ``{"message": message}``.

        ``path_prefix`` is relative to the API root. ``store_anyway=True`` performs the request first (a POST
        creates its comment) and only then answers with the failure.
        """
        self._add_fault(
            method=method,
            path_prefix=path_prefix,
            status=status,
            times=times,
            store_anyway=store_anyway,
            message=message,
            headers=headers or {},
        )

    def disconnect_next(
        self, method: str, path_prefix: str, *, times: int = 1, store_anyway: bool = False
    ) -> None:
        """Close the connection without any answer on the next ``times`` matching requests."""
        self._add_fault(
            method=method,
            path_prefix=path_prefix,
            status=None,
            times=times,
            store_anyway=store_anyway,
            message="",
            headers={},
        )

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    def requests_to(self, method: str) -> list[RecordedRequest]:
        return [request for request in self.requests if request.method == method]

    # -- request handling (called from server threads) ---------------------------------------------------

    def _add_fault(
        self,
        *,
        method: str,
        path_prefix: str,
        status: int | None,
        times: int,
        store_anyway: bool,
        message: str,
        headers: Mapping[str, str],
    ) -> None:
        with self._lock:
            self._faults.append(
                _Fault(method.upper(), path_prefix, status, times, store_anyway, message, headers)
            )

    def _take_fault(self, method: str, path: str) -> _Fault | None:
        for index, fault in enumerate(self._faults):
            if fault.method == method and path.startswith(fault.path_prefix):
                if fault.times > 1:
                    self._faults[index] = replace(fault, times=fault.times - 1)
                else:
                    del self._faults[index]
                return fault
        return None

    def _handle(self, request: RecordedRequest) -> _Answer | None:
        """The answer to send; None means hang up without one."""
        with self._lock:
            self._requests.append(request)
            fault = self._take_fault(request.method, request.path)
            if fault is None:
                return self._route(request)
            if fault.store_anyway:
                self._route(request)
            return _fault_answer(fault)

    def _route(self, request: RecordedRequest) -> _Answer:
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
        return _not_found()

    def _list(self, repository: str, pr_number: int, query: Mapping[str, str]) -> _Answer:
        if (repository, pr_number) not in self._pull_requests:
            return _not_found()
        per_page = min(_positive_int(query.get("per_page"), DEFAULT_PER_PAGE), MAX_PER_PAGE)
        page = _positive_int(query.get("page"), 1)
        comments = self._comments_of(repository, pr_number)
        page_comments = comments[(page - 1) * per_page : page * per_page]
        last_page = max(1, math.ceil(len(comments) / per_page))
        path = f"/repos/{repository}/issues/{pr_number}/comments"
        links = self._links(path, query, page=page, last_page=last_page, per_page=per_page)
        headers = {"Link": links} if links else {}
        return _Answer(200, [self._json(comment) for comment in page_comments], headers)

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

    def _create(self, *, repository: str, pr_number: int, body: Any, author: _Token) -> _Answer:
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
        return _Answer(201, self._json(comment), {"Location": self._json(comment)["url"]})

    def _get(self, repository: str, comment_id: int) -> _Answer:
        comment = self._comments.get(comment_id)
        if comment is None or comment.repository != repository:
            return _not_found()
        return _Answer(200, self._json(comment))

    def _update(self, *, repository: str, comment_id: int, body: Any, author: _Token) -> _Answer:
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
        return _Answer(200, self._json(updated))

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
        user_id = sum(comment.user.encode()) + 40_000
        return {
            "id": comment.id,
            "node_id": f"IC_kwDOStandIn{comment.id}",
            "url": f"{api}/repos/{comment.repository}/issues/comments/{comment.id}",
            "html_url": f"{web}/{comment.repository}/pull/{comment.pr_number}#issuecomment-{comment.id}",
            "issue_url": issue_url,
            "body": comment.body,
            "user": {
                "login": comment.user,
                "id": user_id,
                "node_id": f"U_StandIn{user_id}",
                "type": "Bot" if comment.user.endswith("[bot]") else "User",
                "site_admin": False,
                "url": f"{api}/users/{comment.user}",
                "html_url": f"{web}/{comment.user}",
                "avatar_url": f"{web}/avatars/{comment.user}",
            },
            "created_at": _iso(comment.created_at),
            "updated_at": _iso(comment.updated_at),
            "author_association": "NONE" if comment.user.endswith("[bot]") else "CONTRIBUTOR",
            "performed_via_github_app": None,
        }


def _handler_for(stand_in: GitHubApiStandIn) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as the real API and PyGithub's pooled session expect
        timeout = _IDLE_CONNECTION_TIMEOUT_SECONDS

        def do_GET(self) -> None:
            self._serve()

        def do_POST(self) -> None:
            self._serve()

        def do_PATCH(self) -> None:
            self._serve()

        def do_DELETE(self) -> None:
            self._serve()

        def log_message(self, format: str, *args: Any) -> None:
            """Keep test output quiet; the request log is ``stand_in.requests``."""

        def _serve(self) -> None:
            split = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            raw_body = self.rfile.read(length) if length else b""
            if not split.path.startswith(stand_in.base_path + "/"):
                self._send(_not_found())
                return
            request = RecordedRequest(
                method=self.command,
                path=split.path.removeprefix(stand_in.base_path),
                query=dict(parse_qsl(split.query)),
                headers={name.lower(): value for name, value in self.headers.items()},
                body=_parse_json(raw_body),
            )
            answer = stand_in._handle(request)
            if answer is None:
                self.close_connection = True
                return
            self._send(answer)

        def _send(self, answer: _Answer) -> None:
            payload = json.dumps(answer.payload).encode()
            self.send_response(answer.status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(payload)))
            for name, value in answer.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)

    return Handler


def _fault_answer(fault: _Fault) -> _Answer | None:
    if fault.status is None:
        return None
    return _Answer(
        fault.status,
        {"message": fault.message, "documentation_url": "https://docs.github.com/rest"},
        fault.headers,
    )


def _token_from(authorization: str) -> str | None:
    scheme, _, credentials = authorization.partition(" ")
    if scheme.lower() in ("token", "bearer") and credentials.strip():
        return credentials.strip()
    return None


def _invalid_body(body: Any, operation: str) -> _Answer | None:
    if not isinstance(body, dict) or not isinstance(body.get("body"), str):
        return _error(
            422, 'Invalid request.\n\n"body" wasn\'t supplied.', documentation_url=f"{_DOCS}#{operation}"
        )
    if len(body["body"]) > MAX_BODY_CHARACTERS:
        return _Answer(
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


def _not_accessible(operation: str) -> _Answer:
    return _error(403, "Resource not accessible by integration", documentation_url=f"{_DOCS}#{operation}")


def _not_found() -> _Answer:
    return _error(404, "Not Found", documentation_url="https://docs.github.com/rest")


def _error(status: int, message: str, *, documentation_url: str) -> _Answer:
    return _Answer(
        status, {"message": message, "documentation_url": documentation_url, "status": str(status)}
    )


def _positive_int(value: str | None, default: int) -> int:
    """GitHub ignores a missing, malformed or non-positive paging parameter and uses the default."""
    if value is None or not value.isdigit() or int(value) < 1:
        return default
    return int(value)


def _parse_json(raw: bytes) -> Any:
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return None


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
