"""What an environment holds, as the plan needs it: framework definitions and every workflow's origin.

Two bulk reads make it (``novu_api``): the definitions Novu stored at the last sync (``bridge/diff``) and
the workflow list with origins (``v2/workflows``). ``bridge/diff`` returns the stored ``rawData`` of every
workflow of type BRIDGE or ECHO, and workflows made in the new Dashboard are of that type too: their
entry is ``null`` until first edited, then the Dashboard's own request body. So stored entries are read
tolerantly and kept only where the list says the workflow is a framework one (docs/novu-protocol.md).

Stored definitions are kept as compact JSON text, not as trees: most are unchanged, which the text alone
shows (``normalise.storage_text``), and a 1,000-workflow environment is 30 MB of JSON but 200 MB of trees.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import pydantic_core

from novu_action.normalise import storage_text
from novu_action.wire import paused_gc

# `origin` as the workflow list reports it: computed by Novu from the stored type and origin
# (computeOrigin in apps/api/src/app/workflows-v2/mappers/notification-template-mapper.ts).
FRAMEWORK_ORIGIN = "external"  # what a sync upserts and deletes
V1_ORIGIN = "novu-cloud-v1"  # an old v1 (REGULAR) workflow: a sync takes it over when Novu stored no origin


@dataclass(frozen=True)
class ListedWorkflow:
    """One entry of the environment's workflow list; ``origin`` is ``None`` when Novu did not say."""

    workflow_id: str
    origin: str | None = None
    name: str | None = None

    @property
    def is_framework(self) -> bool:
        """A bridge workflow: Novu's sync updates it, and deletes it when the bridge no longer serves it."""
        return self.origin in (None, FRAMEWORK_ORIGIN)

    @property
    def is_v1(self) -> bool:
        return self.origin == V1_ORIGIN


@dataclass(frozen=True)
class StoredDefinition:
    """A framework definition as Novu stored it, as ``normalise.storage_text`` writes it."""

    workflow_id: str
    text: bytes

    @classmethod
    def of(cls, definition: Mapping[str, Any]) -> StoredDefinition:
        return cls(workflow_id=str(definition["workflowId"]), text=storage_text(definition))

    def tree(self) -> dict[str, Any]:
        with paused_gc():
            tree: dict[str, Any] = pydantic_core.from_json(self.text)
        return tree


def stored_definitions(entries: Iterable[Any]) -> tuple[StoredDefinition, ...]:
    """The entries of ``bridge/diff`` that can be definitions (objects with a ``workflowId``), as text.

    ``null`` entries (Dashboard workflows never edited) are skipped here; Dashboard-shaped entries are
    told apart later, by the workflow list (``EnvironmentState``).
    """
    return tuple(
        StoredDefinition.of(entry)
        for entry in entries
        if isinstance(entry, Mapping) and isinstance(entry.get("workflowId"), str) and entry["workflowId"]
    )


@dataclass(frozen=True)
class EnvironmentState:
    """What the environment holds. ``stored`` is ``None`` when ``bridge/diff`` is unavailable, ``listed``
    when ``v2/workflows`` is (an old self-hosted Novu); the plan then compares workflow ids only."""

    stored: tuple[StoredDefinition, ...] | None
    listed: tuple[ListedWorkflow, ...] | None

    @property
    def framework_definitions(self) -> dict[str, StoredDefinition] | None:
        """Stored framework definitions by id: entries whose workflow the list shows as a framework one.

        Without the list, entries are kept when they look like framework definitions (every step has a
        ``stepId``; Dashboard bodies have none).
        """
        if self.stored is None:
            return None
        origins = None if self.listed is None else {w.workflow_id: w for w in self.listed}
        found: dict[str, StoredDefinition] = {}
        for definition in self.stored:
            listed = origins.get(definition.workflow_id) if origins is not None else None
            keep = listed.is_framework if listed is not None else _looks_like_framework(definition)
            if keep:
                found.setdefault(definition.workflow_id, definition)
        return found


def _looks_like_framework(definition: StoredDefinition) -> bool:
    steps = definition.tree().get("steps")
    return isinstance(steps, list) and all(isinstance(s, Mapping) and "stepId" in s for s in steps)
