"""``novu-sync ci`` in GitLab CI: the action's pipeline, with GitLab's predefined variables as the event
and one sticky merge-request note as the comment.

The very same target, plan, guards, apply and renderer as the GitHub Action; only the edges differ:

- Inputs come from CI/CD variables named ``NOVU_<INPUT>`` (``secret-key`` is ``NOVU_SECRET_KEY``,
  ``production-bridge-url`` is ``NOVU_PRODUCTION_BRIDGE_URL``), messages name those variables.
- The event comes from ``CI_PIPELINE_SOURCE``: a merge request pipeline (``merge_request_event``) previews
  the environment of ``CI_MERGE_REQUEST_TARGET_BRANCH_NAME``; a branch pipeline (``push``, ``web``,
  ``schedule``, ``api``, ``trigger``) syncs the environment of ``CI_COMMIT_BRANCH``; a tag pipeline skips.
- The preview goes to one note per merge request and ``id``, found again by the same hidden marker line as
  the GitHub comment **and** by its author: only a note written by the user behind ``NOVU_GITLAB_TOKEN``
  (``GET /user``) is the action's, never a person's, never a system note. Nothing is ever deleted.
- The report is written as Markdown to ``NOVU_REPORT_FILE`` (default ``novu-sync-report.md`` in
  ``CI_PROJECT_DIR``, for ``artifacts:``) and printed as text; progress goes to the job log in
  collapsible sections. Exit status 0 for success and skips, 1 for any failure.

GitLab's notes API is called through ``http.HttpClient``, the one HTTP policy of the project.
"""

from __future__ import annotations

import os
import re
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO
from urllib.parse import quote

from pydantic import ValidationError

from novu_action.errors import ActionError
from novu_action.events import BRANCH_PREFIX, TAG_PREFIX, Event
from novu_action.redaction import redact_url, remote_text, url_secrets
from novu_action.report import Failure, RunResult, Status
from novu_action.settings import CommentMode, Inputs, RequestedMode, RunContext, Settings, describe
from novu_action.target import Skip
from novu_action.wording import DISPATCH_RECIPE, DRIFT_ADVICE

if TYPE_CHECKING:
    from novu_action.events import PullRequest
    from novu_action.github import CommentOutcome
    from novu_action.http import HttpClient, HttpResponse, RetryPolicy
    from novu_action.pipeline import CommentPublisher

EXIT_SUCCESS, EXIT_FAILED = 0, 1
TOKEN_VARIABLE = "NOVU_GITLAB_TOKEN"  # noqa: S105 -- the variable's name, not a token
REPORT_FILE_VARIABLE = "NOVU_REPORT_FILE"
DEFAULT_REPORT_FILE = "novu-sync-report.md"
NOVU_SOURCE = "gitlabCi"  # `source` of Novu's bridge/sync request
MERGE_REQUEST_EVENT = "merge_request_event"
# CI_PIPELINE_SOURCE of branch pipelines, and the action's event each is read as.
BRANCH_SOURCES = {
    "push": "push",
    "schedule": "schedule",
    "web": "workflow_dispatch",
    "api": "workflow_dispatch",
    "trigger": "workflow_dispatch",
}
# Inputs that mean nothing here: GitLab has its own token variable.
_NOT_GITLAB_INPUTS = frozenset({"github-token"})
_PER_PAGE = 100
_MAX_PAGES = 100  # 10,000 notes; GitLab itself stops counting pages there
_UNAUTHORIZED, _FORBIDDEN, _NOT_FOUND, _TOO_MANY_REQUESTS = 401, 403, 404, 429
_FIRST_SERVER_ERROR = 500
_TOKEN_HELP = (
    "Create a project access token with the `api` scope and at least the Reporter role (Settings → Access "
    f"tokens) and store it as the masked CI/CD variable {TOKEN_VARIABLE}"
)
_NOT_GITLAB = (
    "novu-sync ci: this is not a GitLab CI job (GITLAB_CI is not `true`). `novu-sync ci` knows GitLab CI "
    "only; in any other CI system or a terminal run `novu-sync plan` or `novu-sync sync` with NOVU_* "
    "environment variables (see the README).\n"
)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")  # no escape sequence, no carriage return: no fake sections


class GitLabVariablesError(ActionError):
    title = "Invalid CI/CD variables"


class NoteError(ActionError):
    """The merge-request note could not be read or written."""

    title = "Merge request note failed"


