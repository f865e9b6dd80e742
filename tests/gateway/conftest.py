"""Fixtures: Debian's nginx (fetched once per checkout), or a skip that says why not."""

from __future__ import annotations

import os

import pytest

from .nginx import Nginx, NginxUnavailable, locate_nginx

REQUIRE_ENV = "PHOENIX_REQUIRE_NGINX"
"""Set to 1 (in CI) to fail instead of skipping when nginx cannot be obtained."""


@pytest.fixture(scope="session")
def nginx() -> Nginx:
    """A runnable nginx: on PATH, or Debian's packages unpacked under ``.make/nginx/``."""
    try:
        return locate_nginx()
    except NginxUnavailable as error:
        if os.environ.get(REQUIRE_ENV) == "1":
            pytest.fail(f"{REQUIRE_ENV}=1 but nginx is unavailable: {error}")
        pytest.skip(f"nginx is unavailable, so the gateway tests that run it are skipped: {error}")
