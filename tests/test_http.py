"""HttpClient over real sockets: retries, Retry-After, constant headers, timeouts, body limits, proxies, TLS,
whether a failed request may have reached the server, and no secret in any text.

``ScriptedServer`` (a stdlib HTTP server on 127.0.0.1 answering from a script) covers ordinary answers; the
``RawServer`` below writes HTTP by hand for what a stdlib server cannot do: a chunked body, a connection
closed or reset without an answer, a kept-alive connection.
"""

from __future__ import annotations

import datetime as dt
import gzip
import ipaddress
import socket
import ssl
import struct
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest

from novu_action import __version__
from novu_action.http import (
    MAX_BODY_BYTES,
    USER_AGENT,
    HttpClient,
    HttpResponse,
    ResponseTooLargeError,
    RetryPolicy,
    TransportError,
    _proxy_for,
    retry_after_seconds,
    status_text,
)
from tests.stand_ins.local_server import LocalServer
from tests.stand_ins.scripted_http import BYPASS_TOKEN, Recorder, Reply, ScriptedServer, closed_port, scripted


def make_client(
    recorder: Recorder,
    *,
    timeout: float = 5.0,
    policy: RetryPolicy | None = None,
    now: float = 0.0,
    environ: dict[str, str] | None = None,
) -> HttpClient:
    return HttpClient(
        timeout=timeout,
        policy=policy or RetryPolicy(),
        sleep=recorder.sleep,
        random=lambda: 0.5,
        clock=lambda: now,
        on_retry=recorder.notice,
        environ=environ if environ is not None else {},
    )


SYNC_POLICY = RetryPolicy(resend_after_send=False)


# --- a hand-written HTTP/1.1 server ----------------------------------------------------------------


@dataclass(frozen=True)
class RawRequest:
    head: bytes  # request line and headers
    body: bytes
    connection: int  # the accepted connection it came on, counted from 0

    @property
    def path(self) -> str:
        return self.head.split(b" ", 2)[1].decode()


# Writes the answer to the socket; returns False to close the connection afterwards.
RawAnswer = Callable[[RawRequest, socket.socket], bool]


class RawServer:
    """Keeps connections alive and lets ``answer`` write whatever bytes it likes, or none."""

    def __init__(self, answer: RawAnswer) -> None:
        self.requests: list[RawRequest] = []
        self._answer = answer
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        self._connections: list[socket.socket] = []
        self._lock = threading.Lock()

    def __enter__(self) -> RawServer:
        threading.Thread(target=self._accept, name="raw-http-server", daemon=True).start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._listener.close()
        with self._lock:
            for connection in self._connections:
                connection.close()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self._listener.accept()
            except OSError:
                return
            with self._lock:
                number = len(self._connections)
                self._connections.append(connection)
            threading.Thread(target=self._serve, args=(connection, number), daemon=True).start()

    def _serve(self, connection: socket.socket, number: int) -> None:
        reader = connection.makefile("rb")
        try:
            while True:
                head = b""
                while not head.endswith(b"\r\n\r\n"):
                    line = reader.readline()
                    if not line:
                        return
                    head += line
                length = next(
                    (
                        int(line.split(b":", 1)[1])
                        for line in head.lower().split(b"\r\n")
                        if line.startswith(b"content-length:")
                    ),
                    0,
                )
                request = RawRequest(head=head, body=reader.read(length), connection=number)
                with self._lock:
                    self.requests.append(request)
                if not self._answer(request, connection):
                    connection.close()
                    return
        except OSError:
            return


def answer_bytes(status: str, body: bytes, *, headers: str = "Content-Type: application/json\r\n") -> bytes:
    return f"HTTP/1.1 {status}\r\n{headers}Content-Length: {len(body)}\r\n\r\n".encode() + body


# --- the retry policy ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "retried", "retried_for_a_sync"),
    [
        (409, True, True),
        (429, True, True),
        (500, True, False),
        (503, True, False),
        (599, True, False),
        (400, False, False),
        (401, False, False),
        (403, False, False),
        (404, False, False),
        (422, False, False),
        (200, False, False),
    ],
)
def test_only_409_429_and_5xx_are_retried_and_a_sync_never_resends_after_a_5xx(
    status: int, retried: bool, retried_for_a_sync: bool
) -> None:
    assert RetryPolicy().retries_status(status) is retried
    assert SYNC_POLICY.retries_status(status) is retried_for_a_sync


