"""The GitLab REST stand-in keeps GitLab's contract, checked with plain ``requests`` and with python-gitlab,
a client written against the real API (no code of ``novu_action``)."""

from __future__ import annotations

from collections.abc import Iterator

import gitlab
import pytest
import requests

from tests.stand_ins.gitlab_api import GitLabApiStandIn

PROJECT = 4242
PATH = "acme/notifications"
MR = 7
BOT = "project_4242_bot_5f0e3c"
WRITER = "glpat-writer-token-0001"
READER = "glpat-reader-token-0002"
NOTES = f"/projects/{PROJECT}/merge_requests/{MR}/notes"


@pytest.fixture
def stand_in() -> Iterator[GitLabApiStandIn]:
    server = GitLabApiStandIn(tokens={WRITER: BOT}, read_only_tokens={READER: "reader"})
    with server:
        server.add_merge_request(PROJECT, MR, project_path=PATH)
        yield server


def get(
    stand_in: GitLabApiStandIn, path: str, token: str | None = WRITER, **params: str
) -> requests.Response:
    headers = {"PRIVATE-TOKEN": token} if token else {}
    return requests.get(stand_in.api_url + path, headers=headers, params=params, timeout=5)


def post(stand_in: GitLabApiStandIn, body: object, token: str = WRITER) -> requests.Response:
    return requests.post(stand_in.api_url + NOTES, headers={"PRIVATE-TOKEN": token}, json=body, timeout=5)


def put(stand_in: GitLabApiStandIn, note_id: int, body: object, token: str = WRITER) -> requests.Response:
    url = f"{stand_in.api_url}{NOTES}/{note_id}"
    return requests.put(url, headers={"PRIVATE-TOKEN": token}, json=body, timeout=5)


def test_the_api_root_is_api_v4_and_configurable():
    with GitLabApiStandIn(tokens={WRITER: BOT}) as default_root:
        assert default_root.endswith("/api/v4")
    relative = GitLabApiStandIn(tokens={WRITER: BOT}, base_path="/gitlab/api/v4")
    with relative as api_url:
        relative.add_merge_request(PROJECT, MR)
        assert api_url.endswith("/gitlab/api/v4")
        assert get(relative, NOTES).status_code == 200
        assert requests.get(relative.origin + "/api/v4" + NOTES, timeout=5).status_code == 404


def test_a_missing_or_unknown_token_is_401_with_a_message(stand_in):
    assert get(stand_in, NOTES, token=None).status_code == 401
    unknown = get(stand_in, NOTES, token="glpat-nobody")
    assert unknown.status_code == 401
    assert unknown.json() == {"message": "401 Unauthorized"}


def test_a_bearer_token_authenticates_like_private_token(stand_in):
    response = requests.get(
        stand_in.api_url + "/user", headers={"Authorization": f"Bearer {WRITER}"}, timeout=5
    )
    assert response.status_code == 200
    assert response.json()["username"] == BOT


def test_get_user_is_the_tokens_own_user_and_a_project_token_user_is_a_bot(stand_in):
    bot = get(stand_in, "/user").json()
    person = get(stand_in, "/user", token=READER).json()

    assert bot["username"] == BOT
    assert bot["bot"] is True
    assert bot["id"] == stand_in.user_id(BOT)
    assert person["bot"] is False
    assert person["id"] != bot["id"]
    assert {"id", "username", "name", "state", "web_url", "avatar_url"} <= set(bot)


def test_create_answers_201_with_the_note_and_its_author(stand_in):
    created = post(stand_in, {"body": "hello"})

    note = created.json()
    assert created.status_code == 201
    assert note["body"] == "hello"
    assert note["author"]["id"] == stand_in.user_id(BOT)
    assert note["author"]["username"] == BOT
    assert note["system"] is False
    assert note["noteable_type"] == "MergeRequest"
    assert note["noteable_iid"] == MR
    assert note["project_id"] == PROJECT
    assert get(stand_in, f"{NOTES}/{note['id']}").json() == note


def test_create_accepts_form_fields_too(stand_in):
    response = requests.post(
        stand_in.api_url + NOTES, headers={"PRIVATE-TOKEN": WRITER}, data={"body": "form"}, timeout=5
    )
    assert response.status_code == 201
    assert [n.body for n in stand_in.notes(PROJECT, MR)] == ["form"]


