"""The pipeline, top to bottom: settings, target, plan, apply, report. Returns the exit code."""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from novu_action import render
from novu_action.errors import ActionError
from novu_action.plan import Change, Plan, build_plan
from novu_action.redaction import redact_url, url_secrets
from novu_action.runner import Runner
from novu_action.settings import Settings, load_settings
from novu_action.target import Mode, Skip, Target, resolve_target

if TYPE_CHECKING:
    from novu_action.bridge import Discovery
    from novu_action.http import HttpClient
    from novu_action.novu_api import NovuApi

SECRET_INPUTS = ("SECRET-KEY", "DEVELOPMENT-SECRET-KEY", "PRODUCTION-SECRET-KEY", "GITHUB-TOKEN")
URL_INPUTS = ("BRIDGE-URL", "DEVELOPMENT-BRIDGE-URL", "PRODUCTION-BRIDGE-URL", "PREVIEW-BRIDGE-URL")


class KeyForOtherEnvironment(ActionError):
    title = "Secret key of another environment"


@dataclass
class Outcome:
    """What the run reports, filled in as the pipeline goes; written once at the end."""

    mode: str = ""  # stays empty when the run fails before its target is known
    environment: str = ""
    plan: Plan | None = None
    comment_url: str = ""
    success: bool = False
    result: str = "{}"
    notes: list[str] = field(default_factory=list)

    @property
    def refused(self) -> bool:
        """A sync stopped by its guards: apply refuses exactly when the plan has findings."""
        return self.mode == Mode.SYNC.value and self.plan is not None and bool(self.plan.findings)

    def outputs(self) -> dict[str, str]:
        plan = self.plan
        counts = {c.value: str(plan.count(c)) if plan else "0" for c in Change}
        return {
            "environment": self.environment,
            "mode": self.mode,
            "has-changes": str(bool(plan and plan.has_changes)).lower(),
            "created": counts["create"],
            "updated": counts["update"],
            "deleted": counts["delete"],
            "unchanged": counts["unchanged"],
            "plan": plan.to_json() if plan else "{}",
            "comment-url": self.comment_url,
            "success": str(self.success).lower(),
            "result": self.result,
        }


def main(*, stream: TextIO = sys.stdout) -> int:
    runner = Runner(
        stream=stream,
        output_path=_path_from_env("GITHUB_OUTPUT"),
        summary_path=_path_from_env("GITHUB_STEP_SUMMARY"),
    )
    _mask_raw_inputs(runner)
    outcome = Outcome()
    context: render.ReportContext | None = None
    try:
        settings = load_settings()
        target = resolve_target(inputs=settings.inputs, event=settings.event)
        if isinstance(target, Skip):
            _skip(runner=runner, outcome=outcome, skip=target)
            return 0
        outcome.mode, outcome.environment = target.mode.value, target.environment
        context = _context(settings=settings, target=target)
        _run(runner=runner, settings=settings, target=target, context=context, outcome=outcome)
        return 0
    except ActionError as error:
        _fail(
            runner=runner,
            outcome=outcome,
            context=context,
            title=error.title,
            message=str(error),
            status=render.Status.REFUSED if outcome.refused else render.Status.FAILED,
        )
        return 1
    except Exception as error:  # the last line of defence: one clear annotation, no traceback
        _fail(
            runner=runner,
            outcome=outcome,
            context=context,
            title="Unexpected error",
            message=f"{type(error).__name__}: {error}. Nothing more was sent. This is a bug in "
            "novu-sync-action: please open an issue with this log.",
            status=render.Status.FAILED,
        )
        return 1
    finally:
        runner.set_outputs(outcome.outputs())


