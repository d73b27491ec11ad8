"""Mutation testing of the pure core with mutmut 3.8.1: `make mutation` (not part of `make test`).

Each group of modules is mutated on its own and only its own unit tests run against its mutants, so a
score says how well *those* tests pin *that* module down, not how much the end-to-end tests happen to
touch it. Each group runs in a scratch copy, `mutants/<group>/` (git-ignored, removed by `make clean`):
the package, the unit tests (without tests/e2e and tests/contract), action.yml and pyproject.toml with a
`[tool.mutmut]` section added. mutmut makes its own `mutants/` inside that copy, so after a run
`cd mutants/<group> && ../../.venv/bin/mutmut show <mutant>` shows one mutant's diff.

The table counts timeouts as caught (a mutant that hangs would hang the action too). Mutants that
docs/mutation.md lists as equivalent (each name quoted: `novu_action.<module>.<function>__mutmut_<n>`)
leave the denominator of the second score; a listed name that no longer exists or that the tests now
kill is reported, so the list cannot go stale in silence.

    python scripts/mutation.py                 every group
    python scripts/mutation.py target render   some groups
    python scripts/mutation.py --table         the table of the last runs, without running anything
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCRATCH = ROOT / "mutants"
EQUIVALENTS = ROOT / "docs" / "mutation.md"
MUTMUT = Path(sys.executable).parent / "mutmut"
GIT = shutil.which("git") or "git"


@dataclass(frozen=True)
class Group:
    name: str
    modules: tuple[str, ...]
    tests: tuple[str, ...]


GROUPS = (
    Group(name="target", modules=("novu_action/target.py",), tests=("tests/test_target.py",)),
    Group(
        name="settings",
        modules=("novu_action/settings.py", "novu_action/events.py"),
        tests=("tests/test_settings.py", "tests/test_events.py"),
    ),
    Group(
        name="plan",
        modules=(
            "novu_action/plan.py",
            "novu_action/planner.py",
            "novu_action/normalise.py",
            "novu_action/differ.py",
            "novu_action/state.py",
        ),
        tests=(
            "tests/test_plan.py",
            "tests/test_planner.py",
            "tests/test_normalise.py",
            "tests/test_differ.py",
            "tests/test_state.py",
        ),
    ),
    Group(
        name="render",
        modules=("novu_action/render.py", "novu_action/markdown.py"),
        tests=("tests/test_render.py", "tests/test_markdown.py"),
    ),
)

# Statuses as mutmut 3.8.1 names its exit codes (mutmut.stats.status_by_exit_code).
KILLED_CODES = {1, 3}
SURVIVED_CODES = {0}
TIMEOUT_CODES = {-24, 24, 152, 255, 36}
NO_TESTS_CODES = {5, 33}
LEFT_OUT = ("tests/e2e/", "tests/contract/")


@dataclass
class Score:
    module: str
    mutants: int = 0
    killed: int = 0
    survived: int = 0
    timeouts: int = 0
    other: int = 0  # no tests, not checked, suspicious, segfault: counted as not caught
    equivalent: int = 0
    survivors: list[str] = field(default_factory=list)

    @property
    def caught(self) -> int:
        return self.killed + self.timeouts

    def percent(self, *, without_equivalent: bool) -> str:
        total = self.mutants - (self.equivalent if without_equivalent else 0)
        return f"{100 * self.caught / total:.1f} %" if total else "n/a"


def listed_equivalents(path: Path = EQUIVALENTS) -> set[str]:
    """The mutant names docs/mutation.md lists as equivalent: every `novu_action.…__mutmut_N` it quotes."""
    if not path.exists():
        return set()
    return set(re.findall(r"`(novu_action\.[^`\s]+__mutmut_\d+)`", path.read_text("utf-8")))


def scratch_files() -> list[str]:
    """The files a group's copy needs: the package, the unit tests and what they read at the root."""
    listed = subprocess.run(  # noqa: S603 -- git, on this repository
        [GIT, "ls-files", "--cached", "--others", "--exclude-standard", "novu_action", "tests"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.splitlines()
    files = [name for name in listed if not name.startswith(LEFT_OUT) and (ROOT / name).is_file()]
    return [*files, "action.yml", "pyproject.toml"]


def mutmut_section(group: Group) -> str:
    """mutmut 3.x configuration: one group mutated, only its unit tests selected, a low timeout."""
    settings = {
        "source_paths": ["novu_action"],
        "only_mutate": list(group.modules),
        "also_copy": ["action.yml"],  # tests/stand_ins/action_runner.py reads the declared inputs
        "pytest_add_cli_args_test_selection": [test for test in group.tests if (ROOT / test).exists()],
        "pytest_add_cli_args": ["-p", "no:cacheprovider", "--ignore=tests/e2e", "--ignore=tests/contract"],
        "timeout_multiplier": 1.5,
        "use_git_change_detection": False,
    }
    # JSON strings, lists, numbers and booleans are valid TOML values.
    lines = [f"{key} = {json.dumps(value)}" for key, value in settings.items()]
    return "\n[tool.mutmut]\n" + "\n".join(lines) + "\n"


def prepare(group: Group) -> Path:
    where = SCRATCH / group.name
    shutil.rmtree(where, ignore_errors=True)
    for name in scratch_files():
        target = where / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, target)
    with (where / "pyproject.toml").open("a", encoding="utf-8") as pyproject:
        pyproject.write(mutmut_section(group))
    return where


def run(group: Group, max_children: int | None) -> None:
    where = prepare(group)
    command = [str(MUTMUT), "run"]
    if max_children:
        command += ["--max-children", str(max_children)]
    started = time.monotonic()
    print(f"{group.name}: mutating {', '.join(group.modules)} (log: {where / 'mutmut.log'})", flush=True)
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    with (where / "mutmut.log").open("w", encoding="utf-8") as log:
        finished = subprocess.run(  # noqa: S603 -- the venv's own mutmut
            command, cwd=where, stdout=log, stderr=subprocess.STDOUT, env=env, check=False
        )
    minutes = (time.monotonic() - started) / 60
    print(f"{group.name}: mutmut exited {finished.returncode} after {minutes:.1f} min", flush=True)


def scores(group: Group, equivalents: set[str]) -> list[Score]:
    result = []
    for module in group.modules:
        score = Score(module=module)
        meta = SCRATCH / group.name / "mutants" / f"{module}.meta"
        codes: dict[str, int | None] = (
            json.loads(meta.read_text())["exit_code_by_key"] if meta.exists() else {}
        )
        for name, code in sorted(codes.items()):
            score.mutants += 1
            if code in KILLED_CODES:
                score.killed += 1
            elif code in TIMEOUT_CODES:
                score.timeouts += 1
            elif code in SURVIVED_CODES:
                score.survived += 1
            else:
                score.other += 1
            if code not in KILLED_CODES | TIMEOUT_CODES:
                if name in equivalents:
                    score.equivalent += 1
                else:
                    score.survivors.append(name)
        result.append(score)
    return result


def stale(groups: Iterable[Group], equivalents: set[str]) -> list[str]:
    """Listed equivalents that the last runs did not see survive: renamed away, or now killed."""
    seen_surviving: set[str] = set()
    prefixes = []
    for group in groups:
        for module in group.modules:
            prefixes.append(module.removesuffix(".py").replace("/", ".") + ".")
            meta = SCRATCH / group.name / "mutants" / f"{module}.meta"
            if meta.exists():
                codes = json.loads(meta.read_text())["exit_code_by_key"]
                seen_surviving |= {
                    name for name, code in codes.items() if code not in KILLED_CODES | TIMEOUT_CODES
                }
    return sorted(
        name for name in equivalents if name.startswith(tuple(prefixes)) and name not in seen_surviving
    )


def table(groups: Sequence[Group]) -> str:
    equivalents = listed_equivalents()
    header = (
        "module",
        "mutants",
        "killed",
        "survived",
        "timeouts",
        "other",
        "score",
        "equivalent",
        "score excl. eq.",
    )
    rows = [header, tuple("---" for _ in header)]
    survivors: list[str] = []
    for group in groups:
        for score in scores(group, equivalents):
            survivors += score.survivors
            rows.append(
                (
                    f"`{score.module.removeprefix('novu_action/')}`",
                    str(score.mutants),
                    str(score.killed),
                    str(score.survived),
                    str(score.timeouts),
                    str(score.other),
                    score.percent(without_equivalent=False),
                    str(score.equivalent),
                    score.percent(without_equivalent=True),
                )
            )
    lines = ["| " + " | ".join(row) + " |" for row in rows]
    if survivors:
        lines += ["", f"Not caught and not listed as equivalent in {EQUIVALENTS.relative_to(ROOT)}:"]
        lines += [f"  {name}" for name in survivors]
    gone = stale(groups, equivalents)
    if gone:
        lines += ["", "Listed as equivalent but not seen surviving (killed now, or renamed): remove them:"]
        lines += [f"  {name}" for name in gone]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("groups", nargs="*", metavar="group", help=", ".join(group.name for group in GROUPS))
    parser.add_argument("--table", action="store_true", help="print the table of the last runs only")
    parser.add_argument("--max-children", type=int, help="mutmut workers (default: one per core)")
    args = parser.parse_args(argv)
    unknown = set(args.groups) - {group.name for group in GROUPS}
    if unknown:
        parser.error(f"unknown group: {', '.join(sorted(unknown))}")
    chosen = [group for group in GROUPS if not args.groups or group.name in args.groups]
    if not args.table:
        for group in chosen:
            run(group, args.max_children)
    print(table(chosen))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
