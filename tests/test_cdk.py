"""Phoenix takes the CDK from `cdk.py` only, which chooses cdktf or cdktn as documented.

That the same code then writes the same plans on both is `tests/plans/test_cdk_terrain.py`.
"""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path

import pytest

import cdk
from tests.conftest import ROOT

APP_CODE = [
    ROOT / "main.py",
    *(
        path
        for package in (
            "constructs_lib",
            "stacks",
            "fleet",
            "gateway",
            "portainer",
            "rehearsal",
            "review",
            "bench",
        )
        for path in sorted((ROOT / package).rglob("*.py"))
    ),
]
CDKS = {"cdktf", "cdktn"}


def imported_modules(path: Path) -> set[str]:
    modules: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            modules.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            modules.add(node.module.split(".")[0])
    return modules


@pytest.mark.parametrize("path", APP_CODE, ids=lambda path: str(path.relative_to(ROOT)))
def test_app_code_imports_no_cdk_but_through_cdk_py(path: Path) -> None:
    assert not imported_modules(path) & CDKS, "import it from `cdk` instead (cdk.py)"


def test_the_default_is_the_cdk_this_python_has(monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN the default virtualenv (cdktf) and no PHOENIX_CDK
    monkeypatch.delenv(cdk.ENV, raising=False)
    # THEN cdk chooses cdktf, and it is what this process runs on
    assert cdk.chosen() == "cdktf"
    assert cdk.NAME == "cdktf"
    assert cdk.App.__module__.split(".")[0] == "cdktf"


def test_phoenix_cdk_names_the_cdk(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(cdk.ENV, "cdktf")
    assert cdk.chosen() == "cdktf"


def test_fails_when_phoenix_cdk_names_an_unknown_cdk(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(cdk.ENV, "cdk8s")
    with pytest.raises(ImportError, match=r"PHOENIX_CDK='cdk8s': Phoenix runs on cdktf or cdktn"):
        cdk.chosen()


@pytest.mark.skipif(importlib.util.find_spec("cdktn") is not None, reason="cdktn is installed")
def test_fails_when_phoenix_cdk_names_a_cdk_this_python_lacks(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # GIVEN the default virtualenv, which has no cdktn, and PHOENIX_CDK=cdktn
    monkeypatch.setenv(cdk.ENV, "cdktn")
    # THEN cdk says which Python to use instead
    with pytest.raises(ImportError, match=r"make setup CDK=cdktn.*terrain/\.venv/bin/python"):
        cdk.chosen()


def test_each_cdk_has_its_own_bindings() -> None:
    assert cdk.BINDINGS == {"cdktf": ROOT / "imports", "cdktn": ROOT / "terrain" / "imports"}
