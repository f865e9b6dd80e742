"""The libyaml fast path reads every document exactly like the pure-Python strict loader."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from fleet.documents import (
    DocumentError,
    StrictYamlLoader,
    _FastStrictYamlLoader,
    load_json,
    load_yaml,
)
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


def test_fails_with_the_pure_parsers_position_on_a_syntax_error() -> None:
    # GIVEN a line indented one space short: libyaml and the pure parser both stop there
    text = "a:\n  b: 1\n c: 2\n"
    with pytest.raises(DocumentError) as raised:
        load_yaml(text)
    with pytest.raises(yaml.MarkedYAMLError) as pure:
        yaml.load(text, Loader=StrictYamlLoader)
    mark = pure.value.problem_mark
    assert mark is not None
    # THEN the message points at the same place, in words rather than parser tokens
    assert str(raised.value) == (
        f"line {mark.line + 1}, column {mark.column + 1}: this line is indented differently "
        "from the lines before it"
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a: 1\nb: 'open\nc: 2\nd: 3\n", "line 2, column 4: the quote opened here is never closed"),
        ("a: [1, 2\nb: 3\n", "line 1, column 4: the '[' opened here is never closed"),
        ("? [1003, 1004]\n: x\n", "line 1, column 3: a key must be text or a number, not a list"),
        ("a: " + "9" * 5000 + "\n", "line 1, column 4: a number of 5000 digits is too long"),
        ("&a [*a]\n", "line 1, column 1: an alias refers to the value that contains it"),
        ("a:\n\tb: 1\n", "line 2, column 1: a tab cannot indent YAML; use spaces"),
    ],
    ids=["unclosed quote", "unclosed bracket", "list as key", "huge number", "self alias", "tab"],
)
def test_fails_at_the_line_of_the_mistake(text: str, message: str) -> None:
    with pytest.raises(DocumentError, match="^" + re.escape(message)):
        load_yaml(text)


def test_fails_when_aliases_would_multiply_the_document() -> None:
    # GIVEN a "billion laughs": six levels of nine aliases each (9**6 values expanded)
    lines = ['a0: &a0 ["x","x","x","x","x","x","x","x","x"]']
    for level in range(1, 6):
        aliases = ",".join([f"*a{level - 1}"] * 9)
        lines.append(f"a{level}: &a{level} [{aliases}]")
    # WHEN it is read THEN it is refused at the alias that crosses the limit, unexpanded
    with pytest.raises(DocumentError, match="aliases expand the document past 100,000 values"):
        load_yaml("\n".join(lines) + "\n")


def test_json_numbers_are_bounded_too() -> None:
    with pytest.raises(DocumentError, match=r"^line 2: a number of 40 digits is too long"):
        load_json('{"a": 1,\n "b": ' + "1" * 40 + "}")
