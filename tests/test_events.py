from __future__ import annotations

from collections.abc import Mapping

import pytest

from novu_action.events import (
    Deployment,
    Event,
    WithheldSecrets,
    branch_of,
    is_tag,
    parse_event,
)
from tests.factories import HEAD_SHA, deployment_status_event, pull_request_event, push_event

RUNNER_SHA = "b" * 40
NULL_SHA = "0" * 40


def parse(
    name: str, payload: Mapping[str, object], *, ref: str | None = None, actor: str | None = None
) -> Event:
    return parse_event(name=name, payload=payload, github_ref=ref, github_sha=RUNNER_SHA, actor=actor)


# --- refs -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ref", "branch"),
    [
        ("refs/heads/main", "main"),
        ("refs/heads/release/2026-11", "release/2026-11"),
        ("refs/tags/v1.0.0", None),
        ("refs/pull/7/merge", None),
        ("main", None),
        ("", None),
        (None, None),
    ],
)
def test_only_branch_refs_name_a_branch(ref, branch):
    assert branch_of(ref) == branch


@pytest.mark.parametrize(
    ("ref", "tag"),
    [("refs/tags/v1.0.0", True), ("refs/heads/v1.0.0", False), ("v1.0.0", False), ("", False), (None, False)],
)
def test_only_tag_refs_are_tags(ref, tag):
    assert is_tag(ref) is tag


# --- push and other branch events -------------------------------------------------------------------------


def test_push_event_gives_branch_and_pushed_sha():
    event = parse("push", push_event("dev", sha="a" * 40), ref="refs/heads/ignored")
    assert event.ref == "refs/heads/dev"
    assert event.branch == "dev"
    assert event.sha == "a" * 40
    assert event.pr_number is None
    assert event.base_branch is None
    assert event.branch_deleted is False
    assert event.secrets_withheld is None
    assert event.deployment is None


def test_a_push_payload_without_ref_falls_back_to_github_ref():
    payload = push_event("dev", sha="a" * 40)
    del payload["ref"]
    event = parse("push", payload, ref="refs/heads/main")
    assert event.ref == "refs/heads/main"
    assert event.branch == "main"


def test_a_push_payload_whose_ref_is_not_text_falls_back_to_github_ref():
    event = parse("push", {**push_event("dev"), "ref": None}, ref="refs/heads/main")
    assert event.ref == "refs/heads/main"


@pytest.mark.parametrize("after", [NULL_SHA, "", None])
def test_a_push_without_a_pushed_commit_falls_back_to_github_sha(after):
    event = parse("push", {**push_event("dev"), "after": after})
    assert event.sha == RUNNER_SHA


def test_a_push_without_after_falls_back_to_github_sha():
    payload = push_event("dev")
    del payload["after"]
    assert parse("push", payload).sha == RUNNER_SHA


def test_a_sha_that_only_starts_with_zeros_is_kept():
    sha = "00000000" + "1" * 32
    assert parse("push", push_event("dev", sha=sha)).sha == sha


def test_a_push_that_deletes_the_branch_is_marked_deleted():
    event = parse("push", {**push_event("dev"), "after": NULL_SHA, "deleted": True})
    assert event.branch_deleted is True
    assert event.ref == "refs/heads/dev"
    assert event.sha == RUNNER_SHA  # the deleted branch has no commit; the runner's is the only one


def test_no_ref_and_no_sha_anywhere_leave_them_unset():
    event = parse_event(name="schedule", payload={}, github_ref=None, github_sha="", actor=None)
    assert (event.ref, event.sha, event.branch) == (None, None, None)


def test_workflow_dispatch_reads_its_ref_and_uses_the_runner_sha():
    payload = {"ref": "refs/heads/main", "inputs": {}, "after": "c" * 40}
    event = parse("workflow_dispatch", payload, ref="refs/heads/other")
    assert (event.ref, event.sha) == ("refs/heads/main", RUNNER_SHA)


def test_schedule_has_no_payload_ref_and_uses_the_runners():
    event = parse("schedule", {"schedule": "0 3 * * *"}, ref="refs/heads/main")
    assert (event.name, event.branch, event.sha) == ("schedule", "main", RUNNER_SHA)


def test_a_tag_push_keeps_its_tag_ref_and_names_no_branch():
    event = parse("push", {**push_event("x"), "ref": "refs/tags/v1.0.0"})
    assert event.ref == "refs/tags/v1.0.0"
    assert event.branch is None


