"""Start and stop the real example bridge (examples/bridge, @novu/framework 2.13.2) for tests and the demo.

This module is a stand-in for a user's deployed bridge; it deliberately shares no code with `novu_action`.

    python -m tests.stand_ins.bridge_process --secret-key K [--workflows a,b|none] [--port N] [--non-strict]

starts one, prints its URL and runs until SIGTERM or SIGINT.
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import IO
from urllib.parse import urlsplit

BRIDGE_DIR = Path(__file__).resolve().parents[2] / "examples" / "bridge"

_LISTENING_LINE = re.compile(r"^bridge listening on (http://\S+)$", re.MULTILINE)
# Variables the bridge or @novu/framework read; the launcher decides them, never the caller's shell.
_CONTROLLED_ENV_VARS = (
    "NODE_ENV",
    "NOVU_STRICT_AUTHENTICATION_ENABLED",
    "NOVU_SECRET_KEY",
    "NOVU_API_KEY",
    "BRIDGE_WORKFLOWS",
    "HOST",
    "PORT",
)
_STDERR_TAIL_LINES = 20
_STDERR_TAIL_LINE_CHARS = 300  # node prints whole lines of minified framework code in stack traces
_POLL_INTERVAL_SECONDS = 0.05
_STOP_TIMEOUT_SECONDS = 5.0


class BridgeStartError(Exception):
    """The example bridge did not come up; the message says what to do and ends with the bridge's stderr."""


@dataclass(frozen=True)
class RunningBridge:
    url: str
    secret_key: str | None
    process: subprocess.Popen[bytes]

    def stop(self) -> None:
        """Terminate the bridge, and kill it if it has not exited after 5 seconds."""
        _stop_process(self.process)


def start_bridge(
    *,
    secret_key: str | None,
    node_env: str | None = "production",
    workflows: Sequence[str] | None = None,
    port: int | None = None,
    startup_timeout: float = 20.0,
    bridge_dir: Path = BRIDGE_DIR,
    script: Path | None = None,
) -> RunningBridge:
    """Start the example bridge on 127.0.0.1 and return once its health-check answers 200.

    `workflows=None` serves all workflows, `()` none. `node_env=None` starts it without NODE_ENV, which
    @novu/framework treats as a development runtime (no HMAC check). `port=None` lets the OS pick a free
    port. @novu/framework 2.13.2 refuses to start without a secret key: `secret_key=None` raises
    BridgeStartError. `script` runs another CommonJS bridge app instead of the example's server.mjs,
    with the example's node_modules on NODE_PATH, so tests can serve workflows a user would not write.
    """
    node = shutil.which("node")
    if node is None:
        raise BridgeStartError("Node.js (20 or newer) is not on PATH; install it to run the example bridge.")
    if not (bridge_dir / "node_modules" / "@novu" / "framework").is_dir():
        raise BridgeStartError(
            f"The example bridge's dependencies are not installed: run `npm ci` in {bridge_dir} "
            "(make test does it)."
        )
    env = _bridge_env(secret_key=secret_key, node_env=node_env, workflows=workflows, port=port)
    if script is not None:
        env["NODE_PATH"] = str(bridge_dir / "node_modules")
    with tempfile.TemporaryFile() as stdout_file, tempfile.TemporaryFile() as stderr_file:
        process = subprocess.Popen(
            [node, str(script or "server.mjs")],
            cwd=bridge_dir,
            env=env,
            stdout=stdout_file,
            stderr=stderr_file,
        )
        try:
            url = _wait_until_healthy(process, stdout_file=stdout_file, startup_timeout=startup_timeout)
        except BridgeStartError as error:
            _stop_process(process)
            tail = _stderr_tail(stderr_file)
            raise BridgeStartError(f"{error} Bridge stderr:\n{tail}") from None
        except BaseException:
            _stop_process(process)
            raise
    return RunningBridge(url=url, secret_key=secret_key, process=process)


@contextmanager
def running_bridge(
    *,
    secret_key: str | None,
    node_env: str | None = "production",
    workflows: Sequence[str] | None = None,
    port: int | None = None,
    startup_timeout: float = 20.0,
    bridge_dir: Path = BRIDGE_DIR,
    script: Path | None = None,
) -> Iterator[RunningBridge]:
    """`start_bridge` as a context manager that stops the bridge on exit."""
    bridge = start_bridge(
        secret_key=secret_key,
        node_env=node_env,
        workflows=workflows,
        port=port,
        startup_timeout=startup_timeout,
        bridge_dir=bridge_dir,
        script=script,
    )
    try:
        yield bridge
    finally:
        bridge.stop()


