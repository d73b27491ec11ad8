"""``novu-sync plan`` and ``novu-sync sync``: the action's pipeline from a terminal or any CI system.

The very same target, plan, guards, apply and renderer as the GitHub Action; only the edges differ: options
and environment variables instead of ``INPUT_*``, no code host (nothing to comment on), the report printed
as text, Markdown or JSON. Exit codes follow ``terraform plan -detailed-exitcode``: 0 no changes, 2 changes
planned (or applied), 1 an error or a refusal.

``novu-sync ci`` is the same for GitLab CI (``gitlab.py``): the environment and the mode come from
GitLab's predefined variables, and a preview is posted as one sticky merge-request note.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import NoReturn, TextIO

from pydantic import ValidationError

from novu_action.connections import LiveConnections, NoCodeHost
from novu_action.events import LOCAL_EVENT, Event
from novu_action.novu_urls import US_API_URL
from novu_action.pipeline import Clock, run
from novu_action.plan import Plan
from novu_action.redaction import url_secrets
from novu_action.report import RunResult, Status, stopped_by
from novu_action.settings import Inputs, RunContext, Settings, describe
from novu_action.terminal import render_text
from novu_action.wording import DISPATCH_RECIPE

EXIT_NO_CHANGES, EXIT_FAILED, EXIT_CHANGES = 0, 1, 2
_FORMATS = ("text", "markdown", "json")


class _Terminal:
    """``pipeline.Progress`` on a stream (stderr, so that stdout holds only the report)."""

    def __init__(self, stream: TextIO, *, secrets: Sequence[str]) -> None:
        self._stream = stream
        self._secrets = [s for s in secrets if s]

    def log(self, text: str) -> None:
        self._stream.write(f"  {self.redact(text)}\n")
        self._stream.flush()

    @contextmanager
    def group(self, title: str) -> Iterator[None]:
        self._stream.write(f"{self.redact(title)}\n")
        yield

    def redact(self, text: str) -> str:
        for secret in sorted(self._secrets, key=len, reverse=True):
            text = text.replace(secret, "***")
        return text


class _Parser(argparse.ArgumentParser):
    """A usage error exits 1, like any error: argparse's own 2 means "changes" to a CI script."""

    def error(self, message: str) -> NoReturn:
        unrecognized = "unrecognized arguments: "
        if message.startswith(unrecognized):  # their values may be a key given the wrong way: not shown
            options = [
                word.split("=", 1)[0] for word in message[len(unrecognized) :].split() if word[:1] == "-"
            ]
            message = (
                unrecognized + (" ".join(options) or "(not shown)") + " (the secret key comes from "
                "NOVU_SECRET_KEY only)"
            )
        self.print_usage(sys.stderr)
        self.exit(EXIT_FAILED, f"{self.prog}: error: {message}\n")


def parser() -> argparse.ArgumentParser:
    top = _Parser(
        prog="novu-sync",
        description="Preview (plan) or apply (sync) what a Novu Framework bridge would change in a Novu "
        "environment.",
        epilog="Exit codes: 0 no changes, 2 changes planned or applied, 1 an error or a refusal.",
    )
    commands = top.add_subparsers(dest="command", required=True, metavar="{plan,sync,ci}")
    plan = commands.add_parser("plan", help="show what a sync would change; changes nothing")
    sync = commands.add_parser("sync", help="show the plan, then sync the environment to the bridge")
    commands.add_parser("ci", help="in GitLab CI: preview merge requests, sync pushes (see the README)")
    for command in (plan, sync):
        command.add_argument(
            "-e", "--environment", help="Novu environment (env NOVU_ENVIRONMENT; default Development)"
        )
        command.add_argument("-b", "--bridge-url", help="the bridge's URL (env NOVU_BRIDGE_URL)")
        command.add_argument("-a", "--api-url", help=f"Novu API URL (env NOVU_API_URL; default {US_API_URL})")
        command.add_argument(
            "--allow-deletions",
            action=argparse.BooleanOptionalAction,
            help="whether the sync may delete workflows the bridge no longer serves (default: yes except "
            "Production)",
        )
        command.add_argument("--id", help="names this bridge when several sync into one account")
        command.add_argument("--timeout", help="seconds for each HTTP request (default 30)")
        command.add_argument(
            "--format", choices=_FORMATS, default="text", help="what to print (default text)"
        )
        command.add_argument(
            "--out", type=Path, help="write the report to this file instead of standard output"
        )
    plan.add_argument(
        "--discover-file", help="a saved discover answer to plan from, instead of calling the bridge"
    )
    sync.add_argument("-y", "--yes", action="store_true", help="do not ask before syncing Production")
    top.epilog = (
        "The secret key comes from NOVU_SECRET_KEY, or is asked for without echo; never from an option. "
        "A bridge that verifies a separate signing secret: NOVU_BRIDGE_SIGNING_SECRET. " + (top.epilog or "")
    )
    return top


