"""Novu Cloud's addresses, in one place: the API of each region and the Dashboard that goes with it."""

from __future__ import annotations

from urllib.parse import quote, urlsplit

US_API_URL = "https://api.novu.co"
EU_API_URL = "https://eu.api.novu.co"
REGIONS = f"US {US_API_URL} or EU {EU_API_URL}"
_DASHBOARDS = {"api.novu.co": "https://dashboard.novu.co", "eu.api.novu.co": "https://eu.dashboard.novu.co"}


def is_novu_cloud(api_url: str) -> bool:
    """Whether ``api_url`` is Novu Cloud (which cannot reach bridges on private addresses)."""
    return (urlsplit(api_url).hostname or "").lower() in _DASHBOARDS


def dashboard_workflows_url(api_url: str, environment_slug: str | None) -> str | None:
    """The Dashboard page listing the environment's workflows (Novu Cloud only), else ``None``.

    The route is ``/env/:environmentSlug/workflows`` (apps/dashboard/src/utils/routes.ts); without a slug
    the Dashboard's start page, which opens the last environment used.
    """
    dashboard = _DASHBOARDS.get((urlsplit(api_url).hostname or "").lower())
    if dashboard is None:
        return None
    if not environment_slug:
        return dashboard
    return f"{dashboard}/env/{quote(environment_slug, safe='')}/workflows"
