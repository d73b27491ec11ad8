"""GitLab CI, end to end: ``python -m novu_action ci`` in a subprocess with the predefined variables GitLab
gives a job (docs.gitlab.com/ee/ci/variables/predefined_variables.html), against the real strict bridge, the
Novu Cloud emulator and the GitLab API stand-in."""

from __future__ import annotations

import itertools
import os
import re
import subprocess
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from tests.e2e.conftest import DEV_KEY, PROD_KEY
from tests.factories import last_months_workflows
from tests.stand_ins.bridge_process import RunningBridge, start_bridge
from tests.stand_ins.gitlab_api import GitLabApiStandIn

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
PROJECT_ID = 4242
MR_IID = 2
BOT = "project_4242_bot_1a2b3c"
GITLAB_TOKEN = "glpat-e2eProjectToken0123456789"
JOB_TOKEN = "glcbt-64_e2eJobTokenValue0000000"
BYPASS = "vercelBypassGitLab4321"
SECRETS = (DEV_KEY, PROD_KEY, GITLAB_TOKEN, JOB_TOKEN, BYPASS)
HEAD_SHA = "ec26c3e57ca3a959ca5aad62de7213c562f8c821"
NEXT_HEAD_SHA = "0a1b2c3d4e5f60718293a4b5c6d7e8f901234567"
MAIN_SHA = "6113728f27ae82c7b1a177c8d03f9e96e0adf246"
BRIDGE_IDS = ["digest-comments", "invoice-paid", "sms-alert", "welcome"]
MARKER = '<!-- novu-sync-action id="" -->'
SERVER = "https://gitlab.example.com"
PROJECT_URL = f"{SERVER}/acme/notifications"
_ids = itertools.count(900_001)


@dataclass(frozen=True)
class JobRun:
    returncode: int
    log: str
    report: str | None


def predefined_variables(*, api_url: str, project_dir: Path, sha: str) -> dict[str, str]:
    """What GitLab sets in every job, whatever started the pipeline."""
    pipeline_id, job_id = next(_ids), next(_ids)
    return {
        "CI": "true",
        "GITLAB_CI": "true",
        "CI_SERVER": "yes",
        "CI_SERVER_URL": SERVER,
        "CI_SERVER_HOST": "gitlab.example.com",
        "CI_API_V4_URL": api_url,
        "CI_PROJECT_ID": str(PROJECT_ID),
        "CI_PROJECT_NAME": "notifications",
        "CI_PROJECT_NAMESPACE": "acme",
        "CI_PROJECT_PATH": "acme/notifications",
        "CI_PROJECT_PATH_SLUG": "acme-notifications",
        "CI_PROJECT_URL": PROJECT_URL,
        "CI_PROJECT_DIR": str(project_dir),
        "CI_DEFAULT_BRANCH": "main",
        "CI_PIPELINE_ID": str(pipeline_id),
        "CI_PIPELINE_IID": "57",
        "CI_PIPELINE_URL": f"{PROJECT_URL}/-/pipelines/{pipeline_id}",
        "CI_JOB_ID": str(job_id),
        "CI_JOB_NAME": "novu",
        "CI_JOB_STAGE": "deploy",
        "CI_JOB_URL": f"{PROJECT_URL}/-/jobs/{job_id}",
        "CI_JOB_TOKEN": JOB_TOKEN,
        "CI_COMMIT_SHA": sha,
        "CI_COMMIT_SHORT_SHA": sha[:8],
        "CI_COMMIT_BEFORE_SHA": "0" * 40,
        "GITLAB_USER_ID": "1001",
        "GITLAB_USER_LOGIN": "alice",
        "GITLAB_USER_NAME": "Alice",
    }


