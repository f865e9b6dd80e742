"""Terraform stacks wiring Phoenix constructs from a validated Fleet."""

from cdktf import App

from fleet import Fleet

from .infra import InfraStack

INFRA_STACK_ID = "infra"


def build_stacks(app: App, fleet: Fleet) -> InfraStack:
    """Add every stack of the fleet to `app`. Stack ids are part of the state layout."""
    return InfraStack(app, INFRA_STACK_ID, fleet)


__all__ = ["INFRA_STACK_ID", "InfraStack", "build_stacks"]
