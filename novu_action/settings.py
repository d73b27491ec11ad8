"""Inputs and the run's context, read and validated once, before any network call.

The runner passes every declared input as ``INPUT_<NAME>`` with the name upper-cased and its hyphens kept
(``secret-key`` arrives as ``INPUT_SECRET-KEY``), and every declared input is present, possibly empty.
Empty and whitespace-only values count as unset; values are trimmed. All problems are collected and
reported together, each in this project's words with the bad value shown (a secret's never).

``Inputs`` is a pydantic model validated from plain text values, so the command line validates its
options with the very same rules (``Inputs.from_values``). ``action.yml`` is the interface's one source:
a contract test keeps this model, the README and the outputs in step with it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Annotated, Any, ClassVar

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, SecretStr, ValidationError

from novu_action.errors import ActionError
from novu_action.events import Event, parse_event
from novu_action.novu_urls import US_API_URL
from novu_action.redaction import REDACTED

DEFAULT_BRANCH_MAP = "dev=Development\nmain=Production"
DEFAULT_BRIDGE_PATH = "/api/novu"
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_SHOWN_VALUE_CHARS = 80


class RequestedMode(StrEnum):
    AUTO = "auto"
    PREVIEW = "preview"
    SYNC = "sync"


class CommentMode(StrEnum):
    ALWAYS = "always"
    CHANGES = "changes"  # create only when something changes, but always keep an existing comment current
    OFF = "off"


class InvalidInputsError(ActionError):
    title = "Invalid inputs"


@dataclass(frozen=True)
class BranchRule:
    pattern: str
    environment: str

    def matches(self, branch: str) -> bool:
        return fnmatchcase(branch, self.pattern)


class QueryHoldsSecrets:
    """Marks an input whose query string values are masked before anything is printed (bypass tokens)."""


def shown(value: str) -> str:
    """A bad value as an error message shows it: quoted, control characters visible, shortened."""
    text = json.dumps(value, ensure_ascii=False)  # escapes C0 controls only; C1, U+2028/9 escaped below
    text = _CONTROL_CHARACTERS.sub(lambda match: f"\\u{ord(match.group()):04x}", text)
    return text if len(text) <= _SHOWN_VALUE_CHARS else text[: _SHOWN_VALUE_CHARS - 2] + '…"'


def _no_control_characters(value: str, *, what: str, visible: str | None = None) -> None:
    """Refuse ``value`` if it holds a control character anywhere; the message shows ``visible`` (its
    redacted form) when given, so a control character hidden in a redacted part is refused too."""
    if _CONTROL_CHARACTERS.search(value):
        raise ValueError(
            f"{what} must be on one line, without control characters; "
            f"got {shown(value if visible is None else visible)}"
        )


def _visible_url(value: str) -> str:
    """``value`` for an error message: userinfo dropped and query values redacted, all else as given (a
    stray line break stays visible, where ``redaction.redact_url`` would parse it away)."""
    without_userinfo = re.sub(r"(?<=//)[^/?#]*@", "", value)  # up to the last `@`, as urlsplit reads it
    base, separator, query = without_userinfo.partition("?")
    if not separator:
        return base
    return base + "?" + "&".join(part.split("=", 1)[0] + "=" + REDACTED for part in query.split("&"))


def _http_url(value: str) -> str:
    from urllib.parse import urlsplit

    visible = _visible_url(value)
    _no_control_characters(value, what="a URL", visible=visible)
    try:
        parts = urlsplit(value)
    except ValueError:  # such as an unclosed IPv6 bracket
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"must be an http:// or https:// URL with a host; got {shown(visible)}")
    if parts.fragment:
        raise ValueError(f"must not contain a #fragment; got {shown(visible)}")
    if any(character.isspace() for character in value):
        raise ValueError(f"must not contain spaces (write a space in a path as %20); got {shown(visible)}")
    return value


def _bridge_path(value: str) -> str:
    visible = _visible_url(value)
    _no_control_characters(value, what="the path", visible=visible)
    if not value.startswith("/") or "#" in value:
        raise ValueError(f"must be a path starting with `/` (such as `/api/novu`); got {shown(visible)}")
    return value


def _choice(kind: type[StrEnum]) -> Any:
    def parse(value: Any) -> Any:
        if isinstance(value, kind):
            return value
        text = str(value).lower()
        if text in {member.value for member in kind}:
            return kind(text)
        listed = ", ".join(f"`{member.value}`" for member in kind)
        raise ValueError(f"must be one of {listed}; got {shown(str(value))}")

    return BeforeValidator(parse)


def _strict_bool(value: Any) -> Any:
    """``true``/``false`` in the spellings GitHub's toolkit accepts, nothing else."""
    if isinstance(value, bool):
        return value
    if value in ("true", "True", "TRUE"):
        return True
    if value in ("false", "False", "FALSE"):
        return False
    raise ValueError(f"must be `true` or `false`; got {shown(str(value))}")


def _seconds(value: Any) -> Any:
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"must be a number of seconds; got {shown(str(value))}") from None
    if not 0 < seconds <= 600:
        raise ValueError(f"must be more than 0 and at most 600 seconds; got {shown(str(value))}")
    return seconds


