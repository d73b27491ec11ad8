"""`make bench`: the action next to Novu's official CLI, where users wait for them. Prints medians and
ratios; asserts nothing (speed is measured here, never in a timed test).

Everything runs the way users run it: the action as the runner starts its container (entrypoint.py in a
subprocess with INPUT_* variables, a real event file, real output files), the CLI as `npx novu sync`
runs it (`novu` 2.20.1, installed by npm into scripts/bench). Both talk to the same local stand-ins: the
real example bridge (@novu/framework, strict), the Novu Cloud emulator and the GitHub API stand-in.

- skip: a run that skips (no network);
- cold and warm start: start-up without any bytecode (the old image), as the image runs it
  (precompiled, read-only) and warm (scripts/bench_startup.py);
- sync: a whole sync of the example bridge into a fresh environment, the action and the CLI;
- preview: a whole pull-request preview with its comment;
- 1,000 workflows: a preview of a bridge serving 1,000 workflows of 8 steps (a 31 MB discover answer),
  against an environment holding the same set, with the action's peak memory.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from scripts.bench_startup import measure_startup
from tests.factories import pull_request_event, push_event
from tests.stand_ins.action_runner import ActionRun, run_action
from tests.stand_ins.bridge_process import RunningBridge, running_bridge
from tests.stand_ins.github_api import GitHubApiStandIn
from tests.stand_ins.novu_cloud import NovuCloudEmulator

ROOT = Path(__file__).resolve().parents[1]
KEY = "sk_bench_environment_key"
TOKEN = "ghs_benchToken"  # noqa: S105 — a stand-in token for the local GitHub API
NODE = shutil.which("node") or "node"
CLI = ROOT / "scripts" / "bench" / "node_modules" / "novu" / "dist" / "src" / "index.js"
LARGE_BRIDGE = ROOT / "scripts" / "bench" / "large_bridge.cjs"


@dataclass(frozen=True)
class Sample:
    seconds: float
    max_rss_mb: float = 0.0


def median(samples: list[Sample]) -> Sample:
    return Sample(
        seconds=statistics.median(s.seconds for s in samples),
        max_rss_mb=statistics.median(s.max_rss_mb for s in samples),
    )


def measured(run: ActionRun) -> Sample:
    if run.returncode != 0:
        raise SystemExit(f"a benchmarked run failed:\n{run.log}")
    return Sample(seconds=run.seconds, max_rss_mb=run.max_rss_kb / 1024)


@contextmanager
def fresh_novu(environment: str) -> Iterator[NovuCloudEmulator]:
    novu = NovuCloudEmulator()
    novu.add_environment(environment, api_key=KEY)
    novu.start()
    try:
        yield novu
    finally:
        novu.stop()


def cli_sync(bridge: RunningBridge, novu: NovuCloudEmulator, home: Path) -> Sample:
    env = {"PATH": os.environ["PATH"], "HOME": str(home), "ANALYTICS_ENABLED": "false"}
    start = time.perf_counter()
    completed = subprocess.run(  # noqa: S603 -- node and the pinned CLI
        [NODE, str(CLI), "sync", "-b", bridge.url, "-s", KEY, "-a", novu.base_url],
        env=env,
        cwd=home,
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - start
    if completed.returncode != 0:
        raise SystemExit(f"the official CLI failed:\n{completed.stdout}{completed.stderr}")
    return Sample(seconds=seconds)


def discover(bridge: RunningBridge) -> list[dict[str, object]]:
    """The bridge's workflows, fetched once with a signed request, to seed an environment with them."""
    t = int(time.time() * 1000)
    signature = hmac.new(KEY.encode(), f"{t}.{{}}".encode(), hashlib.sha256).hexdigest()
    request = urllib.request.Request(  # noqa: S310 -- our own local bridge, over http
        f"{bridge.url}?action=discover", headers={"novu-signature": f"t={t},v1={signature}"}
    )
    with urllib.request.urlopen(request, timeout=120) as answer:  # noqa: S310 -- our local bridge
        workflows: list[dict[str, object]] = json.loads(answer.read())["workflows"]
    return workflows


def repeat(action: Callable[[], Sample], times: int) -> Sample:
    action()  # one warm-up, as a runner's second job would find the disk cache
    return median([action() for _ in range(times)])


