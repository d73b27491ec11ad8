from __future__ import annotations

import pytest

from novu_action.comment import CommentMode
from novu_action.settings import (
    BranchRule,
    InvalidInputs,
    RequestedMode,
    load_settings,
    parse_branch_map,
    parse_event,
)
from tests.conftest import pull_request_event, push_event


def test_inputs_are_read_with_their_hyphens_kept(action_env):
    action_env(
        secret_key="sk_test",
        production_bridge_url="https://app.example.com/api/novu",
        allow_deletions="true",
        comment_mode="changes",
        id="marketing",
        timeout="12.5",
    )
    inputs = load_settings().inputs
    assert inputs.secret_key is not None
    assert inputs.secret_key.get_secret_value() == "sk_test"
    assert inputs.production_bridge_url == "https://app.example.com/api/novu"
    assert inputs.allow_deletions is True
    assert inputs.comment_mode is CommentMode.CHANGES
    assert inputs.id == "marketing"
    assert inputs.timeout == 12.5


def test_empty_and_blank_inputs_count_as_unset_and_defaults_apply(action_env):
    action_env(secret_key="   ", mode="", api_url="  ", branch_map="\n", timeout="")
    inputs = load_settings().inputs
    assert inputs.secret_key is None
    assert inputs.mode is RequestedMode.AUTO
    assert inputs.api_url == "https://api.novu.co"
    assert inputs.branch_map == (BranchRule("dev", "Development"), BranchRule("main", "Production"))
    assert inputs.timeout == 30


def test_values_are_trimmed(action_env):
    action_env(bridge_url="  https://b.example.com/api/novu \n", allow_deletions=" false ", mode=" Sync ")
    inputs = load_settings().inputs
    assert inputs.bridge_url == "https://b.example.com/api/novu"
    assert inputs.allow_deletions is False
    assert inputs.mode is RequestedMode.SYNC


@pytest.mark.parametrize("value", ["yes", "1", "on", "y", "tRue"])
def test_booleans_are_strict(action_env, value):
    action_env(allow_deletions=value)
    with pytest.raises(InvalidInputs, match="allow-deletions"):
        load_settings()


def test_every_problem_is_reported_at_once_and_secrets_are_not_echoed(action_env):
    action_env(
        mode="sideways",
        allow_deletions="maybe",
        bridge_url="ftp://bridge.example.com",
        api_url="not a url",
        comment_mode="loud",
        timeout="-3",
        id="has space",
        branch_map="dev",
        secret_key="sk_live_abcdef",
    )
    with pytest.raises(InvalidInputs) as caught:
        load_settings()
    message = str(caught.value)
    for name in (
        "mode",
        "allow-deletions",
        "bridge-url",
        "api-url",
        "comment-mode",
        "timeout",
        "id",
        "branch-map",
    ):
        assert f"input `{name}`" in message
    assert "8 problem(s)" in message
    assert "sk_live_abcdef" not in message


def test_api_url_loses_its_trailing_slash(action_env):
    action_env(api_url="https://eu.api.novu.co/")
    assert load_settings().inputs.api_url == "https://eu.api.novu.co"


def test_branch_map_accepts_lines_commas_and_globs():
    rules = parse_branch_map("dev=development, release/*=Production\n main = Staging ")
    assert rules == (
        BranchRule("dev", "Development"),
        BranchRule("release/*", "Production"),
        BranchRule("main", "Staging"),
    )
    assert rules[1].matches("release/2026-11")
    assert not rules[1].matches("hotfix/1")


@pytest.mark.parametrize("text", ["dev", "=Production", "dev=", ",,"])
def test_branch_map_rejects_malformed_entries(text):
    with pytest.raises(ValueError, match="BRANCH_PATTERN=Environment"):
        parse_branch_map(text)


def test_push_event_gives_branch_and_pushed_sha():
    event = parse_event(
        name="push", payload=push_event("dev", sha="a" * 40), github_ref=None, github_sha="b" * 40
    )
    assert event.ref == "refs/heads/dev"
    assert event.sha == "a" * 40
    assert event.pr_number is None


def test_pull_request_event_is_read_from_the_payload_not_github_ref():
    event = parse_event(
        name="pull_request",
        payload=pull_request_event(number=7),
        github_ref="refs/pull/99/merge",
        github_sha="c" * 40,
    )
    assert event.pr_number == 7
    assert event.base_branch == "main"
    assert event.head_branch == "feature/welcome"
    assert event.sha == "ec26c3e57ca3a959ca5aad62de7213c562f8c821"  # the PR head, not the merge commit
    assert event.is_fork is False


@pytest.mark.parametrize("head_repo", ["someone/notifications", None])
def test_fork_is_detected_by_comparing_repository_names(head_repo):
    payload = pull_request_event(head_repo=head_repo)
    assert parse_event(name="pull_request", payload=payload, github_ref=None, github_sha=None).is_fork


def test_merge_group_uses_its_base_branch():
    payload = {
        "merge_group": {
            "head_sha": "d" * 40,
            "base_ref": "refs/heads/main",
            "head_ref": "refs/heads/gh-readonly-queue/main/pr-104-abc",
        }
    }
    event = parse_event(name="merge_group", payload=payload, github_ref=None, github_sha=None)
    assert event.base_branch == "main"
    assert event.sha == "d" * 40


def test_a_pull_request_payload_without_pull_request_is_an_input_problem(action_env):
    action_env(event_name="pull_request", event={"action": "opened"})
    with pytest.raises(InvalidInputs, match="no `pull_request` object"):
        load_settings()


def test_unreadable_event_file_is_reported_with_the_input_problems(action_env, tmp_path, monkeypatch):
    action_env(mode="sideways")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    monkeypatch.setenv("GITHUB_EVENT_PATH", str(bad))
    with pytest.raises(InvalidInputs) as caught:
        load_settings()
    assert "input `mode`" in str(caught.value)
    assert "does not hold JSON" in str(caught.value)
