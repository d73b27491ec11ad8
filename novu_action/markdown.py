"""Markdown safety primitives: how text that came from the bridge, from Novu or from a user is put into the
report so that it renders literally. Used by ``render`` and by nobody else. Pure.

- Names and reasons (prose): ``text`` turns markup characters into numeric character references (quotes,
  parentheses and ``!`` stay as they are: without ``[`` and ``]`` they make no link), which GitHub
  decodes for display (copy and paste gives the real characters), and keeps the text on one line. Mentions
  (``@name``) and issue references (``#12``) are broken with a zero-width space, because GitHub finds them
  after entities are decoded; an autolink is stopped by escaping the ``:`` of ``://`` and the ``.`` after
  ``www`` instead, so a URL copied out of the report still works.
- Ids, URLs, branch names: ``code`` makes a code span, whose content is literal in Markdown and is never
  autolinked. Inside raw HTML (a ``<summary>``), where Markdown is not parsed, ``html_code`` does the same.
- The action's own plain-text messages (errors, notes): ``from_plain`` keeps their `quoted` parts as code
  spans and escapes the rest, so they read as written, with remote text inside them still inert.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Literal

_ZERO_WIDTH_SPACE = "&#8203;"
_ENTITIES = str.maketrans(
    {
        "&": "&amp;",
        "<": "&lt;",
        ">": "&gt;",
        "\\": "&#92;",
        "`": "&#96;",
        "*": "&#42;",
        "_": "&#95;",
        "~": "&#126;",
        "[": "&#91;",
        "]": "&#93;",
        "|": "&#124;",
        "$": "&#36;",  # GitHub renders $…$ as math
        "#": "&#35;" + _ZERO_WIDTH_SPACE,
        "@": "@" + _ZERO_WIDTH_SPACE,
    }
)
_AUTOLINK_COLON = re.compile(r":(?=//)")
_AUTOLINK_WWW_DOT = re.compile(r"(?i)(?<=www)\.")
# Characters that only mean something at the start of a line: list markers, setext underlines,
# ordered-list numbers and indentation (four spaces start a code block).
_LINE_START_MARKUP = re.compile(r"^(?:[ ]+|[-+=]|\d+(?=\.))")
_LINE_BREAKS = re.compile(r"\r\n|[\r\n\t\v\f\x85\u2028\u2029]")
_INVISIBLE_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")  # incl. bidi overrides
_QUOTED = re.compile(r"`([^`\n]+)`")
_SAFE_URL = re.compile(r"https?://[^\s<>()\[\]\"'`\\]+")

AlertKind = Literal["NOTE", "TIP", "IMPORTANT", "WARNING", "CAUTION"]


def one_line(text: str) -> str:
    """Line breaks become spaces; control and bidi-override characters become U+FFFD."""
    return _INVISIBLE_CONTROLS.sub("\ufffd", _LINE_BREAKS.sub(" ", text))


def shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def text(value: str, limit: int = 200) -> str:
    """Untrusted prose, rendered literally on one line in Markdown and inside HTML elements alike."""
    return _LINE_START_MARKUP.sub(_escape_line_start, _inline(shorten(value, limit)))


def _inline(value: str) -> str:
    escaped = one_line(value).translate(_ENTITIES)
    return _AUTOLINK_WWW_DOT.sub("&#46;", _AUTOLINK_COLON.sub("&#58;", escaped))


def _escape_line_start(match: re.Match[str]) -> str:
    found = match.group()
    if found.isdigit():  # "1." starts an ordered list; "1", a zero-width space, "." does not
        return found + _ZERO_WIDTH_SPACE
    return "".join(f"&#{ord(char)};" for char in found)


def code(value: str, limit: int = 200) -> str:
    """A code span: its content is literal and never autolinked. The fence is longer than any backtick run
    inside, and padded where the content starts or ends with a backtick, as CommonMark requires."""
    content = one_line(shorten(value, limit)) or " "
    fence = "`" * (max((len(run) for run in re.findall(r"`+", content)), default=0) + 1)
    padded = f" {content} " if content.startswith("`") or content.endswith("`") else content
    return f"{fence}{padded}{fence}"


def html_code(value: str, limit: int = 200) -> str:
    """Code inside raw HTML (``<summary>``), where Markdown is not parsed and autolinks do not form."""
    return f"<code>{text(value, limit)}</code>"


def bold(value: str) -> str:
    return f"**{value}**"


def from_plain(message: str, limit: int = 2_000) -> list[str]:
    """The action's own message (which may quote remote text) as Markdown lines: `quoted` parts become code
    spans, everything else is escaped. Empty lines are dropped."""
    lines = []
    for line in shorten(message, limit).splitlines():
        if not line.strip():
            continue
        parts, last = [], 0
        for match in _QUOTED.finditer(line):
            parts.append(_inline(line[last : match.start()]) + code(match.group(1), limit))
            last = match.end()
        parts.append(_inline(line[last:]))
        lines.append(_LINE_START_MARKUP.sub(_escape_line_start, "".join(parts)))
    return lines or ["(no details)"]


def in_code_block(value: str, limit: int = 200) -> str:
    """Untrusted text for a fenced code block: literal there, it only has to stay on its line."""
    return one_line(shorten(value, limit))


def fenced(info: str, lines: Sequence[str]) -> str:
    longest_run = max((len(run) for line in lines for run in re.findall(r"`+", line)), default=0)
    fence = "`" * max(3, longest_run + 1)
    return "\n".join((fence + info, *lines, fence))


def link(label: str, url: str | None) -> str | None:
    """A Markdown link to a URL the runner or the action made, or None when it does not look like one."""
    if url is None or not _SAFE_URL.fullmatch(url):
        return None
    return f"[{label}]({url})"


def alert(kind: AlertKind, lines: Iterable[str]) -> str:
    """A GitHub alert block; rendered in comments and job summaries alike."""
    return "\n".join((f"> [!{kind}]", *(f"> {line}".rstrip() for line in lines)))
