"""The action's sentences about a run, in one place: what was compared, the counts, each guard finding, each
note. The log, the annotations and the report (``render``) all say the same thing in the same words.

A ``Sentence`` keeps the values it quotes (URLs, ids, branch names: untrusted or user text) apart from its
own words, so that the renderer can escape them as Markdown and the log can print them as they are.
Pure; standard library only.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from novu_action.plan import Change, Guard, GuardFinding, Plan
from novu_action.target import SourceKind

# How a deletion can be allowed on a push, which has no per-run inputs: the README's recipe.
DISPATCH_RECIPE = "the README's `workflow_dispatch` recipe (`allow-deletions: ${{ inputs.allow-deletions }}`)"


@dataclass(frozen=True)
class Code:
    """A quoted value shown as code: an id, a URL, a branch."""

    value: str


@dataclass(frozen=True)
class Text:
    """A quoted value shown as text: a reason given by Novu."""

    value: str


@dataclass(frozen=True)
class Sentence:
    """``text`` with ``{}`` where each of ``values`` goes and ``{env}`` where the environment's name goes."""

    text: str
    values: tuple[Code | Text, ...] = ()

    def plain(self, environment: str) -> str:
        """For the log and annotations: values in backticks, no Markdown emphasis."""
        quoted = (f"`{v.value}`" if isinstance(v, Code) else v.value for v in self.values)
        return self.text.replace("**", "").format(*quoted, env=environment)


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def is_drift(*, mode: str, source: SourceKind) -> bool:
    """A preview of the deployed bridge: its differences are drift of the environment, not the pull
    request's changes (which it cannot see)."""
    return mode == "preview" and source is SourceKind.DEPLOYED_BRIDGE


def compared(*, mode: str, source: SourceKind, shown_source: str, commit: str | None) -> Sentence:
    """The report's first line: what was compared with what."""
    if mode == "sync":
        return Sentence("Sync of **{env}** from the bridge at {}.", (Code(shown_source),))
    match source:
        case SourceKind.DISCOVER_FILE:
            at = f", commit {commit[:7]}" if commit else ""
            return Sentence(
                f"Compared this pull request's code (discover-file {{}}{at}) with **{{env}}**.",
                (Code(shown_source),),
            )
        case SourceKind.PREVIEW_BRIDGE:
            return Sentence("Compared the preview deployment at {} with **{env}**.", (Code(shown_source),))
        case SourceKind.DEPLOYED_BRIDGE:
            return Sentence(
                "Compared the deployed bridge at {} with **{env}** — not this pull request's code.",
                (Code(shown_source),),
            )
        case SourceKind.LOCAL_BRIDGE:
            return Sentence("Compared the bridge at {} with **{env}**.", (Code(shown_source),))
        case SourceKind.LOCAL_FILE:
            return Sentence("Compared the discover answer in {} with **{env}**.", (Code(shown_source),))


def counts_label(
    *, plan: Plan, mode: str, source: SourceKind, base_branch: str | None, synced: bool
) -> Sentence:
    """The sentence before the counts: what they are."""
    if synced:
        return Sentence(
            "**{env}** now matches the bridge."
            if plan.has_changes
            else "**{env}** already matched the bridge."
        )
    if mode == "sync":
        return Sentence("Planned for **{env}**, not applied:")
    if is_drift(mode=mode, source=source):
        if not plan.has_changes:
            return Sentence("**{env}** matches its deployed bridge: no drift.")
        return Sentence(
            "Drift between **{env}** and its deployed bridge (not changes of this pull request). A sync of "
            "the deployed bridge now would do this:"
        )
    who: tuple[str, tuple[Code, ...]] = (
        ("Merging into {}", (Code(base_branch),)) if base_branch else ("A sync", ())
    )
    if not plan.has_changes:
        return Sentence(f"{who[0]} would change nothing in **{{env}}**.", who[1])
    return Sentence(f"{who[0]} would do this to **{{env}}**; nothing has changed yet:", who[1])


