"""Entry point of ``python -m portainer``."""

from __future__ import annotations

import sys

from portainer.cli import main

if __name__ == "__main__":
    sys.exit(main())
