"""Rules on the Portainer side: roles, the one server, stack names."""

from __future__ import annotations

from collections.abc import Iterator

from ..errors import ConfigProblem
from ..fleet import Fleet
from ..guests import Vm, VmFeature
from ..hints import did_you_mean, listing
from ..types import normalize_stack_name
from .context import CheckContext, guest_location


def vm_roles(fleet: Fleet, ctx: CheckContext) -> Iterator[ConfigProblem]:
    """Portainer roles need Docker, a server, and static addresses the reconcile can reach."""
    portainer_missing = fleet.portainer is None and not ctx.invalid.section("portainer")
    for vmid, vm in sorted(fleet.guests.vms.items()):
        location = f"vms.{vmid}"
        has = set(vm.features)
        roles = has & {VmFeature.PORTAINER_SERVER, VmFeature.PORTAINER_AGENT}
        if roles and VmFeature.DOCKER not in has:
            names = " and ".join(sorted(role.value for role in roles))
            yield ConfigProblem(
                ctx.files.guests, f"{location}.features", f"{names} needs the docker feature"
            )
        if vm.stacks and VmFeature.PORTAINER_AGENT not in has:
            missing = [feature.value for feature in (VmFeature.DOCKER, VmFeature.PORTAINER_AGENT)]
            if VmFeature.DOCKER in has:
                missing.remove(VmFeature.DOCKER.value)
            yield ConfigProblem(
                ctx.files.guests,
                f"{location}.stacks",
                f"stacks run on a Docker host through a Portainer agent: add the "
                f"{' and '.join(missing)} feature{'s' if len(missing) > 1 else ''}",
            )
        if roles and vm.network.ip == "dhcp":
            yield ConfigProblem(
                ctx.files.guests,
                f"{location}.network.ip",
                "Portainer server and agents need a static address, not dhcp",
            )
        if portainer_missing and VmFeature.PORTAINER_SERVER in has:
            yield ConfigProblem(
                ctx.files.guests,
                f"{location}.features",
                f"portainer_server needs {ctx.files.portainer} (server name, version)",
            )
        elif portainer_missing and (vm.stacks or VmFeature.PORTAINER_AGENT in has):
            yield ConfigProblem(
                ctx.files.guests,
                f"{location}.stacks" if vm.stacks else f"{location}.features",
                f"Portainer agents and stacks need a Portainer server: {ctx.files.portainer} "
                "is missing",
            )


def _server_guest(fleet: Fleet, ctx: CheckContext, wanted: str) -> Iterator[ConfigProblem]:
    """The named server is a VM with the portainer_server feature, and the only one."""
    servers = fleet.vms_with(VmFeature.PORTAINER_SERVER)
    server = fleet.guest_named(wanted)
    if server is None:
        if not ctx.invalid.guest_may_be(wanted):
            names = [vm.name for _, vm in servers] or [vm.name for vm in fleet.guests.vms.values()]
            yield ConfigProblem(
                ctx.files.portainer,
                "server",
                f"no VM named {wanted!r} in {ctx.files.guests}{did_you_mean(wanted, names)}",
            )
    elif not isinstance(server.config, Vm):
        yield ConfigProblem(
            ctx.files.portainer,
            "server",
            f"{wanted!r} is {guest_location(server)}; the Portainer server runs on a VM",
        )
    elif VmFeature.PORTAINER_SERVER not in server.config.features:
        others = listing(f"{vm.name!r} (vms.{vmid})" for vmid, vm in servers)
        has_it = f"; {others} has it" if servers else ""
        yield ConfigProblem(
            ctx.files.portainer,
            "server",
            f"VM {wanted!r} ({guest_location(server)}) lacks the portainer_server feature{has_it}",
        )
    else:
        for vmid, vm in servers:
            if vm.name != wanted:
                yield ConfigProblem(
                    ctx.files.guests,
                    f"vms.{vmid}.features",
                    f"a fleet has one Portainer server, and {ctx.files.portainer} names {wanted!r}",
                )


def portainer_server(fleet: Fleet, ctx: CheckContext) -> Iterator[ConfigProblem]:
    """`portainer.yaml` names the one VM that runs the server."""
    portainer = fleet.portainer
    if portainer is None:
        return
    if not ctx.invalid.field("portainer", "server"):
        yield from _server_guest(fleet, ctx, portainer.server)
    ports_valid = not (
        ctx.invalid.field("portainer", "https_port") or ctx.invalid.field("portainer", "agent_port")
    )
    if ports_valid and portainer.https_port == portainer.agent_port:
        yield ConfigProblem(
            ctx.files.portainer, "agent_port", f"{portainer.agent_port} is also the https_port"
        )


def stack_names(fleet: Fleet, ctx: CheckContext) -> Iterator[ConfigProblem]:
    """Portainer lower-cases names and drops anything outside [-_a-z0-9]: catch it here."""
    names = list(fleet.stacks.stacks) + ctx.invalid.entry_keys("stacks", "stacks")
    normalized: dict[str, str] = {}
    # Names already in normal form first, so a clash names the stack that keeps its name.
    for name in sorted(names, key=lambda name: (normalize_stack_name(name) != name, name)):
        stored = normalize_stack_name(name)
        if not stored:
            yield ConfigProblem(
                ctx.files.stacks,
                f"stacks.{name}",
                "Portainer would store this stack with an empty name; use [-_a-z0-9] only",
            )
        elif stored != name:
            also = f" (so is stack {normalized[stored]!r})" if stored in normalized else ""
            yield ConfigProblem(
                ctx.files.stacks,
                f"stacks.{name}",
                f"Portainer would store this stack as {stored!r}{also}; use that name",
            )
        normalized.setdefault(stored, name)