def _run(
    *, runner: Runner, settings: Settings, target: Target, context: render.ReportContext, outcome: Outcome
) -> None:
    # The HTTP stack is imported only by runs that reach the network, not by skips and input errors.
    from novu_action import apply
    from novu_action.http import HttpClient
    from novu_action.novu_api import NovuApi

    inputs = settings.inputs
    shown_bridge = context.bridge_url
    http = HttpClient(timeout=inputs.timeout, on_retry=runner.log)
    api = NovuApi(
        http=http, api_url=inputs.api_url, secret_key=target.secret_key, key_input=f"`{target.key_input}`"
    )
    verb = "Previewing" if target.mode is Mode.PREVIEW else "Syncing"
    runner.log(f"{verb} {target.environment} from the bridge at {shown_bridge}")

    with runner.group(f"Check that the secret key belongs to {target.environment}"):
        _check_key(runner=runner, api=api, target=target)

    with runner.group("Discover the bridge's workflows"):
        discovery = _discover(
            runner=runner, http=http, target=target, shown_bridge=shown_bridge, notes=outcome.notes
        )

    with runner.group(f"Read what {target.environment} holds and plan"):
        stored = api.stored_workflows(target.bridge_url)
        if stored is None:
            runner.annotate(
                "warning",
                "Novu's stored definitions are not available (the diff endpoint is missing), so the plan "
                "compares workflow ids only.",
                title="Plan at workflow level only",
            )
        plan = build_plan(
            discovered=discovery.workflows,
            stored=stored,
            listed=api.list_workflows(),
            allow_deletions=target.allow_deletions,
            allow_emptying=target.allow_emptying,
            environment=target.environment,
        )
        outcome.plan = plan
        runner.log(
            "Plan: "
            + ", ".join(f"{plan.count(c)} {c.value}" for c in Change)
            + ("" if plan.has_changes else " (no changes)")
        )
        for change in plan.workflows:
            if change.change is not Change.UNCHANGED:
                runner.log(f"  {change.change.value:<9} {change.workflow_id}")

    context = replace(context, notes=tuple(outcome.notes))
    if target.mode is Mode.PREVIEW:
        _preview(runner=runner, settings=settings, plan=plan, context=context, outcome=outcome)
        return

    with runner.group(f"Sync {target.environment}"):
        synced = apply.sync(
            plan=plan,
            api=api,
            bridge_url=target.bridge_url,
            shown_url=shown_bridge,
            environment=target.environment,
            key=apply.idempotency_key(
                repository=settings.github.repository,
                run_id=settings.github.run_id,
                run_attempt=settings.github.run_attempt,
                environment=target.environment,
                report_id=inputs.id,
            ),
            agent_ids=discovery.agent_ids,
            log=runner.log,
        )
    outcome.success = True
    outcome.result = json.dumps(list(synced.result), separators=(",", ":"), ensure_ascii=False)
    runner.write_summary(render.render_summary(context=context, plan=plan, status=render.Status.SYNCED))
    runner.annotate(
        "notice",
        _counts_sentence(plan, target.environment, synced=True),
        title=f"Novu {target.environment} synced",
    )


def _check_key(*, runner: Runner, api: NovuApi, target: Target) -> None:
    environment = api.environment()
    if environment is None:
        runner.annotate(
            "warning",
            "Novu did not say which environment the secret key belongs to (GET /v1/environments/me is "
            f"unavailable); going on as if it were {target.environment}.",
            title="Secret key not checked",
        )
        return
    if environment.name.casefold() != target.environment.casefold():
        raise KeyForOtherEnvironment(
            f"The secret key in `{target.key_input}` belongs to Novu's {environment.name} environment, but "
            f"this run targets {target.environment}. Nothing was sent to the bridge. "
            f"Set `{target.key_input}` to the secret key of {target.environment} (Novu Dashboard → "
            "Developer → API Keys, with "
            f"{target.environment} selected)."
        )
    runner.log(f"The secret key belongs to {environment.name}.")


def _discover(
    *, runner: Runner, http: HttpClient, target: Target, shown_bridge: str, notes: list[str]
) -> Discovery:
    from novu_action.bridge import BridgeClient

    bridge = BridgeClient(
        http=http, url=target.bridge_url, secret_key=target.secret_key, environment=target.environment
    )
    health = bridge.health()
    runner.log(f"Bridge is up: {health.discovered.workflows} workflow(s), {health.discovered.steps} step(s).")
    discovery = bridge.discover()
    runner.log(
        f"Discovered {len(discovery.workflows)} workflow(s) with a signed request "
        f"(@novu/framework {discovery.sdk_version or 'version unknown'})."
    )
    if not bridge.verifies_signatures():
        advice = (
            "answered an unsigned discover request, so anyone can read its workflow code. Start it with "
            "`NODE_ENV=production` (or `NOVU_STRICT_AUTHENTICATION_ENABLED=true`) so that it only answers "
            "requests signed with the secret key."
        )
        runner.annotate(
            "warning", f"The bridge at {shown_bridge} {advice}", title="Bridge does not verify signatures"
        )
        notes.append(f"The bridge at {render.escape_markdown(shown_bridge)} {advice}")
    return discovery


