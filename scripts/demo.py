"""`make demo`: the action against the real example bridge and a local Novu Cloud, as the runner runs it.

Starts the bridges (Development's and Production's deployments, strict HMAC, and a pull request's
preview deployment), the Novu Cloud emulator and a GitHub API stand-in, then runs entrypoint.py for:
a push to `dev`, a pull request into `main` (the comment is printed as it would be posted), a push to
`main` that the deletion guard refuses, and the same push with `allow-deletions: true`. Every report is
also written to a folder (`.demo/` by default) as Markdown and as a page rendered the way GitHub shows it.
Everything stops at the end.

The bridges listen on fixed ports, so that the output is the same on every run: the README's sample
comment is this demo's comment, and a test keeps them equal.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from scripts.render_markdown import to_html
from tests.factories import last_months_workflows, pull_request_event, push_event
from tests.stand_ins.action_runner import ActionRun, run_action
from tests.stand_ins.bridge_process import RunningBridge, running_bridge
from tests.stand_ins.github_api import GitHubApiStandIn
from tests.stand_ins.novu_cloud import NovuCloudEmulator

ROOT = Path(__file__).resolve().parents[1]
DEV_KEY = "sk_demo_development_0001"
PROD_KEY = "sk_demo_production_0002"
TOKEN = "ghs_demoToken0003"  # noqa: S105 — a stand-in token for the local GitHub API
PORTS = {"dev": 4311, "prod-before": 4312, "prod-after": 4313}
RULE = "=" * 100


@dataclass(frozen=True)
class Demo:
    runs: dict[str, ActionRun]
    comment: str
    production_holds: list[str]

    @property
    def ok(self) -> bool:
        expected = {
            "1-push-to-dev": 0,
            "2-pull-request": 0,
            "3-push-to-main-refused": 1,
            "4-push-to-main-allowed": 0,
        }
        return all(self.runs[name].returncode == code for name, code in expected.items())


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
            "dev": stack.enter_context(running_bridge(secret_key=DEV_KEY, port=PORTS["dev"])),
            # Production's deployment before the merge: last month's code, without invoice-paid.
            "prod-before": stack.enter_context(
                running_bridge(
                    secret_key=PROD_KEY,
                    workflows=("welcome", "digest-comments", "sms-alert"),
                    port=PORTS["prod-before"],
                )
            ),
            # The pull request's code, first as its preview deployment, then deployed to Production by
            # the merge: it adds invoice-paid and drops sms-alert.
            "prod-after": stack.enter_context(
                running_bridge(
                    secret_key=PROD_KEY,
                    workflows=("welcome", "digest-comments", "invoice-paid"),
                    port=PORTS["prod-after"],
                )
            ),
        }
        yield novu, github, bridges


def run_demo(folder: Path) -> Demo:
    """The four runs, in a scratch ``folder``; the comment as GitHub would hold it."""
    with services() as (novu, github, bridges):
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
        runs = {
            "1-push-to-dev": run_action(
                folder=folder / "dev",
                event_name="push",
                event=push_event("dev"),
                inputs=common,
                run_id="7001",
            ),
            "2-pull-request": run_action(
                folder=folder / "pr",
                event_name="pull_request",
                event=pull_request_event(base="main", number=2),
                inputs={**common, "preview-bridge-url": bridges["prod-after"].url, "github-token": TOKEN},
                github_api_url=github.api_url,
                run_id="7002",
            ),
            "3-push-to-main-refused": run_action(
                folder=folder / "main",
                event_name="push",
                event=push_event("main"),
                inputs=merged,
                run_id="7003",
            ),
            "4-push-to-main-allowed": run_action(
                folder=folder / "main-allowed",
                event_name="push",
                event=push_event("main"),
                inputs={**merged, "allow-deletions": "true"},
                run_id="7004",
            ),
        }
        [comment] = github.comments("acme/notifications", 2)
        return Demo(runs=runs, comment=comment.body, production_holds=sorted(novu.workflow_ids("Production")))


def show(title: str, run: ActionRun) -> None:
    print(f"\n{RULE}\n{title}\n{RULE}")
    print("Log (workflow commands as the runner receives them):")
    for line in run.log.splitlines():
        if not line.startswith("::add-mask::"):
            print(f"  {line}")
    print(f"\nExit status: {run.returncode}")
    print("Outputs: " + ", ".join(f"{k}={v}" for k, v in run.outputs.items() if k not in ("plan", "result")))
    print(f"\nJob summary:\n{run.summary}")


def write_reports(demo: Demo, out: Path) -> None:
    """Each run's job summary and the comment, as Markdown and as a page rendered as GitHub shows it."""
    out.mkdir(parents=True, exist_ok=True)
    pages = {f"{name}.summary.md": run.summary for name, run in demo.runs.items()}
    pages["2-pull-request.comment.md"] = demo.comment
    for name, text in pages.items():
        (out / name).write_text(text, encoding="utf-8")
        (out / name).with_suffix(".html").write_text(to_html(text, open_details=True), encoding="utf-8")


README = ROOT / "README.md"
COMMENT_BLOCK = ("<!-- demo-comment:start -->\n", "\n<!-- demo-comment:end -->")


def readme_comment(readme: str) -> str:
    """The sample comment the README shows (between its markers)."""
    start, end = COMMENT_BLOCK
    return readme.split(start, 1)[1].split(end, 1)[0]


def with_comment(readme: str, comment: str) -> str:
    start, end = COMMENT_BLOCK
    before, rest = readme.split(start, 1)
    return before + start + comment.rstrip("\n") + end + rest.split(end, 1)[1]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / ".demo", help="where to write the reports")
    parser.add_argument("--update-readme", action="store_true", help="put this comment into README.md")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        demo = run_demo(Path(tmp))
    titles = {
        "1-push-to-dev": "1. Push to dev: sync Development",
        "2-pull-request": "2. Pull request #2 into main: preview Production",
        "3-push-to-main-refused": "3. Push to main: the deletion guard refuses the sync",
        "4-push-to-main-allowed": "4. Push to main with allow-deletions: true: sync Production",
    }
    for name, run in demo.runs.items():
        show(titles[name], run)
        if name == "2-pull-request":
            print(f"{RULE}\nThe pull request comment, as posted:\n{RULE}\n{demo.comment}")
    print(f"{RULE}\nProduction now holds: {', '.join(demo.production_holds)}")
    write_reports(demo, args.out)
    if args.update_readme:
        README.write_text(with_comment(README.read_text(encoding="utf-8"), demo.comment), encoding="utf-8")
        print("README.md now shows this comment.")
    print(f"The reports are in {args.out}/ (Markdown, and .html pages rendered as GitHub shows them).")
    return 0 if demo.ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
