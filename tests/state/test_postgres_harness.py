"""The throwaway PostgreSQL harness says why it cannot run, so tests skip (or fail under CI)
with that reason instead of an obscure error."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.postgres import PostgresUnavailableError, find_bin_dir


def test_fails_when_initdb_is_nowhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN no initdb on PATH and no Debian PostgreSQL directory
    monkeypatch.setenv("PATH", str(tmp_path))
    # WHEN the harness looks for PostgreSQL THEN it says what to install
    with pytest.raises(PostgresUnavailableError, match=r"apt-get install postgresql"):
        find_bin_dir(tmp_path / "usr-lib-postgresql")


def test_finds_debians_newest_version_off_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN Debian's layout with two versions, nothing on PATH
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    for version in ("9.6", "15", "13"):
        bin_dir = tmp_path / "lib" / version / "bin"
        bin_dir.mkdir(parents=True)
        for tool in ("initdb", "pg_ctl", "psql", "postgres"):
            (bin_dir / tool).touch()
    # THEN the newest is used
    assert find_bin_dir(tmp_path / "lib") == tmp_path / "lib" / "15" / "bin"
