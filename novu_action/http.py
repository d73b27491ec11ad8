"""The one home of HTTP policy: user agent, timeouts, retries, body limits, and no secret in any message.

Every request the action makes goes through ``HttpClient`` (urllib3 underneath; ``requests`` is only
imported by PyGithub for the pull-request comment). Nothing here knows about Novu or the bridge: the
clients in ``bridge.py`` and ``novu_api.py`` turn answers into user-facing errors.

Transport failures are described by a short reason chosen here, never by an exception's text (which
quotes full URLs, secrets included), and URLs in messages go through ``redaction.redact_url``.

Whether a failed request *may have reached the server* matters for requests that change something
(the sync): ``TransportError.sent`` says so, and a ``RetryPolicy`` with ``resend_after_send=False``
never sends such a request again on its own.
"""

from __future__ import annotations

import email.utils
import json
import os
import random as random_module
import ssl
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from http import HTTPStatus
from http.client import RemoteDisconnected
from pathlib import Path
from typing import Any

import urllib3
from urllib3._version import __version__ as URLLIB3_VERSION
from urllib3.exceptions import (
    ConnectTimeoutError,
    HTTPError,
    LocationValueError,
    MaxRetryError,
    NameResolutionError,
    NewConnectionError,
    ProtocolError,
    ProxyError,
    ReadTimeoutError,
    ResponseError,
    SSLError,
)

from novu_action import __version__
from novu_action.redaction import redact_url

USER_AGENT = f"novu-sync-action/{__version__} urllib3/{URLLIB3_VERSION}"
# Bigger answers are refused, not read: a 1,000-workflow bridge answers about 30 MB.
MAX_BODY_BYTES = 64 * 1024 * 1024
_CHUNK = 1024 * 1024
_MAX_REDIRECTS = 10  # as Novu's own HTTP client (got) follows them when it calls the bridge
_CA_BUNDLE_VARIABLES = ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE")


@dataclass(frozen=True)
class HttpResponse:
    """An answer, read whole. Header names are lower-case."""

    status: int
    headers: Mapping[str, str]
    body: bytes

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def header(self, name: str) -> str:
        return self.headers.get(name.lower(), "")


def status_text(response: HttpResponse) -> str:
    """``503 Service Unavailable``: the status with its standard phrase (never the server's own)."""
    try:
        phrase = HTTPStatus(response.status).phrase
    except ValueError:
        return str(response.status)
    return f"{response.status} {phrase}"


def retry_after_seconds(response: HttpResponse, *, now: float) -> float | None:
    """The wait ``Retry-After`` asks for (seconds or an HTTP-date), or ``None`` without a valid one."""
    value = response.header("Retry-After").strip()
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
    """No answer: the connection failed, timed out, or TLS failed (on every attempt allowed).

    Not an ``ActionError``: the client that made the request knows what the URL was for and turns
    this into a message that says what to do. ``url`` is already redacted; ``reason`` is a short
    phrase such as ``connection refused`` or ``timed out after 30 s``. ``sent`` is true when the
    request may have reached the server (a read timeout, a connection lost while waiting for the
    answer): for a request that changes something, its effect is then unknown.
    """

    def __init__(self, *, url: str, reason: str, attempts: int, sent: bool) -> None:
        self.url = url
        self.reason = reason
        self.attempts = attempts
        self.sent = sent
        tries = f" ({attempts} attempts)" if attempts > 1 else ""
        super().__init__(f"no answer from {url}: {reason}{tries}")


class ResponseTooLargeError(Exception):
    """The answer (with ``status`` and ``content_type``) is larger than the limit; it was not read. ``url`` is
    already redacted."""

    def __init__(self, *, url: str, limit: int, status: int, content_type: str = "") -> None:
        self.url = url
        self.limit = limit
        self.status = status
        self.content_type = content_type
        super().__init__(f"the answer from {url} is larger than {limit // (1024 * 1024)} MiB")


