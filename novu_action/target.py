"""Which environment, which mode, which key and where the workflows come from: decided from the event alone.

Pure: inputs and event in, ``Target`` or ``Skip`` out. A skip is not an error: the run ends with a notice
and exit status 0, before any network call.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import urlsplit, urlunsplit

from novu_action.errors import ActionError
from novu_action.events import DEPLOYMENT_STATUS_EVENT, LOCAL_EVENT, PULL_REQUEST_EVENTS, Event, is_tag
from novu_action.novu_urls import is_novu_cloud
from novu_action.settings import Inputs, RequestedMode
from novu_action.signing import Signer

PREVIEW_EVENTS = (*PULL_REQUEST_EVENTS, "merge_group", DEPLOYMENT_STATUS_EVENT)
SYNC_EVENTS = ("push", "workflow_dispatch", "schedule")


class Mode(StrEnum):
    PREVIEW = "preview"
    SYNC = "sync"
    SKIP = "skip"


class SourceKind(StrEnum):
    """Where the discovered workflows come from; the report says it in its first line."""

    DEPLOYED_BRIDGE = "deployed-bridge"  # the environment's bridge: not a pull request's code
    PREVIEW_BRIDGE = (
        "preview-bridge"  # a deployment of the pull request (preview-bridge-url, deployment_status)
    )
    DISCOVER_FILE = "discover-file"  # the pull request's code, discovered earlier in the job
    LOCAL_BRIDGE = "local-bridge"  # a plan from a terminal: whatever bridge the user names
    LOCAL_FILE = "local-file"  # a plan from a terminal, from a saved discover answer


class MissingSecretKeyError(ActionError):
    title = "Novu secret key missing"


class MissingBridgeUrlError(ActionError):
    title = "Bridge URL missing"


class PrivateBridgeUrlError(ActionError):
    title = "Bridge URL is private"


@dataclass(frozen=True)
class Target:
    """What the run does. ``bridge_url`` is where ``discover`` goes (``None`` when previewing from
    ``discover_file``); a sync always uses the environment's deployed bridge."""

    mode: Mode
    environment: str
    secret_key: str
    key_input: str  # the input the key came from, as the user spells it
    signer: Signer
    source: SourceKind
    bridge_url: str | None
    discover_file: str | None
    allow_deletions: bool
    allow_emptying: bool  # only an explicit `allow-deletions: true` may empty an environment
    fail_on_refusal: bool


@dataclass(frozen=True)
class Skip:
    reason: str


def deployment_skip(*, inputs: Inputs, event: Event) -> Skip | None:
    """Why a ``deployment_status`` run previews nothing (decided before its pull request is looked up)."""
    deployment = event.deployment
    if deployment is None or inputs.mode is not RequestedMode.AUTO:
        return None
    if deployment.state != "success":
        return Skip(
            f"the deployment is `{deployment.state or 'unknown'}`; the preview runs once it succeeded."
        )
    if deployment.production:
        return Skip(
            f"the deployment to `{deployment.environment}` is a production deployment; the sync after the "
            "merge covers it, and previews run for preview deployments."
        )
    if deployment.url is None:
        return Skip("the deployment status names no `environment_url` or `target_url` to preview.")
    return None