def merge_request_variables(*, target: str = "main", sha: str = HEAD_SHA) -> dict[str, str]:
    """A (detached) merge request pipeline of !2: feature/digest into ``target``."""
    return {
        "CI_PIPELINE_SOURCE": "merge_request_event",
        "CI_COMMIT_REF_NAME": "feature/digest",
        "CI_COMMIT_REF_SLUG": "feature-digest",
        "CI_COMMIT_SHA": sha,
        "CI_COMMIT_SHORT_SHA": sha[:8],
        "CI_MERGE_REQUEST_ID": "182736",
        "CI_MERGE_REQUEST_IID": str(MR_IID),
        "CI_MERGE_REQUEST_REF_PATH": f"refs/merge-requests/{MR_IID}/head",
        "CI_MERGE_REQUEST_PROJECT_ID": str(PROJECT_ID),
        "CI_MERGE_REQUEST_PROJECT_PATH": "acme/notifications",
        "CI_MERGE_REQUEST_PROJECT_URL": PROJECT_URL,
        "CI_MERGE_REQUEST_SOURCE_PROJECT_ID": str(PROJECT_ID),
        "CI_MERGE_REQUEST_SOURCE_PROJECT_PATH": "acme/notifications",
        "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME": "feature/digest",
        "CI_MERGE_REQUEST_TARGET_BRANCH_NAME": target,
        "CI_MERGE_REQUEST_EVENT_TYPE": "detached",
        "CI_MERGE_REQUEST_TITLE": "Digest every 30 minutes, invoice-paid, drop sms-alert",
        "CI_MERGE_REQUEST_DIFF_BASE_SHA": MAIN_SHA,
        "CI_OPEN_MERGE_REQUESTS": f"acme/notifications!{MR_IID}",
    }


def push_variables(branch: str, *, sha: str = MAIN_SHA) -> dict[str, str]:
    return {
        "CI_PIPELINE_SOURCE": "push",
        "CI_COMMIT_BRANCH": branch,
        "CI_COMMIT_REF_NAME": branch,
        "CI_COMMIT_REF_SLUG": branch.replace("/", "-"),
        "CI_COMMIT_REF_PROTECTED": "true" if branch in ("dev", "main") else "false",
        "CI_COMMIT_SHA": sha,
        "CI_COMMIT_SHORT_SHA": sha[:8],
    }


class GitLabJob:
    """Each call runs ``novu-sync ci`` once as a GitLab job would, in a fresh project folder."""

    def __init__(self, tmp_path: Path, api_url: str) -> None:
        self.tmp_path = tmp_path
        self.api_url = api_url
        self.count = 0

    def __call__(
        self,
        pipeline: Mapping[str, str],
        variables: Mapping[str, str],
        *,
        command: Sequence[str] = (sys.executable, "-m", "novu_action", "ci"),
    ) -> JobRun:
        self.count += 1
        project_dir = self.tmp_path / f"job{self.count}" / "acme" / "notifications"
        project_dir.mkdir(parents=True)
        env = {
            # bin/novu-sync is the image's command; `python` is this interpreter, as in the image.
            "PATH": os.pathsep.join(
                [str(ROOT / "bin"), str(Path(sys.executable).parent), os.environ.get("PATH", "/usr/bin:/bin")]
            ),
            "HOME": str(self.tmp_path),
            "PYTHONPATH": str(ROOT),  # the image sets it to the package's folder
            **predefined_variables(api_url=self.api_url, project_dir=project_dir, sha=MAIN_SHA),
            **pipeline,
            **variables,
        }
        completed = subprocess.run(
            list(command),
            env=env,
            cwd=project_dir,  # GitLab runs the script in CI_PROJECT_DIR
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )
        report_file = project_dir / "novu-sync-report.md"
        run = JobRun(
            returncode=completed.returncode,
            log=completed.stdout + completed.stderr,
            report=report_file.read_text(encoding="utf-8") if report_file.exists() else None,
        )
        for secret in SECRETS:
            assert secret not in run.log
            assert secret not in (run.report or "")
        assert "Traceback" not in run.log
        return run


@pytest.fixture
def gitlab_api() -> Iterator[GitLabApiStandIn]:
    stand_in = GitLabApiStandIn(tokens={GITLAB_TOKEN: BOT})
    stand_in.start()
    stand_in.add_merge_request(PROJECT_ID, MR_IID)
    yield stand_in
    stand_in.stop()


@pytest.fixture
def run_job(tmp_path: Path, gitlab_api: GitLabApiStandIn) -> GitLabJob:
    return GitLabJob(tmp_path, gitlab_api.api_url)