# --- pull requests ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["pull_request", "pull_request_target"])
def test_pull_request_event_is_read_from_the_payload_not_github_ref(name):
    event = parse_event(
        name=name,
        payload=pull_request_event(number=7),
        github_ref="refs/pull/99/merge",
        github_sha="c" * 40,
        actor="octocat",
    )
    assert event.name == name
    assert event.pr_number == 7
    assert event.base_branch == "main"
    assert event.ref == "refs/heads/main"
    assert event.branch == "main"
    assert event.sha == HEAD_SHA  # the PR head, not the merge commit
    assert event.secrets_withheld is None
    assert event.branch_deleted is False


def test_the_pull_request_number_is_read_from_the_pull_request_when_the_payload_lacks_it():
    payload = pull_request_event(number=11)
    del payload["number"]
    assert parse("pull_request", payload).pr_number == 11


def test_the_pull_request_number_is_the_payloads_own():
    payload = pull_request_event(number=11)
    del payload["pull_request"]["number"]  # type: ignore[attr-defined]
    assert parse("pull_request", payload).pr_number == 11


def test_a_pull_request_payload_without_a_number_or_base_branch_leaves_them_unset():
    payload = pull_request_event()
    del payload["number"]
    del payload["pull_request"]["number"]  # type: ignore[attr-defined]
    del payload["pull_request"]["base"]["ref"]  # type: ignore[index]
    event = parse("pull_request", payload)
    assert (event.pr_number, event.ref, event.base_branch) == (None, None, None)


def test_a_pull_request_without_a_head_sha_uses_the_runner_sha():
    payload = pull_request_event(head_sha="")
    assert parse("pull_request", payload).sha == RUNNER_SHA


@pytest.mark.parametrize("head_repo", ["someone/notifications", None])
def test_a_fork_pull_request_gets_no_secrets(head_repo):
    event = parse("pull_request", pull_request_event(head_repo=head_repo))
    assert event.secrets_withheld is WithheldSecrets.FORK
    assert "fork" in str(event.secrets_withheld)


@pytest.mark.parametrize("head_repo", ["someone/notifications", None])
def test_pull_request_target_from_a_fork_runs_with_the_base_repository_secrets(head_repo):
    event = parse("pull_request_target", pull_request_event(head_repo=head_repo))
    assert event.secrets_withheld is None


def test_a_dependabot_pull_request_gets_no_secrets():
    event = parse("pull_request", pull_request_event(), actor="dependabot[bot]")
    assert event.secrets_withheld is WithheldSecrets.DEPENDABOT
    assert "Dependabot" in str(event.secrets_withheld)


def test_dependabot_on_pull_request_target_gets_secrets():
    event = parse("pull_request_target", pull_request_event(), actor="dependabot[bot]")
    assert event.secrets_withheld is None


@pytest.mark.parametrize("name", ["pull_request", "pull_request_target"])
def test_a_pull_request_payload_without_pull_request_is_refused(name):
    with pytest.raises(ValueError, match=f"the `{name}` event payload has no `pull_request` object"):
        parse(name, {"action": "opened"})


# --- merge queue ------------------------------------------------------------------------------------------


def test_merge_group_uses_its_base_branch_and_head_sha():
    payload = {
        "merge_group": {
            "head_sha": "d" * 40,
            "base_ref": "refs/heads/main",
            "head_ref": "refs/heads/gh-readonly-queue/main/pr-104-abc",
        }
    }
    event = parse("merge_group", payload, ref="refs/heads/gh-readonly-queue/main/pr-104-abc")
    assert event.name == "merge_group"
    assert event.base_branch == "main"
    assert event.ref == "refs/heads/main"
    assert event.branch == "main"
    assert event.sha == "d" * 40
    assert event.pr_number is None


def test_merge_group_without_a_head_sha_uses_the_runner_sha():
    event = parse("merge_group", {"merge_group": {"base_ref": "refs/heads/dev"}})
    assert (event.branch, event.sha) == ("dev", RUNNER_SHA)


def test_merge_group_without_its_object_names_no_branch():
    event = parse("merge_group", {})
    assert (event.ref, event.base_branch, event.branch) == (None, None, None)


# --- deployment_status ------------------------------------------------------------------------------------


def test_a_deployment_status_gives_the_deployment_of_its_commit():
    event = parse("deployment_status", deployment_status_event(sha="e" * 40))
    assert event.deployment == Deployment(
        state="success",
        environment="Preview",
        url="https://acme-git-feature-welcome-acme.vercel.app",
        sha="e" * 40,
        production=False,
    )
    assert event.sha == "e" * 40
    assert (event.ref, event.branch, event.pr_number) == (None, None, None)


