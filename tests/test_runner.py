from __future__ import annotations

import io
import re

import pytest

from novu_action.runner import Runner, escape_data, escape_property


def parse_outputs(text: str) -> dict[str, str]:
    """Parse GITHUB_OUTPUT the way the runner does (EnvFileKeyValuePairs)."""
    outputs: dict[str, str] = {}
    lines = text.split("\n")
    assert lines[-1] == "", "the file must end with a newline"
    index = 0
    while index < len(lines) - 1:
        line = lines[index]
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delimiter = line.split("<<", 1)
            end = lines.index(delimiter, index + 1)
            outputs[name] = "\n".join(lines[index + 1 : end])
            index = end + 1
        else:
            name, value = line.split("=", 1)
            outputs[name] = value
            index += 1
    return outputs


@pytest.fixture
def runner(tmp_path):
    stream = io.StringIO()
    return Runner(stream=stream, output_path=tmp_path / "out", summary_path=tmp_path / "summary"), stream


def test_escaping_follows_the_toolkit():
    assert escape_data("50%\r\nnext") == "50%25%0D%0Anext"
    assert escape_property("a:b,c%") == "a%3Ab%2Cc%25"


def test_annotation_escapes_title_and_message(runner):
    run, stream = runner
    run.annotate("error", "line one\nline two: 100%", title="Bad: thing, really")
    assert stream.getvalue() == "::error title=Bad%3A thing%2C really::line one%0Aline two: 100%25\n"


def test_secrets_are_masked_before_use_and_never_printed(runner, tmp_path):
    run, stream = runner
    run.add_mask("sk_secret_value")
    run.annotate("error", "key sk_secret_value rejected", title="sk_secret_value")
    run.log("the key is sk_secret_value")
    run.set_outputs({"result": "sk_secret_value"})
    run.write_summary("sk_secret_value")
    printed = stream.getvalue()
    assert printed.startswith("::add-mask::sk_secret_value\n")
    assert printed.count("sk_secret_value") == 1  # only inside the add-mask command itself
    assert "sk_secret_value" not in (tmp_path / "out").read_text()
    assert "sk_secret_value" not in (tmp_path / "summary").read_text()


def test_multiline_secret_masks_each_line(runner):
    run, stream = runner
    run.add_mask("first\nsecond")
    commands = stream.getvalue().splitlines()
    assert "::add-mask::first" in commands
    assert "::add-mask::second" in commands
    assert "::add-mask::first%0Asecond" in commands


def test_untrusted_text_cannot_become_a_workflow_command(runner):
    run, stream = runner
    run.log("workflow name:\n::error::injected\n##[warning]also injected")
    lines = stream.getvalue().splitlines()
    assert re.fullmatch(r"::stop-commands::[0-9a-f]{32}", lines[0])
    token = lines[0].split("::")[2]
    assert lines[-1] == f"::{token}::"


def test_plain_text_is_printed_as_is(runner):
    run, stream = runner
    run.log("Plan: 1 create")
    assert stream.getvalue() == "Plan: 1 create\n"


def test_outputs_use_heredoc_and_survive_multiline_values(runner, tmp_path):
    run, _ = runner
    values = {"plan": '{"a":1}\nEOF\nx=y', "mode": "sync", "comment-url": ""}
    run.set_outputs(values)
    assert parse_outputs((tmp_path / "out").read_text()) == values


def test_group_is_closed_even_on_error(runner):
    run, stream = runner
    with pytest.raises(RuntimeError), run.group("Discover"):
        raise RuntimeError
    assert stream.getvalue() == "::group::Discover\n::endgroup::\n"
