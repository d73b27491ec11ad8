from __future__ import annotations

import pytest

from novu_action.events import LOCAL_EVENT, Deployment, Event, WithheldSecrets, parse_event
from novu_action.settings import Inputs
from novu_action.signing import Signer
from novu_action.target import (
    MissingBridgeUrlError,
    MissingSecretKeyError,
    Mode,
    PrivateBridgeUrlError,
    Skip,
    SourceKind,
    Target,
    deployment_skip,
    join_bridge_path,
    resolve_target,
)
from tests.factories import deployment_status_event, pull_request_event

KEYS = {
    "development-secret-key": "sk_dev",
    "production-secret-key": "sk_prod",
    "bridge-url": "https://app.example.com/api/novu",
}
NO_KEYS = {"bridge-url": "https://b.example.com"}
PREVIEW_DEPLOYMENT_URL = "https://acme-git-feature-welcome-acme.vercel.app"


def inputs(values: dict[str, str] | None = None, /, **more: str) -> Inputs:
    """Inputs as the user spells them in ``with:`` (``values``); ``more`` for names without hyphens."""
    return Inputs.from_values({**(values or {}), **more})


def push(branch: str) -> Event:
    return Event(name="push", ref=f"refs/heads/{branch}", sha="a" * 40)


def pull_request(base: str, *, withheld: WithheldSecrets | None = None, name: str = "pull_request") -> Event:
    return Event(
        name=name,
        ref=f"refs/heads/{base}",
        sha="b" * 40,
        pr_number=3,
        base_branch=base,
        secrets_withheld=withheld,
    )


def deployment(
    *, state: str = "success", url: str | None = PREVIEW_DEPLOYMENT_URL, production: bool = False
) -> Event:
    """A deployment_status run, before its pull request is looked up."""
    return Event(
        name="deployment_status",
        ref=None,
        sha="c" * 40,
        deployment=Deployment(
            state=state,
            environment="Production" if production else "Preview",
            url=url,
            sha="c" * 40,
            production=production,
        ),
    )


def resolved(**kwargs) -> Target:
    target = resolve_target(**kwargs)
    assert isinstance(target, Target), target
    return target


def skipped(**kwargs) -> str:
    skip = resolve_target(**kwargs)
    assert isinstance(skip, Skip), skip
    return skip.reason


# --- environment and key ----------------------------------------------------------------------------------


def test_push_to_dev_syncs_development_with_its_own_key():
    target = resolved(inputs=inputs(KEYS), event=push("dev"))
    assert (target.mode, target.environment, target.secret_key) == (Mode.SYNC, "Development", "sk_dev")
    assert target.key_input == "development-secret-key"
    assert target.allow_deletions is True


def test_push_to_main_syncs_production_where_deletions_are_off_by_default():
    target = resolved(inputs=inputs(KEYS), event=push("main"))
    assert (target.environment, target.secret_key, target.allow_deletions) == ("Production", "sk_prod", False)
    assert target.key_input == "production-secret-key"


def test_allow_deletions_input_wins_over_the_default():
    assert resolved(inputs=inputs(KEYS, **{"allow-deletions": "true"}), event=push("main")).allow_deletions
    assert not resolved(
        inputs=inputs(KEYS, **{"allow-deletions": "false"}), event=push("dev")
    ).allow_deletions


def test_generic_key_and_bridge_are_the_fallback():
    target = resolved(
        inputs=inputs({"secret-key": "sk_any", "bridge-url": "https://b.example.com"}), event=push("main")
    )
    assert (target.secret_key, target.key_input, target.bridge_url) == (
        "sk_any",
        "secret-key",
        "https://b.example.com",
    )


def test_environment_specific_key_wins_over_the_generic_one():
    target = resolved(inputs=inputs(KEYS, **{"secret-key": "sk_any"}), event=push("main"))
    assert (target.secret_key, target.key_input) == ("sk_prod", "production-secret-key")


