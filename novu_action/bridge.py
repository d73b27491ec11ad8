"""Bridge client: the unsigned health-check, the signed ``discover`` and the unsigned probe.

The bridge is the user's deployment of a ``@novu/framework`` app (by convention at ``/api/novu``). Its
answers are remote text: messages quote it only after ``redaction.remote_text``, and name the bridge URL
with its query values redacted.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from http import HTTPStatus
from urllib.parse import unquote, urlsplit, urlunsplit

from pydantic import BaseModel, ConfigDict, ValidationError

from novu_action.discovery import FRAMEWORK_HINT, Discovery, InvalidDiscoverAnswer, discovery_from
from novu_action.errors import ActionError
from novu_action.http import (
    MAX_BODY_BYTES,
    HttpClient,
    HttpResponse,
    ResponseTooLargeError,
    TransportError,
    status_text,
)
from novu_action.redaction import redact_url, remote_text, url_secrets
from novu_action.signing import Signer, signature_headers
from novu_action.wire import content_type, first_problem, json_object, looks_like_html

SDK_VERSION_HEADER = "novu-framework-sdk"
VERCEL_BYPASS_PARAMETER = "x-vercel-protection-bypass"
_LABEL = "the bridge"
_CODE_LIMIT = 60
# The unsigned probe only needs to know whether the bridge answers: it never reads a whole answer.
_PROBE_BODY_BYTES = 64 * 1024


class _DiscoveredCounts(BaseModel):
    model_config = ConfigDict(extra="ignore")

    workflows: int
    steps: int


class HealthCheck(BaseModel):
    """``GET ?action=health-check``: ``status`` is ``"ok"`` on every bridge seen so far."""

    model_config = ConfigDict(extra="ignore")

    status: str
    sdkVersion: str | None = None
    discovered: _DiscoveredCounts


class BridgeError(ActionError):
    """Base of every bridge problem; the message names the bridge URL with query values redacted."""

    title = "Bridge check failed"


class BridgeNoAnswerError(BridgeError):
    title = "Bridge did not answer"


class BridgeNotFoundError(BridgeError):
    title = "Bridge not found at this URL"


class BridgeProtectedError(BridgeError):
    title = "Bridge behind a login or deployment protection"


class BridgeNotJsonError(BridgeError):
    title = "Bridge answer is not JSON"


class BridgeInvalidAnswerError(BridgeError):
    title = "Bridge answer is not a Novu bridge answer"


class BridgeAnswerTooLargeError(BridgeError):
    title = "Bridge answer too large"


class BridgeKeyMismatchError(BridgeError):
    title = "Bridge uses another secret"


class BridgeClockSkewError(BridgeError):
    title = "Bridge clock is off"


class BridgeSignatureStrippedError(BridgeError):
    title = "Signature header does not reach the bridge"


class BridgeMissingSecretKeyError(BridgeError):
    title = "Bridge has no secret key"


class BridgeHeadersTooLargeError(BridgeError):
    title = "Bridge rejected the request headers"


class BridgeServerError(BridgeError):
    title = "Bridge failed"


class BridgeRejectedError(BridgeError):
    title = "Bridge rejected the request"


def bridge_action_url(url: str, action: str) -> str:
    """``url`` with ``action=<action>`` set; every other query parameter is kept byte for byte.

    Novu does the same when it calls the bridge, so a Vercel protection-bypass token survives.
    """
    parts = urlsplit(url)
    kept = [p for p in parts.query.split("&") if p and unquote(p.split("=", 1)[0]) != "action"]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "&".join([*kept, f"action={action}"]), ""))


class BridgeClient:
    """Talks to one bridge URL on behalf of one Novu environment, whose ``signer`` signs ``discover``."""

    def __init__(
        self,
        *,
        http: HttpClient,
        url: str,
        signer: Signer,
        environment: str,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._http = http
        self._url = url
        self._signer = signer
        self._environment = environment
        self._clock = clock
        self._shown_url = redact_url(url)
        self._secrets = (*url_secrets(url), signer.secret)

    def health(self) -> HealthCheck:
        """The unsigned health-check (the bridge never checks signatures on it)."""
        response = self._get("health-check", headers={})
        if not response.ok:
            raise self._error(response, action="health-check")
        served = self._json_object(response, action="health-check")
        try:
            return HealthCheck.model_validate(served)
        except ValidationError as error:
            raise self._invalid("health-check", first_problem(error, secrets=self._secrets)) from None

    def discover(self) -> Discovery:
        """``discover`` signed with the signer's secret."""
        headers = signature_headers(self._signer.secret, timestamp_ms=int(self._clock() * 1000))
        response = self._get("discover", headers=headers)
        if not response.ok:
            raise self._error(response, action="discover")
        served = self._json_object(response, action="discover")
        try:
            return discovery_from(
                served, sdk_version=response.header(SDK_VERSION_HEADER) or None, secrets=self._secrets
            )
        except InvalidDiscoverAnswer as invalid:
            raise self._invalid("discover", invalid.problem) from None

    def verifies_signatures(self) -> bool:
        """Whether the bridge refuses an unsigned ``discover`` (False: it serves its code to anyone)."""
        try:
            response = self._get("discover", headers={}, max_body_bytes=_PROBE_BODY_BYTES)
        except ResponseTooLargeError as too_large:  # a large answer: what it is, its headers say
            return too_large.status not in range(200, 300) or "json" not in too_large.content_type.lower()
        if response.status in (HTTPStatus.UNAUTHORIZED, HTTPStatus.FORBIDDEN):
            return True
        if response.ok:
            return "json" not in response.header("Content-Type").lower()
        raise self._error(response, action="discover")

    def _get(
        self, action: str, *, headers: dict[str, str], max_body_bytes: int = MAX_BODY_BYTES
    ) -> HttpResponse:
        try:
            return self._http.request(
                "GET",
                bridge_action_url(self._url, action),
                headers=headers,
                label=_LABEL,
                max_body_bytes=max_body_bytes,
            )
        except TransportError as error:
            raise self._no_answer(error, action=action) from None
        except ResponseTooLargeError as too_large:
            if max_body_bytes < MAX_BODY_BYTES:
                raise
            raise BridgeAnswerTooLargeError(
                f"The bridge at {self._shown_url} answered `{action}` with more than "
                f"{too_large.limit // (1024 * 1024)} MiB, the most the action reads. Split the workflows "
                "over several bridges (each with its own `id`), or check that the URL is the bridge route."
            ) from None

    def _invalid(self, action: str, problem: str) -> BridgeInvalidAnswerError:
        return BridgeInvalidAnswerError(
            f"The bridge at {self._shown_url} answered `{action}` with JSON that is not a Novu bridge answer "
            f"({problem}). {FRAMEWORK_HINT}"
        )

    def _json_object(self, response: HttpResponse, *, action: str) -> dict[str, object]:
        body = json_object(response)
        if body is not None:
            return body
        raise BridgeNotJsonError(
            f"The bridge at {self._shown_url} answered `{action}` with {status_text(response)} but not with "
            f"a JSON object ({content_type(response)}): usually a login, SSO or deployment-protection page, "
            "or a URL that points at the web app instead of the bridge route (by convention /api/novu). "
            f"{self._protection_advice()}Novu Cloud would fail on this too (it reports it as "
            '"Maximum redirects exceeded").'
        )

    def _protection_advice(self) -> str:
        if not _is_vercel(self._url):
            return ""
        if _has_vercel_bypass(self._url):
            return (
                f"The URL carries `{VERCEL_BYPASS_PARAMETER}`, but Vercel did not accept it: check that it "
                "is the project's current Protection Bypass for Automation secret. "
            )
        return (
            f"For Vercel Deployment Protection, add `?{VERCEL_BYPASS_PARAMETER}=<secret>` to the bridge URL "
            "(Vercel → Project Settings → Deployment Protection → Protection Bypass for Automation). "
        )

    def _no_answer(self, error: TransportError, *, action: str) -> BridgeNoAnswerError:
        if error.reason.startswith("timed out"):
            return BridgeNoAnswerError(
                f"The bridge at {self._shown_url} did not answer `{action}` in time ({error.reason}). "
                "Check that the deployment is up; a serverless cold start can be this slow, and Novu "
                "Cloud waits only 5 s for the bridge during a sync."
            )
        return BridgeNoAnswerError(
            f"Cannot reach the bridge at {self._shown_url}: {error.reason}. Check that the deployment is "
            "up and publicly reachable and that the URL is right (by convention it ends in /api/novu)."
        )

    def _error(self, response: HttpResponse, *, action: str) -> BridgeError:
        """The user-facing error for a non-2xx answer to ``action``."""
        body = json_object(response)
        if body is None:
            return self._error_without_json(response, action=action)
        message, code = body.get("message"), body.get("code")
        said = f': "{remote_text(message, secrets=self._secrets)}"' if isinstance(message, str) else ""
        code_text = remote_text(code, limit=_CODE_LIMIT) if isinstance(code, str) else None
        status, url = response.status, self._shown_url
        if status == HTTPStatus.UNAUTHORIZED and code_text in _SIGNATURE_ERRORS:
            error_class, advice = _SIGNATURE_ERRORS[code_text]
            return error_class(advice.format(url=url, env=self._environment, **self._signer_words()))
        if code_text == "MissingDependencyError":
            return BridgeServerError(
                f"The bridge at {url} is missing a package (MissingDependencyError){said}. Install it in "
                "the bridge app and redeploy; Zod schemas need both `zod` and `zod-to-json-schema`."
            )
        if code_text == "BridgeError":
            return BridgeServerError(
                f"The bridge at {url} failed while answering `{action}` ({status_text(response)}, "
                f"BridgeError){said}. Check the bridge's logs: a workflow definition may throw when loaded."
            )
        if status == HTTPStatus.NOT_FOUND:
            return self._not_found(response, action=action)
        if status == HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE:
            return self._headers_too_large()
        code_note = f" ({code_text})" if code_text else ""
        if status >= 500:
            return BridgeServerError(
                f"The bridge at {url} answered `{action}` with {status_text(response)}{code_note}{said}. "
                "Check the deployment's logs and that it is healthy."
            )
        return BridgeRejectedError(
            f"The bridge at {url} refused `{action}` with {status_text(response)}{code_note}{said}. "
            "Check the bridge URL and the bridge's @novu/framework version."
        )

    def _signer_words(self) -> dict[str, str]:
        signer = self._signer
        signed_with = (
            f"the {self._environment} secret key (`{signer.source_input}`)"
            if signer.is_secret_key
            else f"the bridge signing secret in `{signer.source_input}`"
        )
        signing_input = f"{_input_prefix(self._environment)}bridge-signing-secret"
        alternative = (
            f"If Novu signs this environment's bridge calls with a separate bridge signing secret (newer "
            f"Novu), set `{signing_input}` to that secret instead."
            if signer.is_secret_key
            else f"If the bridge uses the {self._environment} secret key, leave `{signing_input}` empty."
        )
        return {"signed_with": signed_with, "alternative": alternative}

    def _error_without_json(self, response: HttpResponse, *, action: str) -> BridgeError:
        status = response.status
        if status in (HTTPStatus.UNAUTHORIZED, HTTPStatus.FORBIDDEN) and (
            _is_vercel(self._url) or looks_like_html(response)
        ):
            advice = self._protection_advice() or (
                "Make the bridge route public, or put the protection's bypass token in the bridge URL's "
                "query string. "
            )
            return BridgeProtectedError(
                f"The bridge at {self._shown_url} answered `{action}` with {status_text(response)} and a web "
                "page instead of the bridge's JSON: the deployment is behind a login or deployment "
                f"protection. {advice}Novu Cloud must get through too, so the token belongs in the URL, "
                "not in a header."
            )
        if status == HTTPStatus.NOT_FOUND:
            return self._not_found(response, action=action)
        if status == HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE:
            return self._headers_too_large()
        if status >= 500:
            return BridgeServerError(
                f"The bridge at {self._shown_url} answered `{action}` with {status_text(response)} "
                f"({content_type(response)}). Check that the deployment is up and look at its logs."
            )
        return BridgeRejectedError(
            f"The bridge at {self._shown_url} refused `{action}` with {status_text(response)} "
            f"({content_type(response)}). Check that the URL points at the bridge route "
            "(by convention /api/novu)."
        )

    def _not_found(self, response: HttpResponse, *, action: str) -> BridgeNotFoundError:
        return BridgeNotFoundError(
            f"The bridge URL {self._shown_url} answered `{action}` with {status_text(response)}: nothing "
            "serves a Novu bridge at that path. Check the path; by convention it ends in /api/novu, "
            "where the app mounts @novu/framework's `serve`."
        )

    def _headers_too_large(self) -> BridgeHeadersTooLargeError:
        return BridgeHeadersTooLargeError(
            f"The bridge at {self._shown_url} answered 431 Request Header Fields Too Large, although the "
            "action sends only a few short headers: a server or proxy in front of the bridge has a very "
            "small header limit. Raise it (for Node: --max-http-header-size); see "
            "https://github.com/novuhq/novu/issues/7486."
        )


