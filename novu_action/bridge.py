"""Bridge client: the unsigned health-check, the signed ``discover``, and models of their answers.

The bridge is the user's deployment of a ``@novu/framework`` app (by convention at ``/api/novu``).
Its answers are remote text: the models accept fields they do not know (newer framework versions
add some), and every message quotes remote text only after ``http.remote_text``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any, TypeVar
from urllib.parse import unquote, urlsplit, urlunsplit

import requests
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from novu_action.errors import ActionError
from novu_action.http import (
    HttpClient,
    TransportError,
    status_text,
)
from novu_action.redaction import redact_url, remote_text, url_secrets
from novu_action.signing import signature_headers

SDK_VERSION_HEADER = "novu-framework-sdk"
VERCEL_BYPASS_PARAMETER = "x-vercel-protection-bypass"
_LABEL = "the bridge"
_CODE_LIMIT = 60

Model = TypeVar("Model", bound=BaseModel)


class _WireModel(BaseModel):
    """Fields are named as on the wire; fields a newer framework adds are kept, not refused."""

    model_config = ConfigDict(extra="allow")


class DiscoveredCounts(_WireModel):
    workflows: int
    steps: int


class HealthCheck(_WireModel):
    """``GET ?action=health-check``: ``status`` is ``"ok"`` on every bridge seen so far."""

    status: str
    sdkVersion: str | None = None
    frameworkVersion: str | None = None
    discovered: DiscoveredCounts


class SchemaEnvelope(_WireModel):
    """``{schema, unknownSchema}``; ``unknownSchema`` (the user's raw schema object) is never used."""

    # Not named `schema`: that would shadow a (deprecated) BaseModel method.
    json_schema: dict[str, Any] | None = Field(default=None, alias="schema")


class DiscoveredStep(_WireModel):
    stepId: str
    type: str  # an open set: newer framework versions add step types


class DiscoveredWorkflow(_WireModel):
    workflowId: str
    steps: list[DiscoveredStep]
    severity: str | None = None
    tags: list[str] | None = None
    preferences: dict[str, Any] | None = None
    payload: SchemaEnvelope | None = None
    controls: SchemaEnvelope | None = None
    env: SchemaEnvelope | None = None
    name: str | None = None
    description: str | None = None
    code: str | None = None


class DiscoveredAgent(_WireModel):
    agentId: str


class DiscoverResponse(_WireModel):
    workflows: list[DiscoveredWorkflow]
    agents: list[DiscoveredAgent] = Field(default_factory=list)


@dataclass(frozen=True)
class Discovery:
    """What the bridge serves. ``workflows`` are the JSON objects exactly as served (validated, not
    rebuilt), so the plan compares what Novu will store. ``sdk_version`` comes from the
    ``novu-framework-sdk`` response header, ``None`` when the bridge did not send it."""

    workflows: tuple[dict[str, Any], ...]
    agent_ids: tuple[str, ...]
    sdk_version: str | None


class BridgeFailure(ActionError):
    """Base of every bridge problem; the message names the bridge URL with query values redacted."""

    title = "Bridge check failed"


class BridgeUnreachableError(BridgeFailure):
    title = "Bridge unreachable"


class BridgeNotFoundError(BridgeFailure):
    title = "Bridge not found at this URL"


class BridgeProtectedError(BridgeFailure):
    title = "Bridge behind a login or deployment protection"


class BridgeNotJsonError(BridgeFailure):
    title = "Bridge answer is not JSON"


class BridgeInvalidAnswerError(BridgeFailure):
    title = "Bridge answer is not a Novu bridge answer"


class BridgeKeyMismatchError(BridgeFailure):
    title = "Bridge uses another secret key"


class BridgeClockSkewError(BridgeFailure):
    title = "Bridge clock is off"


class BridgeSignatureStrippedError(BridgeFailure):
    title = "Signature header does not reach the bridge"


class BridgeMissingSecretKeyError(BridgeFailure):
    title = "Bridge has no secret key"


class BridgeHeadersTooLargeError(BridgeFailure):
    title = "Bridge rejected the request headers"


class BridgeServerError(BridgeFailure):
    title = "Bridge failed"


class BridgeRejectedError(BridgeFailure):
    title = "Bridge rejected the request"


def bridge_action_url(url: str, action: str) -> str:
    """``url`` with ``action=<action>`` set; every other query parameter is kept byte for byte.

    Novu does the same when it calls the bridge, so a Vercel protection-bypass token survives.
    """
    parts = urlsplit(url)
    kept = [p for p in parts.query.split("&") if p and unquote(p.split("=", 1)[0]) != "action"]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "&".join([*kept, f"action={action}"]), ""))