def _report_id(value: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}", value):
        raise ValueError(
            "must be 1–64 letters, digits, `.`, `_` or `-`, starting with a letter or digit; "
            f"got {shown(value)}"
        )
    return value


def _environment_name(value: str) -> str:
    _no_control_characters(value, what="an environment name")
    return canonical_environment(value)


def _one_line(value: str) -> str:
    _no_control_characters(value, what="the value")
    return value


HttpUrl = Annotated[str, AfterValidator(_http_url), QueryHoldsSecrets()]
ApiUrl = Annotated[
    str, AfterValidator(_http_url), AfterValidator(lambda url: url.rstrip("/")), QueryHoldsSecrets()
]
StrictBool = Annotated[bool, BeforeValidator(_strict_bool)]


def parse_branch_map(text: str) -> tuple[BranchRule, ...]:
    """``PATTERN=Environment`` rules, one per line or comma-separated; blank entries are skipped; first
    match wins."""
    rules: list[BranchRule] = []
    for raw in re.split(r"[,\n]", text):
        entry = raw.strip()
        if not entry:
            continue
        pattern, sep, environment = entry.partition("=")
        if not sep or not pattern.strip() or not environment.strip():
            raise ValueError(f"entry {shown(entry)} is not of the form `BRANCH_PATTERN=Environment`")
        rules.append(BranchRule(pattern.strip(), _environment_name(environment.strip())))
    if not rules:
        raise ValueError("has no `BRANCH_PATTERN=Environment` entry")
    return tuple(rules)


def canonical_environment(name: str) -> str:
    """Novu's default environments keep their usual spelling; custom names stay as written."""
    for known in ("Development", "Production"):
        if name.casefold() == known.casefold():
            return known
    return name


class Inputs(BaseModel):
    """Every input of action.yml, by its name in ``with:`` (the field's alias)."""

    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=False)

    secret_key: SecretStr | None = Field(default=None, alias="secret-key")
    bridge_url: HttpUrl | None = Field(default=None, alias="bridge-url")
    development_secret_key: SecretStr | None = Field(default=None, alias="development-secret-key")
    development_bridge_url: HttpUrl | None = Field(default=None, alias="development-bridge-url")
    production_secret_key: SecretStr | None = Field(default=None, alias="production-secret-key")
    production_bridge_url: HttpUrl | None = Field(default=None, alias="production-bridge-url")
    preview_bridge_url: HttpUrl | None = Field(default=None, alias="preview-bridge-url")
    bridge_signing_secret: SecretStr | None = Field(default=None, alias="bridge-signing-secret")
    development_bridge_signing_secret: SecretStr | None = Field(
        default=None, alias="development-bridge-signing-secret"
    )
    production_bridge_signing_secret: SecretStr | None = Field(
        default=None, alias="production-bridge-signing-secret"
    )
    discover_file: Annotated[str, AfterValidator(_one_line)] | None = Field(
        default=None, alias="discover-file"
    )
    bridge_path: Annotated[str, AfterValidator(_bridge_path), QueryHoldsSecrets()] = Field(
        default=DEFAULT_BRIDGE_PATH, alias="bridge-path"
    )
    branch_map: Annotated[tuple[BranchRule, ...], BeforeValidator(lambda v: _branch_map(v))] = Field(
        default=parse_branch_map(DEFAULT_BRANCH_MAP), alias="branch-map"
    )
    environment: Annotated[str, AfterValidator(_environment_name)] | None = Field(
        default=None, alias="environment"
    )
    mode: Annotated[RequestedMode, _choice(RequestedMode)] = Field(default=RequestedMode.AUTO, alias="mode")
    api_url: ApiUrl = Field(default=US_API_URL, alias="api-url")
    allow_deletions: StrictBool | None = Field(default=None, alias="allow-deletions")
    fail_on_refusal: StrictBool = Field(default=False, alias="fail-on-refusal")
    comment_mode: Annotated[CommentMode, _choice(CommentMode)] = Field(
        default=CommentMode.ALWAYS, alias="comment-mode"
    )
    github_token: SecretStr | None = Field(default=None, alias="github-token")
    id: Annotated[str, AfterValidator(_report_id)] | None = Field(default=None, alias="id")
    timeout: Annotated[float, BeforeValidator(_seconds)] = Field(default=30.0, alias="timeout")

    input_names: ClassVar[tuple[str, ...]]

    @classmethod
    def from_values(cls, values: Mapping[str, str | None]) -> Inputs:
        """Validate inputs given as text by name; empty and blank values count as unset."""
        given = {name: value.strip() for name, value in values.items() if value is not None and value.strip()}
        return cls.model_validate(given)

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> Inputs:
        """The inputs as the runner passes them: ``INPUT_<NAME>`` with hyphens kept."""
        return cls.from_values({name: environ.get(input_variable(name)) for name in cls.input_names})

    @classmethod
    def secret_inputs(cls) -> tuple[str, ...]:
        """Inputs whose whole value is secret: masked before validation, never shown in a message."""
        return tuple(
            str(field.alias) for field in cls.model_fields.values() if _allows(field.annotation, SecretStr)
        )

    @classmethod
    def query_secret_inputs(cls) -> tuple[str, ...]:
        """Inputs whose query string values are masked before validation (URLs with bypass tokens)."""
        return tuple(
            str(field.alias)
            for field in cls.model_fields.values()
            if any(isinstance(item, QueryHoldsSecrets) for item in _metadata(field))
        )

    def secret_value(self, name: str) -> str | None:
        """The value of input ``name`` (as spelled in ``with:``), secrets revealed; ``None`` when unset."""
        value = getattr(self, name.replace("-", "_"))
        if value is None:
            return None
        return value.get_secret_value() if isinstance(value, SecretStr) else str(value)


