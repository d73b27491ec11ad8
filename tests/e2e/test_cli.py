"""The command line, end to end: ``python -m novu_action plan|sync`` in a subprocess, as any CI system or a
terminal runs ``novu-sync``, against the real strict bridge and the Novu Cloud emulator.

Exit codes as ``terraform plan -detailed-exitcode``: 0 no changes, 2 changes planned or applied, 1 an error
or a refusal. No output ever holds a traceback or a secret."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.e2e.conftest import DEV_KEY, PROD_KEY
from tests.factories import example_bridge_workflows, last_months_workflows
from tests.stand_ins.bridge_process import RunningBridge, start_bridge

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
BYPASS = "vercelBypassCliToken5678"
SECRETS = (DEV_KEY, PROD_KEY, BYPASS)
BRIDGE_IDS = ["digest-comments", "invoice-paid", "sms-alert", "welcome"]
NO_CHANGES, ERROR, CHANGES = 0, 1, 2


@dataclass(frozen=True)
class CliRun:
    code: int
    stdout: str
    stderr: str


class Cli:
    """``novu-sync ARGS`` with NOVU_* variables, no terminal (stdin is not a TTY), in ``tmp_path``."""

    def __init__(self, tmp_path: Path) -> None:
        self.tmp_path = tmp_path

    def __call__(self, args: Sequence[str], **variables: str) -> CliRun:
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(self.tmp_path),
            "PYTHONPATH": str(ROOT),
            "CI": "true",
            **variables,
        }
        completed = subprocess.run(
            [sys.executable, "-m", "novu_action", *args],
            env=env,
            cwd=self.tmp_path,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        run = CliRun(completed.returncode, completed.stdout, completed.stderr)
        everything = (
            run.stdout
            + run.stderr
            + "".join(path.read_text(encoding="utf-8") for path in self.tmp_path.glob("*.out"))
        )
        assert "Traceback" not in everything
        for secret in SECRETS:
            assert secret not in everything
        return run


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    return Cli(tmp_path)


@pytest.fixture(scope="module")
def smaller_prod_bridge() -> Iterator[RunningBridge]:
    """Production's bridge after a change that dropped sms-alert."""
    bridge = start_bridge(secret_key=PROD_KEY, workflows=("welcome", "digest-comments", "invoice-paid"))
    yield bridge
    bridge.stop()


def development(novu, bridge: RunningBridge) -> dict[str, str]:
    return {"NOVU_SECRET_KEY": DEV_KEY, "NOVU_API_URL": novu.base_url, "NOVU_BRIDGE_URL": bridge.url}


def production(novu, bridge: RunningBridge) -> dict[str, str]:
    return {
        "NOVU_SECRET_KEY": PROD_KEY,
        "NOVU_API_URL": novu.base_url,
        "NOVU_BRIDGE_URL": bridge.url,
        "NOVU_ENVIRONMENT": "Production",
    }


def test_plan_with_changes_exits_2_prints_the_diff_and_changes_nothing(cli, novu, dev_bridge):
    run = cli(["plan"], **development(novu, dev_bridge))

    assert run.code == CHANGES, run.stderr
    assert "Novu sync plan — Development" in run.stdout
    for workflow_id in BRIDGE_IDS:
        assert f"+ create  {workflow_id}" in run.stdout
    assert "Plan: 4 create, 0 update, 0 delete, 0 unchanged." in run.stdout
    assert "The secret key belongs to Development." in run.stderr  # progress goes to stderr
    assert novu.requests_to("POST", "/v1/bridge/sync") == []
    assert novu.workflow_ids("Development") == []


def test_plan_without_changes_exits_0(cli, novu, dev_bridge):
    novu.seed_synced("Development", list(example_bridge_workflows().values()), bridge_url=dev_bridge.url)

    run = cli(["plan"], **development(novu, dev_bridge))

    assert run.code == NO_CHANGES, run.stderr
    assert "Plan: 0 create, 0 update, 0 delete, 4 unchanged." in run.stdout


