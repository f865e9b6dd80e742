"""PortainerStack: the post-apply step, fed by the infra stack's state."""

from __future__ import annotations

from constructs import Construct

from cdk import TerraformStack
from constructs_lib.portainer_reconcile import PortainerReconcile, PortainerReconcileProps
from constructs_lib.terraform_json import terraform_json_rules

from .infra import InfraStack
from .state import state_backend


class PortainerStack(TerraformStack):
    """Converges Portainer after `infra` is applied.

    The desired state is a cross-stack reference to the infra stack's `terraform_data`, so cdktf
    orders the deploys and this stack reads the value from infra's state
    (`terraform_remote_state`, through the fleet's state backend), not from a copy made at
    synth time; only the number of its parts comes from the synthesis (docs/portainer.md).
    """

    def __init__(self, scope: Construct, id_: str, infra: InfraStack) -> None:
        super().__init__(scope, id_)
        terraform_json_rules(self)
        if infra.desired_state_parts is None:
            raise ValueError("the infra stack has no Portainer desired state to reconcile")
        # The same backend as infra's: reading its state and keeping this one's go together.
        state_backend(self, infra.fleet.state, id_)
        self.reconcile = PortainerReconcile(
            self,
            "portainer_reconcile",
            PortainerReconcileProps(
                desired_state_parts=infra.desired_state_parts,
                part_count=infra.desired_state_part_count,
            ),
        )
