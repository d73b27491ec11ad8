"""Start-up of the action as a fresh container sees it, three ways. Prints medians; asserts nothing.

Every run is entrypoint.py for a run that skips (``mode: auto`` on an ``issues`` event), started in a
subprocess with the environment the runner gives a container: every input of action.yml as
``INPUT_*``, the ``GITHUB_*`` context, an event payload, fresh output and summary files.

- **cold**: no bytecode anywhere, which is what the image built with ``--no-compile`` and
  ``PYTHONDONTWRITEBYTECODE=1`` did on every start (the official python image ships no ``.pyc``
  either). Each run gets a fresh, empty ``PYTHONPYCACHEPREFIX``, so every module it imports —
  standard library, site-packages and the action's own — is compiled from source, and nothing is
  written.
- **image**: as the image does now. The action's code and the runtime distributions of
  requirements.txt are copied into a fresh virtual environment, compiled once with compileall
  (``--invalidation-mode unchecked-hash``, as the Dockerfile does), made read-only, and run with
  ``PYTHONDONTWRITEBYTECODE=1``. The standard library uses the interpreter's own bytecode here;
  the Dockerfile compiles the image's standard library the same way.
- **warm**: a normal run from this checkout with its ``__pycache__`` already filled.

For cold and image it also counts the modules compiled from source while the action starts (a
probe run, not timed): the image layout must compile nothing.

Run it with the project's virtual environment (``.venv/bin/python scripts/bench_startup.py``): the
runtime dependencies are copied from the interpreter that runs this script.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
import venv
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.stand_ins.action_runner import declared_inputs, parse_output_file  # noqa: E402 — needs ROOT on sys.path

# Runs in the probe interpreter: counts the modules that the import system compiles from source
# while entrypoint.py runs. SourceLoader.source_to_code is called only when no usable bytecode is found.
PROBE = """
import json, runpy, sys
import importlib._bootstrap_external as external

compiled = []
original = external.SourceLoader.source_to_code

def spy(self, data, path, *args, **kwargs):
    compiled.append(str(path))
    return original(self, data, path, *args, **kwargs)

external.SourceLoader.source_to_code = spy
report, entrypoint = sys.argv[1], sys.argv[2]
sys.argv = [entrypoint]
try:
    runpy.run_path(entrypoint, run_name="__main__")
except SystemExit as done:
    if done.code not in (0, None):
        raise
with open(report, "w", encoding="utf-8") as out:
    json.dump(compiled, out)
"""


@dataclass(frozen=True)
class StartupTimes:
    """Median wall-clock seconds of one start-up, and modules compiled from source at start."""

    cold: float
    image: float
    warm: float
    compiled_cold: int
    compiled_image: int

    @property
    def cold_minus_warm(self) -> float:
        return self.cold - self.warm

    @property
    def image_minus_warm(self) -> float:
        return self.image - self.warm


@dataclass(frozen=True)
class _Layout:
    python: Path
    entrypoint: Path
    extra_env: Mapping[str, str]


def runtime_distributions(requirements: Path = ROOT / "requirements.txt") -> list[str]:
    """The distribution names pinned in requirements.txt (what the Dockerfile installs)."""
    names = []
    for line in requirements.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line and not line.startswith("-"):
            names.append(re.split(r"[=<>!~\[; ]", line, maxsplit=1)[0])
    return names


def _copy_distribution(name: str, site_packages: Path) -> None:
    try:
        dist = importlib.metadata.distribution(name)
    except importlib.metadata.PackageNotFoundError:
        raise SystemExit(
            f"{name} is not installed for {sys.executable}; run this with the project's .venv"
        ) from None
    for file in dist.files or ():
        if file.parts[0] == ".." or "__pycache__" in file.parts or file.suffix == ".pyc":
            continue  # console scripts live outside site-packages; bytecode is made fresh below
        source = Path(str(dist.locate_file(file)))
        if source.is_file():
            target = site_packages / file
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)


def _compile(python: Path, path: Path) -> None:
    """The Dockerfile's compile step, with the interpreter that will run the code."""
    command = [str(python), "-m", "compileall", "-q", "-j", "0", "--invalidation-mode", "unchecked-hash"]
    subprocess.run([*command, str(path)], check=True)  # noqa: S603 — our own interpreter and files


def _set_writable(root: Path, writable: bool) -> None:
    for folder, _, files in os.walk(root):
        for item in [folder, *(str(Path(folder) / f) for f in files)]:
            mode = Path(item).stat().st_mode
            Path(item).chmod(mode | 0o200 if writable else mode & ~0o222)


@contextmanager
def _image_layout(folder: Path) -> Iterator[_Layout]:
    """The image's layout: a virtual environment holding only the runtime distributions, the code
    beside it, everything compiled once and then read-only."""
    environment = folder / "venv"
    venv.EnvBuilder(with_pip=False, symlinks=True).create(environment)
    python = environment / "bin" / "python"
    purelib = sysconfig.get_path("purelib", vars={"base": str(environment), "platbase": str(environment)})
    site_packages = Path(purelib)
    for name in runtime_distributions():
        _copy_distribution(name, site_packages)
    app = folder / "app"
    app.mkdir()
    shutil.copy2(ROOT / "entrypoint.py", app / "entrypoint.py")
    shutil.copytree(ROOT / "novu_action", app / "novu_action", ignore=shutil.ignore_patterns("__pycache__"))
    _compile(python, site_packages)
    _compile(python, app / "novu_action")
    _set_writable(folder, writable=False)
    try:
        yield _Layout(python, app / "entrypoint.py", {"PYTHONDONTWRITEBYTECODE": "1"})
    finally:
        _set_writable(folder, writable=True)