@pytest.fixture(scope="module")
def review_app() -> Iterator[RunningBridge]:
    """The merge request's review app: it no longer serves sms-alert."""
    bridge = start_bridge(secret_key=PROD_KEY, workflows=("welcome", "digest-comments", "invoice-paid"))
    yield bridge
    bridge.stop()


def novu_variables(novu, *, dev_bridge=None, prod_bridge=None, **extra: str) -> dict[str, str]:
    """The CI/CD variables a project sets (the keys and the token as masked variables)."""
    variables = {
        "NOVU_API_URL": novu.base_url,
        "NOVU_DEVELOPMENT_SECRET_KEY": DEV_KEY,
        "NOVU_PRODUCTION_SECRET_KEY": PROD_KEY,
        "NOVU_GITLAB_TOKEN": GITLAB_TOKEN,
        "NOVU_TIMEOUT": "10",
    }
    if dev_bridge is not None:
        variables["NOVU_DEVELOPMENT_BRIDGE_URL"] = dev_bridge.url
    if prod_bridge is not None:
        variables["NOVU_PRODUCTION_BRIDGE_URL"] = prod_bridge.url
    variables.update(extra)
    return variables


def test_merge_request_into_main_posts_one_note_and_the_next_pipeline_updates_it(
    run_job, novu, gitlab_api, prod_bridge, review_app
):
    novu.seed_synced("Production", last_months_workflows(), bridge_url="https://bridge.example.com/api/novu")
    variables = novu_variables(
        novu,
        prod_bridge=prod_bridge,
        NOVU_PREVIEW_BRIDGE_URL=f"{review_app.url}?x-vercel-protection-bypass={BYPASS}",
    )

    first = run_job(merge_request_variables(target="main"), variables)

    assert first.returncode == 0, first.log
    [note] = gitlab_api.notes(PROJECT_ID, MR_IID)
    assert note.author == BOT
    body = note.body
    assert body.startswith(MARKER + "\n")
    for text in ("Production", "sms-alert", "digest-comments", "invoice-paid", "welcome", "ec26c3e"):
        assert text in body
    assert "NOVU_ALLOW_DELETIONS" in body  # the deletion guard, in the variable's name
    assert "allow-deletions" not in body
    assert "pull request" not in body.lower()
    assert f"{PROJECT_URL}/-/pipelines/" in body
    assert f"{PROJECT_URL}/-/commit/{HEAD_SHA}" in body
    assert "x-vercel-protection-bypass=REDACTED" in body
    assert first.report is not None
    assert first.report.strip() == body.split("\n", 1)[1].strip()  # the artifact is the same report
    assert f"Merge request note: {PROJECT_URL}/-/merge_requests/{MR_IID}#note_{note.id}" in first.log
    assert "section_start:" in first.log
    assert "section_end:" in first.log
    assert novu.requests_to("POST", "/v1/bridge/sync") == []
    assert [r.method for r in gitlab_api.requests] == ["GET", "POST"]
    assert all(r.headers["private-token"] == GITLAB_TOKEN for r in gitlab_api.requests)

    second = run_job(merge_request_variables(target="main", sha=NEXT_HEAD_SHA), variables)

    assert second.returncode == 0, second.log
    [updated] = gitlab_api.notes(PROJECT_ID, MR_IID)
    assert updated.id == note.id
    assert "0a1b2c3" in updated.body
    assert len(gitlab_api.requests_to("POST")) == 1
    assert len(gitlab_api.requests_to("PUT")) == 1
    assert [r.path for r in gitlab_api.requests_to("GET")].count("/user") == 1


def test_a_merged_results_pipeline_reports_the_merge_requests_head(run_job, novu, gitlab_api, prod_bridge):
    pipeline = {
        **merge_request_variables(target="main", sha="f" * 40),
        "CI_MERGE_REQUEST_EVENT_TYPE": "merged_result",
        "CI_MERGE_REQUEST_SOURCE_BRANCH_SHA": HEAD_SHA,
        "CI_MERGE_REQUEST_TARGET_BRANCH_SHA": MAIN_SHA,
    }

    run = run_job(pipeline, novu_variables(novu, prod_bridge=prod_bridge))

    assert run.returncode == 0, run.log
    [note] = gitlab_api.notes(PROJECT_ID, MR_IID)
    assert "ec26c3e" in note.body
    assert "fffffff" not in note.body


