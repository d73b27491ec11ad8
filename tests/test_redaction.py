from __future__ import annotations

import pytest

from novu_action.redaction import redact_url, remote_text, url_secrets
from tests.stand_ins.scripted_http import BYPASS_TOKEN


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        (
            f"https://app.vercel.app/api/novu?x-vercel-protection-bypass={BYPASS_TOKEN}",
            "https://app.vercel.app/api/novu?x-vercel-protection-bypass=REDACTED",
        ),
        (
            "https://ann:hunter22@bridge.example.com:8443/api/novu?a=1&b=two&action=discover#frag",
            "https://bridge.example.com:8443/api/novu?a=REDACTED&b=REDACTED&action=REDACTED",
        ),
        ("https://bridge.example.com/api/novu", "https://bridge.example.com/api/novu"),
        ("http://[::1]:4000/api/novu?token", "http://[::1]:4000/api/novu?REDACTED"),
        ("http://host:notaport/x?secret=1", "<unparsable URL>"),
    ],
)
def test_redact_url_hides_query_values_userinfo_and_fragment(url: str, shown: str) -> None:
    assert redact_url(url) == shown


def test_url_secrets_lists_query_values_and_userinfo_in_both_encodings() -> None:
    url = "https://ann:hunter22@x.example/api/novu?bypass=abc%2Fdef&flag=1&debug"
    assert url_secrets(url) == ["abc%2Fdef", "abc/def", "debug", "hunter22"]


def test_remote_text_cannot_break_lines_leak_secrets_or_run_on() -> None:
    text = f"bad\r\n::error::injected at https://x/?t={BYPASS_TOKEN}\x1b[31m " + "x" * 500
    cleaned = remote_text(text, secrets=[BYPASS_TOKEN])
    assert "\n" not in cleaned
    assert "\r" not in cleaned
    assert "\x1b" not in cleaned
    assert BYPASS_TOKEN not in cleaned
    assert cleaned.startswith("bad ::error::injected at https://x/?t=REDACTED [31m x")
    assert len(cleaned) == 300
    assert cleaned.endswith("…")
