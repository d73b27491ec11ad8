"""`make demo`: the action against the real example bridge and a local Novu Cloud, as the runner runs it.

Starts the bridges (Development's and Production's deployments, strict HMAC, and a pull request's
preview deployment), the Novu Cloud emulator and a GitHub API stand-in, then runs entrypoint.py for:
a push to `dev`, a pull request into `main` (the comment is printed as it would be posted), a push to
`main` that the deletion guard refuses, and the same push with `allow-deletions: true`. Everything
stops at the end.
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.conftest import last_months_workflows, pull_request_event, push_event
from tests.stand_ins.action_runner import ActionRun, run_action
from tests.stand_ins.bridge_process import RunningBridge, running_bridge
from tests.stand_ins.github_api import GitHubApiStandIn
from tests.stand_ins.novu_cloud import NovuCloudEmulator

DEV_KEY = "sk_demo_development_0001"
PROD_KEY = "sk_demo_production_0002"
TOKEN = "ghs_demoToken0003"  # noqa: S105 — a stand-in token for the local GitHub API
RULE = "=" * 100


@contextmanager
def services() -> Iterator[tuple[NovuCloudEmulator, GitHubApiStandIn, dict[str, RunningBridge]]]:
    with ExitStack() as stack:
        novu = NovuCloudEmulator()
        novu.add_environment("Development", api_key=DEV_KEY)
        novu.add_environment("Production", api_key=PROD_KEY)
        novu.start()
        stack.callback(novu.stop)
        github = GitHubApiStandIn(tokens={TOKEN: "github-actions[bot]"})
        github.start()
        stack.callback(github.stop)
        github.add_pull_request("acme/notifications", 2)
        bridges = {
            "dev": stack.enter_context(running_bridge(secret_key=DEV_KEY)),
            # Production's deployment before the merge: last month's code, without invoice-paid.
            "prod-before": stack.enter_context(
                running_bridge(secret_key=PROD_KEY, workflows=("welcome", "digest-comments", "sms-alert"))
            ),
            # The pull request's code, first as its preview deployment, then deployed to Production by
            # the merge: it adds invoice-paid and drops sms-alert.
            "prod-after": stack.enter_context(
                running_bridge(secret_key=PROD_KEY, workflows=("welcome", "digest-comments", "invoice-paid"))
            ),
        }
        yield novu, github, bridges


def show(title: str, run: ActionRun) -> None:
    print(f"\n{RULE}\n{title}\n{RULE}")
    print("Log (workflow commands as the runner receives them):")
    for line in run.log.splitlines():
        if not line.startswith("::add-mask::"):
            print(f"  {line}")
    print(f"\nExit status: {run.returncode}")
    print("Outputs: " + ", ".join(f"{k}={v}" for k, v in run.outputs.items() if k not in ("plan", "result")))
    print(f"\nJob summary:\n{run.summary}")


def main() -> int:
    with services() as (novu, github, bridges), tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        common = {
            "api-url": novu.base_url,
            "development-secret-key": DEV_KEY,
            "production-secret-key": PROD_KEY,
            "development-bridge-url": bridges["dev"].url,
            "production-bridge-url": bridges["prod-before"].url,
        }

        # Production as last month's sync left it: the digest sent every 10 minutes and was tagged
        # differently, sms-alert still existed, and weekly-report's code was removed long ago.
        novu.seed_synced("Production", last_months_workflows(), bridge_url=bridges["prod-before"].url)
        novu.seed_workflow("Production", workflow_id="weekly-report")
        merged = {**common, "production-bridge-url": bridges["prod-after"].url}

        dev = run_action(folder=folder / "dev", event_name="push", event=push_event("dev"), inputs=common)
        show("1. Push to dev: sync Development", dev)

        preview = run_action(
            folder=folder / "pr",
            event_name="pull_request",
            event=pull_request_event(base="main", number=2),
            inputs={**common, "preview-bridge-url": bridges["prod-after"].url, "github-token": TOKEN},
            github_api_url=github.api_url,
        )
        show("2. Pull request #2 into main: preview Production", preview)
        for comment in github.comments("acme/notifications", 2):
            print(f"{RULE}\nThe pull request comment, as posted:\n{RULE}\n{comment.body}")

        refused = run_action(
            folder=folder / "main", event_name="push", event=push_event("main"), inputs=merged
        )
        show("3. Push to main: the deletion guard refuses the sync", refused)

        allowed = run_action(
            folder=folder / "main-allowed",
            event_name="push",
            event=push_event("main"),
            inputs={**merged, "allow-deletions": "true"},
        )
        show("4. Push to main with allow-deletions: true: sync Production", allowed)
        print(f"{RULE}\nProduction now holds: {', '.join(sorted(novu.workflow_ids('Production')))}")
        ok = (
            dev.returncode == 0
            and preview.returncode == 0
            and refused.returncode == 1
            and allowed.returncode == 0
        )
        return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
