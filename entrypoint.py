"""Container entry point: run the pipeline and exit with its status."""

from __future__ import annotations

import sys
from pathlib import Path

# The runner starts the container in /github/workspace; the package lives beside this file.
sys.path.insert(0, str(Path(__file__).resolve().parent))

from novu_action.main import main

if __name__ == "__main__":
    sys.exit(main())
