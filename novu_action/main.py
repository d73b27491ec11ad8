"""The GitHub Action: assemble the real clients and the runner, run the pipeline, write what it returns.

Everything this module does besides assembly is writing a ``RunResult`` to the runner: outputs, the job
summary and the annotations (``report.annotations``).
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from novu_action.errors import ActionError
from novu_action.pipeline import Clock, run
from novu_action.redaction import url_secrets
from novu_action.report import Failure, RunResult, Status, annotations_of
from novu_action.runner import Runner
from novu_action.settings import Inputs, Settings, input_variable, load_settings

if TYPE_CHECKING:
    from novu_action.discovery import Discovery
    from novu_action.events import PullRequest
    from novu_action.github import PullRequestComments
    from novu_action.http import HttpClient
    from novu_action.pipeline import BridgeConnection, NovuConnection
    from novu_action.target import Target


def main(*, stream: TextIO = sys.stdout, environ: Mapping[str, str] = os.environ) -> int:
    runner = Runner(
        stream=stream,
        output_path=_path(environ, "GITHUB_OUTPUT"),
        summary_path=_path(environ, "GITHUB_STEP_SUMMARY"),
    )
    mask_inputs(runner, environ)
    try:
        settings = load_settings(environ)
        result = run(
            settings=settings,
            connections=GitHubConnections(settings=settings, environ=environ, on_retry=runner.log),
            progress=runner,
            clock=Clock(now=time.time, sleep=time.sleep),
        )
    except ActionError as error:
        result = RunResult(Status.FAILED, mode="", failure=Failure(error.title, str(error)))
    except Exception as error:  # the last line of defence: one clear annotation, no traceback
        result = RunResult(
            Status.FAILED,
            mode="",
            failure=Failure(
                "Unexpected error",
                f"{type(error).__name__}: {error}. Nothing more was sent. This is a bug in novu-sync-action: "
                "please open an issue with this log.",
            ),
        )
    write_result(runner, result)
    return result.exit_code


def write_result(runner: Runner, result: RunResult) -> None:
    """Annotations, the job summary and the outputs, all from the one result."""
    from novu_action.render import render_summary

    for annotation in annotations_of(result):
        runner.annotate(annotation.level, annotation.message, title=annotation.title)
    runner.write_summary(render_summary(result))
    runner.set_outputs(result.outputs())


def mask_inputs(runner: Runner, environ: Mapping[str, str]) -> None:
    """Mask secrets from the raw environment first, so that even an input error cannot show them."""
    for name in Inputs.secret_inputs():
        value = environ.get(input_variable(name), "").strip()
        if value:
            runner.add_mask(value)
    for name in Inputs.query_secret_inputs():
        value = environ.get(input_variable(name), "").strip()
        for secret in url_secrets(value if "://" in value else f"http://host{value}"):
            runner.add_mask(secret)


@dataclass
class GitHubConnections:
    """``pipeline.Connections`` for a GitHub Actions run: the real Novu API, bridge and GitHub clients.

    The HTTP stack and PyGithub are imported only by runs that use them.
    """

    settings: Settings
    environ: Mapping[str, str]
    on_retry: Callable[[str], None]
    _http: HttpClient | None = None

    def novu(self, target: Target) -> NovuConnection:
        from novu_action.novu_api import NovuApi

        return NovuApi(
            http=self._client(),
            api_url=self.settings.inputs.api_url,
            secret_key=target.secret_key,
            key_input=target.key_input,
        )

    def bridge(self, target: Target) -> BridgeConnection:
        from novu_action.bridge import BridgeClient

        return BridgeClient(
            http=self._client(),
            url=target.bridge_url or "",
            signer=target.signer,
            environment=target.environment,
        )

    def read_discover_file(self, path: str) -> Discovery:
        from novu_action.discovery import read_discover_file

        return read_discover_file(path, workspace=self.settings.context.workspace)

    def comments(self, pr_number: int) -> PullRequestComments | None:
        from novu_action.github import PullRequestComments

        repository = self.settings.context.repository
        if repository is None:
            return None
        token = self.settings.inputs.github_token
        return PullRequestComments(
            token=token.get_secret_value() if token else None,
            api_url=self._github_api_url,
            repository=repository,
            pr_number=pr_number,
            withheld=self.settings.event.secrets_withheld,
        )

    def pull_request_for_commit(self, sha: str) -> PullRequest | None:
        from novu_action.github import pull_request_for_commit

        token = self.settings.inputs.github_token
        return pull_request_for_commit(
            token=token.get_secret_value() if token else None,
            api_url=self._github_api_url,
            repository=self.settings.context.repository or "",
            sha=sha,
        )

    def comment_marker(self, report_id: str | None) -> str:
        from novu_action.github import comment_marker

        return comment_marker(report_id)

    @property
    def _github_api_url(self) -> str:
        return (self.environ.get("GITHUB_API_URL") or "https://api.github.com").rstrip("/")

    def _client(self) -> HttpClient:
        from novu_action.http import HttpClient

        if self._http is None:
            self._http = HttpClient(timeout=self.settings.inputs.timeout, on_retry=self.on_retry)
        return self._http


def _path(environ: Mapping[str, str], name: str) -> Path | None:
    value = environ.get(name, "")
    return Path(value) if value else None