def variable_for(input_name: str) -> str:
    """``NOVU_PRODUCTION_SECRET_KEY`` for ``production-secret-key``."""
    return "NOVU_" + input_name.upper().replace("-", "_")


GITLAB_INPUTS = tuple(name for name in Inputs.input_names if name not in _NOT_GITLAB_INPUTS)


# -- the job ----------------------------------------------------------------------------------------------


def main(*, environ: Mapping[str, str] = os.environ, stream: TextIO = sys.stdout) -> int:
    """Run the pipeline for this GitLab CI job; write the report file and print the report."""
    if environ.get("GITLAB_CI") != "true":
        stream.write(_NOT_GITLAB)
        return EXIT_FAILED
    log = GitLabLog(stream, secrets=secrets_of(environ))
    try:
        result = _run(environ, log)
    except ActionError as error:
        result = RunResult(Status.FAILED, mode="", failure=Failure(error.title, str(error)))
    except Exception as error:  # the last line of defence: one clear message, no traceback
        result = RunResult(
            Status.FAILED,
            mode="",
            failure=Failure(
                "Unexpected error",
                f"{type(error).__name__}: {error}. Nothing more was sent. This is a bug in novu-sync-action: "
                "please open an issue with this log.",
            ),
        )
    return _report(result, environ=environ, log=log)


def _run(environ: Mapping[str, str], log: GitLabLog) -> RunResult:
    from novu_action.connections import LiveConnections
    from novu_action.pipeline import Clock, run

    job = load_job(environ, on_retry=log.log)
    if isinstance(job, Skip):
        return RunResult(Status.SKIPPED, mode="skip", skip_reason=job.reason)
    inputs = job.settings.inputs
    return run(
        settings=job.settings,
        connections=LiveConnections(
            api_url=inputs.api_url,
            timeout=inputs.timeout,
            workspace=job.settings.context.workspace,
            host=job.host,
            on_retry=log.log,
            novu_source=NOVU_SOURCE,
        ),
        progress=log,
        clock=Clock(now=time.time, sleep=time.sleep),
    )


def _report(result: RunResult, *, environ: Mapping[str, str], log: GitLabLog) -> int:
    """The Markdown report to its file, the text report to the log; the job's exit status."""
    from novu_action.render import render_summary
    from novu_action.terminal import render_text

    path = report_path(environ)
    result = _in_gitlab_words(result)
    log.write(log.clean(render_text(result, colour=not environ.get("NO_COLOR"))))
    if result.comment_notice:
        log.write(f"Notice: {result.comment_notice}\n")
    if result.comment_url:
        log.write(f"Merge request note: {result.comment_url}\n")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(log.clean(render_summary(result)), encoding="utf-8")
    except OSError as error:
        log.write(
            f"Error: the report could not be written to {path} ({error.strerror or type(error).__name__}). "
            f"Set {REPORT_FILE_VARIABLE} to a writable path inside CI_PROJECT_DIR.\n"
        )
        return EXIT_FAILED
    log.write(f"Report written to {path}\n")
    return EXIT_FAILED if result.failure is not None else EXIT_SUCCESS


def _in_gitlab_words(result: RunResult) -> RunResult:
    """The result's own sentences in GitLab's words before rendering (rendered text is escaped: a skip's
    reason, for one, no longer shows its `quoted` input names as they were written)."""
    failure = result.failure
    return replace(
        result,
        skip_reason=in_gitlab_words(result.skip_reason) if result.skip_reason else result.skip_reason,
        failure=Failure(in_gitlab_words(failure.title), in_gitlab_words(failure.message))
        if failure
        else None,
        comment_notice=in_gitlab_words(result.comment_notice) if result.comment_notice else None,
    )


def report_path(environ: Mapping[str, str]) -> Path:
    """``NOVU_REPORT_FILE``, relative to ``CI_PROJECT_DIR``; ``novu-sync-report.md`` there by default."""
    given = Path(environ.get(REPORT_FILE_VARIABLE, "").strip() or DEFAULT_REPORT_FILE)
    return given if given.is_absolute() else Path(environ.get("CI_PROJECT_DIR") or ".") / given


