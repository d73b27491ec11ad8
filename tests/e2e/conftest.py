"""Run entrypoint.py exactly as the runner runs the container, against the real bridge and the stand-ins."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.stand_ins import action_runner
from tests.stand_ins.action_runner import ActionRun
from tests.stand_ins.bridge_process import RunningBridge, start_bridge
from tests.stand_ins.github_api import GitHubApiStandIn
from tests.stand_ins.novu_cloud import NovuCloudEmulator

DEV_KEY = "sk_dev_4f9c2a7e1b6d8093c5e2"
PROD_KEY = "sk_prod_8e1d3b5a7c9f0246d8b1"
GITHUB_TOKEN = "ghs_e2eTokenValue0123456789abcdef"
SECRETS = (DEV_KEY, PROD_KEY, GITHUB_TOKEN)


class ActionRunner:
    """Each call runs the action once, in a fresh folder of this test's tmp_path."""

    def __init__(self, tmp_path: Path, github_api_url: str) -> None:
        self.tmp_path = tmp_path
        self.github_api_url = github_api_url
        self.count = 0

    def __call__(self, **kwargs: Any) -> ActionRun:
        self.count += 1
        kwargs.setdefault("job_token", GITHUB_TOKEN)
        kwargs.setdefault("github_api_url", self.github_api_url)
        folder = kwargs.pop("folder", self.tmp_path / f"run{self.count}")
        run = action_runner.run_action(folder=folder, **kwargs)
        assert_no_secret(run)  # every run, whatever the test is about
        return run


def assert_no_secret(run: ActionRun) -> None:
    """No secret anywhere a user can see it, except inside the ::add-mask:: commands that hide it."""
    visible = [line for line in run.log.splitlines() if not line.startswith("::add-mask::")]
    for secret in SECRETS:
        assert secret not in "\n".join(visible)
        assert secret not in json.dumps(run.outputs)
        assert secret not in run.summary


@pytest.fixture
def run_action(tmp_path: Path, github_api: GitHubApiStandIn) -> ActionRunner:
    return ActionRunner(tmp_path, github_api.api_url)


@pytest.fixture
def novu() -> Iterator[NovuCloudEmulator]:
    emulator = NovuCloudEmulator()
    emulator.add_environment("Development", api_key=DEV_KEY)
    emulator.add_environment("Production", api_key=PROD_KEY)
    emulator.start()
    yield emulator
    emulator.stop()


@pytest.fixture
def github_api() -> Iterator[GitHubApiStandIn]:
    stand_in = GitHubApiStandIn(tokens={GITHUB_TOKEN: "github-actions[bot]"})
    stand_in.start()
    stand_in.add_pull_request("acme/notifications", 2)
    yield stand_in
    stand_in.stop()


def _bridge(**kwargs: Any) -> Iterator[RunningBridge]:
    bridge = start_bridge(**kwargs)
    yield bridge
    bridge.stop()


@pytest.fixture(scope="session")
def dev_bridge() -> Iterator[RunningBridge]:
    """The Development deployment: the bridge runs with Development's secret key."""
    yield from _bridge(secret_key=DEV_KEY)


@pytest.fixture(scope="session")
def prod_bridge() -> Iterator[RunningBridge]:
    yield from _bridge(secret_key=PROD_KEY)


@pytest.fixture(scope="session")
def empty_dev_bridge() -> Iterator[RunningBridge]:
    """A Development deployment that serves no workflows (a broken build, a wrong URL)."""
    yield from _bridge(secret_key=DEV_KEY, workflows=())


@pytest.fixture(scope="session")
def lax_dev_bridge() -> Iterator[RunningBridge]:
    """A bridge deployed without NODE_ENV: it answers unsigned requests."""
    yield from _bridge(secret_key=DEV_KEY, node_env=None)