def test_environment_specific_bridge_wins():
    values = {**KEYS, "production-bridge-url": "https://prod.example.com/api/novu"}
    assert (
        resolved(inputs=inputs(values), event=push("main")).bridge_url == "https://prod.example.com/api/novu"
    )
    assert resolved(inputs=inputs(values), event=push("dev")).bridge_url == "https://app.example.com/api/novu"


def test_first_matching_glob_wins():
    values = {**KEYS, "branch-map": "release/*=Production\nrelease/beta=Development"}
    assert resolved(inputs=inputs(values), event=push("release/beta")).environment == "Production"


@pytest.mark.parametrize(
    "branch_map", ["dev=Development\n\nmain=Production", "dev=Development,,main=Production"]
)
def test_a_blank_branch_map_entry_does_not_hide_the_rules_after_it(branch_map):
    target = resolved(inputs=inputs(KEYS, **{"branch-map": branch_map}), event=push("main"))
    assert target.environment == "Production"


def test_unmapped_branch_is_a_skip():
    reason = skipped(inputs=inputs(KEYS), event=push("feature/x"))
    assert reason == (
        "branch `feature/x` is not in `branch-map` and no `environment` is set, so there is nothing to sync."
    )


def test_an_unmapped_pull_request_base_skips_its_preview():
    reason = skipped(inputs=inputs(KEYS), event=pull_request("feature/x"))
    assert reason.endswith("so there is nothing to preview.")


def test_a_run_without_a_branch_is_a_skip_that_says_so():
    reason = skipped(inputs=inputs(KEYS), event=Event(name="schedule", ref=None, sha=None))
    assert reason.startswith("this run (no branch) is not in `branch-map`")


def test_custom_environment_uses_the_generic_inputs_only():
    values = {
        **KEYS,
        "secret-key": "sk_stage",
        "bridge-url": "https://s.example.com",
        "production-bridge-url": "https://prod.example.com",
        "production-bridge-signing-secret": "whsec_prod",
        "development-bridge-signing-secret": "whsec_dev",
        "branch-map": "staging=Staging",
    }
    target = resolved(inputs=inputs(values), event=push("staging"))
    assert (target.environment, target.secret_key, target.key_input) == ("Staging", "sk_stage", "secret-key")
    assert (target.bridge_url, target.allow_deletions) == ("https://s.example.com", True)
    assert target.signer == Signer(secret="sk_stage", source_input="secret-key", is_secret_key=True)


def test_a_custom_environment_without_the_generic_key_names_only_it():
    values = {**KEYS, "branch-map": "staging=Staging"}
    with pytest.raises(MissingSecretKeyError) as caught:
        resolve_target(inputs=inputs(values), event=push("staging"))
    message = str(caught.value)
    assert message.startswith("No Novu secret key for Staging: set `secret-key` from a repository")
    assert "production-secret-key" not in message
    assert "${{ secrets.NOVU_SECRET_KEY_STAGING }}" in message


def test_a_custom_environment_without_the_generic_bridge_names_only_it():
    values = {"secret-key": "sk", "production-bridge-url": "https://p.example", "branch-map": "qa=QA"}
    with pytest.raises(MissingBridgeUrlError) as caught:
        resolve_target(inputs=inputs(values), event=push("qa"))
    assert str(caught.value).startswith("No bridge URL for QA: set `bridge-url` to the public URL")


def test_an_environment_named_in_lower_case_uses_novus_environment_inputs():
    values = {**KEYS, "branch-map": "main=production"}
    target = resolved(inputs=inputs(values), event=push("main"))
    assert (target.environment, target.key_input) == ("Production", "production-secret-key")


# --- events and modes -------------------------------------------------------------------------------------


def test_tag_push_is_a_skip():
    event = Event(name="push", ref="refs/tags/v1.0.0", sha="a" * 40)
    assert skipped(inputs=inputs(KEYS), event=event) == (
        "`refs/tags/v1.0.0` is a tag; only branches are mapped to Novu environments."
    )