def test_a_missing_body_is_400_and_a_body_over_a_million_characters_fails_validation(stand_in):
    missing = post(stand_in, {})
    too_long = post(stand_in, {"body": "x" * 1_000_001})

    assert missing.status_code == 400
    assert missing.json() == {"error": "body is missing"}
    assert too_long.status_code == 400
    assert too_long.json() == {"message": {"note": ["is too long (maximum is 1000000 characters)"]}}
    assert stand_in.notes(PROJECT, MR) == []


def test_update_answers_200_changes_body_and_updated_at_but_not_the_id(stand_in):
    [note_id] = stand_in.seed_notes(PROJECT, MR, ["old"], user=BOT)
    before = get(stand_in, f"{NOTES}/{note_id}").json()

    response = put(stand_in, note_id, {"body": "new"})

    assert response.status_code == 200
    assert response.json()["id"] == note_id
    assert response.json()["updated_at"] > before["updated_at"]
    assert response.json()["created_at"] == before["created_at"]
    assert [n.body for n in stand_in.notes(PROJECT, MR)] == ["new"]


def test_only_the_author_may_modify_a_note_and_system_notes_never(stand_in):
    [persons] = stand_in.seed_notes(PROJECT, MR, ["mine"], user="alice")
    [system] = stand_in.seed_notes(PROJECT, MR, ["added 1 commit"], user=BOT, system=True)

    assert put(stand_in, persons, {"body": "overwritten"}).json() == {"message": "403 Forbidden"}
    assert put(stand_in, system, {"body": "overwritten"}).status_code == 403
    assert [n.body for n in stand_in.notes(PROJECT, MR)] == ["mine", "added 1 commit"]


def test_a_read_api_token_reads_but_may_not_write(stand_in):
    [note_id] = stand_in.seed_notes(PROJECT, MR, ["x"], user="reader")

    assert get(stand_in, NOTES, token=READER).status_code == 200
    refused = post(stand_in, {"body": "hi"}, token=READER)
    assert refused.status_code == 403
    assert refused.json()["error"] == "insufficient_scope"
    assert put(stand_in, note_id, {"body": "y"}, token=READER).status_code == 403


def test_unknown_project_merge_request_and_note_are_404_with_their_messages(stand_in):
    assert get(stand_in, "/projects/999/merge_requests/7/notes").json() == {
        "message": "404 Project Not Found"
    }
    assert get(stand_in, f"/projects/{PROJECT}/merge_requests/8/notes").json() == {"message": "404 Not found"}
    missing_note = put(stand_in, 123, {"body": "x"})
    assert missing_note.status_code == 404
    assert missing_note.json() == {"message": "404 Not found"}
    assert get(stand_in, "/nothing/here").json() == {"error": "404 Not Found"}


def test_a_project_is_found_by_its_url_encoded_path_too(stand_in):
    stand_in.seed_notes(PROJECT, MR, ["by path"])

    response = get(stand_in, f"/projects/acme%2Fnotifications/merge_requests/{MR}/notes")

    assert [n["body"] for n in response.json()] == ["by path"]


def test_listing_is_newest_first_by_default_20_per_page_with_the_pagination_headers(stand_in):
    ids = stand_in.seed_notes(PROJECT, MR, [f"note {n}" for n in range(45)])

    first = get(stand_in, NOTES)

    assert [n["id"] for n in first.json()] == list(reversed(ids))[:20]
    headers = first.headers
    assert (headers["x-page"], headers["x-per-page"], headers["x-next-page"], headers["x-prev-page"]) == (
        "1",
        "20",
        "2",
        "",
    )
    assert (headers["x-total"], headers["x-total-pages"]) == ("45", "3")
    assert first.links["next"]["url"] == f"{stand_in.api_url}{NOTES}?page=2&per_page=20"
    assert first.links["last"]["url"] == f"{stand_in.api_url}{NOTES}?page=3&per_page=20"
    assert "prev" not in first.links


def test_sort_asc_and_following_x_next_page_visits_every_note_once(stand_in):
    ids = stand_in.seed_notes(PROJECT, MR, [f"note {n}" for n in range(250)])
    seen: list[int] = []
    page = "1"
    while page:
        response = get(stand_in, NOTES, sort="asc", per_page="100", page=page)
        seen += [n["id"] for n in response.json()]
        page = response.headers["x-next-page"]

    assert seen == ids
    assert response.headers["x-page"] == "3"
    assert response.headers["x-prev-page"] == "2"
    assert set(response.links) == {"prev", "first", "last"}


