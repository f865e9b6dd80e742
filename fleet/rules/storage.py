"""Rules on persistent storage: NFS volumes are each VM's own."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import PurePosixPath

from ..errors import ConfigProblem
from ..fleet import Fleet
from ..types import VMID_MAX, VMID_MIN
from .context import CheckContext


def nfs_exports_not_shared(fleet: Fleet, ctx: CheckContext) -> Iterator[ConfigProblem]:
    """Two VMs writing one export corrupt each other's data (two Qdrants on one directory):
    an export is mounted read-write by one VM at most; others may read it."""
    writers: dict[str, str] = {}
    for vmid, vm in sorted(fleet.guests.vms.items()):
        for index, volume in enumerate(vm.volumes):
            if volume.read_only:
                continue
            if volume.export in writers:
                yield ConfigProblem(
                    ctx.files.guests,
                    f"vms.{vmid}.volumes.{index}.export",
                    f"{volume.export} is already mounted read-write by {writers[volume.export]}; "
                    "give each VM its own directory, or mount it read_only: true",
                )
            writers.setdefault(volume.export, f"vms.{vmid}")


def nfs_exports_name_their_vm(fleet: Fleet, ctx: CheckContext) -> Iterator[ConfigProblem]:
    """An export named after a VMID belongs to that VM: VM 1002 writing to `/.../1000` is the
    bug the original scripts shipped (a VM writing into another VM's data). Reading another
    VM's directory (`read_only: true`) is fine."""
    for vmid, vm in sorted(fleet.guests.vms.items()):
        for index, volume in enumerate(vm.volumes):
            last = PurePosixPath(volume.export).name
            named = last.isascii() and last.isdigit() and VMID_MIN <= int(last) <= VMID_MAX
            if named and int(last) != vmid and not volume.read_only:
                yield ConfigProblem(
                    ctx.files.guests,
                    f"vms.{vmid}.volumes.{index}.export",
                    f"{volume.export} is named after VMID {last}, but this is VM {vmid}; "
                    f"use .../{vmid}",
                )