def main(
    argv: Sequence[str] | None = None,
    *,
    environ: Mapping[str, str] = os.environ,
    stdin: TextIO = sys.stdin,
    stdout: TextIO = sys.stdout,
    stderr: TextIO = sys.stderr,
) -> int:
    args = parser().parse_args(argv)
    if args.command == "ci":
        from novu_action.gitlab import main as gitlab_main

        return gitlab_main(environ=environ, stream=stdout)
    secret_key = environ.get("NOVU_SECRET_KEY") or _ask_for_key(args, stdin=stdin, stderr=stderr)
    terminal = _Terminal(stderr, secrets=_secrets(args, environ, secret_key=secret_key))
    missing = _missing(args, environ, secret_key=secret_key)
    if missing:
        stderr.write(f"novu-sync: {missing}\n")
        return EXIT_FAILED
    try:
        inputs = Inputs.from_values(_values(args, environ, secret_key=secret_key))
    except ValidationError as error:
        problems = [_as_option(problem) for problem in describe(error)]
        stderr.write(terminal.redact("novu-sync: " + "; ".join(problems) + "\n"))
        return EXIT_FAILED
    settings = Settings(
        inputs=inputs,
        context=RunContext(
            event_name=LOCAL_EVENT,
            actor=None,
            event_path=None,
            ref=None,
            sha=None,
            repository=None,
            run_id=uuid.uuid4().hex,  # every run its own idempotency keys
            run_attempt="1",
            server_url="",
            api_url="",
            workspace=Path(Path.cwd().anchor),
        ),
        event=Event(name=LOCAL_EVENT, ref=None, sha=None),
    )
    colour = stdout.isatty() and not environ.get("NO_COLOR")
    try:
        result = run(
            settings=settings,
            connections=LiveConnections(
                api_url=inputs.api_url,
                timeout=inputs.timeout,
                workspace=settings.context.workspace,
                host=NoCodeHost(),
                on_retry=terminal.log,
                novu_source="novu-sync",
            ),
            progress=terminal,
            clock=Clock(now=time.time, sleep=time.sleep),
            confirm=_confirmation(
                args, stdin=stdin, stderr=stderr, colour=stderr.isatty() and not environ.get("NO_COLOR")
            ),
        )
    except Exception as error:  # the last line of defence: one clear message, no traceback
        result = stopped_by(error)
    report = _in_cli_words(_formatted(result, args.format, colour=colour and args.out is None))
    if args.out is not None:
        args.out.write_text(terminal.redact(report), encoding="utf-8")
    elif report:
        stdout.write(terminal.redact(report))
    if result.failure is not None and (args.format != "text" or args.out is not None or not report):
        message = _in_cli_words(f"novu-sync: {result.failure.title}: {result.failure.message}\n")
        stderr.write(terminal.redact(message))
    return exit_code(result)


def exit_code(result: RunResult) -> int:
    if result.failure is not None:
        return EXIT_FAILED
    return EXIT_CHANGES if result.plan is not None and result.plan.has_changes else EXIT_NO_CHANGES


