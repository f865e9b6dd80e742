"""Proxmox firewall: per-guest options and rules, and the datacenter-wide policy.

Proxmox only filters a guest when the datacenter firewall is on, the guest's firewall is on,
and the guest NIC has `firewall=1` (NicProps.firewall).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from constructs import Construct

from cdk import TerraformResourceLifecycle
from imports.proxmox.virtual_environment_cluster_firewall import VirtualEnvironmentClusterFirewall
from imports.proxmox.virtual_environment_firewall_options import VirtualEnvironmentFirewallOptions
from imports.proxmox.virtual_environment_firewall_rules import (
    VirtualEnvironmentFirewallRules,
    VirtualEnvironmentFirewallRulesRule,
)

from .container import PhoenixContainer
from .terraform_json import terraform_json_rules
from .validation import check
from .vm import PhoenixVm

_ACTIONS = ("ACCEPT", "REJECT", "DROP")


@dataclass(frozen=True, kw_only=True)
class FirewallRuleProps:
    """One rule, evaluated in order."""

    direction: Literal["in", "out"] = "in"
    """Default: in."""
    action: str = "ACCEPT"
    """ACCEPT, REJECT or DROP. Default: ACCEPT."""
    macro: str | None = None
    """Proxmox macro (`SSH`, `HTTP`, …) instead of proto/ports. Default: none."""
    proto: str | None = None
    """Default: any."""
    dport: str | None = None
    """Default: any."""
    sport: str | None = None
    """Default: any."""
    source: str | None = None
    """Default: any."""
    dest: str | None = None
    """Default: any."""
    comment: str | None = None
    """Default: none."""
    log: str = "nolog"
    """Default: nolog."""
    enabled: bool = True
    """Default: true."""


@dataclass(frozen=True, kw_only=True)
class GuestFirewallProps:
    """Props of GuestFirewall."""

    guest: PhoenixVm | PhoenixContainer
    """The guest whose firewall this is; its NIC should have `firewall=True`."""
    enabled: bool = True
    """Default: true."""
    input_policy: str = "DROP"
    """Inbound default. Default: DROP."""
    output_policy: str = "ACCEPT"
    """Outbound default. Default: ACCEPT."""
    rules: Sequence[FirewallRuleProps] = ()
    """Default: none."""


class GuestFirewall(Construct):
    """Firewall options and rules of one VM or container.

    Both are replaced with their guest (Proxmox deletes a guest's firewall with it) and, for
    an adopted guest, imported with it: the plan then shows how the declared rules replace
    the ones found on the guest.

    Terraform addresses: `proxmox_virtual_environment_firewall_options.<id>` and
    `proxmox_virtual_environment_firewall_rules.<id>` (rules only when there are any).
    """

    def __init__(self, scope: Construct, id_: str, props: GuestFirewallProps) -> None:
        super().__init__(scope, id_)
        terraform_json_rules(scope)
        check(
            f"firewall {id_}",
            [
                (
                    props.input_policy not in _ACTIONS,
                    f"input_policy {props.input_policy!r} is not one of {_ACTIONS}",
                ),
                (
                    props.output_policy not in _ACTIONS,
                    f"output_policy {props.output_policy!r} is not one of {_ACTIONS}",
                ),
                *(
                    (
                        rule.action not in _ACTIONS,
                        f"rule {index}: action {rule.action!r} is not one of {_ACTIONS}",
                    )
                    for index, rule in enumerate(props.rules)
                ),
                *(
                    (
                        bool(rule.dport or rule.sport) and not (rule.proto or rule.macro),
                        f"rule {index}: ports need a proto or a macro",
                    )
                    for index, rule in enumerate(props.rules)
                ),
            ],
        )
        guest = props.guest
        # Referencing the guest's vm_id makes Terraform create the guest first.
        vm_id = guest.vm.vm_id if isinstance(guest, PhoenixVm) else None
        container_id = guest.container.vm_id if isinstance(guest, PhoenixContainer) else None
        node_name = guest.props.node_name
        # Proxmox deletes a guest's firewall with the guest, while `vm_id` stays known across a
        # replacement: tie options and rules to the guest's `id`, which a replacement makes
        # unknown, so Terraform re-creates them with it (and only then).
        # A bare reference: Terraform's JSON syntax reads these strings as expressions.
        guest_id = f"{guest.terraform_address}.id"
        with_guest = TerraformResourceLifecycle(replace_triggered_by=[guest_id])
        self.options = VirtualEnvironmentFirewallOptions(
            self,
            "options",
            node_name=node_name,
            vm_id=vm_id,
            container_id=container_id,
            enabled=props.enabled,
            input_policy=props.input_policy,
            output_policy=props.output_policy,
            lifecycle=with_guest,
        )
        self.options.override_logical_id(id_)
        # An adopted guest brings its firewall along: importing it avoids "Existing rules
        # detected" and shows in the plan how the declared rules replace the found ones.
        kind = "vm" if isinstance(guest, PhoenixVm) else "container"
        adopted_id = f"{kind}/{node_name}/{guest.props.vm_id}" if guest.props.adopt else None
        if adopted_id:
            self.options.import_from(adopted_id)
        self.rules: VirtualEnvironmentFirewallRules | None = None
        if props.rules:
            self.rules = VirtualEnvironmentFirewallRules(
                self,
                "rules",
                node_name=node_name,
                rule=[
                    VirtualEnvironmentFirewallRulesRule(
                        type=rule.direction,
                        action=rule.action,
                        macro=rule.macro,
                        proto=rule.proto,
                        dport=rule.dport,
                        sport=rule.sport,
                        source=rule.source,
                        dest=rule.dest,
                        comment=rule.comment,
                        log=rule.log,
                        enabled=rule.enabled,
                    )
                    for rule in props.rules
                ],
                depends_on=[self.options],
                vm_id=vm_id,
                container_id=container_id,
                lifecycle=with_guest,
            )
            self.rules.override_logical_id(id_)
            if adopted_id:
                self.rules.import_from(adopted_id)


@dataclass(frozen=True, kw_only=True)
class ClusterFirewallProps:
    """Props of ClusterFirewall (declare it once per cluster)."""

    enabled: bool = True
    """Default: true."""
    input_policy: str = "DROP"
    """Default: DROP."""
    output_policy: str = "ACCEPT"
    """Default: ACCEPT."""
    forward_policy: str = "ACCEPT"
    """ACCEPT or DROP. Default: ACCEPT."""
    ebtables: bool = True
    """Default: true."""


class ClusterFirewall(Construct):
    """The datacenter-wide firewall switch and default policies.

    Terraform address: `proxmox_virtual_environment_cluster_firewall.<id>`.
    """

    def __init__(self, scope: Construct, id_: str, props: ClusterFirewallProps) -> None:
        super().__init__(scope, id_)
        terraform_json_rules(scope)
        check(
            "cluster firewall",
            [
                (
                    props.input_policy not in _ACTIONS,
                    f"input_policy {props.input_policy!r} is not one of {_ACTIONS}",
                ),
                (
                    props.output_policy not in _ACTIONS,
                    f"output_policy {props.output_policy!r} is not one of {_ACTIONS}",
                ),
                (
                    props.forward_policy not in ("ACCEPT", "DROP"),
                    f"forward_policy {props.forward_policy!r} is not ACCEPT or DROP",
                ),
            ],
        )
        self.firewall = VirtualEnvironmentClusterFirewall(
            self,
            "resource",
            enabled=props.enabled,
            input_policy=props.input_policy,
            output_policy=props.output_policy,
            forward_policy=props.forward_policy,
            ebtables=props.ebtables,
        )
        self.firewall.override_logical_id(id_)
