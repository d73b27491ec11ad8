"""How two workflow definitions are compared: the rules that say which differences count.

They follow ``@novu/framework`` (what ``discover`` serves) and Novu's sync (what it stores and which
defaults it applies), and change with them. Pure.

Comparing is cheap first: ``storage_text`` is the compact JSON of a definition as Novu stores it, and two
equal texts are the same definition. Only definitions whose texts differ are normalised and compared in
full (``normalise_workflow`` and ``same``), which also catches differences that do not count (key order,
defaults, ``unknownSchema``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import pydantic_core

JsonObject = Mapping[str, Any]

# What Novu's sync leaves out when it stores a definition as `rawData` (docs/novu-protocol.md).
_UNSTORED_KEY = "unknownSchema"
_UNSTORED_IN = ("payload", "controls")
# Deprecated 2.3.0 copies of other fields: `options` holds payloadSchema/controlSchema, `data` = payload,
# `inputs` = controls. Comparing them would report every change twice.
_DEPRECATED_WORKFLOW_KEYS = frozenset({"options", "data", "inputs"})
_DEPRECATED_STEP_KEYS = frozenset({"inputs"})
# Step options that repeat the step's schemas, often as serialised Zod internals that differ between runs.
_SCHEMA_OPTION_KEYS = frozenset({"controlSchema", "outputSchema", "inputSchema", "payloadSchema"})
# Novu's defaults on sync (`tags || []`, `severity || 'none'`, `description || ''`): absence equals them.
_WORKFLOW_DEFAULTS: Mapping[str, Any] = {"tags": [], "severity": "none", "preferences": {}, "description": ""}
_STEP_DEFAULTS: Mapping[str, Any] = {"options": {}, "providers": {}}
# Schema keywords whose value maps names (which may be any text, even "required") to schemas.
_SCHEMA_MAP_KEYWORDS = frozenset(
    {"properties", "patternProperties", "definitions", "$defs", "dependentSchemas"}
)
# Schema keywords whose value is data, not a schema: copied as they are.
_SCHEMA_DATA_KEYWORDS = frozenset({"default", "const", "enum", "examples"})


def normalise_workflow(definition: JsonObject) -> dict[str, Any]:
    """The parts of a workflow definition that a sync can change, in a form fit for comparing.

    Volatile or duplicated parts never count: ``unknownSchema`` (outside user schemas), the deprecated
    2.3.0 fields (workflow ``options``/``data``/``inputs``, step ``inputs``), step options that repeat a
    schema. ``{schema, unknownSchema}`` containers become their schema; Novu's defaults equal absence
    (``tags`` [], ``severity`` "none", ``preferences`` {}, ``description`` ""; an empty name is absent);
    ``tags`` and schema ``required`` lists are sorted sets (an empty ``required`` is dropped); providers
    are keyed by their type. Unknown fields are kept and compared as they are. Two definitions are the
    same when their normalised forms give the same JSON with sorted keys (not Python's ``==``, for
    which ``true`` equals ``1``).
    """
    normalised: dict[str, Any] = {}
    for key, value in definition.items():
        if key in _DEPRECATED_WORKFLOW_KEYS:
            continue
        if key == "steps" and isinstance(value, list):
            normalised[key] = [_normalise_step(step) for step in value]
        else:
            normalised[key] = _normalise_field(value)
    for key, default in _WORKFLOW_DEFAULTS.items():
        if normalised.get(key) is None:
            normalised[key] = default
    normalised.setdefault("steps", [])
    if normalised.get("name") in (None, ""):
        normalised.pop("name", None)
    if isinstance(normalised["tags"], list):
        normalised["tags"] = as_set(normalised["tags"])
    return normalised


# ---- normalisation -----------------------------------------------------------------------------------


def _normalise_step(step: Any) -> Any:
    if not isinstance(step, Mapping):
        return _normalise_field(step)
    normalised: dict[str, Any] = {}
    for key, value in step.items():
        if key in _DEPRECATED_STEP_KEYS:
            continue
        if key == "options" and isinstance(value, Mapping):
            normalised[key] = {k: _clean(v) for k, v in value.items() if k not in _SCHEMA_OPTION_KEYS}
        elif key == "providers" and isinstance(value, list):
            normalised[key] = _normalise_providers(value)
        else:
            normalised[key] = _normalise_field(value)
    for key, default in _STEP_DEFAULTS.items():
        if normalised.get(key) is None:
            normalised[key] = default
    return normalised


def _normalise_providers(providers: list[Any]) -> dict[str, Any]:
    by_type: dict[str, Any] = {}
    for index, provider in enumerate(providers):
        if isinstance(provider, Mapping):
            provider_type = provider.get("type")
            key = provider_type if isinstance(provider_type, str) else f"#{index}"
            by_type.setdefault(key, {k: _normalise_field(v) for k, v in provider.items()})
        else:
            by_type.setdefault(f"#{index}", _clean(provider))
    return by_type


def _normalise_field(value: Any) -> Any:
    """A ``{schema, unknownSchema}`` container becomes its schema; anything else is cleaned."""
    if isinstance(value, Mapping) and "schema" in value and set(value) <= {"schema", "unknownSchema"}:
        return _clean_schema(value["schema"])
    return _clean(value)


def _clean(value: Any) -> Any:
    """Drops ``unknownSchema`` keys outside user schemas; values under ``schema`` are user schemas."""
    if isinstance(value, Mapping):
        return {
            key: _clean_schema(item) if key == "schema" else _clean(item)
            for key, item in value.items()
            if key != "unknownSchema"
        }
    if isinstance(value, list):
        return [_clean(item) for item in value]
    return value


def _clean_schema(value: Any) -> Any:
    """A JSON Schema; its ``required`` lists become sorted sets (order means nothing), empty ones go."""
    if isinstance(value, list):
        return [_clean_schema(item) for item in value]
    if not isinstance(value, Mapping):
        return value
    cleaned: dict[str, Any] = {}
    for key, item in value.items():
        if key == "required" and isinstance(item, list) and all(isinstance(m, str) for m in item):
            if item:  # an empty list requires nothing, as no list does
                cleaned[key] = as_set(item)
        elif key in _SCHEMA_MAP_KEYWORDS and isinstance(item, Mapping):
            cleaned[key] = {name: _clean_schema(schema) for name, schema in item.items()}
        elif key in _SCHEMA_DATA_KEYWORDS:
            cleaned[key] = item
        else:
            cleaned[key] = _clean_schema(item)
    return cleaned


def as_set(members: list[Any]) -> list[Any]:
    unique = {canonical(member): member for member in members}
    return [unique[text] for text in sorted(unique)]


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def same(before: Any, after: Any) -> bool:
    """Equal as JSON with sorted keys; not Python's ``==``, for which ``true`` equals ``1``."""
    return canonical(before) == canonical(after)


def storage_text(definition: JsonObject) -> bytes:
    """Compact JSON of ``definition`` as Novu's sync stores it (without ``unknownSchema`` in ``payload`` and
    ``controls``). Equal texts are the same definition; different texts may still be (see ``same``)."""
    form = dict(definition)
    for key in _UNSTORED_IN:
        value = form.get(key)
        if isinstance(value, Mapping) and _UNSTORED_KEY in value:
            form[key] = {k: v for k, v in value.items() if k != _UNSTORED_KEY}
    # NaN and infinities as such (not as null, pydantic's default), so that no two values share a text.
    return pydantic_core.to_json(form, inf_nan_mode="constants")