def test_per_page_is_capped_at_100_and_a_page_past_the_end_is_empty(stand_in):
    stand_in.seed_notes(PROJECT, MR, [f"note {n}" for n in range(150)])

    capped = get(stand_in, NOTES, per_page="500")
    past = get(stand_in, NOTES, per_page="100", page="9")

    assert len(capped.json()) == 100
    assert capped.headers["x-per-page"] == "100"
    assert past.status_code == 200
    assert past.json() == []
    assert past.headers["x-next-page"] == ""


def test_order_by_updated_at_puts_the_last_edited_note_first(stand_in):
    first, _second = stand_in.seed_notes(PROJECT, MR, ["a", "b"], user=BOT)
    put(stand_in, first, {"body": "a, edited"})

    listed = get(stand_in, NOTES, order_by="updated_at").json()

    assert [n["body"] for n in listed] == ["a, edited", "b"]


def test_system_notes_are_listed_with_system_true(stand_in):
    stand_in.seed_notes(PROJECT, MR, ["added 1 commit"], user="alice", system=True)

    [note] = get(stand_in, NOTES).json()

    assert note["system"] is True


def test_scripted_faults_answer_or_hang_up_and_may_store_the_write_first(stand_in):
    stand_in.fail_next("POST", NOTES, 502, store_anyway=True, message="502 Bad Gateway")
    stand_in.disconnect_next("GET", "/user")

    failed = post(stand_in, {"body": "stored anyway"})
    with pytest.raises(requests.ConnectionError):
        get(stand_in, "/user")

    assert failed.status_code == 502
    assert failed.json() == {"message": "502 Bad Gateway"}
    assert [n.body for n in stand_in.notes(PROJECT, MR)] == ["stored anyway"]
    assert get(stand_in, "/user").status_code == 200
    assert [r.method for r in stand_in.requests] == ["POST", "GET", "GET"]


# -- python-gitlab, a real GitLab client, against the stand-in ---------------------------------------------


def client(stand_in: GitLabApiStandIn, token: str = WRITER) -> gitlab.Gitlab:
    return gitlab.Gitlab(stand_in.origin, private_token=token, api_version="4", per_page=100)


def test_python_gitlab_authenticates_lists_every_page_creates_and_saves_a_note(stand_in):
    stand_in.seed_notes(PROJECT, MR, [f"note {n}" for n in range(130)], user="alice")
    gl = client(stand_in)

    gl.auth()
    mr = gl.projects.get(PROJECT, lazy=True).mergerequests.get(MR, lazy=True)
    listed = mr.notes.list(get_all=True, sort="asc")
    created = mr.notes.create({"body": "from python-gitlab"})
    created.body = "edited by python-gitlab"
    created.save()

    assert gl.user is not None
    assert gl.user.username == BOT
    assert len(listed) == 130
    assert [n.body for n in listed[:2]] == ["note 0", "note 1"]
    assert created.author["username"] == BOT
    assert stand_in.notes(PROJECT, MR)[-1].body == "edited by python-gitlab"


def test_python_gitlab_reads_the_pagination_headers(stand_in):
    stand_in.seed_notes(PROJECT, MR, [f"note {n}" for n in range(45)])
    notes = client(stand_in).projects.get(PROJECT, lazy=True).mergerequests.get(MR, lazy=True).notes

    page = notes.list(iterator=True, per_page=20)

    assert (page.current_page, page.next_page, page.prev_page, page.per_page) == (1, 2, None, 20)
    assert (page.total, page.total_pages) == (45, 3)


def test_python_gitlab_raises_its_own_errors_for_the_stand_ins_error_answers(stand_in):
    with pytest.raises(gitlab.GitlabAuthenticationError) as unauthorized:
        client(stand_in, token="glpat-nobody").auth()
    notes = client(stand_in, READER).projects.get(PROJECT, lazy=True).mergerequests.get(MR, lazy=True).notes
    with pytest.raises(gitlab.GitlabCreateError) as forbidden:
        notes.create({"body": "no"})
    missing = client(stand_in).projects.get(PROJECT, lazy=True).mergerequests.get(99, lazy=True).notes
    with pytest.raises(gitlab.GitlabListError) as not_found:
        missing.list(get_all=True)

    assert unauthorized.value.response_code == 401
    assert "401 Unauthorized" in str(unauthorized.value)
    assert forbidden.value.response_code == 403
    assert not_found.value.response_code == 404
    assert "404 Not found" in str(not_found.value)
