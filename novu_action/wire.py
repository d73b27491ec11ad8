"""What the bridge client and the Novu API client share about reading answers: JSON, models, content types.

Answers are remote text. Models accept fields they do not know (newer servers add some); problems are
described with ``redaction.remote_text`` so that no remote text reaches a message unescaped or unbounded.
"""

from __future__ import annotations

import gc
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TypeVar

import pydantic_core
from pydantic import BaseModel, ConfigDict, ValidationError

from novu_action.redaction import remote_text

if TYPE_CHECKING:
    from novu_action.http import HttpResponse

Model = TypeVar("Model", bound=BaseModel)


class WireModel(BaseModel):
    """Fields are named as on the wire; fields a newer server adds are kept, not refused."""

    model_config = ConfigDict(extra="allow")


@contextmanager
def paused_gc() -> Iterator[None]:
    """Build large JSON trees without the cyclic collector, and keep it off them afterwards.

    JSON cannot contain a cycle, yet the collector would scan a growing tree again and again while it
    is built, and again at every later full collection (for a 30 MB answer, seconds). The tree is freed
    by reference counting as usual; ``gc.freeze`` only stops the scans. The action is a short process.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if was_enabled:
            gc.enable()


def parse_json(body: bytes) -> Any:
    """The parsed body, or ``None`` when it is not JSON. Fast for large bodies; strings are shared."""
    if not body.strip():
        return None
    with paused_gc():
        try:
            return pydantic_core.from_json(body)
        except ValueError:
            return None


def json_object(response: HttpResponse) -> dict[str, Any] | None:
    body = parse_json(response.body)
    return body if isinstance(body, dict) else None


def content_type(response: HttpResponse) -> str:
    """``content-type text/html`` or ``no content-type``, for messages."""
    value = response.header("Content-Type").split(";", 1)[0].strip()
    return f"content-type {remote_text(value, limit=60)}" if value else "no content-type"


def looks_like_html(response: HttpResponse) -> bool:
    if "html" in response.header("Content-Type").lower():
        return True
    return response.body.lstrip()[:1] == b"<"


def first_problem(error: ValidationError, *, where: Iterable[str] = (), secrets: Iterable[str] = ()) -> str:
    """``data.workflows.0.steps: Field required``: the first validation problem, cleaned for a message."""
    first = error.errors(include_url=False, include_input=False)[0]
    path = ".".join(str(part) for part in (*where, *first["loc"])) or "the top level"
    return remote_text(f"{path}: {first['msg']}", secrets=secrets, limit=200)