def secrets_of(environ: Mapping[str, str]) -> list[str]:
    """What must never be printed: the Novu keys and signing secrets, the GitLab tokens, and query values
    (bypass tokens) and userinfo of the bridge URLs, read from the raw variables before any validation."""
    found = [environ.get(name, "").strip() for name in (TOKEN_VARIABLE, "CI_JOB_TOKEN")]
    found += [environ.get(variable_for(name), "").strip() for name in Inputs.secret_inputs()]
    for name in Inputs.query_secret_inputs():
        value = environ.get(variable_for(name), "").strip()
        found += url_secrets(value if "://" in value else f"http://host{value}")
    return [secret for secret in found if secret]


class GitLabLog:
    """``pipeline.Progress`` in a GitLab job log: groups become collapsible sections, every secret is
    masked, the action's words become GitLab's, and no control character reaches the log."""

    def __init__(
        self, stream: TextIO, *, secrets: Sequence[str], clock: Callable[[], float] = time.time
    ) -> None:
        self._stream = stream
        self._secrets = sorted({secret for secret in secrets if secret}, key=len, reverse=True)
        self._clock = clock
        self._sections = 0

    def log(self, text: str) -> None:
        self.write(_CONTROL.sub("", self.clean(text)) + "\n")

    @contextmanager
    def group(self, title: str) -> Iterator[None]:
        self._sections += 1
        name = f"novu_sync_{self._sections}"
        shown = _CONTROL.sub("", self.clean(title))
        self.write(f"\x1b[0Ksection_start:{int(self._clock())}:{name}\r\x1b[0K{shown}\n")
        try:
            yield
        finally:
            self.write(f"\x1b[0Ksection_end:{int(self._clock())}:{name}\r\x1b[0K\n")

    def write(self, text: str) -> None:
        self._stream.write(self.redact(text))
        self._stream.flush()

    def clean(self, text: str) -> str:
        """``text`` in GitLab's words, secrets masked."""
        return self.redact(in_gitlab_words(text))

    def redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text


# -- settings from GitLab's variables ---------------------------------------------------------------------


@dataclass(frozen=True)
class GitLabRunContext(RunContext):
    """``RunContext`` with GitLab's links: the pipeline page and ``<project>/-/commit/<sha>``."""

    pipeline_url: str | None
    project_url: str | None

    @property
    def run_url(self) -> str | None:
        return self.pipeline_url

    def commit_url(self, sha: str | None) -> str | None:
        if not (self.project_url and sha):
            return None
        return f"{self.project_url}/-/commit/{sha}"


@dataclass(frozen=True)
class GitLabJob:
    settings: Settings
    host: GitLabHost


def load_job(
    environ: Mapping[str, str], *, on_retry: Callable[[str], None] = lambda _: None
) -> GitLabJob | Skip:
    """Inputs from ``NOVU_*``, the event and context from GitLab's predefined variables; every problem at
    once. A merge request pipeline that runs in a fork skips: it has none of the project's variables."""
    problems: list[str] = []
    inputs: Inputs | None = None
    try:
        inputs = read_inputs(environ)
    except ValidationError as error:
        problems.extend(_as_variable(problem) for problem in describe(error))
    event: Event | Skip | None = None
    try:
        event = pipeline_event(environ, requested=inputs.mode if inputs else RequestedMode.AUTO)
    except ValueError as error:
        problems.append(str(error))
    if problems or inputs is None or event is None:
        listing = "\n".join(f"- {problem}" for problem in problems)
        count = "1 problem" if len(problems) == 1 else f"{len(problems)} problems"
        raise GitLabVariablesError(f"{count} with the job's variables; nothing was sent:\n{listing}")
    if isinstance(event, Skip):
        return event
    fork = _fork_skip(environ, event)
    if fork is not None:
        return fork
    return GitLabJob(
        settings=Settings(inputs=inputs, context=run_context(environ, event), event=event),
        host=GitLabHost(
            api_url=_get(environ, "CI_API_V4_URL"),
            project_id=_get(environ, "CI_MERGE_REQUEST_PROJECT_ID") or _get(environ, "CI_PROJECT_ID"),
            project_path=_get(environ, "CI_MERGE_REQUEST_PROJECT_PATH") or _get(environ, "CI_PROJECT_PATH"),
            project_url=_get(environ, "CI_MERGE_REQUEST_PROJECT_URL") or _get(environ, "CI_PROJECT_URL"),
            token=_get(environ, TOKEN_VARIABLE),
            timeout=inputs.timeout,
            on_retry=on_retry,
            secrets=tuple(secrets_of(environ)),
        ),
    )