def main() -> int:
    if not CLI.exists():
        print("The official CLI is not installed: run `make bench` (it runs npm ci in scripts/bench).")
        return 1
    rows: list[tuple[str, str]] = []
    counter = iter(range(100_000))
    github = GitHubApiStandIn(tokens={TOKEN: "github-actions[bot]"})
    github.start()
    github.add_pull_request("acme/notifications", 2)
    with tempfile.TemporaryDirectory() as tmp, running_bridge(secret_key=KEY) as bridge:
        folder = Path(tmp)

        def skip() -> Sample:
            inputs = {"secret-key": KEY}
            return measured(
                run_action(
                    folder=folder / f"r{next(counter)}",
                    event_name="push",
                    event=push_event("x"),
                    inputs=inputs,
                )
            )

        def action_sync() -> Sample:
            with fresh_novu("Development") as novu:
                inputs = {"secret-key": KEY, "bridge-url": bridge.url, "api-url": novu.base_url}
                return measured(
                    run_action(
                        folder=folder / f"r{next(counter)}",
                        event_name="push",
                        event=push_event("dev"),
                        inputs=inputs,
                    )
                )

        def official_sync() -> Sample:
            with fresh_novu("Development") as novu:
                home = folder / f"h{next(counter)}"
                home.mkdir()
                return cli_sync(bridge, novu, home)

        def preview() -> Sample:
            with fresh_novu("Production") as novu:
                inputs = {"secret-key": KEY, "bridge-url": bridge.url, "api-url": novu.base_url}
                return measured(
                    run_action(
                        folder=folder / f"r{next(counter)}",
                        event_name="pull_request",
                        event=pull_request_event(base="main"),
                        inputs=inputs,
                        github_api_url=github.api_url,
                        job_token=TOKEN,
                    )
                )

        skipped = repeat(skip, 7)
        startup = measure_startup(repeat=7)
        ours, theirs = repeat(action_sync, 5), repeat(official_sync, 5)
        previewed = repeat(preview, 5)
        rows += [
            ("a run that skips (no network)", f"{skipped.seconds * 1000:6.0f} ms"),
            (
                "start-up, cold (no bytecode) / as the image runs it / warm",
                f"{startup.cold * 1000:.0f} / {startup.image * 1000:.0f} / {startup.warm * 1000:.0f} ms "
                f"(image − warm: {(startup.image - startup.warm) * 1000:+.0f} ms)",
            ),
            ("a whole sync of the example bridge: the action", f"{ours.seconds * 1000:6.0f} ms"),
            ("the same sync: the official CLI (novu 2.20.1)", f"{theirs.seconds * 1000:6.0f} ms"),
            ("the action / the CLI", f"{ours.seconds / theirs.seconds:6.2f}×"),
            ("a whole preview with its pull-request comment", f"{previewed.seconds * 1000:6.0f} ms"),
        ]
    with (
        tempfile.TemporaryDirectory() as tmp,
        running_bridge(secret_key=KEY, script=LARGE_BRIDGE, startup_timeout=120) as large,
    ):
        workflows = discover(large)
        served = {"workflows": workflows, "agents": []}
        size = len(json.dumps(served, separators=(",", ":"), ensure_ascii=False).encode()) / 1_000_000

        def large_preview() -> Sample:
            with fresh_novu("Production") as novu:
                novu.seed_synced("Production", workflows, bridge_url=large.url)
                inputs = {"secret-key": KEY, "bridge-url": large.url, "api-url": novu.base_url}
                return measured(
                    run_action(
                        folder=Path(tmp) / f"r{next(counter)}",
                        event_name="pull_request",
                        event=pull_request_event(base="main"),
                        inputs=inputs,
                        github_api_url=github.api_url,
                        job_token=TOKEN,
                    )
                )

        big = repeat(large_preview, 3)
        rows.append(
            (
                f"a preview of {len(workflows):,} workflows × 8 steps ({size:.0f} MB discover), Production "
                "the same",
                f"{big.seconds:6.2f} s, peak {big.max_rss_mb:.0f} MB",
            )
        )
    github.stop()
    width = max(len(what) for what, _ in rows)
    print("Medians on this machine (make bench):")
    for what, value in rows:
        print(f"  {what:<{width}}  {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
