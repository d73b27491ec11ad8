"""The sticky merge-request note (gitlab_notes.py) against the GitLab API stand-in: created once, updated in
place, found on later pages, never a person's note, and every failure in words that say what to do."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from novu_action.github import comment_marker
from novu_action.gitlab import GitLabHost
from novu_action.gitlab_notes import MergeRequestNotes, NoteError
from novu_action.http import HttpClient
from novu_action.settings import CommentMode
from tests.stand_ins.gitlab_api import GitLabApiStandIn
from tests.test_gitlab import BOT, HEAD, MARKER, MR, OTHER_BOT_TOKEN, PROD_KEY, PROJECT, READ_ONLY, TOKEN


@pytest.fixture
def api() -> Iterator[GitLabApiStandIn]:
    stand_in = GitLabApiStandIn(
        tokens={TOKEN: BOT, OTHER_BOT_TOKEN: "project_9_bot_0a0b0c"}, read_only_tokens={READ_ONLY: "viewer"}
    )
    with stand_in:
        stand_in.add_merge_request(PROJECT, MR)
        yield stand_in


def notes_of(api: GitLabApiStandIn, *, token: str | None = TOKEN, mr_iid: int = MR) -> MergeRequestNotes:
    return MergeRequestNotes(
        http=HttpClient(timeout=5, sleep=lambda _seconds: None),
        api_url=api.api_url,
        project_id=str(PROJECT),
        project_path="acme/notifications",
        mr_iid=mr_iid,
        token=token,
        web_url="https://gitlab.example.com/acme/notifications",
    )


def publish(
    api: GitLabApiStandIn,
    text: str,
    *,
    mode: CommentMode = CommentMode.ALWAYS,
    has_changes: bool = True,
    token: str | None = TOKEN,
    mr_iid: int = MR,
):
    return notes_of(api, token=token, mr_iid=mr_iid).publish(
        body=f"{MARKER}\n{text}\n", marker=MARKER, mode=mode, has_changes=has_changes
    )


def own_notes(api: GitLabApiStandIn) -> list[str]:
    return [note.body for note in api.notes(PROJECT, MR) if note.author == BOT]


def test_the_first_run_creates_the_note_and_the_next_update_it_in_place(api):
    created = publish(api, "plan 1")
    unchanged = publish(api, "plan 1")
    updated = publish(api, "plan 2")

    [note] = api.notes(PROJECT, MR)
    assert (created.action, unchanged.action, updated.action) == ("created", "unchanged", "updated")
    assert (
        created.url == f"https://gitlab.example.com/acme/notifications/-/merge_requests/{MR}#note_{note.id}"
    )
    assert updated.url == created.url
    assert note.body == f"{MARKER}\nplan 2\n"
    assert len(api.requests_to("POST")) == 1
    assert len(api.requests_to("PUT")) == 1
    assert all(r.headers["private-token"] == TOKEN for r in api.requests)


def test_the_note_is_found_on_a_later_page_and_listing_asks_100_oldest_first(api):
    api.seed_notes(PROJECT, MR, [f"review comment {n}" for n in range(130)], user="bob")
    publish(api, "plan 1")
    api.seed_notes(PROJECT, MR, [f"more {n}" for n in range(120)], user="bob")

    outcome = publish(api, "plan 2")

    assert outcome.action == "updated"
    assert own_notes(api) == [f"{MARKER}\nplan 2\n"]
    listings = [r for r in api.requests_to("GET") if r.path.endswith("/notes")]
    assert all(r.query["per_page"] == "100" and r.query["sort"] == "asc" for r in listings)
    assert [r.query["page"] for r in listings[-3:]] == ["1", "2", "3"]


def test_a_persons_note_with_the_marker_is_never_edited(api):
    [forged] = api.seed_notes(PROJECT, MR, [f"{MARKER}\nlooks like the plan"], user="mallory")

    outcome = publish(api, "the real plan")

    assert outcome.action == "created"
    assert [n.body for n in api.notes(PROJECT, MR) if n.id == forged] == [f"{MARKER}\nlooks like the plan"]
    assert own_notes(api) == [f"{MARKER}\nthe real plan\n"]
    assert [r.path for r in api.requests_to("GET") if r.path == "/user"] == ["/user"]


def test_system_notes_and_another_tokens_notes_are_not_the_actions(api):
    api.seed_notes(PROJECT, MR, [f"{MARKER}\nsystem"], user=BOT, system=True)
    api.seed_notes(PROJECT, MR, [f"{MARKER}\nother bot"], user="project_9_bot_0a0b0c")

    outcome = publish(api, "plan")

    assert outcome.action == "created"
    assert len(api.notes(PROJECT, MR)) == 3
    assert not api.requests_to("PUT")


def test_of_several_own_marked_notes_the_newest_is_updated(api):
    older, newer = api.seed_notes(PROJECT, MR, [f"{MARKER}\nold", f"{MARKER}\nnewer"], user=BOT)

    publish(api, "current")

    bodies = {n.id: n.body for n in api.notes(PROJECT, MR)}
    assert bodies[older] == f"{MARKER}\nold"
    assert bodies[newer] == f"{MARKER}\ncurrent\n"


def test_notes_of_other_report_ids_are_left_alone(api):
    other = comment_marker("billing")
    api.seed_notes(PROJECT, MR, [f"{other}\nbilling plan"], user=BOT)

    publish(api, "default plan")

    assert sorted(own_notes(api)) == sorted([f"{other}\nbilling plan", f"{MARKER}\ndefault plan\n"])


def test_no_user_lookup_and_no_listing_beyond_need_on_a_first_note(api):
    publish(api, "plan")

    assert [r.method for r in api.requests] == ["GET", "POST"]


def test_comment_mode_off_sends_nothing_and_changes_only_creates_with_changes(api):
    off = publish(api, "plan", mode=CommentMode.OFF)
    no_changes = publish(api, "nothing", mode=CommentMode.CHANGES, has_changes=False)
    with_changes = publish(api, "changes", mode=CommentMode.CHANGES, has_changes=True)
    kept_current = publish(api, "nothing now", mode=CommentMode.CHANGES, has_changes=False)

    assert (off.action, no_changes.action, with_changes.action, kept_current.action) == (
        "skipped",
        "skipped",
        "created",
        "updated",
    )
    assert own_notes(api) == [f"{MARKER}\nnothing now\n"]


def test_no_token_skips_the_note_with_a_notice_that_says_what_to_set(api):
    outcome = publish(api, "plan", token=None)

    assert outcome.action == "skipped"
    assert outcome.notice is not None
    assert "NOVU_GITLAB_TOKEN" in outcome.notice
    assert "`api` scope" in outcome.notice
    assert api.requests == []


def test_an_unknown_token_fails_with_what_to_do_and_without_the_token(api):
    with pytest.raises(NoteError) as raised:
        publish(api, "plan", token="glpat-revokedToken000000000")

    message = str(raised.value)
    assert "401" in message
    assert "NOVU_GITLAB_TOKEN" in message
    assert "Reporter" in message
    assert "glpat-revokedToken000000000" not in message


def test_a_read_api_token_fails_naming_the_api_scope(api):
    with pytest.raises(NoteError) as raised:
        publish(api, "plan", token=READ_ONLY)

    assert "insufficient_scope" in str(raised.value)
    assert "`api` scope" in str(raised.value)


def test_an_unknown_merge_request_fails_with_a_404_message(api):
    with pytest.raises(NoteError) as raised:
        publish(api, "plan", mr_iid=404)

    assert "404" in str(raised.value)
    assert "merge request !404 of acme/notifications" in str(raised.value)


def test_a_5xx_after_the_note_was_stored_does_not_duplicate_it(api):
    api.fail_next("POST", f"/projects/{PROJECT}/merge_requests/{MR}/notes", 502, store_anyway=True)

    outcome = publish(api, "plan")

    assert outcome.action == "created"
    assert own_notes(api) == [f"{MARKER}\nplan\n"]
    assert len(api.requests_to("POST")) == 1


def test_a_5xx_before_the_note_was_stored_posts_it_once_more(api):
    api.fail_next("POST", f"/projects/{PROJECT}/merge_requests/{MR}/notes", 503)

    outcome = publish(api, "plan")

    assert outcome.action == "created"
    assert own_notes(api) == [f"{MARKER}\nplan\n"]
    assert len(api.requests_to("POST")) == 2


def test_a_connection_lost_after_the_note_was_stored_does_not_duplicate_it(api):
    api.disconnect_next("POST", f"/projects/{PROJECT}/merge_requests/{MR}/notes", store_anyway=True)

    outcome = publish(api, "plan")

    assert outcome.action == "created"
    assert own_notes(api) == [f"{MARKER}\nplan\n"]


def test_a_note_deleted_after_it_was_listed_is_created_again(api):
    api.seed_notes(PROJECT, MR, [f"{MARKER}\nold"], user=BOT)
    api.fail_next("PUT", f"/projects/{PROJECT}/merge_requests/{MR}/notes/", 404, message="404 Not found")

    outcome = publish(api, "plan")

    assert outcome.action == "created"
    assert len(api.requests_to("POST")) == 1


def test_a_listing_that_keeps_failing_fails_after_retries(api):
    api.fail_next("GET", f"/projects/{PROJECT}", 500, times=4)

    with pytest.raises(NoteError) as raised:
        publish(api, "plan")

    assert "kept failing" in str(raised.value)
    assert len(api.requests_to("GET")) == 4


def test_an_unreachable_api_fails_with_the_address_and_what_to_check(api):
    unreachable = MergeRequestNotes(
        http=HttpClient(timeout=1, sleep=lambda _seconds: None),
        api_url="http://127.0.0.1:9/api/v4",
        project_id=str(PROJECT),
        project_path=None,
        mr_iid=MR,
        token=TOKEN,
        web_url=None,
    )

    with pytest.raises(NoteError) as raised:
        unreachable.publish(body=f"{MARKER}\nx", marker=MARKER, mode=CommentMode.ALWAYS, has_changes=True)

    assert "Could not reach the GitLab API at http://127.0.0.1:9/api/v4" in str(raised.value)
    assert "CI_API_V4_URL" in str(raised.value)


def test_a_body_without_its_marker_line_is_a_bug(api):
    with pytest.raises(ValueError, match="marker"):
        notes_of(api).publish(body="no marker", marker=MARKER, mode=CommentMode.ALWAYS, has_changes=True)


def test_the_project_may_be_named_by_its_path(api):
    by_path = MergeRequestNotes(
        http=HttpClient(timeout=5),
        api_url=api.api_url,
        project_id="acme/notifications",
        project_path="acme/notifications",
        mr_iid=MR,
        token=TOKEN,
        web_url=None,
    )

    outcome = by_path.publish(body=f"{MARKER}\nx\n", marker=MARKER, mode=CommentMode.ALWAYS, has_changes=True)

    assert outcome.action == "created"
    assert outcome.url is None
    assert api.requests[
        0
    ].path == f"/projects/acme%2Fnotifications/merge_requests/{MR}/notes" or api.requests[0].path.startswith(
        "/projects/acme"
    )


def test_the_host_posts_in_gitlab_words_and_masks_secrets(api):
    host = GitLabHost(
        api_url=api.api_url,
        project_id=str(PROJECT),
        project_path="acme/notifications",
        project_url=None,
        token=TOKEN,
        timeout=5,
        on_retry=lambda _text: None,
        secrets=(PROD_KEY,),
    )
    publisher = host.comments(MR)
    assert publisher is not None
    marker = host.comment_marker(None)

    publisher.publish(
        body=f"{marker}\nSet the input `allow-deletions: true` on this pull request ({PROD_KEY}).\n",
        marker=marker,
        mode=CommentMode.ALWAYS,
        has_changes=True,
    )

    assert own_notes(api) == [
        f'{marker}\nSet the variable `NOVU_ALLOW_DELETIONS: "true"` on this merge request (***).\n'
    ]
    assert host.pull_request_for_commit(HEAD) is None