def test_a_tag_run_with_an_explicit_environment_syncs_it():
    event = Event(name="push", ref="refs/tags/v1.0.0", sha="a" * 40)
    target = resolved(inputs=inputs(KEYS, environment="Production"), event=event)
    assert (target.mode, target.environment) == (Mode.SYNC, "Production")


def test_deleted_branch_is_a_skip():
    event = Event(name="push", ref="refs/heads/dev", sha=None, branch_deleted=True)
    assert skipped(inputs=inputs(KEYS), event=event) == (
        "the push deleted `refs/heads/dev`; there is nothing to sync."
    )


def test_a_deleted_branch_skips_even_with_an_explicit_environment():
    event = Event(name="push", ref="refs/heads/dev", sha=None, branch_deleted=True)
    assert "deleted" in skipped(inputs=inputs(KEYS, environment="Development"), event=event)


def test_only_a_push_can_delete_a_branch():
    event = Event(name="workflow_dispatch", ref="refs/heads/dev", sha=None, branch_deleted=True)
    assert resolved(inputs=inputs(KEYS), event=event).environment == "Development"


@pytest.mark.parametrize("name", ["issues", "release", "workflow_run", "deployment"])
def test_unsupported_events_skip_in_auto_mode(name):
    reason = skipped(inputs=inputs(KEYS), event=Event(name=name, ref="refs/heads/main", sha=None))
    assert reason == (
        f"the action does not act on `{name}` with `mode: auto`; it previews on pull_request, "
        "pull_request_target, merge_group and successful preview deployments (deployment_status), and syncs "
        "on push, workflow_dispatch and schedule."
    )


def test_a_run_without_an_event_name_skips_and_says_so():
    reason = skipped(inputs=inputs(KEYS), event=Event(name="", ref="refs/heads/main", sha=None))
    assert reason.startswith(
        "the action does not act on an unknown event (GITHUB_EVENT_NAME is empty) with `mode: auto`;"
    )


@pytest.mark.parametrize("name", ["push", "workflow_dispatch", "schedule"])
def test_branch_events_sync(name):
    target = resolved(inputs=inputs(KEYS), event=Event(name=name, ref="refs/heads/dev", sha=None))
    assert (target.mode, target.environment) == (Mode.SYNC, "Development")


def test_workflow_dispatch_with_environment_overrides_the_branch_map():
    event = Event(name="workflow_dispatch", ref="refs/heads/feature/x", sha="a" * 40)
    target = resolved(inputs=inputs(KEYS, environment="production"), event=event)
    assert (target.mode, target.environment, target.secret_key) == (Mode.SYNC, "Production", "sk_prod")


@pytest.mark.parametrize("name", ["pull_request", "pull_request_target"])
def test_pull_requests_preview_the_base_branch_environment(name):
    target = resolved(inputs=inputs(KEYS), event=pull_request("main", name=name))
    assert (target.mode, target.environment) == (Mode.PREVIEW, "Production")
    assert target.source is SourceKind.DEPLOYED_BRIDGE
    assert target.bridge_url == "https://app.example.com/api/novu"


def test_a_merge_queue_previews_its_base_branch_environment():
    event = parse_event(
        name="merge_group",
        payload={"merge_group": {"head_sha": "d" * 40, "base_ref": "refs/heads/dev"}},
        github_ref="refs/heads/gh-readonly-queue/dev/pr-1-abc",
        github_sha=None,
        actor=None,
    )
    target = resolved(inputs=inputs(KEYS), event=event)
    assert (target.mode, target.environment) == (Mode.PREVIEW, "Development")


def test_explicit_mode_overrides_the_event():
    assert resolved(inputs=inputs(KEYS, mode="preview"), event=push("main")).mode is Mode.PREVIEW
    assert resolved(inputs=inputs(KEYS, mode="sync"), event=pull_request("main")).mode is Mode.SYNC


