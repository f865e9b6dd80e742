"""PortainerReconcile: the post-apply step that converges Portainer onto the desired state.

How the desired state reaches `python -m portainer reconcile` (docs/portainer.md, "How the
post-apply step gets the desired state"): Linux caps one environment string at 128 KiB and a
process's whole environment and argv at a quarter of its stack limit, so a large desired state
cannot reach one process through its environment. The infra stack keeps the JSON text as a list
of parts of at most `DESIRED_STATE_PART_CHARS` characters (`split_desired_state`). This step
reads that list through `terraform_remote_state`, and one `local-exec` per part appends its
part, passed in its environment, to a file in Terraform's working directory; the last one opens
the file as the reconcile's standard input, removes it and runs the reconcile, which checks the
SHA-256 of what it read against the one Terraform computed. Each process holds one part, so
there is no ceiling.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from constructs import Construct

from cdk import (
    DataResource,
    Fn,
    LocalExecProvisioner,
    Op,
    Precondition,
    TerraformResourceLifecycle,
    TerraformSelf,
    Token,
)

from .terraform_json import terraform_json_rules
from .validation import check

#: One part of the desired state's JSON text, as passed to one `local-exec` (ASCII, so bytes).
#: Linux refuses a single environment string over 128 KiB (MAX_ARG_STRLEN) and, with a small
#: stack limit, a whole environment over 128 KiB: half of that leaves room for the deployer's.
DESIRED_STATE_PART_CHARS = 64 * 1024
PART_ENV = "PHOENIX_DESIRED_STATE_PART"
SHA256_ENV = "PHOENIX_DESIRED_STATE_SHA256"
EXTRA_ARGS_ENV = "PHOENIX_RECONCILE_ARGS"
#: The file the parts are written to, in Terraform's working directory (the synthesized stack
#: directory); named after the digest so two workspaces applying different states never meet.
PARTS_FILE = f'".phoenix-desired-state-${SHA256_ENV}.json"'
_SOURCE_FLAGS = ("--desired-state", "--outputs-file")


def split_desired_state(text: str) -> list[str]:
    """`text` (the desired state as ASCII JSON) in parts of `DESIRED_STATE_PART_CHARS`.

    ASCII keeps a part's size in bytes equal to its length, so no part can exceed the
    environment limit; `json.dumps` escapes everything else (`ensure_ascii`).
    """
    if not text.isascii():
        raise ValueError("the desired state must be ASCII JSON (json.dumps with ensure_ascii)")
    size = DESIRED_STATE_PART_CHARS
    return [text[start : start + size] for start in range(0, len(text), size)] or [""]


def _part(parts: Sequence[str], index: int, count: float) -> list[str]:
    """`[parts[index]]`, or `[]` when the state holds fewer parts (never wrapping around)."""
    return Token.as_list(Fn.slice(parts, Fn.min([index, count]), Fn.min([index + 1, count])))


@dataclass(frozen=True, kw_only=True)
class PortainerReconcileProps:
    """Props of PortainerReconcile."""

    desired_state_parts: Sequence[str]
    """The desired state's JSON text (docs/outputs.md) as `split_desired_state` cuts it: a list
    token, usually a reference to another stack's state, so this step runs after the guests
    exist."""
    part_count: int
    """How many parts `split_desired_state` made at synthesis. The state may hold fewer parts
    (it is then read whole) but not more: the plan fails, saying so, before anything runs."""
    project_dir: str = "../../.."
    """Project root relative to the synthesized stack directory (`cdktf.out/stacks/<stack>`).
    Default: three levels up."""
    python: str = ".venv/bin/python"
    """Interpreter with Phoenix's dependencies, relative to `project_dir`; `$PHOENIX_PYTHON`
    overrides it at apply time. Default: the project virtualenv."""
    extra_args: Sequence[str] = ()
    """More `python -m portainer reconcile` flags, e.g. `--prune`. Default: none."""


class PortainerReconcile(Construct):
    """A `terraform_data` whose last `local-exec` runs `python -m portainer reconcile`.

    It is replaced, and so runs again, whenever the desired state's SHA-256 changes, or after a
    failed run (Terraform taints it, and every provisioner runs again on the next apply, on
    whichever machine). The desired state reaches the command part by part through the
    environment and a file in Terraform's working directory (never argv; see the module
    docstring); credentials (`PORTAINER_API_KEY`, ...) are inherited from the environment of
    whoever runs `cdktf deploy` and never enter the plan or the state.
    `$PHOENIX_RECONCILE_ARGS` adds flags at deploy time (e.g. `--prune` or
    `--agent-timeout 600`) without a new synth. To force a run:
    `terraform apply -replace=terraform_data.<id>`.

    Terraform address: `terraform_data.<id>`.
    """

    def __init__(self, scope: Construct, id_: str, props: PortainerReconcileProps) -> None:
        super().__init__(scope, id_)
        terraform_json_rules(scope)
        check(
            f"portainer reconcile {id_}",
            [
                (
                    any(arg.startswith(_SOURCE_FLAGS) for arg in props.extra_args),
                    "extra_args may not replace the desired-state source",
                ),
                (any("'" in arg for arg in props.extra_args), "extra_args must not contain quotes"),
                ("'" in props.project_dir, "project_dir must not contain quotes"),
                (props.part_count < 1, f"part_count {props.part_count} must be at least 1"),
            ],
        )
        parts = props.desired_state_parts
        count = Fn.length_of(parts)
        text = Fn.join("", parts)
        # The trigger, computed once: every process reads it rather than hashing the state again.
        digest = Fn.nonsensitive(TerraformSelf.get_string("triggers_replace.desired_state_sha256"))
        writers = [
            LocalExecProvisioner(
                type="local-exec",
                interpreter=["/bin/sh", "-c"],
                command=(
                    f"umask 077 && printf '%s' \"${PART_ENV}\" "
                    f"{'>' if index == 0 else '>>'} {PARTS_FILE}"
                ),
                environment={
                    # Part `index` if the state has one: a state with fewer parts is whole. Not
                    # secret by construction (secrets are env references); nonsensitive keeps
                    # the reconcile's progress lines visible in the apply.
                    PART_ENV: Fn.nonsensitive(Fn.join("", _part(parts, index, count))),
                    SHA256_ENV: digest,
                },
            )
            for index in range(props.part_count)
        ]
        flags = " ".join(f"'{arg}'" for arg in props.extra_args)
        # Standard input is the file, already unlinked: once the reconcile starts, nothing is
        # left behind, whatever its outcome.
        # $PHOENIX_RECONCILE_ARGS is left unquoted on purpose: it holds several flags.
        command = (
            f"exec <{PARTS_FILE} && rm -f {PARTS_FILE} && cd '{props.project_dir}' && "
            f'exec "${{PHOENIX_PYTHON:-{props.python}}}" -m portainer reconcile '
            f'--outputs-file - --desired-state-sha256 "${SHA256_ENV}" {flags} '
            f"${{{EXTRA_ARGS_ENV}:-}}"
        ).replace("  ", " ")
        reconcile = LocalExecProvisioner(
            type="local-exec",
            interpreter=["/bin/sh", "-c"],
            command=command,
            environment={SHA256_ENV: digest},
        )
        self.resource = DataResource(
            self,
            "resource",
            triggers_replace={"desired_state_sha256": Fn.sha256(text)},
            lifecycle=TerraformResourceLifecycle(
                precondition=[
                    Precondition(
                        condition=Fn.nonsensitive(Op.lte(count, props.part_count)),
                        error_message=(
                            "The infra stack's state holds the desired Portainer state in "
                            f"{Token.as_string(Fn.nonsensitive(count))} parts; this synthesis of "
                            f"the post-apply step reads at most {props.part_count}: infra was "
                            "applied from other configs. "
                            "Synthesize both stacks from the same configs and deploy infra "
                            "first (cdktf deploy infra portainer)."
                        ),
                    )
                ]
            ),
            provisioners=[*writers, reconcile],
        )
        self.resource.override_logical_id(id_)
