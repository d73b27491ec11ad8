"""The real ``pipeline.Connections``: Novu's API, the bridge and the discover file, plus a code host.

The code host is where the report is posted: GitHub (``main``), GitLab (``gitlab``) or none (a terminal).
Imports of the HTTP stack happen here, when a client is first made, so that runs that never reach the
network (a skip, an input error) do not pay for them.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from novu_action.bridge import BridgeClient
    from novu_action.discovery import Discovery
    from novu_action.events import PullRequest
    from novu_action.http import HttpClient
    from novu_action.novu_api import NovuApi
    from novu_action.pipeline import CommentPublisher
    from novu_action.target import Target


class CodeHost(Protocol):
    """Where pull requests (merge requests) live and the report is posted."""

    def comments(self, pr_number: int) -> CommentPublisher | None: ...
    def pull_request_for_commit(self, sha: str) -> PullRequest | None: ...
    def comment_marker(self, report_id: str | None) -> str: ...


class NoCodeHost:
    """A run outside a code host (a terminal): nothing to comment on, no pull request to find."""

    def comments(self, pr_number: int) -> CommentPublisher | None:
        return None

    def pull_request_for_commit(self, sha: str) -> PullRequest | None:
        return None

    def comment_marker(self, report_id: str | None) -> str:
        return ""


class LiveConnections:
    """Clients for one run: one HTTP client (one connection pool) shared by the Novu API and the bridge."""

    def __init__(
        self,
        *,
        api_url: str,
        timeout: float,
        workspace: Path,
        host: CodeHost,
        on_retry: Callable[[str], None],
        novu_source: str = "githubAction",
    ) -> None:
        self._api_url = api_url
        self._timeout = timeout
        self._workspace = workspace
        self._host = host
        self._on_retry = on_retry
        self._novu_source = novu_source
        self._http: HttpClient | None = None

    def novu(self, target: Target) -> NovuApi:
        from novu_action.novu_api import NovuApi

        return NovuApi(
            http=self._client(),
            api_url=self._api_url,
            secret_key=target.secret_key,
            key_input=target.key_input,
            source=self._novu_source,
        )

    def bridge(self, target: Target) -> BridgeClient:
        from novu_action.bridge import BridgeClient

        return BridgeClient(
            http=self._client(),
            url=target.bridge_url or "",
            signer=target.signer,
            environment=target.environment,
        )

    def read_discover_file(self, path: str) -> Discovery:
        from novu_action.discovery import read_discover_file

        return read_discover_file(path, workspace=self._workspace)

    def comments(self, pr_number: int) -> CommentPublisher | None:
        return self._host.comments(pr_number)

    def pull_request_for_commit(self, sha: str) -> PullRequest | None:
        return self._host.pull_request_for_commit(sha)

    def comment_marker(self, report_id: str | None) -> str:
        return self._host.comment_marker(report_id)

    def _client(self) -> HttpClient:
        from novu_action.http import HttpClient

        if self._http is None:
            self._http = HttpClient(timeout=self._timeout, on_retry=self._on_retry)
        return self._http
