"""Config text reaches Terraform as literal text, whatever field it is written in.

The fields are found by walking the loaded fleet's models, not listed by hand: every string
field of every config object is tried with Terraform template syntax; each one the config
rules accept must come out of synthesis escaped, so Terraform never evaluates it.
"""

from __future__ import annotations

import copy
import itertools
import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import BaseModel

from fleet import FleetConfigError, load_fleet
from fleet.documents import load_yaml
from tests.conftest import ROOT
from tests.plan import synth_files

Path_ = tuple[str | int, ...]
FILES = ("proxmox", "guests", "stacks", "portainer", "gateway")


def probe(number: int) -> str:
    """Template syntax Terraform would evaluate: an interpolation and a directive."""
    return f'probe{number} ${{file("~/.ssh/id_ed25519")}} %{{ if probe{number} }}x%{{ endif }}'


def string_fields(value: Any, path: Path_ = ()) -> Iterator[tuple[Path_, str]]:
    """(path, field name) of every field whose type admits text, in every config object."""
    if isinstance(value, BaseModel):
        for name, info in type(value).model_fields.items():
            if "str" in str(info.annotation):
                yield (*path, name), name
            yield from string_fields(getattr(value, name), (*path, name))
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from string_fields(item, (*path, key))
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            yield from string_fields(item, (*path, index))


def documents(config_dir: Path) -> dict[str, dict[str, Any]]:
    return {
        name: load_yaml((config_dir / f"{name}.yaml").read_text(encoding="utf-8")) for name in FILES
    }


def write(config_dir: Path, docs: dict[str, dict[str, Any]]) -> None:
    for name, document in docs.items():
        (config_dir / f"{name}.yaml").write_text(yaml.safe_dump(document), encoding="utf-8")


def put(document: dict[str, Any], path: Path_, text: str) -> None:
    """Set `path` to `text`, spelling a short form (`NAME: value`) out as a mapping."""
    node: Any = document
    for part, following in itertools.pairwise(path):
        child = node.get(part) if isinstance(node, dict) else node[part]
        if isinstance(following, str) and not isinstance(child, dict):
            child = {}
            node[part] = child
        node = child
    node[path[-1]] = text


@pytest.fixture(scope="module")
def injected(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[str], dict[str, Any]]:
    """The reference fleet with a probe in every string field that accepts one, synthesized."""
    config_dir = tmp_path_factory.mktemp("injected") / "configs"
    shutil.copytree(ROOT / "configs", config_dir)
    fleet = load_fleet(config_dir)
    base = documents(config_dir)
    sections = {
        "proxmox": fleet.proxmox,
        "guests": fleet.guests,
        "stacks": fleet.stacks,
        "portainer": fleet.portainer,
        "gateway": fleet.gateway,
    }
    accepted: list[tuple[str, Path_, str]] = []
    for file, model in sections.items():
        for path, _ in string_fields(model):
            number = len(accepted)
            trial = copy.deepcopy(base)
            put(trial[file], path, probe(number))
            write(config_dir, trial)
            try:
                load_fleet(config_dir)
            except FleetConfigError:
                continue  # the field's own rules refuse template syntax: nothing to escape
            accepted.append((file, path, probe(number)))
    combined = copy.deepcopy(base)
    for file, path, text in accepted:
        put(combined[file], path, text)
    write(config_dir, combined)
    compose = config_dir / "stacks" / "qdrant" / "compose.yaml"
    compose.write_text(compose.read_text(encoding="utf-8") + f"# {probe(999)}\n", "utf-8")
    stacks = synth_files(load_fleet(config_dir), config_dir.parent / "cdktf.out")
    labels = [f"{file}: {'.'.join(map(str, path))}" for file, path, _ in accepted]
    return labels, stacks


def test_free_text_fields_were_found_by_walking_the_model(
    injected: tuple[list[str], dict[str, Any]],
) -> None:
    labels, _ = injected
    # Among them the ones a pull request is most likely to abuse.
    for expected in (
        "guests: vms.1002.description",
        "guests: vms.1002.firewall.rules.0.comment",
        "stacks: stacks.qdrant.env.QDRANT__LOG_LEVEL.value",
    ):
        assert expected in labels


def test_every_probe_reaches_terraform_escaped(injected: tuple[list[str], dict[str, Any]]) -> None:
    labels, stacks = injected
    text = json.dumps(stacks)
    reached = 0
    for number in [*range(len(labels)), 999]:
        # An unescaped `${` or `%{` right before the probe would be evaluated by Terraform.
        assert not re.search(r"(?<!\$)\$\{file\(\\\"~/.ssh/id_ed25519\\\"\)\}", text)
        assert not re.search(rf"(?<!%)%\{{ if probe{number} }}", text)
        if f"%%{{ if probe{number} }}" in text:
            reached += 1
    assert reached >= 10, "most probes reach the plan (descriptions, comments, env, compose)"
