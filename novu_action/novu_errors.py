"""What a Novu API error answer means, in words that tell the user what to do.

Novu's own message (remote text) is quoted cleaned, shortened and without secrets; advice that makes
sense only on a laptop ("Run npx novu@latest dev in Local mode") is dropped.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus

from novu_action.errors import ActionError
from novu_action.http import HttpResponse, format_seconds, status_text
from novu_action.novu_urls import REGIONS
from novu_action.redaction import remote_text
from novu_action.wire import json_object

ENDPOINT_UNAVAILABLE = "API endpoint not available"  # 401 for routes an API key may not call
NEVER_SYNCED = "Bridge URL not found"
_LOCAL_MODE_ADVICE = re.compile(r"\s*Run npx novu(?:@latest)? dev in Local mode, or (\w)")


class NovuApiError(ActionError):
    """Novu answered with an error (``status``) or not at all (``status`` is ``None``).

    ``novu_message`` is Novu's own explanation, cleaned and shortened, when it gave one.
    """

    title = "Novu API request failed"

    def __init__(self, message: str, *, status: int | None, novu_message: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.novu_message = novu_message


class NovuAuthError(NovuApiError):
    title = "Novu secret key rejected"


class NovuForbiddenError(NovuApiError):
    title = "Novu secret key lacks permission"


class NovuRateLimitedError(NovuApiError):
    title = "Novu API rate limit"


class NovuServerError(NovuApiError):
    title = "Novu API is having trouble"


class NovuNoAnswerError(NovuApiError):
    title = "Novu API did not answer"


class NovuUnexpectedAnswerError(NovuApiError):
    title = "Unexpected answer from the Novu API"


class NovuNotFoundError(NovuApiError):
    title = "Not found in Novu"


@dataclass(frozen=True)
class Call:
    """One API call: what it is for (in messages) and secrets its error texts might echo."""

    method: str
    path: str
    purpose: str
    secrets: tuple[str, ...] = ()

    @property
    def what(self) -> str:
        return f"{self.purpose} ({self.method} {self.path.split('?', 1)[0]})"


# Known Novu messages (substring) and what the user should do about them.
_HINTS: tuple[tuple[str, str], ...] = (
    (
        "Signature does not match",
        "The bridge verifies signatures with another secret than the one Novu signs with: set the "
        "bridge's NOVU_SECRET_KEY to this environment's secret key (or its bridge signing secret).",
    ),
    (
        "Maximum redirects exceeded",
        "Novu reports this when the bridge answers with something other than JSON, such as a login or "
        "deployment-protection page; for Vercel add ?x-vercel-protection-bypass=<secret> to the bridge URL.",
    ),
    (
        "Unable to reach Bridge Endpoint",
        "Novu Cloud could not reach the bridge: it must be deployed and public (not localhost or a "
        "private address).",
    ),
    (
        "Bridge request timeout",
        "Novu Cloud waits only 5 s for the bridge: make sure it is warm and answers quickly.",
    ),
    (
        "already created in Dashboard",
        "A workflow made in the Dashboard already uses that id: rename the workflowId in code or "
        "delete the Dashboard workflow.",
    ),
    *(
        (
            needle,
            "Novu Cloud refuses bridge URLs on localhost, on private or reserved addresses and with "
            "user:pass@: deploy the bridge to a public URL and set that URL.",
        )
        for needle in (
            "SSRF",
            'Requests to "localhost" are not allowed',
            "Requests to private or reserved IP addresses are not allowed",
            "URLs with embedded credentials are not allowed",
        )
    ),
)


def advice_for(novu_message: str) -> str | None:
    """What to do about a known Novu message (``validate`` errors and sync 400s alike)."""
    return next((advice for needle, advice in _HINTS if needle in novu_message), None)


def clean_novu_text(text: str, *, secrets: tuple[str, ...]) -> str:
    """Novu's message, safe for one line, without its advice for a laptop."""
    return remote_text(_LOCAL_MODE_ADVICE.sub(lambda m: " " + m.group(1).upper(), text), secrets=secrets)


def novu_message(response: HttpResponse) -> str | None:
    """Novu's own explanation from an error body, raw (the caller cleans it), or ``None``."""
    body = json_object(response)
    if body is None:
        return None
    parts: list[str] = []
    message = body.get("message")
    if isinstance(message, str) and message:
        parts.append(message)
    elif isinstance(message, list):
        parts.extend(str(item) for item in message if item)
    errors = body.get("errors")
    if isinstance(errors, dict):  # 422: {"<field>": {"messages": [...], "value": ...}}
        for field, detail in errors.items():
            messages = detail.get("messages") if isinstance(detail, dict) else None
            if isinstance(messages, list) and messages:
                parts.append(f"{field}: {'; '.join(str(m) for m in messages)}")
    elif isinstance(errors, list):  # zod: [{"message": ..., "path": [...]}]
        for item in errors:
            if isinstance(item, dict) and item.get("message"):
                path = item.get("path")
                where = ".".join(str(p) for p in path) if isinstance(path, list) and path else None
                parts.append(f"{where}: {item['message']}" if where else str(item["message"]))
    if not parts and isinstance(body.get("error"), str):
        parts.append(body["error"])
    return "; ".join(parts) or None


