from __future__ import annotations

import pytest

from novu_action.settings import Event, Inputs
from novu_action.target import (
    MissingBridgeUrl,
    MissingSecretKey,
    Mode,
    Skip,
    Target,
    UnreachableBridgeUrl,
    resolve_target,
)

KEYS = {
    "INPUT_DEVELOPMENT-SECRET-KEY": "sk_dev",
    "INPUT_PRODUCTION-SECRET-KEY": "sk_prod",
    "INPUT_BRIDGE-URL": "https://app.example.com/api/novu",
}


def inputs(**values: str) -> Inputs:
    return Inputs.model_validate(values)


def push(branch: str) -> Event:
    return Event(name="push", ref=f"refs/heads/{branch}", sha="a" * 40)


def pull_request(base: str, *, fork: bool = False, name: str = "pull_request") -> Event:
    return Event(
        name=name,
        ref=f"refs/heads/{base}",
        sha="b" * 40,
        pr_number=3,
        base_branch=base,
        head_branch="feature",
        is_fork=fork,
    )


def resolved(**kwargs) -> Target:
    target = resolve_target(**kwargs)
    assert isinstance(target, Target), target
    return target


def test_push_to_dev_syncs_development_with_its_own_key():
    target = resolved(inputs=inputs(**KEYS), event=push("dev"))
    assert (target.mode, target.environment, target.secret_key) == (Mode.SYNC, "Development", "sk_dev")
    assert target.key_input == "development-secret-key"
    assert target.allow_deletions is True


def test_push_to_main_syncs_production_where_deletions_are_off_by_default():
    target = resolved(inputs=inputs(**KEYS), event=push("main"))
    assert (target.environment, target.secret_key, target.allow_deletions) == ("Production", "sk_prod", False)


def test_allow_deletions_input_wins_over_the_default():
    target = resolved(inputs=inputs(**KEYS, **{"INPUT_ALLOW-DELETIONS": "true"}), event=push("main"))
    assert target.allow_deletions is True


def test_generic_key_and_bridge_are_the_fallback():
    target = resolved(
        inputs=inputs(**{"INPUT_SECRET-KEY": "sk_any", "INPUT_BRIDGE-URL": "https://b.example.com"}),
        event=push("main"),
    )
    assert (target.secret_key, target.key_input, target.bridge_url) == (
        "sk_any",
        "secret-key",
        "https://b.example.com",
    )


def test_environment_specific_bridge_wins():
    values = {**KEYS, "INPUT_PRODUCTION-BRIDGE-URL": "https://prod.example.com/api/novu"}
    assert (
        resolved(inputs=inputs(**values), event=push("main")).bridge_url
        == "https://prod.example.com/api/novu"
    )
    assert (
        resolved(inputs=inputs(**values), event=push("dev")).bridge_url == "https://app.example.com/api/novu"
    )


def test_first_matching_glob_wins():
    values = {**KEYS, "INPUT_BRANCH-MAP": "release/*=Production\nrelease/beta=Development"}
    assert resolved(inputs=inputs(**values), event=push("release/beta")).environment == "Production"


def test_unmapped_branch_is_a_skip():
    skip = resolve_target(inputs=inputs(**KEYS), event=push("feature/x"))
    assert isinstance(skip, Skip)
    assert "feature/x" in skip.reason
    assert "branch-map" in skip.reason


def test_tag_push_is_a_skip():
    event = Event(name="push", ref="refs/tags/v1.0.0", sha="a" * 40)
    skip = resolve_target(inputs=inputs(**KEYS), event=event)
    assert isinstance(skip, Skip)
    assert "tag" in skip.reason


def test_deleted_branch_is_a_skip():
    event = Event(name="push", ref="refs/heads/dev", sha=None, branch_deleted=True)
    assert isinstance(resolve_target(inputs=inputs(**KEYS), event=event), Skip)


@pytest.mark.parametrize("name", ["issues", "release", "workflow_run", ""])
def test_unsupported_events_skip_in_auto_mode(name):
    skip = resolve_target(inputs=inputs(**KEYS), event=Event(name=name, ref="refs/heads/main", sha=None))
    assert isinstance(skip, Skip)


def test_workflow_dispatch_with_environment_overrides_the_branch_map():
    event = Event(name="workflow_dispatch", ref="refs/heads/feature/x", sha="a" * 40)
    target = resolved(inputs=inputs(**KEYS, INPUT_ENVIRONMENT="production"), event=event)
    assert (target.mode, target.environment, target.secret_key) == (Mode.SYNC, "Production", "sk_prod")


@pytest.mark.parametrize("name", ["pull_request", "pull_request_target"])
def test_pull_requests_preview_the_base_branch_environment(name):
    target = resolved(inputs=inputs(**KEYS), event=pull_request("main", name=name))
    assert (target.mode, target.environment) == (Mode.PREVIEW, "Production")
    assert target.previewing_deployed_bridge is True


