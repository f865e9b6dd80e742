"""Rules between stacks.yaml, its compose files and the guests that run them."""

from __future__ import annotations

from collections.abc import Iterator

from ..errors import ConfigProblem
from ..fleet import Fleet
from ..guests import VmFeature
from ..hints import listing
from ..stacks import RESERVED_ENV_PREFIX
from .context import CheckContext


def compose_variables_defined(fleet: Fleet, ctx: CheckContext) -> Iterator[ConfigProblem]:
    """Every `${VARIABLE}` a compose file needs is a variable of its stack: Compose would
    otherwise substitute an empty string and the service starts misconfigured."""
    for name, stack in sorted(fleet.stacks.stacks.items()):
        compose = fleet.compose.get(name)
        if compose is None or ctx.invalid.entry("stacks", "stacks", name):
            continue
        missing = sorted(
            variable
            for variable in compose.variables
            if variable not in stack.env and not variable.startswith(RESERVED_ENV_PREFIX)
        )
        if missing:
            names = listing(f"${{{variable}}}" for variable in missing)
            yield ConfigProblem(
                ctx.files.stacks,
                f"stacks.{name}.env",
                f"compose file {compose.path} uses {names} without a default, and the stack "
                "does not define "
                + ("it" if len(missing) == 1 else "them")
                + " (Compose would substitute an empty string)",
            )


def stacks_leave_portainer_ports(fleet: Fleet, ctx: CheckContext) -> Iterator[ConfigProblem]:
    """A stack cannot publish the port the Portainer agent (or server) listens on: the
    container would not start, or would take the port from Portainer."""
    portainer = fleet.portainer
    if portainer is None:
        return
    for vmid, vm in sorted(fleet.guests.vms.items()):
        taken: dict[int, str] = {}
        if VmFeature.PORTAINER_AGENT in vm.features:
            taken[portainer.agent_port] = "the Portainer agent's port"
        if VmFeature.PORTAINER_SERVER in vm.features:
            taken[portainer.https_port] = "the Portainer server's port"
        for index, stack in enumerate(vm.stacks):
            compose = fleet.compose.get(stack)
            if compose is None:
                continue
            for port in sorted(compose.published_ports & set(taken)):
                yield ConfigProblem(
                    ctx.files.guests,
                    f"vms.{vmid}.stacks.{index}",
                    f"stack {stack!r} publishes port {port}, {taken[port]} on {vm.name} "
                    f"({ctx.files.portainer})",
                )


def probes_reach_published_ports(fleet: Fleet, ctx: CheckContext) -> Iterator[ConfigProblem]:
    """A health probe asks a port the stack publishes: any other port of the guest belongs to
    something else, or to nothing."""
    for name, stack in sorted(fleet.stacks.stacks.items()):
        compose = fleet.compose.get(name)
        if compose is None:
            continue  # the compose file's own problem is reported where it is declared
        for index, probe in enumerate(stack.health.probes):
            if probe.port not in compose.published_ports:
                published = listing(sorted(compose.published_ports))
                yield ConfigProblem(
                    ctx.files.stacks,
                    f"stacks.{name}.health.probes.{index}.port",
                    f"compose file {compose.path} does not publish port {probe.port} "
                    f"(published: {published}); a probe reaches the stack through a port its "
                    "compose file publishes",
                )
