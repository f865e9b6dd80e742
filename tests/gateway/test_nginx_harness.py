"""The harness that obtains nginx says why when it cannot, and notices a changed Debian file."""

from __future__ import annotations

from pathlib import Path

import pytest

from .nginx import NginxUnavailable, locate_nginx, relocated


def test_fails_with_a_reason_when_apt_get_is_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(NginxUnavailable, match=r"apt-get is missing, so Debian's nginx cannot"):
        locate_nginx(tmp_path / "cache", use_system=False)


def test_relocating_debians_conf_moves_every_path_under_the_prefix() -> None:
    stock = (
        "user www-data;\npid /run/nginx.pid;\nerror_log /var/log/nginx/error.log;\n"
        "include /etc/nginx/modules-enabled/*.conf;\n"
    )
    assert relocated(stock, Path("/p")) == (
        "# user www-data;  (the test runs as the current user)\npid /p/nginx.pid;\n"
        "error_log /p/log/error.log;\ninclude /p/etc/nginx/modules-enabled/*.conf;\n"
    )


def test_fails_when_debians_conf_no_longer_has_the_expected_paths() -> None:
    with pytest.raises(AssertionError, match=r"no longer contains 'pid /run/nginx.pid;'"):
        relocated("user www-data;\n", Path("/p"))