def test_an_explicit_mode_acts_on_any_event():
    event = Event(name="issues", ref="refs/heads/main", sha=None)
    assert resolved(inputs=inputs(KEYS, mode="sync"), event=event).mode is Mode.SYNC


# --- where the workflows come from ------------------------------------------------------------------------


def test_preview_bridge_url_is_used_for_previews_only():
    values = {**KEYS, "preview-bridge-url": "https://pr-3.example.com/api/novu"}
    preview = resolved(inputs=inputs(values), event=pull_request("main"))
    assert (preview.bridge_url, preview.source) == (
        "https://pr-3.example.com/api/novu",
        SourceKind.PREVIEW_BRIDGE,
    )
    sync = resolved(inputs=inputs(values), event=push("main"))
    assert (sync.bridge_url, sync.source) == ("https://app.example.com/api/novu", SourceKind.DEPLOYED_BRIDGE)


def test_a_discover_file_wins_for_a_preview_and_needs_no_bridge():
    values = {
        "production-secret-key": "sk_prod",
        "preview-bridge-url": "https://pr-3.example.com/api/novu",
        "discover-file": "out/discover.json",
    }
    target = resolved(inputs=inputs(values), event=pull_request("main"))
    assert (target.source, target.discover_file, target.bridge_url) == (
        SourceKind.DISCOVER_FILE,
        "out/discover.json",
        None,
    )


def test_a_discover_file_wins_over_a_deployment():
    event = deployment().for_pull_request(number=3, base_branch="main")
    target = resolved(inputs=inputs(KEYS, **{"discover-file": "d.json"}), event=event)
    assert (target.source, target.bridge_url) == (SourceKind.DISCOVER_FILE, None)


def test_a_sync_never_uses_the_discover_file():
    values = {**KEYS, "discover-file": "out/discover.json", "preview-bridge-url": "https://pr.example.com"}
    target = resolved(inputs=inputs(values), event=push("main"))
    assert (target.source, target.discover_file, target.bridge_url) == (
        SourceKind.DEPLOYED_BRIDGE,
        None,
        "https://app.example.com/api/novu",
    )


def test_a_sync_without_a_bridge_url_fails_even_with_a_discover_file():
    with pytest.raises(MissingBridgeUrlError):
        resolve_target(inputs=inputs({"secret-key": "sk", "discover-file": "d.json"}), event=push("main"))


def test_a_deployment_previews_its_own_bridge_at_the_bridge_path():
    event = deployment().for_pull_request(number=3, base_branch="dev")
    values = {**KEYS, "preview-bridge-url": "https://pr.example.com/api/novu"}
    target = resolved(inputs=inputs(values), event=event)
    assert (target.mode, target.environment, target.source) == (
        Mode.PREVIEW,
        "Development",
        SourceKind.PREVIEW_BRIDGE,
    )
    assert target.bridge_url == PREVIEW_DEPLOYMENT_URL + "/api/novu"


def test_a_deployment_bridge_keeps_the_bridge_paths_bypass_token():
    event = deployment().for_pull_request(number=3, base_branch="dev")
    values = {**KEYS, "bridge-path": "/api/hooks/novu?x-vercel-protection-bypass=tok"}
    target = resolved(inputs=inputs(values), event=event)
    assert target.bridge_url == PREVIEW_DEPLOYMENT_URL + "/api/hooks/novu?x-vercel-protection-bypass=tok"


def test_a_deployment_without_a_url_previews_the_preview_bridge_url():
    event = deployment(url=None).for_pull_request(number=3, base_branch="dev")
    values = {**KEYS, "preview-bridge-url": "https://pr.example.com/api/novu"}
    assert (
        resolved(inputs=inputs(values, mode="preview"), event=event).bridge_url
        == "https://pr.example.com/api/novu"
    )