def resolve_target(*, inputs: Inputs, event: Event) -> Target | Skip:
    mode = _mode(inputs.mode, event)
    if isinstance(mode, Skip):
        return mode
    branch = event.branch
    if is_tag(event.ref) and inputs.environment is None:
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
        if event.secrets_withheld is not None:
            return Skip(
                f"this pull request comes from {event.secrets_withheld}: GitHub gives such runs no secrets "
                "and a read-only token, so no preview can be computed. Pull requests from branches of this "
                "repository get their preview as usual."
            )
        raise MissingSecretKeyError(
            f"No Novu secret key for {environment}: set "
            + " or ".join(f"`{name}`" for name in key_inputs)
            + " from a repository or environment secret "
            "(for example `${{ secrets.NOVU_SECRET_KEY_" + environment.upper() + " }}`)."
        )
    key_input, secret_key = key
    source, bridge_url = _source(inputs=inputs, event=event, mode=mode, environment=environment)
    if mode is Mode.SYNC and bridge_url is not None:
        _refuse_private_bridge(bridge_url=bridge_url, api_url=inputs.api_url)
    signing = _first_set(inputs, _inputs_for(environment, "bridge-signing-secret"))
    signer = (
        Signer(secret=signing[1], source_input=signing[0], is_secret_key=False)
        if signing
        else Signer(secret=secret_key, source_input=key_input, is_secret_key=True)
    )
    return Target(
        mode=mode,
        environment=environment,
        secret_key=secret_key,
        key_input=key_input,
        signer=signer,
        source=source,
        bridge_url=bridge_url,
        discover_file=inputs.discover_file
        if source in (SourceKind.DISCOVER_FILE, SourceKind.LOCAL_FILE)
        else None,
        allow_deletions=(
            inputs.allow_deletions if inputs.allow_deletions is not None else environment != "Production"
        ),
        allow_emptying=inputs.allow_deletions is True,
        fail_on_refusal=inputs.fail_on_refusal and mode is Mode.PREVIEW,
    )


def join_bridge_path(base_url: str, path: str) -> str:
    """``https://app-git-x.vercel.app`` + ``/api/novu?x-vercel-protection-bypass=t``: the bridge of a
    deployment. A query string on either side is kept."""
    base = urlsplit(base_url)
    path_part, _, path_query = path.partition("?")
    query = "&".join(part for part in (base.query, path_query) if part)
    return urlunsplit((base.scheme, base.netloc, base.path.rstrip("/") + path_part, query, ""))


def _source(*, inputs: Inputs, event: Event, mode: Mode, environment: str) -> tuple[SourceKind, str | None]:
    """Where the workflows come from, and the bridge URL to discover them at (none for a file)."""
    local = event.name == LOCAL_EVENT
    if mode is Mode.PREVIEW:
        if inputs.discover_file is not None:
            return (SourceKind.LOCAL_FILE if local else SourceKind.DISCOVER_FILE), None
        if event.deployment is not None and event.deployment.url is not None:
            return SourceKind.PREVIEW_BRIDGE, join_bridge_path(event.deployment.url, inputs.bridge_path)
        if inputs.preview_bridge_url is not None:
            return SourceKind.PREVIEW_BRIDGE, inputs.preview_bridge_url
    bridge_inputs = _inputs_for(environment, "bridge-url")
    environment_bridge = _first_set(inputs, bridge_inputs)
    if environment_bridge is None:
        raise MissingBridgeUrlError(
            f"No bridge URL for {environment}: set "
            + " or ".join(f"`{name}`" for name in bridge_inputs)
            + " to the public URL of the bridge (by convention it ends in `/api/novu`)."
        )
    kind = SourceKind.LOCAL_BRIDGE if local and mode is Mode.PREVIEW else SourceKind.DEPLOYED_BRIDGE
    return kind, environment_bridge[1]


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
        "pull_request_target, merge_group and successful preview deployments (deployment_status), and syncs "
        "on push, workflow_dispatch and schedule."
    )


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
        value = inputs.secret_value(name)
        if value is not None:
            return name, value
    return None


def _refuse_private_bridge(*, bridge_url: str, api_url: str) -> None:
    """Novu Cloud cannot reach a bridge on the runner or a private network; say so before syncing."""
    if not is_novu_cloud(api_url):
        return
    host = (urlsplit(bridge_url).hostname or "").rstrip(".").lower()
    if _is_private_host(host):
        raise PrivateBridgeUrlError(
            f"The bridge URL points at `{host}`, a local or private address that Novu Cloud cannot reach. "
            "Deploy the bridge to a public URL (or use a tunnel) and set that URL; a local address only "
            "works with a self-hosted Novu whose `api-url` is local too."
        )


def _is_private_host(host: str) -> bool:
    if host == "localhost" or host.endswith((".localhost", ".local", ".internal")):
        return True
    try:
        address = ipaddress.ip_address(host)  # urlsplit's hostname has no IPv6 brackets
    except ValueError:
        return False
    return not address.is_global
