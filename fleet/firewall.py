"""A guest's firewall in `guests.yaml`: its policy and rules, as Proxmox applies them."""

# Pydantic copies mutable defaults for every instance, so `= []` and `= {}` are safe here.
# ruff: noqa: RUF012

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import (
    StrictBool,
    model_validator,
)

from .base import ConfigModel
from .hints import shown
from .types import (
    FirewallAction,
    FirewallAddress,
    Matches,
    PortList,
)


class FirewallRule(ConfigModel):
    """One Proxmox firewall rule on a guest."""

    direction: Literal["in", "out"] = "in"
    """Traffic direction seen from the guest. Default: in."""
    action: FirewallAction = FirewallAction.ACCEPT
    """What a matching packet gets. Default: ACCEPT."""
    macro: (
        Annotated[
            str,
            Matches(r"[A-Za-z][A-Za-z0-9]*", "firewall macro", "a Proxmox macro such as SSH"),
        ]
        | None
    ) = None
    """A Proxmox macro such as `SSH` or `HTTPS` instead of proto/ports. Default: no macro."""
    proto: Literal["tcp", "udp", "icmp", "ipv6-icmp"] | None = None
    """IP protocol; required with `dport`/`sport` unless a macro is used. Default: any
    protocol."""
    dport: PortList | None = None
    """Destination port(s): `6333`, `8000:8100` or `80,443`. Default: any port."""
    sport: PortList | None = None
    """Source port(s), same syntax as `dport`. Default: any port."""
    source: FirewallAddress | None = None
    """Source address, CIDR, range, alias or ipset (`+name`). Default: any source."""
    dest: FirewallAddress | None = None
    """Destination address, CIDR, range, alias or ipset. Default: any destination."""
    comment: str | None = None
    """Shown in the Proxmox UI. Default: no comment."""
    log: Literal["emerg", "alert", "crit", "err", "warning", "notice", "info", "debug", "nolog"] = (
        "nolog"
    )
    """Log level for matches. Default: nolog, matches are not logged."""
    enabled: StrictBool = True
    """false keeps the rule in Proxmox but inactive. Default: true."""

    @model_validator(mode="after")
    def _ports_need_protocol(self) -> FirewallRule:
        ports = " and ".join(name for name in ("dport", "sport") if getattr(self, name))
        if self.macro and self.proto:
            raise ValueError(
                f"give either macro {shown(self.macro)} or proto {shown(self.proto)}, not both"
            )
        if ports and not (self.proto or self.macro):
            raise ValueError(f"a rule with {ports} needs proto: tcp or udp (or a macro)")
        if ports and self.proto in ("icmp", "ipv6-icmp"):
            raise ValueError(f"{self.proto} has no ports; drop {ports} or use tcp/udp")
        return self


class GuestFirewall(ConfigModel):
    """The Proxmox firewall of one guest: options plus rules. Declaring it enables it."""

    enabled: StrictBool = True
    """Filter the guest's traffic. Default: true (declaring the block means it)."""
    input_policy: FirewallAction = FirewallAction.DROP
    """What happens to inbound traffic no rule accepts. Default: DROP."""
    output_policy: FirewallAction = FirewallAction.ACCEPT
    """What happens to outbound traffic no rule matches. Default: ACCEPT."""
    rules: list[FirewallRule] = []
    """Evaluated in order. Default: empty, only the policies apply."""