def test_a_sync_on_a_deployment_uses_the_environments_bridge():
    event = deployment().for_pull_request(number=3, base_branch="dev")
    target = resolved(inputs=inputs(KEYS, mode="sync"), event=event)
    assert (target.source, target.bridge_url) == (
        SourceKind.DEPLOYED_BRIDGE,
        "https://app.example.com/api/novu",
    )


def test_a_deployment_not_yet_linked_to_a_pull_request_has_no_branch_to_map():
    assert skipped(inputs=inputs(KEYS), event=deployment()).startswith("this run (no branch)")


@pytest.mark.parametrize(
    ("base", "path", "joined"),
    [
        ("https://app.vercel.app", "/api/novu", "https://app.vercel.app/api/novu"),
        ("https://app.vercel.app/", "/api/novu", "https://app.vercel.app/api/novu"),
        ("https://app.vercel.app/site/", "/api/novu", "https://app.vercel.app/site/api/novu"),
        ("https://app.vercel.app/PR-X/", "/api/novu", "https://app.vercel.app/PR-X/api/novu"),  # only "/" cut
        (
            "https://app.vercel.app",
            "/api/novu?x-vercel-protection-bypass=t",
            "https://app.vercel.app/api/novu?x-vercel-protection-bypass=t",
        ),
        (
            "https://app.vercel.app/?_vercel_share=s",
            "/api/novu?x-vercel-protection-bypass=t",
            "https://app.vercel.app/api/novu?_vercel_share=s&x-vercel-protection-bypass=t",
        ),
        ("https://app.vercel.app?a=1", "/api/novu", "https://app.vercel.app/api/novu?a=1"),
        ("https://app.vercel.app/#top", "/api/novu", "https://app.vercel.app/api/novu"),
        ("http://127.0.0.1:3000", "/", "http://127.0.0.1:3000/"),
    ],
)
def test_a_deployment_url_and_the_bridge_path_join_keeping_both_query_strings(base, path, joined):
    assert join_bridge_path(base, path) == joined


# --- deployment_status runs that preview nothing ----------------------------------------------------------


@pytest.mark.parametrize("state", ["pending", "in_progress", "failure", "error", "inactive"])
def test_a_deployment_that_has_not_succeeded_is_skipped(state):
    skip = deployment_skip(inputs=inputs(KEYS), event=deployment(state=state))
    assert skip == Skip(f"the deployment is `{state}`; the preview runs once it succeeded.")


def test_a_deployment_without_a_state_is_skipped_as_unknown():
    skip = deployment_skip(inputs=inputs(KEYS), event=deployment(state=""))
    assert skip is not None
    assert skip.reason.startswith("the deployment is `unknown`")


def test_a_production_deployment_is_skipped():
    skip = deployment_skip(inputs=inputs(KEYS), event=deployment(production=True))
    assert skip is not None
    assert skip.reason == (
        "the deployment to `Production` is a production deployment; the sync after the merge covers it, "
        "and previews run for preview deployments."
    )


def test_a_deployment_without_a_url_is_skipped():
    skip = deployment_skip(inputs=inputs(KEYS), event=deployment(url=None))
    assert skip == Skip("the deployment status names no `environment_url` or `target_url` to preview.")


def test_a_successful_preview_deployment_is_previewed():
    assert deployment_skip(inputs=inputs(KEYS), event=deployment()) is None


def test_a_deployment_payload_from_vercel_is_previewed_once_it_succeeded():
    def event_of(**kwargs) -> Event:
        return parse_event(
            name="deployment_status",
            payload=deployment_status_event(**kwargs),
            github_ref=None,
            github_sha=None,
            actor=None,
        )

    assert deployment_skip(inputs=inputs(KEYS), event=event_of()) is None
    assert deployment_skip(inputs=inputs(KEYS), event=event_of(state="pending")) is not None
    assert (
        deployment_skip(inputs=inputs(KEYS), event=event_of(environment="Production", production=None))
        is not None
    )
    assert deployment_skip(inputs=inputs(KEYS), event=event_of(environment_url=None)) is not None


