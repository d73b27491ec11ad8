"""Bridge client: parsing real captures, one clear error per failure, and a real @novu/framework bridge."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

from novu_action.bridge import (
    BridgeAnswerTooLargeError,
    BridgeClient,
    BridgeClockSkewError,
    BridgeError,
    BridgeHeadersTooLargeError,
    BridgeInvalidAnswerError,
    BridgeKeyMismatchError,
    BridgeMissingSecretKeyError,
    BridgeNoAnswerError,
    BridgeNotFoundError,
    BridgeNotJsonError,
    BridgeProtectedError,
    BridgeRejectedError,
    BridgeServerError,
    BridgeSignatureStrippedError,
    bridge_action_url,
)
from novu_action.http import MAX_BODY_BYTES, HttpClient, RetryPolicy
from novu_action.signing import Signer, signature
from tests.stand_ins.bridge_process import RunningBridge, running_bridge
from tests.stand_ins.scripted_http import BYPASS_TOKEN, Recorder, Reply, ScriptedServer, closed_port, scripted

FIXTURES = Path(__file__).parent / "fixtures"
SECRET_KEY = "sk_test_bridge_secret_0123456789"
NOW = 1795744537.177  # seconds; the discover.json capture was signed at t=1795744537177
BRIDGE_HEADERS = {"novu-framework-sdk": "2.13.2", "novu-framework-version": "2024-06-26"}
HTML_LOGIN = "<!doctype html><html><head><title>Login – Vercel</title></head><body>Log in</body></html>"


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


def key_signer(secret_key: str = SECRET_KEY, *, environment: str = "production") -> Signer:
    return Signer(secret=secret_key, source_input=f"{environment}-secret-key", is_secret_key=True)


SIGNING_SECRET = "nbs_signing_secret_456789"
SIGNING_SECRET_SIGNER = Signer(
    secret=SIGNING_SECRET, source_input="production-bridge-signing-secret", is_secret_key=False
)


def client_for(
    url: str,
    *,
    environ: dict[str, str] | None = None,
    signer: Signer | None = None,
    timeout: float = 5.0,
) -> BridgeClient:
    http = HttpClient(
        timeout=timeout,
        policy=RetryPolicy(attempts=2),
        sleep=Recorder().sleep,
        environ=environ if environ is not None else {},
    )
    return BridgeClient(
        http=http, url=url, signer=signer or key_signer(), environment="Production", clock=lambda: NOW
    )


def bridge_url(server: ScriptedServer) -> str:
    return f"{server.url}/api/novu?x-vercel-protection-bypass={BYPASS_TOKEN}"


def query(target: str) -> list[tuple[str, str]]:
    return parse_qsl(urlsplit(target).query)


def failure_from(*replies: Reply, action: str = "discover", signer: Signer | None = None) -> BridgeError:
    """The error the client raises for ``replies``; ``action`` "probe" is ``verifies_signatures``."""
    with scripted(*replies) as server:
        client = client_for(bridge_url(server), signer=signer)
        calls = {
            "health-check": client.health,
            "discover": client.discover,
            "probe": client.verifies_signatures,
        }
        with pytest.raises(BridgeError) as caught:
            calls[action]()
    assert_safe(caught.value)
    return caught.value


def assert_safe(error: BridgeError) -> None:
    """Every bridge error names the URL with its query values redacted and never holds a secret."""
    text = str(error)
    assert BYPASS_TOKEN not in text
    assert SECRET_KEY not in text
    assert SIGNING_SECRET not in text
    assert "/api/novu?x-vercel-protection-bypass=REDACTED" in text
    assert "\n" not in text
    assert error.title


# --- URLs ------------------------------------------------------------------------------------------


def test_action_is_set_on_top_of_the_users_query_string() -> None:
    url = "https://app.example/api/novu?x-vercel-protection-bypass=a%2Bb&action=old&z=1#frag"
    assert bridge_action_url(url, "discover") == (
        "https://app.example/api/novu?x-vercel-protection-bypass=a%2Bb&z=1&action=discover"
    )
    assert bridge_action_url("http://127.0.0.1:4000/api/novu", "health-check") == (
        "http://127.0.0.1:4000/api/novu?action=health-check"
    )


# --- answers that work -----------------------------------------------------------------------------


def test_health_check_is_unsigned_and_parses_the_real_capture() -> None:
    with scripted(Reply(200, fixture("health.json"), headers=BRIDGE_HEADERS)) as server:
        health = client_for(bridge_url(server)).health()
    assert health.status == "ok"
    assert health.sdkVersion == "2.13.2"
    assert (health.discovered.workflows, health.discovered.steps) == (3, 5)
    [request] = server.received
    assert query(request.target) == [("x-vercel-protection-bypass", BYPASS_TOKEN), ("action", "health-check")]
    assert "novu-signature" not in request.headers


def test_discover_is_signed_and_passes_the_workflows_on_as_served() -> None:
    served = fixture("discover.json")
    with scripted(Reply(200, served, headers=BRIDGE_HEADERS)) as server:
        discovery = client_for(bridge_url(server), signer=key_signer("test-secret")).discover()
    [request] = server.received
    assert query(request.target) == [("x-vercel-protection-bypass", BYPASS_TOKEN), ("action", "discover")]
    # The very header that produced the capture (novu-protocol.md §2).
    expected = "t=1795744537177,v1=9630c6cda1546ddd5dfedff9400077d205a28c452f24521c7d5768b20e4a316b"
    assert request.headers["novu-signature"] == expected
    assert request.headers["x-novu-signature"] == expected
    assert [w["workflowId"] for w in discovery.workflows] == ["welcome", "digest-comments", "sms-alert"]
    assert discovery.workflows == tuple(served["workflows"])
    assert list(discovery.workflows[0]) == list(served["workflows"][0])  # key order kept too
    assert discovery.agent_ids == ()
    assert discovery.sdk_version == "2.13.2"


def test_discover_accepts_fields_and_step_types_it_does_not_know() -> None:
    served: dict[str, Any] = {
        "workflows": [
            {
                "workflowId": "onboarding",
                "steps": [{"stepId": "think", "type": "ai_agent", "brandNew": {"x": 1}}],
                "payload": {"schema": {"type": "object"}},  # no unknownSchema: it is never required
                "futureField": True,
            },
            {"workflowId": "legacy 2.3", "steps": [], "options": {}, "data": {}, "inputs": {}},
        ],
        "agents": [{"agentId": "support-bot", "more": 1}],
        "version": 3,
    }
    with scripted(Reply(200, served)) as server:
        discovery = client_for(bridge_url(server)).discover()
    assert discovery.workflows == tuple(served["workflows"])
    assert discovery.agent_ids == ("support-bot",)
    assert discovery.sdk_version is None


def test_a_2_3_bridge_without_agents_is_fine() -> None:
    with scripted(Reply(200, {"workflows": []})) as server:
        discovery = client_for(bridge_url(server)).discover()
    assert discovery.workflows == ()
    assert discovery.agent_ids == ()


def test_verifies_signatures_probes_discover_without_a_signature() -> None:
    with scripted(
        Reply(401, fixture("signature-missing.json")["body"]), Reply(200, {"workflows": []})
    ) as server:
        client = client_for(bridge_url(server))
        assert client.verifies_signatures() is True
        assert client.verifies_signatures() is False
    assert all(
        "novu-signature" not in r.headers and "x-novu-signature" not in r.headers for r in server.received
    )
    assert [dict(query(r.target))["action"] for r in server.received] == ["discover", "discover"]


@pytest.mark.parametrize(
    ("reply", "verifies"),
    [
        (Reply(401, fixture("signature-missing.json")["body"]), True),
        (Reply(403, "Forbidden", headers={"Content-Type": "text/plain"}), True),
        (Reply(200, HTML_LOGIN, headers={"Content-Type": "text/html"}), True),  # a protection page
        (Reply(200, {"workflows": [], "agents": []}), False),
        (Reply(200, {"workflows": [{"workflowId": "x" * 100, "steps": []}] * 1000}), False),  # > 64 KiB
        (Reply(401, "<html>" + "x" * 100_000 + "</html>", headers={"Content-Type": "text/html"}), True),
        (Reply(200, "<html>" + "x" * 100_000 + "</html>", headers={"Content-Type": "text/html"}), True),
    ],
)
def test_verifies_signatures_reads_only_enough_to_tell(reply: Reply, verifies: bool) -> None:
    with scripted(reply) as server:
        assert client_for(bridge_url(server)).verifies_signatures() is verifies
    assert len(server.received) == 1


def test_a_failing_probe_is_an_error_not_a_guess() -> None:
    not_found = failure_from(Reply(404, "Cannot GET", headers={"Content-Type": "text/html"}), action="probe")
    assert isinstance(not_found, BridgeNotFoundError)
    failing = failure_from(Reply(500, {"message": "boom", "code": "BridgeError"}), action="probe")
    assert isinstance(failing, BridgeServerError)


# --- answers too large to read --------------------------------------------------------------------------


def test_a_discover_answer_over_64_mib_is_refused_with_advice() -> None:
    error = failure_from(Reply(200, b" " * (MAX_BODY_BYTES + 1)))
    assert isinstance(error, BridgeAnswerTooLargeError)
    assert "answered `discover` with more than 64 MiB, the most the action reads" in str(error)
    assert "Split the workflows over several bridges" in str(error)


# --- the four real signature errors, and the fifth code ----------------------------------------------


def test_discover_is_signed_with_the_bridge_signing_secret_when_one_is_set() -> None:
    with scripted(Reply(200, {"workflows": []})) as server:
        client_for(bridge_url(server), signer=SIGNING_SECRET_SIGNER).discover()
    [request] = server.received
    assert request.headers["novu-signature"] == signature(SIGNING_SECRET, timestamp_ms=int(NOW * 1000))


def test_a_mismatch_with_the_secret_key_names_the_key_input_and_the_signing_secret_to_set() -> None:
    answer = fixture("signature-mismatch.json")
    error = failure_from(Reply(answer["status"], answer["body"]))
    assert isinstance(error, BridgeKeyMismatchError)
    assert str(error).startswith("The bridge at http://127.0.0.1:")
    assert str(error).split("/api/novu?x-vercel-protection-bypass=REDACTED ", 1)[1] == (
        "rejected the discover request signed with the Production secret key "
        "(`production-secret-key`) (SignatureMismatchError): the bridge verifies signatures with another "
        "secret. Set NOVU_SECRET_KEY in that deployment to the Production secret key (Novu Dashboard → API "
        "Keys) and redeploy, or use the URL of the deployment that belongs to Production. If Novu signs this "
        "environment's bridge calls with a separate bridge signing secret (newer Novu), set "
        "`production-bridge-signing-secret` to that secret instead."
    )


def test_a_mismatch_with_a_signing_secret_says_to_clear_it_if_the_bridge_uses_the_secret_key() -> None:
    answer = fixture("signature-mismatch.json")
    error = failure_from(Reply(answer["status"], answer["body"]), signer=SIGNING_SECRET_SIGNER)
    assert isinstance(error, BridgeKeyMismatchError)
    text = str(error)
    assert "signed with the bridge signing secret in `production-bridge-signing-secret`" in text
    assert (
        "If the bridge uses the Production secret key, leave `production-bridge-signing-secret` empty."
        in text
    )


@pytest.mark.parametrize(
    ("capture", "error_class", "advice"),
    [
        (
            "signature-mismatch.json",
            BridgeKeyMismatchError,
            "Set NOVU_SECRET_KEY in that deployment to the Production secret key",
        ),
        ("signature-expired.json", BridgeClockSkewError, "differ by more than 5 minutes"),
        ("signature-missing.json", BridgeSignatureStrippedError, "removes it"),
        ("signature-invalid.json", BridgeSignatureStrippedError, "alters it"),
    ],
)
def test_each_signature_rejection_says_what_to_fix(
    capture: str, error_class: type[BridgeError], advice: str
) -> None:
    answer = fixture(capture)
    error = failure_from(Reply(answer["status"], answer["body"], headers=BRIDGE_HEADERS))
    assert type(error) is error_class
    assert advice in str(error)
    assert answer["body"]["code"] in str(error)


def test_a_bridge_without_a_secret_key_is_told_which_key_to_set() -> None:
    body = {
        "message": "Signature key not found. Please provide a valid key in the Client constructor "
        "`config.secretKey`",
        "code": "SigningKeyNotFoundError",
    }
    error = failure_from(Reply(401, body))
    assert isinstance(error, BridgeMissingSecretKeyError)
    assert "Set NOVU_SECRET_KEY in the bridge deployment to the Production environment's secret key" in str(
        error
    )


# --- not the bridge: protection pages, wrong paths, other software -----------------------------------


def test_a_login_page_with_401_is_deployment_protection() -> None:
    error = failure_from(Reply(401, HTML_LOGIN, headers={"Content-Type": "text/html; charset=utf-8"}))
    assert isinstance(error, BridgeProtectedError)
    assert "behind a login or deployment protection" in str(error)


def test_a_login_page_with_200_is_not_json() -> None:
    error = failure_from(Reply(200, HTML_LOGIN, headers={"Content-Type": "text/html"}))
    assert isinstance(error, BridgeNotJsonError)
    assert "content-type text/html" in str(error)
    assert "login, SSO or deployment-protection page" in str(error)


def via_proxy(server: ScriptedServer) -> dict[str, str]:
    """An environment that sends every http:// request to ``server``, whatever the host name."""
    return {"http_proxy": server.url}


