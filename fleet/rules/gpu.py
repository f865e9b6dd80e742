"""Rules on GPUs: declared on the guest's node, not taken twice at boot, passed through the
way Proxmox allows, and present where a stack reserves one."""

from __future__ import annotations

from collections.abc import Iterator

from ..errors import ConfigProblem
from ..fleet import Fleet, Guest, GuestKind
from ..guests import Container, Vm
from ..hints import did_you_mean, listing
from .context import CheckContext, guest_location

_GPU_DISTRIBUTIONS = ("debian", "ubuntu")


def _gpu_guests(fleet: Fleet) -> Iterator[tuple[Guest, Vm | Container]]:
    """VMs and containers that list GPUs, ordered by VMID."""
    for guest in fleet.all_guests():
        if isinstance(guest.config, (Vm, Container)) and guest.config.gpus:
            yield guest, guest.config


def _node_known(fleet: Fleet, ctx: CheckContext, config: Vm | Container) -> str | None:
    """The guest's node when it validated, else None (reported elsewhere)."""
    if ctx.invalid.field("proxmox", "nodes"):
        return None
    declared = list(fleet.proxmox.nodes) + ctx.invalid.invalid_key_names("proxmox", "nodes")
    if config.node is None and len(declared) != 1:
        return None  # which node is meant is reported elsewhere
    name = config.node or declared[0]
    if name not in fleet.proxmox.nodes or ctx.invalid.entry("proxmox", "nodes", name):
        return None
    return name


def gpus_on_their_node(fleet: Fleet, ctx: CheckContext) -> Iterator[ConfigProblem]:
    """A guest gets GPUs its node has: a GPU (and a VM's PCI mapping) only exists where the
    card sits."""
    for guest, config in _gpu_guests(fleet):
        node_name = _node_known(fleet, ctx, config)
        if node_name is None:
            continue
        here = fleet.proxmox.nodes[node_name].gpus
        for index, gpu in enumerate(config.gpus):
            if gpu in here:
                continue
            elsewhere = sorted(
                name for name, node in fleet.proxmox.nodes.items() if gpu in node.gpus
            )
            location = f"{guest_location(guest)}.gpus.{index}"
            if elsewhere:
                what = (
                    "the cluster mapping of a VM's GPU has no device there, so Proxmox "
                    "refuses to start the VM"
                    if guest.kind is GuestKind.VM
                    else "a container only sees its own node's devices"
                )
                yield ConfigProblem(
                    ctx.files.guests,
                    location,
                    f"node {node_name} has no GPU {gpu!r} (declared on {listing(elsewhere)}): "
                    f"{what}; declare it under nodes.{node_name}.gpus in {ctx.files.proxmox} "
                    "or move the guest",
                )
            else:
                declared = sorted(here)
                yield ConfigProblem(
                    ctx.files.guests,
                    location,
                    f"GPU {gpu!r} is not declared in {ctx.files.proxmox}"
                    f"{did_you_mean(gpu, declared)} (nodes.{node_name}.gpus: "
                    f"{listing(declared) if declared else 'none'})",
                )


def gpus_not_shared_at_boot(fleet: Fleet, ctx: CheckContext) -> Iterator[ConfigProblem]:
    """A VM holds its GPU alone (the node hands it to vfio-pci): another guest that starts on
    boot with the same GPU fails to start. Containers share the node's driver, so several
    containers may share one GPU."""
    holders: dict[tuple[str, str], list[tuple[Guest, int]]] = {}
    for guest, config in _gpu_guests(fleet):
        node_name = _node_known(fleet, ctx, config)
        if node_name is None or not config.on_boot:
            continue
        for index, gpu in enumerate(config.gpus):
            if gpu in fleet.proxmox.nodes[node_name].gpus:
                holders.setdefault((node_name, gpu), []).append((guest, index))
    for (node_name, gpu), users in sorted(holders.items()):
        vm = next((user for user, _ in users if user.kind is GuestKind.VM), None)
        if vm is None:
            continue
        first = users[0][0]
        for guest, index in users[1:]:
            other = vm if guest is not vm else first
            yield ConfigProblem(
                ctx.files.guests,
                f"{guest_location(guest)}.gpus.{index}",
                f"GPU {gpu!r} of node {node_name} is also given to {guest_location(other)} "
                f"({other.name}); both start on boot, and a VM holds its GPU alone, so the "
                "one starting second fails: give each its own GPU, or set on_boot: false on "
                "one of them",
            )