@pytest.mark.parametrize("mode", ["preview", "sync"])
def test_an_explicit_mode_previews_any_deployment(mode):
    event = deployment(state="failure", production=True, url=None)
    assert deployment_skip(inputs=inputs(KEYS, mode=mode), event=event) is None


def test_other_events_are_never_deployment_skips():
    assert deployment_skip(inputs=inputs(KEYS), event=push("main")) is None


# --- missing secrets --------------------------------------------------------------------------------------


def test_missing_key_names_every_input_that_could_supply_it():
    with pytest.raises(MissingSecretKeyError) as caught:
        resolve_target(inputs=inputs(NO_KEYS), event=push("main"))
    message = str(caught.value)
    assert message.startswith(
        "No Novu secret key for Production: set `production-secret-key` or `secret-key`"
    )
    assert "${{ secrets.NOVU_SECRET_KEY_PRODUCTION }}" in message
    assert caught.value.title == "Novu secret key missing"


def test_missing_key_on_a_fork_pull_request_is_a_skip_with_an_explanation():
    reason = skipped(inputs=inputs(NO_KEYS), event=pull_request("main", withheld=WithheldSecrets.FORK))
    assert reason == (
        "this pull request comes from a fork: GitHub gives such runs no secrets and a read-only token, so "
        "no preview can be computed. Pull requests from branches of this repository get their preview as "
        "usual."
    )


def test_missing_key_on_a_dependabot_pull_request_is_a_skip():
    event = parse_event(
        name="pull_request",
        payload=pull_request_event(),
        github_ref=None,
        github_sha=None,
        actor="dependabot[bot]",
    )
    reason = skipped(inputs=inputs(NO_KEYS), event=event)
    assert reason.startswith("this pull request comes from Dependabot:")


def test_missing_key_on_a_fork_pull_request_target_is_an_error_since_secrets_are_given_there():
    event = parse_event(
        name="pull_request_target",
        payload=pull_request_event(head_repo="someone/notifications"),
        github_ref=None,
        github_sha=None,
        actor="someone",
    )
    with pytest.raises(MissingSecretKeyError):
        resolve_target(inputs=inputs(NO_KEYS), event=event)


def test_a_fork_pull_request_with_a_key_is_previewed():
    target = resolved(inputs=inputs(KEYS), event=pull_request("main", withheld=WithheldSecrets.FORK))
    assert target.mode is Mode.PREVIEW


def test_missing_bridge_url_names_the_inputs():
    with pytest.raises(MissingBridgeUrlError, match="`development-bridge-url` or `bridge-url`") as caught:
        resolve_target(inputs=inputs({"secret-key": "sk"}), event=push("dev"))
    assert caught.value.title == "Bridge URL missing"


def test_a_preview_without_any_bridge_names_the_environments_inputs():
    with pytest.raises(MissingBridgeUrlError, match="`production-bridge-url` or `bridge-url`"):
        resolve_target(inputs=inputs({"secret-key": "sk"}), event=pull_request("main"))


# --- the signer -------------------------------------------------------------------------------------------


def test_the_bridge_is_signed_with_the_environments_key_by_default():
    target = resolved(inputs=inputs(KEYS), event=push("main"))
    assert target.signer == Signer(secret="sk_prod", source_input="production-secret-key", is_secret_key=True)


def test_a_generic_key_signs_as_the_generic_input():
    target = resolved(
        inputs=inputs({"secret-key": "sk_any", "bridge-url": "https://b.example"}), event=push("dev")
    )
    assert target.signer == Signer(secret="sk_any", source_input="secret-key", is_secret_key=True)


def test_a_bridge_signing_secret_signs_instead_of_the_key():
    target = resolved(inputs=inputs(KEYS, **{"bridge-signing-secret": "whsec_any"}), event=push("main"))
    assert target.signer == Signer(
        secret="whsec_any", source_input="bridge-signing-secret", is_secret_key=False
    )
    assert target.secret_key == "sk_prod"