def _input_prefix(environment: str) -> str:
    return f"{environment.lower()}-" if environment in ("Development", "Production") else ""


# Bridge 401 codes whose cause is known. Templates get only {url} (redacted), {env} and the signer's words:
# never remote text.
_SIGNATURE_ERRORS: dict[str, tuple[type[BridgeError], str]] = {
    "SignatureMismatchError": (
        BridgeKeyMismatchError,
        "The bridge at {url} rejected the discover request signed with {signed_with} "
        "(SignatureMismatchError): the bridge verifies signatures with another secret. Set NOVU_SECRET_KEY "
        "in that deployment to the {env} secret key (Novu Dashboard → API Keys) and redeploy, or use the "
        "URL of the deployment that belongs to {env}. {alternative}",
    ),
    "SignatureExpiredError": (
        BridgeClockSkewError,
        "The bridge at {url} says the signature made just now is expired (SignatureExpiredError): the "
        "clocks of the bridge host and this runner differ by more than 5 minutes. Fix the bridge host's "
        "clock (enable NTP time sync).",
    ),
    "SignatureNotFoundError": (
        BridgeSignatureStrippedError,
        "The bridge at {url} received no `novu-signature` header (SignatureNotFoundError), but the action "
        "sent one: a proxy, CDN or middleware in front of the bridge removes it. Let the `novu-signature` "
        "header through; Novu Cloud sends it on every sync.",
    ),
    "SignatureInvalidError": (
        BridgeSignatureStrippedError,
        "The bridge at {url} could not read the `novu-signature` header (SignatureInvalidError): a proxy, "
        "CDN or middleware in front of the bridge alters it. Let the header through unchanged.",
    ),
    "SigningKeyNotFoundError": (
        BridgeMissingSecretKeyError,
        "The bridge at {url} has no secret key to check signatures with (SigningKeyNotFoundError). Set "
        "NOVU_SECRET_KEY in the bridge deployment to the {env} environment's secret key and redeploy.",
    ),
}


def _is_vercel(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    return host == "vercel.app" or host.endswith(".vercel.app")


def _has_vercel_bypass(url: str) -> bool:
    query = urlsplit(url).query
    return any(unquote(p.split("=", 1)[0]) == VERCEL_BYPASS_PARAMETER for p in query.split("&"))