def endpoint_missing(response: HttpResponse) -> bool:
    """404/405, or Novu's 401 for routes an API key may not call: this Novu lacks the endpoint."""
    if response.status in (HTTPStatus.NOT_FOUND, HTTPStatus.METHOD_NOT_ALLOWED):
        return True
    return response.status == HTTPStatus.UNAUTHORIZED and novu_message(response) == ENDPOINT_UNAVAILABLE


@dataclass(frozen=True)
class Explainer:
    """Turns error answers of one API (URL, key input) into ``NovuApiError``s."""

    shown_api_url: str
    key_input: str
    secret_key: str
    requested_wait: Callable[[HttpResponse], str]

    def error(self, response: HttpResponse, call: Call) -> NovuApiError:
        """The user-facing error for a non-2xx answer (retries, if any, are already spent)."""
        raw = novu_message(response)
        cleaned = clean_novu_text(raw, secrets=(self.secret_key, *call.secrets)) if raw else None
        said = f'"{cleaned}"' if cleaned else _not_json_note(response)
        answered = f"{status_text(response)}: {said}"
        error_class, message = self._explain(response, call, raw=raw, answered=answered)
        return error_class(message, status=response.status, novu_message=cleaned)

    def no_answer(self, reason: str) -> NovuNoAnswerError:
        return NovuNoAnswerError(
            f"Cannot reach the Novu API at {self.shown_api_url}: {reason}; check `api-url` "
            f"({REGIONS}, or your self-hosted API's URL).",
            status=None,
        )

    def unexpected(self, response: HttpResponse, call: Call, problem: str) -> NovuUnexpectedAnswerError:
        return NovuUnexpectedAnswerError(
            f"The Novu API answered {call.what} in an unexpected shape ({problem}). Check that "
            f"`api-url` ({self.shown_api_url}) is the Novu API; if it is, Novu changed this endpoint: "
            "please report it.",
            status=response.status,
        )

    def not_json(self, response: HttpResponse, call: Call) -> NovuUnexpectedAnswerError:
        return NovuUnexpectedAnswerError(
            f"The Novu API at {self.shown_api_url} answered {call.what} with {status_text(response)} but "
            f"not with JSON. Check that `api-url` is the Novu API itself ({REGIONS}), not the Dashboard "
            "or a proxy's page.",
            status=response.status,
        )

    def _explain(
        self, response: HttpResponse, call: Call, *, raw: str | None, answered: str
    ) -> tuple[type[NovuApiError], str]:
        status = response.status
        key = f"`{self.key_input}`"
        if status == HTTPStatus.UNAUTHORIZED and raw == "API Key not found":
            return NovuAuthError, (
                f"The key in {key} is not a valid secret key for {self.shown_api_url} (Novu answered "
                f"{answered}). Check the value (Novu Dashboard → API Keys → Secret Key) and the region: "
                f"{REGIONS}, set with `api-url`."
            )
        if status == HTTPStatus.UNAUTHORIZED:
            return NovuAuthError, (
                f"Novu refused the key in {key} for {call.what} ({answered}). Check that it is the "
                f"environment's secret key and that `api-url` ({self.shown_api_url}) is right ({REGIONS})."
            )
        if status == HTTPStatus.FORBIDDEN:
            return NovuForbiddenError, (
                f"The key in {key} may not do {call.what} ({answered}). Use the environment's secret key "
                "from Novu Dashboard → API Keys, not a key with restricted permissions."
            )
        if status == HTTPStatus.TOO_MANY_REQUESTS:
            return NovuRateLimitedError, (
                f"Novu rate-limited {call.what} ({answered}) and retrying did not help"
                f"{self.requested_wait(response)}. Try again later."
            )
        if status >= 500:
            return NovuServerError, (
                f"The Novu API is having trouble with {call.what}: it answered {answered} and retrying "
                f"did not help{self.requested_wait(response)}. Nothing was changed. Try again later."
            )
        if status == HTTPStatus.CONFLICT:
            return NovuApiError, (
                f"Novu is still processing an earlier request with the same Idempotency-Key for {call.what} "
                f"({answered}). Wait a minute, then re-run the job."
            )
        if status == HTTPStatus.NOT_FOUND:
            return NovuNotFoundError, f"The Novu API answered {call.what} with {answered}."
        hint = advice_for(raw) if raw else None
        return NovuApiError, f"The Novu API refused {call.what} with {answered}." + (
            f" {hint}" if hint else ""
        )


def requested_wait_text(wait: float | None, *, max_wait: float) -> str:
    """``; Novu asks to wait 30 s (Retry-After)``, for messages; empty without a requested wait."""
    if wait is None:
        return ""
    if wait > max_wait:
        return (
            f"; Novu asks to wait {format_seconds(wait)} (Retry-After), longer than the "
            f"{format_seconds(max_wait)} the action waits"
        )
    return f"; Novu asks to wait {format_seconds(wait)} (Retry-After)"


def _not_json_note(response: HttpResponse) -> str:
    content_type = response.header("Content-Type").split(";", 1)[0].strip()
    kind = remote_text(content_type, limit=60) if content_type else "no content-type"
    return f"no message (the body is not Novu's JSON; {kind})"
