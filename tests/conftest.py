from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.factories import (  # re-exported for tests written before factories.py existed
    example_bridge_workflows,
    last_months_workflows,
    pull_request_event,
    push_event,
)
from tests.stand_ins.action_runner import declared_inputs

__all__ = ["example_bridge_workflows", "last_months_workflows", "pull_request_event", "push_event"]

InputSetter = Callable[..., None]


@pytest.fixture
def action_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> InputSetter:
    """Give the process the environment the runner gives a Docker action: every input as INPUT_*
    (hyphens kept, present even when empty), GITHUB_* context and an event payload file."""
    for name in list(os.environ):
        if name.startswith(("INPUT_", "GITHUB_", "RUNNER_")):
            monkeypatch.delenv(name)

    def set_env(*, event_name: str = "push", event: dict[str, object] | None = None, **inputs: str) -> None:
        for name in declared_inputs():
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
