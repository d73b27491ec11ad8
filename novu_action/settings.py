"""Inputs and GitHub context, read and validated once, before any network call.

The runner passes every declared input as ``INPUT_<NAME>`` with the name upper-cased and its
hyphens kept (``secret-key`` arrives as ``INPUT_SECRET-KEY``), and every declared input is present,
possibly empty. Empty and whitespace-only values count as unset. All problems are collected and
reported together.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import BeforeValidator, Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from novu_action.comment import CommentMode
from novu_action.errors import ActionError

NOVU_CLOUD_API = "https://api.novu.co"
DEFAULT_BRANCH_MAP = "dev=Development\nmain=Production"


class RequestedMode(StrEnum):
    AUTO = "auto"
    PREVIEW = "preview"
    SYNC = "sync"


class InvalidInputs(ActionError):
    title = "Invalid inputs"


@dataclass(frozen=True)
class BranchRule:
    pattern: str
    environment: str

    def matches(self, branch: str) -> bool:
        return fnmatchcase(branch, self.pattern)


def _strict_bool(value: Any) -> Any:
    if isinstance(value, str):
        if value in ("true", "True", "TRUE"):
            return True
        if value in ("false", "False", "FALSE"):
            return False
        raise ValueError(f"must be `true` or `false`, got {value!r}")
    return value


StrictBool = Annotated[bool, BeforeValidator(_strict_bool)]


def _check_http_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("must be an http:// or https:// URL with a host")
    if parts.fragment:
        raise ValueError("must not contain a #fragment")
    return value


def parse_branch_map(text: str) -> tuple[BranchRule, ...]:
    """``PATTERN=Environment`` rules, one per line or comma-separated; first match wins."""
    rules: list[BranchRule] = []
    for raw in re.split(r"[,\n]", text):
        entry = raw.strip()
        if not entry:
            continue
        pattern, sep, environment = entry.partition("=")
        if not sep or not pattern.strip() or not environment.strip():
            raise ValueError(f"entry {entry!r} is not of the form `BRANCH_PATTERN=Environment`")
        rules.append(BranchRule(pattern.strip(), canonical_environment(environment.strip())))
    if not rules:
        raise ValueError("has no `BRANCH_PATTERN=Environment` entry")
    return tuple(rules)


def canonical_environment(name: str) -> str:
    """Novu's default environments keep their usual spelling; custom names stay as written."""
    for known in ("Development", "Production"):
        if name.casefold() == known.casefold():
            return known
    return name


def _input(name: str) -> Any:
    return Field(default=None, validation_alias=f"INPUT_{name.upper()}")


class Inputs(BaseSettings):
    """Every input of action.yml, read from the runner's ``INPUT_*`` variables."""

    model_config = SettingsConfigDict(env_ignore_empty=True, extra="ignore", frozen=True)

    secret_key: SecretStr | None = _input("secret-key")
    bridge_url: str | None = _input("bridge-url")
    development_secret_key: SecretStr | None = _input("development-secret-key")
    development_bridge_url: str | None = _input("development-bridge-url")
    production_secret_key: SecretStr | None = _input("production-secret-key")
    production_bridge_url: str | None = _input("production-bridge-url")
    preview_bridge_url: str | None = _input("preview-bridge-url")
    branch_map: Annotated[tuple[BranchRule, ...], NoDecode] = Field(
        default=parse_branch_map(DEFAULT_BRANCH_MAP), validation_alias="INPUT_BRANCH-MAP"
    )
    environment: str | None = _input("environment")
    mode: RequestedMode = Field(default=RequestedMode.AUTO, validation_alias="INPUT_MODE")
    api_url: str = Field(default=NOVU_CLOUD_API, validation_alias="INPUT_API-URL")
    allow_deletions: StrictBool | None = _input("allow-deletions")
    comment_mode: CommentMode = Field(default=CommentMode.ALWAYS, validation_alias="INPUT_COMMENT-MODE")
    github_token: SecretStr | None = _input("github-token")
    id: str | None = _input("id")
    timeout: float = Field(default=30.0, gt=0, le=600, validation_alias="INPUT_TIMEOUT")

    @model_validator(mode="before")
    @classmethod
    def _trim(cls, data: Any) -> Any:
        if not isinstance(data, Mapping):
            return data
        trimmed = {k: v.strip() if isinstance(v, str) else v for k, v in data.items()}
        return {k: v for k, v in trimmed.items() if v != ""}

    @field_validator("bridge_url", "development_bridge_url", "production_bridge_url", "preview_bridge_url")
    @classmethod
    def _bridge_url(cls, value: str | None) -> str | None:
        return None if value is None else _check_http_url(value)

    @field_validator("api_url")
    @classmethod
    def _api_url(cls, value: str) -> str:
        return _check_http_url(value).rstrip("/")

    @field_validator("branch_map", mode="before")
    @classmethod
    def _branch_map(cls, value: Any) -> Any:
        return parse_branch_map(value) if isinstance(value, str) else value

    @field_validator("environment")
    @classmethod
    def _environment(cls, value: str | None) -> str | None:
        return None if value is None else canonical_environment(value)

    @field_validator("mode", "comment_mode", mode="before")
    @classmethod
    def _lowercase(cls, value: Any) -> Any:
        return value.lower() if isinstance(value, str) else value

    @field_validator("id")
    @classmethod
    def _id(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}", value):
            raise ValueError("must be 1–64 letters, digits, `.`, `_` or `-`, starting with a letter or digit")
        return value