def _stop_process(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=_STOP_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _bridge_env(
    *, secret_key: str | None, node_env: str | None, workflows: Sequence[str] | None, port: int | None
) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if name not in _CONTROLLED_ENV_VARS}
    env["HOST"] = "127.0.0.1"
    env["PORT"] = str(port if port is not None else 0)
    if secret_key is not None:
        env["NOVU_SECRET_KEY"] = secret_key
    if node_env is not None:
        env["NODE_ENV"] = node_env
    if workflows is not None:
        env["BRIDGE_WORKFLOWS"] = ",".join(workflows) if workflows else "none"
    return env


def _wait_until_healthy(
    process: subprocess.Popen[bytes], *, stdout_file: IO[bytes], startup_timeout: float
) -> str:
    deadline = time.monotonic() + startup_timeout
    url: str | None = None
    while True:
        exit_code = process.poll()
        if exit_code is not None:
            raise BridgeStartError(
                f"The example bridge exited with code {exit_code} while starting; its stderr below says why "
                "(if a package cannot be found, run `npm ci` in examples/bridge; make test does it)."
            )
        url = url or _announced_url(stdout_file)
        if url is not None and _health_check_ok(url):
            return url
        if time.monotonic() > deadline:
            raise BridgeStartError(
                f"The example bridge did not answer its health-check within {startup_timeout:g} s "
                "(a slow machine? raise startup_timeout)."
            )
        time.sleep(_POLL_INTERVAL_SECONDS)


def _announced_url(stdout_file: IO[bytes]) -> str | None:
    stdout_file.seek(0)
    match = _LISTENING_LINE.search(stdout_file.read().decode("utf-8", errors="replace"))
    return match.group(1) if match else None


def _health_check_ok(url: str) -> bool:
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=1.0)
    try:
        connection.request("GET", f"{parts.path}?action=health-check")
        return connection.getresponse().status == 200
    except OSError:
        return False
    finally:
        connection.close()


def _stderr_tail(stderr_file: IO[bytes]) -> str:
    stderr_file.seek(0)
    text = stderr_file.read().decode("utf-8", errors="replace")
    lines = [line[:_STDERR_TAIL_LINE_CHARS] for line in text.strip().splitlines()[-_STDERR_TAIL_LINES:]]
    return "\n".join(lines) or "(empty)"


def _parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tests.stand_ins.bridge_process",
        description="Run the example Novu bridge on 127.0.0.1 until SIGTERM or SIGINT; prints its URL.",
    )
    parser.add_argument("--secret-key", required=True, help="secret key the bridge verifies signatures with")
    parser.add_argument(
        "--workflows", help="comma-separated workflow ids to serve, or `none`; default: all of them"
    )
    parser.add_argument("--port", type=int, help="port to listen on; default: a free one")
    parser.add_argument(
        "--non-strict", action="store_true", help="run without NODE_ENV, so unsigned requests are answered"
    )
    return parser.parse_args(argv)


def _workflow_selection(option: str | None) -> tuple[str, ...] | None:
    if option is None:
        return None
    if option.strip() == "none":
        return ()
    return tuple(workflow_id.strip() for workflow_id in option.split(",") if workflow_id.strip())


def main(argv: Sequence[str]) -> int:
    args = _parse_args(argv)
    stop_requested = threading.Event()

    def request_stop(_signal_number: int, _frame: FrameType | None) -> None:
        stop_requested.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    try:
        bridge = start_bridge(
            secret_key=args.secret_key,
            node_env=None if args.non_strict else "production",
            workflows=_workflow_selection(args.workflows),
            port=args.port,
        )
    except BridgeStartError as error:
        print(error, file=sys.stderr)
        return 1
    print(bridge.url, flush=True)
    try:
        while not stop_requested.wait(timeout=0.5):
            if bridge.process.poll() is not None:
                print(
                    f"The example bridge exited unexpectedly (code {bridge.process.returncode}).",
                    file=sys.stderr,
                )
                return 1
    finally:
        bridge.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
