"""PortainerReconcile: the post-apply step that converges Portainer onto the desired state."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from constructs import Construct

from cdk import DataResource, Fn, LocalExecProvisioner

from .terraform_json import terraform_json_rules
from .validation import check

DESIRED_STATE_ENV = "PHOENIX_DESIRED_STATE"
EXTRA_ARGS_ENV = "PHOENIX_RECONCILE_ARGS"


@dataclass(frozen=True, kw_only=True)
class PortainerReconcileProps:
    """Props of PortainerReconcile."""

    desired_state_json: str
    """The desired state as JSON text (docs/outputs.md), usually a reference to another stack's
    state, so this step runs after the guests exist."""
    project_dir: str = "../../.."
    """Project root relative to the synthesized stack directory (`cdktf.out/stacks/<stack>`).
    Default: three levels up."""
    python: str = ".venv/bin/python"
    """Interpreter with Phoenix's dependencies, relative to `project_dir`; `$PHOENIX_PYTHON`
    overrides it at apply time. Default: the project virtualenv."""
    extra_args: Sequence[str] = ()
    """More `python -m portainer reconcile` flags, e.g. `--prune`. Default: none."""


class PortainerReconcile(Construct):
    """A `terraform_data` whose `local-exec` runs `python -m portainer reconcile`.

    It is replaced, and so runs again, whenever the desired state's SHA-256 changes, or after a
    failed run (Terraform taints it). The desired state reaches the command through the
    environment (never argv); credentials (`PORTAINER_API_KEY`, ...) are inherited from the
    environment of whoever runs `cdktf deploy` and never enter the plan or the state.
    `$PHOENIX_RECONCILE_ARGS` adds flags at deploy time (e.g. `--prune` or
    `--agent-timeout 600`) without a new synth. To force a run:
    `terraform apply -replace=terraform_data.<id>`.

    Terraform address: `terraform_data.<id>`.
    """

    def __init__(self, scope: Construct, id_: str, props: PortainerReconcileProps) -> None:
        super().__init__(scope, id_)
        terraform_json_rules(self)
        check(
            f"portainer reconcile {id_}",
            [
                (
                    any(arg.startswith("--desired-state-env") for arg in props.extra_args),
                    "extra_args may not replace the desired-state source",
                ),
                (any("'" in arg for arg in props.extra_args), "extra_args must not contain quotes"),
            ],
        )
        flags = " ".join(f"'{arg}'" for arg in props.extra_args)
        # $PHOENIX_RECONCILE_ARGS is left unquoted on purpose: it holds several flags.
        command = (
            f'exec "${{PHOENIX_PYTHON:-{props.python}}}" -m portainer reconcile '
            f"--desired-state-env {DESIRED_STATE_ENV} {flags} ${{{EXTRA_ARGS_ENV}:-}}"
        ).replace("  ", " ")
        self.resource = DataResource(
            self,
            "resource",
            triggers_replace={"desired_state_sha256": Fn.sha256(props.desired_state_json)},
            provisioners=[
                LocalExecProvisioner(
                    type="local-exec",
                    interpreter=["/bin/sh", "-c"],
                    command=command,
                    working_dir=props.project_dir,
                    # Not secret by construction (secrets are env references); marking it
                    # nonsensitive keeps the reconcile's progress lines visible in the apply.
                    environment={
                        DESIRED_STATE_ENV: Fn.nonsensitive(Fn.base64gzip(props.desired_state_json))
                    },
                )
            ],
        )
        self.resource.override_logical_id(id_)
