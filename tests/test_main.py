from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

from novu_action import main as main_module
from novu_action.settings import input_variable
from tests.factories import push_event
from tests.stand_ins.action_runner import ROOT, declared_inputs, parse_output_file
from tests.stand_ins.scripted_http import closed_port


def environ_for(
    tmp_path: Path, *, event: dict[str, object], event_name: str = "push", **inputs: str
) -> dict[str, str]:
    """What the runner gives the container: every declared input (defaults applied), files, context."""
    event_path, output, summary = tmp_path / "event.json", tmp_path / "output", tmp_path / "summary"
    event_path.write_text(json.dumps(event))
    output.touch()
    summary.touch()
    environ = {input_variable(name): value for name, value in declared_inputs().items()}
    environ.update({input_variable(name.replace("_", "-")): value for name, value in inputs.items()})
    environ.update(
        GITHUB_EVENT_NAME=event_name,
        GITHUB_EVENT_PATH=str(event_path),
        GITHUB_OUTPUT=str(output),
        GITHUB_STEP_SUMMARY=str(summary),
        GITHUB_REPOSITORY="acme/notifications",
        GITHUB_RUN_ID="31",
    )
    return environ


def run_main(environ: dict[str, str]) -> tuple[int, str, dict[str, str], str]:
    stream = io.StringIO()
    code = main_module.main(stream=stream, environ=environ)
    outputs = parse_output_file(Path(environ["GITHUB_OUTPUT"]).read_text())
    return code, stream.getvalue(), outputs, Path(environ["GITHUB_STEP_SUMMARY"]).read_text()


def test_skip_is_a_notice_a_summary_and_outputs(tmp_path):
    code, log, outputs, summary = run_main(
        environ_for(tmp_path, event=push_event("feature/x"), secret_key="sk_1")
    )
    assert code == 0
    assert (outputs["mode"], outputs["success"], outputs["result"]) == ("skip", "true", "{}")
    assert [line for line in log.splitlines() if line.startswith("::notice title=Novu sync skipped::")]
    assert "feature/x" in summary


def test_input_errors_leave_mode_empty_and_success_false(tmp_path):
    code, log, outputs, summary = run_main(environ_for(tmp_path, event=push_event("dev"), mode="sideways"))
    assert code == 1
    assert (outputs["mode"], outputs["success"], outputs["environment"]) == ("", "false", "")
    errors = [line for line in log.splitlines() if line.startswith("::error")]
    assert len(errors) == 1
    assert "title=Invalid inputs" in errors[0]
    assert "sideways" in errors[0]
    assert "Invalid inputs" in summary


def test_an_unexpected_exception_is_one_annotation_without_traceback_or_secret(tmp_path, monkeypatch):
    environ = environ_for(
        tmp_path,
        event=push_event("dev"),
        secret_key="sk_unit_secret_2",
        bridge_url="https://bridge.example.com/api/novu",
        api_url="http://127.0.0.1:9",
    )

    def explode(**_: object) -> None:
        raise RuntimeError("boom while holding sk_unit_secret_2")

    monkeypatch.setattr(main_module, "run", explode)
    code, log, outputs, summary = run_main(environ)
    errors = [line for line in log.splitlines() if line.startswith("::error")]
    assert code == 1
    assert len(errors) == 1
    assert "title=Unexpected error" in errors[0]
    assert "RuntimeError" in errors[0]
    assert "Traceback" not in log
    visible = "\n".join(line for line in log.splitlines() if not line.startswith("::add-mask::"))
    assert "sk_unit_secret_2" not in visible
    assert "sk_unit_secret_2" not in summary
    assert outputs["success"] == "false"


def test_a_run_that_reaches_no_novu_fails_with_one_error_that_names_the_environment(tmp_path):
    environ = environ_for(
        tmp_path,
        event=push_event("dev"),
        secret_key="sk_unit_secret_4",
        bridge_url="https://bridge.example.com/api/novu",
        api_url=f"http://127.0.0.1:{closed_port()}",
        timeout="1",
    )
    code, log, outputs, summary = run_main(environ)
    errors = [line for line in log.splitlines() if line.startswith("::error")]
    assert code == 1
    assert len(errors) == 1
    assert "title=Novu API did not answer (Development)" in errors[0]
    assert (outputs["mode"], outputs["environment"], outputs["success"]) == ("sync", "Development", "false")
    assert "❌ The sync into **Development** failed." in summary


def test_secrets_are_masked_before_anything_else_is_printed(tmp_path):
    environ = environ_for(
        tmp_path,
        event=push_event("dev"),
        secret_key="sk_unit_secret_3",
        bridge_url="https://bridge.example.com/api/novu?x-vercel-protection-bypass=bypass987",
        mode="sideways",
    )
    _, log, _, _ = run_main(environ)
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
