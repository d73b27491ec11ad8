"""Which environment, which mode, which key and which bridge: decided from the event alone.

Pure: settings in, ``Target`` or ``Skip`` out. A skip is not an error: the run ends with a notice
and exit status 0, before any network call.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import urlsplit

from pydantic import SecretStr

from novu_action.errors import ActionError
from novu_action.settings import PULL_REQUEST_EVENTS, Event, Inputs, RequestedMode

PREVIEW_EVENTS = (*PULL_REQUEST_EVENTS, "merge_group")
SYNC_EVENTS = ("push", "workflow_dispatch", "schedule")
NOVU_CLOUD_HOSTS = ("api.novu.co", "eu.api.novu.co")


class Mode(StrEnum):
    PREVIEW = "preview"
    SYNC = "sync"
    SKIP = "skip"


class MissingSecretKey(ActionError):
    title = "Novu secret key missing"


class MissingBridgeUrl(ActionError):
    title = "Bridge URL missing"


class UnreachableBridgeUrl(ActionError):
    title = "Bridge URL not reachable from Novu Cloud"


@dataclass(frozen=True)
class Target:
    mode: Mode
    environment: str
    secret_key: str
    key_input: str  # the input the key came from, as the user spells it
    bridge_url: str
    previewing_deployed_bridge: bool
    allow_deletions: bool
    allow_emptying: bool  # only an explicit `allow-deletions: true` may empty an environment
    branch: str | None


@dataclass(frozen=True)
class Skip:
    reason: str
    environment: str | None = None


def resolve_target(*, inputs: Inputs, event: Event) -> Target | Skip:
    mode = _mode(inputs.mode, event)
    if isinstance(mode, Skip):
        return mode
    branch = _branch(event)
    if event.ref and event.ref.startswith("refs/tags/") and inputs.environment is None:
        return Skip(f"`{event.ref}` is a tag; only branches are mapped to Novu environments.")
    if event.name == "push" and event.branch_deleted:
        return Skip(f"the push deleted `{event.ref}`; there is nothing to sync.")
    environment = inputs.environment or _mapped_environment(inputs, branch)
    if environment is None:
        where = f"branch `{branch}`" if branch else "this run (no branch)"
        return Skip(
            f"{where} is not in `branch-map` and no `environment` is set, so there is nothing to "
            f"{'preview' if mode is Mode.PREVIEW else 'sync'}."
        )
    key_inputs = _inputs_for(environment, "secret-key")
    key = _first_set(inputs, key_inputs)
    if key is None:
        if event.withholds_secrets:
            who = "Dependabot" if event.actor == "dependabot[bot]" else "a fork"
            return Skip(
                f"this pull request comes from {who}: GitHub gives such runs no secrets and a read-only "
                "token, so no preview can be computed. Pull requests from branches of this repository "
                "get their preview as usual.",
                environment=environment,
            )
        raise MissingSecretKey(
            f"No Novu secret key for {environment}: set "
            + " or ".join(f"`{name}`" for name in key_inputs)
            + " from a repository or environment secret "
            "(for example `${{ secrets.NOVU_SECRET_KEY_" + environment.upper() + " }}`)."
        )
    bridge_inputs = _inputs_for(environment, "bridge-url")
    environment_bridge = _first_set(inputs, bridge_inputs)
    bridge_url = inputs.preview_bridge_url if mode is Mode.PREVIEW and inputs.preview_bridge_url else None
    if bridge_url is None:
        if environment_bridge is None:
            raise MissingBridgeUrl(
                f"No bridge URL for {environment}: set "
                + " or ".join(f"`{name}`" for name in bridge_inputs)
                + " to the public URL of the bridge (by convention it ends in `/api/novu`)."
            )
        bridge_url = environment_bridge[1]
    if mode is Mode.SYNC:
        _refuse_private_bridge(bridge_url=bridge_url, api_url=inputs.api_url)
    key_input, secret = key
    return Target(
        mode=mode,
        environment=environment,
        secret_key=secret,
        key_input=key_input,
        bridge_url=bridge_url,
        previewing_deployed_bridge=mode is Mode.PREVIEW and inputs.preview_bridge_url is None,
        allow_deletions=(
            inputs.allow_deletions if inputs.allow_deletions is not None else environment != "Production"
        ),
        allow_emptying=inputs.allow_deletions is True,
        branch=branch,
    )


def _mode(requested: RequestedMode, event: Event) -> Mode | Skip:
    if requested is RequestedMode.PREVIEW:
        return Mode.PREVIEW
    if requested is RequestedMode.SYNC:
        return Mode.SYNC
    if event.name in PREVIEW_EVENTS:
        return Mode.PREVIEW
    if event.name in SYNC_EVENTS:
        return Mode.SYNC
    shown = f"`{event.name}`" if event.name else "an unknown event (GITHUB_EVENT_NAME is empty)"
    return Skip(
        f"the action does not act on {shown} with `mode: auto`; it previews on pull_request, "
        "pull_request_target and merge_group and syncs on push, workflow_dispatch and schedule."
    )


def _branch(event: Event) -> str | None:
    if event.base_branch:
        return event.base_branch
    if event.ref and event.ref.startswith("refs/heads/"):
        return event.ref.removeprefix("refs/heads/")
    return None


def _mapped_environment(inputs: Inputs, branch: str | None) -> str | None:
    if branch is None:
        return None
    return next((rule.environment for rule in inputs.branch_map if rule.matches(branch)), None)


def _inputs_for(environment: str, suffix: str) -> tuple[str, ...]:
    if environment in ("Development", "Production"):
        return (f"{environment.lower()}-{suffix}", suffix)
    return (suffix,)


def _first_set(inputs: Inputs, names: tuple[str, ...]) -> tuple[str, str] | None:
    """The first of the inputs ``names`` that is set, as (input name, value)."""
    for name in names:
        value = getattr(inputs, name.replace("-", "_"))
        if value is not None:
            return name, value.get_secret_value() if isinstance(value, SecretStr) else str(value)
    return None


def _refuse_private_bridge(*, bridge_url: str, api_url: str) -> None:
    """Novu Cloud cannot reach a bridge on the runner or a private network; say so before syncing."""
    if urlsplit(api_url).hostname not in NOVU_CLOUD_HOSTS:
        return
    host = (urlsplit(bridge_url).hostname or "").rstrip(".").lower()
    if _is_private_host(host):
        raise UnreachableBridgeUrl(
            f"The bridge URL points at `{host}`, a local or private address that Novu Cloud cannot reach. "
            "Deploy the bridge to a public URL (or use a tunnel) and set that URL; a local address only "
            "works with a self-hosted Novu whose `api-url` is local too."
        )


def _is_private_host(host: str) -> bool:
    if host == "localhost" or host.endswith((".localhost", ".local", ".internal")):
        return True
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return not address.is_global
