"""HttpClient over real HTTP: retries, Retry-After, constant headers, timeouts, and no secret in any text.

``ScriptedServer`` (a stdlib HTTP server on 127.0.0.1 answering from a script) is also used by
tests/test_bridge.py and tests/test_novu_api.py.
"""

from __future__ import annotations

import socket
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any

import pytest
import requests

from novu_action import __version__
from novu_action.http import (
    USER_AGENT,
    HttpClient,
    RetryPolicy,
    TransportError,
)
from tests.stand_ins.scripted_http import BYPASS_TOKEN, Recorder, Reply, ScriptedServer, closed_port, scripted


def make_client(
    recorder: Recorder, *, timeout: float = 5.0, policy: RetryPolicy | None = None, now: float = 0.0
) -> HttpClient:
    return HttpClient(
        timeout=timeout,
        policy=policy or RetryPolicy(),
        sleep=recorder.sleep,
        random=lambda: 0.5,
        clock=lambda: now,
        on_retry=recorder.notice,
    )


@pytest.mark.parametrize(
    ("status", "retried"),
    [
        (409, True),
        (429, True),
        (500, True),
        (503, True),
        (599, True),
        (400, False),
        (401, False),
        (403, False),
        (404, False),
        (422, False),
        (200, False),
    ],
)
def test_only_409_429_and_5xx_are_retried(status: int, retried: bool) -> None:
    assert RetryPolicy.retries_status(status) is retried


def test_backoff_is_full_jitter_doubling_up_to_the_cap() -> None:
    policy = RetryPolicy()
    assert [policy.backoff(retry_number=n, random=lambda: 1.0) for n in (1, 2, 3, 4, 5, 6)] == [
        1.0,
        2.0,
        4.0,
        8.0,
        16.0,
        20.0,
    ]
    assert policy.backoff(retry_number=3, random=lambda: 0.0) == 0.0


# --- requests over real HTTP -----------------------------------------------------------------------


def test_sends_compact_utf8_json_with_the_action_user_agent() -> None:
    recorder = Recorder()
    with scripted(Reply(201, {"ok": True})) as server:
        response = make_client(recorder).request(
            "POST", f"{server.url}/v1/bridge/sync", json_body={"bridgeUrl": "https://x", "name": "Zoë"}
        )
    assert response.status_code == 201
    [request] = server.received
    assert request.body == '{"bridgeUrl":"https://x","name":"Zoë"}'.encode()
    assert request.headers["content-type"] == "application/json"
    assert request.headers["user-agent"] == USER_AGENT
    assert USER_AGENT.startswith(f"novu-sync-action/{__version__} python-requests/")


def test_retries_a_503_with_backoff_and_tells_the_user_without_the_query() -> None:
    recorder = Recorder()
    with scripted(Reply(503), Reply(200, {"data": 1})) as server:
        url = f"{server.url}/api/novu?x-vercel-protection-bypass={BYPASS_TOKEN}"
        response = make_client(recorder).request("GET", url, label="the bridge")
    assert response.status_code == 200
    assert len(server.received) == 2
    assert recorder.sleeps == [0.5]  # random 0.5 x base 1 s
    assert recorder.notices == [
        f"the bridge (GET {server.url}/api/novu?x-vercel-protection-bypass=REDACTED) answered "
        "503 Service Unavailable; retrying in 0.5 s (attempt 2 of 4)"
    ]


def test_every_attempt_carries_the_same_headers_so_the_idempotency_key_holds() -> None:
    recorder = Recorder()
    with scripted(Reply(409, headers={"Retry-After": "1"}), Reply(500), Reply(201, {"data": []})) as server:
        make_client(recorder).request(
            "POST",
            f"{server.url}/v1/bridge/sync",
            headers={"Idempotency-Key": "run-42-1-production", "Authorization": "ApiKey k"},
            json_body={"bridgeUrl": "https://x"},
        )
    keys = [r.headers["idempotency-key"] for r in server.received]
    assert keys == ["run-42-1-production"] * 3
    assert len({r.body for r in server.received}) == 1


def test_honours_retry_after_in_seconds() -> None:
    recorder = Recorder()
    with scripted(Reply(429, headers={"Retry-After": "7"}), Reply(200)) as server:
        make_client(recorder).request("GET", server.url)
    assert recorder.sleeps == [7.0]
    assert recorder.notices[0].endswith("answered 429 Too Many Requests; retrying in 7 s (attempt 2 of 4)")


def test_honours_retry_after_as_an_http_date() -> None:
    recorder = Recorder()
    now = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC).timestamp()
    date = format_datetime(datetime(2026, 3, 1, 12, 0, 12, tzinfo=UTC), usegmt=True)
    with scripted(Reply(503, headers={"Retry-After": date}), Reply(200)) as server:
        make_client(recorder, now=now).request("GET", server.url)
    assert recorder.sleeps == [12.0]


