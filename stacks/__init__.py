"""Terraform stacks wiring Phoenix constructs from a validated Fleet."""

from cdk import App
from fleet import Fleet

from .infra import InfraStack
from .portainer import PortainerStack

INFRA_STACK_ID = "infra"
PORTAINER_STACK_ID = "portainer"


def build_stacks(app: App, fleet: Fleet) -> InfraStack:
    """Add every stack of the fleet to `app`: `infra`, then `portainer` when the fleet has a
    Portainer server. Stack ids name the state files: renaming one loses track of its state."""
    infra = InfraStack(app, INFRA_STACK_ID, fleet)
    if infra.desired_state_parts is not None:
        PortainerStack(app, PORTAINER_STACK_ID, infra)
    return infra


__all__ = ["INFRA_STACK_ID", "PORTAINER_STACK_ID", "InfraStack", "PortainerStack", "build_stacks"]