def read_inputs(environ: Mapping[str, str]) -> Inputs:
    """The action's inputs from ``NOVU_<INPUT>`` variables, validated as the action validates them."""
    return Inputs.from_values({name: environ.get(variable_for(name)) for name in GITLAB_INPUTS})


def pipeline_event(
    environ: Mapping[str, str], *, requested: RequestedMode = RequestedMode.AUTO
) -> Event | Skip:
    """The action's ``Event`` for this pipeline, or why ``novu-sync ci`` does nothing in it.

    Raises ``ValueError`` when a variable GitLab always sets for this kind of pipeline is missing.
    """
    source = environ.get("CI_PIPELINE_SOURCE", "")
    sha = _get(environ, "CI_COMMIT_SHA")
    if source == MERGE_REQUEST_EVENT:
        target = _get(environ, "CI_MERGE_REQUEST_TARGET_BRANCH_NAME")
        iid = environ.get("CI_MERGE_REQUEST_IID", "").strip()
        if not target or not iid.isdigit():
            raise ValueError(
                "a `merge_request_event` pipeline without CI_MERGE_REQUEST_TARGET_BRANCH_NAME and "
                "CI_MERGE_REQUEST_IID: GitLab sets them in merge request pipelines; do not override them"
            )
        return Event(
            name="pull_request",
            ref=BRANCH_PREFIX + target,
            # A merged results pipeline builds a merge commit: the report is about the source branch's head.
            sha=_get(environ, "CI_MERGE_REQUEST_SOURCE_BRANCH_SHA") or sha,
            pr_number=int(iid),
            base_branch=target,
        )
    name = BRANCH_SOURCES.get(source)
    if name is None and requested is RequestedMode.AUTO:
        shown = f"`{source}`" if source else "empty"
        return Skip(
            f"`CI_PIPELINE_SOURCE` is {shown}; `novu-sync ci` previews merge request pipelines "
            "(`merge_request_event`) and syncs branch pipelines (`push`, `web`, `schedule`, `api`, "
            "`trigger`). Set `NOVU_MODE` to run it anyway."
        )
    tag, branch = _get(environ, "CI_COMMIT_TAG"), _get(environ, "CI_COMMIT_BRANCH")
    if tag:
        return Event(name=name or source, ref=TAG_PREFIX + tag, sha=sha)
    if not branch and name is not None:
        raise ValueError(
            f"a `{source}` pipeline without CI_COMMIT_BRANCH or CI_COMMIT_TAG: GitLab sets one of them in "
            "branch and tag pipelines; do not override them"
        )
    return Event(name=name or source, ref=BRANCH_PREFIX + branch if branch else None, sha=sha)


def run_context(environ: Mapping[str, str], event: Event) -> GitLabRunContext:
    api_url = (_get(environ, "CI_API_V4_URL") or "").rstrip("/")
    return GitLabRunContext(
        event_name=event.name,
        actor=_get(environ, "GITLAB_USER_LOGIN"),
        event_path=None,
        ref=event.ref,
        sha=_get(environ, "CI_COMMIT_SHA"),
        repository=_get(environ, "CI_PROJECT_PATH"),
        run_id=_get(environ, "CI_PIPELINE_ID"),
        # A retried job is a new attempt with its own idempotency keys, as a re-run is on GitHub.
        run_attempt=_get(environ, "CI_JOB_ID") or "1",
        server_url=(_get(environ, "CI_SERVER_URL") or "").rstrip("/"),
        api_url=api_url,
        workspace=Path(_get(environ, "CI_PROJECT_DIR") or "."),
        pipeline_url=_get(environ, "CI_PIPELINE_URL"),
        project_url=(_get(environ, "CI_PROJECT_URL") or "").rstrip("/") or None,
    )


def _fork_skip(environ: Mapping[str, str], event: Event) -> Skip | None:
    project, target_project = _get(environ, "CI_PROJECT_ID"), _get(environ, "CI_MERGE_REQUEST_PROJECT_ID")
    if event.pr_number is None or not project or not target_project or project == target_project:
        return None
    fork = _get(environ, "CI_PROJECT_PATH") or project
    parent = _get(environ, "CI_MERGE_REQUEST_PROJECT_PATH") or target_project
    return Skip(
        f"this merge request pipeline runs in the fork `{fork}`, which has none of `{parent}`'s CI/CD "
        f"variables, so no preview can be computed. A member of `{parent}` can run the pipeline in the "
        "parent project (the merge request's Pipelines tab → Run pipeline) to preview it."
    )


