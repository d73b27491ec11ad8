"""The README's recipes, run: a pull request's own code discovered in the job (the example bridge started
by the README's own script), then previewed from the saved file."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import textwrap
from pathlib import Path

import pytest

from tests.e2e.conftest import PROD_KEY
from tests.factories import last_months_workflows, pull_request_event

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
PR_WORKFLOWS = "welcome,digest-comments,invoice-paid"  # the pull request adds invoice-paid, drops sms-alert


def recipe_script(name: str) -> str:
    """The `run:` script of the README's recipe ``name``, as the runner's shell gets it."""
    block = README.split(f"<!-- recipe:{name}:start -->\n", 1)[1].split(f"\n<!-- recipe:{name}:end -->", 1)[0]
    run = block.split("run: |\n")[-1].split("\n```", 1)[0]
    return textwrap.dedent(run)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def discover_with_recipe(
    name: str, *, workspace: Path, env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    """Run the recipe as a workflow step would, in the bridge's folder; stop the bridge it started."""
    workspace.mkdir(parents=True, exist_ok=True)
    step_env = {
        "PATH": os.environ["PATH"],
        "HOME": str(workspace.parent),
        "RUNNER_TEMP": str(workspace.parent),
        "GITHUB_WORKSPACE": str(workspace),
        "PORT": str(free_port()),
        "BRIDGE_WORKFLOWS": PR_WORKFLOWS,
        **env,
    }
    process = subprocess.Popen(
        ["bash", "-e", "-c", recipe_script(name)],
        cwd=ROOT / "examples" / "bridge",
        env=step_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # the step's background bridge ends with it, as at the end of a job
    )
    try:
        out, _ = process.communicate(timeout=120)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
    return subprocess.CompletedProcess(process.args, process.returncode, out, "")


@pytest.mark.parametrize(
    ("recipe", "env"),
    [
        (
            "express",
            {"NOVU_STRICT_AUTHENTICATION_ENABLED": "false", "NOVU_SECRET_KEY": "discover-in-ci-only"},
        ),
        ("signed", {"NODE_ENV": "production", "NOVU_SECRET_KEY": "discover-in-ci-only"}),
    ],
)
def test_a_preview_from_the_readmes_discover_recipe_shows_the_pull_requests_changes(
    run_action, novu, prod_bridge, tmp_path, recipe, env
):
    novu.seed_synced("Production", last_months_workflows(), bridge_url=prod_bridge.url)
    folder = tmp_path / "pr"
    step = discover_with_recipe(recipe, workspace=folder / "workspace", env=env)
    assert step.returncode == 0, step.stdout
    assert (folder / "workspace" / "novu-discover.json").stat().st_size > 0

    run = run_action(
        folder=folder,
        event_name="pull_request",
        event=pull_request_event(base="main"),
        inputs={
            "api-url": novu.base_url,
            "production-secret-key": PROD_KEY,
            "production-bridge-url": prod_bridge.url,
            "discover-file": "novu-discover.json",
        },
    )

    assert run.returncode == 0, run.log
    changes = {w["workflowId"]: w["change"] for w in run.plan["workflows"]}
    assert changes == {
        "welcome": "unchanged",
        "digest-comments": "update",
        "invoice-paid": "create",
        "sms-alert": "delete",
    }
    assert (
        "Compared this pull request's code (discover-file `novu-discover.json`, commit ec26c3e)"
        in run.summary
    )
    assert novu.requests_to("POST", "/v1/bridge/sync") == []
