"""The infra stack's outputs as plain data: the guest inventory and the desired Portainer state.

Pure functions of the Fleet, so the post-apply step, the tests and docs/outputs.md agree on
one shape (schema_version 1).
"""

from __future__ import annotations

from typing import Any

from cdk import Token
from constructs_lib.bootstrap import SERVER_CERTIFICATE_PATH
from fleet import Fleet
from fleet.guests import Vm, VmFeature
from fleet.stacks import HttpProbe

DESIRED_STATE_SCHEMA_VERSION = 1


def inventory(fleet: Fleet) -> list[dict[str, Any]]:
    """Every guest, ordered by VMID: vmid, name, kind, node, static address, roles."""
    return [
        {
            "vmid": guest.vmid,
            "name": guest.name,
            "kind": guest.kind.value,
            "node": fleet.node_name(guest.config),
            # cdktf drops None from maps; Token.null_value() keeps the key as JSON null.
            "address": str(guest.address) if guest.address is not None else Token.null_value(),
            "roles": fleet.roles(guest),
        }
        for guest in fleet.all_guests()
    ]


def portainer_desired_state(fleet: Fleet) -> dict[str, Any] | None:
    """What Portainer must hold after the reconcile, or None when the fleet has no Portainer."""
    portainer = fleet.portainer
    if portainer is None:
        return None
    server = fleet.guest_named(portainer.server)
    if server is None or server.address is None:
        raise ValueError(f"Portainer server {portainer.server!r} has no static address")
    agents = []
    for vmid, vm in fleet.vms_with(VmFeature.PORTAINER_AGENT):
        address = vm.network.address
        agents.append(
            {
                "name": vm.name,
                "guest": vm.name,
                "vmid": vmid,
                "url": f"tcp://{address}:{portainer.agent_port}",
                "stacks": [_stack(fleet, name, vm) for name in sorted(vm.stacks)],
            }
        )
    node = fleet.node(server.config)
    return {
        "schema_version": DESIRED_STATE_SCHEMA_VERSION,
        "owner": portainer.owner,
        "server": {
            "url": f"https://{server.address}:{portainer.https_port}",
            "guest": portainer.server,
            "version": portainer.version,
            "admin_username": portainer.admin_username,
            # How the reconcile reads the certificate it pins: the node SSH login Terraform
            # uploads snippets with, then the VM's guest agent (docs/portainer.md).
            "certificate_source": {
                "ssh_host": str(node.address),
                "ssh_port": node.ssh_port,
                "ssh_user": fleet.proxmox.ssh.username,
                "vmid": server.vmid,
                "path": SERVER_CERTIFICATE_PATH,
            },
        },
        "agents": sorted(agents, key=lambda agent: str(agent["name"])),
    }


def _stack(fleet: Fleet, name: str, vm: Vm) -> dict[str, Any]:
    spec = fleet.stacks.stacks[name]
    compose = fleet.compose[name]
    variables = sorted(spec.env.items())
    return {
        "name": name,
        "compose": compose.content,
        "compose_sha256": compose.sha256,
        "env": [
            {"name": key, "value": var.value} for key, var in variables if var.value is not None
        ],
        "secret_env": [
            {"name": key, "from_env": var.from_env}
            for key, var in variables
            if var.from_env is not None
        ],
        "health": {
            "services": list(compose.started_services),
            "probes": [
                {
                    "port": probe.port,
                    "path": probe.path,
                    "status": probe.status,
                    "targets": _probe_targets(fleet, vm, probe),
                }
                for probe in spec.health.probes
            ],
        },
    }


def _probe_targets(fleet: Fleet, vm: Vm, probe: HttpProbe) -> list[dict[str, Any]]:
    """Where a probe is sent from the deploying machine: through each gateway route that leads
    to the probe's port on this guest, as a user reaches the service; else to the guest."""
    gateway = fleet.gateway
    routes = [
        route
        for route in (gateway.routes if gateway is not None else [])
        if route.to.guest == vm.name and route.to.port == probe.port
    ]
    if gateway is None or not routes:
        return [{"url": f"http://{vm.network.address}:{probe.port}{probe.path}"}]
    host = fleet.guest_named(gateway.guest)
    if host is None or host.address is None:
        raise ValueError(f"gateway {gateway.guest!r} has no static address")
    origin = f"http://{host.address}" + (
        f":{gateway.listen_port}" if gateway.listen_port != 80 else ""
    )
    targets = []
    for route in routes:
        mount = route.path or "/"  # the route's prefix is stripped before proxying
        target: dict[str, Any] = {
            "url": origin + mount + probe.path.removeprefix("/"),
            "route": f"{route.host or ''}{mount}",
        }
        if route.host is not None:
            target["host"] = route.host
        targets.append(target)
    return targets