def test_vercel_protection_asks_for_the_bypass_parameter() -> None:
    with scripted(Reply(401, "Authentication Required", headers={"Content-Type": "text/plain"})) as server:
        client = client_for("http://acme-git-feature.vercel.app/api/novu", environ=via_proxy(server))
        with pytest.raises(BridgeProtectedError) as caught:
            client.discover()
    assert "add `?x-vercel-protection-bypass=<secret>` to the bridge URL" in str(caught.value)
    assert server.received[0].target.startswith("http://acme-git-feature.vercel.app/api/novu?action=discover")


def test_a_refused_vercel_bypass_token_is_called_out() -> None:
    with scripted(Reply(200, HTML_LOGIN, headers={"Content-Type": "text/html"})) as server:
        url = f"http://acme.vercel.app/api/novu?x-vercel-protection-bypass={BYPASS_TOKEN}"
        with pytest.raises(BridgeNotJsonError) as caught:
            client_for(url, environ=via_proxy(server)).discover()
    assert_safe(caught.value)
    assert "The URL carries `x-vercel-protection-bypass`, but Vercel did not accept it" in str(caught.value)


def test_404_points_at_the_conventional_path() -> None:
    error = failure_from(Reply(404, "Cannot GET /api/nov", headers={"Content-Type": "text/html"}))
    assert isinstance(error, BridgeNotFoundError)
    assert "404 Not Found" in str(error)
    assert "ends in /api/novu" in str(error)


