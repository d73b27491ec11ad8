"""The discover answer's checks, and the `discover-file` input: a saved answer read with the same checks and
limit as a live one, with one clear error for each way the step that saved it can go wrong."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from novu_action.discovery import (
    FRAMEWORK_HINT,
    DiscoverFileError,
    Discovery,
    InvalidDiscoverAnswer,
    discovery_from,
    read_discover_file,
)
from novu_action.errors import ActionError
from novu_action.http import MAX_BODY_BYTES

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    folder = tmp_path / "workspace"
    folder.mkdir()
    return folder


def saved(workspace: Path, content: str | bytes, name: str = "novu-discover.json") -> str:
    path = workspace / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return name


def file_error(path_text: str, workspace: Path) -> str:
    with pytest.raises(DiscoverFileError) as caught:
        read_discover_file(path_text, workspace=workspace)
    text = str(caught.value)
    assert "\n" not in text
    return text


# --- the answer's checks -----------------------------------------------------------------------------


def test_a_discover_answer_is_kept_as_served_with_its_agents() -> None:
    served: dict[str, Any] = {
        "workflows": [
            {
                "workflowId": "onboarding",
                "steps": [{"stepId": "think", "type": "ai_agent", "x": 1}],
                "new": 2,
            },
        ],
        "agents": [{"agentId": "support-bot", "more": 1}],
        "version": 3,
    }
    discovery = discovery_from(served, sdk_version="2.13.2", secrets=())
    assert discovery == Discovery(
        workflows=tuple(served["workflows"]), agent_ids=("support-bot",), sdk_version="2.13.2"
    )
    assert discovery.workflows[0] is served["workflows"][0]  # not rebuilt


@pytest.mark.parametrize(
    ("served", "problem"),
    [
        ({}, "workflows: Field required"),
        ({"workflows": {}}, "workflows: Input should be a valid list"),
        ({"workflows": [{"steps": []}]}, "workflows.0.workflowId: Field required"),
        (
            {"workflows": [{"workflowId": "a", "steps": [{"stepId": "s"}]}]},
            "workflows.0.steps.0.type: Field required",
        ),
        (
            {"workflows": [{"workflowId": "a", "steps": [], "tags": "x"}]},
            "workflows.0.tags: Input should be a valid list",
        ),
        ({"workflows": [], "agents": [{}]}, "agents.0.agentId: Field required"),
    ],
)
def test_an_answer_that_is_not_a_discover_answer_names_the_first_mismatch(
    served: dict[str, Any], problem: str
) -> None:
    with pytest.raises(InvalidDiscoverAnswer) as caught:
        discovery_from(served, sdk_version=None, secrets=())
    assert caught.value.problem == problem


# --- the discover file -------------------------------------------------------------------------------


def test_a_saved_answer_is_read_like_a_live_one(workspace: Path) -> None:
    capture = (FIXTURES / "example-bridge-discover.json").read_text()
    discovery = read_discover_file(saved(workspace, capture), workspace=workspace)
    assert discovery.workflows == tuple(json.loads(capture)["workflows"])
    assert discovery.sdk_version is None


def test_a_path_may_be_nested_or_absolute_inside_the_workspace(workspace: Path) -> None:
    name = saved(workspace, '{"workflows": []}', "build/novu/discover.json")
    assert read_discover_file(name, workspace=workspace).workflows == ()
    assert read_discover_file(str(workspace / name), workspace=workspace).workflows == ()
    assert read_discover_file(f"./build/../{name}", workspace=workspace).workflows == ()


@pytest.mark.parametrize("path_text", ["../elsewhere.json", "/etc/passwd", "build/../../elsewhere.json"])
def test_a_file_outside_the_workspace_is_refused(path_text: str, workspace: Path) -> None:
    (workspace.parent / "elsewhere.json").write_text('{"workflows": []}')
    text = file_error(path_text, workspace)
    assert text.startswith(
        f"The discover file `{path_text}` is outside the workspace ({workspace.resolve()})."
    )
    assert "give its path relative to it" in text


def test_a_link_out_of_the_workspace_is_refused(workspace: Path) -> None:
    outside = workspace.parent / "secrets.json"
    outside.write_text('{"workflows": []}')
    (workspace / "novu-discover.json").symlink_to(outside)
    assert "is outside the workspace" in file_error("novu-discover.json", workspace)


def test_a_missing_file_points_at_the_step_that_should_have_written_it(workspace: Path) -> None:
    text = file_error("novu-discover.json", workspace)
    assert text.startswith("The discover file `novu-discover.json` does not exist in the workspace.")
    assert "Produce it in an earlier step of the same job" in text


def test_a_folder_is_not_a_discover_file(workspace: Path) -> None:
    (workspace / "novu").mkdir()
    assert "does not exist in the workspace" in file_error("novu", workspace)


def test_an_empty_file_means_the_bridge_did_not_answer(workspace: Path) -> None:
    text = file_error(saved(workspace, b""), workspace)
    assert text.startswith(
        "The discover file `novu-discover.json` is empty: the step that wrote it got no answer"
    )
    assert "wait for its health-check" in text


def test_a_file_over_the_answer_limit_is_refused_unread(workspace: Path) -> None:
    name = saved(workspace, b"")
    with (workspace / name).open("r+b") as sparse:
        sparse.truncate(MAX_BODY_BYTES + 1)
    assert file_error(name, workspace) == (
        "The discover file `novu-discover.json` is larger than 64 MiB, the limit for a bridge's answer."
    )


@pytest.mark.parametrize(
    "content",
    [
        "curl: (7) Failed to connect to localhost port 4000: Connection refused",
        "<!doctype html><html><body>Log in</body></html>",
        '[{"workflowId": "welcome"}]',
        "   \n",
        '{"workflows": [',
    ],
)
def test_a_file_without_a_json_object_says_what_it_must_hold(content: str, workspace: Path) -> None:
    text = file_error(saved(workspace, content), workspace)
    assert text == (
        "The discover file `novu-discover.json` does not hold a JSON object. It must hold the bridge's "
        "answer to `GET <bridge>?action=discover` exactly as served (not an error page or a log)."
    )


def test_json_that_is_not_a_discover_answer_names_the_problem_and_the_framework(workspace: Path) -> None:
    content = json.dumps({"workflows": [{"workflowId": "welcome"}]})
    text = file_error(saved(workspace, content), workspace)
    assert text == (
        "The discover file `novu-discover.json` is JSON but not a bridge's `discover` answer "
        f"(workflows.0.steps: Field required). {FRAMEWORK_HINT}"
    )


def test_a_saved_signature_error_says_the_request_must_be_signed(workspace: Path) -> None:
    body = (FIXTURES / "signature-missing.json").read_text()
    content = json.dumps(json.loads(body)["body"])
    text = file_error(saved(workspace, content), workspace)
    assert "is JSON but not a bridge's `discover` answer (workflows: Field required)." in text
    assert "It holds the bridge's error `SignatureNotFoundError`: the bridge verifies signatures" in text
    assert "must carry a `novu-signature` header (see the README's recipe)" in text
    assert FRAMEWORK_HINT not in text


def test_another_saved_bridge_error_is_named(workspace: Path) -> None:
    content = json.dumps({"message": "boom", "code": "BridgeError\n::error::x"})
    text = file_error(saved(workspace, content), workspace)
    assert text.endswith("It holds the bridge's error `BridgeError ::error::x` instead of its workflows.")


def test_a_discover_file_error_is_an_action_error_with_a_title(workspace: Path) -> None:
    with pytest.raises(ActionError) as caught:
        read_discover_file("missing.json", workspace=workspace)
    assert caught.value.title == "Discover file unusable"
