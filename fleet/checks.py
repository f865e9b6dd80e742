"""Fleet-wide rules no single file can check: uniqueness, references, addresses, roles.

Each rule is a small function yielding problems, so every mistake is reported in one run.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from .errors import ConfigProblem
from .fleet import Fleet, GuestKind
from .guests import Container, Vm, VmFeature
from .types import normalize_stack_name


@dataclass(frozen=True)
class ConfigFiles:
    """Display paths of the config files, for messages."""

    proxmox: str
    guests: str
    stacks: str
    portainer: str
    gateway: str


Rule = Callable[[Fleet, ConfigFiles], Iterable[ConfigProblem]]


def _guest_location(kind: GuestKind, vmid: int) -> str:
    section = {GuestKind.VM: "vms", GuestKind.CONTAINER: "containers"}.get(kind, "templates")
    return f"{section}.{vmid}"


def unique_vmids(fleet: Fleet, files: ConfigFiles) -> Iterator[ConfigProblem]:
    """VMs, containers and templates share one VMID space on a Proxmox cluster."""
    owners: dict[int, list[str]] = defaultdict(list)
    for section, ids in (
        ("templates", fleet.guests.templates),
        ("vms", fleet.guests.vms),
        ("containers", fleet.guests.containers),
    ):
        for vmid in ids:
            owners[vmid].append(section)
    for vmid, sections in sorted(owners.items()):
        for section in sections[1:]:
            yield ConfigProblem(
                files.guests, f"{section}.{vmid}", f"VMID {vmid} is already used in {sections[0]}"
            )


def unique_names(fleet: Fleet, files: ConfigFiles) -> Iterator[ConfigProblem]:
    seen: dict[str, str] = {}
    for guest in fleet.all_guests():
        location = _guest_location(guest.kind, guest.vmid)
        if guest.name in seen:
            yield ConfigProblem(
                files.guests, f"{location}.name", f"name {guest.name!r} is already used by {seen[guest.name]}"
            )
        else:
            seen[guest.name] = location


def unique_addresses(fleet: Fleet, files: ConfigFiles) -> Iterator[ConfigProblem]:
    ips: dict[str, str] = {}
    macs: dict[str, str] = {}
    for guest in fleet.all_guests():
        if not isinstance(guest.config, (Vm, Container)):
            continue
        location = _guest_location(guest.kind, guest.vmid)
        nic = guest.config.network
        if nic.address is not None:
            key = str(nic.address)
            if key in ips:
                yield ConfigProblem(
                    files.guests, f"{location}.network.ip", f"address {key} is already used by {ips[key]}"
                )
            else:
                ips[key] = location
        if nic.mac is not None:
            if nic.mac in macs:
                yield ConfigProblem(
                    files.guests, f"{location}.network.mac", f"MAC {nic.mac} is already used by {macs[nic.mac]}"
                )
            else:
                macs[nic.mac] = location


def addresses_inside_networks(fleet: Fleet, files: ConfigFiles) -> Iterator[ConfigProblem]:
    networks = fleet.proxmox.networks
    for guest in fleet.all_guests():
        if not isinstance(guest.config, (Vm, Container)):
            continue
        location = f"{_guest_location(guest.kind, guest.vmid)}.network"
        nic = guest.config.network
        if nic.network is None and len(networks) > 1:
            yield ConfigProblem(
                files.guests,
                f"{location}.network",
                f"required: {files.proxmox} declares several networks ({', '.join(networks)})",
            )
            continue
        if nic.network is not None and nic.network not in networks:
            yield ConfigProblem(
                files.guests,
                f"{location}.network",
                f"unknown network {nic.network!r}; {files.proxmox} declares {', '.join(networks)}",
            )
            continue
        network = fleet.network(guest.config)
        if nic.ip == "dhcp":
            if nic.gateway is not None:
                yield ConfigProblem(files.guests, f"{location}.gateway", "a gateway needs a static ip")
            continue
        cidr = network.cidr
        if nic.ip.ip not in cidr:
            yield ConfigProblem(files.guests, f"{location}.ip", f"{nic.ip} is outside network {cidr}")
        elif nic.ip.network.prefixlen != cidr.prefixlen:
            yield ConfigProblem(
                files.guests,
                f"{location}.ip",
                f"{nic.ip} has prefix /{nic.ip.network.prefixlen}, network {cidr} has /{cidr.prefixlen}",
            )
        elif nic.ip.ip in (cidr.network_address, cidr.broadcast_address):
            yield ConfigProblem(
                files.guests, f"{location}.ip", f"{nic.ip.ip} is the network or broadcast address of {cidr}"
            )
        gateway = nic.gateway or network.gateway
        if gateway is not None and gateway not in cidr:
            yield ConfigProblem(files.guests, f"{location}.gateway", f"gateway {gateway} is outside network {cidr}")
        if gateway is not None and gateway == nic.ip.ip:
            yield ConfigProblem(files.guests, f"{location}.ip", f"{nic.ip.ip} is the network's gateway")


def known_nodes(fleet: Fleet, files: ConfigFiles) -> Iterator[ConfigProblem]:
    nodes = fleet.proxmox.nodes
    for guest in fleet.all_guests():
        location = _guest_location(guest.kind, guest.vmid)
        node = guest.config.node
        if node is None and len(nodes) > 1:
            yield ConfigProblem(
                files.guests, f"{location}.node", f"required: {files.proxmox} declares several nodes ({', '.join(nodes)})"
            )
        elif node is not None and node not in nodes:
            yield ConfigProblem(
                files.guests, f"{location}.node", f"unknown node {node!r}; {files.proxmox} declares {', '.join(nodes)}"
            )


def vm_references(fleet: Fleet, files: ConfigFiles) -> Iterator[ConfigProblem]:
    templates = fleet.guests.templates
    for vmid, vm in sorted(fleet.guests.vms.items()):
        if vm.template not in templates:
            known = ", ".join(str(t) for t in templates) or "none"
            yield ConfigProblem(
                files.guests, f"vms.{vmid}.template", f"template {vm.template} is not declared (templates: {known})"
            )
        elif vm.disk_gib < templates[vm.template].disk_gib:
            yield ConfigProblem(
                files.guests,
                f"vms.{vmid}.disk_gib",
                f"{vm.disk_gib} GiB is smaller than template {vm.template}'s disk "
                f"({templates[vm.template].disk_gib} GiB); Proxmox can only grow a cloned disk",
            )
        for index, stack in enumerate(vm.stacks):
            if stack not in fleet.stacks.stacks:
                yield ConfigProblem(
                    files.guests, f"vms.{vmid}.stacks.{index}", f"stack {stack!r} is not declared in {files.stacks}"
                )
        if vm.volumes and fleet.proxmox.nfs is None:
            yield ConfigProblem(
                files.guests, f"vms.{vmid}.volumes", f"NFS volumes need an nfs server in {files.proxmox}"
            )


def vm_roles(fleet: Fleet, files: ConfigFiles) -> Iterator[ConfigProblem]:
    """Portainer roles need Docker, a server, and static addresses the reconcile can reach."""
    for vmid, vm in sorted(fleet.guests.vms.items()):
        location = f"vms.{vmid}"
        has = set(vm.features)
        needs_docker = has & {VmFeature.PORTAINER_SERVER, VmFeature.PORTAINER_AGENT}
        if needs_docker and VmFeature.DOCKER not in has:
            roles = " and ".join(sorted(feature.value for feature in needs_docker))
            yield ConfigProblem(files.guests, f"{location}.features", f"{roles} needs the docker feature")
        if vm.stacks and VmFeature.PORTAINER_AGENT not in has:
            yield ConfigProblem(
                files.guests, f"{location}.stacks", "stacks are deployed through Portainer: add the portainer_agent feature"
            )
        if vm.stacks and VmFeature.DOCKER not in has:
            yield ConfigProblem(files.guests, f"{location}.stacks", "stacks need the docker feature")
        if (has & {VmFeature.PORTAINER_SERVER, VmFeature.PORTAINER_AGENT}) and vm.network.ip == "dhcp":
            yield ConfigProblem(
                files.guests, f"{location}.network.ip", "Portainer server and agents need a static address, not dhcp"
            )
        if (vm.stacks or VmFeature.PORTAINER_AGENT in has) and fleet.portainer is None:
            yield ConfigProblem(
                files.guests,
                f"{location}.features" if not vm.stacks else f"{location}.stacks",
                f"Portainer agents and stacks need a Portainer server: {files.portainer} is missing",
            )


def portainer_server(fleet: Fleet, files: ConfigFiles) -> Iterator[ConfigProblem]:
    servers = fleet.vms_with(VmFeature.PORTAINER_SERVER)
    if fleet.portainer is None:
        for vmid, _ in servers:
            yield ConfigProblem(
                files.guests, f"vms.{vmid}.features", f"portainer_server needs {files.portainer} (version, admin user)"
            )
        return
    wanted = fleet.portainer.server
    server = fleet.guest_named(wanted)
    if server is None or server.kind is not GuestKind.VM:
        yield ConfigProblem(files.portainer, "server", f"no VM named {wanted!r} in {files.guests}")
    elif not isinstance(server.config, Vm) or VmFeature.PORTAINER_SERVER not in server.config.features:
        yield ConfigProblem(
            files.portainer, "server", f"VM {wanted!r} (vms.{server.vmid}) lacks the portainer_server feature"
        )
    for vmid, vm in servers:
        if vm.name != wanted:
            yield ConfigProblem(
                files.guests, f"vms.{vmid}.features", f"portainer_server is on {wanted!r} ({files.portainer}); only one server"
            )
    if fleet.portainer.https_port == fleet.portainer.agent_port:
        yield ConfigProblem(files.portainer, "agent_port", "must differ from https_port")


def stack_names(fleet: Fleet, files: ConfigFiles) -> Iterator[ConfigProblem]:
    """Portainer lower-cases names and drops anything outside [-_a-z0-9]: catch it here."""
    normalized: dict[str, str] = {}
    for name in fleet.stacks.stacks:
        stored = normalize_stack_name(name)
        if not stored:
            yield ConfigProblem(files.stacks, f"stacks.{name}", "Portainer would store this stack with an empty name")
        elif stored != name:
            yield ConfigProblem(
                files.stacks, f"stacks.{name}", f"Portainer would store this stack as {stored!r}; use that name"
            )
        elif stored in normalized:
            yield ConfigProblem(files.stacks, f"stacks.{name}", f"same Portainer name as stack {normalized[stored]!r}")
        normalized.setdefault(stored, name)


# Variable names and values that are secrets by any reasonable reading.
_SECRET_NAME = re.compile(r"(PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|PRIVATE_?KEY|ACCESS_?KEY|CREDENTIAL)")
_SECRET_VALUE = re.compile(r"(^ptr_[A-Za-z0-9+/=]{16,}|PVEAPIToken=|-----BEGIN [A-Z ]*PRIVATE KEY-----)")


def no_inline_secrets(fleet: Fleet, files: ConfigFiles) -> Iterator[ConfigProblem]:
    for name, stack in sorted(fleet.stacks.stacks.items()):
        for variable, value in sorted(stack.env.items()):
            if value.value is None:
                continue  # a {from_env: ...} reference
            if _SECRET_NAME.search(variable.upper()) or _SECRET_VALUE.search(value.value):
                yield ConfigProblem(
                    files.stacks,
                    f"stacks.{name}.env.{variable}",
                    "looks like a secret written inline; use {from_env: VARIABLE} and set it where the reconcile runs",
                )


def containers_privilege(fleet: Fleet, files: ConfigFiles) -> Iterator[ConfigProblem]:
    for ctid, container in sorted(fleet.guests.containers.items()):
        location = f"containers.{ctid}"
        if not container.unprivileged and not container.privileged_reason:
            yield ConfigProblem(
                files.guests,
                f"{location}.unprivileged",
                "privileged containers can take over the node; set privileged_reason to say why it is needed",
            )
        if container.unprivileged and container.privileged_reason:
            yield ConfigProblem(
                files.guests, f"{location}.privileged_reason", "only meaningful with unprivileged: false"
            )
        if container.unprivileged and container.features.mount:
            yield ConfigProblem(
                files.guests,
                f"{location}.features.mount",
                "unprivileged containers cannot mount nfs/cifs; use bind_mounts from the node",
            )


def gateway_routes(fleet: Fleet, files: ConfigFiles) -> Iterator[ConfigProblem]:
    gateway = fleet.gateway
    if gateway is None:
        return
    host = fleet.guest_named(gateway.guest)
    if host is None or host.kind is not GuestKind.CONTAINER:
        yield ConfigProblem(files.gateway, "guest", f"no container named {gateway.guest!r} in {files.guests}")
    elif host.address is None:
        yield ConfigProblem(files.gateway, "guest", f"{gateway.guest!r} needs a static address, not dhcp")
    seen: dict[tuple[str | None, str | None], int] = {}
    for index, route in enumerate(gateway.routes):
        location = f"routes.{index}"
        key = (route.host, route.path)
        if key in seen:
            yield ConfigProblem(files.gateway, location, f"same host and path as routes.{seen[key]}")
        seen.setdefault(key, index)
        target = fleet.guest_named(route.to.guest)
        if target is None or target.kind is GuestKind.TEMPLATE:
            yield ConfigProblem(files.gateway, f"{location}.to.guest", f"no guest named {route.to.guest!r} in {files.guests}")
            continue
        if target.address is None:
            yield ConfigProblem(files.gateway, f"{location}.to.guest", f"{route.to.guest!r} needs a static address, not dhcp")
        ports = fleet.declared_ports(target)
        if route.to.port not in ports:
            declared = ", ".join(str(port) for port in sorted(ports)) or "none"
            yield ConfigProblem(
                files.gateway,
                f"{location}.to.port",
                f"{route.to.guest} does not declare port {route.to.port} (declared: {declared}); "
                "publish it in a stack or list it in the guest's ports",
            )


RULES: tuple[Rule, ...] = (
    unique_vmids,
    unique_names,
    unique_addresses,
    addresses_inside_networks,
    known_nodes,
    vm_references,
    vm_roles,
    portainer_server,
    stack_names,
    no_inline_secrets,
    containers_privilege,
    gateway_routes,
)


def check_fleet(fleet: Fleet, files: ConfigFiles) -> list[ConfigProblem]:
    """Run every rule; return all problems found."""
    return [problem for rule in RULES for problem in rule(fleet, files)]