def test_json_that_is_not_a_bridge_answer_names_the_first_problem() -> None:
    served = {
        "workflows": [{"workflowId": "welcome", "steps": [{"stepId": "a", "type": "email"}, {"type": "sms"}]}]
    }
    error = failure_from(Reply(200, served))
    assert isinstance(error, BridgeInvalidAnswerError)
    assert "(workflows.0.steps.1.stepId: Field required)" in str(error)


def test_a_json_array_is_not_a_bridge_answer() -> None:
    assert isinstance(failure_from(Reply(200, [1, 2])), BridgeNotJsonError)


def test_a_health_check_without_counts_is_not_a_bridge_answer() -> None:
    error = failure_from(Reply(200, {"status": "ok"}), action="health-check")
    assert isinstance(error, BridgeInvalidAnswerError)
    assert "discovered: Field required" in str(error)


# --- the bridge fails --------------------------------------------------------------------------------


def test_a_missing_dependency_is_named_with_the_bridges_message() -> None:
    body = {
        "message": "Tried to use a zod schema in @novu/framework without `zod-to-json-schema` installed.\n"
        "Please install it by running `npm install zod-to-json-schema`.",
        "code": "MissingDependencyError",
    }
    error = failure_from(Reply(500, body), action="health-check")
    assert isinstance(error, BridgeServerError)
    assert "without `zod-to-json-schema` installed. Please install it by running" in str(error)
    assert "Zod schemas need both `zod` and `zod-to-json-schema`" in str(error)