def test_a_sync_policy_retries_failures_only_before_the_request_was_sent() -> None:
    assert SYNC_POLICY.retries_failure(retryable=True, sent=False) is True
    assert SYNC_POLICY.retries_failure(retryable=True, sent=True) is False
    assert RetryPolicy().retries_failure(retryable=True, sent=True) is True
    assert RetryPolicy().retries_failure(retryable=False, sent=False) is False


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


def test_a_policy_needs_at_least_one_attempt() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        RetryPolicy(attempts=0)


# --- answers -----------------------------------------------------------------------------------------


def test_status_text_uses_the_standard_phrase_only() -> None:
    assert status_text(HttpResponse(status=503, headers={}, body=b"")) == "503 Service Unavailable"
    assert status_text(HttpResponse(status=599, headers={}, body=b"")) == "599"


def test_retry_after_without_a_time_zone_or_with_garbage_is_ignored() -> None:
    def answer(value: str) -> HttpResponse:
        return HttpResponse(status=429, headers={"retry-after": value}, body=b"")

    now = dt.datetime(2026, 3, 1, 12, 0, 0, tzinfo=dt.UTC).timestamp()
    assert retry_after_seconds(answer("Sun, 01 Mar 2026 12:00:30 GMT"), now=now) == 30.0
    assert retry_after_seconds(answer("Sun, 01 Mar 2026 11:00:00 GMT"), now=now) == 0.0  # already past
    assert retry_after_seconds(answer("Sun, 01 Mar 2026 12:00:30"), now=now) is None
    assert retry_after_seconds(answer("soon"), now=now) is None
    assert retry_after_seconds(answer("-5"), now=now) is None
    assert retry_after_seconds(HttpResponse(status=429, headers={}, body=b""), now=now) is None


def test_answers_carry_lower_case_headers_and_the_whole_body() -> None:
    with scripted(Reply(201, {"ok": True}, headers={"X-Request-Id": "r1"})) as server:
        response = make_client(Recorder()).request("GET", server.url)
    assert response.ok
    assert response.body == b'{"ok": true}'
    assert response.headers["x-request-id"] == "r1"
    assert response.header("X-REQUEST-ID") == "r1"
    assert response.header("Content-Type") == "application/json"
    assert response.header("missing") == ""
    assert not HttpResponse(status=302, headers={}, body=b"").ok


# --- requests over real HTTP -----------------------------------------------------------------------


def test_sends_compact_utf8_json_with_the_action_user_agent() -> None:
    recorder = Recorder()
    with scripted(Reply(201, {"ok": True})) as server:
        response = make_client(recorder).request(
            "POST", f"{server.url}/v1/bridge/sync", json_body={"bridgeUrl": "https://x", "name": "Zoë"}
        )
    assert response.status == 201
    [request] = server.received
    assert request.body == '{"bridgeUrl":"https://x","name":"Zoë"}'.encode()
    assert request.headers["content-type"] == "application/json"
    assert request.headers["accept"] == "application/json"
    assert request.headers["user-agent"] == USER_AGENT
    assert request.headers["user-agent"] == f"novu-sync-action/{__version__} urllib3/{version('urllib3')}"


def test_a_gzip_answer_is_accepted_and_unpacked() -> None:
    packed = gzip.compress(b'{"workflows":[]}')
    with scripted(Reply(200, packed, headers={"Content-Encoding": "gzip"})) as server:
        response = make_client(Recorder()).request("GET", server.url)
    assert response.body == b'{"workflows":[]}'
    assert "gzip" in server.received[0].headers["accept-encoding"]