def test_push_pipeline_on_main_syncs_production(run_job, novu, gitlab_api, prod_bridge):
    run = run_job(push_variables("main"), novu_variables(novu, prod_bridge=prod_bridge))

    assert run.returncode == 0, run.log
    assert sorted(novu.workflow_ids("Production")) == BRIDGE_IDS
    assert novu.workflow_ids("Development") == []
    [sync] = novu.requests_to("POST", "/v1/bridge/sync")
    assert "source=gitlabCi" in sync.path
    assert sync.body == {"bridgeUrl": prod_bridge.url}
    assert sync.headers.get("idempotency-key", "").startswith("novu-sync-action-")
    assert "Applied: 4 create, 0 update, 0 delete, 0 unchanged." in run.log
    assert run.report is not None
    assert "Production" in run.report
    for workflow_id in BRIDGE_IDS:
        assert workflow_id in run.report
    assert f"{PROJECT_URL}/-/commit/{MAIN_SHA}" in run.report
    assert gitlab_api.requests == []

    again = run_job(push_variables("main"), novu_variables(novu, prod_bridge=prod_bridge))

    assert again.returncode == 0, again.log
    assert "Applied: 0 create, 0 update, 0 delete, 4 unchanged." in again.log


def test_push_pipeline_on_dev_syncs_development(run_job, novu, dev_bridge):
    run = run_job(push_variables("dev"), novu_variables(novu, dev_bridge=dev_bridge))

    assert run.returncode == 0, run.log
    assert sorted(novu.workflow_ids("Development")) == BRIDGE_IDS
    assert novu.workflow_ids("Production") == []


def test_push_to_an_unmapped_branch_skips_without_any_request(run_job, novu, gitlab_api, dev_bridge):
    run = run_job(push_variables("feature/new-digest"), novu_variables(novu, dev_bridge=dev_bridge))

    assert run.returncode == 0, run.log
    assert "Skipped: branch `feature/new-digest` is not in `NOVU_BRANCH_MAP`" in run.log
    assert run.report is not None
    assert "skipped" in run.report
    assert novu.requests == []
    assert gitlab_api.requests == []


def test_a_tag_pipeline_skips(run_job, novu, prod_bridge):
    pipeline = {"CI_PIPELINE_SOURCE": "push", "CI_COMMIT_TAG": "v1.4.0", "CI_COMMIT_REF_NAME": "v1.4.0"}

    run = run_job(pipeline, novu_variables(novu, prod_bridge=prod_bridge))

    assert run.returncode == 0, run.log
    assert "refs/tags/v1.4.0" in run.log
    assert novu.requests == []


def test_a_sync_of_production_that_would_delete_is_refused_with_exit_1(run_job, novu, review_app):
    novu.seed_synced("Production", last_months_workflows(), bridge_url=review_app.url)

    run = run_job(push_variables("main"), novu_variables(novu, prod_bridge=review_app))

    assert run.returncode == 1, run.log
    assert novu.requests_to("POST", "/v1/bridge/sync") == []
    assert "sms-alert" in run.log
    assert "NOVU_ALLOW_DELETIONS" in run.log
    assert run.report is not None
    assert "sms-alert" in run.report

    allowed = run_job(
        push_variables("main"), novu_variables(novu, prod_bridge=review_app, NOVU_ALLOW_DELETIONS="true")
    )

    assert allowed.returncode == 0, allowed.log
    assert sorted(novu.workflow_ids("Production")) == ["digest-comments", "invoice-paid", "welcome"]


def test_a_rejected_token_fails_the_merge_request_job_with_what_to_do(run_job, novu, gitlab_api, prod_bridge):
    variables = novu_variables(novu, prod_bridge=prod_bridge, NOVU_GITLAB_TOKEN="glpat-revoked000000000000")

    run = run_job(merge_request_variables(target="main"), variables)

    assert run.returncode == 1, run.log
    assert "Merge request note failed" in run.log
    assert "NOVU_GITLAB_TOKEN" in run.log
    assert "glpat-revoked000000000000" not in run.log
    assert gitlab_api.notes(PROJECT_ID, MR_IID) == []
    assert run.report is not None
    assert "welcome" in run.report  # the plan is still in the artifact


