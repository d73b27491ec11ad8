"""The GitHub REST stand-in keeps GitHub's contract, checked with plain ``requests`` (no PyGithub)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from tests.stand_ins.github_api import GitHubApiStandIn

REPO = "octo-org/hello-world"
PR = 7
WRITER = "writer-token"
READER = "reader-token"
COMMENTS = f"/repos/{REPO}/issues/{PR}/comments"


@pytest.fixture
def stand_in() -> Iterator[GitHubApiStandIn]:
    server = GitHubApiStandIn(tokens={WRITER: "github-actions[bot]"}, read_only_tokens={READER: "reader"})
    with server:
        server.add_pull_request(REPO, PR)
        yield server


def auth(token: str = WRITER, scheme: str = "token") -> dict[str, str]:
    return {"Authorization": f"{scheme} {token}"}


def get(stand_in: GitHubApiStandIn, path: str, token: str = WRITER, **params: str) -> requests.Response:
    return requests.get(stand_in.api_url + path, headers=auth(token), params=params, timeout=5)


def create(stand_in: GitHubApiStandIn, body: object, token: str = WRITER) -> requests.Response:
    return requests.post(stand_in.api_url + COMMENTS, headers=auth(token), json=body, timeout=5)


def link_relations(response: requests.Response) -> dict[str, str]:
    return {relation: link["url"] for relation, link in response.links.items()}


def test_listing_defaults_to_30_per_page_in_ascending_id_order_with_absolute_next_and_last_links(stand_in):
    ids = stand_in.seed_comments(REPO, PR, [f"comment {n}" for n in range(75)])

    first = get(stand_in, COMMENTS)

    assert first.status_code == 200
    assert [comment["id"] for comment in first.json()] == ids[:30]
    assert link_relations(first) == {
        "next": f"{stand_in.api_url}{COMMENTS}?per_page=30&page=2",
        "last": f"{stand_in.api_url}{COMMENTS}?per_page=30&page=3",
    }


def test_following_next_links_visits_every_comment_once_and_the_last_page_has_no_next(stand_in):
    ids = stand_in.seed_comments(REPO, PR, [f"comment {n}" for n in range(75)])
    seen: list[int] = []
    url: str | None = f"{stand_in.api_url}{COMMENTS}?per_page=30"
    pages = 0
    while url is not None:
        response = requests.get(url, headers=auth(), timeout=5)
        seen += [comment["id"] for comment in response.json()]
        url = link_relations(response).get("next")
        pages += 1
        last_links = link_relations(response)

    assert seen == ids
    assert pages == 3
    assert set(last_links) == {"prev", "first"}


def test_per_page_is_capped_at_100_and_a_single_page_has_no_link_header(stand_in):
    stand_in.seed_comments(REPO, PR, [f"comment {n}" for n in range(150)])

    capped = get(stand_in, COMMENTS, per_page="500")
    few = GitHubApiStandIn(tokens={WRITER: "bot"})
    with few:
        few.seed_comments(REPO, PR, ["only one"])
        single = get(few, COMMENTS, per_page="100")

    assert len(capped.json()) == 100
    assert link_relations(capped)["last"].endswith("per_page=100&page=2")
    assert len(single.json()) == 1
    assert "Link" not in single.headers


def test_a_page_past_the_end_is_empty(stand_in):
    stand_in.seed_comments(REPO, PR, ["a", "b"])

    response = get(stand_in, COMMENTS, per_page="2", page="5")

    assert response.status_code == 200
    assert response.json() == []


def test_comment_json_has_the_fields_the_issue_comment_schema_requires(stand_in):
    created = create(stand_in, {"body": "hello"})

    comment = created.json()
    assert created.status_code == 201
    assert created.headers["Location"] == comment["url"]
    assert {"id", "node_id", "url", "html_url", "issue_url", "user", "created_at", "updated_at"} <= set(
        comment
    )
    assert comment["body"] == "hello"
    assert comment["user"]["login"] == "github-actions[bot]"
    assert comment["html_url"].endswith(f"/{REPO}/pull/{PR}#issuecomment-{comment['id']}")
    assert comment["issue_url"] == f"{stand_in.api_url}/repos/{REPO}/issues/{PR}"
    assert get(stand_in, f"/repos/{REPO}/issues/comments/{comment['id']}").json() == comment


def test_update_changes_the_body_and_updated_at_but_not_the_id(stand_in):
    [comment_id] = stand_in.seed_comments(REPO, PR, ["old"], user="github-actions[bot]")
    before = get(stand_in, f"/repos/{REPO}/issues/comments/{comment_id}").json()

    response = requests.patch(
        f"{stand_in.api_url}/repos/{REPO}/issues/comments/{comment_id}",
        headers=auth(),
        json={"body": "new"},
        timeout=5,
    )

    assert response.status_code == 200
    assert response.json()["id"] == comment_id
    assert response.json()["updated_at"] > before["updated_at"]
    assert [c.body for c in stand_in.comments(REPO, PR)] == ["new"]


@pytest.mark.parametrize("scheme", ["token", "Bearer"])
def test_both_authorization_schemes_are_accepted(stand_in, scheme):
    response = requests.get(stand_in.api_url + COMMENTS, headers=auth(WRITER, scheme), timeout=5)

    assert response.status_code == 200


def test_unknown_or_missing_token_is_401(stand_in):
    unknown = get(stand_in, COMMENTS, token="nope")
    missing = requests.get(stand_in.api_url + COMMENTS, timeout=5)

    assert (unknown.status_code, unknown.json()["message"]) == (401, "Bad credentials")
    assert (missing.status_code, missing.json()["message"]) == (401, "Requires authentication")


def test_read_only_token_can_list_but_every_write_is_403_resource_not_accessible(stand_in):
    [comment_id] = stand_in.seed_comments(REPO, PR, ["existing"])

    listed = get(stand_in, COMMENTS, token=READER)
    created = create(stand_in, {"body": "x"}, token=READER)
    updated = requests.patch(
        f"{stand_in.api_url}/repos/{REPO}/issues/comments/{comment_id}",
        headers=auth(READER),
        json={"body": "x"},
        timeout=5,
    )

    assert listed.status_code == 200
    for refused in (created, updated):
        assert refused.status_code == 403
        assert refused.json()["message"] == "Resource not accessible by integration"
        assert refused.json()["documentation_url"].startswith("https://docs.github.com/")
    assert [c.body for c in stand_in.comments(REPO, PR)] == ["existing"]


@pytest.mark.parametrize(
    "path",
    [
        "/repos/someone/else/issues/7/comments",
        f"/repos/{REPO}/issues/999/comments",
        f"/repos/{REPO}/issues/comments/1",
        "/user",
    ],
)
def test_unknown_repository_pull_request_comment_or_route_is_404(stand_in, path):
    response = get(stand_in, path)

    assert response.status_code == 404
    assert response.json()["message"] == "Not Found"


def test_body_over_65536_characters_is_a_422_validation_error_and_nothing_is_stored(stand_in):
    at_limit = create(stand_in, {"body": "é" * 65_536})
    over = create(stand_in, {"body": "x" * 65_537})

    assert at_limit.status_code == 201
    assert over.status_code == 422
    assert over.json()["message"] == "Validation Failed"
    assert over.json()["errors"][0]["message"] == "Body is too long (maximum is 65536 characters)"
    assert len(stand_in.comments(REPO, PR)) == 1


def test_missing_body_is_422(stand_in):
    response = create(stand_in, {"text": "wrong field"})

    assert response.status_code == 422


def test_base_path_serves_the_api_under_it_and_links_keep_it():
    server = GitHubApiStandIn(tokens={WRITER: "bot"}, base_path="/api/v3")
    with server as api_url:
        server.seed_comments(REPO, PR, [str(n) for n in range(3)])
        inside = requests.get(f"{api_url}{COMMENTS}?per_page=1", headers=auth(), timeout=5)
        outside = requests.get(f"{server.origin}{COMMENTS}", headers=auth(), timeout=5)

    assert api_url.endswith("/api/v3")
    assert inside.status_code == 200
    assert inside.links["next"]["url"].startswith(f"{api_url}{COMMENTS}?")
    assert outside.status_code == 404
    assert server.requests[0].path == COMMENTS


def test_fail_next_answers_the_fault_the_given_number_of_times_then_recovers(stand_in):
    stand_in.fail_next("GET", COMMENTS, 503, times=2, headers={"Retry-After": "7"})

    answers = [get(stand_in, COMMENTS) for _ in range(3)]

    assert [a.status_code for a in answers] == [503, 503, 200]
    assert answers[0].headers["Retry-After"] == "7"


def test_fail_next_only_matches_its_method_and_path_prefix(stand_in):
    stand_in.fail_next("POST", COMMENTS, 500)

    listed = get(stand_in, COMMENTS)
    created = create(stand_in, {"body": "x"})

    assert listed.status_code == 200
    assert created.status_code == 500
    assert stand_in.comments(REPO, PR) == []


def test_store_anyway_creates_the_comment_and_still_answers_502(stand_in):
    stand_in.fail_next("POST", COMMENTS, 502, store_anyway=True, message="Bad Gateway")

    response = create(stand_in, {"body": "stored despite the 502"})

    assert response.status_code == 502
    assert [c.body for c in stand_in.comments(REPO, PR)] == ["stored despite the 502"]


def test_disconnect_next_hangs_up_without_an_answer(stand_in):
    stand_in.disconnect_next("POST", COMMENTS, store_anyway=True)

    with pytest.raises(requests.ConnectionError):
        create(stand_in, {"body": "stored, then the line dropped"})

    assert len(stand_in.comments(REPO, PR)) == 1


def test_request_log_records_method_path_query_headers_and_body(stand_in):
    create(stand_in, {"body": "logged"})
    get(stand_in, COMMENTS, per_page="100")

    post, listing = stand_in.requests
    assert (post.method, post.path, post.body) == ("POST", COMMENTS, {"body": "logged"})
    assert (listing.method, listing.query) == ("GET", {"per_page": "100"})
    assert listing.headers["authorization"] == f"token {WRITER}"
    assert stand_in.requests_to("POST") == [post]