@dataclass(frozen=True)
class Event:
    """What the action needs from the GitHub event payload."""

    name: str
    ref: str | None  # refs/heads/<b>, refs/tags/<t>, or None
    sha: str | None  # the commit the report is about (the PR head for pull requests)
    pr_number: int | None = None
    base_branch: str | None = None
    head_branch: str | None = None
    is_fork: bool = False
    branch_deleted: bool = False
    actor: str | None = None

    @property
    def withholds_secrets(self) -> bool:
        """GitHub gives no secrets to pull_request runs from forks and from Dependabot."""
        return self.name == "pull_request" and (self.is_fork or self.actor == "dependabot[bot]")


PULL_REQUEST_EVENTS = ("pull_request", "pull_request_target")


def parse_event(
    *,
    name: str,
    payload: Mapping[str, Any],
    github_ref: str | None,
    github_sha: str | None,
    actor: str | None = None,
) -> Event:
    """Read the event payload (never guess a PR from GITHUB_REF)."""
    if name in PULL_REQUEST_EVENTS:
        pr = payload.get("pull_request")
        if not isinstance(pr, Mapping):
            raise ValueError(f"the `{name}` event payload has no `pull_request` object")
        base, head = pr.get("base") or {}, pr.get("head") or {}
        base_repo, head_repo = base.get("repo") or {}, head.get("repo")
        is_fork = head_repo is None or head_repo.get("full_name") != base_repo.get("full_name")
        number = payload.get("number", pr.get("number"))
        return Event(
            name=name,
            ref=f"refs/heads/{base.get('ref')}" if base.get("ref") else None,
            sha=head.get("sha") or github_sha,
            pr_number=int(number) if number is not None else None,
            base_branch=base.get("ref"),
            head_branch=head.get("ref"),
            is_fork=is_fork,
            actor=actor,
        )
    if name == "merge_group":
        group = payload.get("merge_group") or {}
        base_ref = group.get("base_ref")
        return Event(
            name=name,
            ref=base_ref,
            sha=group.get("head_sha") or github_sha,
            base_branch=_branch_of(base_ref),
        )
    ref = payload.get("ref") if isinstance(payload.get("ref"), str) else github_ref
    sha = payload.get("after") if name == "push" else github_sha
    return Event(
        name=name,
        ref=ref or None,
        sha=(sha if sha and set(sha) != {"0"} else github_sha) or None,
        branch_deleted=bool(payload.get("deleted")),
    )


def _branch_of(ref: str | None) -> str | None:
    return ref.removeprefix("refs/heads/") if ref and ref.startswith("refs/heads/") else None


class GitHubEnvironment(BaseSettings):
    """The runner's ``GITHUB_*`` variables the action uses."""

    model_config = SettingsConfigDict(env_ignore_empty=True, extra="ignore", frozen=True)

    event_name: str = Field(default="", validation_alias="GITHUB_EVENT_NAME")
    actor: str | None = Field(default=None, validation_alias="GITHUB_ACTOR")
    event_path: Path | None = Field(default=None, validation_alias="GITHUB_EVENT_PATH")
    ref: str | None = Field(default=None, validation_alias="GITHUB_REF")
    sha: str | None = Field(default=None, validation_alias="GITHUB_SHA")
    repository: str | None = Field(default=None, validation_alias="GITHUB_REPOSITORY")
    run_id: str | None = Field(default=None, validation_alias="GITHUB_RUN_ID")
    run_attempt: str = Field(default="1", validation_alias="GITHUB_RUN_ATTEMPT")
    server_url: str = Field(default="https://github.com", validation_alias="GITHUB_SERVER_URL")
    api_url: str = Field(default="https://api.github.com", validation_alias="GITHUB_API_URL")

    @property
    def run_url(self) -> str | None:
        if not (self.repository and self.run_id):
            return None
        return f"{self.server_url.rstrip('/')}/{self.repository}/actions/runs/{self.run_id}"


@dataclass(frozen=True)
class Settings:
    inputs: Inputs
    github: GitHubEnvironment
    event: Event


def load_settings() -> Settings:
    """Read inputs, runner variables and the event payload; report every problem at once."""
    problems: list[str] = []
    inputs: Inputs | None = None
    try:
        inputs = Inputs()
    except ValidationError as error:
        problems.extend(_describe(error))
    github = GitHubEnvironment()
    event: Event | None = None
    try:
        event = parse_event(
            name=github.event_name,
            payload=_read_event(github.event_path),
            github_ref=github.ref,
            github_sha=github.sha,
            actor=github.actor,
        )
    except (OSError, ValueError) as error:
        problems.append(f"GitHub event: {error}")
    if problems or inputs is None or event is None:
        listing = "\n".join(f"- {p}" for p in problems)
        raise InvalidInputs(
            f"{len(problems)} problem(s) with the action's inputs; nothing was sent:\n{listing}"
        )
    return Settings(inputs=inputs, github=github, event=event)


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


def _describe(error: ValidationError) -> list[str]:
    """One line per bad input, named as the user spells it in `with:`; values of secrets never shown."""
    lines = []
    for item in error.errors(include_url=False, include_input=False):
        location = str(item["loc"][0]) if item["loc"] else ""
        name = location.removeprefix("INPUT_").lower() if location.startswith("INPUT_") else location
        message = str(item["msg"]).removeprefix("Value error, ")
        lines.append(f"input `{name}`: {message}")
    return sorted(lines)