DRIFT_ADVICE = (
    "To preview this pull request's own code, give the action a `discover-file` made from the checked-out "
    "pull request, or a preview deployment (`preview-bridge-url`, or `deployment_status` events): see the "
    "README's recipes."
)


def counts(plan: Plan) -> str:
    """``1 create, 2 update, 0 delete, 5 unchanged``: for the log and the notice."""
    return ", ".join(f"{plan.count(change)} {change.value}" for change in Change)


@dataclass(frozen=True)
class FindingText:
    headline: str
    remedy: str


def finding_text(finding: GuardFinding, *, drift: bool) -> FindingText:
    """One guard finding in words: what is wrong (no ids: they are listed apart) and what to do."""
    n, env = len(finding.workflow_ids), finding.environment
    workflows = "workflow" if n == 1 else "workflows"
    match finding.guard:
        case Guard.DELETIONS_NOT_ALLOWED if drift:
            return FindingText(
                f"{env} holds {n} {workflows} that its deployed bridge does not serve: a sync of the "
                "deployed "
                f"bridge would delete {'it' if n == 1 else 'them'}, and deletions are not allowed.",
                "This is drift, not a change of this pull request: the environment and its deployed bridge "
                "differ (a deploy without a sync, or a sync from elsewhere). If the pull request's code "
                "serves "
                "these workflows, its merge deletes nothing; to preview the pull request's own code, use "
                "`discover-file` or a preview deployment.",
            )
        case Guard.DELETIONS_NOT_ALLOWED:
            return FindingText(
                f"This sync would delete {n} {workflows} from {env}, and deletions are not allowed.",
                f"If the deletions are intended, run the sync with {DISPATCH_RECIPE}; otherwise restore the "
                "workflows in the bridge code.",
            )
        case Guard.EMPTY_BRIDGE:
            bridge = "The deployed bridge" if drift else "The bridge"
            return FindingText(
                f"{bridge} discovers no workflows, but {env} holds {n} {workflows}: a sync would delete all "
                "of them.",
                "Check that the bridge URL points at the right deployment and that it serves its workflows. "
                "To "
                f"empty the environment on purpose, run the sync with {DISPATCH_RECIPE} set to `true`.",
            )
        case Guard.DASHBOARD_CLASH:
            exist = "already exists" if n == 1 else "already exist"
            made = "a Dashboard workflow" if n == 1 else "Dashboard workflows"
            return FindingText(
                f"{n} {workflows} {exist} in {env} as {made} with the same id; Novu rejects the sync.",
                "Rename the workflow id in code, or delete the Dashboard workflow in Novu first.",
            )


def refusal(plan: Plan, *, drift: bool) -> str:
    """The refused sync's error: every finding with its ids, in one paragraph."""
    parts = []
    for finding in plan.findings:
        text = finding_text(finding, drift=drift)
        parts.append(f"{text.headline} Workflows: {', '.join(finding.workflow_ids)}. {text.remedy}")
    return "Nothing was changed. " + " ".join(parts)


class NoteKind(StrEnum):
    """Something the user should know about a run that is not a change of the plan."""

    UNSIGNED_BRIDGE = "unsigned-bridge"  # subject: the bridge URL (redacted)
    KEY_NOT_CHECKED = "key-not-checked"
    NO_STORED_DEFINITIONS = "no-stored-definitions"
    NO_WORKFLOW_LIST = "no-workflow-list"
    TAKEOVER = "takeover"  # subject: workflow ids
    APPLIED_WITHOUT_ANSWER = "applied-without-answer"  # detail: why the answer was lost
    RESENT = "resent"  # detail: why the first request's effect was unknown
    AGENT_NOT_POINTED = "agent-not-pointed"  # subject: agent id; detail: Novu's answer
    DISCOVER_FILE_IGNORED = "discover-file-ignored"


class Level(StrEnum):
    WARNING = "warning"
    NOTICE = "notice"


