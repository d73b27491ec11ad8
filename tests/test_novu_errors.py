"""What Novu's error answers mean: its own words, cleaned, and what to do about the known ones."""

from __future__ import annotations

import json
from typing import Any

import pytest

from novu_action.http import HttpResponse
from novu_action.novu_errors import (
    Call,
    Explainer,
    NovuApiError,
    NovuNotFoundError,
    NovuServerError,
    advice_for,
    clean_novu_text,
    endpoint_missing,
    novu_message,
    requested_wait_text,
)

SECRET_KEY = "nv_sk_0123456789abcdef"
BRIDGE_TOKEN = "bypass-T0KEN-123"


def answer(status: int, body: Any, *, content: str = "application/json") -> HttpResponse:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return HttpResponse(status=status, headers={"content-type": content}, body=raw)


@pytest.mark.parametrize(
    ("text", "cleaned"),
    [
        (
            "Unable to reach Bridge Endpoint at `https://x/api/novu`. Run npx novu@latest dev in Local mode, "
            "or ensure your Bridge app deployment is available.",
            "Unable to reach Bridge Endpoint at `https://x/api/novu`. Ensure your Bridge app deployment is "
            "available.",
        ),
        (
            "Bridge request timeout. Run npx novu dev in Local mode, or check it.",
            "Bridge request timeout. Check it.",
        ),
        ("API Key not found", "API Key not found"),
        ("two\nlines\x1b[31m", "two lines [31m"),
    ],
)
def test_novus_laptop_advice_is_removed_and_the_text_made_one_safe_line(text: str, cleaned: str) -> None:
    assert clean_novu_text(text, secrets=()) == cleaned


def test_clean_novu_text_hides_the_secrets_it_is_given() -> None:
    text = f"Unable to reach https://x/api/novu?x-vercel-protection-bypass={BRIDGE_TOKEN} with {SECRET_KEY}"
    cleaned = clean_novu_text(text, secrets=(SECRET_KEY, BRIDGE_TOKEN))
    assert cleaned == "Unable to reach https://x/api/novu?x-vercel-protection-bypass=REDACTED with REDACTED"


@pytest.mark.parametrize(
    ("message", "needle"),
    [
        ("Signature does not match the expected signature", "set the bridge's NOVU_SECRET_KEY"),
        ("Maximum redirects exceeded", "x-vercel-protection-bypass"),
        ("Unable to reach Bridge Endpoint at `x`", "it must be deployed and public"),
        ("Bridge request timeout", "waits only 5 s"),
        ("Workflow welcome was already created in Dashboard", "rename the workflowId in code"),
        ('Requests to "localhost" are not allowed.', "deploy the bridge to a public URL"),
        ("Requests to private or reserved IP addresses are not allowed (resolved: 10.0.0.1)", "public URL"),
        ("URLs with embedded credentials are not allowed.", "user:pass@"),
        ("bridgeUrl is blocked by the outbound SSRF policy", "private or reserved addresses"),
    ],
)
def test_known_messages_come_with_advice(message: str, needle: str) -> None:
    advice = advice_for(message)
    assert advice is not None
    assert needle in advice


def test_unknown_messages_have_no_advice() -> None:
    assert advice_for("Something went wrong") is None


@pytest.mark.parametrize(
    ("response", "message"),
    [
        (answer(400, {"message": "Bridge URL not found"}), "Bridge URL not found"),
        (
            answer(400, {"message": ["limit must be a number", "", "offset bad"]}),
            "limit must be a number; offset bad",
        ),
        (
            answer(
                422, {"message": "Validation Error", "errors": {"bridgeUrl": {"messages": ["not a URL"]}}}
            ),
            "Validation Error; bridgeUrl: not a URL",
        ),
        (
            answer(400, {"errors": [{"message": "Required", "path": ["limit"]}, {"message": "Bad"}]}),
            "limit: Required; Bad",
        ),
        (answer(500, {"error": "Internal Server Error"}), "Internal Server Error"),
        (answer(500, {"statusCode": 500}), None),
        (answer(502, b"<html>Bad gateway</html>", content="text/html"), None),
        (answer(500, [1, 2]), None),
    ],
)
def test_novus_own_message_is_found_in_each_error_shape(response: HttpResponse, message: str | None) -> None:
    assert novu_message(response) == message


@pytest.mark.parametrize(
    ("response", "missing"),
    [
        (answer(404, {"message": "Cannot GET /v2/workflows"}), True),
        (answer(405, b"", content="text/plain"), True),
        (answer(401, {"message": "API endpoint not available"}), True),
        (answer(401, {"message": "API Key not found"}), False),
        (answer(400, {"message": "Bridge URL not found"}), False),
    ],
)
def test_an_endpoint_is_missing_on_404_405_or_novus_not_available_401(
    response: HttpResponse, missing: bool
) -> None:
    assert endpoint_missing(response) is missing


def test_the_requested_wait_is_told_and_compared_with_the_cap() -> None:
    assert requested_wait_text(None, max_wait=60.0) == ""
    assert requested_wait_text(5.0, max_wait=60.0) == "; Novu asks to wait 5 s (Retry-After)"
    assert requested_wait_text(900.0, max_wait=60.0) == (
        "; Novu asks to wait 900 s (Retry-After), longer than the 60 s the action waits"
    )


EXPLAINER = Explainer(
    shown_api_url="https://api.novu.co",
    key_input="production-secret-key",
    secret_key=SECRET_KEY,
    requested_wait=lambda response: "",
)
SYNC_CALL = Call("POST", "/v1/bridge/sync?source=githubAction", "the sync", (BRIDGE_TOKEN,))


def test_a_call_is_named_without_its_query() -> None:
    assert SYNC_CALL.what == "the sync (POST /v1/bridge/sync)"


def test_an_error_quotes_novu_cleaned_and_keeps_the_cleaned_message() -> None:
    body = {"message": f"Bridge https://b/api/novu?t={BRIDGE_TOKEN} failed; key {SECRET_KEY}"}
    error = EXPLAINER.error(answer(400, body), SYNC_CALL)
    assert type(error) is NovuApiError
    assert error.status == 400
    assert error.novu_message == "Bridge https://b/api/novu?t=REDACTED failed; key REDACTED"
    assert BRIDGE_TOKEN not in str(error)
    assert SECRET_KEY not in str(error)


def test_error_classes_follow_the_status() -> None:
    assert isinstance(
        EXPLAINER.error(answer(404, {"message": "Agent not found"}), SYNC_CALL), NovuNotFoundError
    )
    server = EXPLAINER.error(answer(503, b"<html>", content="text/html"), SYNC_CALL)
    assert isinstance(server, NovuServerError)
    assert "503 Service Unavailable: no message (the body is not Novu's JSON; text/html)" in str(server)
    assert server.novu_message is None
