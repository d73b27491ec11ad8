"""The novu-signature header against every vector of novu-protocol.md §2 (checked on a real bridge)."""

from __future__ import annotations

import json

import pytest

from novu_action.signing import signature, signature_headers


@pytest.mark.parametrize(
    ("secret", "timestamp_ms", "body", "v1"),
    [
        (
            "test-secret-key",
            1700000000000,
            "{}",
            "2254412395c724a8c0af3c5d2c3ff787d8aa6b9c0b8c5cedd111e7e41444f00d",
        ),
        (
            "test-secret-key",
            1700000000000,
            json.dumps({"payload": {"name": "Ada"}, "state": []}, separators=(",", ":"), ensure_ascii=False),
            "415d3d3b3879a8bb1080a7596c58f1c6d306e5752569d7b9f1e9ec0a031533ff",
        ),
        # The request that produced tests/fixtures/discover.json.
        (
            "test-secret",
            1795744537177,
            "{}",
            "9630c6cda1546ddd5dfedff9400077d205a28c452f24521c7d5768b20e4a316b",
        ),
        # Ten minutes old: the bridge answered tests/fixtures/signature-expired.json.
        (
            "test-secret",
            1795743937174,
            "{}",
            "96f86bc6b3cb2799ee744b2d6978a0d6b745305b763451fd56b75698cc1df303",
        ),
        # Signed over "<t>." instead of "<t>.{}": the bridge answered SignatureMismatchError.
        (
            "test-secret",
            1795744537189,
            "",
            "da06a64dc553ed576c62c39a9ad9ca4498412da4d4515fde09743ca0bdee7c58",
        ),
    ],
)
def test_signature_matches_the_reference_vectors(secret: str, timestamp_ms: int, body: str, v1: str) -> None:
    assert signature(secret, timestamp_ms=timestamp_ms, body=body) == f"t={timestamp_ms},v1={v1}"


def test_a_get_is_signed_over_an_empty_object_not_an_empty_body() -> None:
    get = signature("test-secret", timestamp_ms=1795744537189)
    assert get == signature("test-secret", timestamp_ms=1795744537189, body="{}")
    assert get != signature("test-secret", timestamp_ms=1795744537189, body="")


def test_the_post_vector_needs_compact_json() -> None:
    pretty = json.dumps({"payload": {"name": "Ada"}, "state": []})
    assert signature("test-secret-key", timestamp_ms=1700000000000, body=pretty) != (
        "t=1700000000000,v1=415d3d3b3879a8bb1080a7596c58f1c6d306e5752569d7b9f1e9ec0a031533ff"
    )


def test_headers_carry_the_current_and_the_legacy_name_with_one_value() -> None:
    headers = signature_headers("test-secret", timestamp_ms=1795744537177)
    expected = "t=1795744537177,v1=9630c6cda1546ddd5dfedff9400077d205a28c452f24521c7d5768b20e4a316b"
    assert headers == {"novu-signature": expected, "x-novu-signature": expected}