def _preview(
    *, runner: Runner, settings: Settings, plan: Plan, context: render.ReportContext, outcome: Outcome
) -> None:
    from novu_action.comment import comment_marker, publish_comment

    for finding in plan.findings:
        runner.annotate(
            "warning",
            f"{finding.headline} Workflows: {', '.join(finding.workflow_ids)}. {finding.remedy}",
            title="The sync after merge would be refused",
        )
    event, inputs = settings.event, settings.inputs
    if event.pr_number is not None and settings.github.repository:
        marker = comment_marker(inputs.id)
        with runner.group("Update the pull request comment"):
            published = publish_comment(
                body=runner.redact(render.render_comment(context=context, plan=plan, marker=marker)),
                marker=marker,
                mode=inputs.comment_mode,
                has_changes=plan.has_changes,
                token=inputs.github_token.get_secret_value() if inputs.github_token else None,
                api_url=settings.github.api_url,
                repository=settings.github.repository,
                pr_number=event.pr_number,
                is_fork=event.withholds_secrets,  # a read-only token: writing would be doomed
            )
            runner.log(f"Comment {published.action}" + (f": {published.url}" if published.url else ""))
        if published.notice:
            runner.annotate("notice", published.notice, title="No pull request comment")
        outcome.comment_url = published.url or ""
    runner.write_summary(render.render_summary(context=context, plan=plan, status=render.Status.PREVIEW))
    outcome.success = True
    runner.annotate(
        "notice",
        _counts_sentence(plan, context.environment, synced=False),
        title=f"Novu {context.environment} preview",
    )


def _skip(*, runner: Runner, outcome: Outcome, skip: Skip) -> None:
    outcome.mode, outcome.success = Mode.SKIP.value, True
    runner.annotate("notice", f"Skipped: {skip.reason}", title="Novu sync skipped")
    runner.write_summary(render.render_skip(skip.reason))


def _fail(
    *,
    runner: Runner,
    outcome: Outcome,
    context: render.ReportContext | None,
    title: str,
    message: str,
    status: render.Status,
) -> None:
    outcome.success = False
    runner.annotate("error", message, title=title)
    if outcome.plan is not None and context is not None:
        context = replace(context, notes=tuple(outcome.notes))
        runner.write_summary(
            render.render_summary(context=context, plan=outcome.plan, status=status, error=message)
        )
    else:
        runner.write_summary(render.render_failure(title=title, message=message, context=context))


def _context(*, settings: Settings, target: Target) -> render.ReportContext:
    return render.ReportContext(
        mode="preview" if target.mode is Mode.PREVIEW else "sync",
        environment=target.environment,
        report_id=settings.inputs.id,
        bridge_url=redact_url(target.bridge_url),
        previewing_deployed_bridge=target.previewing_deployed_bridge,
        base_branch=settings.event.base_branch,
        commit_sha=settings.event.sha,
        run_url=settings.github.run_url,
    )


def _counts_sentence(plan: Plan, environment: str, *, synced: bool) -> str:
    counts = ", ".join(f"{plan.count(c)} {c.value}" for c in Change)
    return f"{environment} {'synced' if synced else 'preview'}: {counts}."


def _mask_raw_inputs(runner: Runner) -> None:
    """Mask secrets from the raw environment first, so even an input error cannot show them."""
    for name in SECRET_INPUTS:
        value = os.environ.get(f"INPUT_{name}", "").strip()
        if value:
            runner.add_mask(value)
    for name in URL_INPUTS:
        for secret in url_secrets(os.environ.get(f"INPUT_{name}", "").strip()):
            runner.add_mask(secret)


def _path_from_env(name: str) -> Path | None:
    value = os.environ.get(name, "")
    return Path(value) if value else None
