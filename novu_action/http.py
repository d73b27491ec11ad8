"""The one home of HTTP policy: user agent, timeouts, retries, and keeping secrets out of messages.

Every request the action makes goes through ``HttpClient``. Nothing here knows about Novu or the
bridge: the clients in ``bridge.py`` and ``novu_api.py`` turn answers into user-facing errors.

``requests``' exception texts quote full URLs, secrets included (a Vercel protection-bypass token in
the bridge URL's query string). So no text produced here ever contains a query value or userinfo:
URLs go through ``redaction.redact_url``, and transport failures are described by a short reason
chosen here, never by passing an exception's text on.
"""

from __future__ import annotations

import email.utils
import json
import random as random_module
import socket
import ssl
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

import requests
import urllib3.exceptions

from novu_action import __version__
from novu_action.redaction import redact_url

USER_AGENT = f"novu-sync-action/{__version__} python-requests/{requests.__version__}"


def status_text(response: requests.Response) -> str:
    """``503 Service Unavailable``: the status with its standard phrase (never the server's own)."""
    try:
        phrase = HTTPStatus(response.status_code).phrase
    except ValueError:
        return str(response.status_code)
    return f"{response.status_code} {phrase}"


def retry_after_seconds(response: requests.Response, *, now: float) -> float | None:
    """The wait ``Retry-After`` asks for (seconds or an HTTP-date), or ``None`` without a valid one."""
    value = response.headers.get("Retry-After", "").strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:  # RFC 9110 dates are GMT; a naive result means the zone was missing
        return None
    return max(0.0, moment.timestamp() - now)


def format_seconds(seconds: float) -> str:
    """``30 s``, ``1.3 s``: short, for messages."""
    return f"{seconds:.1f} s" if seconds < 10 and seconds != int(seconds) else f"{seconds:.0f} s"


class TransportError(Exception):
    """No answer at all: the connection failed, timed out, or TLS failed on every attempt.

    Not an ``ActionError``: the client that made the request knows what the URL was for and
    turns this into a message that says what to do. ``url`` is already redacted and ``reason``
    is a short phrase such as ``connection refused`` or ``timed out after 30 s``.
    """

    def __init__(self, *, url: str, reason: str, attempts: int) -> None:
        self.url = url
        self.reason = reason
        self.attempts = attempts
        tries = f" ({attempts} attempts)" if attempts > 1 else ""
        super().__init__(f"no answer from {url}: {reason}{tries}")


@dataclass(frozen=True)
class RetryPolicy:
    """When and how long to wait before trying a request again.

    Retried: 409 (Novu's idempotency layer says "the same key is still in progress"), 429, every
    5xx, and connection failures or timeouts. Never another 4xx: those answers will not change.
    Waits use exponential backoff with full jitter unless the server sends ``Retry-After``, which
    is honoured up to ``max_retry_after`` seconds; a longer requested wait ends the retries and
    the caller reports the answer (it says how long the server asked to wait).
    """

    attempts: int = 4
    base_delay: float = 1.0
    max_delay: float = 20.0
    max_retry_after: float = 60.0

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError("RetryPolicy.attempts must be at least 1")

    @staticmethod
    def retries_status(status: int) -> bool:
        return status in (HTTPStatus.CONFLICT, HTTPStatus.TOO_MANY_REQUESTS) or 500 <= status <= 599

    def backoff(self, *, retry_number: int, random: Callable[[], float]) -> float:
        """Full jitter: uniform in [0, min(max_delay, base_delay * 2 ** (retry_number - 1)))."""
        ceiling = min(self.max_delay, self.base_delay * 2.0 ** (retry_number - 1))
        return random() * ceiling


