"""Fleet-wide rules no single file can check: uniqueness, references, addresses, roles.

Each rule is a small function yielding problems, so every mistake is reported in one run. Rules
see only what validated; they ask `InvalidParts` before blaming a reference to something that
was declared but is already reported as invalid.
"""

from __future__ import annotations

import contextlib
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from ipaddress import IPv4Address

from .errors import ConfigProblem
from .fleet import Fleet, Guest, GuestKind
from .guests import Container, GuestNetwork, Vm, VmFeature
from .hints import did_you_mean, listing
from .invalid import InvalidParts
from .messages import looks_secret
from .types import normalize_stack_name


@dataclass(frozen=True)
class ConfigFiles:
    """Display paths of the config files, for messages."""

    proxmox: str
    guests: str
    stacks: str
    portainer: str
    gateway: str


@dataclass(frozen=True)
class CheckContext:
    """What rules need besides the fleet: file names and what was already found invalid."""

    files: ConfigFiles
    invalid: InvalidParts = field(default_factory=InvalidParts)
    positions: Mapping[tuple[str, str], Sequence[int]] = field(default_factory=dict)
    """(file, list field) -> original index of each item that validated."""

    def position(self, section: str, name: str, index: int) -> int:
        """The index an item had in the file, before invalid items were dropped."""
        positions = self.positions.get((section, name))
        return positions[index] if positions is not None else index


Rule = Callable[[Fleet, CheckContext], Iterable[ConfigProblem]]

_SECTION = {GuestKind.VM: "vms", GuestKind.CONTAINER: "containers", GuestKind.TEMPLATE: "templates"}


def _location(guest: Guest) -> str:
    return f"{_SECTION[guest.kind]}.{guest.vmid}"


def _nic_guests(fleet: Fleet) -> Iterator[tuple[Guest, Vm | Container]]:
    for guest in fleet.all_guests():
        if isinstance(guest.config, (Vm, Container)):
            yield guest, guest.config


def unique_vmids(fleet: Fleet, ctx: CheckContext) -> Iterator[ConfigProblem]:
    """VMs, containers and templates share one VMID space on a Proxmox cluster."""
    owners: dict[int, list[str]] = defaultdict(list)
    for section in ("templates", "vms", "containers"):
        declared = list(getattr(fleet.guests, section)) + ctx.invalid.entry_keys("guests", section)
        for vmid in declared:
            owners[vmid].append(section)
    for vmid, sections in sorted(owners.items()):
        for section in sections[1:]:
            yield ConfigProblem(
                ctx.files.guests,
                f"{section}.{vmid}",
                f"VMID {vmid} is already used by {sections[0]}.{vmid} "
                "(templates, VMs and containers share one VMID space)",
            )


def unique_names(fleet: Fleet, ctx: CheckContext) -> Iterator[ConfigProblem]:
    """Guest names become host names and Portainer environment names."""
    named: list[tuple[int, str, str]] = [
        (guest.vmid, _location(guest), guest.name) for guest in fleet.all_guests()
    ]
    for section, key, raw in ctx.invalid.guest_entries():
        written = raw.get("name") if isinstance(raw, dict) else None
        if isinstance(key, int) and isinstance(written, str):
            named.append((key, f"{section}.{key}", written.strip()))
    seen: dict[str, str] = {}
    for _, location, name in sorted(named):
        if name in seen:
            yield ConfigProblem(
                ctx.files.guests,
                f"{location}.name",
                f"name {name!r} is already used by {seen[name]}",
            )
        else:
            seen[name] = location


def _network_name(fleet: Fleet, ctx: CheckContext, nic: GuestNetwork) -> str | None:
    """The network a NIC joins when that is known for sure, else None (reported elsewhere)."""
    if ctx.invalid.field("proxmox", "networks"):
        return None
    if nic.network is not None:
        return nic.network if nic.network in fleet.proxmox.networks else None
    declared = list(fleet.proxmox.networks) + ctx.invalid.invalid_key_names("proxmox", "networks")
    return declared[0] if len(declared) == 1 and declared[0] in fleet.proxmox.networks else None


def unique_addresses(fleet: Fleet, ctx: CheckContext) -> Iterator[ConfigProblem]:
    """A static address is unique on its network; a MAC is unique everywhere."""
    ips: dict[tuple[str | None, IPv4Address], str] = {}
    macs: dict[str, str] = {}
    for guest, config in _nic_guests(fleet):
        location = _location(guest)
        nic = config.network
        if nic.address is not None:
            key = (_network_name(fleet, ctx, nic), nic.address)
            if key in ips:
                yield ConfigProblem(
                    ctx.files.guests,
                    f"{location}.network.ip",
                    f"address {nic.address} is already used by {ips[key]}",
                )
            else:
                ips[key] = location
        if nic.mac is not None:
            if nic.mac in macs:
                yield ConfigProblem(
                    ctx.files.guests,
                    f"{location}.network.mac",
                    f"MAC {nic.mac} is already used by {macs[nic.mac]}",
                )
            else:
                macs[nic.mac] = location