def test_a_deployment_url_falls_back_to_the_target_url():
    payload = deployment_status_event()
    payload["deployment_status"]["environment_url"] = ""  # type: ignore[index]
    payload["deployment_status"]["target_url"] = "https://target.example"  # type: ignore[index]
    deployment = parse("deployment_status", payload).deployment
    assert deployment is not None
    assert deployment.url == "https://target.example"


def test_a_deployment_url_is_the_environment_url_before_the_target_url():
    payload = deployment_status_event(environment_url="https://preview.example")
    payload["deployment_status"]["target_url"] = "https://logs.example"  # type: ignore[index]
    deployment = parse("deployment_status", payload).deployment
    assert deployment is not None
    assert deployment.url == "https://preview.example"


def test_the_deployment_status_environment_wins_over_the_deployments():
    payload = deployment_status_event(environment="Preview")
    payload["deployment_status"]["environment"] = "Preview – pr-3"  # type: ignore[index]
    deployment = parse("deployment_status", payload).deployment
    assert deployment is not None
    assert deployment.environment == "Preview – pr-3"


def test_a_deployment_without_any_url_has_none():
    deployment = parse("deployment_status", deployment_status_event(environment_url=None)).deployment
    assert deployment is not None
    assert deployment.url is None


@pytest.mark.parametrize(
    ("environment", "production_environment", "production"),
    [
        ("Production", True, True),
        ("Preview", True, True),
        ("Preview", False, False),
        ("Production", False, False),  # the provider's word wins over the name
        ("Production", None, True),
        ("production", None, True),
        ("Preview", None, False),
    ],
)
def test_a_deployment_is_production_as_its_provider_says(environment, production_environment, production):
    payload = deployment_status_event(environment=environment, production=production_environment)
    deployment = parse("deployment_status", payload).deployment
    assert deployment is not None
    assert deployment.production is production


def test_a_deployment_state_and_environment_are_kept():
    payload = deployment_status_event(state="failure", environment="Preview – acme")
    deployment = parse("deployment_status", payload).deployment
    assert deployment is not None
    assert (deployment.state, deployment.environment) == ("failure", "Preview – acme")


def test_a_deployment_status_without_state_or_environment_has_them_empty():
    payload = deployment_status_event()
    del payload["deployment_status"]["state"]  # type: ignore[attr-defined]
    del payload["deployment_status"]["environment"]  # type: ignore[attr-defined]
    del payload["deployment"]["environment"]  # type: ignore[attr-defined]
    deployment = parse("deployment_status", payload).deployment
    assert deployment is not None
    assert (deployment.state, deployment.environment, deployment.production) == ("", "", False)


def test_the_deployment_environment_falls_back_to_the_deployments():
    payload = deployment_status_event(environment="Preview")
    del payload["deployment_status"]["environment"]  # type: ignore[attr-defined]
    deployment = parse("deployment_status", payload).deployment
    assert deployment is not None
    assert deployment.environment == "Preview"


def test_a_deployment_without_a_sha_uses_the_runner_sha():
    payload = deployment_status_event()
    del payload["deployment"]["sha"]  # type: ignore[attr-defined]
    event = parse("deployment_status", payload)
    assert event.deployment is not None
    assert event.sha == event.deployment.sha == RUNNER_SHA


@pytest.mark.parametrize("missing", ["deployment_status", "deployment"])
def test_a_deployment_status_payload_without_its_objects_is_refused(missing):
    payload = deployment_status_event()
    del payload[missing]
    with pytest.raises(ValueError, match="`deployment_status` event payload has no") as caught:
        parse("deployment_status", payload)
    assert str(caught.value) == (
        "the `deployment_status` event payload has no `deployment_status` or `deployment` object"
    )


# --- Event ------------------------------------------------------------------------------------------------


def test_the_branch_of_a_pull_request_is_its_base():
    event = Event(name="pull_request", ref="refs/heads/feature", sha=None, base_branch="main")
    assert event.branch == "main"


def test_the_branch_of_other_events_is_their_ref_s():
    assert Event(name="push", ref="refs/heads/dev", sha=None).branch == "dev"
    assert Event(name="push", ref="refs/tags/v1", sha=None).branch is None


def test_a_deployment_found_to_belong_to_a_pull_request_becomes_about_that_pull_request():
    event = parse("deployment_status", deployment_status_event(sha="e" * 40))
    found = event.for_pull_request(number=12, base_branch="dev")
    assert found == Event(
        name="deployment_status",
        ref="refs/heads/dev",
        sha="e" * 40,
        pr_number=12,
        base_branch="dev",
        deployment=event.deployment,
    )
    assert found.branch == "dev"
    assert found.secrets_withheld is None
