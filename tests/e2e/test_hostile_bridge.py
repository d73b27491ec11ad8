"""A bridge whose names, tags and step ids are hostile, through the whole pipeline: nothing it serves may
become HTML, a link, an image, a mention, a closed section or a workflow command."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import example_bridge_workflows, pull_request_event, push_event
from tests.e2e.conftest import DEV_KEY, GITHUB_TOKEN, PROD_KEY
from tests.stand_ins.bridge_process import start_bridge

pytestmark = pytest.mark.e2e

HOSTILE_BRIDGE = Path(__file__).parent / "bridges" / "hostile.cjs"
OUR_COMMANDS = {"add-mask", "group", "endgroup", "notice", "warning", "error"}


@pytest.fixture(scope="module")
def hostile_bridges():
    bridges = {key: start_bridge(secret_key=key, script=HOSTILE_BRIDGE) for key in (DEV_KEY, PROD_KEY)}
    yield bridges
    for bridge in bridges.values():
        bridge.stop()


def commands_the_runner_would_process(log: str) -> list[str]:
    """The workflow commands in ``log`` as the runner reads them, honouring ::stop-commands::."""
    commands, stop_token = [], None
    for line in log.splitlines():
        stripped = line.lstrip()
        if stop_token is not None:
            if stripped == f"::{stop_token}::":
                stop_token = None
            continue
        if stripped.startswith("::"):
            name = stripped[2:].split("::", 1)[0].split(" ", 1)[0]
            if name == "stop-commands":
                stop_token = stripped.split("::")[2]
                continue
            commands.append(stripped)
        elif "##[" in line:
            commands.append(line)
    return commands


def outside_code_blocks(markdown: str) -> str:
    return re.sub(r"^(`{3,}|~{3,}).*?^\1\s*$", "", markdown, flags=re.MULTILINE | re.DOTALL)


def assert_inert_markdown(markdown: str) -> None:
    rendered_text = outside_code_blocks(markdown)
    assert "<script" not in rendered_text.lower()
    assert "@octocat" not in rendered_text
    assert "@security-team" not in rendered_text
    assert "![x](" not in rendered_text
    assert "](http://evil" not in rendered_text
    assert rendered_text.count("<details>") == rendered_text.count("</details>")
    assert not [line for line in rendered_text.splitlines() if line.lstrip().startswith("::")]


def assert_only_our_commands(log: str) -> None:
    for command in commands_the_runner_would_process(log):
        name = command[2:].split("::", 1)[0].split(" ", 1)[0]
        assert name in OUR_COMMANDS, command
        if name in ("notice", "warning", "error"):
            assert " title=" in command.split("::", 2)[1], command


def test_hostile_preview_comment_and_summary_are_inert(run_action, novu, github_api, hostile_bridges):
    served = example_bridge_workflows()
    novu.seed_synced("Production", [served["welcome"]], bridge_url="https://bridge.example.com/api/novu")
    inputs = {
        "api-url": novu.base_url,
        "production-secret-key": PROD_KEY,
        "production-bridge-url": hostile_bridges[PROD_KEY].url,
        "github-token": GITHUB_TOKEN,
    }
    run = run_action(event_name="pull_request", event=pull_request_event(base="main"), inputs=inputs)
    assert run.returncode == 0, run.log
    assert run.outputs["updated"] == "1"
    body = github_api.comments("acme/notifications", 2)[0].body
    assert "octocat" in body  # the change is shown …
    assert_inert_markdown(body)  # … but cannot act
    assert_inert_markdown(run.summary)
    assert_only_our_commands(run.log)


def test_hostile_sync_log_and_annotations_are_inert(run_action, novu, hostile_bridges):
    novu.seed_workflow("Development", workflow_id="legacy\n::error::injected-id")
    inputs = {
        "api-url": novu.base_url,
        "development-secret-key": DEV_KEY,
        "development-bridge-url": hostile_bridges[DEV_KEY].url,
    }
    run = run_action(event_name="push", event=push_event("dev"), inputs=inputs)
    assert run.returncode == 0, run.log
    assert run.outputs["deleted"] == "1"
    assert "\n::error::injected-id" in run.log  # logged as data, inside a stop-commands block
    assert_only_our_commands(run.log)
    assert_inert_markdown(run.summary)