def _get(environ: Mapping[str, str], name: str) -> str | None:
    return environ.get(name, "").strip() or None


def _as_variable(problem: str) -> str:
    """``input `bridge-url`: …`` in the action's words becomes ``NOVU_BRIDGE_URL: …``."""
    if problem.startswith("input `") and "`" in problem[7:]:
        name, rest = problem[7:].split("`", 1)
        return variable_for(name) + rest
    return problem


# -- the action's words in GitLab's ------------------------------------------------------------------------

_ALLOW_DELETIONS_RUN = (
    "the CI/CD variable `NOVU_ALLOW_DELETIONS` set to `true` (Build → Pipelines → Run pipeline, on that "
    "branch)"
)
_GITLAB_DRIFT_ADVICE = (
    "To preview this merge request's own code, set `NOVU_DISCOVER_FILE` to a discover answer made from the "
    "merge request's code earlier in the pipeline, or `NOVU_PREVIEW_BRIDGE_URL` to the bridge of its review "
    "app."
)
_PHRASES = (
    (f"{DISPATCH_RECIPE} set to `true`", _ALLOW_DELETIONS_RUN),
    (DISPATCH_RECIPE, _ALLOW_DELETIONS_RUN),
    (DRIFT_ADVICE, _GITLAB_DRIFT_ADVICE),
    ("The job summary of ", "The report artifact of "),
    (" The step's `plan` output lists every change as JSON.", ""),
    ("see the `plan` output", "see the report artifact"),
    ("pull request comment", "merge request note"),
    ("Comment created", "Note created"),
    ("Comment updated", "Note updated"),
    ("Comment unchanged", "Note unchanged"),
    ("Comment skipped", "Note skipped"),
    ("No PR comment", "No merge request note"),
    ("pull request", "merge request"),
    ("Pull request", "Merge request"),
)
_SECRET_EXAMPLE = re.compile(
    r" from a repository or environment secret \(for example `\$\{\{ secrets\.\w+ \}\}`\)"
)
_INPUT_NAMES = "|".join(re.escape(name) for name in sorted(Inputs.input_names, key=len, reverse=True))
_QUOTED_INPUT = re.compile(rf"`({_INPUT_NAMES})(?:: ([^`]*))?`")


def in_gitlab_words(text: str) -> str:
    """The action's messages and reports as a GitLab user reads them: ``NOVU_*`` variables instead of
    inputs, merge requests and notes instead of pull requests and comments."""
    for action_words, gitlab_words in _PHRASES:
        text = text.replace(action_words, gitlab_words)
    text = _SECRET_EXAMPLE.sub(" as a masked CI/CD variable (Settings → CI/CD → Variables)", text)
    text = _QUOTED_INPUT.sub(_variable_quote, text)
    return text.replace("the input `NOVU_", "the variable `NOVU_").replace("input `NOVU_", "variable `NOVU_")


def _variable_quote(match: re.Match[str]) -> str:
    name, value = match.group(1), match.group(2)
    return f"`{variable_for(name)}`" if value is None else f'`{variable_for(name)}: "{value}"`'


# -- the merge-request note --------------------------------------------------------------------------------


@dataclass(frozen=True)
class GitLabHost:
    """GitLab as the code host of ``connections.LiveConnections``: the sticky merge-request note."""

    api_url: str | None
    project_id: str | None
    project_path: str | None
    project_url: str | None
    token: str | None
    timeout: float
    on_retry: Callable[[str], None]
    secrets: tuple[str, ...] = ()

    def comments(self, pr_number: int) -> CommentPublisher | None:
        if not (self.api_url and self.project_id):
            return None
        from novu_action.http import HttpClient

        return MergeRequestNotes(
            http=HttpClient(timeout=self.timeout, on_retry=self.on_retry),
            api_url=self.api_url,
            project_id=self.project_id,
            project_path=self.project_path,
            mr_iid=pr_number,
            token=self.token,
            web_url=self.project_url,
            rewrite=self._rewrite,
        )

    def pull_request_for_commit(self, sha: str) -> PullRequest | None:
        return None  # deployment events are GitHub's; GitLab pipelines name their merge request

    def comment_marker(self, report_id: str | None) -> str:
        from novu_action.github import comment_marker

        return comment_marker(report_id)

    def _rewrite(self, body: str) -> str:
        body = in_gitlab_words(body)
        for secret in sorted(self.secrets, key=len, reverse=True):
            body = body.replace(secret, "***")
        return body


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
