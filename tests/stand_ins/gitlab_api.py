"""An in-process stand-in for the slice of GitLab's REST API (v4) that ``novu-sync ci`` uses: merge-request
notes and the token's own user.

Every behaviour follows a page of GitLab's REST documentation, named where it is implemented:

- Notes API (https://docs.gitlab.com/ee/api/notes.html#merge-requests): list a merge request's notes
  (``sort`` ``asc``/``desc``, default ``desc``; ``order_by`` ``created_at``/``updated_at``, default
  ``created_at``), get one, create (``201``), modify (``PUT``, ``200``); system notes are listed too; a note
  body holds at most 1,000,000 characters. Only a note's author may modify it; system notes cannot be.
- Pagination (https://docs.gitlab.com/ee/api/rest/index.html#pagination): ``page`` (default 1) and
  ``per_page`` (default 20, at most 100); every list answer carries ``x-page``, ``x-per-page``,
  ``x-next-page`` and ``x-prev-page`` (empty at the ends), ``x-total``, ``x-total-pages`` and a ``Link``
  header with absolute ``prev``/``next``/``first``/``last`` URLs.
- Users API (https://docs.gitlab.com/ee/api/users.html#get-the-current-user): ``GET /user`` is the token's
  own user, with ``bot: true`` for project and group access tokens' bot users.
- Authentication (https://docs.gitlab.com/ee/api/rest/authentication.html): a personal, project or group
  access token in the ``PRIVATE-TOKEN`` header (or ``Authorization: Bearer``); a missing or unknown token
  is answered ``401 {"message": "401 Unauthorized"}``; a token whose scope is ``read_api`` may read but not
  write (``403`` ``insufficient_scope``, as for any scope a request needs and the token lacks).
- Status codes and error bodies (https://docs.gitlab.com/ee/api/rest/troubleshooting.html#status-codes and
  https://docs.gitlab.com/ee/api/rest/index.html#data-validation-and-error-reporting): ``{"message": ...}``
  for 401, 403 and 404 (``404 Project Not Found``, ``404 Not found``), ``400`` with ``{"error": "body is
  missing"}`` for a missing attribute and ``{"message": {"note": [...]}}`` for a body that fails validation.
- Project ids (https://docs.gitlab.com/ee/api/rest/index.html#namespaced-paths): a numeric id or the
  URL-encoded path (``acme%2Fnotifications``).
- The API root is ``/api/v4`` (https://docs.gitlab.com/ee/api/rest/index.html), configurable as
  ``base_path`` for instances served under a relative URL.

The stand-in models private projects: every endpoint needs a token. Tests register merge requests
(``add_merge_request``), seed notes by any user (``seed_notes(..., user=, system=)``), script failures with
``fail_next`` / ``disconnect_next`` (optionally after storing the write, the case that makes blind POST
retries duplicate notes), and read what was asked in ``requests``. It shares no code with ``novu_action``.
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
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

from tests.stand_ins.local_server import LocalServer

DEFAULT_PER_PAGE = 20
MAX_PER_PAGE = 100
MAX_NOTE_CHARACTERS = 1_000_000
DEFAULT_BASE_PATH = "/api/v4"

_EPOCH = datetime(2026, 1, 1, tzinfo=UTC)
_NOTES = re.compile(r"/projects/(?P<project>[^/]+)/merge_requests/(?P<iid>[0-9]+)/notes")
_ONE_NOTE = re.compile(r"/projects/(?P<project>[^/]+)/merge_requests/(?P<iid>[0-9]+)/notes/(?P<id>[0-9]+)")
_IDLE_CONNECTION_TIMEOUT_SECONDS = 5.0
_FIRST_USER_ID = 101


@dataclass(frozen=True)
class StoredNote:
    id: int
    project_id: int
    mr_iid: int
    body: str
    author: str
    system: bool
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
    username: str
    scopes: frozenset[str]


@dataclass(frozen=True)
class _Project:
    id: int
    path: str


@dataclass(frozen=True)
class _Fault:
    method: str
    path_prefix: str
    status: int | None  # None: close the connection without answering
    times: int
    store_anyway: bool
    message: str


@dataclass(frozen=True)
class _Answer:
    status: int
    payload: Any
    headers: Mapping[str, str] = field(default_factory=dict)


class GitLabApiStandIn:
    """``with GitLabApiStandIn(tokens={...}) as api_url:`` serves on 127.0.0.1 and yields ``CI_API_V4_URL``.

    ``tokens`` maps a token to its user's username (scope ``api``); ``read_only_tokens`` likewise, with
    scope ``read_api``. A username of the form ``project_<id>_bot_<hex>`` is a bot user, as a project
    access token's is. Projects and merge requests exist once named by ``add_merge_request``.
    """

    def __init__(
        self,
        *,
        tokens: Mapping[str, str] | None = None,
        read_only_tokens: Mapping[str, str] | None = None,
        base_path: str = DEFAULT_BASE_PATH,
    ) -> None:
        if base_path and (not base_path.startswith("/") or base_path.endswith("/")):
            raise ValueError(f"base_path must look like '/api/v4', got {base_path!r}")
        self.base_path = base_path
        self._tokens = {t: _Token(u, frozenset({"api"})) for t, u in (tokens or {}).items()}
        self._tokens |= {t: _Token(u, frozenset({"read_api"})) for t, u in (read_only_tokens or {}).items()}
        self._lock = threading.Lock()
        self._users: dict[str, int] = {}
        self._projects: dict[int, _Project] = {}
        self._merge_requests: set[tuple[int, int]] = set()
        self._notes: dict[int, StoredNote] = {}
        self._next_note_id = 1_500_001
        self._ticks = 0
        self._faults: list[_Fault] = []
        self._requests: list[RecordedRequest] = []
        self._server: LocalServer | None = None
        for token in self._tokens.values():
            self._user_id(token.username)

    # -- lifecycle ---------------------------------------------------------------------------------------

    def start(self) -> str:
        self._server = LocalServer(_handler_for(self), name="gitlab-api-stand-in")
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
        if self._server is None:
            raise RuntimeError("the GitLab API stand-in is not running: call start() first")
        return self._server.origin

    @property
    def api_url(self) -> str:
        """What GitLab gives a job as ``CI_API_V4_URL``."""
        return self.origin + self.base_path

    # -- scripting ---------------------------------------------------------------------------------------

    def add_merge_request(
        self, project_id: int, mr_iid: int, *, project_path: str = "acme/notifications"
    ) -> None:
        with self._lock:
            known = self._projects.get(project_id)
            if known is not None and known.path != project_path:
                raise ValueError(f"project {project_id} is already {known.path!r}")
            self._projects[project_id] = _Project(project_id, project_path)
            self._merge_requests.add((project_id, mr_iid))

    def seed_notes(
        self,
        project_id: int,
        mr_iid: int,
        bodies: Iterable[str],
        *,
        user: str = "alice",
        system: bool = False,
    ) -> list[int]:
        """Store notes as if ``user`` had written them (or GitLab, for ``system``), oldest first."""
        with self._lock:
            if (project_id, mr_iid) not in self._merge_requests:
                raise ValueError(
                    f"no merge request !{mr_iid} in project {project_id}: add_merge_request first"
                )
            return [
                self._store(project_id=project_id, mr_iid=mr_iid, body=body, author=user, system=system).id
                for body in bodies
            ]

    def notes(self, project_id: int, mr_iid: int) -> list[StoredNote]:
        """The merge request's notes, oldest first (ascending id), system notes included."""
        with self._lock:
            return self._notes_of(project_id, mr_iid)

    def delete_note(self, note_id: int) -> None:
        """A person deletes a note in the web interface."""
        with self._lock:
            del self._notes[note_id]

    def user_id(self, username: str) -> int:
        with self._lock:
            return self._user_id(username)

    def fail_next(
        self,
        method: str,
        path_prefix: str,
        status: int,
        *,
        times: int = 1,
        store_anyway: bool = False,
        message: str = "500 Internal Server Error",
    ) -> None:
        """Answer the next ``times`` matching requests with ``status`` and ``{"message": message}``.

        ``path_prefix`` is relative to the API root. ``store_anyway=True`` performs the request first (a POST
        creates its note) and only then answers with the failure.
        """
        self._add_fault(_Fault(method.upper(), path_prefix, status, times, store_anyway, message))

    def disconnect_next(
        self, method: str, path_prefix: str, *, times: int = 1, store_anyway: bool = False
    ) -> None:
        """Close the connection without any answer on the next ``times`` matching requests."""
        self._add_fault(_Fault(method.upper(), path_prefix, None, times, store_anyway, ""))

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    def requests_to(self, method: str) -> list[RecordedRequest]:
        return [request for request in self.requests if request.method == method.upper()]

    # -- request handling (called from server threads) ---------------------------------------------------

    def _add_fault(self, fault: _Fault) -> None:
        with self._lock:
            self._faults.append(fault)

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
            if fault.status is None:
                return None
            return _Answer(fault.status, {"message": fault.message})

    def _route(self, request: RecordedRequest) -> _Answer:
        token = self._token_of(request.headers)
        if token is None:
            return _message(401, "401 Unauthorized")
        if request.path == "/user" and request.method == "GET":
            return _Answer(200, self._user_json(token.username))
        if match := _ONE_NOTE.fullmatch(request.path):
            found = self._merge_request(match["project"], int(match["iid"]))
            if isinstance(found, _Answer):
                return found
            note_id = int(match["id"])
            if request.method == "GET":
                return self._get(found, int(match["iid"]), note_id)
            if request.method == "PUT":
                return self._update(found, int(match["iid"]), note_id, body=request.body, token=token)
            return _method_not_allowed()
        if match := _NOTES.fullmatch(request.path):
            found = self._merge_request(match["project"], int(match["iid"]))
            if isinstance(found, _Answer):
                return found
            if request.method == "GET":
                return self._list(found, int(match["iid"]), request)
            if request.method == "POST":
                return self._create(found, int(match["iid"]), body=request.body, token=token)
            return _method_not_allowed()
        return _Answer(404, {"error": "404 Not Found"})  # no such route (Grape's own answer)

    def _token_of(self, headers: Mapping[str, str]) -> _Token | None:
        value = headers.get("private-token", "").strip()
        if not value:
            scheme, _, credentials = headers.get("authorization", "").partition(" ")
            value = credentials.strip() if scheme.lower() == "bearer" else ""
        return self._tokens.get(value) if value else None

    def _merge_request(self, project: str, mr_iid: int) -> _Project | _Answer:
        decoded = unquote(project)
        if decoded.isdigit():
            found = self._projects.get(int(decoded))
        else:
            found = next((p for p in self._projects.values() if p.path == decoded), None)
        if found is None:
            return _message(404, "404 Project Not Found")
        if (found.id, mr_iid) not in self._merge_requests:
            return _message(404, "404 Not found")
        return found

    def _list(self, project: _Project, mr_iid: int, request: RecordedRequest) -> _Answer:
        query = request.query
        order_by = query.get("order_by") if query.get("order_by") in ("created_at", "updated_at") else None
        key = "updated_at" if order_by == "updated_at" else "created_at"
        descending = query.get("sort", "desc") != "asc"  # the Notes API sorts `desc` unless told otherwise
        notes = sorted(
            self._notes_of(project.id, mr_iid), key=lambda n: (getattr(n, key), n.id), reverse=descending
        )
        per_page = min(_positive_int(query.get("per_page"), DEFAULT_PER_PAGE), MAX_PER_PAGE)
        page = _positive_int(query.get("page"), 1)
        total_pages = max(1, math.ceil(len(notes) / per_page))
        shown = notes[(page - 1) * per_page : page * per_page]
        path = request.path
        headers = {
            "x-page": str(page),
            "x-per-page": str(per_page),
            "x-next-page": str(page + 1) if page < total_pages else "",
            "x-prev-page": str(page - 1) if page > 1 else "",
            "x-total": str(len(notes)),
            "x-total-pages": str(total_pages),
            "Link": self._links(path, query, page=page, total_pages=total_pages, per_page=per_page),
        }
        return _Answer(200, [self._note_json(note) for note in shown], headers)

    def _links(
        self, path: str, query: Mapping[str, str], *, page: int, total_pages: int, per_page: int
    ) -> str:
        def url(target: int) -> str:
            params = {**query, "page": str(target), "per_page": str(per_page)}
            return f"{self.api_url}{path}?{urlencode(params)}"

        relations: list[tuple[str, int]] = []
        if page > 1:
            relations.append(("prev", min(page - 1, total_pages)))
        if page < total_pages:
            relations.append(("next", page + 1))
        relations += [("first", 1), ("last", total_pages)]
        return ", ".join(f'<{url(target)}>; rel="{relation}"' for relation, target in relations)

    def _get(self, project: _Project, mr_iid: int, note_id: int) -> _Answer:
        note = self._notes.get(note_id)
        if note is None or (note.project_id, note.mr_iid) != (project.id, mr_iid):
            return _message(404, "404 Not found")
        return _Answer(200, self._note_json(note))

    def _create(self, project: _Project, mr_iid: int, *, body: Any, token: _Token) -> _Answer:
        if "api" not in token.scopes:
            return _insufficient_scope()
        invalid = _invalid_body(body)
        if invalid is not None:
            return invalid
        note = self._store(
            project_id=project.id, mr_iid=mr_iid, body=body["body"], author=token.username, system=False
        )
        return _Answer(201, self._note_json(note))

    def _update(self, project: _Project, mr_iid: int, note_id: int, *, body: Any, token: _Token) -> _Answer:
        note = self._notes.get(note_id)
        if note is None or (note.project_id, note.mr_iid) != (project.id, mr_iid):
            return _message(404, "404 Not found")
        if "api" not in token.scopes:
            return _insufficient_scope()
        if note.system or note.author != token.username:  # only the author edits a note
            return _message(403, "403 Forbidden")
        invalid = _invalid_body(body)
        if invalid is not None:
            return invalid
        updated = replace(note, body=body["body"], updated_at=self._now())
        self._notes[note_id] = updated
        return _Answer(200, self._note_json(updated))

    def _store(self, *, project_id: int, mr_iid: int, body: str, author: str, system: bool) -> StoredNote:
        now = self._now()
        note = StoredNote(self._next_note_id, project_id, mr_iid, body, author, system, now, now)
        self._user_id(author)
        self._notes[note.id] = note
        self._next_note_id += 1
        return note

    def _notes_of(self, project_id: int, mr_iid: int) -> list[StoredNote]:
        return sorted(
            (n for n in self._notes.values() if (n.project_id, n.mr_iid) == (project_id, mr_iid)),
            key=lambda n: n.id,
        )

    def _user_id(self, username: str) -> int:
        if username not in self._users:
            self._users[username] = _FIRST_USER_ID + len(self._users)
        return self._users[username]

    def _now(self) -> datetime:
        self._ticks += 1
        return _EPOCH + timedelta(seconds=self._ticks)

    def _user_json(self, username: str) -> dict[str, Any]:
        web = self.origin
        return {
            "id": self._user_id(username),
            "username": username,
            "name": username.replace("_", " ").title(),
            "state": "active",
            "locked": False,
            "avatar_url": f"{web}/uploads/-/system/user/avatar/{self._user_id(username)}/avatar.png",
            "web_url": f"{web}/{username}",
            "created_at": _iso(_EPOCH),
            "bot": _is_bot(username),
        }

    def _note_json(self, note: StoredNote) -> dict[str, Any]:
        author = self._user_json(note.author)
        return {
            "id": note.id,
            "type": None,
            "body": note.body,
            "attachment": None,
            "author": {
                key: author[key] for key in ("id", "username", "name", "state", "avatar_url", "web_url")
            },
            "created_at": _iso(note.created_at),
            "updated_at": _iso(note.updated_at),
            "system": note.system,
            "noteable_id": 90_000 + note.mr_iid,
            "noteable_type": "MergeRequest",
            "project_id": note.project_id,
            "resolvable": False,
            "confidential": False,
            "internal": False,
            "noteable_iid": note.mr_iid,
            "commands_changes": {},
        }