def test_retries_a_503_with_backoff_and_tells_the_user_without_the_query() -> None:
    recorder = Recorder()
    with scripted(Reply(503), Reply(200, {"data": 1})) as server:
        url = f"{server.url}/api/novu?x-vercel-protection-bypass={BYPASS_TOKEN}"
        response = make_client(recorder).request("GET", url, label="the bridge")
    assert response.status == 200
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
    now = dt.datetime(2026, 3, 1, 12, 0, 0, tzinfo=dt.UTC).timestamp()
    date = format_datetime(dt.datetime(2026, 3, 1, 12, 0, 12, tzinfo=dt.UTC), usegmt=True)
    with scripted(Reply(503, headers={"Retry-After": date}), Reply(200)) as server:
        make_client(recorder, now=now).request("GET", server.url)
    assert recorder.sleeps == [12.0]


def test_gives_up_at_once_when_retry_after_exceeds_the_cap() -> None:
    recorder = Recorder()
    client = make_client(recorder)
    with scripted(Reply(429, headers={"Retry-After": "3600"}), Reply(200)) as server:
        response = client.request("GET", server.url)
    assert response.status == 429
    assert len(server.received) == 1
    assert recorder.sleeps == []
    assert client.retry_after(response) == 3600.0


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422])
def test_never_retries_other_client_errors(status: int) -> None:
    recorder = Recorder()
    with scripted(Reply(status), Reply(200)) as server:
        response = make_client(recorder).request("POST", server.url, json_body={})
    assert response.status == status
    assert len(server.received) == 1
    assert recorder.sleeps == []


def test_returns_the_last_answer_when_every_attempt_fails() -> None:
    recorder = Recorder()
    with scripted(Reply(502, {"message": "upstream"})) as server:
        response = make_client(recorder).request("GET", server.url)
    assert response.status == 502
    assert response.body == b'{"message": "upstream"}'
    assert len(server.received) == 4
    assert recorder.sleeps == [0.5, 1.0, 2.0]
    assert recorder.notices[-1].endswith("(attempt 4 of 4)")


def test_a_one_attempt_policy_sends_once() -> None:
    recorder = Recorder()
    with scripted(Reply(503), Reply(200)) as server:
        response = make_client(recorder).request("GET", server.url, policy=RetryPolicy(attempts=1))
    assert response.status == 503
    assert len(server.received) == 1
    assert recorder.sleeps == []


def test_connection_refused_is_retried_then_a_transport_error_without_the_query() -> None:
    recorder = Recorder()
    url = f"http://127.0.0.1:{closed_port()}/api/novu?x-vercel-protection-bypass={BYPASS_TOKEN}"
    with pytest.raises(TransportError) as caught:
        make_client(recorder).request("GET", url, label="the bridge")
    error = caught.value
    assert error.reason == "connection refused"
    assert error.attempts == 4
    assert error.sent is False
    assert error.url.endswith("/api/novu?x-vercel-protection-bypass=REDACTED")
    assert recorder.sleeps == [0.5, 1.0, 2.0]
    assert "connection refused; retrying in 0.5 s (attempt 2 of 4)" in recorder.notices[0]
    for text in [str(error), *recorder.notices]:
        assert BYPASS_TOKEN not in text
        assert "x-vercel-protection-bypass=REDACTED" in text
    assert error.__cause__ is None
    assert error.__suppress_context__


def test_a_slow_server_times_out_on_every_attempt_and_the_request_may_have_arrived() -> None:
    recorder = Recorder()
    with scripted(Reply(200, delay=1.0)) as server:
        url = f"{server.url}/?token={BYPASS_TOKEN}"
        with pytest.raises(TransportError) as caught:
            make_client(recorder, timeout=0.2, policy=RetryPolicy(attempts=2)).request("GET", url)
    assert caught.value.reason == "timed out after 0.2 s"
    assert caught.value.sent is True
    assert len(server.received) == 2
    assert BYPASS_TOKEN not in str(caught.value)
    assert BYPASS_TOKEN not in " ".join(recorder.notices)


def test_a_per_request_timeout_replaces_the_clients() -> None:
    with scripted(Reply(200, {"ok": True}, delay=0.4)) as server:
        client = make_client(Recorder(), timeout=0.1, policy=RetryPolicy(attempts=1))
        assert client.request("GET", server.url, timeout=3.0).status == 200
        with pytest.raises(TransportError, match=r"timed out after 0\.1 s"):
            client.request("GET", server.url)


