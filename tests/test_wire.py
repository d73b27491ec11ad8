"""What both clients share about reading answers: JSON that may not be JSON, content types, first problems."""

from __future__ import annotations

import gc

import pytest
from pydantic import ValidationError

from novu_action.http import HttpResponse
from novu_action.wire import (
    WireModel,
    content_type,
    first_problem,
    json_object,
    looks_like_html,
    parse_json,
    paused_gc,
)


def answer(body: bytes = b"", content: str | None = None) -> HttpResponse:
    headers = {"content-type": content} if content is not None else {}
    return HttpResponse(status=200, headers=headers, body=body)


@pytest.mark.parametrize(
    ("body", "parsed"),
    [
        (b'{"a": [1, "\xc3\xa9"]}', {"a": [1, "é"]}),
        (b"[1, 2]", [1, 2]),
        (b'"text"', "text"),
        (b"", None),
        (b"  \r\n ", None),
        (b"<html></html>", None),
        (b'{"a": ', None),
        (b"\xff\xfe", None),
    ],
)
def test_parse_json_returns_none_for_anything_that_is_not_json(body: bytes, parsed: object) -> None:
    assert parse_json(body) == parsed


def test_parsing_leaves_the_garbage_collector_as_it_found_it() -> None:
    assert gc.isenabled()
    parse_json(b'{"workflows": []}')
    parse_json(b"not json")
    assert gc.isenabled()
    gc.disable()
    try:
        with paused_gc():
            assert not gc.isenabled()
        assert not gc.isenabled()  # a caller that disabled it keeps it disabled
    finally:
        gc.enable()


def test_paused_gc_resumes_after_an_error() -> None:
    with pytest.raises(RuntimeError), paused_gc():
        raise RuntimeError("boom")
    assert gc.isenabled()


def test_json_object_is_only_an_object() -> None:
    assert json_object(answer(b'{"data": 1}')) == {"data": 1}
    assert json_object(answer(b"[1]")) is None
    assert json_object(answer(b"null")) is None
    assert json_object(answer(b"<html>")) is None


def test_content_type_is_named_without_parameters_and_cleaned() -> None:
    assert content_type(answer(content="text/html; charset=utf-8")) == "content-type text/html"
    assert content_type(answer()) == "no content-type"
    assert content_type(answer(content="  ")) == "no content-type"
    shown = content_type(answer(content="text/x\x1b[31m" + "y" * 100))
    assert "\x1b" not in shown
    assert len(shown) <= len("content-type ") + 60


@pytest.mark.parametrize(
    ("response", "html"),
    [
        (answer(b"Log in", "text/html"), True),
        (answer(b"  \n<!doctype html>", None), True),
        (answer(b"<html>", "text/plain"), True),
        (answer(b'{"a":1}', "application/json"), False),
        (answer(b"Authentication Required", "text/plain"), False),
    ],
)
def test_looks_like_html_by_content_type_or_first_character(response: HttpResponse, html: bool) -> None:
    assert looks_like_html(response) is html


class _Step(WireModel):
    stepId: str


class _Workflow(WireModel):
    steps: list[_Step]


def test_first_problem_names_the_path_and_hides_secrets() -> None:
    with pytest.raises(ValidationError) as caught:
        _Workflow.model_validate({"steps": [{"stepId": "a"}, {"tok3n-value": 1}]})
    assert first_problem(caught.value) == "steps.1.stepId: Field required"
    assert first_problem(caught.value, where=("data",)) == "data.steps.1.stepId: Field required"
    assert first_problem(caught.value, secrets=("stepId",)) == "steps.1.REDACTED: Field required"


def test_first_problem_at_the_top_level_says_so() -> None:
    with pytest.raises(ValidationError) as caught:
        _Workflow.model_validate([1])
    assert first_problem(caught.value).startswith("the top level: ")


def test_first_problem_never_quotes_the_input() -> None:
    with pytest.raises(ValidationError) as caught:
        _Step.model_validate({"stepId": {"secret": "sk_live_do_not_print"}})
    assert "sk_live_do_not_print" not in first_problem(caught.value)


def test_wire_models_keep_fields_a_newer_server_adds() -> None:
    step = _Step.model_validate({"stepId": "a", "newField": {"x": 1}})
    assert step.model_extra == {"newField": {"x": 1}}
