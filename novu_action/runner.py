"""Everything the action says to the GitHub runner: workflow commands, outputs, the job summary.

The one home of workflow-command escaping. Every line goes through ``Runner`` so that registered
secrets are masked (by the runner via ``::add-mask::``, and here as well, so they never reach a log
even where no runner is listening) and untrusted text cannot become a workflow command.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Literal, TextIO

Level = Literal["error", "warning", "notice"]
MASK = "***"


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


class OutputCollision(Exception):
    """A value contained the random heredoc delimiter (practically impossible)."""


class Runner:
    def __init__(self, *, stream: TextIO, output_path: Path | None, summary_path: Path | None) -> None:
        self._stream = stream
        self._output_path = output_path
        self._summary_path = summary_path
        self._secrets: list[str] = []

    def add_mask(self, value: str) -> None:
        """Register a secret before anything derived from it is printed."""
        if not value or value in self._secrets:
            return
        self._secrets.append(value)
        self._secrets.sort(key=len, reverse=True)
        for line in {value, *value.splitlines()}:
            if line.strip():
                self._emit(f"::add-mask::{escape_data(line)}")

    def redact(self, text: str) -> str:
        for value in self._secrets:
            text = text.replace(value, MASK)
        return text

    def annotate(self, level: Level, message: str, *, title: str | None = None) -> None:
        properties = f" title={escape_property(self.redact(title))}" if title else ""
        self._emit(f"::{level}{properties}::{escape_data(self.redact(message))}")

    def log(self, text: str) -> None:
        """Print text that may contain remote or user data; it can never act as a workflow command."""
        safe = self.redact(text)
        if any(line.lstrip().startswith("::") or "##[" in line for line in safe.splitlines()):
            token = secrets.token_hex(16)
            self._emit(f"::stop-commands::{token}")
            self._emit(safe)
            self._emit(f"::{token}::")
        else:
            self._emit(safe)

    @contextmanager
    def group(self, title: str) -> Iterator[None]:
        self._emit(f"::group::{escape_data(self.redact(title))}")
        try:
            yield
        finally:
            self._emit("::endgroup::")

    def set_outputs(self, outputs: Mapping[str, str]) -> None:
        """Write outputs in the heredoc form, so no value can break the file."""
        if self._output_path is None:
            return
        chunks = []
        for name, value in outputs.items():
            delimiter = f"ghadelimiter_{uuid.uuid4()}"
            value = self.redact(value)
            if delimiter in name or delimiter in value:
                raise OutputCollision(name)
            chunks.append(f"{name}<<{delimiter}\n{value}\n{delimiter}\n")
        with self._output_path.open("a", encoding="utf-8", newline="\n") as file:
            file.write("".join(chunks))

    def write_summary(self, markdown: str) -> None:
        if self._summary_path is None:
            return
        with self._summary_path.open("a", encoding="utf-8", newline="\n") as file:
            file.write(self.redact(markdown))
            if not markdown.endswith("\n"):
                file.write("\n")

    def _emit(self, line: str) -> None:
        self._stream.write(line + "\n")
        self._stream.flush()
