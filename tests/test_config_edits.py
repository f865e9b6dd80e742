"""The field edits tests make to config copies touch only the field they name."""

from __future__ import annotations

import difflib
import shutil
from pathlib import Path

import pytest

from tests.config_edits import remove_field, rename_key, set_field, set_raw, value_position
from tests.conftest import ROOT

YAML_FILES = sorted(
    path.relative_to(ROOT).as_posix()
    for folder in ("configs", "examples")
    for path in (ROOT / folder).rglob("*.yaml")
)


def changed_lines(before: str, after: str) -> list[str]:
    return [
        line
        for line in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="")
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]


@pytest.mark.parametrize("file", YAML_FILES)
def test_rewriting_a_file_unchanged_keeps_every_byte(tmp_path: Path, file: str) -> None:
    # GIVEN a config file with comments, flow style and quoting; WHEN a field is set to the
    # value it already has THEN the file is byte for byte the same
    target = tmp_path / file
    target.parent.mkdir(parents=True)
    shutil.copy(ROOT / file, target)
    before = target.read_text(encoding="utf-8")
    set_field(Path(file).name, "__probe__", 1)(target.parent)

    remove_field(Path(file).name, "__probe__")(target.parent)
    assert target.read_text(encoding="utf-8") == before


def test_a_field_edit_is_a_one_line_diff(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "configs", tmp_path / "configs")
    before = (tmp_path / "configs" / "guests.yaml").read_text(encoding="utf-8")
    set_field("guests.yaml", "vms.1002.memory_mib", 16384)(tmp_path / "configs")
    after = (tmp_path / "configs" / "guests.yaml").read_text(encoding="utf-8")
    assert changed_lines(before, after) == ["-    memory_mib: 8192", "+    memory_mib: 16384"]


def test_a_renamed_key_keeps_its_place_and_value(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "configs", tmp_path / "configs")
    before = (tmp_path / "configs" / "guests.yaml").read_text(encoding="utf-8")
    rename_key("guests.yaml", "vms.1002", 1012)(tmp_path / "configs")
    after = (tmp_path / "configs" / "guests.yaml").read_text(encoding="utf-8")
    assert changed_lines(before, after) == ["-  1002:", "+  1012:"]


def test_a_raw_value_replaces_only_the_scalar(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "configs", tmp_path / "configs")
    line, column = value_position(tmp_path / "configs", "guests.yaml", "vms.1002.cores")
    set_raw("guests.yaml", "vms.1002.cores", '"4"')(tmp_path / "configs")
    text = (tmp_path / "configs" / "guests.yaml").read_text(encoding="utf-8").splitlines()
    assert text[line - 1][: column - 1] + '"4"' == text[line - 1]
    assert text[line - 1].strip() == 'cores: "4"'


def test_a_missing_path_is_a_clear_failure(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "configs", tmp_path / "configs")
    with pytest.raises(AssertionError, match=r"guests.yaml has no vms\.4242"):
        set_field("guests.yaml", "vms.4242.cores", 2)(tmp_path / "configs")