def test_a_sync_policy_never_resends_a_request_that_timed_out() -> None:
    recorder = Recorder()
    with scripted(Reply(201, delay=1.0)) as server, pytest.raises(TransportError) as caught:
        make_client(recorder, timeout=0.2).request(
            "POST", server.url, json_body={"bridgeUrl": "https://x"}, policy=SYNC_POLICY
        )
    assert caught.value.sent is True
    assert caught.value.attempts == 1
    assert len(server.received) == 1
    assert recorder.sleeps == []


def test_a_sync_policy_still_retries_a_refused_connection() -> None:
    recorder = Recorder()
    with pytest.raises(TransportError) as caught:
        make_client(recorder).request(
            "POST", f"http://127.0.0.1:{closed_port()}/v1/bridge/sync", json_body={}, policy=SYNC_POLICY
        )
    assert caught.value.sent is False
    assert caught.value.attempts == 4
    assert recorder.sleeps == [0.5, 1.0, 2.0]


def test_a_sync_policy_returns_a_503_after_one_request_and_retries_409_and_429() -> None:
    recorder = Recorder()
    client = make_client(recorder)
    with scripted(Reply(503)) as server:
        assert client.request("POST", server.url, json_body={}, policy=SYNC_POLICY).status == 503
    assert len(server.received) == 1
    with scripted(Reply(409), Reply(429, headers={"Retry-After": "2"}), Reply(201)) as server:
        assert client.request("POST", server.url, json_body={}, policy=SYNC_POLICY).status == 201
    assert len(server.received) == 3
    assert recorder.sleeps == [0.5, 2.0]


def test_a_sync_policy_does_not_fall_back_to_an_earlier_answer_after_a_later_attempt_may_have_acted() -> None:
    """A 429, then a timeout: the second request may have synced, so the 429 is no longer the truth."""
    client = make_client(Recorder(), timeout=0.2)
    with (
        scripted(Reply(429, headers={"Retry-After": "0"}), Reply(201, delay=1.0)) as server,
        pytest.raises(TransportError) as caught,
    ):
        client.request("POST", server.url, json_body={}, policy=SYNC_POLICY)
    assert caught.value.sent is True
    assert caught.value.attempts == 2


def closes_without_answering(request: RawRequest, connection: socket.socket) -> bool:
    return False


def resets_without_answering(request: RawRequest, connection: socket.socket) -> bool:
    connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    return False


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        (closes_without_answering, "the server closed the connection without answering"),
        (resets_without_answering, "connection reset by the server"),
    ],
)
def test_a_connection_lost_while_waiting_for_the_answer_may_have_reached_the_server(
    answer: RawAnswer, reason: str
) -> None:
    recorder = Recorder()
    with RawServer(answer) as server, pytest.raises(TransportError) as caught:
        make_client(recorder).request(
            "POST", f"{server.url}/v1/bridge/sync", json_body={}, policy=SYNC_POLICY
        )
    assert caught.value.reason == reason
    assert caught.value.sent is True
    assert len(server.requests) == 1
    assert recorder.sleeps == []


def test_a_lost_connection_is_retried_for_a_read() -> None:
    answers = iter([False, True])

    def first_closes(request: RawRequest, connection: socket.socket) -> bool:
        if next(answers):
            connection.sendall(answer_bytes("200 OK", b'{"ok":true}'))
            return True
        return False

    with RawServer(first_closes) as server:
        response = make_client(Recorder()).request("GET", server.url)
    assert response.status == 200
    assert len(server.requests) == 2


def test_https_to_a_plain_http_port_is_a_tls_error_not_worth_retrying() -> None:
    recorder = Recorder()
    with scripted(Reply(200)) as server:
        url = server.url.replace("http://", "https://") + f"/?t={BYPASS_TOKEN}"
        with pytest.raises(TransportError) as caught:
            make_client(recorder).request("GET", url)
    assert caught.value.reason == "TLS error (the server does not speak HTTPS on this port)"
    assert caught.value.attempts == 1
    assert caught.value.sent is False
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
    assert caught.value.sent is False
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
            environ={},
        )
        response = client.request("GET", server.url)
    assert response.status == 503
    assert response.body == b'{"message": "warming up"}'
    assert len(server.received) == 1
    assert "connection refused" in recorder.notices[-1]