def _handler_for(stand_in: GitLabApiStandIn) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as the real API and pooled clients expect
        timeout = _IDLE_CONNECTION_TIMEOUT_SECONDS

        def do_GET(self) -> None:
            self._serve()

        def do_POST(self) -> None:
            self._serve()

        def do_PUT(self) -> None:
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
                self._send(_Answer(404, {"error": "404 Not Found"}))
                return
            request = RecordedRequest(
                method=self.command,
                path=split.path.removeprefix(stand_in.base_path),
                query=dict(parse_qsl(split.query)),
                headers={name.lower(): value for name, value in self.headers.items()},
                body=_parse_body(raw_body, self.headers.get("Content-Type", "")),
            )
            answer = stand_in._handle(request)
            if answer is None:
                self.close_connection = True
                return
            self._send(answer)

        def _send(self, answer: _Answer) -> None:
            payload = json.dumps(answer.payload).encode()
            self.send_response(answer.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            for name, value in answer.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)

    return Handler


def _invalid_body(body: Any) -> _Answer | None:
    if not isinstance(body, dict) or not isinstance(body.get("body"), str) or not body["body"]:
        return _Answer(400, {"error": "body is missing"})
    if len(body["body"]) > MAX_NOTE_CHARACTERS:
        return _Answer(
            400, {"message": {"note": [f"is too long (maximum is {MAX_NOTE_CHARACTERS} characters)"]}}
        )
    return None


def _insufficient_scope() -> _Answer:
    return _Answer(
        403,
        {
            "error": "insufficient_scope",
            "error_description": "The request requires higher privileges than provided by the access token.",
            "scope": "api",
        },
    )


def _method_not_allowed() -> _Answer:
    return _Answer(405, {"error": "405 Not Allowed"})


def _message(status: int, message: str) -> _Answer:
    return _Answer(status, {"message": message})


def _is_bot(username: str) -> bool:
    return re.fullmatch(r"(project|group)_[0-9]+_bot_[0-9a-f]+", username) is not None


def _positive_int(value: str | None, default: int) -> int:
    """A missing, malformed or non-positive paging parameter falls back to its default."""
    if value is None or not value.isdigit() or int(value) < 1:
        return default
    return int(value)


def _parse_body(raw: bytes, content_type: str) -> Any:
    """JSON, or form fields (``body=...``), as the API accepts either."""
    if not raw:
        return None
    if "application/x-www-form-urlencoded" in content_type:
        return dict(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))
    try:
        return json.loads(raw)
    except ValueError:
        return None


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")
