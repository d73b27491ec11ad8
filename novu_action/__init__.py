"""novu-sync-action: preview and sync Novu Framework workflows from GitHub Actions."""

from __future__ import annotations

__version__ = "0.1.0"