def test_comment_mode_off_previews_into_the_report_only(run_job, novu, gitlab_api, dev_bridge):
    variables = novu_variables(novu, dev_bridge=dev_bridge, NOVU_COMMENT_MODE="off")

    run = run_job(merge_request_variables(target="dev"), variables)

    assert run.returncode == 0, run.log
    assert gitlab_api.requests == []
    assert run.report is not None
    assert "Development" in run.report
    assert "Plan: 4 create, 0 update, 0 delete, 0 unchanged." in run.log
    assert novu.requests_to("POST", "/v1/bridge/sync") == []


def test_outside_gitlab_ci_the_command_says_to_use_plan_or_sync(tmp_path):
    completed = subprocess.run(
        [sys.executable, "-m", "novu_action", "ci"],
        env={"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(ROOT), "CI": "true"},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert completed.returncode == 1
    assert "novu-sync plan" in completed.stdout
    assert "Traceback" not in completed.stdout + completed.stderr


# -- the README's .gitlab-ci.yml, run ----------------------------------------------------------------------

README = (ROOT / "README.md").read_text(encoding="utf-8")
_RULE_TOKEN = re.compile(r'\s*(\(|\)|&&|\|\||==|!=|\$\w+|"[^"]*")')


def readme_gitlab_ci() -> dict[str, Any]:
    section = README.split("\n## GitLab CI and other CI systems\n", 1)[1]
    text = section.split("```yaml\n", 1)[1].split("\n```", 1)[0]
    document: dict[str, Any] = YAML(typ="safe").load(text)
    return document


def rule_matches(expression: str, variables: Mapping[str, str]) -> bool:
    """GitLab's `rules:if` for the forms the README uses: ``$VAR == "text"``, ``!=``, ``&&``, ``||``, ( )."""
    tokens: list[str] = _RULE_TOKEN.findall(expression)
    assert "".join(tokens) == re.sub(r"\s+", "", expression), f"unsupported expression: {expression}"
    position = 0

    def take() -> str:
        nonlocal position
        position += 1
        return tokens[position - 1]

    def value(token: str) -> str | None:
        return variables.get(token[1:]) if token.startswith("$") else token.strip('"')

    def atom() -> bool:
        if tokens[position] == "(":
            take()
            result = either()
            assert take() == ")"
            return result
        left, operator, right = value(take()), take(), value(take())
        return (left == right) if operator == "==" else (left != right)

    def both() -> bool:
        result = atom()
        while position < len(tokens) and tokens[position] == "&&":
            take()
            result = atom() and result
        return result

    def either() -> bool:
        result = both()
        while position < len(tokens) and tokens[position] == "||":
            take()
            result = both() or result
        return result

    result = either()
    assert position == len(tokens)
    return result


def jobs_for(variables: Mapping[str, str]) -> dict[str, dict[str, Any]]:
    """The README's jobs a pipeline with ``variables`` gets, each merged with the template it extends."""
    document = readme_gitlab_ci()
    jobs = {}
    for name, job in document.items():
        if name.startswith("."):
            continue
        if any(rule_matches(rule["if"], variables) for rule in job["rules"]):
            jobs[name] = {**document[job["extends"]], **job}
    return jobs


def test_the_readme_gitlab_ci_is_valid_for_gitlab(tmp_path):
    section = README.split("\n## GitLab CI and other CI systems\n", 1)[1]
    ci_file = tmp_path / ".gitlab-ci.yml"
    ci_file.write_text(section.split("```yaml\n", 1)[1].split("\n```", 1)[0], encoding="utf-8")

    checked = subprocess.run(
        [
            str(Path(sys.executable).parent / "check-jsonschema"),
            "--builtin-schema",
            "vendor.gitlab-ci",
            str(ci_file),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_the_rule_evaluator_reads_gitlab_expressions():
    expression = '$A == "x" && ($B == "y" || $B == "z")'

    assert rule_matches(expression, {"A": "x", "B": "z"})
    assert not rule_matches(expression, {"A": "x", "B": "w"})
    assert not rule_matches(expression, {"B": "y"})
    assert rule_matches('$A != "x"', {})


def test_the_readme_jobs_preview_merge_requests_into_dev_and_main_and_sync_pushes_to_them():
    def chosen(**variables: str) -> list[str]:
        return sorted(jobs_for(variables))

    assert chosen(**merge_request_variables(target="main")) == ["novu-preview"]
    assert chosen(**merge_request_variables(target="dev")) == ["novu-preview"]
    assert chosen(**merge_request_variables(target="release/2")) == []
    assert chosen(**push_variables("main")) == ["novu-sync"]
    assert chosen(**push_variables("dev")) == ["novu-sync"]
    assert chosen(**push_variables("feature/x")) == []
    assert chosen(CI_PIPELINE_SOURCE="push", CI_COMMIT_TAG="v1.0.0") == []
    document = readme_gitlab_ci()
    template = document[".novu"]
    assert template["image"] == {"name": "ghcr.io/your-org/novu-sync-action:v1", "entrypoint": [""]}
    assert template["script"] == ["novu-sync ci"]
    assert template["artifacts"]["paths"] == ["novu-sync-report.md"]
    assert template["artifacts"]["when"] == "always"
    assert document["novu-sync"]["resource_group"] == "novu-$CI_COMMIT_BRANCH"  # one per environment


def test_every_novu_variable_the_readme_names_is_one_the_tool_reads():
    from novu_action import gitlab, gitlab_notes

    section = README.split("\n## GitLab CI and other CI systems\n", 1)[1]
    named = set(re.findall(r"\bNOVU_[A-Z_]+\b", section)) - {"NOVU_SECRET_KEY_PRODUCTION"}
    known = {gitlab.variable_for(name) for name in gitlab.GITLAB_INPUTS}
    known |= {gitlab_notes.TOKEN_VARIABLE, gitlab.REPORT_FILE_VARIABLE}

    assert named - known == set()


def run_readme_job(run_job: GitLabJob, job: Mapping[str, Any], pipeline: Mapping[str, str], **bridges: str):
    """The job's script as the image runs it (``novu-sync`` from bin/), with the job's variables, the
    README's bridge URLs pointed at the test's bridges, and the masked variables of the table."""
    variables = {
        name: bridges.get(name, value) for name, value in job["variables"].items() if isinstance(value, str)
    }
    script = " && ".join(job["script"])
    masked = {"NOVU_DEVELOPMENT_SECRET_KEY": DEV_KEY, "NOVU_PRODUCTION_SECRET_KEY": PROD_KEY}
    return run_job(
        pipeline,
        {**variables, **masked, "NOVU_GITLAB_TOKEN": GITLAB_TOKEN, "NOVU_TIMEOUT": "10"},
        command=["sh", "-c", script],
    )


def test_the_readme_gitlab_ci_posts_the_note_and_syncs_production(
    run_job, novu, gitlab_api, prod_bridge, dev_bridge
):
    bridges = {"NOVU_PRODUCTION_BRIDGE_URL": prod_bridge.url, "NOVU_DEVELOPMENT_BRIDGE_URL": dev_bridge.url}
    preview_pipeline = merge_request_variables(target="main")
    [preview_job] = jobs_for(preview_pipeline).values()

    preview = run_readme_job(
        run_job, preview_job, preview_pipeline | {"NOVU_API_URL": novu.base_url}, **bridges
    )

    assert preview.returncode == 0, preview.log
    [note] = gitlab_api.notes(PROJECT_ID, MR_IID)
    assert "Production" in note.body
    assert preview.report is not None

    push_pipeline = push_variables("main")
    [sync_job] = jobs_for(push_pipeline).values()

    synced = run_readme_job(run_job, sync_job, push_pipeline | {"NOVU_API_URL": novu.base_url}, **bridges)

    assert synced.returncode == 0, synced.log
    assert sorted(novu.workflow_ids("Production")) == BRIDGE_IDS
    assert synced.report is not None
