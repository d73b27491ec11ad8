"""Render the action's Markdown the way GitHub shows it, to look at it before calling a report change done.

    .venv/bin/python scripts/render_markdown.py REPORT.md [--open-details] [--png OUT.png]

writes REPORT.html (or ``--html OUT``): GitHub-flavoured Markdown through cmark-gfm (GitHub's own
parser), GitHub's stylesheet (the npm package github-markdown-css, installed under tools/render), and
GitHub's alert blocks, which cmark-gfm leaves as plain block quotes. With ``--png`` headless Chromium
(Debian's ``chromium``) takes a screenshot. Not part of the action.
"""

from __future__ import annotations

import argparse
import html
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import cmarkgfm
from cmarkgfm.cmark import Options

ROOT = Path(__file__).resolve().parents[1]
CSS = ROOT / "tools" / "render" / "node_modules" / "github-markdown-css" / "github-markdown-light.css"
_ALERT = re.compile(r"<blockquote>\n<p>\[!(NOTE|TIP|IMPORTANT|WARNING|CAUTION)\]\n?", re.MULTILINE)
_ALERT_COLOURS = {
    "NOTE": "#0969da",
    "TIP": "#1a7f37",
    "IMPORTANT": "#8250df",
    "WARNING": "#9a6700",
    "CAUTION": "#d1242f",
}


def to_html(markdown: str, *, open_details: bool = False) -> str:
    """A standalone page showing ``markdown`` as GitHub renders a comment or a job summary."""
    body = cmarkgfm.github_flavored_markdown_to_html(markdown, options=Options.CMARK_OPT_UNSAFE)
    body = _ALERT.sub(_alert, body)
    if open_details:
        body = body.replace("<details>", "<details open>")
    css = CSS.read_text(encoding="utf-8") if CSS.exists() else ""
    alert_css = "".join(
        f".alert-{kind.lower()}{{border-left:.25em solid {colour};padding:0 1em;margin-bottom:16px}}"
        f".alert-{kind.lower()} .alert-title{{color:{colour};font-weight:600}}"
        for kind, colour in _ALERT_COLOURS.items()
    )
    return (
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<style>{css}{alert_css}body{{margin:0}}.markdown-body{{max-width:880px;padding:32px}}</style>"
        f"</head><body><article class='markdown-body'>{body}</article></body></html>"
    )


def _alert(match: re.Match[str]) -> str:
    kind = match.group(1)
    title = html.escape(kind.title())
    return f"<blockquote class='alert-{kind.lower()}'><p class='alert-title'>{title}</p>\n<p>"


def screenshot(page: Path, png: Path, *, width: int = 960, height: int = 2400) -> None:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        raise SystemExit("chromium is not installed (apt-get install -y chromium)")
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(  # noqa: S603 -- a fixed local program and our own file
            [
                chromium,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
                f"--user-data-dir={profile}",
                f"--window-size={width},{height}",
                f"--screenshot={png}",
                page.resolve().as_uri(),
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("markdown", type=Path)
    parser.add_argument("--open-details", action="store_true", help="show collapsed sections open")
    parser.add_argument("--html", type=Path, help="where to write the page (default: beside the Markdown)")
    parser.add_argument("--png", type=Path, help="also take a screenshot with headless Chromium")
    args = parser.parse_args(argv)
    page = args.html or args.markdown.with_suffix(".html")
    page.write_text(to_html(args.markdown.read_text(encoding="utf-8"), open_details=args.open_details))
    print(page)
    if args.png:
        screenshot(page, args.png)
        print(args.png)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
