"""The one base class for every failure the user can cause or meet.

Each stage raises a small named subclass. ``title`` becomes the annotation title and
``str(error)`` the message; both must say what happened and what to do, and must never
contain a secret (the runner masks registered secrets, but messages are built not to need it).
"""

from __future__ import annotations


class ActionError(Exception):
    """A failure with an actionable message; ends the run with exit status 1."""

    title = "Novu sync failed"

    def __init__(self, message: str, *, title: str | None = None) -> None:
        super().__init__(message)
        if title is not None:
            self.title = title
