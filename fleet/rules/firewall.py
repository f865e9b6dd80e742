"""Reading a guest firewall the way Proxmox evaluates it: does it let a connection in?"""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Network

from ..firewall import FirewallRule, GuestFirewall
from ..types import FirewallAction

# The Proxmox macros a gateway port is usually opened with (TCP ports they admit).
_MACRO_PORTS: dict[str, set[int]] = {
    "HTTP": {80},
    "HTTPS": {443},
    "SSH": {22},
    "Web": {80, 443},
    "DNS": {53},
}


def admits(firewall: GuestFirewall | None, port: int, source: IPv4Address | None) -> bool:
    """Whether a TCP connection to `port` from `source` (None: from somewhere) gets in. The
    first enabled inbound rule that matches decides, else the input policy. A rule this
    cannot read (an alias, an ipset, an unknown macro) counts as matching: no false alarms."""
    if firewall is None or not firewall.enabled:
        return True
    for rule in firewall.rules:
        if rule.enabled and rule.direction == "in" and _matches(rule, port, source):
            return rule.action is FirewallAction.ACCEPT
    return firewall.input_policy is FirewallAction.ACCEPT


def _matches(rule: FirewallRule, port: int, source: IPv4Address | None) -> bool:
    if rule.macro is not None:
        ports = _MACRO_PORTS.get(rule.macro)
        if ports is not None and port not in ports:
            return False
    elif rule.proto is not None and rule.proto != "tcp":
        return False
    if rule.dport is not None and not _in_ports(port, rule.dport):
        return False
    return source is None or rule.source is None or _in_addresses(source, rule.source)


def _in_ports(port: int, ports: str) -> bool:
    for item in ports.split(","):
        low, _, high = item.partition(":")
        if int(low) <= port <= int(high or low):
            return True
    return False


def _in_addresses(address: IPv4Address, addresses: str) -> bool:
    for item in addresses.split(","):
        item = item.strip()
        try:
            if "-" in item:
                first, last = (IPv4Address(part) for part in item.split("-", 1))
                if first <= address <= last:
                    return True
            elif address in IPv4Network(item, strict=False):
                return True
        except ValueError:
            return True  # an alias or an ipset: assume it admits
    return False
