"""PortainerReconcile: the desired state in parts, one `local-exec` each, then the reconcile."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from cdktf import TerraformStack, TerraformVariable, Token

from constructs_lib import PropsError
from constructs_lib.portainer_reconcile import (
    DESIRED_STATE_PART_CHARS,
    PortainerReconcile,
    PortainerReconcileProps,
    split_desired_state,
)
from tests.plan import make_app, resource, synth_json


def synth_reconcile(tmp_path: Path, part_count: int, *extra_args: str) -> dict[str, Any]:
    scope = TerraformStack(make_app(str(tmp_path)), "test")
    parts = TerraformVariable(scope, "parts", type="list(string)", sensitive=True)
    PortainerReconcile(
        scope,
        "portainer_reconcile",
        PortainerReconcileProps(
            desired_state_parts=Token.as_list(parts.list_value),
            part_count=part_count,
            extra_args=extra_args,
        ),
    )
    return resource(synth_json(scope), "terraform_data", "portainer_reconcile")


def test_splits_the_desired_state_into_parts_that_join_back() -> None:
    # GIVEN a desired state of two and a half parts
    text = "x" * (2 * DESIRED_STATE_PART_CHARS + DESIRED_STATE_PART_CHARS // 2)
    # WHEN it is split THEN three parts, none over the limit, join back to it
    parts = split_desired_state(text)
    assert [len(part) for part in parts] == [
        DESIRED_STATE_PART_CHARS,
        DESIRED_STATE_PART_CHARS,
        DESIRED_STATE_PART_CHARS // 2,
    ]
    assert "".join(parts) == text
    assert split_desired_state('{"a":1}') == ['{"a":1}']


def test_fails_when_the_desired_state_is_not_ascii() -> None:
    # A part's size in bytes must be its length, or a part could pass the environment limit
    with pytest.raises(ValueError, match="ASCII"):
        split_desired_state('{"a":"é"}')


def test_one_writer_per_part_then_the_reconcile(tmp_path: Path) -> None:
    # WHEN the step is synthesized for three parts with a flag
    data = synth_reconcile(tmp_path, 3, "--prune")
    commands = [provisioner["local-exec"]["command"] for provisioner in data["provisioner"]]
    # THEN the first part creates the file, the next two append, and the reconcile runs last
    assert len(commands) == 4
    assert " > " in commands[0]
    assert all(" >> " in command for command in commands[1:3])
    assert commands[3].startswith("exec <")
    assert "reconcile --outputs-file - --desired-state-sha256" in commands[3]
    assert "'--prune'" in commands[3]
    # AND the number of parts is checked before anything runs
    (precondition,) = data["lifecycle"]["precondition"]
    assert "<= 3" in precondition["condition"]
    # AND every process starts in Terraform's working directory, where the file is
    assert all("working_dir" not in p["local-exec"] for p in data["provisioner"])


@pytest.mark.parametrize(
    ("part_count", "extra_args", "message"),
    [
        (1, ("--outputs-file", "x.json"), "may not replace the desired-state source"),
        (1, ("--desired-state-sha256=0",), "may not replace the desired-state source"),
        (1, ("--label='x'",), "must not contain quotes"),
        (0, (), "part_count 0 must be at least 1"),
    ],
)
def test_fails_when_props_cannot_work(
    tmp_path: Path, part_count: int, extra_args: tuple[str, ...], message: str
) -> None:
    with pytest.raises(PropsError, match=message):
        synth_reconcile(tmp_path, part_count, *extra_args)
