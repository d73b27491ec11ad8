"""The README shows what the project does, not what it once did: its sample comment is the demo's, its
example workflow is the file users copy, and its layout names every module."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import pytest

from scripts.demo import readme_comment, run_demo

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def block(name: str) -> str:
    return README.split(f"<!-- {name}:start -->\n", 1)[1].split(f"\n<!-- {name}:end -->", 1)[0]


def test_the_quick_start_workflow_is_the_example_file():
    shown = block("example-workflow").removeprefix("```yaml\n").removesuffix("\n```")
    assert shown == (ROOT / "examples" / "workflows" / "novu.yml").read_text(encoding="utf-8").rstrip("\n")


def test_the_layout_names_every_module_and_no_other():
    layout = README.split("### Layout\n", 1)[1].split("```\n", 2)[1]
    listed = set(re.findall(r"^  ([a-z_]+\.py)", layout, re.MULTILINE))
    modules = {path.name for path in (ROOT / "novu_action").glob("*.py")} - {"__init__.py", "__main__.py"}
    assert listed == modules


@pytest.mark.e2e
def test_the_sample_comment_is_the_demos_comment():
    """`make demo`'s pull request comment, exactly; after an intended change run
    `.venv/bin/python scripts/demo.py --update-readme` and review the diff."""
    with tempfile.TemporaryDirectory() as tmp:
        demo = run_demo(Path(tmp))
    assert demo.ok
    assert readme_comment(README) == demo.comment.rstrip("\n")
