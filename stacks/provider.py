"""The bpg/proxmox provider block and the cluster-wide firewall policy of the infra stack."""

from __future__ import annotations

from constructs import Construct

from constructs_lib import ClusterFirewall, ClusterFirewallProps
from fleet.proxmox import ProxmoxConfig
from imports.proxmox.provider import ProxmoxProvider, ProxmoxProviderSsh, ProxmoxProviderSshNode


def proxmox_provider(scope: Construct, proxmox: ProxmoxConfig) -> None:
    """The provider (one SSH address per node, for snippet uploads) and, when configured, the
    datacenter firewall options."""
    # Credentials come only from PROXMOX_VE_* environment variables, never the plan.
    ProxmoxProvider(
        scope,
        "proxmox",
        endpoint=str(proxmox.api.endpoint),
        insecure=proxmox.api.insecure_tls,
        ssh=[
            ProxmoxProviderSsh(
                username=proxmox.ssh.username,
                agent=proxmox.ssh.use_agent,
                node_attribute=[
                    ProxmoxProviderSshNode(
                        name=name,
                        address=node.address,
                        port=node.ssh_port if node.ssh_port != 22 else None,
                    )
                    for name, node in sorted(proxmox.nodes.items())
                ],
            )
        ],
    )

    if proxmox.cluster_firewall is not None:
        policy = proxmox.cluster_firewall
        ClusterFirewall(
            scope,
            "cluster_firewall",
            ClusterFirewallProps(
                enabled=policy.enabled,
                input_policy=policy.input_policy.value,
                output_policy=policy.output_policy.value,
                forward_policy=policy.forward_policy.value,
                ebtables=policy.ebtables,
            ),
        )
