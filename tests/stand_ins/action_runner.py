"""Runs entrypoint.py the way the GitHub runner runs the action's container.

What the runner gives a Docker action (reference/github-actions-contract.md §1–§4): every input declared
in action.yml as ``INPUT_<NAME>`` (upper-cased, hyphens kept), present even when empty, with the declared
default when the workflow gives none; ``GITHUB_*`` context variables; the event payload at
``GITHUB_EVENT_PATH``; fresh ``GITHUB_OUTPUT`` and ``GITHUB_STEP_SUMMARY`` files; the workspace as the
working directory. The runner parses the output file after the container exits; so does ``ActionRun``.
"""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
_run_ids = itertools.count(7001)
ENTRYPOINT = ROOT / "entrypoint.py"


def declared_inputs(action_yml: Path = ROOT / "action.yml") -> dict[str, str]:
    """Every input of action.yml with the default the runner would give it: the declared default as text
    (the runner evaluates ``${{ }}`` expressions; callers replace them), an empty string when none."""
    from ruamel.yaml import YAML

    document = YAML(typ="safe").load(action_yml.read_text(encoding="utf-8"))
    return {
        name: "" if spec.get("default") is None else str(spec["default"])
        for name, spec in document["inputs"].items()
    }


def parse_output_file(text: str) -> dict[str, str]:
    """Parse GITHUB_OUTPUT as the runner does; a malformed file fails like the runner fails the step."""
    outputs: dict[str, str] = {}
    lines = text.split("\n")
    if text and lines[-1] != "":
        raise ValueError("EOF marker missing new line")
    index = 0
    while index < len(lines) - 1:
        line = lines[index]
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delimiter = line.split("<<", 1)
            try:
                end = lines.index(delimiter, index + 1)
            except ValueError:
                raise ValueError(f"Matching delimiter not found '{delimiter}'") from None
            outputs[name] = "\n".join(lines[index + 1 : end])
            index = end + 1
        elif "=" in line:
            name, value = line.split("=", 1)
            outputs[name] = value
            index += 1
        else:
            raise ValueError(f"Invalid format '{line}'")
    return outputs


@dataclass(frozen=True)
class ActionRun:
    returncode: int
    stdout: str
    stderr: str
    outputs: dict[str, str]
    summary: str
    seconds: float = 0.0  # wall time of the process, start to exit
    max_rss_kb: int = 0  # the process's peak resident memory

    @property
    def log(self) -> str:
        return self.stdout + self.stderr

    def annotations(self, level: str) -> list[str]:
        return [line for line in self.log.splitlines() if line.startswith(f"::{level}")]

    def the_error(self) -> str:
        """The one error annotation a failed run must end with (and exit status 1)."""
        errors = self.annotations("error")
        if self.returncode != 1 or len(errors) != 1:
            raise AssertionError(f"expected exit 1 with one ::error, got {self.returncode}:\n{self.log}")
        return errors[0]

    @property
    def plan(self) -> dict[str, Any]:
        plan: dict[str, Any] = json.loads(self.outputs["plan"])
        return plan


def run_action(
    *,
    folder: Path,
    event_name: str,
    event: Mapping[str, Any],
    inputs: Mapping[str, str],
    github_api_url: str = "https://api.github.com",
    sha: str = "6113728f27ae82c7b1a177c8d03f9e96e0adf246",
    ref: str | None = None,
    actor: str = "octocat",
    job_token: str = "ghs_jobTokenTheRunnerWouldGive0000",
    run_id: str | None = None,
) -> ActionRun:
    """Run the action once in ``folder`` (created) and collect what the runner would collect."""
    (folder / "workspace").mkdir(parents=True, exist_ok=True)
    event_path = folder / "event.json"
    event_path.write_text(json.dumps(event), encoding="utf-8")
    output_path, summary_path = folder / "set_output", folder / "step_summary"
    output_path.touch()
    summary_path.touch()
    all_inputs = declared_inputs()
    unknown = set(inputs) - set(all_inputs)
    if unknown:
        raise ValueError(f"inputs not declared in action.yml: {sorted(unknown)}")
    all_inputs.update(inputs)
    # The runner evaluates `${{ github.token }}` in a default to the job's token.
    all_inputs = {k: job_token if v == "${{ github.token }}" else v for k, v in all_inputs.items()}
    event_ref = event.get("ref")
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(folder),
        "CI": "true",
        "GITHUB_ACTIONS": "true",
        "GITHUB_ACTOR": actor,
        "GITHUB_EVENT_NAME": event_name,
        "GITHUB_EVENT_PATH": str(event_path),
        "GITHUB_REF": ref or (event_ref if isinstance(event_ref, str) else ""),
        "GITHUB_SHA": sha,
        "GITHUB_REPOSITORY": "acme/notifications",
        # Every workflow run has its own id; a re-run of the same run keeps it (and bumps the attempt).
        "GITHUB_RUN_ID": run_id or str(next(_run_ids)),
        "GITHUB_RUN_ATTEMPT": "1",
        "GITHUB_SERVER_URL": "https://github.com",
        "GITHUB_API_URL": github_api_url,
        "GITHUB_WORKSPACE": str(folder / "workspace"),
        "GITHUB_OUTPUT": str(output_path),
        "GITHUB_STEP_SUMMARY": str(summary_path),
        **{f"INPUT_{name.upper()}": value for name, value in all_inputs.items()},
    }
    with tempfile.TemporaryFile() as stdout, tempfile.TemporaryFile() as stderr:
        start = time.perf_counter()
        process = subprocess.Popen(
            [sys.executable, str(ENTRYPOINT)], env=env, cwd=folder / "workspace", stdout=stdout, stderr=stderr
        )
        watchdog = threading.Timer(180, process.kill)
        watchdog.start()
        try:
            _, status, usage = os.wait4(process.pid, 0)  # wait4: this process's own peak memory
        finally:
            watchdog.cancel()
        seconds = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        stdout.seek(0)
        stderr.seek(0)
        return ActionRun(
            returncode=process.returncode,
            stdout=stdout.read().decode("utf-8"),
            stderr=stderr.read().decode("utf-8"),
            outputs=parse_output_file(output_path.read_text(encoding="utf-8")),
            summary=summary_path.read_text(encoding="utf-8"),
            seconds=seconds,
            max_rss_kb=usage.ru_maxrss,
        )
