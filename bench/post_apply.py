"""Post-apply handoff benchmark: how the desired state reaches the reconcile, through Terraform.

For the largest desired states the benchmark makes (the reconcile part's agents x stacks, and
the largest generated fleet), it synthesizes the two stacks the way Phoenix wires them: an
`infra` stack holding only the desired state's `json_parts` (`terraform_data`) and the
`portainer` stack with `PortainerReconcile` reading it through `terraform_remote_state` (local
backend). Terraform applies `infra` once, then `portainer` in cold processes forced with
`-replace`; the reconcile is replaced by a sink that checks the SHA-256 of what it reads on
standard input (`$PHOENIX_PYTHON`), so the time is the handoff's alone: Terraform reading the
state, one `local-exec` per part, the file, the check. Also reported: the size of the
`base64gzip` text the step used to pass in one environment variable (Linux refuses more than
128 KiB there).
"""

from __future__ import annotations

import base64
import gzip
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.measure import CommandFailedError, run_cold
from bench.stats import median

#: Linux's limit for one environment string (MAX_ARG_STRLEN, 32 pages of 4 KiB).
ENV_STRING_LIMIT = 128 * 1024
SINK = """#!/bin/sh
# Stands in for the reconcile: reads the desired state on stdin and checks its digest.
[ "$(sha256sum | cut -d' ' -f1)" = "$PHOENIX_DESIRED_STATE_SHA256" ] || {
  echo "desired state does not match its digest" >&2
  exit 1
}
"""


@dataclass(frozen=True)
class HandoffCase:
    """One desired state handed over by Terraform."""

    name: str
    agents: int
    stacks: int
    json_bytes: int
    base64gzip_bytes: int
    parts: int
    apply_s: tuple[float, ...]

    @property
    def best_s(self) -> float:
        return min(self.apply_s)

    @property
    def median_s(self) -> float:
        return median(self.apply_s)


@dataclass(frozen=True)
class PostApplyResults:
    """Every handoff case, with the Terraform that ran them."""

    terraform: str
    """Its version line (`Terraform v1.15.5`), else the binary's path."""
    cases: tuple[HandoffCase, ...]


def desired_text(desired: Mapping[str, Any]) -> str:
    """The desired state as the infra stack writes it (stacks/infra.py)."""
    return json.dumps(desired, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def synthesize(desired_json: str, outdir: Path) -> None:
    """The infra stack's handoff and the post-apply stack, into `outdir` (cdktf.out)."""
    from cdk import App, DataResource, LocalBackend, TerraformStack, Token
    from constructs_lib.portainer_reconcile import (
        PortainerReconcile,
        PortainerReconcileProps,
        split_desired_state,
    )
    from constructs_lib.terraform_json import terraform_json_rules
    from stacks.state import local_state_path

    app = App(outdir=str(outdir))
    infra = TerraformStack(app, "infra")
    terraform_json_rules(infra)  # compose text is literal to Terraform, as in InfraStack
    LocalBackend(infra, path=local_state_path("infra"))
    parts = split_desired_state(desired_json)
    state = DataResource(infra, "portainer_desired_state", input={"json_parts": parts})
    portainer = TerraformStack(app, "portainer")
    terraform_json_rules(portainer)
    LocalBackend(portainer, path=local_state_path("portainer"))
    PortainerReconcile(
        portainer,
        "portainer_reconcile",
        PortainerReconcileProps(
            desired_state_parts=Token.as_list(state.output.lookup("json_parts")),
            part_count=len(parts),
        ),
    )
    app.synth()


def measure_case(
    name: str,
    desired: Mapping[str, Any],
    terraform: str,
    env: Mapping[str, str],
    workdir: Path,
    repeats: int,
) -> HandoffCase:
    """Apply the handoff of `desired` `repeats` times in cold Terraform processes."""
    from constructs_lib.portainer_reconcile import DESIRED_STATE_PART_CHARS

    root = workdir / name
    root.mkdir(parents=True)
    text = desired_text(desired)
    synthesize(text, root / "cdktf.out")
    sink = root / "reconcile-sink"
    sink.write_text(SINK, encoding="utf-8")
    sink.chmod(0o755)
    config = root / ".terraformrc"
    config.write_text("", encoding="utf-8")
    run_env = {
        **env,
        "PHOENIX_PYTHON": str(sink),
        "TF_CLI_CONFIG_FILE": str(config),
        "TF_IN_AUTOMATION": "1",
    }
    stacks = root / "cdktf.out" / "stacks"

    def terraform_run(stack: str, *args: str) -> float:
        result = run_cold(
            [terraform, *args], env=run_env, cwd=stacks / stack, timeout_s=600, check=False
        )
        if result.returncode != 0:
            raise CommandFailedError(
                f"terraform {' '.join(args)} ({stack}, {name}) exited {result.returncode}:\n"
                f"{result.stdout[-2000:]}{result.stderr[-2000:]}"
            )
        return result.wall_s

    for stack in ("infra", "portainer"):
        terraform_run(stack, "init", "-input=false", "-no-color")
    terraform_run("infra", "apply", "-auto-approve", "-input=false", "-no-color")
    terraform_run("portainer", "apply", "-auto-approve", "-input=false", "-no-color")
    times = tuple(
        terraform_run(
            "portainer",
            "apply",
            "-auto-approve",
            "-input=false",
            "-no-color",
            "-replace=terraform_data.portainer_reconcile",
        )
        for _ in range(repeats)
    )
    agents = desired.get("agents", [])
    return HandoffCase(
        name=name,
        agents=len(agents),
        stacks=sum(len(agent["stacks"]) for agent in agents),
        json_bytes=len(text),
        base64gzip_bytes=len(base64.b64encode(gzip.compress(text.encode("ascii")))),
        parts=-(-len(text) // DESIRED_STATE_PART_CHARS),
        apply_s=times,
    )


def run_post_apply(
    env: Mapping[str, str],
    workdir: Path,
    *,
    terraform: str,
    states: Mapping[str, Mapping[str, Any]],
    repeats: int,
    log: Callable[[str], None],
) -> PostApplyResults:
    """Measure the handoff of every desired state in `states` (name -> desired state)."""
    workdir.mkdir(parents=True, exist_ok=True)
    version = run_cold([terraform, "version"], env=env, cwd=workdir, timeout_s=60, check=False)
    lines = version.stdout.splitlines()
    described = lines[0].strip() if lines else terraform
    cases = []
    for name, desired in states.items():
        log(f"post-apply: {name}")
        cases.append(measure_case(name, desired, terraform, env, workdir, repeats))
    return PostApplyResults(terraform=described, cases=tuple(cases))


def fleet_desired_state(directory: Path, guests: int) -> dict[str, Any]:
    """The desired state of the generated fleet of `guests` guests (`bench.fleetgen`)."""
    from bench.fleetgen import generate
    from fleet import load_fleet
    from stacks.outputs import portainer_desired_state

    generate(directory, guests)
    desired = portainer_desired_state(load_fleet(directory))
    if desired is None:
        raise ValueError(f"the generated fleet of {guests} guests has no Portainer")
    return desired
