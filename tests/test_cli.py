"""The command line's edges in process: what a failure that is nobody's fault looks like, and exit codes."""

from __future__ import annotations

import io

import pytest

from novu_action import cli
from novu_action.plan import Change, Plan, WorkflowChange
from novu_action.report import Failure, RunResult, Status

SECRET_KEY = "sk_cli_unit_secret_7"


def run_cli(args: list[str], environ: dict[str, str]) -> tuple[int, str, str]:
    stdout, stderr = io.StringIO(), io.StringIO()
    code = cli.main(args, environ=environ, stdin=io.StringIO(), stdout=stdout, stderr=stderr)
    return code, stdout.getvalue(), stderr.getvalue()


@pytest.mark.parametrize("output", ["text", "markdown", "json"])
def test_an_unexpected_exception_is_one_message_without_traceback_or_secret(monkeypatch, output):
    def explode(**_: object) -> None:
        raise RuntimeError(f"boom while holding {SECRET_KEY}")

    monkeypatch.setattr(cli, "run", explode)
    code, stdout, stderr = run_cli(
        ["sync", "--bridge-url", "https://bridge.example.com/api/novu", "--format", output],
        {"NOVU_SECRET_KEY": SECRET_KEY},
    )

    everything = stdout + stderr
    assert code == cli.EXIT_FAILED
    assert stderr.count("Unexpected error") == 1
    assert "RuntimeError" in everything
    assert "please open an issue" in everything
    assert "Traceback" not in everything
    assert SECRET_KEY not in everything


def test_exit_codes_say_failed_changes_or_nothing_to_do():
    changes = Plan(workflows=(WorkflowChange("welcome", Change.CREATE),))
    nothing = Plan(workflows=(WorkflowChange("welcome", Change.UNCHANGED),))
    assert cli.exit_code(RunResult(Status.FAILED, mode="", failure=Failure("t", "m"))) == cli.EXIT_FAILED
    assert cli.exit_code(RunResult(Status.PREVIEW, mode="preview", plan=changes)) == cli.EXIT_CHANGES
    assert cli.exit_code(RunResult(Status.PREVIEW, mode="preview", plan=nothing)) == cli.EXIT_NO_CHANGES
    assert cli.exit_code(RunResult(Status.SKIPPED, mode="skip")) == cli.EXIT_NO_CHANGES
