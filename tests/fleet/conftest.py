"""A private copy of the reference configs per test, and small edits to break them on purpose."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from fleet import FleetConfigError, load_fleet
from fleet.documents import load_yaml
from tests.conftest import ROOT

Mutation = Callable[[Path], None]
"""Changes a config directory in place."""


@pytest.fixture
def config_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """`configs/` copied into an empty working directory, so messages say `configs/...`."""
    monkeypatch.chdir(tmp_path)
    shutil.copytree(ROOT / "configs", tmp_path / "configs")
    return Path("configs")


def problems(config_dir: Path) -> list[str]:
    """The report lines of a config that must fail to load."""
    with pytest.raises(FleetConfigError) as raised:
        load_fleet(config_dir)
    return raised.value.report().splitlines()


def edit(file: str, old: str, new: str) -> Mutation:
    """Replace the one occurrence of `old` in `file` by `new`."""

    def mutate(root: Path) -> None:
        path = root / file
        text = path.read_text(encoding="utf-8")
        assert text.count(old) == 1, f"{old!r} must occur once in {file}"
        path.write_text(text.replace(old, new), encoding="utf-8")

    return mutate


def write(file: str, text: str | bytes) -> Mutation:
    """Create or overwrite `file` (text, or raw bytes for encoding mistakes)."""

    def mutate(root: Path) -> None:
        path = root / file
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8")

    return mutate


def remove(file: str) -> Mutation:
    """Delete `file`."""
    return lambda root: (root / file).unlink()


def as_json(file: str) -> Mutation:
    """Replace `name.yaml` by the same document as `name.json`."""

    def mutate(root: Path) -> None:
        source = root / file
        document = load_yaml(source.read_text(encoding="utf-8"))
        source.with_suffix(".json").write_text(json.dumps(document, indent=2), encoding="utf-8")
        source.unlink()

    return mutate


def combine(*mutations: Mutation) -> Mutation:
    """Apply several mutations in order."""

    def mutate(root: Path) -> None:
        for mutation in mutations:
            mutation(root)

    return mutate
