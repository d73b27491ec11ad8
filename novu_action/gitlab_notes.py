"""GitLab's notes API: the one sticky merge-request note of ``novu-sync ci`` (``gitlab.py``).

``GET/POST/PUT {CI_API_V4_URL}/projects/{id}/merge_requests/{iid}/notes`` through ``http.HttpClient``,
the one HTTP policy of the project, with the token in ``PRIVATE-TOKEN``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from novu_action.errors import ActionError
from novu_action.redaction import redact_url, remote_text
from novu_action.settings import CommentMode

if TYPE_CHECKING:
    from novu_action.github import CommentOutcome
    from novu_action.http import HttpClient, HttpResponse, RetryPolicy

TOKEN_VARIABLE = "NOVU_GITLAB_TOKEN"  # noqa: S105 -- the variable's name, not a token
_PER_PAGE = 100
_MAX_PAGES = 100  # 10,000 notes; GitLab itself stops counting pages there
_FIRST_SERVER_ERROR = 500
_UNAUTHORIZED, _FORBIDDEN, _NOT_FOUND, _TOO_MANY_REQUESTS = 401, 403, 404, 429
_TOKEN_HELP = (
    "Create a project access token with the `api` scope and at least the Reporter role (Settings → Access "
    f"tokens) and store it as the masked CI/CD variable {TOKEN_VARIABLE}"
)


class NoteError(ActionError):
    """The merge-request note could not be read or written."""

    title = "Merge request note failed"


@dataclass(frozen=True)
class _Note:
    id: int
    body: str


@dataclass(frozen=True)
class MergeRequestNotes:
    """The sticky note of one merge request, as ``pipeline.CommentPublisher``.

    ``GET/POST/PUT {api_url}/projects/{project_id}/merge_requests/{mr_iid}/notes`` with the token in
    ``PRIVATE-TOKEN``. Notes are listed oldest first, 100 a page, following ``x-next-page``; of the notes
    whose first line is the marker and whose author is the token's own user, the newest is the action's.
    """

    http: HttpClient
    api_url: str
    project_id: str
    project_path: str | None
    mr_iid: int
    token: str | None
    web_url: str | None  # the project's web URL, for the note's link
    rewrite: Callable[[str], str] = lambda body: body

    def publish(self, *, body: str, marker: str, mode: CommentMode, has_changes: bool) -> CommentOutcome:
        """Create, update or leave alone the note that starts with ``marker``. Raises ``NoteError``."""
        from novu_action.github import CommentOutcome
        from novu_action.http import ResponseTooLargeError, TransportError

        if mode is CommentMode.OFF:
            return CommentOutcome("skipped", None, None)
        if not self.token:
            return CommentOutcome(
                "skipped",
                None,
                f"No merge request note: {TOKEN_VARIABLE} is not set. {_TOKEN_HELP}. The report is in the "
                "job's log and its report artifact.",
            )
        body = self.rewrite(body)
        if body.split("\n", 1)[0] != marker:
            raise ValueError("the rendered note must start with its marker line, or it is never found again")
        try:
            return self._publish(
                body=body, marker=marker, create_allowed=mode is CommentMode.ALWAYS or has_changes
            )
        except TransportError as error:
            raise NoteError(
                f"Could not reach the GitLab API at {redact_url(self.api_url)} while {self._doing} "
                f"({error.reason}). Re-run the job; on a self-managed GitLab check that the runner can reach "
                "CI_API_V4_URL."
            ) from None
        except ResponseTooLargeError:
            raise NoteError(
                f"GitLab's answer while {self._doing} was larger than this tool reads. Re-run the job; if it "
                "persists, please report it."
            ) from None
        finally:
            self.http.close()

    # -- the calls ---------------------------------------------------------------------------------------

    def _publish(self, *, body: str, marker: str, create_allowed: bool) -> CommentOutcome:
        from novu_action.github import CommentOutcome

        own_id: list[int] = []  # asked of GET /user once, only when a marked note must be judged
        existing = self._newest_own(marker=marker, own_id=own_id)
        if existing is not None:
            if existing.body.rstrip() == body.rstrip():
                return CommentOutcome("unchanged", self._url(existing.id), None)
            if self._edited(existing.id, body):
                return CommentOutcome("updated", self._url(existing.id), None)
            # Deleted since it was listed: create it again, as if there had never been one.
        if not create_allowed:
            return CommentOutcome("skipped", None, None)
        created = self._create_once(body=body, marker=marker, own_id=own_id)
        return CommentOutcome("created", self._url(created), None)

    def _newest_own(self, *, marker: str, own_id: list[int]) -> _Note | None:
        marked = [
            note
            for note in self._notes()
            if _first_line(note.get("body")) == marker and not note.get("system")
        ]
        if not marked:
            return None
        me = self._own_id(own_id)
        own = [
            _Note(int(note["id"]), str(note["body"]))
            for note in marked
            if isinstance(note.get("id"), int) and _author_id(note) == me
        ]
        return max(own, key=lambda note: note.id, default=None)

    def _notes(self) -> Iterator[dict[str, Any]]:
        """Every note of the merge request, oldest first, page by page (``x-next-page``)."""
        from novu_action.wire import parse_json

        page = 1
        for _ in range(_MAX_PAGES):
            query = f"?sort=asc&order_by=created_at&per_page={_PER_PAGE}&page={page}"
            response = self._request("GET", self._notes_url + query)
            if not response.ok:
                raise self._error(response)
            notes = parse_json(response.body)
            if not isinstance(notes, list):
                raise NoteError(
                    f"GitLab answered {response.status} with something other than a list of notes while "
                    f"{self._doing}. Check that CI_API_V4_URL is GitLab's API (it ends in /api/v4)."
                )
            yield from (note for note in notes if isinstance(note, dict))
            following = _next_page(response, page=page)
            if following is None:
                return
            page = following

    def _own_id(self, own_id: list[int]) -> int:
        from novu_action.wire import json_object

        if not own_id:
            response = self._request("GET", f"{self.api_url.rstrip('/')}/user")
            if not response.ok:
                raise self._error(response)
            user = json_object(response) or {}
            if not isinstance(user.get("id"), int):
                raise NoteError(
                    f"GitLab's GET /user answered without a user id while {self._doing}. Check that "
                    f"{TOKEN_VARIABLE} is a personal, project or group access token."
                )
            own_id.append(user["id"])
        return own_id[0]

    def _edited(self, note_id: int, body: str) -> bool:
        """``PUT`` the note; False when it was deleted after it was listed (404)."""
        response = self._request("PUT", f"{self._notes_url}/{note_id}", json_body={"body": body})
        if response.status == _NOT_FOUND:
            return False
        if not response.ok:
            raise self._error(response)
        return True

    def _create_once(self, *, body: str, marker: str, own_id: list[int]) -> int:
        """Create the note; after an answer that leaves it unknown whether GitLab stored it (a 5xx, a lost
        connection), look for it before posting once more: posting again blindly duplicates notes."""
        from novu_action.http import TransportError

        try:
            response = self._post(body)
        except TransportError as error:
            if not error.sent:
                raise
        else:
            if response.status < _FIRST_SERVER_ERROR:
                return self._created_id(response)
        stored = self._newest_own(marker=marker, own_id=own_id)
        if stored is not None and stored.body.rstrip() == body.rstrip():
            return stored.id
        response = self._post(body)
        return self._created_id(response)

    def _post(self, body: str) -> HttpResponse:
        from novu_action.http import RetryPolicy

        # Only what GitLab cannot have acted on is sent again by the client itself (429, unsent requests).
        return self._request(
            "POST", self._notes_url, json_body={"body": body}, policy=RetryPolicy(resend_after_send=False)
        )

    def _created_id(self, response: HttpResponse) -> int:
        from novu_action.wire import json_object

        if not response.ok:
            raise self._error(response)
        note = json_object(response) or {}
        if not isinstance(note.get("id"), int):
            raise NoteError(
                f"GitLab answered {response.status} without the new note's id while {self._doing}."
            )
        return int(note["id"])

    def _request(
        self, method: str, url: str, *, json_body: Any = None, policy: RetryPolicy | None = None
    ) -> HttpResponse:
        return self.http.request(
            method,
            url,
            headers={"PRIVATE-TOKEN": self.token or ""},
            json_body=json_body,
            policy=policy,
            label="GitLab API",
        )

    # -- words -------------------------------------------------------------------------------------------

    @property
    def _notes_url(self) -> str:
        project = quote(self.project_id, safe="")  # a numeric id, or a namespaced path URL-encoded
        return f"{self.api_url.rstrip('/')}/projects/{project}/merge_requests/{self.mr_iid}/notes"

    @property
    def _where(self) -> str:
        return f"merge request !{self.mr_iid} of {self.project_path or 'project ' + self.project_id}"

    @property
    def _doing(self) -> str:
        return f"writing the note on {self._where}"

    def _url(self, note_id: int) -> str | None:
        if not self.web_url:
            return None
        return f"{self.web_url.rstrip('/')}/-/merge_requests/{self.mr_iid}#note_{note_id}"

    def _error(self, response: HttpResponse) -> NoteError:
        status, message = response.status, _gitlab_message(response)
        if self.token:
            message = message.replace(self.token, "***")
        if status == _UNAUTHORIZED:
            text = (
                f'GitLab rejected {TOKEN_VARIABLE} (401 "{message}"): it is invalid, expired or revoked. '
                f"{_TOKEN_HELP}."
            )
        elif status == _FORBIDDEN and "insufficient_scope" in message:
            text = (
                f'GitLab refused the note on {self._where} (403 "{message}"): {TOKEN_VARIABLE} lacks the '
                f"`api` scope. {_TOKEN_HELP}."
            )
        elif status == _FORBIDDEN:
            text = (
                f'GitLab refused the note on {self._where} (403 "{message}"): the token\'s user may not '
                "comment there. Give the access token at least the Reporter role in this project."
            )
        elif status == _NOT_FOUND:
            text = (
                f'GitLab answered 404 ("{message}") while {self._doing}: the project or the merge request '
                f"does not exist, or {TOKEN_VARIABLE} cannot see it. Use a token of this project (or of a "
                "group above it)."
            )
        elif status == _TOO_MANY_REQUESTS:
            text = (
                f'GitLab\'s rate limit stopped the note on {self._where} (429 "{message}"). Re-run the job '
                "later."
            )
        elif status >= _FIRST_SERVER_ERROR:
            text = (
                f'GitLab kept failing while {self._doing} ({status} "{message}"), also after retries. Re-run '
                "the job."
            )
        else:
            text = (
                f'GitLab refused the note on {self._where} ({status} "{message}"). Please report this as a '
                "bug."
            )
        return NoteError(text)


def _gitlab_message(response: HttpResponse) -> str:
    """GitLab's error text: ``{"message": "..."}``, ``{"message": {"note": [...]}}`` or ``{"error": ...}``."""
    from novu_action.http import status_text
    from novu_action.wire import json_object

    body = json_object(response) or {}
    message, error = body.get("message"), body.get("error")
    if isinstance(message, str):
        text = message
    elif isinstance(message, dict):
        text = "; ".join(
            f"{field} {', '.join(map(str, value)) if isinstance(value, list) else value}"
            for field, value in message.items()
        )
    elif isinstance(error, str):
        description = body.get("error_description")
        text = f"{error}: {description}" if isinstance(description, str) else error
    else:
        text = status_text(response)
    return remote_text(text, limit=200)


def _next_page(response: HttpResponse, *, page: int) -> int | None:
    """The page after ``page``: ``x-next-page`` (empty on the last page), else ``x-total-pages``."""
    following = response.header("x-next-page").strip()
    if following:
        return int(following) if following.isdigit() and int(following) > page else None
    if "x-next-page" in response.headers:
        return None
    total = response.header("x-total-pages").strip()
    return page + 1 if total.isdigit() and page < int(total) else None


def _first_line(body: Any) -> str:
    return body.split("\n", 1)[0].rstrip("\r") if isinstance(body, str) else ""


def _author_id(note: Mapping[str, Any]) -> int | None:
    author = note.get("author")
    return author.get("id") if isinstance(author, dict) and isinstance(author.get("id"), int) else None