Inputs.input_names = tuple(str(field.alias) for field in Inputs.model_fields.values())


def input_variable(name: str) -> str:
    """``INPUT_SECRET-KEY`` for ``secret-key``: how the runner names an input's variable."""
    return "INPUT_" + name.replace(" ", "_").upper()


def _branch_map(value: Any) -> Any:
    return parse_branch_map(value) if isinstance(value, str) else value


def _allows(annotation: Any, kind: type) -> bool:
    return annotation is kind or kind in getattr(annotation, "__args__", ())


def _metadata(field: Any) -> list[Any]:
    items = list(field.metadata)
    for argument in getattr(field.annotation, "__args__", ()):
        items.extend(getattr(argument, "__metadata__", ()))
    return items


@dataclass(frozen=True)
class RunContext:
    """The runner's ``GITHUB_*`` variables the action uses."""

    event_name: str
    actor: str | None
    event_path: Path | None
    ref: str | None
    sha: str | None
    repository: str | None
    run_id: str | None
    run_attempt: str
    server_url: str
    api_url: str
    workspace: Path

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> RunContext:
        def get(name: str) -> str | None:
            return environ.get(name) or None

        return cls(
            event_name=get("GITHUB_EVENT_NAME") or "",
            actor=get("GITHUB_ACTOR"),
            event_path=Path(path) if (path := get("GITHUB_EVENT_PATH")) else None,
            ref=get("GITHUB_REF"),
            sha=get("GITHUB_SHA"),
            repository=get("GITHUB_REPOSITORY"),
            run_id=get("GITHUB_RUN_ID"),
            run_attempt=get("GITHUB_RUN_ATTEMPT") or "1",
            server_url=(get("GITHUB_SERVER_URL") or "https://github.com").rstrip("/"),
            api_url=(get("GITHUB_API_URL") or "https://api.github.com").rstrip("/"),
            workspace=Path(get("GITHUB_WORKSPACE") or "."),
        )

    @property
    def run_url(self) -> str | None:
        if not (self.repository and self.run_id):
            return None
        return f"{self.server_url}/{self.repository}/actions/runs/{self.run_id}"

    def commit_url(self, sha: str | None) -> str | None:
        if not (self.repository and sha):
            return None
        return f"{self.server_url}/{self.repository}/commit/{sha}"


@dataclass(frozen=True)
class Settings:
    inputs: Inputs
    context: RunContext
    event: Event


def load_settings(environ: Mapping[str, str]) -> Settings:
    """Read inputs, runner variables and the event payload; report every problem at once."""
    problems: list[str] = []
    inputs: Inputs | None = None
    try:
        inputs = Inputs.from_environ(environ)
    except ValidationError as error:
        problems.extend(describe(error))
    context = RunContext.from_environ(environ)
    event: Event | None = None
    try:
        event = parse_event(
            name=context.event_name,
            payload=_read_event(context.event_path),
            github_ref=context.ref,
            github_sha=context.sha,
            actor=context.actor,
        )
    except (OSError, ValueError) as error:
        problems.append(f"GitHub event: {error}")
    if problems or inputs is None or event is None:
        raise invalid_inputs(problems)
    return Settings(inputs=inputs, context=context, event=event)


def invalid_inputs(problems: list[str]) -> InvalidInputsError:
    listing = "\n".join(f"- {p}" for p in problems)
    count = "1 problem" if len(problems) == 1 else f"{len(problems)} problems"
    return InvalidInputsError(f"{count} with the action's inputs; nothing was sent:\n{listing}")


def _read_event(path: Path | None) -> Mapping[str, Any]:
    if path is None:
        return {}
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise ValueError(f"GITHUB_EVENT_PATH does not hold JSON ({error.msg})") from None
    if not isinstance(payload, Mapping):
        raise ValueError("GITHUB_EVENT_PATH does not hold a JSON object")
    return payload


def describe(error: ValidationError) -> list[str]:
    """One line per bad input, named as the user spells it; secrets' values are never shown."""
    lines = []
    for item in error.errors(include_url=False, include_input=False):
        name = str(item["loc"][0]) if item["loc"] else ""
        message = str(item["msg"]).removeprefix("Value error, ")
        lines.append(f"input `{name}`: {message}")
    return sorted(lines)
