"""The libyaml fast path reads every document exactly like the pure-Python strict loader."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from fleet.documents import DocumentError, StrictYamlLoader, _FastStrictYamlLoader, load_yaml
from tests.conftest import ROOT

YAML12 = """
on: on
yes: no
time: 12:30
octal: 012
explicit_octal: 0o17
hex: 0x1f
date: 2024-01-01
truth: true
float: 1.5
merged:
  <<: {a: 1, b: 2}
  b: 3
"""

pytestmark = pytest.mark.skipif(_FastStrictYamlLoader is None, reason="PyYAML without libyaml")


@pytest.mark.parametrize("path", sorted((ROOT / "configs").rglob("*.yaml")), ids=lambda p: p.name)
def test_reference_configs_read_the_same(path: Path) -> None:
    assert _FastStrictYamlLoader is not None
    text = path.read_text(encoding="utf-8")
    assert yaml.load(text, Loader=_FastStrictYamlLoader) == yaml.load(text, Loader=StrictYamlLoader)


def test_yaml_12_scalars_and_merge_keys_read_the_same() -> None:
    fast = load_yaml(YAML12)
    assert fast == yaml.load(YAML12, Loader=StrictYamlLoader)
    assert fast["on"] == "on"
    assert fast["yes"] == "no"
    assert fast["time"] == "12:30"
    assert fast["octal"] == 12
    assert fast["explicit_octal"] == 15
    assert fast["date"] == "2024-01-01"
    assert fast["merged"] == {"a": 1, "b": 3}


def test_fails_when_a_key_appears_twice_with_the_same_position_either_way() -> None:
    text = "a: 1\nb: 2\na: 3\n"
    with pytest.raises(DocumentError) as fast:
        load_yaml(text)
    with pytest.raises(DocumentError) as pure:
        yaml.load(text, Loader=StrictYamlLoader)
    assert (
        str(fast.value)
        == str(pure.value)
        == "line 3, column 1: key 'a' appears twice (first on line 1)"
    )


def test_fails_with_the_pure_parsers_words_on_a_syntax_error() -> None:
    text = "a:\n  b: 1\n c: 2\n"
    with pytest.raises(DocumentError) as raised:
        load_yaml(text)
    with pytest.raises(yaml.YAMLError) as pure:
        yaml.load(text, Loader=StrictYamlLoader)
    assert str(pure.value.problem) in str(raised.value)  # type: ignore[attr-defined]
    assert str(raised.value).startswith("line 3, column 2: ")