def test_remote_text_is_shortened_and_cannot_leak_the_bypass_token() -> None:
    body = {
        "message": f"crash while loading https://x/api/novu?x-vercel-protection-bypass={BYPASS_TOKEN} "
        + "y" * 900,
        "code": "BridgeError",
        "data": {"stack": "Error: boom\n    at secret.js:1"},
    }
    error = failure_from(Reply(500, body))
    assert isinstance(error, BridgeServerError)
    assert "x-vercel-protection-bypass=REDACTED" in str(error)
    assert "y" * 298 not in str(error)
    assert "stack" not in str(error)
    assert "Check the bridge's logs" in str(error)


def test_a_health_check_page_instead_of_json_says_novu_would_fail_too() -> None:
    error = failure_from(Reply(200, "OK", headers={"Content-Type": "text/plain"}), action="health-check")
    assert isinstance(error, BridgeNotJsonError)
    assert "answered `health-check` with 200 OK but not with a JSON object (content-type text/plain)" in str(
        error
    )
    assert 'Novu Cloud would fail on this too (it reports it as "Maximum redirects exceeded")' in str(error)


def test_a_bridge_error_code_cannot_inject_lines_or_run_long() -> None:
    body = {"message": "no\n::error::injected", "code": "Weird\n::warning::" + "C" * 200}
    error = failure_from(Reply(400, body))
    assert isinstance(error, BridgeRejectedError)
    assert "(Weird ::warning::CCC" in str(error)
    assert "C" * 60 not in str(error)
    assert '"no ::error::injected"' in str(error)


