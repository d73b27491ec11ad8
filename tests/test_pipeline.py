"""The pipeline in-process with stand-in clients: every branch from the event to the result, no network."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from novu_action.bridge import BridgeKeyMismatchError, HealthCheck
from novu_action.discovery import Discovery, read_discover_file
from novu_action.events import PullRequest
from novu_action.github import CommentOutcome, comment_marker
from novu_action.github_errors import CommentError
from novu_action.novu_api import BridgeValidation, EnvironmentInfo, SyncResponse
from novu_action.novu_errors import NovuNotFoundError
from novu_action.pipeline import Clock, run
from novu_action.report import RunResult, Status, annotations_of
from novu_action.settings import CommentMode, Settings, load_settings
from novu_action.state import EnvironmentState, ListedWorkflow, stored_definitions
from novu_action.target import SourceKind, Target
from novu_action.wording import NoteKind
from tests.factories import (
    HEAD_SHA,
    deployment_status_event,
    example_bridge_workflows,
    pull_request_event,
    push_event,
)
from tests.stand_ins.action_runner import declared_inputs

DEV_KEY, PROD_KEY = "sk_dev_pipeline", "sk_prod_pipeline"
BRIDGE = "https://app.example.com/api/novu"
SERVED = list(example_bridge_workflows().values())


def settings_for(tmp_path: Path, *, event_name: str, event: dict[str, Any], **inputs: str) -> Settings:
    event_path = tmp_path / "event.json"
    event_path.write_text(json.dumps(event))
    environ = {f"INPUT_{name.upper()}": value for name, value in declared_inputs().items()}
    environ["INPUT_GITHUB-TOKEN"] = "ghs_pipeline"
    environ.update({f"INPUT_{name.upper()}": value for name, value in inputs.items()})
    environ.update(
        GITHUB_EVENT_NAME=event_name,
        GITHUB_EVENT_PATH=str(event_path),
        GITHUB_REPOSITORY="acme/notifications",
        GITHUB_RUN_ID="99",
        GITHUB_WORKSPACE=str(tmp_path),
        GITHUB_SHA="f" * 40,
    )
    return load_settings(environ)


@dataclass
class FakeNovu:
    environment_name: str | None = "Production"
    state: EnvironmentState = field(default_factory=lambda: EnvironmentState(stored=(), listed=()))
    synced: list[str] = field(default_factory=list)

    def environment(self) -> EnvironmentInfo | None:
        if self.environment_name is None:
            return None
        return EnvironmentInfo(id="env1", name=self.environment_name, slug="prod_env_abc")

    def read_state(self, bridge_url: str) -> EnvironmentState:
        return self.state

    def validate_bridge(self, bridge_url: str) -> BridgeValidation:
        return BridgeValidation(is_valid=True, error=None, advice=None)

    def sync(self, bridge_url: str, *, idempotency_key: str, deadline: float) -> SyncResponse:
        self.synced.append(idempotency_key)
        listed = tuple(ListedWorkflow(workflow_id=w["workflowId"], origin="external") for w in SERVED)
        self.state = EnvironmentState(stored=stored_definitions(SERVED), listed=listed)
        return SyncResponse(data=({"_id": "a"},), workflow_ids=tuple(w["workflowId"] for w in SERVED))

    def point_agent(self, agent_id: str, bridge_url: str) -> NovuNotFoundError | None:
        return NovuNotFoundError("…", status=404, novu_message="Not Found")


@dataclass
class FakeBridge:
    workflows: list[dict[str, Any]] = field(default_factory=lambda: SERVED)
    verifies: bool = True
    failure: Exception | None = None
    agents: tuple[str, ...] = ()

    def health(self) -> HealthCheck:
        return HealthCheck.model_validate({"status": "ok", "discovered": {"workflows": 4, "steps": 6}})

    def discover(self) -> Discovery:
        if self.failure:
            raise self.failure
        return Discovery(workflows=tuple(self.workflows), agent_ids=self.agents, sdk_version="2.13.2")

    def verifies_signatures(self) -> bool:
        return self.verifies


@dataclass
class FakeComments:
    outcome: CommentOutcome = field(
        default_factory=lambda: CommentOutcome(
            "created", "https://github.com/acme/notifications/pull/2#c1", None
        )
    )
    error: Exception | None = None
    bodies: list[str] = field(default_factory=list)

    def publish(self, *, body: str, marker: str, mode: CommentMode, has_changes: bool) -> CommentOutcome:
        assert body.startswith(marker)
        self.bodies.append(body)
        if self.error:
            raise self.error
        return self.outcome


@dataclass
class FakeConnections:
    tmp_path: Path
    novu_stand_in: FakeNovu = field(default_factory=FakeNovu)
    bridge_stand_in: FakeBridge = field(default_factory=FakeBridge)
    comment_stand_in: FakeComments | None = field(default_factory=FakeComments)
    pulls: dict[str, PullRequest] = field(default_factory=dict)
    targets: list[Target] = field(default_factory=list)

    def novu(self, target: Target) -> FakeNovu:
        self.targets.append(target)
        return self.novu_stand_in

    def bridge(self, target: Target) -> FakeBridge:
        return self.bridge_stand_in

    def read_discover_file(self, path: str) -> Discovery:
        return read_discover_file(path, workspace=self.tmp_path)

    def comments(self, pr_number: int) -> FakeComments | None:
        return self.comment_stand_in

    def pull_request_for_commit(self, sha: str) -> PullRequest | None:
        return self.pulls.get(sha)

    def comment_marker(self, report_id: str | None) -> str:
        return comment_marker(report_id)


class Progress:
    def __init__(self) -> None:
        self.lines: list[str] = []
        self.groups: list[str] = []

    def log(self, text: str) -> None:
        self.lines.append(text)

    @contextlib.contextmanager
    def group(self, title: str) -> Iterator[None]:
        self.groups.append(title)
        yield


def go(settings: Settings, connections: FakeConnections, progress: Progress | None = None) -> RunResult:
    return run(
        settings=settings,
        connections=connections,
        progress=progress or Progress(),
        clock=Clock(now=lambda: 0.0, sleep=lambda _: None),
    )


@pytest.fixture
def connections(tmp_path: Path) -> FakeConnections:
    return FakeConnections(tmp_path)


def preview_settings(tmp_path: Path, **inputs: str) -> Settings:
    return settings_for(
        tmp_path,
        event_name="pull_request",
        event=pull_request_event(base="main"),
        **{"production-secret-key": PROD_KEY, "production-bridge-url": BRIDGE, **inputs},
    )


def test_a_skip_touches_no_client(tmp_path, connections):
    result = go(settings_for(tmp_path, event_name="push", event=push_event("feature/x")), connections)
    assert (result.status, result.mode, result.exit_code) == (Status.SKIPPED, "skip", 0)
    assert "feature/x" in (result.skip_reason or "")
    assert connections.targets == []


def test_a_preview_of_the_deployed_bridge_says_it_is_drift_in_its_first_log_line_and_its_notice(
    tmp_path, connections
):
    progress = Progress()
    result = go(preview_settings(tmp_path), connections, progress)
    assert result.status is Status.PREVIEW
    assert result.context is not None
    assert result.context.source is SourceKind.DEPLOYED_BRIDGE
    assert progress.lines[0] == (
        f"Compared the deployed bridge at `{BRIDGE}` with Production — not this pull request's code."
    )
    notice = annotations_of(result)[-1]
    assert notice.level == "notice"
    assert "not with this pull request's code" in notice.message
    assert result.comment_url.endswith("#c1")
    assert result.context.dashboard_url == "https://dashboard.novu.co/env/prod_env_abc/workflows"


def test_a_key_of_another_environment_stops_before_the_bridge_is_called(tmp_path, connections):
    connections.novu_stand_in.environment_name = "Development"
    connections.bridge_stand_in.failure = AssertionError("the bridge must not be called")
    result = go(preview_settings(tmp_path), connections)
    assert result.status is Status.FAILED
    assert result.exit_code == 1
    assert result.failure is not None
    assert "belongs to Novu's Development environment" in result.failure.message
    assert connections.comment_stand_in is not None
    assert len(connections.comment_stand_in.bodies) == 1


def test_a_novu_that_cannot_say_whose_key_it_is_goes_on_with_a_warning(tmp_path, connections):
    connections.novu_stand_in.environment_name = None
    result = go(preview_settings(tmp_path), connections)
    assert [n.kind for n in result.notes] == [NoteKind.KEY_NOT_CHECKED]
    assert result.context is not None
    assert result.context.dashboard_url is None
    assert any(a.title == "Secret key not checked (Production)" for a in annotations_of(result))


def test_missing_reads_and_an_unsigned_bridge_become_notes(tmp_path, connections):
    connections.novu_stand_in.state = EnvironmentState(stored=None, listed=None)
    connections.bridge_stand_in.verifies = False
    result = go(preview_settings(tmp_path), connections)
    kinds = [n.kind for n in result.notes]
    assert kinds == [NoteKind.NO_STORED_DEFINITIONS, NoteKind.NO_WORKFLOW_LIST, NoteKind.UNSIGNED_BRIDGE]
    assert result.notes[-1].subject == BRIDGE


def test_a_bridge_failure_fails_the_preview_and_still_updates_the_comment(tmp_path, connections):
    connections.bridge_stand_in.failure = BridgeKeyMismatchError("signed with the wrong secret")
    result = go(preview_settings(tmp_path), connections)
    assert (result.status, result.plan) == (Status.FAILED, None)
    assert connections.comment_stand_in is not None
    assert "The preview of **Production** failed" in connections.comment_stand_in.bodies[0]


def test_a_preview_whose_sync_would_be_refused_warns_and_fails_only_with_fail_on_refusal(
    tmp_path, connections
):
    held = [*SERVED, {"workflowId": "retired", "steps": []}]
    listed = tuple(ListedWorkflow(workflow_id=w["workflowId"], origin="external") for w in held)
    connections.novu_stand_in.state = EnvironmentState(stored=stored_definitions(held), listed=listed)

    warned = go(preview_settings(tmp_path), connections)
    assert warned.exit_code == 0
    assert [a.title for a in annotations_of(warned) if a.level == "warning"] == [
        "A sync of the deployed bridge would be refused (Production)"
    ]

    failed = go(preview_settings(tmp_path, **{"fail-on-refusal": "true"}), connections)
    assert failed.exit_code == 1
    assert failed.status is Status.PREVIEW
    errors = [a for a in annotations_of(failed) if a.level == "error"]
    assert len(errors) == 1
    assert "retired" in errors[0].message
    assert "fail-on-refusal" in errors[0].message
    assert connections.comment_stand_in is not None
    assert len(connections.comment_stand_in.bodies) == 2


def test_a_comment_that_cannot_be_written_fails_the_run(tmp_path, connections):
    connections.comment_stand_in = FakeComments(error=CommentError("GitHub rejected the token"))
    result = go(preview_settings(tmp_path), connections)
    assert result.status is Status.PREVIEW
    assert result.exit_code == 1
    assert result.failure is not None
    assert result.failure.message == "GitHub rejected the token"


def test_a_discover_file_previews_the_pull_requests_code_without_calling_the_bridge(tmp_path, connections):
    (tmp_path / "discover.json").write_text(json.dumps({"workflows": SERVED[:1], "agents": []}))
    connections.bridge_stand_in.failure = AssertionError("the bridge must not be called")
    result = go(preview_settings(tmp_path, **{"discover-file": "discover.json"}), connections)
    assert result.context is not None
    assert result.context.source is SourceKind.DISCOVER_FILE
    assert result.plan is not None
    assert result.plan.discovered_ids == (SERVED[0]["workflowId"],)


def test_a_deployment_previews_its_url_for_the_pull_request_of_its_commit(tmp_path, connections):
    connections.pulls[HEAD_SHA] = PullRequest(number=7, base_branch="main")
    settings = settings_for(
        tmp_path,
        event_name="deployment_status",
        event=deployment_status_event(environment_url="https://acme-git-x.vercel.app"),
        **{"production-secret-key": PROD_KEY, "bridge-path": "/api/novu?x-vercel-protection-bypass=s3cret"},
    )
    result = go(settings, connections)
    assert result.status is Status.PREVIEW
    assert result.environment == "Production"
    [target] = connections.targets
    assert target.bridge_url == "https://acme-git-x.vercel.app/api/novu?x-vercel-protection-bypass=s3cret"
    assert result.context is not None
    assert "s3cret" not in result.context.shown_source


def test_a_deployment_without_an_open_pull_request_is_a_skip(tmp_path, connections):
    settings = settings_for(
        tmp_path,
        event_name="deployment_status",
        event=deployment_status_event(),
        **{"production-secret-key": PROD_KEY},
    )
    result = go(settings, connections)
    assert result.status is Status.SKIPPED
    assert "no open pull request" in (result.skip_reason or "")


def test_a_sync_applies_verifies_and_notes_what_was_not_done(tmp_path, connections):
    connections.bridge_stand_in.agents = ("helper",)
    settings = settings_for(
        tmp_path,
        event_name="push",
        event=push_event("main"),
        **{"production-secret-key": PROD_KEY, "production-bridge-url": BRIDGE, "discover-file": "x.json"},
    )
    result = go(settings, connections)
    assert (result.status, result.exit_code) == (Status.SYNCED, 0)
    assert [n.kind for n in result.notes] == [NoteKind.DISCOVER_FILE_IGNORED, NoteKind.AGENT_NOT_POINTED]
    assert result.synced == ({"_id": "a"},)
    assert len(connections.novu_stand_in.synced) == 1
    assert json.loads(result.outputs()["result"]) == [{"_id": "a"}]


def test_a_refused_sync_comes_from_the_guards_own_error(tmp_path, connections):
    held = [*SERVED, {"workflowId": "retired", "steps": []}]
    listed = tuple(ListedWorkflow(workflow_id=w["workflowId"], origin="external") for w in held)
    connections.novu_stand_in.state = EnvironmentState(stored=stored_definitions(held), listed=listed)
    settings = settings_for(
        tmp_path,
        event_name="push",
        event=push_event("main"),
        **{"production-secret-key": PROD_KEY, "production-bridge-url": BRIDGE},
    )
    result = go(settings, connections)
    assert (result.status, result.exit_code) == (Status.REFUSED, 1)
    assert connections.novu_stand_in.synced == []
    assert result.outputs()["success"] == "false"
    assert result.outputs()["deleted"] == "1"


def test_an_invalid_target_is_a_failure_before_any_client(tmp_path, connections):
    result = go(settings_for(tmp_path, event_name="push", event=push_event("main")), connections)
    assert result.status is Status.FAILED
    assert result.mode == ""
    assert result.failure is not None
    assert result.failure.title == "Novu secret key missing"
    assert connections.targets == []


def test_v1_workflows_the_bridge_serves_are_taken_over_with_a_warning(tmp_path, connections):
    listed = (ListedWorkflow(workflow_id=SERVED[0]["workflowId"], origin="novu-cloud-v1"),)
    connections.novu_stand_in.state = EnvironmentState(stored=(), listed=listed)
    result = go(preview_settings(tmp_path), connections)
    assert [n.kind for n in result.notes] == [NoteKind.TAKEOVER]
    assert result.plan is not None
    assert result.plan.findings == ()
