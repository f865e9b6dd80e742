"""Rules on node capacity: the cores and memory a node's guests are given fit what the node
declares it can give. Templates are not counted: they never run."""

from __future__ import annotations

from collections.abc import Iterator

from ..errors import ConfigProblem
from ..fleet import Fleet
from ..guests import Container, Vm
from .context import CheckContext, guest_location
from .placement import placed_node


def node_capacity(fleet: Fleet, ctx: CheckContext) -> Iterator[ConfigProblem]:
    """Per node that declares `cores` or `memory_mib`: the sum over its VMs and containers, with
    each guest's share listed, so the report says what to move or shrink."""
    given: dict[tuple[str, str], list[tuple[str, int]]] = {}
    for guest in fleet.all_guests():
        config = guest.config
        if not isinstance(config, (Vm, Container)):
            continue
        placed = placed_node(fleet, ctx, config)
        if placed is None:
            continue
        where = guest_location(guest)
        given.setdefault((placed, "cores"), []).append((where, config.cores))
        given.setdefault((placed, "memory_mib"), []).append((where, config.memory_mib))
    for name, node in sorted(fleet.proxmox.nodes.items()):
        for field, declared, unit in (
            ("cores", node.cores, ""),
            ("memory_mib", node.memory_mib, " MiB"),
        ):
            shares = given.get((name, field), [])
            total = sum(amount for _, amount in shares)
            if declared is None or total <= declared:
                continue
            listed = ", ".join(
                f"{where} {amount}" for where, amount in sorted(shares, key=lambda s: (-s[1], s[0]))
            )
            yield ConfigProblem(
                ctx.files.proxmox,
                f"nodes.{name}.{field}",
                f"its guests are given {total}{unit}, {total - declared}{unit} more than the "
                f"{declared}{unit} node {name} declares: {listed}",
            )


__all__ = ["node_capacity"]