def _infrastructure_addresses(fleet: Fleet) -> dict[IPv4Address, str]:
    """Addresses that belong to the cluster itself, by what holds them."""
    taken: dict[IPv4Address, str] = {}
    for name, node in fleet.proxmox.nodes.items():
        with contextlib.suppress(ValueError):  # a DNS name is nobody's guest address
            taken[IPv4Address(node.address)] = f"the address of node {name}"
    if fleet.proxmox.nfs is not None:
        taken.setdefault(fleet.proxmox.nfs.address, "the NFS server's address")
    return taken


def addresses_inside_networks(fleet: Fleet, ctx: CheckContext) -> Iterator[ConfigProblem]:
    """Each NIC joins a declared network; static addresses and gateways fit inside it."""
    if ctx.invalid.field("proxmox", "networks"):
        return
    networks = fleet.proxmox.networks
    declared = list(networks) + ctx.invalid.invalid_key_names("proxmox", "networks")
    taken = _infrastructure_addresses(fleet)
    for guest, config in _nic_guests(fleet):
        location = f"{_location(guest)}.network"
        nic = config.network
        if nic.network is None and len(declared) > 1:
            yield ConfigProblem(
                ctx.files.guests,
                f"{location}.network",
                f"required: {ctx.files.proxmox} declares several networks ({listing(declared)})",
            )
            continue
        if nic.network is not None and nic.network not in networks:
            if not ctx.invalid.entry("proxmox", "networks", nic.network):
                yield ConfigProblem(
                    ctx.files.guests,
                    f"{location}.network",
                    f"unknown network {nic.network!r}{did_you_mean(nic.network, networks)} "
                    f"({ctx.files.proxmox} declares {listing(networks)})",
                )
            continue
        if not networks:
            continue  # the only network is invalid, and reported
        network = fleet.network(config)
        if nic.ip == "dhcp":
            if nic.gateway is not None:
                yield ConfigProblem(
                    ctx.files.guests, f"{location}.gateway", "a gateway needs a static ip, not dhcp"
                )
            continue
        cidr = network.cidr
        address = nic.ip.ip
        if address not in cidr:
            yield ConfigProblem(
                ctx.files.guests, f"{location}.ip", f"{nic.ip} is outside network {cidr}"
            )
        elif nic.ip.network.prefixlen != cidr.prefixlen:
            yield ConfigProblem(
                ctx.files.guests,
                f"{location}.ip",
                f"{nic.ip} has prefix /{nic.ip.network.prefixlen}, "
                f"network {cidr} has /{cidr.prefixlen}",
            )
        elif address in (cidr.network_address, cidr.broadcast_address):
            yield ConfigProblem(
                ctx.files.guests,
                f"{location}.ip",
                f"{address} is the network or broadcast address of {cidr}",
            )
        gateway = nic.gateway or network.gateway
        if nic.gateway is not None and nic.gateway not in cidr:
            yield ConfigProblem(
                ctx.files.guests,
                f"{location}.gateway",
                f"gateway {nic.gateway} is outside network {cidr}",
            )
        if gateway is not None and gateway == address:
            yield ConfigProblem(
                ctx.files.guests, f"{location}.ip", f"{address} is the gateway of network {cidr}"
            )
        elif address in taken:
            yield ConfigProblem(
                ctx.files.guests, f"{location}.ip", f"{address} is {taken[address]}"
            )


def known_nodes(fleet: Fleet, ctx: CheckContext) -> Iterator[ConfigProblem]:
    """Every guest lives on a declared node; with several nodes it must say which."""
    if ctx.invalid.field("proxmox", "nodes"):
        return
    nodes = fleet.proxmox.nodes
    declared = list(nodes) + ctx.invalid.invalid_key_names("proxmox", "nodes")
    for guest in fleet.all_guests():
        location = f"{_location(guest)}.node"
        node = guest.config.node
        if node is None and len(declared) > 1:
            yield ConfigProblem(
                ctx.files.guests,
                location,
                f"required: {ctx.files.proxmox} declares several nodes ({listing(declared)})",
            )
        elif (
            node is not None
            and node not in nodes
            and not ctx.invalid.entry("proxmox", "nodes", node)
        ):
            yield ConfigProblem(
                ctx.files.guests,
                location,
                f"unknown node {node!r}{did_you_mean(node, nodes)} "
                f"({ctx.files.proxmox} declares {listing(nodes)})",
            )


