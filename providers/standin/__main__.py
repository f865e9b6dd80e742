"""Entry point Terraform starts: `python -m providers.standin` (through the mirror's wrapper)."""

from __future__ import annotations

import sys

from .plugin import serve
from .server import StandinProvider

if __name__ == "__main__":
    sys.exit(serve(StandinProvider()))