def test_sync_applies_with_exit_2_and_a_second_sync_exits_0(cli, novu, dev_bridge):
    first = cli(["sync"], **development(novu, dev_bridge))

    assert first.code == CHANGES, first.stderr
    assert "Applied: 4 create, 0 update, 0 delete, 0 unchanged." in first.stdout
    assert sorted(novu.workflow_ids("Development")) == BRIDGE_IDS
    [request] = novu.requests_to("POST", "/v1/bridge/sync")
    assert "source=novu-sync" in request.path

    second = cli(["sync"], **development(novu, dev_bridge))

    assert second.code == NO_CHANGES, second.stderr
    assert "Applied: 0 create, 0 update, 0 delete, 4 unchanged." in second.stdout


def test_a_sync_into_production_that_would_delete_is_refused_by_the_guard(cli, novu, smaller_prod_bridge):
    novu.seed_synced("Production", last_months_workflows(), bridge_url=smaller_prod_bridge.url)

    refused = cli(["sync", "--yes"], **production(novu, smaller_prod_bridge))

    assert refused.code == ERROR, refused.stderr
    assert "This stopped the sync" in refused.stdout
    assert "sms-alert" in refused.stdout
    assert "--allow-deletions" in refused.stdout
    assert "allow-deletions:" not in refused.stdout + refused.stderr
    assert "workflow_dispatch" not in refused.stdout + refused.stderr
    assert novu.requests_to("POST", "/v1/bridge/sync") == []
    assert "sms-alert" in novu.workflow_ids("Production")

    allowed = cli(["sync", "--yes", "--allow-deletions"], **production(novu, smaller_prod_bridge))

    assert allowed.code == CHANGES, allowed.stderr
    assert sorted(novu.workflow_ids("Production")) == ["digest-comments", "invoice-paid", "welcome"]


def test_format_json_prints_only_the_plan_as_json(cli, novu, dev_bridge):
    run = cli(["plan", "--format", "json"], **development(novu, dev_bridge))

    assert run.code == CHANGES, run.stderr
    plan = json.loads(run.stdout)
    assert sorted(w["workflowId"] for w in plan["workflows"]) == BRIDGE_IDS
    assert {w["change"] for w in plan["workflows"]} == {"create"}
    assert plan["counts"]["create"] == 4


def test_format_markdown_prints_the_report_as_the_action_writes_its_summary(cli, novu, dev_bridge):
    run = cli(["plan", "--format", "markdown"], **development(novu, dev_bridge))

    assert run.code == CHANGES, run.stderr
    assert run.stdout.startswith("### Novu sync preview — Development")
    assert "🟢 4 create" in run.stdout
    assert "\x1b[" not in run.stdout


def test_out_writes_the_report_to_a_file_and_nothing_to_stdout(cli, novu, dev_bridge, tmp_path):
    run = cli(["sync", "--format", "markdown", "--out", "report.out"], **development(novu, dev_bridge))

    assert run.code == CHANGES, run.stderr
    assert run.stdout == ""
    report = (tmp_path / "report.out").read_text(encoding="utf-8")
    assert report.startswith("### Novu sync — Development")
    for workflow_id in BRIDGE_IDS:
        assert workflow_id in report


def test_a_failure_with_out_still_says_what_went_wrong_on_stderr(cli, novu, dev_bridge, tmp_path):
    variables = development(novu, dev_bridge) | {"NOVU_SECRET_KEY": PROD_KEY}

    run = cli(["plan", "--out", "report.out"], **variables)

    assert run.code == ERROR
    assert "Secret key of another environment" in run.stderr
    assert "NOVU_SECRET_KEY" in run.stderr
    assert (tmp_path / "report.out").exists()


def test_the_secret_key_comes_only_from_novu_secret_key(cli, novu, dev_bridge):
    missing = cli(["plan", "--bridge-url", dev_bridge.url, "--api-url", novu.base_url])
    as_option = cli(["plan", "--secret-key", DEV_KEY, "--bridge-url", dev_bridge.url])
    as_option_with_equals = cli(["plan", f"--secret-key={DEV_KEY}"])

    assert missing.code == ERROR
    assert "set NOVU_SECRET_KEY" in missing.stderr
    for refused in (as_option, as_option_with_equals):
        assert refused.code == ERROR  # never 2, which would read as "changes"
        assert "unrecognized arguments: --secret-key" in refused.stderr
        assert "NOVU_SECRET_KEY" in refused.stderr
    assert novu.requests == []


