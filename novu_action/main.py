"""The GitHub Action: assemble the real clients and the runner, run the pipeline, write what it returns.

Everything this module does besides assembly is writing a ``RunResult`` to the runner: outputs, the job
summary and the annotations (``report.annotations``).
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from novu_action.connections import LiveConnections
from novu_action.pipeline import Clock, run
from novu_action.redaction import url_secrets
from novu_action.report import RunResult, annotations_of, stopped_by
from novu_action.runner import Runner
from novu_action.settings import Inputs, Settings, input_variable, load_settings

if TYPE_CHECKING:
    from novu_action.events import PullRequest
    from novu_action.github import PullRequestComments


def main(*, stream: TextIO = sys.stdout, environ: Mapping[str, str] = os.environ) -> int:
    runner = Runner(
        stream=stream,
        output_path=_path(environ, "GITHUB_OUTPUT"),
        summary_path=_path(environ, "GITHUB_STEP_SUMMARY"),
    )
    mask_inputs(runner, environ)
    try:
        settings = load_settings(environ)
        github_api_url = (environ.get("GITHUB_API_URL") or "https://api.github.com").rstrip("/")
        result = run(
            settings=settings,
            connections=LiveConnections(
                api_url=settings.inputs.api_url,
                timeout=settings.inputs.timeout,
                workspace=settings.context.workspace,
                host=GitHubHost(settings=settings, api_url=github_api_url),
                on_retry=runner.log,
            ),
            progress=runner,
            clock=Clock(now=time.time, sleep=time.sleep),
        )
    except Exception as error:  # the last line of defence: one clear annotation, no traceback
        result = stopped_by(error)
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


@dataclass(frozen=True)
class GitHubHost:
    """GitHub as the code host of ``connections.Connections``: the sticky comment and pull request lookup.

    PyGithub is imported only by runs that comment or look up a pull request.
    """

    settings: Settings
    api_url: str

    def comments(self, pr_number: int) -> PullRequestComments | None:
        from novu_action.github import PullRequestComments

        repository = self.settings.context.repository
        if repository is None:
            return None
        return PullRequestComments(
            token=self._token,
            api_url=self.api_url,
            repository=repository,
            pr_number=pr_number,
            withheld=self.settings.event.secrets_withheld,
        )

    def pull_request_for_commit(self, sha: str) -> PullRequest | None:
        from novu_action.github import pull_request_for_commit

        return pull_request_for_commit(
            token=self._token,
            api_url=self.api_url,
            repository=self.settings.context.repository or "",
            sha=sha,
        )

    def comment_marker(self, report_id: str | None) -> str:
        from novu_action.github import comment_marker

        return comment_marker(report_id)

    @property
    def _token(self) -> str | None:
        token = self.settings.inputs.github_token
        return token.get_secret_value() if token else None


def _path(environ: Mapping[str, str], name: str) -> Path | None:
    value = environ.get(name, "")
    return Path(value) if value else None