@pytest.mark.parametrize(
    ("branch", "secret", "source"),
    [
        ("dev", "whsec_dev", "development-bridge-signing-secret"),
        ("main", "whsec_prod", "production-bridge-signing-secret"),
    ],
)
def test_the_environments_bridge_signing_secret_wins(branch, secret, source):
    values = {
        **KEYS,
        "bridge-signing-secret": "whsec_any",
        "development-bridge-signing-secret": "whsec_dev",
        "production-bridge-signing-secret": "whsec_prod",
    }
    target = resolved(inputs=inputs(values), event=push(branch))
    assert target.signer == Signer(secret=secret, source_input=source, is_secret_key=False)


def test_another_environments_bridge_signing_secret_is_not_used():
    values = {**KEYS, "production-bridge-signing-secret": "whsec_prod"}
    target = resolved(inputs=inputs(values), event=push("dev"))
    assert target.signer == Signer(secret="sk_dev", source_input="development-secret-key", is_secret_key=True)


# --- refusals and deletions -------------------------------------------------------------------------------


def test_fail_on_refusal_applies_to_previews():
    values = {**KEYS, "fail-on-refusal": "true"}
    assert resolved(inputs=inputs(values), event=pull_request("main")).fail_on_refusal is True
    assert resolved(inputs=inputs(KEYS), event=pull_request("main")).fail_on_refusal is False


def test_fail_on_refusal_is_false_in_sync_mode():
    values = {**KEYS, "fail-on-refusal": "true"}
    assert resolved(inputs=inputs(values), event=push("main")).fail_on_refusal is False


def test_only_an_explicit_allow_deletions_may_empty_an_environment():
    by_default = resolved(inputs=inputs(KEYS), event=push("dev"))
    explicit = resolved(inputs=inputs(KEYS, **{"allow-deletions": "true"}), event=push("dev"))
    refused = resolved(inputs=inputs(KEYS, **{"allow-deletions": "false"}), event=push("dev"))
    production = resolved(inputs=inputs(KEYS), event=push("main"))
    assert (by_default.allow_deletions, by_default.allow_emptying) == (True, False)
    assert (explicit.allow_deletions, explicit.allow_emptying) == (True, True)
    assert (refused.allow_deletions, refused.allow_emptying) == (False, False)
    assert (production.allow_deletions, production.allow_emptying) == (False, False)


# --- bridges Novu Cloud cannot reach ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://localhost:4000/api/novu",
        "http://localhost.:4000/api/novu",
        "http://LOCALHOST/api/novu",
        "http://app.localhost/api/novu",
        "http://bridge.local/api/novu",
        "http://bridge.local./api/novu",
        "http://bridge.internal/api/novu",
        "http://bridge.corp.internal/api/novu",
        "http://127.0.0.1:4000/api/novu",
        "http://10.1.2.3/api/novu",
        "http://172.16.0.9/api/novu",
        "http://192.168.0.5/api/novu",
        "http://169.254.169.254/api/novu",
        "http://100.64.0.1/api/novu",
        "http://0.0.0.0:4000/api/novu",
        "http://[::1]:4000/api/novu",
        "http://[fd00::1]/api/novu",
        "http://[fe80::1]/api/novu",
        "http://[::ffff:10.0.0.1]/api/novu",
    ],
)
def test_local_bridge_is_refused_for_novu_cloud(url):
    with pytest.raises(PrivateBridgeUrlError, match="Novu Cloud cannot reach") as caught:
        resolve_target(inputs=inputs({**KEYS, "bridge-url": url}), event=push("main"))
    assert caught.value.title == "Bridge URL is private"