@dataclass(frozen=True)
class RetryPolicy:
    """When and how long to wait before sending a request again.

    By default 409 (Novu's idempotency layer: "the same key is still in progress"), 429, every 5xx
    and connection failures or timeouts are retried; never another 4xx, whose answer will not change.
    ``resend_after_send=False`` is for requests that change something: only 409, 429 and failures
    before the request was sent are retried (see ``apply.py`` for what happens after the others).
    Waits use exponential backoff with full jitter unless the server sends ``Retry-After``, which is
    honoured up to ``max_retry_after`` seconds; a longer requested wait ends the retries and the caller
    reports the answer (it says how long the server asked to wait).
    """

    attempts: int = 4
    base_delay: float = 1.0
    max_delay: float = 20.0
    max_retry_after: float = 60.0
    resend_after_send: bool = True

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError("RetryPolicy.attempts must be at least 1")

    def retries_status(self, status: int) -> bool:
        if status in (HTTPStatus.CONFLICT, HTTPStatus.TOO_MANY_REQUESTS):
            return True
        return self.resend_after_send and 500 <= status <= 599

    def retries_failure(self, *, retryable: bool, sent: bool) -> bool:
        return retryable and (self.resend_after_send or not sent)

    def backoff(self, *, retry_number: int, random: Callable[[], float]) -> float:
        """Full jitter: uniform in [0, min(max_delay, base_delay * 2 ** (retry_number - 1)))."""
        ceiling = min(self.max_delay, self.base_delay * 2.0 ** (retry_number - 1))
        return random() * ceiling


@dataclass(frozen=True)
class _Failure:
    reason: str
    retryable: bool
    sent: bool