# --- redirects -----------------------------------------------------------------------------------------


def test_a_get_follows_redirects_and_a_post_does_not() -> None:
    with scripted(Reply(302, headers={"Location": "/api/novu"}), Reply(200, {"ok": True})) as server:
        response = make_client(Recorder()).request("GET", f"{server.url}/bridge")
    assert response.status == 200
    assert [r.target for r in server.received] == ["/bridge", "/api/novu"]
    with scripted(Reply(307, headers={"Location": "/elsewhere"}), Reply(201)) as server:
        response = make_client(Recorder()).request("POST", f"{server.url}/v1/bridge/sync", json_body={})
    assert response.status == 307
    assert len(server.received) == 1


def test_endless_redirects_end_with_a_reason_not_a_loop() -> None:
    recorder = Recorder()
    with (
        scripted(Reply(302, headers={"Location": "/again"})) as server,
        pytest.raises(TransportError) as caught,
    ):
        make_client(recorder).request("GET", server.url)
    assert caught.value.reason == "too many redirects"
    assert caught.value.attempts == 1
    assert len(server.received) == 11  # the request and ten redirects, as Novu's own client follows
    assert recorder.sleeps == []


def test_a_redirect_to_another_host_does_not_carry_the_secret_key() -> None:
    with scripted(Reply(200, {"ok": True})) as elsewhere:
        moved = Reply(302, headers={"Location": f"{elsewhere.url}/v1/environments/me"})
        with scripted(moved) as api:
            response = make_client(Recorder()).request(
                "GET", f"{api.url}/v1/environments/me", headers={"Authorization": "ApiKey sk_secret"}
            )
    assert response.status == 200
    assert api.received[0].headers["authorization"] == "ApiKey sk_secret"
    assert "authorization" not in elsewhere.received[0].headers


# --- body limits ---------------------------------------------------------------------------------------


def test_an_answer_declaring_more_than_the_limit_is_refused_without_being_read() -> None:
    def declares_a_gigabyte(request: RawRequest, connection: socket.socket) -> bool:
        connection.sendall(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000000000\r\n\r\n"
        )
        return True  # and never sends it: a client that tried to read it would time out

    with RawServer(declares_a_gigabyte) as server:
        url = f"{server.url}/api/novu?x-vercel-protection-bypass={BYPASS_TOKEN}"
        with pytest.raises(ResponseTooLargeError) as caught:
            make_client(Recorder(), timeout=2.0).request("GET", url)
    assert caught.value.status == 200
    assert caught.value.limit == MAX_BODY_BYTES == 64 * 1024 * 1024
    assert str(caught.value) == (
        f"the answer from {server.url}/api/novu?x-vercel-protection-bypass=REDACTED is larger than 64 MiB"
    )
    assert len(server.requests) == 1  # not retried: the answer will not shrink


def test_a_chunked_answer_is_counted_while_it_streams() -> None:
    chunk = b"x" * 16 * 1024

    def streams_chunks(count: int) -> RawAnswer:
        def answer(request: RawRequest, connection: socket.socket) -> bool:
            connection.sendall(b"HTTP/1.1 503 Service Unavailable\r\nTransfer-Encoding: chunked\r\n\r\n")
            try:
                for _ in range(count):
                    connection.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                connection.sendall(b"0\r\n\r\n")
            except OSError:
                return False  # the client stopped reading
            return True

        return answer

    with RawServer(streams_chunks(3)) as server:
        response = make_client(Recorder()).request(
            "GET", server.url, policy=RetryPolicy(attempts=1), max_body_bytes=64 * 1024
        )
    assert response.body == chunk * 3
    # 1 MiB in 16 KiB chunks, no Content-Length
    with RawServer(streams_chunks(64)) as server, pytest.raises(ResponseTooLargeError) as caught:
        make_client(Recorder()).request("GET", server.url, max_body_bytes=64 * 1024)
    assert caught.value.status == 503
    assert caught.value.limit == 64 * 1024
    assert len(server.requests) == 1