def test_431_points_at_the_known_issue() -> None:
    error = failure_from(Reply(431, b"", headers={"Content-Type": "text/plain"}))
    assert isinstance(error, BridgeHeadersTooLargeError)
    assert "https://github.com/novuhq/novu/issues/7486" in str(error)


def test_other_refusals_quote_the_bridge() -> None:
    body = {"message": "Invalid query string: `action`=`discover`", "code": "InvalidActionError"}
    error = failure_from(Reply(400, body))
    assert isinstance(error, BridgeRejectedError)
    assert '400 Bad Request (InvalidActionError): "Invalid query string: `action`=`discover`"' in str(error)


def test_a_bad_gateway_page_is_a_server_error() -> None:
    error = failure_from(Reply(502, "<html>Bad gateway</html>", headers={"Content-Type": "text/html"}))
    assert isinstance(error, BridgeServerError)
    assert "502 Bad Gateway (content-type text/html)" in str(error)


def test_an_unreachable_bridge_asks_whether_the_deployment_is_up() -> None:
    with pytest.raises(BridgeNoAnswerError) as caught:
        client_for(
            f"http://127.0.0.1:{closed_port()}/api/novu?x-vercel-protection-bypass={BYPASS_TOKEN}"
        ).health()
    assert_safe(caught.value)
    assert ": connection refused. Check that the deployment is up and publicly reachable" in str(caught.value)