def unique_node_addresses(fleet: Fleet, ctx: CheckContext) -> Iterator[ConfigProblem]:
    """Two nodes cannot share the address Terraform's SSH connects to."""
    seen: dict[str, str] = {}
    for name, node in fleet.proxmox.nodes.items():
        if node.address in seen:
            yield ConfigProblem(
                ctx.files.proxmox,
                f"nodes.{name}.address",
                f"{node.address} is already the address of node {seen[node.address]}",
            )
        seen.setdefault(node.address, name)


def vm_references(fleet: Fleet, ctx: CheckContext) -> Iterator[ConfigProblem]:
    """A VM clones a declared template, runs declared stacks, and mounts from a declared NFS."""
    templates = fleet.guests.templates
    stacks = fleet.stacks.stacks
    # A stack declared as `Qdrant` is reported by stack_names; `qdrant` is its right name.
    renamed = {
        normalize_stack_name(name)
        for name in [*stacks, *ctx.invalid.entry_keys("stacks", "stacks")]
        if normalize_stack_name(name) != name
    }
    for vmid, vm in sorted(fleet.guests.vms.items()):
        location = f"vms.{vmid}"
        if vm.template in templates:
            template = templates[vm.template]
            if vm.disk_gib < template.disk_gib:
                yield ConfigProblem(
                    ctx.files.guests,
                    f"{location}.disk_gib",
                    f"{vm.disk_gib} GiB is smaller than template {vm.template}'s disk "
                    f"({template.disk_gib} GiB); Proxmox can only grow a cloned disk",
                )
        elif not ctx.invalid.entry("guests", "templates", vm.template):
            yield ConfigProblem(
                ctx.files.guests,
                f"{location}.template",
                f"template {vm.template} is not declared{did_you_mean(vm.template, templates)} "
                f"(templates: {listing(sorted(templates))})",
            )
        for index, stack in enumerate(vm.stacks):
            if (
                stack not in stacks
                and stack not in renamed
                and not ctx.invalid.stack_unusable(stack)
            ):
                yield ConfigProblem(
                    ctx.files.guests,
                    f"{location}.stacks.{index}",
                    f"stack {stack!r} is not declared in {ctx.files.stacks}"
                    f"{did_you_mean(stack, stacks)}",
                )
        if vm.volumes and fleet.proxmox.nfs is None and not ctx.invalid.field("proxmox", "nfs"):
            yield ConfigProblem(
                ctx.files.guests,
                f"{location}.volumes",
                f"NFS volumes need an nfs server in {ctx.files.proxmox}",
            )


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
            f"{wanted!r} is {_location(server)}; the Portainer server runs on a VM",
        )
    elif VmFeature.PORTAINER_SERVER not in server.config.features:
        others = listing(f"{vm.name!r} (vms.{vmid})" for vmid, vm in servers)
        has_it = f"; {others} has it" if servers else ""
        yield ConfigProblem(
            ctx.files.portainer,
            "server",
            f"VM {wanted!r} ({_location(server)}) lacks the portainer_server feature{has_it}",
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


# Variable names and values that are secrets by any reasonable reading.
_SECRET_NAME = re.compile(
    r"(PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|PRIVATE_?KEY|ACCESS_?KEY|CREDENTIAL)"
)
# `${OTHER}` passes a reference through; `*_FILE` names a file holding the secret.
_REFERENCE = re.compile(r"^\$\{[A-Za-z_][A-Za-z0-9_]*\}$")


def no_inline_secrets(fleet: Fleet, ctx: CheckContext) -> Iterator[ConfigProblem]:
    """Stack secrets are `{from_env: NAME}` references, never values in the config."""
    for name, stack in sorted(fleet.stacks.stacks.items()):
        for variable, value in sorted(stack.env.items()):
            text = value.value
            if text is None or _REFERENCE.match(text):
                continue
            secret_name = _SECRET_NAME.search(variable.upper()) and not variable.upper().endswith(
                "_FILE"
            )
            if secret_name or looks_secret(text):
                yield ConfigProblem(
                    ctx.files.stacks,
                    f"stacks.{name}.env.{variable}",
                    "looks like a secret written inline; use {from_env: VARIABLE} and set it "
                    "where the reconcile runs",
                )


def containers_privilege(fleet: Fleet, ctx: CheckContext) -> Iterator[ConfigProblem]:
    """A privileged container is a deliberate, explained choice."""
    for ctid, container in sorted(fleet.guests.containers.items()):
        location = f"containers.{ctid}"
        if not container.unprivileged and not container.privileged_reason:
            yield ConfigProblem(
                ctx.files.guests,
                f"{location}.unprivileged",
                "privileged containers can take over the node; set privileged_reason to say "
                "why it is needed",
            )
        if container.unprivileged and container.privileged_reason:
            yield ConfigProblem(
                ctx.files.guests,
                f"{location}.privileged_reason",
                "only meaningful with unprivileged: false",
            )
        if container.unprivileged and container.features.mount:
            yield ConfigProblem(
                ctx.files.guests,
                f"{location}.features.mount",
                "unprivileged containers cannot mount nfs/cifs; use bind_mounts from the node",
            )


def _ports_known(fleet: Fleet, ctx: CheckContext, guest: Guest) -> bool:
    """False when some of the guest's ports come from parts already reported as invalid."""
    config = guest.config
    if not isinstance(config, Vm):
        return True
    if any(
        stack not in fleet.compose or ctx.invalid.stack_unusable(stack) for stack in config.stacks
    ):
        return False
    roles = {VmFeature.PORTAINER_SERVER, VmFeature.PORTAINER_AGENT} & set(config.features)
    if not roles:
        return True
    # Role ports come from portainer.yaml; when it is missing or invalid that is reported.
    portainer_ports = ("https_port", "agent_port")
    return fleet.portainer is not None and not any(
        ctx.invalid.field("portainer", name) for name in portainer_ports
    )


def gateway_routes(fleet: Fleet, ctx: CheckContext) -> Iterator[ConfigProblem]:
    """The gateway is a container with a static address; routes reach declared guest ports."""
    gateway = fleet.gateway
    if gateway is None:
        return
    files = ctx.files
    if not ctx.invalid.field("gateway", "guest"):
        host = fleet.guest_named(gateway.guest)
        containers = [ct.name for ct in fleet.guests.containers.values()]
        if host is None:
            if not ctx.invalid.guest_may_be(gateway.guest):
                yield ConfigProblem(
                    files.gateway,
                    "guest",
                    f"no container named {gateway.guest!r} in {files.guests}"
                    f"{did_you_mean(gateway.guest, containers)}",
                )
        elif host.kind is not GuestKind.CONTAINER:
            yield ConfigProblem(
                files.gateway,
                "guest",
                f"{gateway.guest!r} is {_location(host)}; the gateway runs in a container",
            )
        elif host.address is None:
            yield ConfigProblem(
                files.gateway, "guest", f"{gateway.guest!r} needs a static address, not dhcp"
            )
        elif isinstance(host.config, Container) and not host.config.ssh_keys:
            yield ConfigProblem(
                files.guests,
                f"{_location(host)}.ssh_keys",
                f"required: the gateway site ({files.gateway}) is installed over SSH as root; "
                "list the public keys of whoever deploys",
            )
    seen: dict[tuple[str | None, str], int] = {}
    guests = [guest.name for guest in fleet.all_guests() if guest.kind is not GuestKind.TEMPLATE]
    for index, route in enumerate(gateway.routes):
        location = f"routes.{ctx.position('gateway', 'routes', index)}"
        key = (route.host, route.path or "/")  # a host route without a path takes all of it
        if key in seen:
            yield ConfigProblem(
                files.gateway, location, f"same host and path as routes.{seen[key]}"
            )
        seen.setdefault(key, ctx.position("gateway", "routes", index))
        target = fleet.guest_named(route.to.guest)
        if target is None:
            if not ctx.invalid.guest_may_be(route.to.guest):
                yield ConfigProblem(
                    files.gateway,
                    f"{location}.to.guest",
                    f"no guest named {route.to.guest!r} in {files.guests}"
                    f"{did_you_mean(route.to.guest, guests)}",
                )
            continue
        if target.kind is GuestKind.TEMPLATE:
            yield ConfigProblem(
                files.gateway,
                f"{location}.to.guest",
                f"{route.to.guest!r} is a template ({_location(target)}); templates do not run",
            )
            continue
        if target.address is None:
            yield ConfigProblem(
                files.gateway,
                f"{location}.to.guest",
                f"{route.to.guest!r} needs a static address, not dhcp",
            )
        ports = fleet.declared_ports(target)
        if route.to.port not in ports and _ports_known(fleet, ctx, target):
            yield ConfigProblem(
                files.gateway,
                f"{location}.to.port",
                f"{route.to.guest} does not declare port {route.to.port} "
                f"(declared: {listing(sorted(ports))}); publish it in a stack or list it in "
                "the guest's ports",
            )


RULES: tuple[Rule, ...] = (
    unique_vmids,
    unique_names,
    unique_addresses,
    addresses_inside_networks,
    known_nodes,
    unique_node_addresses,
    vm_references,
    vm_roles,
    portainer_server,
    stack_names,
    no_inline_secrets,
    containers_privilege,
    gateway_routes,
)


def check_fleet(fleet: Fleet, ctx: CheckContext) -> list[ConfigProblem]:
    """Run every rule; return all problems found."""
    return [problem for rule in RULES for problem in rule(fleet, ctx)]