class BridgeClient:
    """Talks to one bridge URL on behalf of one Novu environment (whose secret key signs)."""

    def __init__(
        self,
        *,
        http: HttpClient,
        url: str,
        secret_key: str,
        environment: str,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._http = http
        self._url = url
        self._secret_key = secret_key
        self._environment = environment
        self._clock = clock
        self._shown_url = redact_url(url)
        self._secrets = [*url_secrets(url), secret_key]

    def health(self) -> HealthCheck:
        """The unsigned health-check (the bridge never checks signatures on it)."""
        response = self._get("health-check", headers={})
        if not response.ok:
            raise self._error(response, action="health-check")
        return self._parse(response, HealthCheck, action="health-check")

    def discover(self) -> Discovery:
        """``discover`` signed with the environment's secret key."""
        headers = signature_headers(self._secret_key, timestamp_ms=int(self._clock() * 1000))
        response = self._get("discover", headers=headers)
        if not response.ok:
            raise self._error(response, action="discover")
        served = self._json_object(response, action="discover")
        validated = self._validate(served, DiscoverResponse, action="discover")
        return Discovery(
            workflows=tuple(served["workflows"]),
            agent_ids=tuple(agent.agentId for agent in validated.agents),
            sdk_version=response.headers.get(SDK_VERSION_HEADER),
        )

    def verifies_signatures(self) -> bool:
        """Whether the bridge refuses an unsigned ``discover`` (False: it serves its code to anyone)."""
        response = self._get("discover", headers={})
        if response.status_code in (HTTPStatus.UNAUTHORIZED, HTTPStatus.FORBIDDEN):
            return True
        if response.ok:
            self._json_object(response, action="discover")
            return False
        raise self._error(response, action="discover")

    def _get(self, action: str, *, headers: dict[str, str]) -> requests.Response:
        try:
            return self._http.request(
                "GET", bridge_action_url(self._url, action), headers=headers, label=_LABEL
            )
        except TransportError as error:
            raise self._unreachable(error, action=action) from None

    def _parse(self, response: requests.Response, model: type[Model], *, action: str) -> Model:
        return self._validate(self._json_object(response, action=action), model, action=action)

    def _validate(self, served: dict[str, Any], model: type[Model], *, action: str) -> Model:
        try:
            return model.model_validate(served)
        except ValidationError as error:
            first = error.errors()[0]
            where = ".".join(str(part) for part in first["loc"]) or "the top level"
            problem = remote_text(f"{where}: {first['msg']}", secrets=self._secrets, limit=200)
            raise BridgeInvalidAnswerError(
                f"The bridge at {self._shown_url} answered `{action}` with JSON that is not a Novu bridge "
                f"answer ({problem}). Check that the URL points at a @novu/framework bridge (by convention "
                "its path ends in /api/novu) and that its @novu/framework version is 2.x."
            ) from None

    def _json_object(self, response: requests.Response, *, action: str) -> dict[str, Any]:
        body = _json_body(response)
        if isinstance(body, dict):
            return body
        raise BridgeNotJsonError(
            f"The bridge at {self._shown_url} answered `{action}` with {status_text(response)} but not with "
            f"a JSON object ({_content_type(response)}): usually a login, SSO or deployment-protection page, "
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

    def _unreachable(self, error: TransportError, *, action: str) -> BridgeUnreachableError:
        if error.reason.startswith("timed out"):
            return BridgeUnreachableError(
                f"The bridge at {self._shown_url} did not answer `{action}` in time ({error.reason}). "
                "Check that the deployment is up; a serverless cold start can be this slow, and Novu "
                "Cloud waits only 5 s for the bridge during a sync."
            )
        return BridgeUnreachableError(
            f"Cannot reach the bridge at {self._shown_url}: {error.reason}. Check that the deployment is "
            "up and publicly reachable and that the URL is right (by convention it ends in /api/novu)."
        )

    def _error(self, response: requests.Response, *, action: str) -> BridgeFailure:
        """The user-facing error for a non-2xx answer to ``action``."""
        body = _json_body(response)
        if not isinstance(body, dict):
            return self._error_without_json(response, action=action)
        message = body.get("message")
        code = body.get("code")
        said = f': "{remote_text(message, secrets=self._secrets)}"' if isinstance(message, str) else ""
        code_text = remote_text(code, limit=_CODE_LIMIT) if isinstance(code, str) else None
        status = response.status_code
        url = self._shown_url
        env = self._environment
        if status == HTTPStatus.UNAUTHORIZED and code_text in _SIGNATURE_ERRORS:
            error_class, advice = _SIGNATURE_ERRORS[code_text]
            return error_class(advice.format(url=url, env=env))
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

    def _error_without_json(self, response: requests.Response, *, action: str) -> BridgeFailure:
        status = response.status_code
        if status in (HTTPStatus.UNAUTHORIZED, HTTPStatus.FORBIDDEN) and (
            _is_vercel(self._url) or _looks_like_html(response)
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
                f"({_content_type(response)}). Check that the deployment is up and look at its logs."
            )
        return BridgeRejectedError(
            f"The bridge at {self._shown_url} refused `{action}` with {status_text(response)} "
            f"({_content_type(response)}). Check that the URL points at the bridge route "
            "(by convention /api/novu)."
        )

    def _not_found(self, response: requests.Response, *, action: str) -> BridgeNotFoundError:
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


# Bridge 401 codes whose cause is known. Templates get only {url} (redacted) and {env}: never remote text.
_SIGNATURE_ERRORS: dict[str, tuple[type[BridgeFailure], str]] = {
    "SignatureMismatchError": (
        BridgeKeyMismatchError,
        "The bridge at {url} rejected the request signed with the {env} secret key "
        "(SignatureMismatchError): the bridge's NOVU_SECRET_KEY is not the {env} environment's secret "
        "key. Set NOVU_SECRET_KEY in that deployment to the {env} secret key (Novu Dashboard → API Keys) "
        "and redeploy, or use the URL of the deployment that belongs to {env}. Novu Cloud signs with the "
        "same key, so a sync would fail the same way.",
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


def _json_body(response: requests.Response) -> Any:
    """The parsed body, or ``None`` when it is not JSON."""
    try:
        return json.loads(response.content)
    except ValueError:
        return None


def _content_type(response: requests.Response) -> str:
    content_type = response.headers.get("Content-Type", "").split(";", 1)[0].strip()
    return f"content-type {remote_text(content_type, limit=60)}" if content_type else "no content-type"


def _looks_like_html(response: requests.Response) -> bool:
    if "html" in response.headers.get("Content-Type", "").lower():
        return True
    return response.content.lstrip()[:1] == b"<"


def _is_vercel(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    return host == "vercel.app" or host.endswith(".vercel.app")


def _has_vercel_bypass(url: str) -> bool:
    query = urlsplit(url).query
    return any(unquote(p.split("=", 1)[0]) == VERCEL_BYPASS_PARAMETER for p in query.split("&"))
