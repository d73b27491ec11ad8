"""Markdown safety primitives, one behaviour each: untrusted text renders literally, on its line.

``tests/test_render.py`` checks whole reports as GitHub renders them; these pin each primitive's exact
output, so that a change in escaping shows here first.
"""

from __future__ import annotations

import pytest

from novu_action import markdown as md

# ---- text: prose from the bridge, from Novu or from a user ------------------------------------------------


@pytest.mark.parametrize(
    ("char", "escaped"),
    [
        ("&", "&amp;"),
        ("<", "&lt;"),
        (">", "&gt;"),
        ("\\", "&#92;"),
        ("`", "&#96;"),
        ("*", "&#42;"),
        ("_", "&#95;"),
        ("~", "&#126;"),
        ("[", "&#91;"),
        ("]", "&#93;"),
        ("|", "&#124;"),
        ("$", "&#36;"),
    ],
)
def test_each_markup_character_becomes_a_character_reference(char, escaped):
    assert md.text(f"a{char}b") == f"a{escaped}b"


def test_mentions_and_issue_references_are_broken_with_a_zero_width_space():
    assert md.text("@octocat fixed #12") == "@&#8203;octocat fixed &#35;&#8203;12"


def test_quotes_parentheses_and_exclamation_marks_stay_as_written():
    assert md.text('(quotes "ok") it\'s fine!') == '(quotes "ok") it\'s fine!'


def test_urls_in_prose_do_not_autolink_but_keep_their_characters():
    assert md.text("see https://x.io and www.example.com or WWW.X.com") == (
        "see https&#58;//x.io and www&#46;example.com or WWW&#46;X.com"
    )


@pytest.mark.parametrize(
    ("value", "escaped"),
    [
        ("  indented", "&#32;&#32;indented"),
        ("- item", "&#45; item"),
        ("+ item", "&#43; item"),
        ("=", "&#61;"),
        ("12. twelve", "12&#8203;. twelve"),
        ("12 twelve", "12 twelve"),
        ("a - b", "a - b"),
    ],
)
def test_what_would_start_a_list_heading_or_code_block_is_escaped_at_the_start_only(value, escaped):
    assert md.text(value) == escaped


def test_line_breaks_become_spaces_and_invisible_controls_become_replacement_characters():
    assert md.text("a\r\nb\nc\td\u2028e\x00f\u202eg\x85h") == "a b c d e\ufffdf\ufffdg h"


def test_prose_is_shortened_to_its_limit_with_an_ellipsis():
    assert md.text("x" * 201) == "x" * 199 + "…"
    assert md.text("x" * 200) == "x" * 200
    assert md.text("abcdef", 4) == "abc…"


# ---- code: ids, URLs, branch names ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "span"),
    [
        ("welcome", "`welcome`"),
        ("", "` `"),
        ("a`b", "``a`b``"),
        ("`start", "`` `start ``"),
        ("end``", "``` end`` ```"),
        ("a\nb", "`a b`"),
    ],
)
def test_a_code_span_is_fenced_longer_than_any_backtick_run_and_padded_at_a_backtick(value, span):
    assert md.code(value) == span


def test_a_code_span_is_shortened_to_its_limit():
    assert md.code("x" * 201) == "`" + "x" * 199 + "…`"
    assert md.code("abcdef", 4) == "`abc…`"


def test_code_inside_html_is_escaped_text_in_a_code_element_shortened_at_200():
    assert md.html_code("<b>") == "<code>&lt;b&gt;</code>"
    assert md.html_code("x" * 201) == "<code>" + "x" * 199 + "…</code>"
    assert md.html_code("abcdef", 4) == "<code>abc…</code>"


def test_bold_is_strong_emphasis():
    assert md.bold("x") == "**x**"


# ---- from_plain: the action's own messages ----------------------------------------------------------------


def test_a_plain_message_keeps_its_quoted_parts_as_code_and_escapes_the_rest():
    assert md.from_plain("Set `bridge-url` to *x*.\n\n  \n- then `a b`") == [
        "Set `bridge-url` to &#42;x&#42;.",
        "&#45; then `a b`",
    ]


def test_a_plain_message_without_words_has_no_details():
    assert md.from_plain("") == ["(no details)"]
    assert md.from_plain("\n  \n") == ["(no details)"]


def test_a_plain_message_is_shortened_to_its_limit():
    assert md.from_plain("x" * 30, 10) == ["x" * 9 + "…"]
    assert md.from_plain("x" * 2_001) == ["x" * 1_999 + "…"]


def test_quoted_parts_of_a_plain_message_share_its_limit_not_the_code_spans_default():
    assert md.from_plain("`" + "y" * 250 + "`") == ["`" + "y" * 250 + "`"]


# ---- code blocks, links, alerts ---------------------------------------------------------------------------


def test_text_for_a_code_block_only_has_to_stay_on_its_line():
    assert md.in_code_block("a\n<b>*c*") == "a <b>*c*"
    assert md.in_code_block("x" * 201) == "x" * 199 + "…"


def test_a_fence_is_three_backticks_or_longer_than_any_run_inside():
    assert md.fenced("diff", []) == "```diff\n```"
    assert md.fenced("diff", ["+ a", "- ``b"]) == "```diff\n+ a\n- ``b\n```"
    assert md.fenced("diff", ["+ a", "- ````b"]) == "`````diff\n+ a\n- ````b\n`````"


@pytest.mark.parametrize(
    ("url", "link"),
    [
        ("https://github.com/a/b", "[Run](https://github.com/a/b)"),
        ("http://localhost:3000/x", "[Run](http://localhost:3000/x)"),
        ("javascript:alert(1)", None),
        ("https://x.io/a b", None),
        ("https://x.io/a)b", None),
        ("", None),
        (None, None),
    ],
)
def test_only_a_plain_web_url_becomes_a_link(url, link):
    assert md.link("Run", url) == link


def test_an_alert_quotes_each_line_without_trailing_spaces():
    assert md.alert("NOTE", ["one", "", "two  "]) == "> [!NOTE]\n> one\n>\n> two"


def test_shorten_keeps_text_at_its_limit_and_cuts_longer_text_to_it():
    assert md.shorten("abc", 3) == "abc"
    assert md.shorten("abcd", 3) == "ab…"