def test_a_small_gzip_answer_that_unpacks_beyond_the_limit_is_refused() -> None:
    packed = gzip.compress(b"0" * (1024 * 1024))
    assert len(packed) < 64 * 1024
    bomb = Reply(200, packed, headers={"Content-Encoding": "gzip"})
    with scripted(bomb) as server, pytest.raises(ResponseTooLargeError) as caught:
        make_client(Recorder()).request("GET", server.url, max_body_bytes=64 * 1024)
    assert caught.value.limit == 64 * 1024


def test_an_answer_refused_for_its_size_leaves_nothing_behind_for_the_next_request() -> None:
    """The rest of a refused body must not be read as the answer to the next request on that connection."""

    def answer(request: RawRequest, connection: socket.socket) -> bool:
        if request.path == "/big":
            connection.sendall(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2000\r\n\r\n"
            )
            return True  # the body follows only when the connection is used again
        if request.connection == 0:
            connection.sendall(b'{"rest":"' + b"x" * 1989 + b'"}')
        connection.sendall(answer_bytes("200 OK", b'{"small":true}'))
        return True

    client = make_client(Recorder(), timeout=2.0, policy=RetryPolicy(attempts=1))
    with RawServer(answer) as server:
        with pytest.raises(ResponseTooLargeError):
            client.request("GET", f"{server.url}/big", max_body_bytes=1000)
        response = client.request("GET", f"{server.url}/small")
    assert response.body == b'{"small":true}'
    assert [(r.path, r.connection) for r in server.requests] == [("/big", 0), ("/small", 1)]


def test_kept_alive_connections_are_reused() -> None:
    def answer(request: RawRequest, connection: socket.socket) -> bool:
        connection.sendall(answer_bytes("200 OK", b"{}"))
        return True

    client = make_client(Recorder())
    with RawServer(answer) as server:
        client.request("GET", server.url)
        client.request("GET", server.url)
        client.close()
    assert [r.connection for r in server.requests] == [0, 0]


# --- proxies -------------------------------------------------------------------------------------------


def test_an_http_proxy_from_the_environment_gets_the_whole_url() -> None:
    with scripted(Reply(200, {"ok": True})) as proxy:
        client = make_client(Recorder(), environ={"HTTP_PROXY": proxy.url})
        response = client.request("GET", "http://bridge.internal.example/api/novu?action=health-check")
    assert response.status == 200
    assert proxy.received[0].target == "http://bridge.internal.example/api/novu?action=health-check"


@pytest.mark.parametrize(
    "environ_for",
    [
        lambda proxy: {"http_proxy": proxy, "NO_PROXY": "127.0.0.1"},
        lambda proxy: {"HTTP_PROXY": proxy, "no_proxy": "example.com, 127.0.0.1"},
        lambda proxy: {"http_proxy": proxy, "no_proxy": "*"},
        lambda proxy: {"https_proxy": proxy},  # for https:// URLs only
    ],
    ids=["NO_PROXY the host", "no_proxy a list", "no_proxy *", "https_proxy only"],
)
def test_no_proxy_and_the_scheme_decide_whether_the_proxy_is_used(
    environ_for: Callable[[str], dict[str, str]],
) -> None:
    with scripted(Reply(500)) as proxy, scripted(Reply(200, {"direct": True})) as server:
        response = make_client(Recorder(), environ=environ_for(proxy.url)).request("GET", server.url)
    assert response.status == 200
    assert proxy.received == []
    assert len(server.received) == 1


