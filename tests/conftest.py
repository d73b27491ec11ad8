from __future__ import annotations

import copy
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

FIXTURES = Path(__file__).parent / "fixtures"


def example_bridge_workflows() -> dict[str, dict[str, Any]]:
    """The example bridge's discover workflows by id, as captured (a test pins the capture to the bridge)."""
    served = json.loads((FIXTURES / "example-bridge-discover.json").read_text(encoding="utf-8"))["workflows"]
    return {workflow["workflowId"]: workflow for workflow in served}


def last_months_workflows() -> list[dict[str, Any]]:
    """What a sync a month ago left: welcome as today, digest-comments sending every 10 minutes with
    another tag, and sms-alert, which today's code no longer has (and no invoice-paid yet)."""
    served = example_bridge_workflows()
    older_digest = copy.deepcopy(served["digest-comments"])
    older_digest["steps"][0]["controls"]["schema"]["properties"]["amount"]["default"] = 10
    older_digest["tags"] = ["comments"]
    return [served["welcome"], older_digest, served["sms-alert"]]


InputSetter = Callable[..., None]


@pytest.fixture
def action_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> InputSetter:
    """Give the process the environment the runner gives a Docker action: every input as INPUT_*
    (hyphens kept, present even when empty), GITHUB_* context and an event payload file."""
    for name in list(os.environ):
        if name.startswith(("INPUT_", "GITHUB_", "RUNNER_")):
            monkeypatch.delenv(name)

    def set_env(*, event_name: str = "push", event: dict[str, object] | None = None, **inputs: str) -> None:
        for name in ALL_INPUTS:
            monkeypatch.setenv(f"INPUT_{name.upper()}", "")
        for key, value in inputs.items():
            monkeypatch.setenv(f"INPUT_{key.replace('_', '-').upper()}", value)
        event_path = tmp_path / "event.json"
        event_path.write_text(json.dumps(event if event is not None else push_event("dev")))
        monkeypatch.setenv("GITHUB_EVENT_NAME", event_name)
        monkeypatch.setenv("GITHUB_EVENT_PATH", str(event_path))
        monkeypatch.setenv("GITHUB_REPOSITORY", "acme/notifications")
        monkeypatch.setenv("GITHUB_RUN_ID", "1234")
        monkeypatch.setenv("GITHUB_RUN_ATTEMPT", "1")

    return set_env


ALL_INPUTS = (
    "secret-key",
    "bridge-url",
    "development-secret-key",
    "development-bridge-url",
    "production-secret-key",
    "production-bridge-url",
    "preview-bridge-url",
    "branch-map",
    "environment",
    "mode",
    "api-url",
    "allow-deletions",
    "comment-mode",
    "github-token",
    "id",
    "timeout",
)


def push_event(branch: str, *, sha: str = "6113728f27ae82c7b1a177c8d03f9e96e0adf246") -> dict[str, object]:
    """A push payload shaped like GitHub's (octokit webhooks example, branch pushed)."""
    return {
        "ref": f"refs/heads/{branch}",
        "before": "0000000000000000000000000000000000000000",
        "after": sha,
        "created": False,
        "deleted": False,
        "forced": False,
        "base_ref": None,
        "repository": {"full_name": "acme/notifications", "default_branch": "main"},
        "head_commit": {"id": sha, "message": "Update workflows"},
    }


def pull_request_event(
    *,
    base: str = "main",
    head: str = "feature/welcome",
    number: int = 2,
    head_sha: str = "ec26c3e57ca3a959ca5aad62de7213c562f8c821",
    head_repo: str | None = "acme/notifications",
) -> dict[str, object]:
    """A pull_request `opened` payload shaped like GitHub's; head_repo differs for forks (None: deleted)."""
    base_repo = {"full_name": "acme/notifications", "fork": False}
    return {
        "action": "opened",
        "number": number,
        "pull_request": {
            "number": number,
            "state": "open",
            "title": "Change the welcome workflow",
            "base": {
                "ref": base,
                "sha": "f95f852bd8fca8fcc58a9a2d6c842781e32a215e",
                "repo": base_repo,
                "label": f"acme:{base}",
            },
            "head": {
                "ref": head,
                "sha": head_sha,
                "label": f"{(head_repo or 'ghost/x').split('/')[0]}:{head}",
                "repo": None
                if head_repo is None
                else {"full_name": head_repo, "fork": head_repo != "acme/notifications"},
            },
            "merge_commit_sha": None,
        },
        "repository": base_repo,
    }
