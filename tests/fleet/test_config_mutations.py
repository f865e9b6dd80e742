"""Configs nobody wrote a case for: seeded random edits of the reference and example configs
either load, or fail with a report of one problem per line, each naming a file of the config
directory. Never a traceback, and never a line that config text split or forged.

The edits are deterministic: a failing test id is the seed that replays it. Each edit is one
change to one file (compose files included): a value replaced by one of a hostile few, an
entry removed or duplicated, a key misspelt, or the file's text damaged at some position.
"""

from __future__ import annotations

import copy
import random
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from fleet import FleetConfigError, load_fleet
from tests.conftest import ROOT

FLEETS = [ROOT / "configs", *sorted(p for p in (ROOT / "examples").iterdir() if p.is_dir())]
EDITS_PER_SEED = 10
VALUES: list[Any] = [
    None, "", -1, 0, 2.0, 2**40, True, [], {}, ["a"], {"a": 1}, "x" * 300,
    "10.0.0.1", "10.0.0.0/24", 167772161, "${var.secret}", "%{ if true }x%{ endif }",
    "a\nb", "\u202e", "\x00", "0x10", "yes", "../../etc/passwd", 9000, 101, 65536,
]  # fmt: skip
TEXT_DAMAGE = ["\t", "&a ", "*a", "!!binary ", "{", "]", "'", '"', "#", "\ufeff", "\x00", ": "]


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every key path inside a YAML document."""
    if prefix:
        yield prefix
    if isinstance(node, dict):
        for key, child in node.items():
            yield from _paths(child, (*prefix, key))
    elif isinstance(node, list):
        for index, child in enumerate(node):
            yield from _paths(child, (*prefix, index))


def _edit_document(document: Any, rnd: random.Random) -> Any:
    paths = list(_paths(document))
    if not paths:
        return rnd.choice(VALUES)
    *parents, key = rnd.choice(paths)
    parent = document
    for part in parents:
        parent = parent[part]
    roll = rnd.random()
    if roll < 0.2 and isinstance(parent, dict):
        del parent[key]
    elif roll < 0.3 and isinstance(parent, list):
        parent.append(copy.deepcopy(parent[key]))
    elif roll < 0.35 and isinstance(parent, dict):
        parent[f"{key}_typo"] = parent[key]
    else:
        parent[key] = copy.deepcopy(rnd.choice(VALUES))
    return document


def _edit(config_dir: Path, rnd: random.Random) -> None:
    # Half the edits go to compose files: one or two per fleet against five or six configs.
    configs = sorted(config_dir.glob("*.yaml"))
    composes = sorted(config_dir.glob("stacks/**/*.y*ml"))
    target = rnd.choice(composes if composes and rnd.random() < 0.5 else configs)
    text = target.read_text(encoding="utf-8")
    if rnd.random() < 0.3:
        position = rnd.randrange(len(text) + 1)
        target.write_text(text[:position] + rnd.choice(TEXT_DAMAGE) + text[position:])
        return
    document = _edit_document(yaml.safe_load(text), rnd)
    target.write_text(yaml.safe_dump(document, sort_keys=False, allow_unicode=True))


@pytest.mark.parametrize("seed", range(80))
def test_a_random_edit_loads_or_is_reported_line_by_line(seed: int, tmp_path: Path) -> None:
    rnd = random.Random(seed)
    for attempt in range(EDITS_PER_SEED):
        # GIVEN a copy of a shipped fleet with one random edit
        config_dir = tmp_path / f"edit-{attempt}"
        shutil.copytree(rnd.choice(FLEETS), config_dir)
        _edit(config_dir, rnd)
        # WHEN it loads THEN it is a fleet, or a config error (anything else fails the test)
        try:
            load_fleet(config_dir)
            continue
        except FleetConfigError as error:
            report = error.report().splitlines()
            problems = error.problems
        # AND the report has one line per problem, each naming a file of the directory
        assert len(report) == len(problems)
        for line, problem in zip(report, problems, strict=True):
            assert line.startswith(f"{problem.file}: ")
            assert Path(problem.file).resolve().is_relative_to(config_dir.resolve()), line
