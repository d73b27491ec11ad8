"""Builders of what tests, the demo and the benchmark feed the action: GitHub event payloads shaped like
GitHub's, and the example bridge's real discover answer.

Plain functions with no pytest dependency, so that scripts/ can import them.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).parent / "fixtures"
HEAD_SHA = "ec26c3e57ca3a959ca5aad62de7213c562f8c821"


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


def deployment_status_event(
    *,
    sha: str = HEAD_SHA,
    state: str = "success",
    environment: str = "Preview",
    environment_url: str | None = "https://acme-git-feature-welcome-acme.vercel.app",
    production: bool | None = False,
) -> dict[str, object]:
    """A deployment_status payload shaped like the one Vercel's GitHub integration makes GitHub send
    (octokit webhooks example `deployment_status` created), for a deployment of commit ``sha``."""
    deployment: dict[str, object] = {
        "id": 145988746,
        "sha": sha,
        "ref": "feature/welcome",
        "task": "deploy",
        "environment": environment,
        "creator": {"login": "vercel[bot]", "type": "Bot"},
        "transient_environment": environment != "Production",
    }
    if production is not None:
        deployment["production_environment"] = production
    return {
        "deployment_status": {
            "id": 444,
            "state": state,
            "environment": environment,
            "environment_url": environment_url or "",
            "target_url": environment_url or "",
            "creator": {"login": "vercel[bot]", "type": "Bot"},
        },
        "deployment": deployment,
        "repository": {"full_name": "acme/notifications", "default_branch": "main"},
    }
