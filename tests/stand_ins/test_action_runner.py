from __future__ import annotations

import pytest

from tests.stand_ins.action_runner import ActionRun, declared_inputs, parse_output_file


def test_every_input_is_declared_with_the_runner_default():
    inputs = declared_inputs()
    assert inputs["mode"] == "auto"
    assert inputs["branch-map"] == "dev=Development\nmain=Production\n"
    assert inputs["github-token"] == "${{ github.token }}"
    assert inputs["secret-key"] == ""
    assert inputs["timeout"] == "30"
    assert inputs["fail-on-refusal"] == "false"
    assert inputs["discover-file"] == ""


def test_output_file_parses_both_forms_like_the_runner():
    text = "mode=sync\nplan<<EOF_1\n{\n}\nEOF_1\nempty<<D\n\nD\n"
    assert parse_output_file(text) == {"mode": "sync", "plan": "{\n}", "empty": ""}


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("plan<<D\nvalue\n", "Matching delimiter not found"),
        ("mode=sync", "EOF marker missing new line"),
        ("just text\n", "Invalid format"),
    ],
)
def test_malformed_output_files_fail_like_the_runner_fails_the_step(text, error):
    with pytest.raises(ValueError, match=error):
        parse_output_file(text)


def test_the_error_demands_exit_1_and_exactly_one_error_annotation():
    def run(code, log):
        return ActionRun(returncode=code, stdout=log, stderr="", outputs={}, summary="")

    assert run(1, "::add-mask::x\n::error title=T::what to do\n").the_error() == "::error title=T::what to do"
    for code, log in [(0, "::error::x\n"), (1, "::error::a\n::error::b\n"), (1, "no annotation\n")]:
        with pytest.raises(AssertionError):
            run(code, log).the_error()