class HttpClient:
    """Connection pools with the action's user agent, a timeout on every call, retries and a body limit.

    Proxies are taken from the environment as ``requests`` and ``curl`` take them (``HTTPS_PROXY``,
    ``HTTP_PROXY``, ``NO_PROXY``, any case); certificates are verified against ``REQUESTS_CA_BUNDLE``,
    ``CURL_CA_BUNDLE`` or ``SSL_CERT_FILE`` when set, else the ``certifi`` bundle.
    """

    def __init__(
        self,
        *,
        timeout: float,
        policy: RetryPolicy = RetryPolicy(),
        sleep: Callable[[float], None] = time.sleep,
        random: Callable[[], float] = random_module.random,
        clock: Callable[[], float] = time.time,
        on_retry: Callable[[str], None] | None = None,
        environ: Mapping[str, str] = os.environ,
    ) -> None:
        self.timeout = timeout
        self.policy = policy
        self._sleep = sleep
        self._random = random
        self._clock = clock
        self._on_retry = on_retry
        self._environ = environ
        self._pools: dict[tuple[str | None, bool], urllib3.PoolManager] = {}

    def request(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        json_body: Any = None,
        policy: RetryPolicy | None = None,
        timeout: float | None = None,
        label: str | None = None,
        max_body_bytes: int = MAX_BODY_BYTES,
    ) -> HttpResponse:
        """Send the request, retrying per ``policy`` (default: the client's); return the last answer.

        ``json_body`` (when not ``None``) is sent as compact UTF-8 JSON, the exact text a bridge
        signature covers. The same headers go out on every attempt, so an ``Idempotency-Key`` stays
        the same. ``timeout`` overrides the client's for this request; ``label`` names the server in
        retry notices ("Novu API"). Raises ``TransportError`` when no attempt got an answer and
        ``ResponseTooLargeError`` for an answer over ``max_body_bytes``.
        """
        policy = policy or self.policy
        request_headers = {
            "User-Agent": USER_AGENT,
            "Accept": "application/json",
            "Accept-Encoding": "gzip, deflate",
            **(headers or {}),
        }
        body: bytes | None = None
        if json_body is not None:
            body = json.dumps(json_body, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
            request_headers.setdefault("Content-Type", "application/json")
        shown = redact_url(url)
        who = f"{label} ({method} {shown})" if label else f"{method} {shown}"
        last_response: HttpResponse | None = None
        for attempt in range(1, policy.attempts + 1):
            try:
                raw = self._send(
                    method, url, headers=request_headers, body=body, timeout=timeout or self.timeout
                )
                response = self._read(raw, url=shown, limit=max_body_bytes)
            except HTTPError as error:
                failure = self._describe(error, timeout=timeout or self.timeout)
                retry = policy.retries_failure(retryable=failure.retryable, sent=failure.sent)
                if not retry or attempt == policy.attempts:
                    # An earlier answer says more than "no answer", unless this attempt may have acted.
                    if last_response is not None and (policy.resend_after_send or not failure.sent):
                        return last_response
                    raise TransportError(
                        url=shown, reason=failure.reason, attempts=attempt, sent=failure.sent
                    ) from None
                wait = policy.backoff(retry_number=attempt, random=self._random)
                self._notify(f"no answer from {who}: {failure.reason}", wait=wait, of=(attempt + 1, policy))
                self._sleep(wait)
                continue
            last_response = response
            if attempt == policy.attempts or not policy.retries_status(response.status):
                return response
            requested = retry_after_seconds(response, now=self._clock())
            if requested is not None and requested > policy.max_retry_after:
                return response
            wait = (
                requested
                if requested is not None
                else policy.backoff(retry_number=attempt, random=self._random)
            )
            self._notify(f"{who} answered {status_text(response)}", wait=wait, of=(attempt + 1, policy))
            self._sleep(wait)
        raise AssertionError("unreachable: the last attempt always returns or raises")

    def retry_after(self, response: HttpResponse) -> float | None:
        """The wait ``response``'s ``Retry-After`` asks for, in seconds from now (for messages)."""
        return retry_after_seconds(response, now=self._clock())

    def close(self) -> None:
        for pool in self._pools.values():
            pool.clear()
        self._pools.clear()

    def _send(
        self, method: str, url: str, *, headers: Mapping[str, str], body: bytes | None, timeout: float
    ) -> urllib3.BaseHTTPResponse:
        follow = method == "GET"
        retries = urllib3.Retry(
            total=None,
            connect=0,
            read=0,
            status=0,
            other=0,
            redirect=_MAX_REDIRECTS if follow else 0,
            raise_on_redirect=follow,
        )
        return self._pool_for(url).request(
            method,
            url,
            headers=dict(headers),
            body=body,
            timeout=urllib3.Timeout(connect=timeout, read=timeout),
            retries=retries,
            redirect=follow,
            preload_content=False,
        )

    @staticmethod
    def _read(response: urllib3.BaseHTTPResponse, *, url: str, limit: int) -> HttpResponse:
        try:
            declared = response.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > limit:
                raise ResponseTooLargeError(
                    url=url,
                    limit=limit,
                    status=response.status,
                    content_type=response.headers.get("Content-Type", ""),
                )
            chunks: list[bytes] = []
            size = 0
            for chunk in response.stream(_CHUNK):
                size += len(chunk)
                if size > limit:
                    raise ResponseTooLargeError(
                        url=url,
                        limit=limit,
                        status=response.status,
                        content_type=response.headers.get("Content-Type", ""),
                    )
                chunks.append(chunk)
            headers = {name.lower(): value for name, value in response.headers.items()}
            return HttpResponse(status=response.status, headers=headers, body=b"".join(chunks))
        except ResponseTooLargeError:
            # The rest of the body is still on its way: the next request must not read it as its answer.
            response.close()
            raise
        finally:
            response.release_conn()

    def _pool_for(self, url: str) -> urllib3.PoolManager:
        """One pool manager per proxy and scheme; certificates are loaded only for HTTPS (that is slow)."""
        proxy = _proxy_for(url, self._environ)
        secure = url[:8].lower() == "https://" or bool(proxy and proxy[:8].lower() == "https://")
        pool = self._pools.get((proxy, secure))
        if pool is None:
            try:
                context = self._ssl_context() if secure else None
            except (OSError, ssl.SSLError):
                variable = next((name for name in _CA_BUNDLE_VARIABLES if self._environ.get(name)), "certifi")
                raise TransportError(
                    url=redact_url(url),
                    reason=f"the certificate bundle named by {variable} cannot be read",
                    attempts=1,
                    sent=False,
                ) from None
            options: dict[str, Any] = {"num_pools": 4, "maxsize": 4, "ssl_context": context}
            pool = urllib3.ProxyManager(proxy, **options) if proxy else urllib3.PoolManager(**options)
            self._pools[(proxy, secure)] = pool
        return pool

    def _ssl_context(self) -> ssl.SSLContext:
        bundle = next((self._environ[name] for name in _CA_BUNDLE_VARIABLES if self._environ.get(name)), None)
        if bundle is None:
            import certifi

            bundle = certifi.where()
        context = ssl.create_default_context()
        if Path(bundle).is_dir():
            context.load_verify_locations(capath=bundle)
        else:
            context.load_verify_locations(cafile=bundle)
        return context

    def _notify(self, what: str, *, wait: float, of: tuple[int, RetryPolicy]) -> None:
        next_attempt, policy = of
        if self._on_retry is not None:
            attempt = f"attempt {next_attempt} of {policy.attempts}"
            self._on_retry(f"{what}; retrying in {format_seconds(wait)} ({attempt})")

    @staticmethod
    def _describe(error: HTTPError, *, timeout: float) -> _Failure:
        """A short reason for ``error``, whether trying again can help and whether the request may have
        reached the server. Never the error's text."""
        if isinstance(error, MaxRetryError) and isinstance(error.reason, HTTPError):
            if isinstance(error.reason, ResponseError):
                return _Failure("too many redirects", retryable=False, sent=True)
            error = error.reason
        if isinstance(error, ReadTimeoutError):
            return _Failure(f"timed out after {format_seconds(timeout)}", retryable=True, sent=True)
        if isinstance(error, NameResolutionError):
            return _Failure("DNS lookup failed", retryable=True, sent=False)
        if isinstance(error, ProxyError):
            return _Failure("the HTTP proxy refused or failed the connection", retryable=True, sent=False)
        if isinstance(error, NewConnectionError):
            return _Failure(_connection_reason(error), retryable=True, sent=False)
        if isinstance(error, ConnectTimeoutError):
            return _Failure(
                f"timed out connecting after {format_seconds(timeout)}", retryable=True, sent=False
            )
        if isinstance(error, SSLError):
            reason, retryable = _tls_reason(error)
            return _Failure(reason, retryable=retryable, sent=False)
        if isinstance(error, ProtocolError):
            return _Failure(_lost_reason(error), retryable=True, sent=True)
        if isinstance(error, LocationValueError):
            return _Failure("the URL is not valid", retryable=False, sent=False)
        return _Failure(f"the request failed ({type(error).__name__})", retryable=False, sent=True)


def _proxy_for(url: str, environ: Mapping[str, str]) -> str | None:
    """The proxy ``requests`` and ``curl`` would use for ``url``, from the environment, or ``None``."""
    scheme = url.split("://", 1)[0].lower()
    lowered = {name.lower(): value for name, value in environ.items() if name.lower().endswith("_proxy")}
    proxy = lowered.get(f"{scheme}_proxy") or lowered.get("all_proxy")
    if not proxy:
        return None
    from urllib.parse import urlsplit

    host = (urlsplit(url).hostname or "").lower()
    for entry in lowered.get("no_proxy", "").split(","):
        suffix = entry.strip().lower().lstrip("*").lstrip(".")
        if suffix == "" and entry.strip() == "*":
            return None
        if suffix and (host == suffix or host.endswith("." + suffix)):
            return None
    return proxy if "://" in proxy else f"http://{proxy}"


def _connection_reason(error: BaseException) -> str:
    causes = list(_causes(error))
    if any(isinstance(c, ConnectionRefusedError) for c in causes):
        return "connection refused"
    if any(isinstance(c, ConnectionResetError) for c in causes):
        return "connection reset by the server"
    if any(isinstance(c, OSError) and c.errno is not None for c in causes):
        return "the connection failed (network unreachable?)"
    return "the connection failed"


def _lost_reason(error: BaseException) -> str:
    causes = list(_causes(error))
    # http.client's RemoteDisconnected (a clean close) is a ConnectionResetError too.
    if any(isinstance(c, ConnectionResetError) and not isinstance(c, RemoteDisconnected) for c in causes):
        return "connection reset by the server"
    return "the server closed the connection without answering"


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