def gpu_vms_use_q35(fleet: Fleet, ctx: CheckContext) -> Iterator[ConfigProblem]:
    """GPUs are passed through as PCIe devices, which only the q35 machine type has."""
    for vmid, vm in sorted(fleet.guests.vms.items()):
        if not vm.gpus or vm.machine == "q35":
            continue
        why = (
            "GPUs pass through as PCIe devices, which need the q35 machine type (Proxmox "
            "refuses to start the VM otherwise: 'q35 machine model is not enabled')"
        )
        message = (
            f"set machine: q35 for the VM's GPUs: {why}"
            if vm.machine is None
            else f"{vm.machine!r} cannot take the VM's GPUs, set q35: {why}"
        )
        yield ConfigProblem(ctx.files.guests, f"vms.{vmid}.machine", message)


def gpu_containers_allowed(fleet: Fleet, ctx: CheckContext) -> Iterator[ConfigProblem]:
    """Passing GPUs into a container needs root@pam, the node's driver version, and a
    distribution the NVIDIA libraries install on."""
    auth_known = not ctx.invalid.field("proxmox", "api")
    for ctid, container in sorted(fleet.guests.containers.items()):
        if not container.gpus:
            continue
        location = f"containers.{ctid}"
        if auth_known and fleet.proxmox.api.auth == "api_token":
            yield ConfigProblem(
                ctx.files.guests,
                f"{location}.gpus",
                "Proxmox lets only root@pam configure device passthrough into a container; "
                "an API token cannot, whatever its privileges (root@pam's own tokens "
                f"included): set api.auth: root_password in {ctx.files.proxmox} and deploy "
                "with PROXMOX_VE_USERNAME=root@pam and PROXMOX_VE_PASSWORD, or give the GPU "
                "to a VM (a token passes a mapped GPU through with Mapping.Use on "
                "/mapping/pci/<gpu> and VM.Config.HWType on the VM)",
            )
        node_name = _node_known(fleet, ctx, container)
        if node_name is not None and fleet.proxmox.nodes[node_name].nvidia_driver is None:
            yield ConfigProblem(
                ctx.files.guests,
                f"{location}.gpus",
                f"the container uses node {node_name}'s NVIDIA driver and needs user-space "
                f"libraries of the same version: set nodes.{node_name}.nvidia_driver in "
                f"{ctx.files.proxmox} (nvidia-smi on the node shows it)",
            )
        os_type = container.os_template.type
        if os_type not in _GPU_DISTRIBUTIONS:
            yield ConfigProblem(
                ctx.files.guests,
                f"{location}.os_template.type",
                f"GPU containers need type {' or '.join(_GPU_DISTRIBUTIONS)}, got {os_type!r}: "
                "Phoenix installs the NVIDIA user-space libraries there with apt, and they "
                "need glibc",
            )


def gpu_stacks_have_a_gpu(fleet: Fleet, ctx: CheckContext) -> Iterator[ConfigProblem]:
    """A stack that reserves a GPU runs on a guest with one: Docker would refuse to start
    the service ("could not select device driver nvidia")."""
    for vmid, vm in sorted(fleet.guests.vms.items()):
        if vm.gpus:
            continue
        for index, stack in enumerate(vm.stacks):
            compose = fleet.compose.get(stack)
            if compose is None or not compose.gpu_services or ctx.invalid.stack_unusable(stack):
                continue
            plural = "s" if len(compose.gpu_services) > 1 else ""
            services = f"service{plural} {listing(compose.gpu_services)} of {compose.path}"
            node = _node_known(fleet, ctx, vm) or "<node>"
            yield ConfigProblem(
                ctx.files.guests,
                f"vms.{vmid}.stacks.{index}",
                f"stack {stack!r} reserves a GPU ({services}), but "
                f"{vm.name} has none; give it one of nodes.{node}.gpus in "
                f"{ctx.files.proxmox} with gpus: [<name>]",
            )