class HttpClient:
    """One ``requests.Session`` with the action's user agent, a timeout on every call and retries."""

    def __init__(
        self,
        *,
        timeout: float,
        policy: RetryPolicy = RetryPolicy(),
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
        random: Callable[[], float] = random_module.random,
        clock: Callable[[], float] = time.time,
        on_retry: Callable[[str], None] | None = None,
    ) -> None:
        self.timeout = timeout
        self.policy = policy
        self._session = session if session is not None else requests.Session()
        self._session.headers["User-Agent"] = USER_AGENT
        self._sleep = sleep
        self._random = random
        self._clock = clock
        self._on_retry = on_retry

    def request(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        json_body: Any = None,
        retry: bool = True,
        label: str | None = None,
    ) -> requests.Response:
        """Send the request, retrying per the policy; return the last answer received.

        ``json_body`` (when not ``None``) is sent as compact UTF-8 JSON, the exact text a bridge
        signature covers. The same headers go out on every attempt, so an ``Idempotency-Key``
        stays the same. ``label`` names the server in retry notices ("Novu API").
        Raises ``TransportError`` when no attempt got an answer.
        """
        request_headers = {"Accept": "application/json", **(headers or {})}
        body: bytes | None = None
        if json_body is not None:
            body = json.dumps(json_body, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
            request_headers.setdefault("Content-Type", "application/json")
        attempts = self.policy.attempts if retry else 1
        who = f"{label} ({method} {redact_url(url)})" if label else f"{method} {redact_url(url)}"
        last_response: requests.Response | None = None
        for attempt in range(1, attempts + 1):
            try:
                response = self._session.request(
                    method, url, headers=request_headers, data=body, timeout=self.timeout
                )
            except requests.RequestException as error:
                reason, retryable = self._describe(error)
                if not retryable or attempt == attempts:
                    if last_response is not None:
                        return last_response
                    raise TransportError(url=redact_url(url), reason=reason, attempts=attempt) from None
                wait = self.policy.backoff(retry_number=attempt, random=self._random)
                self._notify(f"no answer from {who}: {reason}", wait=wait, next_attempt=attempt + 1)
                self._sleep(wait)
                continue
            last_response = response
            if attempt == attempts or not self.policy.retries_status(response.status_code):
                return response
            requested = retry_after_seconds(response, now=self._clock())
            if requested is not None and requested > self.policy.max_retry_after:
                return response
            wait = (
                requested
                if requested is not None
                else self.policy.backoff(retry_number=attempt, random=self._random)
            )
            self._notify(f"{who} answered {status_text(response)}", wait=wait, next_attempt=attempt + 1)
            response.close()
            self._sleep(wait)
        raise AssertionError("unreachable: the last attempt always returns or raises")

    def retry_after(self, response: requests.Response) -> float | None:
        """The wait ``response``'s ``Retry-After`` asks for, in seconds from now (for messages)."""
        return retry_after_seconds(response, now=self._clock())

    def _notify(self, what: str, *, wait: float, next_attempt: int) -> None:
        if self._on_retry is not None:
            attempt = f"attempt {next_attempt} of {self.policy.attempts}"
            self._on_retry(f"{what}; retrying in {format_seconds(wait)} ({attempt})")

    def _describe(self, error: requests.RequestException) -> tuple[str, bool]:
        """A short reason for ``error`` and whether trying again can help. Never the error's text."""
        if isinstance(error, requests.Timeout):
            return f"timed out after {format_seconds(self.timeout)}", True
        if isinstance(error, requests.exceptions.SSLError):
            return _tls_reason(error)
        if isinstance(error, requests.exceptions.ProxyError):
            return "the HTTP proxy refused or failed the connection", True
        if isinstance(error, requests.ConnectionError | requests.exceptions.ChunkedEncodingError):
            return _connection_reason(error), True
        if isinstance(error, requests.TooManyRedirects):
            return "too many redirects", False
        if isinstance(error, requests.exceptions.InvalidURL | requests.exceptions.MissingSchema):
            return "the URL is not valid", False
        if isinstance(error, requests.exceptions.InvalidSchema):
            return "the URL does not start with http:// or https://", False
        return f"the request failed ({type(error).__name__})", False


def _connection_reason(error: BaseException) -> str:
    causes = list(_causes(error))
    if any(isinstance(c, urllib3.exceptions.NameResolutionError | socket.gaierror) for c in causes):
        return "DNS lookup failed"
    if any(isinstance(c, ConnectionRefusedError) for c in causes):
        return "connection refused"
    if any(isinstance(c, ConnectionResetError) for c in causes):
        return "connection reset by the server"
    if any(isinstance(c, urllib3.exceptions.ProtocolError) for c in causes):
        return "the server closed the connection without answering"
    if any(isinstance(c, OSError) and c.errno is not None for c in causes):
        return "the connection failed (network unreachable?)"
    return "the connection failed"


def _tls_reason(error: BaseException) -> tuple[str, bool]:
    """A TLS failure's reason; a certificate that fails verification will not pass on a retry."""
    for cause in _causes(error):
        if isinstance(cause, ssl.SSLCertVerificationError):
            return "TLS error (the server's certificate could not be verified)", False
        if isinstance(cause, ssl.SSLError) and cause.reason == "WRONG_VERSION_NUMBER":
            return "TLS error (the server does not speak HTTPS on this port)", False
    return "TLS error", True


def _causes(error: BaseException) -> Iterator[BaseException]:
    """``error`` and everything it wraps: ``__cause__``, ``__context__``, urllib3's ``reason``, args."""
    pending: list[BaseException] = [error]
    seen: set[int] = set()
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        wrapped = [current.__cause__, current.__context__, getattr(current, "reason", None), *current.args]
        pending.extend(item for item in wrapped if isinstance(item, BaseException))