@dataclass(frozen=True)
class Note:
    """A note of a run. ``subject`` (quoted as code) and ``detail`` (quoted as text) are untrusted."""

    kind: NoteKind
    subject: str = ""
    detail: str = ""


@dataclass(frozen=True)
class NoteText:
    level: Level
    title: str
    sentence: Sentence  # `{}` takes the subject, then the detail


def note_text(note: Note) -> NoteText:
    match note.kind:
        case NoteKind.UNSIGNED_BRIDGE:
            return NoteText(
                Level.WARNING,
                "Bridge does not verify signatures",
                Sentence(
                    "The bridge at {} answered an unsigned discover request, so anyone can read its workflow "
                    "code. Start it with `NODE_ENV=production` (or "
                    "`NOVU_STRICT_AUTHENTICATION_ENABLED=true`) so "
                    "that it only answers requests signed with the secret key.",
                    (Code(note.subject),),
                ),
            )
        case NoteKind.KEY_NOT_CHECKED:
            return NoteText(
                Level.WARNING,
                "Secret key not checked",
                Sentence(
                    "Novu did not say which environment the secret key belongs to (`GET /v1/environments/me` "
                    "is "
                    "unavailable), so the action goes on as if it belonged to {env}."
                ),
            )
        case NoteKind.NO_STORED_DEFINITIONS:
            return NoteText(
                Level.WARNING,
                "Plan at workflow level only",
                Sentence(
                    "Novu's stored workflow definitions are not available (`POST /v1/bridge/diff` is "
                    "missing), "
                    "so this compares workflow ids only: every workflow on both sides counts as an update, "
                    "without field or step detail."
                ),
            )
        case NoteKind.NO_WORKFLOW_LIST:
            return NoteText(
                Level.WARNING,
                "Plan at workflow level only",
                Sentence(
                    "This Novu does not list workflows to an API key (`GET /v2/workflows` answered "
                    '"API endpoint not available", as self-hosted Novu of late 2024 does), so the plan '
                    "compares "
                    "workflow ids from the stored definitions only and cannot see Dashboard workflows with "
                    "the "
                    "same ids."
                ),
            )
        case NoteKind.TAKEOVER:
            return NoteText(
                Level.WARNING,
                "Old v1 workflows taken over",
                Sentence(
                    "The bridge serves {}, which {env} holds as old v1 workflows. The sync turns them into "
                    "framework workflows that follow the bridge from then on (Novu rejects the sync instead "
                    "if it recorded a Dashboard origin for them).",
                    (Code(note.subject),),
                ),
            )
        case NoteKind.APPLIED_WITHOUT_ANSWER:
            return NoteText(
                Level.NOTICE,
                "Sync applied, answer lost",
                Sentence(
                    "The sync's answer was lost ({}), but reading {env} back shows that Novu applied it: "
                    "nothing was sent again.",
                    (Text(note.detail),),
                ),
            )
        case NoteKind.RESENT:
            return NoteText(
                Level.NOTICE,
                "Sync sent again",
                Sentence(
                    "The first sync request's effect was unknown ({}) and reading {env} back showed it had "
                    "not been applied, so it was sent again with a fresh Idempotency-Key.",
                    (Text(note.detail),),
                ),
            )
        case NoteKind.AGENT_NOT_POINTED:
            return NoteText(
                Level.WARNING,
                "Agent not pointed at the bridge",
                Sentence(
                    "The workflows were synced, but agent {} was not pointed at the bridge: {}. "
                    "Conversational "
                    "agents must be enabled for the organisation and the agent must exist in {env}; the "
                    "official CLI only warns here too.",
                    (Code(note.subject), Text(note.detail)),
                ),
            )
        case NoteKind.DISCOVER_FILE_IGNORED:
            return NoteText(
                Level.NOTICE,
                "discover-file not used",
                Sentence(
                    "`discover-file` is for previews: a sync always discovers from the deployed bridge, "
                    "because Novu Cloud must reach it."
                ),
            )