@pytest.mark.parametrize(
    ("url", "no_proxy", "proxied"),
    [
        ("https://api.novu.co/v1/bridge/sync", "", True),
        ("https://api.novu.co/v1/bridge/sync", "novu.co", False),
        ("https://api.novu.co/v1/bridge/sync", ".novu.co", False),
        ("https://api.novu.co/v1/bridge/sync", "*.novu.co", False),
        ("https://novu.co/", ".novu.co", False),
        ("https://API.Novu.CO/", " other.example , NOVU.co ", False),
        ("https://notnovu.co/", "novu.co", True),
        ("https://api.novu.co.evil.example/", "novu.co", True),
        ("https://api.novu.co/", "*", False),
        ("http://[::1]:4000/api/novu", "::1", False),
    ],
)
def test_no_proxy_matches_hosts_and_their_subdomains(url: str, no_proxy: str, proxied: bool) -> None:
    environ = {"HTTPS_PROXY": "proxy.corp:3128", "HTTP_PROXY": "http://proxy.corp:3128", "NO_PROXY": no_proxy}
    expected = "http://proxy.corp:3128" if proxied else None
    assert _proxy_for(url, environ) == expected


def test_all_proxy_is_the_fallback_and_no_proxy_variables_means_direct() -> None:
    assert _proxy_for("https://api.novu.co/", {"ALL_PROXY": "http://p:1"}) == "http://p:1"
    assert _proxy_for("https://api.novu.co/", {"HTTP_PROXY": "http://p:1"}) is None
    assert _proxy_for("https://api.novu.co/", {}) is None


def test_the_bridge_behind_an_unreachable_proxy_names_the_proxy() -> None:
    environ = {"HTTP_PROXY": f"http://127.0.0.1:{closed_port()}"}
    with pytest.raises(TransportError) as caught:
        make_client(Recorder(), environ=environ, policy=RetryPolicy(attempts=1)).request(
            "GET", "http://bridge.internal.example/api/novu"
        )
    assert caught.value.reason == "the HTTP proxy refused or failed the connection"
    assert caught.value.sent is False


# --- TLS and certificates ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Certificate:
    cert_file: Path
    key_file: Path


@pytest.fixture(scope="module")
def localhost_certificate(tmp_path_factory: pytest.TempPathFactory) -> Certificate:
    """A self-signed certificate for 127.0.0.1 (its own CA): what a corporate CA bundle would hold."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "novu-sync-action test CA")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("tls")
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return Certificate(cert_file=cert_file, key_file=key_file)


@pytest.fixture
def https_url(localhost_certificate: Certificate) -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = b'{"ok":true}'
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = LocalServer(Handler, name="https-test-server")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(localhost_certificate.cert_file, localhost_certificate.key_file)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    server.start()
    try:
        yield server.origin.replace("http://", "https://")
    finally:
        server.stop()


def test_a_certificate_nobody_vouches_for_is_a_tls_error_not_worth_retrying(https_url: str) -> None:
    recorder = Recorder()
    with pytest.raises(TransportError) as caught:
        make_client(recorder).request("GET", https_url)
    assert caught.value.reason == "TLS error (the server's certificate could not be verified)"
    assert caught.value.attempts == 1
    assert caught.value.sent is False
    assert recorder.sleeps == []


@pytest.mark.parametrize("variable", ["REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE"])
def test_a_ca_bundle_from_the_environment_is_trusted(
    variable: str, https_url: str, localhost_certificate: Certificate
) -> None:
    environ = {variable: str(localhost_certificate.cert_file)}
    assert make_client(Recorder(), environ=environ).request("GET", https_url).status == 200


def test_requests_ca_bundle_comes_before_ssl_cert_file(
    https_url: str, localhost_certificate: Certificate
) -> None:
    environ = {
        "REQUESTS_CA_BUNDLE": str(localhost_certificate.cert_file),
        "SSL_CERT_FILE": "/nonexistent.pem",
    }
    assert make_client(Recorder(), environ=environ).request("GET", https_url).status == 200


def test_a_certificate_bundle_that_cannot_be_read_is_a_reason_not_a_crash(tmp_path) -> None:
    client = HttpClient(timeout=1.0, environ={"REQUESTS_CA_BUNDLE": str(tmp_path / "missing.pem")})
    with pytest.raises(TransportError) as caught:
        client.request("GET", f"https://bridge.example/api/novu?t={BYPASS_TOKEN}")
    assert caught.value.reason == "the certificate bundle named by REQUESTS_CA_BUNDLE cannot be read"
    assert caught.value.sent is False
    assert BYPASS_TOKEN not in str(caught.value)
