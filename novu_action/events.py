"""What the action needs from the event that started the run, and the one home of Git ref parsing.

Read from the event payload (never guessed from ``GITHUB_REF``: a pull request's number and head commit are
only in the payload); the runner's variables fill in what a payload lacks. Pure: payload in, ``Event`` out.
GitLab's variables give the same ``Event`` (``gitlab.py``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

BRANCH_PREFIX = "refs/heads/"
TAG_PREFIX = "refs/tags/"
PULL_REQUEST_EVENTS = ("pull_request", "pull_request_target")
DEPLOYMENT_STATUS_EVENT = "deployment_status"
LOCAL_EVENT = "local"  # a run from a terminal (novu-sync plan|sync): no code host, no pull request
_NULL_SHA = frozenset("0")


def branch_of(ref: str | None) -> str | None:
    """``main`` for ``refs/heads/main``; ``None`` for a tag, a pull request ref or nothing."""
    return ref.removeprefix(BRANCH_PREFIX) if ref and ref.startswith(BRANCH_PREFIX) else None


def is_tag(ref: str | None) -> bool:
    return bool(ref and ref.startswith(TAG_PREFIX))


class WithheldSecrets(StrEnum):
    """Why GitHub gives a pull_request run no secrets and a read-only token."""

    FORK = "a fork"
    DEPENDABOT = "Dependabot"


@dataclass(frozen=True)
class PullRequest:
    """A pull request found for a run that does not name one (a deployment of its head commit)."""

    number: int
    base_branch: str


@dataclass(frozen=True)
class Deployment:
    """A ``deployment_status`` event: a deployment of commit ``sha`` reached ``state``.

    ``url`` is the deployment's ``environment_url`` (or its ``target_url``); ``production`` is what the
    provider says (``production_environment``, or an environment named production).
    """

    state: str
    environment: str
    url: str | None
    sha: str | None
    production: bool


@dataclass(frozen=True)
class Event:
    """``ref`` is ``refs/heads/<b>``, ``refs/tags/<t>`` or ``None``; ``sha`` the commit the report is about
    (the pull request's head for pull requests); ``base_branch`` the branch a pull request merges into."""

    name: str
    ref: str | None
    sha: str | None
    pr_number: int | None = None
    base_branch: str | None = None
    branch_deleted: bool = False
    secrets_withheld: WithheldSecrets | None = None
    deployment: Deployment | None = None

    @property
    def branch(self) -> str | None:
        """The branch whose environment the run is about: a pull request's base, else the ref's."""
        return self.base_branch or branch_of(self.ref)

    def for_pull_request(self, *, number: int, base_branch: str) -> Event:
        """This event, about the pull request found for it (a deployment's commit belongs to one)."""
        return Event(
            name=self.name,
            ref=BRANCH_PREFIX + base_branch,
            sha=self.sha,
            pr_number=number,
            base_branch=base_branch,
            deployment=self.deployment,
        )


def parse_event(
    *,
    name: str,
    payload: Mapping[str, Any],
    github_ref: str | None,
    github_sha: str | None,
    actor: str | None,
) -> Event:
    """Read the event payload. Raises ``ValueError`` for a payload that lacks what its event must have."""
    if name in PULL_REQUEST_EVENTS:
        return _pull_request(name, payload, github_sha=github_sha, actor=actor)
    if name == "merge_group":
        group = payload.get("merge_group") or {}
        base_ref = group.get("base_ref")
        return Event(
            name=name, ref=base_ref, sha=group.get("head_sha") or github_sha, base_branch=branch_of(base_ref)
        )
    if name == DEPLOYMENT_STATUS_EVENT:
        return _deployment_status(payload, github_sha=github_sha)
    ref = payload.get("ref") if isinstance(payload.get("ref"), str) else github_ref
    sha = payload.get("after") if name == "push" else github_sha
    return Event(
        name=name,
        ref=ref or None,
        sha=(sha if sha and set(sha) != _NULL_SHA else github_sha) or None,
        branch_deleted=bool(payload.get("deleted")),
    )


def _pull_request(
    name: str, payload: Mapping[str, Any], *, github_sha: str | None, actor: str | None
) -> Event:
    pr = payload.get("pull_request")
    if not isinstance(pr, Mapping):
        raise ValueError(f"the `{name}` event payload has no `pull_request` object")
    base, head = pr.get("base") or {}, pr.get("head") or {}
    base_repo, head_repo = base.get("repo") or {}, head.get("repo")
    from_fork = head_repo is None or head_repo.get("full_name") != base_repo.get("full_name")
    withheld = None
    if name == "pull_request":  # pull_request_target runs in the base repository, with its secrets
        if actor == "dependabot[bot]":
            withheld = WithheldSecrets.DEPENDABOT
        elif from_fork:
            withheld = WithheldSecrets.FORK
    number = payload.get("number", pr.get("number"))
    return Event(
        name=name,
        ref=BRANCH_PREFIX + base["ref"] if base.get("ref") else None,
        sha=head.get("sha") or github_sha,
        pr_number=int(number) if number is not None else None,
        base_branch=base.get("ref"),
        secrets_withheld=withheld,
    )


def _deployment_status(payload: Mapping[str, Any], *, github_sha: str | None) -> Event:
    status = payload.get("deployment_status")
    deployment = payload.get("deployment")
    if not isinstance(status, Mapping) or not isinstance(deployment, Mapping):
        raise ValueError(
            "the `deployment_status` event payload has no `deployment_status` or `deployment` object"
        )
    environment = str(status.get("environment") or deployment.get("environment") or "")
    url = status.get("environment_url") or status.get("target_url")
    production = deployment.get("production_environment")
    sha = deployment.get("sha") or github_sha
    return Event(
        name=DEPLOYMENT_STATUS_EVENT,
        ref=None,
        sha=sha,
        deployment=Deployment(
            state=str(status.get("state") or ""),
            environment=environment,
            url=url if isinstance(url, str) and url else None,
            sha=sha,
            production=production is True or (production is None and environment.casefold() == "production"),
        ),
    )
