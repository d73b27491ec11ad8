from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from novu_action import main as main_module
from tests.conftest import push_event
from tests.stand_ins.action_runner import ROOT, parse_output_file


@pytest.fixture
def files(tmp_path, monkeypatch):
    output, summary = tmp_path / "output", tmp_path / "summary"
    output.touch()
    summary.touch()
    monkeypatch.setenv("GITHUB_OUTPUT", str(output))
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    return output, summary


def run_main() -> tuple[int, str]:
    stream = io.StringIO()
    code = main_module.main(stream=stream)
    return code, stream.getvalue()


def test_skip_is_a_notice_a_summary_and_outputs(action_env, files):
    action_env(event=push_event("feature/x"), secret_key="sk_unit_secret_1")
    code, log = run_main()
    output, summary = files
    outputs = parse_output_file(output.read_text())
    assert code == 0
    assert outputs["mode"] == "skip"
    assert outputs["success"] == "true"
    assert outputs["result"] == "{}"
    assert [line for line in log.splitlines() if line.startswith("::notice")]
    assert "feature/x" in summary.read_text()


def test_input_errors_leave_mode_empty_and_success_false(action_env, files):
    action_env(mode="sideways")
    code, log = run_main()
    outputs = parse_output_file(files[0].read_text())
    assert code == 1
    assert (outputs["mode"], outputs["success"], outputs["environment"]) == ("", "false", "")
    assert len([line for line in log.splitlines() if line.startswith("::error")]) == 1
    assert "Invalid inputs" in files[1].read_text()


def test_an_unexpected_exception_is_one_annotation_without_traceback_or_secret(
    action_env, files, monkeypatch
):
    action_env(
        event=push_event("dev"),
        secret_key="sk_unit_secret_2",
        bridge_url="https://bridge.example.com/api/novu",
        api_url="http://127.0.0.1:9",
    )

    def explode(**_: object) -> None:
        raise RuntimeError("boom while holding sk_unit_secret_2")

    monkeypatch.setattr(main_module, "_run", explode)
    code, log = run_main()
    errors = [line for line in log.splitlines() if line.startswith("::error")]
    assert code == 1
    assert len(errors) == 1
    assert "title=Unexpected error" in errors[0]
    assert "RuntimeError" in errors[0]
    assert "Traceback" not in log
    visible = "\n".join(line for line in log.splitlines() if not line.startswith("::add-mask::"))
    assert "sk_unit_secret_2" not in visible
    assert "sk_unit_secret_2" not in files[1].read_text()
    assert parse_output_file(files[0].read_text())["success"] == "false"


def test_secrets_are_masked_before_anything_else_is_printed(action_env, files):
    action_env(
        event=push_event("dev"),
        secret_key="sk_unit_secret_3",
        bridge_url="https://bridge.example.com/api/novu?x-vercel-protection-bypass=bypass987",
        mode="sideways",
    )
    _, log = run_main()
    lines = log.splitlines()
    assert lines[0] == "::add-mask::sk_unit_secret_3"
    assert "::add-mask::bypass987" in lines[:3]


IMPORT_PROBE = textwrap.dedent(
    """
    import sys
    from novu_action.main import main
    main()
    heavy = ("requests", "urllib3", "github")
    print("IMPORTED", sorted(name for name in heavy if name in sys.modules))
    """
)


def test_runs_that_never_reach_the_network_import_no_http_or_github_stack(tmp_path):
    event = tmp_path / "event.json"
    event.write_text(json.dumps(push_event("feature/x")))
    env = {
        "PATH": os.environ.get("PATH", ""),
        "GITHUB_EVENT_NAME": "push",
        "GITHUB_EVENT_PATH": str(event),
        "INPUT_SECRET-KEY": "sk_probe",
    }
    completed = subprocess.run(
        [sys.executable, "-c", IMPORT_PROBE], env=env, cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert "IMPORTED []" in completed.stdout


def test_entrypoint_is_importable_from_any_working_directory(tmp_path):
    completed = subprocess.run(
        [sys.executable, str(Path(ROOT) / "entrypoint.py")],
        env={"PATH": os.environ.get("PATH", ""), "GITHUB_EVENT_NAME": "issues"},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert "::notice title=Novu sync skipped::" in completed.stdout
