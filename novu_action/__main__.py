"""``python -m novu_action``: the command line (``novu-sync``)."""

from __future__ import annotations

import sys

from novu_action.cli import main

if __name__ == "__main__":
    sys.exit(main())
