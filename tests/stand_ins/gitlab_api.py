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
retries duplicate notes), and read what was asked in ``requests``. Serving, faults and the request log are
``rest_api.RestApiStandIn``'s, shared with the GitHub stand-in. It shares no code with ``novu_action``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, unquote, urlencode

from tests.stand_ins.rest_api import (
    Answer,
    Page,
    RecordedRequest,
    RestApiHandler,
    RestApiStandIn,
    parse_json,
)

DEFAULT_PER_PAGE = 20
MAX_PER_PAGE = 100
MAX_NOTE_CHARACTERS = 1_000_000
DEFAULT_BASE_PATH = "/api/v4"

_EPOCH = datetime(2026, 1, 1, tzinfo=UTC)
_NOTES = re.compile(r"/projects/(?P<project>[^/]+)/merge_requests/(?P<iid>[0-9]+)/notes")
_ONE_NOTE = re.compile(r"/projects/(?P<project>[^/]+)/merge_requests/(?P<iid>[0-9]+)/notes/(?P<id>[0-9]+)")
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
class _Token:
    username: str
    scopes: frozenset[str]


@dataclass(frozen=True)
class _Project:
    id: int
    path: str


class _Handler(RestApiHandler):
    def do_PUT(self) -> None:
        self._serve()


class GitLabApiStandIn(RestApiStandIn):
    """``with GitLabApiStandIn(tokens={...}) as api_url:`` serves on 127.0.0.1 and yields ``CI_API_V4_URL``.

    ``tokens`` maps a token to its user's username (scope ``api``); ``read_only_tokens`` likewise, with
    scope ``read_api``. A username of the form ``project_<id>_bot_<hex>`` is a bot user, as a project
    access token's is. Projects and merge requests exist once named by ``add_merge_request``.
    """

    _name = "GitLab API stand-in"
    _handler = _Handler
    _server_error_message = "500 Internal Server Error"

    def __init__(
        self,
        *,
        tokens: Mapping[str, str] | None = None,
        read_only_tokens: Mapping[str, str] | None = None,
        base_path: str = DEFAULT_BASE_PATH,
    ) -> None:
        super().__init__(base_path=base_path)
        self._tokens = {t: _Token(u, frozenset({"api"})) for t, u in (tokens or {}).items()}
        self._tokens |= {t: _Token(u, frozenset({"read_api"})) for t, u in (read_only_tokens or {}).items()}
        self._users: dict[str, int] = {}
        self._projects: dict[int, _Project] = {}
        self._merge_requests: set[tuple[int, int]] = set()
        self._notes: dict[int, StoredNote] = {}
        self._next_note_id = 1_500_001
        self._ticks = 0
        for token in self._tokens.values():
            self._user_id(token.username)

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

    # -- request handling (called from server threads) ---------------------------------------------------

    def _no_such_route(self) -> Answer:
        return Answer(404, {"error": "404 Not Found"})  # no such route (Grape's own answer)

    def _parse_body(self, raw: bytes, content_type: str) -> Any:
        """JSON, or form fields (``body=...``), as the API accepts either."""
        if raw and "application/x-www-form-urlencoded" in content_type:
            return dict(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))
        return parse_json(raw)

    def _route(self, request: RecordedRequest) -> Answer:
        token = self._token_of(request.headers)
        if token is None:
            return _message(401, "401 Unauthorized")
        if request.path == "/user" and request.method == "GET":
            return Answer(200, self._user_json(token.username))
        if match := _ONE_NOTE.fullmatch(request.path):
            found = self._merge_request(match["project"], int(match["iid"]))
            if isinstance(found, Answer):
                return found
            note_id = int(match["id"])
            if request.method == "GET":
                return self._get(found, int(match["iid"]), note_id)
            if request.method == "PUT":
                return self._update(found, int(match["iid"]), note_id, body=request.body, token=token)
            return _method_not_allowed()
        if match := _NOTES.fullmatch(request.path):
            found = self._merge_request(match["project"], int(match["iid"]))
            if isinstance(found, Answer):
                return found
            if request.method == "GET":
                return self._list(found, int(match["iid"]), request)
            if request.method == "POST":
                return self._create(found, int(match["iid"]), body=request.body, token=token)
            return _method_not_allowed()
        return self._no_such_route()

    def _token_of(self, headers: Mapping[str, str]) -> _Token | None:
        value = headers.get("private-token", "").strip()
        if not value:
            scheme, _, credentials = headers.get("authorization", "").partition(" ")
            value = credentials.strip() if scheme.lower() == "bearer" else ""
        return self._tokens.get(value) if value else None

    def _merge_request(self, project: str, mr_iid: int) -> _Project | Answer:
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

    def _list(self, project: _Project, mr_iid: int, request: RecordedRequest) -> Answer:
        query = request.query
        order_by = query.get("order_by") if query.get("order_by") in ("created_at", "updated_at") else None
        key = "updated_at" if order_by == "updated_at" else "created_at"
        descending = query.get("sort", "desc") != "asc"  # the Notes API sorts `desc` unless told otherwise
        notes = sorted(
            self._notes_of(project.id, mr_iid), key=lambda n: (getattr(n, key), n.id), reverse=descending
        )
        page = Page.of(query, count=len(notes), default_per_page=DEFAULT_PER_PAGE, max_per_page=MAX_PER_PAGE)
        number, per_page, total_pages = page.number, page.per_page, page.last
        path = request.path
        headers = {
            "x-page": str(number),
            "x-per-page": str(per_page),
            "x-next-page": str(number + 1) if number < total_pages else "",
            "x-prev-page": str(number - 1) if number > 1 else "",
            "x-total": str(len(notes)),
            "x-total-pages": str(total_pages),
            "Link": self._links(path, query, page=number, total_pages=total_pages, per_page=per_page),
        }
        return Answer(200, [self._note_json(note) for note in page.items(notes)], headers)

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

    def _get(self, project: _Project, mr_iid: int, note_id: int) -> Answer:
        note = self._notes.get(note_id)
        if note is None or (note.project_id, note.mr_iid) != (project.id, mr_iid):
            return _message(404, "404 Not found")
        return Answer(200, self._note_json(note))

    def _create(self, project: _Project, mr_iid: int, *, body: Any, token: _Token) -> Answer:
        if "api" not in token.scopes:
            return _insufficient_scope()
        invalid = _invalid_body(body)
        if invalid is not None:
            return invalid
        note = self._store(
            project_id=project.id, mr_iid=mr_iid, body=body["body"], author=token.username, system=False
        )
        return Answer(201, self._note_json(note))

    def _update(self, project: _Project, mr_iid: int, note_id: int, *, body: Any, token: _Token) -> Answer:
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
        return Answer(200, self._note_json(updated))

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


def _invalid_body(body: Any) -> Answer | None:
    if not isinstance(body, dict) or not isinstance(body.get("body"), str) or not body["body"]:
        return Answer(400, {"error": "body is missing"})
    if len(body["body"]) > MAX_NOTE_CHARACTERS:
        return Answer(
            400, {"message": {"note": [f"is too long (maximum is {MAX_NOTE_CHARACTERS} characters)"]}}
        )
    return None


def _insufficient_scope() -> Answer:
    return Answer(
        403,
        {
            "error": "insufficient_scope",
            "error_description": "The request requires higher privileges than provided by the access token.",
            "scope": "api",
        },
    )


def _method_not_allowed() -> Answer:
    return Answer(405, {"error": "405 Not Allowed"})


def _message(status: int, message: str) -> Answer:
    return Answer(status, {"message": message})


def _is_bot(username: str) -> bool:
    return re.fullmatch(r"(project|group)_[0-9]+_bot_[0-9a-f]+", username) is not None


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")
