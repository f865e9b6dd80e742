"""`make lint`'s tools are configured to catch real mistakes in Phoenix's code."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

BIN = Path(sys.executable).parent


def tool(name: str) -> str:
    path = BIN / name
    if not path.exists():
        pytest.fail(f"{name} is not installed in the virtualenv: run `make setup`")
    return str(path)


@pytest.fixture
def planted(tmp_path: Path) -> Path:
    """A copy of one real, self-contained module (no imports of its package), inside a
    throwaway package next to the project config."""
    package = tmp_path / "planted"
    package.mkdir()
    (package / "__init__.py").write_text("", encoding="utf-8")
    shutil.copy(ROOT / "fleet" / "secrets.py", package / "secrets.py")
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return package / "secrets.py"


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=300, check=False)


def test_the_unmodified_module_is_clean(planted: Path) -> None:
    cwd = planted.parent.parent
    assert run(tool("ruff"), "check", str(planted), cwd=cwd).returncode == 0
    assert run(tool("mypy"), str(planted), cwd=cwd).returncode == 0


def test_fails_when_a_lint_error_is_planted(planted: Path) -> None:
    planted.write_text("import os\n" + planted.read_text(encoding="utf-8"), encoding="utf-8")
    result = run(tool("ruff"), "check", str(planted), cwd=planted.parent.parent)
    assert result.returncode != 0
    assert "F401" in result.stdout  # unused import


def test_fails_when_a_type_error_is_planted(planted: Path) -> None:
    planted.write_text(
        planted.read_text(encoding="utf-8") + "\n\ndef broken() -> int:\n    return 'text'\n",
        encoding="utf-8",
    )
    result = run(tool("mypy"), str(planted), cwd=planted.parent.parent)
    assert result.returncode != 0
    assert "Incompatible return value type" in result.stdout


def test_fails_when_an_untyped_function_is_planted(planted: Path) -> None:
    planted.write_text(
        planted.read_text(encoding="utf-8") + "\n\ndef untyped(value):\n    return value\n",
        encoding="utf-8",
    )
    result = run(tool("mypy"), str(planted), cwd=planted.parent.parent)
    assert result.returncode != 0
    assert "no-untyped-def" in result.stdout


def test_fails_when_formatting_drifts(planted: Path) -> None:
    planted.write_text(planted.read_text(encoding="utf-8") + "\nx = [1,2 ,3]\n", encoding="utf-8")
    result = run(tool("ruff"), "format", "--check", str(planted), cwd=planted.parent.parent)
    assert result.returncode != 0