def _values(
    args: argparse.Namespace, environ: Mapping[str, str], *, secret_key: str | None
) -> dict[str, str | None]:
    discover_file = getattr(args, "discover_file", None)
    return {
        "mode": "preview" if args.command == "plan" else "sync",
        "environment": args.environment or environ.get("NOVU_ENVIRONMENT") or "Development",
        "secret-key": secret_key,
        "bridge-url": args.bridge_url or environ.get("NOVU_BRIDGE_URL"),
        "api-url": args.api_url or environ.get("NOVU_API_URL"),
        "bridge-signing-secret": environ.get("NOVU_BRIDGE_SIGNING_SECRET"),
        # Anywhere on disk: the workspace of a terminal run is the whole filesystem.
        "discover-file": str(Path(discover_file).resolve()) if discover_file else None,
        "allow-deletions": None if args.allow_deletions is None else str(args.allow_deletions).lower(),
        "id": args.id,
        "timeout": args.timeout,
        "comment-mode": "off",
    }


def _secrets(args: argparse.Namespace, environ: Mapping[str, str], *, secret_key: str | None) -> list[str]:
    """What must never be printed: the keys, and query values of the bridge URL (bypass tokens)."""
    bridge_url = args.bridge_url or environ.get("NOVU_BRIDGE_URL") or ""
    return [secret_key or "", environ.get("NOVU_BRIDGE_SIGNING_SECRET") or "", *url_secrets(bridge_url)]


def _missing(args: argparse.Namespace, environ: Mapping[str, str], *, secret_key: str | None) -> str | None:
    """What the command line cannot run without, in its own words (the action's name other inputs)."""
    environment = args.environment or environ.get("NOVU_ENVIRONMENT") or "Development"
    if not secret_key:
        return (
            f"no secret key: set NOVU_SECRET_KEY to the secret key of {environment} (Novu Dashboard → API "
            "Keys), or run in a terminal to be asked for it."
        )
    if not (args.bridge_url or environ.get("NOVU_BRIDGE_URL") or getattr(args, "discover_file", None)):
        return "no bridge: give --bridge-url (or NOVU_BRIDGE_URL), or --discover-file with a saved answer."
    return None


def _ask_for_key(args: argparse.Namespace, *, stdin: TextIO, stderr: TextIO) -> str | None:
    if not stdin.isatty():
        return None
    import getpass

    environment = args.environment or "Development"
    return getpass.getpass(f"Novu secret key of {environment} (not shown): ", stream=stderr).strip() or None


def _confirmation(
    args: argparse.Namespace, *, stdin: TextIO, stderr: TextIO, colour: bool
) -> Callable[[RunResult], bool] | None:
    """Before syncing Production from a terminal: show the plan and ask (``--yes`` skips the question)."""
    if args.command != "sync":
        return None

    def confirm(planned: RunResult) -> bool:
        stderr.write(_in_cli_words(render_text(planned, colour=colour)))
        if planned.environment != "Production" or args.yes or not stdin.isatty():
            return True
        stderr.write(f"Sync {planned.environment} now? [y/N] ")
        stderr.flush()
        return stdin.readline().strip().lower() in ("y", "yes")

    return confirm


def _formatted(result: RunResult, output: str, *, colour: bool) -> str:
    if output == "json":
        return (result.plan.to_json() + "\n") if isinstance(result.plan, Plan) else ""
    if output == "markdown":
        from novu_action.render import render_summary

        return render_summary(result)
    if result.status is Status.FAILED and result.plan is None and result.context is None:
        return ""
    return render_text(result, colour=colour)


# The action's inputs as a terminal user sets them.
_CLI_WORDS = (
    (f"{DISPATCH_RECIPE} set to `true`", "`--allow-deletions`"),
    (DISPATCH_RECIPE, "`--allow-deletions`"),
    ("`secret-key`", "NOVU_SECRET_KEY"),
    ("`bridge-signing-secret`", "NOVU_BRIDGE_SIGNING_SECRET"),
    ("`bridge-url`", "`--bridge-url`"),
    ("`api-url`", "`--api-url`"),
    ("`allow-deletions: true`", "`--allow-deletions`"),
    ("`discover-file`", "`--discover-file`"),
)


def _in_cli_words(text: str) -> str:
    for action_words, cli_words in _CLI_WORDS:
        text = text.replace(action_words, cli_words)
    return text


def _as_option(problem: str) -> str:
    """``input `bridge-url`: …`` in the action's words becomes ``--bridge-url: …`` on the command line."""
    if problem.startswith("input `") and "`" in problem[7:]:
        name, rest = problem[7:].split("`", 1)
        return f"--{name}{rest}"
    return problem