def test_a_key_of_another_environment_exits_1_before_the_bridge_is_called(cli, novu, dev_bridge):
    run = cli(["plan"], **(development(novu, dev_bridge) | {"NOVU_SECRET_KEY": PROD_KEY}))

    assert run.code == ERROR
    assert "belongs to Novu's Production environment" in run.stdout
    assert [r.path for r in novu.requests] == ["/v1/environments/me"]


def test_invalid_options_exit_1_naming_the_option(cli, novu):
    bad_url = cli(["plan", "--bridge-url", "ftp://bridge.example.com"], NOVU_SECRET_KEY=DEV_KEY)
    bad_format = cli(["plan", "--format", "yaml"], NOVU_SECRET_KEY=DEV_KEY)

    assert bad_url.code == ERROR
    assert "--bridge-url" in bad_url.stderr
    assert bad_format.code == ERROR
    assert "--format" in bad_format.stderr
    assert novu.requests == []


def test_an_unreachable_novu_api_exits_1_with_a_message(cli, dev_bridge):
    run = cli(
        ["plan", "--timeout", "2"],
        NOVU_SECRET_KEY=DEV_KEY,
        NOVU_BRIDGE_URL=dev_bridge.url,
        NOVU_API_URL="http://127.0.0.1:9",
    )

    assert run.code == ERROR
    assert "Error:" in run.stdout
    assert "127.0.0.1:9" in run.stdout


def test_bridge_url_query_values_never_reach_any_output(cli, novu, dev_bridge, tmp_path):
    variables = development(novu, dev_bridge) | {
        "NOVU_BRIDGE_URL": f"{dev_bridge.url}?x-vercel-protection-bypass={BYPASS}"
    }

    text = cli(["plan"], **variables)
    markdown = cli(["sync", "--format", "markdown", "--out", "sync.out"], **variables)

    assert text.code == CHANGES, text.stderr
    assert "x-vercel-protection-bypass=REDACTED" in text.stdout
    assert markdown.code == CHANGES, markdown.stderr
    assert "x-vercel-protection-bypass=REDACTED" in (tmp_path / "sync.out").read_text(encoding="utf-8")


def test_the_help_names_the_exit_codes_and_where_the_key_comes_from(cli):
    run = cli(["--help"])

    assert run.code == 0
    assert "NOVU_SECRET_KEY" in run.stdout
    assert "2 changes planned or applied" in " ".join(run.stdout.split())


def readme_other_ci_example() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n### Any other CI system\n", 1)[1]
    return section.split("```sh\n", 1)[1].split("\n```", 1)[0]


def run_readme_example(tmp_path: Path, novu, bridge: RunningBridge) -> CliRun:
    """The README's snippet in ``sh -e``, as a CI step runs it, with ``novu-sync`` from bin/ (the image's)."""
    script = readme_other_ci_example().replace("https://www.example.com/api/novu", bridge.url)
    completed = subprocess.run(
        ["sh", "-e", "-c", script],
        env={
            "PATH": os.pathsep.join(
                [str(ROOT / "bin"), str(Path(sys.executable).parent), os.environ["PATH"]]
            ),
            "PYTHONPATH": str(ROOT),
            "HOME": str(tmp_path),
            "NOVU_SECRET_KEY_PRODUCTION": PROD_KEY,
            "NOVU_API_URL": novu.base_url,
        },
        cwd=tmp_path,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    run = CliRun(completed.returncode, completed.stdout, completed.stderr)
    for secret in SECRETS:
        assert secret not in run.stdout + run.stderr
    return run


def test_the_readme_example_for_other_ci_systems_passes_on_changes_and_fails_on_a_refusal(
    tmp_path, novu, prod_bridge, smaller_prod_bridge
):
    synced = run_readme_example(tmp_path, novu, prod_bridge)

    assert synced.code == 0, synced.stderr  # exit 2 (changes applied) keeps the step green
    assert sorted(novu.workflow_ids("Production")) == BRIDGE_IDS
    assert "### Novu sync — Production" in (tmp_path / "novu-sync-report.md").read_text(encoding="utf-8")

    refused = run_readme_example(tmp_path, novu, smaller_prod_bridge)

    assert refused.code == ERROR, refused.stderr
    assert "sms-alert" in novu.workflow_ids("Production")
    assert "--allow-deletions" in (tmp_path / "novu-sync-report.md").read_text(encoding="utf-8")
