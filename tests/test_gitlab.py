"""GitLab CI: settings and event from GitLab's predefined variables, the job log, the words, and the sticky
merge-request note against the GitLab API stand-in."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from novu_action import gitlab
from novu_action.github import comment_marker
from novu_action.gitlab import GitLabLog, GitLabVariablesError, load_job, pipeline_event, read_inputs
from novu_action.settings import CommentMode, Inputs
from novu_action.target import Mode, Skip, resolve_target

PROJECT = 4242
MR = 17
BOT = "project_4242_bot_7c1d2e"
TOKEN = "glpat-unitTestToken0123456789"
READ_ONLY = "glpat-readOnlyToken987654321"
OTHER_BOT_TOKEN = "glpat-anotherProjectsBot0000"
DEV_KEY = "sk_dev_unit_1234567890abcdef"
PROD_KEY = "sk_prod_unit_0987654321fedcba"
HEAD = "3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f"
MERGE_COMMIT = "9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b"
MARKER = comment_marker(None)


def gitlab_env(**overrides: str) -> dict[str, str]:
    """A push pipeline on main, with the predefined variables GitLab gives every job."""
    env = {
        "CI": "true",
        "GITLAB_CI": "true",
        "CI_SERVER_URL": "https://gitlab.example.com",
        "CI_API_V4_URL": "https://gitlab.example.com/api/v4",
        "CI_PROJECT_ID": str(PROJECT),
        "CI_PROJECT_PATH": "acme/notifications",
        "CI_PROJECT_URL": "https://gitlab.example.com/acme/notifications",
        "CI_PROJECT_DIR": "/builds/acme/notifications",
        "CI_PIPELINE_ID": "1234567",
        "CI_PIPELINE_IID": "88",
        "CI_PIPELINE_URL": "https://gitlab.example.com/acme/notifications/-/pipelines/1234567",
        "CI_PIPELINE_SOURCE": "push",
        "CI_JOB_ID": "7654321",
        "CI_JOB_TOKEN": "glcbt-jobTokenValue000000",
        "CI_COMMIT_SHA": HEAD,
        "CI_COMMIT_BRANCH": "main",
        "CI_COMMIT_REF_NAME": "main",
        "CI_DEFAULT_BRANCH": "main",
        "GITLAB_USER_LOGIN": "alice",
        "NOVU_PRODUCTION_SECRET_KEY": PROD_KEY,
        "NOVU_DEVELOPMENT_SECRET_KEY": DEV_KEY,
        "NOVU_PRODUCTION_BRIDGE_URL": "https://www.example.com/api/novu",
        "NOVU_DEVELOPMENT_BRIDGE_URL": "https://dev.example.com/api/novu",
    }
    env.update(overrides)
    return env


def merge_request_env(**overrides: str) -> dict[str, str]:
    """A merge request pipeline (detached) of `feature/digest` into main."""
    env = gitlab_env(
        CI_PIPELINE_SOURCE="merge_request_event",
        CI_COMMIT_REF_NAME="feature/digest",
        CI_MERGE_REQUEST_ID="99123",
        CI_MERGE_REQUEST_IID=str(MR),
        CI_MERGE_REQUEST_PROJECT_ID=str(PROJECT),
        CI_MERGE_REQUEST_PROJECT_PATH="acme/notifications",
        CI_MERGE_REQUEST_PROJECT_URL="https://gitlab.example.com/acme/notifications",
        CI_MERGE_REQUEST_SOURCE_PROJECT_ID=str(PROJECT),
        CI_MERGE_REQUEST_SOURCE_BRANCH_NAME="feature/digest",
        CI_MERGE_REQUEST_TARGET_BRANCH_NAME="main",
        CI_MERGE_REQUEST_EVENT_TYPE="detached",
        CI_MERGE_REQUEST_REF_PATH=f"refs/merge-requests/{MR}/head",
    )
    del env["CI_COMMIT_BRANCH"]  # GitLab does not set it in merge request pipelines
    env.update(overrides)
    return env


# -- inputs, event, context -------------------------------------------------------------------------------


def test_every_input_but_the_github_token_has_a_novu_variable():
    assert gitlab.variable_for("production-secret-key") == "NOVU_PRODUCTION_SECRET_KEY"
    assert gitlab.variable_for("branch-map") == "NOVU_BRANCH_MAP"
    assert "github-token" not in gitlab.GITLAB_INPUTS
    assert set(gitlab.GITLAB_INPUTS) == set(Inputs.input_names) - {"github-token"}


def test_inputs_are_read_from_novu_variables_and_validated_as_the_actions():
    inputs = read_inputs(
        {
            "NOVU_SECRET_KEY": " sk_any ",
            "NOVU_BRIDGE_URL": "https://app.example.com/api/novu",
            "NOVU_BRANCH_MAP": "release/*=Staging\nmain=Production",
            "NOVU_ALLOW_DELETIONS": "true",
            "NOVU_COMMENT_MODE": "changes",
            "NOVU_ID": "billing",
            "NOVU_GITHUB_TOKEN": "ignored",
            "INPUT_SECRET-KEY": "ignored too",
        }
    )

    assert inputs.secret_value("secret-key") == "sk_any"
    assert [rule.environment for rule in inputs.branch_map] == ["Staging", "Production"]
    assert inputs.allow_deletions is True
    assert inputs.comment_mode is CommentMode.CHANGES
    assert inputs.id == "billing"
    assert inputs.github_token is None


def test_a_merge_request_pipeline_previews_its_target_branch_at_the_head_commit():
    event = pipeline_event(merge_request_env())

    assert not isinstance(event, Skip)
    assert event.pr_number == MR
    assert event.base_branch == "main"
    assert event.sha == HEAD
    target = resolve_target(inputs=read_inputs(merge_request_env()), event=event)
    assert not isinstance(target, Skip)
    assert (target.mode, target.environment) == (Mode.PREVIEW, "Production")


def test_a_merged_results_pipeline_reports_the_source_branchs_head_not_the_merge_commit():
    env = merge_request_env(
        CI_MERGE_REQUEST_EVENT_TYPE="merged_result",
        CI_COMMIT_SHA=MERGE_COMMIT,
        CI_MERGE_REQUEST_SOURCE_BRANCH_SHA=HEAD,
        CI_MERGE_REQUEST_TARGET_BRANCH_SHA="0f1e2d3c4b5a69788796a5b4c3d2e1f0a9b8c7d6",
    )

    event = pipeline_event(env)

    assert not isinstance(event, Skip)
    assert event.sha == HEAD


@pytest.mark.parametrize(
    ("source", "event_name"),
    [
        ("push", "push"),
        ("web", "workflow_dispatch"),
        ("api", "workflow_dispatch"),
        ("trigger", "workflow_dispatch"),
        ("schedule", "schedule"),
    ],
)
def test_branch_pipelines_sync_the_branchs_environment(source, event_name):
    env = gitlab_env(CI_PIPELINE_SOURCE=source, CI_COMMIT_BRANCH="dev")

    event = pipeline_event(env)

    assert not isinstance(event, Skip)
    assert (event.name, event.ref, event.sha) == (event_name, "refs/heads/dev", HEAD)
    target = resolve_target(inputs=read_inputs(env), event=event)
    assert not isinstance(target, Skip)
    assert (target.mode, target.environment) == (Mode.SYNC, "Development")


def test_a_tag_pipeline_skips_unless_an_environment_is_named():
    env = gitlab_env(CI_COMMIT_TAG="v1.2.0", CI_COMMIT_REF_NAME="v1.2.0")
    del env["CI_COMMIT_BRANCH"]

    event = pipeline_event(env)

    assert not isinstance(event, Skip)
    skipped = resolve_target(inputs=read_inputs(env), event=event)
    assert isinstance(skipped, Skip)
    assert "refs/tags/v1.2.0" in skipped.reason
    named = resolve_target(inputs=read_inputs({**env, "NOVU_ENVIRONMENT": "Production"}), event=event)
    assert not isinstance(named, Skip)


@pytest.mark.parametrize("source", ["chat", "webide", "parent_pipeline", "external_pull_request_event", ""])
def test_other_pipeline_sources_skip_and_say_which_ones_act(source):
    skipped = pipeline_event(gitlab_env(CI_PIPELINE_SOURCE=source))

    assert isinstance(skipped, Skip)
    assert "merge_request_event" in skipped.reason
    assert "NOVU_MODE" in skipped.reason


def test_an_explicit_mode_acts_in_any_pipeline():
    env = gitlab_env(CI_PIPELINE_SOURCE="pipeline", NOVU_MODE="preview")

    event = pipeline_event(env, requested=read_inputs(env).mode)

    assert not isinstance(event, Skip)
    assert event.ref == "refs/heads/main"


def test_a_merge_request_pipeline_without_its_variables_is_an_error_naming_them():
    env = merge_request_env()
    del env["CI_MERGE_REQUEST_IID"]

    with pytest.raises(GitLabVariablesError) as raised:
        load_job(env)

    assert "CI_MERGE_REQUEST_IID" in str(raised.value)


def test_the_run_context_links_to_the_pipeline_and_the_commit_on_gitlab():
    job = load_job(gitlab_env())

    assert not isinstance(job, Skip)
    context = job.settings.context
    assert context.repository == "acme/notifications"
    assert context.run_id == "1234567"
    assert context.run_attempt == "7654321"
    assert context.run_url == "https://gitlab.example.com/acme/notifications/-/pipelines/1234567"
    assert context.commit_url(HEAD) == f"https://gitlab.example.com/acme/notifications/-/commit/{HEAD}"
    assert context.workspace == Path("/builds/acme/notifications")
    assert job.host.project_id == str(PROJECT)
    assert job.host.api_url == "https://gitlab.example.com/api/v4"


def test_invalid_variables_are_reported_together_by_their_names_without_secret_values():
    env = gitlab_env(NOVU_PRODUCTION_BRIDGE_URL="ftp://bridge.example.com", NOVU_TIMEOUT="soon")

    with pytest.raises(GitLabVariablesError) as raised:
        load_job(env)

    message = str(raised.value)
    assert "2 problems" in message
    assert "NOVU_PRODUCTION_BRIDGE_URL" in message
    assert "NOVU_TIMEOUT" in message
    assert "input `" not in message
    assert PROD_KEY not in message


def test_a_merge_request_pipeline_running_in_a_fork_skips():
    env = merge_request_env(
        CI_PROJECT_ID="5555",
        CI_PROJECT_PATH="contributor/notifications",
        CI_MERGE_REQUEST_SOURCE_PROJECT_ID="5555",
    )
    for name in ("NOVU_PRODUCTION_SECRET_KEY", "NOVU_DEVELOPMENT_SECRET_KEY"):
        del env[name]

    skipped = load_job(env)

    assert isinstance(skipped, Skip)
    assert "contributor/notifications" in skipped.reason
    assert "Run pipeline" in skipped.reason


def test_a_fork_merge_request_run_in_the_parent_project_previews():
    job = load_job(merge_request_env(CI_MERGE_REQUEST_SOURCE_PROJECT_ID="5555"))

    assert not isinstance(job, Skip)
    assert job.settings.event.pr_number == MR


# -- words, log, secrets ----------------------------------------------------------------------------------


def test_messages_name_variables_and_merge_requests():
    text = gitlab.in_gitlab_words(
        "No Novu secret key for Production: set `production-secret-key` or `secret-key` from a repository "
        "or environment secret (for example `${{ secrets.NOVU_SECRET_KEY_PRODUCTION }}`). Fix: set the input "
        "`allow-deletions: true`. Compared this pull request's code."
    )

    assert "`NOVU_PRODUCTION_SECRET_KEY` or `NOVU_SECRET_KEY` as a masked CI/CD variable" in text
    assert 'set the variable `NOVU_ALLOW_DELETIONS: "true"`' in text
    assert "this merge request's code" in text
    assert "${{" not in text


def test_the_log_has_collapsible_sections_masks_secrets_and_drops_control_characters():
    stream = io.StringIO()
    log = GitLabLog(stream, secrets=[PROD_KEY, "bypassToken1234"], clock=lambda: 1_700_000_000.0)

    with log.group("Check the pull request"):
        log.log(f"key {PROD_KEY} and ?x=bypassToken1234 \x1b[31mred\r")

    lines = stream.getvalue().split("\n")
    assert lines[0] == "\x1b[0Ksection_start:1700000000:novu_sync_1\r\x1b[0KCheck the merge request"
    assert lines[1] == "key *** and ?x=*** [31mred"
    assert lines[2] == "\x1b[0Ksection_end:1700000000:novu_sync_1\r\x1b[0K"


def test_secrets_are_the_keys_the_tokens_and_bridge_url_query_values():
    env = gitlab_env(
        NOVU_GITLAB_TOKEN=TOKEN,
        NOVU_PREVIEW_BRIDGE_URL="https://pr-9.example.com/api/novu?x-vercel-protection-bypass=bypass9876",
    )

    secrets = gitlab.secrets_of(env)

    assert {TOKEN, PROD_KEY, DEV_KEY, "bypass9876", env["CI_JOB_TOKEN"]} <= set(secrets)


def test_main_refuses_outside_gitlab_ci_and_points_at_plan_and_sync():
    stream = io.StringIO()

    code = gitlab.main(environ={"CI": "true"}, stream=stream)

    assert code == 1
    assert "GITLAB_CI" in stream.getvalue()
    assert "novu-sync plan" in stream.getvalue()


def test_main_skips_a_tag_pipeline_with_exit_0_and_writes_the_report(tmp_path):
    env = gitlab_env(CI_PROJECT_DIR=str(tmp_path), CI_COMMIT_TAG="v2.0.0", NO_COLOR="1")
    del env["CI_COMMIT_BRANCH"]
    stream = io.StringIO()

    code = gitlab.main(environ=env, stream=stream)

    assert code == 0
    assert "Skipped: `refs/tags/v2.0.0` is a tag" in stream.getvalue()
    report = (tmp_path / "novu-sync-report.md").read_text(encoding="utf-8")
    assert "skipped" in report
    assert "v2.0.0" in report


def test_main_fails_with_exit_1_on_invalid_variables_and_never_prints_a_secret(tmp_path):
    report = tmp_path / "reports" / "novu.md"
    env = gitlab_env(
        CI_PROJECT_DIR=str(tmp_path),
        NOVU_REPORT_FILE="reports/novu.md",
        NOVU_GITLAB_TOKEN=TOKEN,
        NOVU_PRODUCTION_BRIDGE_URL=f"not a url {PROD_KEY}",
    )
    stream = io.StringIO()

    code = gitlab.main(environ=env, stream=stream)

    assert code == 1
    output = stream.getvalue()
    assert "NOVU_PRODUCTION_BRIDGE_URL" in output
    assert "Traceback" not in output
    for secret in (PROD_KEY, TOKEN):
        assert secret not in output
        assert secret not in report.read_text(encoding="utf-8")


def test_main_fails_when_the_report_file_cannot_be_written(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder", encoding="utf-8")
    env = gitlab_env(CI_PROJECT_DIR=str(tmp_path), NOVU_REPORT_FILE="file/report.md", CI_COMMIT_TAG="v1")
    stream = io.StringIO()

    code = gitlab.main(environ=env, stream=stream)

    assert code == 1
    assert "NOVU_REPORT_FILE" in stream.getvalue()


# -- the sticky note ---------------------------------------------------------------------------------------