def runner_environment(folder: Path) -> dict[str, str]:
    """What the runner gives the container for an ``issues`` event with ``mode: auto`` (a skip)."""
    workspace = folder / "workspace"
    workspace.mkdir(parents=True, exist_ok=True)
    event = folder / "event.json"
    event.write_text(
        json.dumps({"action": "opened", "issue": {"number": 1}, "repository": {"full_name": "acme/app"}}),
        encoding="utf-8",
    )
    token = "ghs_benchJobToken0000000000000000000"  # noqa: S105 — never sent anywhere
    inputs = {
        name: token if value == "${{ github.token }}" else value for name, value in declared_inputs().items()
    }
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(folder),
        "CI": "true",
        "GITHUB_ACTIONS": "true",
        "GITHUB_EVENT_NAME": "issues",
        "GITHUB_EVENT_PATH": str(event),
        "GITHUB_REF": "refs/heads/main",
        "GITHUB_SHA": "6113728f27ae82c7b1a177c8d03f9e96e0adf246",
        "GITHUB_REPOSITORY": "acme/app",
        "GITHUB_RUN_ID": "1",
        "GITHUB_RUN_ATTEMPT": "1",
        "GITHUB_SERVER_URL": "https://github.com",
        "GITHUB_API_URL": "https://api.github.com",
        "GITHUB_WORKSPACE": str(workspace),
        "GITHUB_OUTPUT": str(folder / "set_output"),
        "GITHUB_STEP_SUMMARY": str(folder / "step_summary"),
        **{f"INPUT_{name.upper()}": value for name, value in inputs.items()},
    }


def _start(layout: _Layout, env: Mapping[str, str], folder: Path, argv: list[str] | None = None) -> float:
    """One start-up; returns its wall-clock seconds. Fails unless the run skipped."""
    for name in ("set_output", "step_summary"):
        (folder / name).write_text("", encoding="utf-8")
    command = [str(layout.python), *(argv or [str(layout.entrypoint)])]
    started = time.perf_counter()
    done = subprocess.run(  # noqa: S603 — our own interpreter and files
        command, env={**env, **layout.extra_env}, cwd=folder / "workspace", capture_output=True, check=False
    )
    elapsed = time.perf_counter() - started
    outputs = parse_output_file((folder / "set_output").read_text(encoding="utf-8"))
    if done.returncode != 0 or outputs.get("mode") != "skip":
        log = (done.stdout + done.stderr).decode(errors="replace")
        raise RuntimeError(f"expected a run that skips, got exit {done.returncode}:\n{log}")
    return elapsed


def _compiled_at_start(layout: _Layout, env: Mapping[str, str], folder: Path) -> list[str]:
    report = folder / "compiled.json"
    _start(layout, env, folder, ["-c", PROBE, str(report), str(layout.entrypoint)])
    compiled: list[str] = json.loads(report.read_text(encoding="utf-8"))
    return compiled


def measure_startup(*, repeat: int = 7) -> StartupTimes:
    """Median start-up of a skipping run, cold, as the image runs it, and warm; ``repeat`` rounds,
    the three ways interleaved in each round."""
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as tmp:
        folder = Path(tmp)
        env = runner_environment(folder)
        prefixes = folder / "pycache-prefixes"
        prefixes.mkdir()
        rounds = iter(range(1_000_000))

        def cold() -> _Layout:
            fresh = prefixes / str(next(rounds))
            fresh.mkdir()
            extra = {"PYTHONDONTWRITEBYTECODE": "1", "PYTHONPYCACHEPREFIX": str(fresh)}
            return _Layout(Path(sys.executable), ROOT / "entrypoint.py", extra)

        warm = _Layout(Path(sys.executable), ROOT / "entrypoint.py", {})
        with _image_layout(folder / "image") as image:
            compiled_cold = len(_compiled_at_start(cold(), env, folder))
            compiled_image = len(_compiled_at_start(image, env, folder))
            _start(warm, env, folder)  # fills this checkout's __pycache__
            samples: dict[str, list[float]] = {"cold": [], "image": [], "warm": []}
            for _ in range(repeat):
                samples["cold"].append(_start(cold(), env, folder))
                samples["image"].append(_start(image, env, folder))
                samples["warm"].append(_start(warm, env, folder))
    return StartupTimes(
        cold=statistics.median(samples["cold"]),
        image=statistics.median(samples["image"]),
        warm=statistics.median(samples["warm"]),
        compiled_cold=compiled_cold,
        compiled_image=compiled_image,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0] if __doc__ else None)
    parser.add_argument("--repeat", type=int, default=7, help="runs of each kind (default 7)")
    args = parser.parse_args(argv)
    times = measure_startup(repeat=args.repeat)
    print(f"start-up of a run that skips, median of {args.repeat}:")
    print(
        f"  cold, no bytecode (the old image):         {times.cold * 1000:7.1f} ms"
        f"  ({times.compiled_cold} modules compiled at start)"
    )
    print(
        f"  as the image runs it (precompiled, r/o):   {times.image * 1000:7.1f} ms"
        f"  ({times.compiled_image} modules compiled at start)"
    )
    print(f"  warm (cached bytecode):                    {times.warm * 1000:7.1f} ms")
    print(f"  cold - warm:                               {times.cold_minus_warm * 1000:7.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