def test_preview_bridge_url_is_used_for_previews_only():
    values = {**KEYS, "INPUT_PREVIEW-BRIDGE-URL": "https://pr-3.example.com/api/novu"}
    preview = resolved(inputs=inputs(**values), event=pull_request("main"))
    assert (preview.bridge_url, preview.previewing_deployed_bridge) == (
        "https://pr-3.example.com/api/novu",
        False,
    )
    assert (
        resolved(inputs=inputs(**values), event=push("main")).bridge_url == "https://app.example.com/api/novu"
    )


def test_explicit_mode_overrides_the_event():
    target = resolved(inputs=inputs(**KEYS, INPUT_MODE="preview"), event=push("main"))
    assert target.mode is Mode.PREVIEW


def test_missing_key_names_every_input_that_could_supply_it():
    with pytest.raises(MissingSecretKey) as caught:
        resolve_target(inputs=inputs(**{"INPUT_BRIDGE-URL": "https://b.example.com"}), event=push("main"))
    assert "`production-secret-key` or `secret-key`" in str(caught.value)


def test_missing_key_on_a_fork_pull_request_is_a_skip_with_an_explanation():
    skip = resolve_target(
        inputs=inputs(**{"INPUT_BRIDGE-URL": "https://b.example.com"}), event=pull_request("main", fork=True)
    )
    assert isinstance(skip, Skip)
    assert "fork" in skip.reason


def test_missing_bridge_url_names_the_inputs():
    with pytest.raises(MissingBridgeUrl, match="`development-bridge-url` or `bridge-url`"):
        resolve_target(inputs=inputs(**{"INPUT_SECRET-KEY": "sk"}), event=push("dev"))


def test_custom_environment_uses_the_generic_inputs():
    values = {
        "INPUT_SECRET-KEY": "sk_stage",
        "INPUT_BRIDGE-URL": "https://s.example.com",
        "INPUT_BRANCH-MAP": "staging=Staging",
    }
    target = resolved(inputs=inputs(**values), event=push("staging"))
    assert (target.environment, target.secret_key, target.allow_deletions) == ("Staging", "sk_stage", True)


@pytest.mark.parametrize(
    "url",
    [
        "http://localhost:4000/api/novu",
        "http://127.0.0.1:4000/api/novu",
        "http://10.1.2.3/api/novu",
        "http://192.168.0.5/api/novu",
        "http://[::1]:4000/api/novu",
        "http://bridge.internal/api/novu",
    ],
)
def test_local_bridge_is_refused_for_novu_cloud(url):
    with pytest.raises(UnreachableBridgeUrl, match="Novu Cloud cannot reach"):
        resolve_target(inputs=inputs(**{**KEYS, "INPUT_BRIDGE-URL": url}), event=push("main"))


def test_local_bridge_is_allowed_with_a_local_or_self_hosted_api():
    values = {
        **KEYS,
        "INPUT_BRIDGE-URL": "http://127.0.0.1:4000/api/novu",
        "INPUT_API-URL": "http://127.0.0.1:3000",
    }
    assert resolved(inputs=inputs(**values), event=push("main")).bridge_url.startswith("http://127.0.0.1")


def test_local_bridge_is_allowed_for_a_preview_the_runner_itself_can_reach():
    values = {**KEYS, "INPUT_PREVIEW-BRIDGE-URL": "http://127.0.0.1:4000/api/novu"}
    assert resolved(inputs=inputs(**values), event=pull_request("main")).mode is Mode.PREVIEW


def test_missing_key_on_a_dependabot_pull_request_is_a_skip():
    event = Event(
        name="pull_request",
        ref="refs/heads/main",
        sha="b" * 40,
        pr_number=4,
        base_branch="main",
        actor="dependabot[bot]",
    )
    skip = resolve_target(inputs=inputs(**{"INPUT_BRIDGE-URL": "https://b.example.com"}), event=event)
    assert isinstance(skip, Skip)
    assert "Dependabot" in skip.reason


def test_missing_key_on_a_fork_pull_request_target_is_an_error_since_secrets_are_given_there():
    with pytest.raises(MissingSecretKey):
        resolve_target(
            inputs=inputs(**{"INPUT_BRIDGE-URL": "https://b.example.com"}),
            event=pull_request("main", fork=True, name="pull_request_target"),
        )


def test_only_an_explicit_allow_deletions_may_empty_an_environment():
    by_default = resolved(inputs=inputs(**KEYS), event=push("dev"))
    explicit = resolved(inputs=inputs(**KEYS, **{"INPUT_ALLOW-DELETIONS": "true"}), event=push("dev"))
    assert (by_default.allow_deletions, by_default.allow_emptying) == (True, False)
    assert (explicit.allow_deletions, explicit.allow_emptying) == (True, True)
