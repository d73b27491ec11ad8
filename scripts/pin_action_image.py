"""Point action.yml at a prebuilt image pinned by digest; the release workflow runs this.

    python3 scripts/pin_action_image.py ghcr.io/OWNER/REPO@sha256:<64 hex> [--file action.yml]

Replaces the value of the one ``image:`` key under ``runs:`` with ``docker://<reference>`` and keeps
every other byte of the file (comments, quoting, line endings). The reference must name a repository
and a sha256 digest: a tag can be moved, a digest cannot, so a tag-only reference, a tag next to the
digest, another algorithm or a malformed digest is refused. Running it again with the same reference
changes nothing. Standard library only: it runs on the release runner before anything is installed.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

# Docker's reference grammar, lower-case only (registries reject upper-case repository names):
# an optional registry host[:port], path components separated by "/", then "@sha256:<64 hex>".
_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_HOST = r"(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*(?::[0-9]+)?"
REFERENCE = re.compile(rf"(?:{_HOST}/)?{_COMPONENT}(?:/{_COMPONENT})*@sha256:[0-9a-f]{{64}}")

_RUNS = re.compile(r"runs:[ \t]*(?:#.*)?")
# "  image: value  # comment" with its line ending; the value may be quoted.
_IMAGE = re.compile(
    r"(?P<indent>[ \t]+)image:(?P<gap>[ \t]*)(?P<value>\"[^\"]*\"|'[^']*'|[^\s#][^\r\n]*?)?"
    r"(?P<rest>(?:[ \t]+#[^\r\n]*)?[ \t]*)(?P<eol>\r?\n|\r)?"
)


class PinError(ValueError):
    """The reference or the file is not what a release can pin."""


def validate_reference(reference: str) -> str:
    """The reference without a ``docker://`` prefix, or PinError saying what is wrong with it."""
    bare = reference.removeprefix("docker://")
    if REFERENCE.fullmatch(bare):
        return bare
    if "@" not in bare:
        raise PinError(f"{reference!r} has no digest: pin the image as NAME@sha256:<64 hex>, not by tag")
    name, _, digest = bare.rpartition("@")
    if not digest.startswith("sha256:"):
        raise PinError(f"{reference!r}: only sha256 digests are accepted, got {digest!r}")
    if not re.fullmatch(r"sha256:[0-9a-f]{64}", digest):
        raise PinError(f"{reference!r}: a sha256 digest is 64 lower-case hex digits, got {digest!r}")
    if ":" in name.rsplit("/", 1)[-1]:
        raise PinError(f"{reference!r}: give the digest without a tag (a tag next to a digest is ignored)")
    raise PinError(f"{reference!r}: {name!r} is not a lower-case image repository name")


def _image_line_index(lines: list[str]) -> int:
    """Index of the single ``image:`` line directly under the top-level ``runs:`` key."""
    found: list[int] = []
    inside = False
    child_indent: str | None = None
    for index, line in enumerate(lines):
        text = line.rstrip("\r\n")
        if not text.strip() or text.lstrip().startswith("#"):
            continue
        if not text[0].isspace():
            inside = _RUNS.fullmatch(text) is not None
            child_indent = None
            continue
        if not inside:
            continue
        indent = text[: len(text) - len(text.lstrip())]
        if child_indent is None:
            child_indent = indent
        if indent == child_indent and text.lstrip().startswith("image:"):
            found.append(index)
    if len(found) != 1:
        raise PinError(f"expected one `image:` key under `runs:`, found {len(found)}")
    return found[0]


def pin_text(text: str, reference: str) -> str:
    """``text`` with the ``runs.image`` value set to ``docker://<reference>``; nothing else changes."""
    image = "docker://" + validate_reference(reference)
    lines = text.splitlines(keepends=True)
    index = _image_line_index(lines)
    match = _IMAGE.fullmatch(lines[index])
    if match is None:
        raise PinError(f"cannot read the image line: {lines[index]!r}")
    gap = match["gap"] or " "
    lines[index] = f"{match['indent']}image:{gap}{image}{match['rest']}{match['eol'] or ''}"
    return "".join(lines)


def pin_file(path: Path, reference: str) -> bool:
    """Rewrite ``path`` in place; True when it changed. Bytes are read and written as they are."""
    original = path.read_bytes().decode("utf-8")
    pinned = pin_text(original, reference)
    if pinned == original:
        return False
    path.write_bytes(pinned.encode("utf-8"))
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Pin action.yml's runs.image to an image digest.")
    parser.add_argument("reference", help="REGISTRY/OWNER/NAME@sha256:<64 hex>")
    parser.add_argument("--file", type=Path, default=Path("action.yml"), help="default: action.yml")
    args = parser.parse_args(argv)
    try:
        changed = pin_file(args.file, args.reference)
    except (PinError, OSError, UnicodeDecodeError) as error:
        print(f"pin_action_image: {error}", file=sys.stderr)
        return 1
    state = "now uses" if changed else "already uses"
    print(f"{args.file} {state} docker://{validate_reference(args.reference)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
