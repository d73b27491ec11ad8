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
from typing import TYPE_CHECKING, TextIO

from pydantic import ValidationError

from novu_action.errors import ActionError
from novu_action.events import BRANCH_PREFIX, TAG_PREFIX, Event
from novu_action.gitlab_notes import TOKEN_VARIABLE, MergeRequestNotes
from novu_action.redaction import url_secrets
from novu_action.report import Failure, RunResult, Status, stopped_by
from novu_action.settings import Inputs, RequestedMode, RunContext, Settings, describe
from novu_action.target import Skip
from novu_action.wording import DISPATCH_RECIPE, DRIFT_ADVICE

if TYPE_CHECKING:
    from novu_action.events import PullRequest
    from novu_action.pipeline import CommentPublisher

EXIT_SUCCESS, EXIT_FAILED = 0, 1
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
_NOT_GITLAB = (
    "novu-sync ci: this is not a GitLab CI job (GITLAB_CI is not `true`). `novu-sync ci` knows GitLab CI "
    "only; in any other CI system or a terminal run `novu-sync plan` or `novu-sync sync` with NOVU_* "
    "environment variables (see the README).\n"
)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")  # no escape sequence, no carriage return: no fake sections


class GitLabVariablesError(ActionError):
    title = "Invalid CI/CD variables"


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
    except Exception as error:  # the last line of defence: one clear message, no traceback
        result = stopped_by(error)
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
