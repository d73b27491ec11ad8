"""The ``novu-signature`` header: how Novu proves to a bridge that a request comes from it.

``t=<unix ms>,v1=<lowercase hex HMAC-SHA256 of "<t>.<body>">``, keyed by the environment's secret
key. A GET is signed over the body ``{}`` (the bridge never reads a GET body and uses ``{}``); a
POST over the compact JSON text that is sent.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

SIGNATURE_HEADER = "novu-signature"
# @novu/framework up to 2.3.x also read this one; 2.13.2 reads only `novu-signature`.
LEGACY_SIGNATURE_HEADER = "x-novu-signature"


def signature(secret_key: str, *, timestamp_ms: int, body: str = "{}") -> str:
    """The header value for a request made at ``timestamp_ms`` (milliseconds) carrying ``body``."""
    digest = hmac.new(
        secret_key.encode("utf-8"), f"{timestamp_ms}.{body}".encode(), hashlib.sha256
    ).hexdigest()
    return f"t={timestamp_ms},v1={digest}"


def signature_headers(secret_key: str, *, timestamp_ms: int) -> dict[str, str]:
    """Both signature headers, same value, for a GET (body ``{}``) made at ``timestamp_ms``."""
    value = signature(secret_key, timestamp_ms=timestamp_ms)
    return {SIGNATURE_HEADER: value, LEGACY_SIGNATURE_HEADER: value}


@dataclass(frozen=True)
class Signer:
    """The secret the bridge verifies signatures with, and the input (as the user spells it) it came from.

    Usually the environment's secret key; a separate bridge signing secret where Novu signs with one.
    """

    secret: str
    source_input: str
    is_secret_key: bool
