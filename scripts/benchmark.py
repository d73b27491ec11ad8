"""`make bench`: how fast the action is where users wait for it. Prints medians; asserts nothing.

- start-up: entrypoint.py for a run that skips (no network), as the container runs it;
- plan and render: the pure core on 1,000 workflows changed every way (real discover shapes);
- a whole sync and a whole preview against the real example bridge and the local stand-ins.
"""

from __future__ import annotations

import copy
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from novu_action.plan import ListedWorkflow, build_plan
from novu_action.render import ReportContext, Status, render_comment, render_summary
from tests.conftest import example_bridge_workflows, pull_request_event, push_event
from tests.stand_ins.action_runner import run_action
from tests.stand_ins.bridge_process import running_bridge
from tests.stand_ins.github_api import GitHubApiStandIn
from tests.stand_ins.novu_cloud import NovuCloudEmulator

KEY = "sk_bench_development"
TOKEN = "ghs_benchToken"  # noqa: S105 — a stand-in token for the local GitHub API


def median_seconds(action: Callable[[], object], *, repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def synthetic_environment(count: int) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    """``count`` discovered workflows and a stored state where a third changed, a third is new, a
    third unchanged, plus ``count // 10`` deletions."""
    templates = list(example_bridge_workflows().values())
    discovered, stored = [], []
    for index in range(count):
        workflow = copy.deepcopy(templates[index % len(templates)])
        workflow["workflowId"] = f"{workflow['workflowId']}-{index:04d}"
        discovered.append(workflow)
        if index % 3 == 0:
            continue
        old = copy.deepcopy(workflow)
        if index % 3 == 1:
            old["tags"] = ["legacy"]
            old["steps"] = list(reversed(old["steps"]))
        stored.append(old)
    stored += [{"workflowId": f"removed-{i:04d}", "steps": []} for i in range(count // 10)]
    return discovered, stored


def bench_core(count: int) -> None:
    discovered, stored = synthetic_environment(count)
    listed = [ListedWorkflow(str(w["workflowId"]), origin="external") for w in stored]

    def plan() -> object:
        return build_plan(
            discovered=discovered,
            stored=stored,
            listed=listed,
            allow_deletions=True,
            environment="Production",
        )

    built = build_plan(
        discovered=discovered, stored=stored, listed=listed, allow_deletions=True, environment="Production"
    )
    context = ReportContext(
        mode="preview",
        environment="Production",
        report_id=None,
        bridge_url="https://app.example.com/api/novu",
        previewing_deployed_bridge=False,
        base_branch="main",
        commit_sha="ec26c3e57ca3a959ca5aad62de7213c562f8c821",
        run_url="https://github.com/acme/notifications/actions/runs/1",
    )

    def render() -> tuple[str, str]:
        comment = render_comment(context=context, plan=built, marker="<!-- novu-sync-action -->")
        return comment, render_summary(context=context, plan=built, status=Status.PREVIEW)

    comment, summary = render()
    print(f"plan of {count} workflows:            {median_seconds(plan, repeat=5) * 1000:8.1f} ms")
    print(
        f"render comment + summary:          {median_seconds(render, repeat=5) * 1000:8.1f} ms"
        f"  (comment {len(comment):,} chars, summary {len(summary.encode()):,} bytes)"
    )


def bench_runs() -> None:
    github = GitHubApiStandIn(tokens={TOKEN: "github-actions[bot]"})
    github_api_url = github.start()
    github.add_pull_request("acme/notifications", 2)
    with tempfile.TemporaryDirectory() as tmp, running_bridge(secret_key=KEY) as bridge:
        folder = Path(tmp)
        counter = iter(range(10_000))

        def skip() -> object:
            run = run_action(
                folder=folder / f"skip{next(counter)}",
                event_name="push",
                event=push_event("feature/x"),
                inputs={"secret-key": KEY},
            )
            assert run.returncode == 0, run.log
            return run

        print(f"start-up of a skipping run:        {median_seconds(skip, repeat=7) * 1000:8.1f} ms")

        def against_fresh_novu(environment: str, **kwargs: Any) -> object:
            novu = NovuCloudEmulator()
            novu.add_environment(environment, api_key=KEY)
            novu.start()
            try:
                inputs = {"secret-key": KEY, "bridge-url": bridge.url, "api-url": novu.base_url}
                run = run_action(folder=folder / f"run{next(counter)}", inputs=inputs, **kwargs)
            finally:
                novu.stop()
            assert run.returncode == 0, run.log
            return run

        def sync() -> object:
            return against_fresh_novu("Development", event_name="push", event=push_event("dev"))

        print(f"a whole sync (4 workflows):        {median_seconds(sync, repeat=5) * 1000:8.1f} ms")

        def preview() -> object:
            return against_fresh_novu(
                "Production",
                event_name="pull_request",
                event=pull_request_event(base="main", number=2),
                github_api_url=github_api_url,
                job_token=TOKEN,
            )

        print(f"a whole preview with its comment:  {median_seconds(preview, repeat=5) * 1000:8.1f} ms")
    github.stop()


def main() -> int:
    bench_core(1000)
    bench_runs()
    return 0


if __name__ == "__main__":
    sys.exit(main())
