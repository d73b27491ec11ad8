"""What a bridge serves: the ``discover`` answer, from the live bridge or from a file, checked the same way.

A ``discover`` answer is ``{"workflows": [...], "agents": [...]}`` as ``@novu/framework`` serves it
(``agents`` since 2.13). The workflow objects are kept exactly as served (validated, not rebuilt), so the
plan compares what Novu will store. Fields a newer framework adds are ignored by the checks, not refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from novu_action.errors import ActionError
from novu_action.http import MAX_BODY_BYTES
from novu_action.redaction import remote_text
from novu_action.wire import first_problem, parse_json

FRAMEWORK_HINT = (
    "Check that it comes from a @novu/framework bridge (by convention its path ends in /api/novu) "
    "whose @novu/framework version is 2.x."
)


class _Checked(BaseModel):
    """Only what the action relies on is checked; everything else is kept as served."""

    model_config = ConfigDict(extra="ignore")


class _Step(_Checked):
    stepId: str
    type: str  # an open set: newer framework versions add step types


class _Workflow(_Checked):
    workflowId: str
    steps: list[_Step]
    name: str | None = None
    description: str | None = None
    tags: list[str] | None = None


class _Agent(_Checked):
    agentId: str


class _DiscoverAnswer(_Checked):
    workflows: list[_Workflow]
    agents: list[_Agent] = Field(default_factory=list)


@dataclass(frozen=True)
class Discovery:
    """What the bridge serves. ``sdk_version`` is the ``novu-framework-sdk`` header, when known."""

    workflows: tuple[dict[str, Any], ...]
    agent_ids: tuple[str, ...]
    sdk_version: str | None


class InvalidDiscoverAnswer(Exception):
    """The JSON is not a ``discover`` answer; ``problem`` names the first mismatch (cleaned)."""

    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem


def discovery_from(served: dict[str, Any], *, sdk_version: str | None, secrets: tuple[str, ...]) -> Discovery:
    """Check ``served`` (a parsed ``discover`` answer); raises ``InvalidDiscoverAnswer``."""
    try:
        checked = _DiscoverAnswer.model_validate(served)
    except ValidationError as error:
        raise InvalidDiscoverAnswer(first_problem(error, secrets=secrets)) from None
    return Discovery(
        workflows=tuple(served["workflows"]),
        agent_ids=tuple(agent.agentId for agent in checked.agents),
        sdk_version=sdk_version,
    )


class DiscoverFileError(ActionError):
    title = "Discover file unusable"


def read_discover_file(path_text: str, *, workspace: Path) -> Discovery:
    """The ``discover-file`` input: a file inside the workspace holding a ``discover`` answer.

    Relative paths are relative to the workspace; the file must be inside it (after resolving links).
    Read with the same checks and the same size limit as a live answer.
    """
    root = workspace.resolve()
    path = (root / path_text).resolve()
    shown = f"`{path_text}`"
    if not path.is_relative_to(root):
        raise DiscoverFileError(
            f"The discover file {shown} is outside the workspace ({root}). Write it inside the checked-out "
            "repository folder (for example `novu-discover.json`) and give its path relative to it."
        )
    if not path.is_file():
        raise DiscoverFileError(
            f"The discover file {shown} does not exist in the workspace. Produce it in an earlier step of "
            "the same job (start the bridge, wait for its health-check, save its `discover` answer); see "
            "the README's recipe."
        )
    size = path.stat().st_size
    if size == 0:
        raise DiscoverFileError(
            f"The discover file {shown} is empty: the step that wrote it got no answer from the bridge. "
            "Check that the bridge was up (wait for its health-check) before fetching `discover`."
        )
    if size > MAX_BODY_BYTES:
        raise DiscoverFileError(
            f"The discover file {shown} is larger than {MAX_BODY_BYTES // (1024 * 1024)} MiB, the limit "
            "for a bridge's answer."
        )
    served = parse_json(path.read_bytes())
    if not isinstance(served, dict):
        raise DiscoverFileError(
            f"The discover file {shown} does not hold a JSON object. It must hold the bridge's answer to "
            "`GET <bridge>?action=discover` exactly as served (not an error page or a log)."
        )
    try:
        return discovery_from(served, sdk_version=None, secrets=())
    except InvalidDiscoverAnswer as invalid:
        hint = _error_hint(served)
        raise DiscoverFileError(
            f"The discover file {shown} is JSON but not a bridge's `discover` answer ({invalid.problem})."
            f" {hint or FRAMEWORK_HINT}"
        ) from None


def _error_hint(served: dict[str, Any]) -> str | None:
    """A bridge error body saved in place of the answer, such as ``{"code": "SignatureNotFoundError"}``."""
    raw_code = served.get("code")
    if not isinstance(raw_code, str) or "workflows" in served:
        return None
    code = remote_text(raw_code, limit=60)
    if code.startswith("Signature"):
        return (
            f"It holds the bridge's error `{code}`: the bridge verifies signatures, so the request "
            "that fetched it must carry a `novu-signature` header (see the README's recipe), or the bridge "
            "must run as a development server."
        )
    return f"It holds the bridge's error `{code}` instead of its workflows."
