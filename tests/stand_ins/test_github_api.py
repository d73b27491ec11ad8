"""The GitHub REST stand-in keeps GitHub's contract: the wire checked with plain ``requests``, and the calls
the action makes checked with PyGithub itself (so that the stand-in answers what PyGithub can read)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
from github import Auth, Github, GithubException

from tests.stand_ins.github_api import GitHubApiStandIn

REPO = "octo-org/hello-world"
PR = 7
WRITER = "writer-token"
READER = "reader-token"
PERSON = "person-token"  # a personal access token of the user "mona"
COMMENTS = f"/repos/{REPO}/issues/{PR}/comments"
HEAD = "ec26c3e57ca3a959ca5aad62de7213c562f8c821"
OLDER = "f95f852bd8fca8fcc58a9a2d6c842781e32a215e"


@pytest.fixture
def stand_in() -> Iterator[GitHubApiStandIn]:
    server = GitHubApiStandIn(
        tokens={WRITER: "github-actions[bot]", PERSON: "mona"}, read_only_tokens={READER: "reader"}
    )
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
        "/nothing/here",
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


# -- comment authors ----------------------------------------------------------------------------------------


def test_comment_authors_are_bots_for_bot_logins_and_users_otherwise(stand_in):
    stand_in.seed_comments(REPO, PR, ["by the action"], user="github-actions[bot]")
    stand_in.seed_comments(REPO, PR, ["by a person"], user="mona")
    create(stand_in, {"body": "by a person's token"}, token=PERSON)

    users = [comment["user"] for comment in get(stand_in, COMMENTS).json()]

    assert [(user["login"], user["type"]) for user in users] == [
        ("github-actions[bot]", "Bot"),
        ("mona", "User"),
        ("mona", "User"),
    ]
    assert all({"login", "id", "node_id", "type", "url", "html_url", "avatar_url"} <= set(u) for u in users)


def test_delete_comment_removes_it_from_the_listing_and_get_is_404(stand_in):
    keep, gone = stand_in.seed_comments(REPO, PR, ["keep", "gone"])

    stand_in.delete_comment(REPO, gone)

    assert [c["id"] for c in get(stand_in, COMMENTS).json()] == [keep]
    assert get(stand_in, f"/repos/{REPO}/issues/comments/{gone}").status_code == 404
    with pytest.raises(KeyError):
        stand_in.delete_comment(REPO, gone)


def test_before_next_acts_once_before_the_matching_request_is_handled(stand_in):
    [comment_id] = stand_in.seed_comments(REPO, PR, ["old"], user="github-actions[bot]")
    one_comment = f"/repos/{REPO}/issues/comments/{comment_id}"
    stand_in.before_next("PATCH", one_comment, lambda: stand_in.delete_comment(REPO, comment_id))

    listed = get(stand_in, COMMENTS)
    patched = requests.patch(stand_in.api_url + one_comment, headers=auth(), json={"body": "new"}, timeout=5)
    created = create(stand_in, {"body": "again"})
    patched_again = requests.patch(
        f"{stand_in.api_url}/repos/{REPO}/issues/comments/{created.json()['id']}",
        headers=auth(),
        json={"body": "changed"},
        timeout=5,
    )

    assert [c["id"] for c in listed.json()] == [comment_id]
    assert (patched.status_code, patched.json()["message"]) == (404, "Not Found")
    assert patched_again.status_code == 200
    assert [c.body for c in stand_in.comments(REPO, PR)] == ["changed"]


# -- GET /user ----------------------------------------------------------------------------------------------


def test_get_user_answers_a_persons_token_with_its_login_and_type_user(stand_in):
    response = get(stand_in, "/user", token=PERSON)

    assert response.status_code == 200
    assert (response.json()["login"], response.json()["type"]) == ("mona", "User")
    assert {"id", "node_id", "url", "html_url", "avatar_url", "site_admin"} <= set(response.json())


@pytest.mark.parametrize("login", ["github-actions[bot]", "novu-previews[bot]"])
def test_get_user_is_403_not_accessible_by_integration_for_an_installation_token(login):
    server = GitHubApiStandIn(tokens={WRITER: login})
    with server:
        response = get(server, "/user")

    assert response.status_code == 403
    assert response.json()["message"] == "Resource not accessible by integration"
    assert response.json()["documentation_url"].endswith("/rest/users/users#get-the-authenticated-user")


def test_get_user_without_a_known_token_is_401(stand_in):
    assert get(stand_in, "/user", token="nope").status_code == 401


# -- GET /repos/{owner}/{repo}/commits/{sha}/pulls ----------------------------------------------------------


def pulls_of(stand_in: GitHubApiStandIn, sha: str, **params: str) -> requests.Response:
    return get(stand_in, f"/repos/{REPO}/commits/{sha}/pulls", **params)


def test_pulls_of_a_commit_lists_the_open_pull_request_it_heads_with_the_fields_the_schema_requires(stand_in):
    stand_in.add_pull_request(REPO, 12, head_sha=HEAD, head_ref="feature/welcome", base_ref="dev")

    response = pulls_of(stand_in, HEAD)

    assert response.status_code == 200
    [pull] = response.json()
    assert (pull["number"], pull["state"]) == (12, "open")
    assert (pull["head"]["sha"], pull["head"]["ref"], pull["base"]["ref"]) == (HEAD, "feature/welcome", "dev")
    assert pull["html_url"] == f"{stand_in.origin}/{REPO}/pull/12"
    required = {"url", "id", "node_id", "html_url", "issue_url", "number", "state", "locked", "title", "user"}
    required |= {"body", "labels", "milestone", "created_at", "updated_at", "closed_at", "merged_at"}
    required |= {"merge_commit_sha", "assignee", "head", "base", "_links", "author_association", "auto_merge"}
    assert required <= set(pull)
    for part in ("head", "base"):
        assert {"label", "ref", "repo", "sha", "user"} <= set(pull[part])
        assert pull[part]["repo"]["full_name"] == REPO


def test_a_pull_request_whose_head_moved_on_is_still_listed_for_its_older_commit_with_its_new_head(stand_in):
    stand_in.add_pull_request(REPO, 12, head_sha=OLDER)
    stand_in.move_head(REPO, 12, HEAD)

    [for_older] = pulls_of(stand_in, OLDER).json()
    [for_head] = pulls_of(stand_in, HEAD).json()

    assert for_older["head"]["sha"] == for_head["head"]["sha"] == HEAD
    assert stand_in.pull_request(REPO, 12).commits == (OLDER, HEAD)


def test_merged_pull_requests_are_listed_as_closed_and_closed_unmerged_ones_are_not(stand_in):
    stand_in.add_pull_request(REPO, 10, head_sha=HEAD, state="closed", merged=True)
    stand_in.add_pull_request(REPO, 11, head_sha=HEAD)
    stand_in.close_pull_request(REPO, 11)
    stand_in.add_pull_request(REPO, 12, head_sha=HEAD)

    pulls = pulls_of(stand_in, HEAD).json()

    assert [(p["number"], p["state"], p["merged_at"] is not None) for p in pulls] == [
        (10, "closed", True),
        (12, "open", False),
    ]


def test_a_commit_of_no_pull_request_lists_nothing_and_other_repositories_do_not_count(stand_in):
    stand_in.add_commit(REPO, HEAD)
    stand_in.add_pull_request("someone/else", 3, head_sha=HEAD)

    response = pulls_of(stand_in, HEAD)

    assert (response.status_code, response.json()) == (200, [])


def test_an_unknown_commit_is_422_and_an_unknown_repository_404(stand_in):
    unknown_commit = pulls_of(stand_in, "0" * 40)
    unknown_repository = get(stand_in, f"/repos/someone/else/commits/{HEAD}/pulls")

    assert unknown_commit.status_code == 422
    assert unknown_commit.json()["message"] == f"No commit found for SHA: {'0' * 40}"
    assert (unknown_repository.status_code, unknown_repository.json()["message"]) == (404, "Not Found")


def test_pulls_of_a_commit_are_paged_like_the_comments(stand_in):
    for number in range(1, 36):
        stand_in.add_pull_request(REPO, number, head_sha=HEAD, head_ref=f"branch-{number}")

    first = pulls_of(stand_in, HEAD)
    second = requests.get(link_relations(first)["next"], headers=auth(), timeout=5)
    all_at_once = pulls_of(stand_in, HEAD, per_page="100")

    path = f"/repos/{REPO}/commits/{HEAD}/pulls"
    assert [p["number"] for p in first.json()] == list(range(1, 31))
    assert link_relations(first)["last"] == f"{stand_in.api_url}{path}?per_page=30&page=2"
    assert [p["number"] for p in second.json()] == list(range(31, 36))
    assert len(all_at_once.json()) == 35
    assert "Link" not in all_at_once.headers


def test_pull_requests_registered_without_a_head_get_one_no_test_names(stand_in):
    pull = stand_in.add_pull_request(REPO, 8)

    assert len(pull.head_sha) == 40
    assert pull.head_sha not in (HEAD, OLDER)
    assert (pull.state, pull.base_ref) == ("open", "main")
    with pytest.raises(ValueError, match="merged"):
        stand_in.add_pull_request(REPO, 9, merged=True)


# -- PyGithub against the stand-in (the calls novu_action.github makes) ------------------------------------


def pygithub(stand_in: GitHubApiStandIn, token: str, *, per_page: int = 30) -> Github:
    return Github(auth=Auth.Token(token), base_url=stand_in.api_url, lazy=True, per_page=per_page)


def test_pygithub_reads_the_login_of_a_persons_token_with_one_get_user(stand_in):
    client = pygithub(stand_in, PERSON)

    login = client.get_user().login

    assert login == "mona"
    assert [(r.method, r.path) for r in stand_in.requests] == [("GET", "/user")]


def test_pygithub_raises_403_for_the_login_of_an_installation_token(stand_in):
    client = pygithub(stand_in, WRITER)

    with pytest.raises(GithubException) as raised:
        _ = client.get_user().login

    assert raised.value.status == 403
    assert raised.value.data["message"] == "Resource not accessible by integration"


def test_pygithub_reads_comment_authors_and_their_type_without_fetching_the_users(stand_in):
    stand_in.seed_comments(REPO, PR, ["action"], user="github-actions[bot]")
    stand_in.seed_comments(REPO, PR, ["person"], user="mona")
    client = pygithub(stand_in, WRITER)

    authors = [(c.user.login, c.user.type) for c in client.get_repo(REPO).get_issue(PR).get_comments()]

    assert authors == [("github-actions[bot]", "Bot"), ("mona", "User")]
    assert [r.path for r in stand_in.requests] == [COMMENTS]


def test_pygithub_lists_the_pull_requests_of_a_commit_over_every_page_in_get_requests_only(stand_in):
    stand_in.add_pull_request(REPO, 4, head_sha=OLDER, head_ref="old", base_ref="dev")
    stand_in.move_head(REPO, 4, HEAD)
    stand_in.add_pull_request(REPO, 5, head_sha=HEAD, head_ref="feature/welcome", base_ref="main")
    stand_in.add_pull_request(REPO, 6, head_sha=HEAD, state="closed", merged=True)
    client = pygithub(stand_in, WRITER, per_page=2)

    pulls = list(client.get_repo(REPO).get_commit(OLDER).get_pulls())
    for_head = [
        (p.number, p.state, p.head.sha, p.head.ref, p.base.ref, p.html_url)
        for p in client.get_repo(REPO).get_commit(HEAD).get_pulls()
    ]

    assert [p.number for p in pulls] == [4]
    assert for_head == [
        (4, "open", HEAD, "old", "dev", f"{stand_in.origin}/{REPO}/pull/4"),
        (5, "open", HEAD, "feature/welcome", "main", f"{stand_in.origin}/{REPO}/pull/5"),
        (6, "closed", HEAD, "feature/6", "main", f"{stand_in.origin}/{REPO}/pull/6"),
    ]
    paths = [(r.method, r.path, r.query.get("page", "1")) for r in stand_in.requests]
    assert paths == [
        ("GET", f"/repos/{REPO}/commits/{OLDER}/pulls", "1"),
        ("GET", f"/repos/{REPO}/commits/{HEAD}/pulls", "1"),
        ("GET", f"/repos/{REPO}/commits/{HEAD}/pulls", "2"),
    ]


def test_pygithub_raises_the_422_of_an_unknown_commit(stand_in):
    client = pygithub(stand_in, WRITER)

    with pytest.raises(GithubException) as raised:
        list(client.get_repo(REPO).get_commit("0" * 40).get_pulls())

    assert raised.value.status == 422
    assert raised.value.data["message"].startswith("No commit found for SHA")
