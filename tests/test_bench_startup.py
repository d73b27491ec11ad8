"""scripts/bench_startup.py: the image's layout leaves nothing to compile at start. Not a timed test:
one round of each kind, and only what they compiled and that they ran is checked."""

from __future__ import annotations

from pathlib import Path

from scripts.bench_startup import measure_startup, runtime_distributions

ROOT = Path(__file__).resolve().parents[1]


def test_runtime_distributions_are_the_pins_of_requirements_txt():
    names = runtime_distributions()

    assert names[:3] == ["requests", "pydantic", "PyGithub"]
    pins = (ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines()
    assert len(names) == sum(1 for line in pins if "==" in line)


def test_precompiled_read_only_layout_compiles_nothing_at_start():
    times = measure_startup(repeat=1)

    assert times.compiled_image == 0
    # Without bytecode the same start compiles the action, its dependencies and the standard library.
    assert times.compiled_cold > 50
    assert min(times.cold, times.image, times.warm) > 0