def test_the_refusal_names_the_host_without_the_rest_of_the_url():
    url = "http://user:pw@bridge.local/api/novu?x-vercel-protection-bypass=tok"
    with pytest.raises(PrivateBridgeUrlError) as caught:
        resolve_target(inputs=inputs({**KEYS, "bridge-url": url}), event=push("main"))
    assert str(caught.value) == (
        "The bridge URL points at `bridge.local`, a local or private address that Novu Cloud cannot reach. "
        "Deploy the bridge to a public URL (or use a tunnel) and set that URL; a local address only works "
        "with a self-hosted Novu whose `api-url` is local too."
    )
    assert "tok" not in str(caught.value)
    assert "pw" not in str(caught.value)


@pytest.mark.parametrize("api_url", ["https://api.novu.co", "https://eu.api.novu.co", "https://API.novu.co/"])
def test_both_novu_cloud_regions_refuse_a_local_bridge(api_url):
    values = {**KEYS, "bridge-url": "http://localhost:4000/api/novu", "api-url": api_url}
    with pytest.raises(PrivateBridgeUrlError):
        resolve_target(inputs=inputs(values), event=push("main"))


@pytest.mark.parametrize(
    "url",
    [
        "https://app.example.com/api/novu",
        "https://local.example.com/api/novu",
        "https://internal.example.com/api/novu",
        "https://mylocal/api/novu",
        "https://localhost.example.com/api/novu",
        "https://bridge.localhostess.dev/api/novu",
        "http://8.8.8.8/api/novu",
        "http://[2606:4700:4700::1111]/api/novu",
    ],
)
def test_a_public_bridge_is_synced_with_novu_cloud(url):
    target = resolved(inputs=inputs({**KEYS, "bridge-url": url}), event=push("main"))
    assert target.bridge_url == url


def test_local_bridge_is_allowed_with_a_local_or_self_hosted_api():
    values = {**KEYS, "bridge-url": "http://127.0.0.1:4000/api/novu", "api-url": "http://127.0.0.1:3000"}
    assert resolved(inputs=inputs(values), event=push("main")).bridge_url == "http://127.0.0.1:4000/api/novu"


def test_local_bridge_is_allowed_for_a_preview_the_runner_itself_can_reach():
    values = {**KEYS, "preview-bridge-url": "http://127.0.0.1:4000/api/novu"}
    target = resolved(inputs=inputs(values), event=pull_request("main"))
    assert (target.mode, target.bridge_url) == (Mode.PREVIEW, "http://127.0.0.1:4000/api/novu")


def test_a_preview_of_a_local_deployed_bridge_is_allowed():
    values = {**KEYS, "bridge-url": "http://localhost:4000/api/novu"}
    assert resolved(inputs=inputs(values), event=pull_request("main")).mode is Mode.PREVIEW


# --- runs from a terminal (novu-sync plan|sync) -----------------------------------------------------------

TERMINAL = Event(name=LOCAL_EVENT, ref=None, sha=None)


def test_a_plan_from_a_terminal_with_a_discover_file_reads_it_as_a_local_file():
    values = {**KEYS, "environment": "Development", "mode": "preview", "discover-file": "discover.json"}
    target = resolved(inputs=inputs(values), event=TERMINAL)
    assert (target.source, target.discover_file, target.bridge_url) == (
        SourceKind.LOCAL_FILE,
        "discover.json",
        None,
    )


def test_a_plan_from_a_terminal_discovers_the_bridge_it_names_as_a_local_bridge():
    values = {**KEYS, "environment": "Development", "mode": "preview"}
    target = resolved(inputs=inputs(values), event=TERMINAL)
    assert (target.source, target.bridge_url) == (SourceKind.LOCAL_BRIDGE, "https://app.example.com/api/novu")


def test_a_sync_from_a_terminal_syncs_the_environments_deployed_bridge():
    values = {**KEYS, "environment": "Development", "mode": "sync"}
    target = resolved(inputs=inputs(values), event=TERMINAL)
    assert (target.source, target.bridge_url) == (
        SourceKind.DEPLOYED_BRIDGE,
        "https://app.example.com/api/novu",
    )