def test_gives_up_at_once_when_retry_after_exceeds_the_cap() -> None:
    recorder = Recorder()
    client = make_client(recorder)
    with scripted(Reply(429, headers={"Retry-After": "3600"}), Reply(200)) as server:
        response = client.request("GET", server.url)
    assert response.status_code == 429
    assert len(server.received) == 1
    assert recorder.sleeps == []
    assert client.retry_after(response) == 3600.0


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422])
def test_never_retries_other_client_errors(status: int) -> None:
    recorder = Recorder()
    with scripted(Reply(status), Reply(200)) as server:
        response = make_client(recorder).request("POST", server.url, json_body={})
    assert response.status_code == status
    assert len(server.received) == 1
    assert recorder.sleeps == []


def test_returns_the_last_answer_when_every_attempt_fails() -> None:
    recorder = Recorder()
    with scripted(Reply(502, {"message": "upstream"})) as server:
        response = make_client(recorder).request("GET", server.url)
    assert response.status_code == 502
    assert response.json() == {"message": "upstream"}
    assert len(server.received) == 4
    assert recorder.sleeps == [0.5, 1.0, 2.0]
    assert recorder.notices[-1].endswith("(attempt 4 of 4)")


def test_retry_false_sends_once() -> None:
    recorder = Recorder()
    with scripted(Reply(503), Reply(200)) as server:
        response = make_client(recorder).request("GET", server.url, retry=False)
    assert response.status_code == 503
    assert len(server.received) == 1


def test_connection_refused_is_retried_then_a_transport_error_without_the_query() -> None:
    recorder = Recorder()
    url = f"http://127.0.0.1:{closed_port()}/api/novu?x-vercel-protection-bypass={BYPASS_TOKEN}"
    with pytest.raises(TransportError) as caught:
        make_client(recorder).request("GET", url, label="the bridge")
    error = caught.value
    assert error.reason == "connection refused"
    assert error.attempts == 4
    assert error.url.endswith("/api/novu?x-vercel-protection-bypass=REDACTED")
    assert recorder.sleeps == [0.5, 1.0, 2.0]
    assert "connection refused; retrying in 0.5 s (attempt 2 of 4)" in recorder.notices[0]
    for text in [str(error), *recorder.notices]:
        assert BYPASS_TOKEN not in text
        assert "x-vercel-protection-bypass=REDACTED" in text
    assert error.__cause__ is None
    assert error.__suppress_context__


def test_a_slow_server_times_out_on_every_attempt() -> None:
    recorder = Recorder()
    with scripted(Reply(200, delay=1.0)) as server:
        url = f"{server.url}/?token={BYPASS_TOKEN}"
        with pytest.raises(TransportError) as caught:
            make_client(recorder, timeout=0.2, policy=RetryPolicy(attempts=2)).request("GET", url)
    assert caught.value.reason == "timed out after 0.2 s"
    assert len(server.received) == 2
    assert BYPASS_TOKEN not in str(caught.value)
    assert BYPASS_TOKEN not in " ".join(recorder.notices)


def test_https_to_a_plain_http_port_is_a_tls_error_not_worth_retrying() -> None:
    recorder = Recorder()
    with scripted(Reply(200)) as server:
        url = server.url.replace("http://", "https://") + f"/?t={BYPASS_TOKEN}"
        with pytest.raises(TransportError) as caught:
            make_client(recorder).request("GET", url)
    assert caught.value.reason == "TLS error (the server does not speak HTTPS on this port)"
    assert caught.value.attempts == 1
    assert recorder.sleeps == []
    assert BYPASS_TOKEN not in str(caught.value)


def test_dns_failure_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_such_host(*args: object, **kwargs: object) -> list[Any]:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", no_such_host)
    recorder = Recorder()
    with pytest.raises(TransportError) as caught:
        make_client(recorder, policy=RetryPolicy(attempts=2)).request(
            "GET", f"https://bridge.example.com/api/novu?t={BYPASS_TOKEN}"
        )
    assert caught.value.reason == "DNS lookup failed"
    assert str(caught.value) == (
        "no answer from https://bridge.example.com/api/novu?t=REDACTED: DNS lookup failed (2 attempts)"
    )


def test_an_answer_received_earlier_is_returned_when_later_attempts_get_none() -> None:
    recorder = Recorder()
    with ScriptedServer([Reply(503, {"message": "warming up"})]) as server:

        def stop_the_server_instead_of_sleeping(seconds: float) -> None:
            recorder.sleep(seconds)
            server._server.stop()

        client = HttpClient(
            timeout=5.0,
            sleep=stop_the_server_instead_of_sleeping,
            random=lambda: 0.5,
            on_retry=recorder.notice,
        )
        response = client.request("GET", server.url)
    assert response.status_code == 503
    assert response.json() == {"message": "warming up"}
    assert len(server.received) == 1
    assert "connection refused" in recorder.notices[-1]


def test_timeout_applies_to_every_call_on_the_given_session() -> None:
    seen: list[object] = []

    class CountingSession(requests.Session):
        def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> Any:
            seen.append(kwargs.get("timeout"))
            return super().request(method, url, *args, **kwargs)

    with scripted(Reply(503), Reply(200)) as server:
        HttpClient(timeout=3.5, session=CountingSession(), sleep=lambda _: None).request("GET", server.url)
    assert seen == [3.5, 3.5]
