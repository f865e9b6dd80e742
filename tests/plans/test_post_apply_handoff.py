"""How the desired state reaches the post-apply command, run by real Terraform.

PortainerReconcile's parts come from a sensitive list variable here (in Phoenix, infra's state
through `terraform_remote_state`), and `$PHOENIX_PYTHON` is a script that records what the
reconcile would receive: its standard input, its arguments and its environment.
"""

from __future__ import annotations

import hashlib
import json
import random
import string
from pathlib import Path

from cdktf import DataResource, TerraformStack, TerraformVariable, Token

from constructs_lib.portainer_reconcile import (
    DESIRED_STATE_PART_CHARS,
    PART_ENV,
    PortainerReconcile,
    PortainerReconcileProps,
    split_desired_state,
)
from tests.plan import make_app, synth_json
from tests.terraform import terraform, terraform_binary, terraform_env

RECORDER = """#!/bin/sh
cat > "$RECORD_DIR/stdin"
printf '%s\\n' "$@" > "$RECORD_DIR/args"
env > "$RECORD_DIR/env"
"""


def desired_text(chars: int) -> str:
    """ASCII JSON of about `chars` characters, the same every run."""
    rng = random.Random(chars)
    alphabet = string.ascii_letters + string.digits + "+/${}%"
    return json.dumps({"compose": "".join(rng.choice(alphabet) for _ in range(chars))})


class Handoff:
    """A stack holding only PortainerReconcile, synthesized for `part_count` parts.

    The parts come from a sensitive variable (`apply(text)`), or, with `written`, from a
    `terraform_data` in the stack holding them as text in the JSON, as the infra stack does.
    """

    def __init__(self, root: Path, part_count: int, written: str | None = None) -> None:
        self.root = root
        self.workdir = root / "stack"
        self.records = root / "records"
        self.workdir.mkdir(parents=True)
        self.records.mkdir()
        scope = TerraformStack(make_app(str(root / "synth")), "portainer")
        if written is None:
            variable = TerraformVariable(scope, "parts", type="list(string)", sensitive=True)
            parts = Token.as_list(variable.list_value)
        else:
            state = DataResource(scope, "state", input={"parts": split_desired_state(written)})
            parts = Token.as_list(state.output.lookup("parts"))
        PortainerReconcile(
            scope,
            "portainer_reconcile",
            PortainerReconcileProps(
                desired_state_parts=parts,
                part_count=part_count,
                project_dir="..",
            ),
        )
        (self.workdir / "cdk.tf.json").write_text(json.dumps(synth_json(scope)), encoding="utf-8")
        recorder = root / "recorder"
        recorder.write_text(RECORDER, encoding="utf-8")
        recorder.chmod(0o755)
        self.env = terraform_env(
            root, {"PHOENIX_PYTHON": str(recorder), "RECORD_DIR": str(self.records)}
        )
        terraform(self.workdir, "init", "-input=false", env=self.env)

    def apply(self, text: str | None = None, *, expect_failure: bool = False) -> str:
        if text is not None:
            (self.workdir / "terraform.tfvars.json").write_text(
                json.dumps({"parts": split_desired_state(text)}), encoding="utf-8"
            )
        result = terraform(
            self.workdir,
            "apply",
            "-auto-approve",
            "-input=false",
            "-no-color",
            env=self.env,
            expect_failure=expect_failure,
        )
        return result.stdout + result.stderr

    def received(self) -> tuple[str, list[str], str]:
        """Standard input, arguments and environment of the last reconcile run."""
        return (
            (self.records / "stdin").read_text(encoding="utf-8"),
            (self.records / "args").read_text(encoding="utf-8").splitlines(),
            (self.records / "env").read_text(encoding="utf-8"),
        )


def test_the_reconcile_reads_the_whole_desired_state_on_stdin_with_its_digest(
    tmp_path: Path,
) -> None:
    terraform_binary()
    # GIVEN a desired state of four parts (`${` and `%{` included) and a step synthesized for it
    text = desired_text(3 * DESIRED_STATE_PART_CHARS + 1000)
    handoff = Handoff(tmp_path, part_count=len(split_desired_state(text)))
    assert len(split_desired_state(text)) == 4
    # WHEN Terraform applies it
    output = handoff.apply(text)
    # THEN the reconcile got exactly the text on stdin, and Terraform's SHA-256 to check it by
    stdin, args, env = handoff.received()
    assert stdin == text
    digest = hashlib.sha256(text.encode("ascii")).hexdigest()
    reconcile = ["-m", "portainer", "reconcile", "--outputs-file", "-"]
    assert args == [*reconcile, "--desired-state-sha256", digest]
    # AND no part is in its environment, nothing of the state in argv or the log, no file left
    assert PART_ENV not in env
    assert text[:200] not in output
    assert text[-200:] not in output
    assert list(handoff.workdir.glob(".phoenix-desired-state-*")) == []
    assert "Apply complete! Resources: 1 added" in output

    # WHEN applied again unchanged THEN nothing runs
    assert "No changes." in handoff.apply(text)
    # WHEN the desired state changes THEN the step runs again with the new one
    changed = text.replace("a", "b", 1)
    assert "1 added, 0 changed, 1 destroyed" in handoff.apply(changed)
    assert handoff.received()[0] == changed


def test_template_sequences_cut_between_parts_arrive_as_written(tmp_path: Path) -> None:
    terraform_binary()
    # GIVEN a state whose first part ends in `$` and `%` and the next starts with `{`, written
    # into the synthesized JSON as literal text (Terraform would evaluate `${` and `%{`)
    prefix = '{"compose":"'
    first = prefix + "x" * (DESIRED_STATE_PART_CHARS - len(prefix) - 1) + "$"
    text = first + '{HOME} $${USER} %{ if true }%%{x}"}'
    assert split_desired_state(text)[0][-1] == "$"
    handoff = Handoff(tmp_path, part_count=2, written=text)
    # WHEN Terraform applies it THEN the reconcile reads the text unchanged
    handoff.apply()
    assert handoff.received()[0] == text


def test_a_state_with_fewer_parts_than_synthesized_is_read_whole(tmp_path: Path) -> None:
    terraform_binary()
    # GIVEN a step synthesized for five parts and a state (from other configs) of two
    handoff = Handoff(tmp_path, part_count=5)
    text = desired_text(DESIRED_STATE_PART_CHARS + 10)
    # WHEN Terraform applies it THEN the reconcile reads the state whole
    handoff.apply(text)
    assert handoff.received()[0] == text


def test_fails_when_the_state_has_more_parts_than_synthesized(tmp_path: Path) -> None:
    terraform_binary()
    # GIVEN a step synthesized for one part and a state (from other configs) of three
    handoff = Handoff(tmp_path, part_count=1)
    text = desired_text(2 * DESIRED_STATE_PART_CHARS + 10)
    # WHEN Terraform plans it THEN it stops before running anything, saying what to do
    output = handoff.apply(text, expect_failure=True)
    assert "Resource precondition failed" in output
    assert "holds the desired Portainer state in 3 parts" in output
    assert "reads at most 1" in output
    assert "cdktf deploy infra portainer" in output
    assert not (handoff.records / "stdin").exists()
