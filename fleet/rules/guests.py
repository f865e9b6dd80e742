"""Rules on what guests refer to and how they run: templates, stacks, privilege."""

from __future__ import annotations

from collections.abc import Iterator

from ..errors import ConfigProblem
from ..fleet import Fleet
from ..hints import did_you_mean, listing
from ..types import normalize_stack_name
from .context import CheckContext


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
