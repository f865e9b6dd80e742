"""Early, specific prop validation: a construct lists (broken?, message) rules and fails once."""

from __future__ import annotations

from collections.abc import Iterable


class PropsError(ValueError):
    """Construct props that cannot become a valid plan; lists every broken rule."""


def sizing_rules(
    *, vm_id: int, cores: int, memory_mib: int, disk_gib: int, min_memory_mib: int
) -> list[tuple[bool, str]]:
    """The rules every guest's size obeys (VMID range, cores, memory, disk)."""
    return [
        (vm_id < 100, f"vm_id {vm_id} is below 100 (reserved by Proxmox)"),
        (cores < 1, f"cores {cores} must be at least 1"),
        (memory_mib < min_memory_mib, f"memory_mib {memory_mib} must be at least {min_memory_mib}"),
        (disk_gib < 1, f"disk_gib {disk_gib} must be at least 1"),
    ]


def check(construct: str, rules: Iterable[tuple[bool, str]]) -> None:
    """Raise PropsError naming `construct` when any rule's condition is true."""
    broken = [message for failed, message in rules if failed]
    if broken:
        raise PropsError(f"{construct}: " + "; ".join(broken))
