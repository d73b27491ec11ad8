"""Keeping secrets out of everything printed: URLs, remote error text.

Secrets travel in URLs (a Vercel protection-bypass token in the bridge URL's query string, or
``user:pass@``) and come back inside remote error messages (Novu quotes the bridge URL). Pure string
functions, standard library only, so that a run that never reaches the network does not import an
HTTP stack to mask its inputs.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import SplitResult, unquote, urlsplit, urlunsplit

REDACTED = "REDACTED"
# Shorter values are not worth masking: masking "1" or "on" would garble every log line.
_MIN_SECRET_LENGTH = 4
_REMOTE_TEXT_LIMIT = 300
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
_WHITESPACE_RUN = re.compile(r"\s+")


def redact_url(url: str) -> str:
    """``url`` with every query value replaced by ``REDACTED``, without userinfo and fragment.

    ``https://u:p@app.example/api/novu?x-vercel-protection-bypass=abc#top`` becomes
    ``https://app.example/api/novu?x-vercel-protection-bypass=REDACTED``. Parameter names are kept:
    they tell the user which parameter is present without showing its value.
    """
    parts = _split(url)
    if parts is None:
        return "<unparsable URL>"
    query = "&".join(_redacted_parameter(parameter) for parameter in parts.query.split("&") if parameter)
    return urlunsplit((parts.scheme, _host_and_port(parts), parts.path, query, ""))


def url_secrets(url: str) -> list[str]:
    """Query values and userinfo parts of ``url``, as written and percent-decoded, for masking.

    Values shorter than four characters are left out: they cannot be secrets worth hiding, and
    masking them would garble unrelated text.
    """
    parts = _split(url)
    if parts is None:
        return []
    found: list[str] = []
    candidates = [_value(parameter) for parameter in parts.query.split("&")]
    if "@" in parts.netloc:
        userinfo = parts.netloc.rsplit("@", 1)[0]
        candidates.extend(userinfo.split(":", 1))
    for candidate in candidates:
        for form in (candidate, unquote(candidate.replace("+", " ")), unquote(candidate)):
            if len(form) >= _MIN_SECRET_LENGTH and form not in found:
                found.append(form)
    return found


def remote_text(text: str, *, secrets: Iterable[str] = (), limit: int = _REMOTE_TEXT_LIMIT) -> str:
    """Text from a remote party, made safe to put into a one-line message.

    Control characters and line breaks become spaces (so the text cannot start a workflow
    command or a new log line), each of ``secrets`` becomes ``REDACTED`` (Novu quotes the bridge
    URL, token included, in its errors), and the result is cut to ``limit`` characters.
    """
    for secret in sorted((s for s in secrets if s), key=len, reverse=True):
        text = text.replace(secret, REDACTED)
    text = _WHITESPACE_RUN.sub(" ", _CONTROL_CHARACTERS.sub(" ", text)).strip()
    if len(text) > limit:
        return text[: limit - 1].rstrip() + "…"
    return text


def _split(url: str) -> SplitResult | None:
    try:
        parts = urlsplit(url.strip())
        parts.port  # noqa: B018 -- raises ValueError for a port that is not a number
    except ValueError:
        return None
    return parts


def _host_and_port(parts: SplitResult) -> str:
    host = parts.hostname or ""
    if ":" in host:  # an IPv6 literal needs its brackets back
        host = f"[{host}]"
    return f"{host}:{parts.port}" if parts.port is not None else host


def _redacted_parameter(parameter: str) -> str:
    if "=" not in parameter:  # a bare parameter may itself be a token
        return REDACTED
    name = parameter.split("=", 1)[0]
    return f"{name}={REDACTED}"


def _value(parameter: str) -> str:
    return parameter.split("=", 1)[1] if "=" in parameter else parameter
