"""action.yml is the interface's one source: the settings model, the masking, the outputs a run writes and the
README's tables are checked against it, so none of them can drift unnoticed."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from pydantic import SecretStr
from ruamel.yaml import YAML

from novu_action.main import main, mask_inputs
from novu_action.report import RunResult, Status
from novu_action.runner import Runner
from novu_action.settings import Inputs, input_variable
from tests.stand_ins.action_runner import parse_output_file

ROOT = Path(__file__).resolve().parents[1]
ACTION_YML = (ROOT / "action.yml").read_text(encoding="utf-8")
README = (ROOT / "README.md").read_text(encoding="utf-8")
EXPRESSION = re.compile(r"\$\{\{.*\}\}")


def interface(action_yml: str) -> tuple[dict[str, str | None], list[str]]:
    """The inputs with their defaults (``None`` when the runner gives an empty string) and the outputs."""
    document = YAML(typ="safe").load(action_yml)
    inputs = {
        name: None if spec.get("default") is None else str(spec["default"]).strip()
        for name, spec in document["inputs"].items()
    }
    return inputs, list(document["outputs"])


def readme_table(readme: str, heading: str) -> dict[str, str]:
    """``name → default`` (the second column) of the README table under ``heading``; a row may name
    several inputs or outputs."""
    section = readme.split(f"\n## {heading}\n", 1)[1].split("\n## ", 1)[0]
    rows: dict[str, str] = {}
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if (
            not line.startswith("|")
            or len(cells) < 2
            or set(cells[0]) <= {"-", " "}
            or cells[0] in ("input", "output")
        ):
            continue
        for name in re.findall(r"`([a-z0-9-]+)`", cells[0]):
            rows[name] = cells[1]
    return rows


def drift(action_yml: str, readme: str) -> list[str]:
    """Every way the model, the masking, the outputs or the README disagree with ``action_yml``."""
    inputs, outputs = interface(action_yml)
    problems: list[str] = []
    declared, modelled = set(inputs), set(Inputs.input_names)
    problems += [
        f"input {n} is in action.yml but not in settings.Inputs" for n in sorted(declared - modelled)
    ]
    problems += [
        f"input {n} is in settings.Inputs but not in action.yml" for n in sorted(modelled - declared)
    ]
    unset = Inputs.from_values({})
    for name in sorted(declared & modelled):
        default = inputs[name]
        if default is None or EXPRESSION.search(default):
            if unset.secret_value(name) is not None and default is None:
                problems.append(f"input {name} has no default in action.yml but one in settings.Inputs")
            continue
        given = Inputs.from_values({name: default})
        if given.secret_value(name) != unset.secret_value(name):
            problems.append(f"input {name}: action.yml's default {default!r} differs from settings.Inputs'")
    written = list(RunResult(Status.SKIPPED, mode="skip").outputs())
    if written != outputs:
        problems.append(f"a run writes the outputs {written}, action.yml declares {outputs}")
    documented_inputs, documented_outputs = readme_table(readme, "Inputs"), readme_table(readme, "Outputs")
    if set(documented_inputs) != declared:
        problems.append(f"README inputs differ: {sorted(set(documented_inputs) ^ declared)}")
    for name, default in inputs.items():
        shown = documented_inputs.get(name, "")
        if default and not EXPRESSION.search(default) and default.split("\n")[0] not in shown:
            problems.append(f"README's default for {name} does not show {default!r}")
    if set(documented_outputs) != set(outputs):
        problems.append(f"README outputs differ: {sorted(set(documented_outputs) ^ set(outputs))}")
    return problems


def test_action_yml_the_settings_the_outputs_and_the_readme_agree():
    assert drift(ACTION_YML, README) == []


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (
            lambda a, r: (a.replace("\ninputs:\n", "\ninputs:\n  extra-input:\n    description: x\n"), r),
            "extra-input",
        ),
        (lambda a, r: (a.replace("default: /api/novu", "default: /novu"), r), "bridge-path"),
        (lambda a, r: (a.replace('default: "30"', 'default: "45"'), r), "timeout"),
        (lambda a, r: (a.replace("  comment-url:\n", "  comment-link:\n"), r), "comment-link"),
        (lambda a, r: (a, r.replace("| `fail-on-refusal` |", "| fail-on-refusal |")), "fail-on-refusal"),
        (lambda a, r: (a, r.replace("| `plan` |", "| plan |")), "plan"),
    ],
    ids=[
        "input-added",
        "default-changed",
        "number-default-changed",
        "output-renamed",
        "readme-input-row",
        "readme-output-row",
    ],
)
def test_the_check_fails_when_one_side_drifts(mutate, expected):
    action_yml, readme = mutate(ACTION_YML, README)
    assert action_yml != ACTION_YML or readme != README, "the mutation did not apply"
    assert any(expected in problem for problem in drift(action_yml, readme))


def test_every_secret_input_is_masked_before_validation_and_nothing_else():
    values = {name: f"value-of-{name}-0123456789" for name in Inputs.input_names}
    stream = io.StringIO()
    mask_inputs(
        Runner(stream=stream, output_path=None, summary_path=None),
        {input_variable(n): v for n, v in values.items()},
    )
    masked = {line.removeprefix("::add-mask::") for line in stream.getvalue().splitlines()}
    secrets = {values[name] for name in Inputs.secret_inputs()}
    assert masked == secrets
    assert set(Inputs.secret_inputs()) == {
        name for name in Inputs.input_names if name.endswith(("-key", "-secret", "-token"))
    }, "an input named like a secret must be typed SecretStr, so that it is masked"
    for field in Inputs.model_fields.values():
        if str(field.alias) in Inputs.secret_inputs():
            assert SecretStr in (field.annotation, *getattr(field.annotation, "__args__", ()))


def test_query_values_of_url_inputs_are_masked_before_validation():
    stream = io.StringIO()
    environ = {
        input_variable(name): f"https://bridge.example/api/novu?token=tok-{name}"
        for name in Inputs.query_secret_inputs()
    }
    environ[input_variable("bridge-path")] = "/api/novu?x-vercel-protection-bypass=tok-path"
    mask_inputs(Runner(stream=stream, output_path=None, summary_path=None), environ)
    masked = {line.removeprefix("::add-mask::") for line in stream.getvalue().splitlines()}
    assert {f"tok-{name}" for name in Inputs.query_secret_inputs() if name != "bridge-path"} | {
        "tok-path"
    } <= masked


def test_a_run_writes_exactly_the_declared_outputs(tmp_path):
    outputs = tmp_path / "output"
    outputs.touch()
    environ = {input_variable(name): "" for name in Inputs.input_names}
    environ.update(
        GITHUB_EVENT_NAME="issues", GITHUB_OUTPUT=str(outputs), GITHUB_STEP_SUMMARY=str(tmp_path / "summary")
    )
    assert main(stream=io.StringIO(), environ=environ) == 0
    assert list(parse_output_file(outputs.read_text())) == interface(ACTION_YML)[1]
