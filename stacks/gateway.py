"""The gateway's Nginx site, rendered from gateway.yaml and delivered to its container over SSH."""

from __future__ import annotations

from collections.abc import Mapping

from constructs import Construct

from constructs_lib import PhoenixContainer, RemoteConfigFile, RemoteConfigFileProps
from fleet import Fleet
from gateway import (
    STAGED_PATH,
    GatewaySite,
    Route,
    Upstream,
    install_commands,
    render_site,
    site_sha256,
)


def gateway_site(
    scope: Construct, fleet: Fleet, containers: Mapping[int, PhoenixContainer]
) -> None:
    """The Nginx site generated from gateway.yaml, delivered to its container over SSH."""
    gateway = fleet.gateway
    if gateway is None:
        return
    routes = [
        Route(
            path=route.path,
            strip_path=route.strip_path,
            host=route.host,
            upstream=Upstream(
                address=static_address(fleet, route.to.guest)[1],
                port=route.to.port,
                scheme=route.to.scheme,
            ),
            name=f"{route.to.guest}:{route.to.port}",
        )
        for route in gateway.routes
    ]
    site = render_site(GatewaySite(routes=routes, listen_port=gateway.listen_port))
    vmid, address = static_address(fleet, gateway.guest)
    RemoteConfigFile(
        scope,
        "gateway_site",
        RemoteConfigFileProps(
            guest=containers[vmid],
            host=address,
            content=site,
            staged_path=STAGED_PATH,
            commands=install_commands(sha256=site_sha256(site)),
        ),
    )


def static_address(fleet: Fleet, name: str) -> tuple[int, str]:
    """VMID and static address of a guest the fleet checks already required to have one."""
    guest = fleet.guest_named(name)
    if guest is None or guest.address is None:
        raise ValueError(f"guest {name!r} has no static address; validate the fleet first")
    return guest.vmid, str(guest.address)