def test_a_slow_bridge_mentions_novus_own_5_second_limit() -> None:
    with scripted(Reply(200, {}, delay=0.6)) as server, pytest.raises(BridgeNoAnswerError) as caught:
        client_for(bridge_url(server), timeout=0.1).discover()
    assert_safe(caught.value)
    assert "did not answer `discover` in time (timed out after 0.1 s)" in str(caught.value)
    assert "Novu Cloud waits only 5 s" in str(caught.value)


# --- a real @novu/framework 2.13.2 bridge ------------------------------------------------------------

REAL_SECRET = "sk_test_real_bridge_key"
REAL_WORKFLOW_IDS = ["welcome", "digest-comments", "sms-alert", "invoice-paid"]
needs_node = pytest.mark.skipif(
    shutil.which("node") is None, reason="Node.js is needed to run the real bridge"
)


@pytest.fixture(scope="module")
def strict_bridge() -> Iterator[RunningBridge]:
    with running_bridge(secret_key=REAL_SECRET) as bridge:
        yield bridge


@pytest.fixture(scope="module")
def open_bridge() -> Iterator[RunningBridge]:
    with running_bridge(secret_key=REAL_SECRET, node_env=None) as bridge:
        yield bridge


def real_client(bridge: RunningBridge, *, secret_key: str = REAL_SECRET) -> BridgeClient:
    return BridgeClient(
        http=HttpClient(timeout=5.0, environ={}),
        url=bridge.url,
        signer=key_signer(secret_key, environment="development"),
        environment="Development",
    )


@needs_node
def test_real_bridge_discover_signed_with_the_right_key(strict_bridge: RunningBridge) -> None:
    client = real_client(strict_bridge)
    health = client.health()
    discovery = client.discover()
    assert [w["workflowId"] for w in discovery.workflows] == REAL_WORKFLOW_IDS
    assert health.discovered.workflows == len(discovery.workflows)
    assert health.discovered.steps == sum(len(w["steps"]) for w in discovery.workflows)
    assert discovery.sdk_version == health.sdkVersion == "2.13.2"


@needs_node
def test_real_bridge_refuses_another_environments_key(strict_bridge: RunningBridge) -> None:
    with pytest.raises(BridgeKeyMismatchError) as caught:
        real_client(strict_bridge, secret_key="sk_test_someone_elses_key").discover()
    text = str(caught.value)
    assert "signed with the Development secret key (`development-secret-key`)" in text
    assert "Set NOVU_SECRET_KEY in that deployment to the Development secret key" in text
    assert "set `development-bridge-signing-secret` to that secret instead" in text
    assert "sk_test_someone_elses_key" not in text


@needs_node
def test_real_bridge_accepts_a_discover_signed_with_its_own_secret_given_as_a_signing_secret(
    strict_bridge: RunningBridge,
) -> None:
    signer = Signer(secret=REAL_SECRET, source_input="development-bridge-signing-secret", is_secret_key=False)
    client = BridgeClient(
        http=HttpClient(timeout=5.0, environ={}),
        url=strict_bridge.url,
        signer=signer,
        environment="Development",
    )
    assert [w["workflowId"] for w in client.discover().workflows] == REAL_WORKFLOW_IDS


@needs_node
def test_real_strict_bridge_verifies_signatures(strict_bridge: RunningBridge) -> None:
    assert real_client(strict_bridge).verifies_signatures() is True


@needs_node
def test_real_bridge_without_node_env_serves_anyone(open_bridge: RunningBridge) -> None:
    assert real_client(open_bridge).verifies_signatures() is False
