"""Rules on the Nginx gateway: its container, and routes to declared guest ports."""

from __future__ import annotations

from collections.abc import Iterator

from ..errors import ConfigProblem
from ..fleet import Fleet, Guest, GuestKind
from ..guests import Container, Vm, VmFeature
from ..hints import did_you_mean, listing
from .context import CheckContext, guest_location
from .firewall import admits
from .network import misaddressed


def _ports_known(fleet: Fleet, ctx: CheckContext, guest: Guest) -> bool:
    """False when some of the guest's ports come from parts already reported as invalid."""
    config = guest.config
    if not isinstance(config, Vm):
        return True
    if any(
        stack not in fleet.compose or ctx.invalid.stack_unusable(stack) for stack in config.stacks
    ):
        return False
    roles = {VmFeature.PORTAINER_SERVER, VmFeature.PORTAINER_AGENT} & set(config.features)
    if not roles:
        return True
    # Role ports come from portainer.yaml; when it is missing or invalid that is reported.
    portainer_ports = ("https_port", "agent_port")
    return fleet.portainer is not None and not any(
        ctx.invalid.field("portainer", name) for name in portainer_ports
    )


def gateway_routes(fleet: Fleet, ctx: CheckContext) -> Iterator[ConfigProblem]:
    """The gateway is a container with a static address; routes reach declared guest ports."""
    gateway = fleet.gateway
    if gateway is None:
        return
    files = ctx.files
    if not ctx.invalid.field("gateway", "guest") and not _ambiguous(fleet, ctx, gateway.guest):
        host = fleet.guest_named(gateway.guest)
        containers = [ct.name for ct in fleet.guests.containers.values()]
        if host is None:
            if not ctx.invalid.guest_may_be(gateway.guest):
                yield ConfigProblem(
                    files.gateway,
                    "guest",
                    f"no container named {gateway.guest!r} in {files.guests}"
                    f"{did_you_mean(gateway.guest, containers)}",
                )
        elif host.kind is not GuestKind.CONTAINER:
            yield ConfigProblem(
                files.gateway,
                "guest",
                f"{gateway.guest!r} is {guest_location(host)}; the gateway runs in a container",
            )
        elif host.address is None:
            yield ConfigProblem(
                files.gateway, "guest", f"{gateway.guest!r} needs a static address, not dhcp"
            )
        elif isinstance(host.config, Container) and not host.config.ssh_keys:
            yield ConfigProblem(
                files.guests,
                f"{guest_location(host)}.ssh_keys",
                f"required: the gateway site ({files.gateway}) is installed over SSH as root; "
                "list the public keys of whoever deploys",
            )
    seen: dict[tuple[str | None, str], int] = {}
    guests = [guest.name for guest in fleet.all_guests() if guest.kind is not GuestKind.TEMPLATE]
    for index, route in enumerate(gateway.routes):
        location = f"routes.{ctx.position('gateway', 'routes', index)}"
        key = (route.host, route.path or "/")  # a host route without a path takes all of it
        if key in seen:
            yield ConfigProblem(
                files.gateway, location, f"same host and path as routes.{seen[key]}"
            )
        seen.setdefault(key, ctx.position("gateway", "routes", index))
        if _ambiguous(fleet, ctx, route.to.guest):
            continue  # two guests share the name: reported once, by unique_names
        target = fleet.guest_named(route.to.guest)
        if target is None:
            if not ctx.invalid.guest_may_be(route.to.guest):
                yield ConfigProblem(
                    files.gateway,
                    f"{location}.to.guest",
                    f"no guest named {route.to.guest!r} in {files.guests}"
                    f"{did_you_mean(route.to.guest, guests)}",
                )
            continue
        if target.kind is GuestKind.TEMPLATE:
            yield ConfigProblem(
                files.gateway,
                f"{location}.to.guest",
                f"{route.to.guest!r} is a template ({guest_location(target)}); "
                "templates do not run",
            )
            continue
        if target.address is None:
            yield ConfigProblem(
                files.gateway,
                f"{location}.to.guest",
                f"{route.to.guest!r} needs a static address, not dhcp",
            )
        ports = fleet.declared_ports(target)
        if route.to.port not in ports and _ports_known(fleet, ctx, target):
            yield ConfigProblem(
                files.gateway,
                f"{location}.to.port",
                f"{route.to.guest} does not declare port {route.to.port} "
                f"(declared: {listing(sorted(ports))}); publish it in a stack or list it in "
                "the guest's ports",
            )


def _ambiguous(fleet: Fleet, ctx: CheckContext, name: str) -> bool:
    """Whether several guests (valid or not) carry `name`."""
    named = sum(guest.name == name for guest in fleet.all_guests())
    named += sum(
        isinstance(raw, dict) and str(raw.get("name", "")).strip() == name
        for _, _, raw in ctx.invalid.guest_entries()
    )
    return named > 1


def gateway_reachable(fleet: Fleet, ctx: CheckContext) -> Iterator[ConfigProblem]:
    """The gateway's own firewall lets clients reach its port, and each route's target lets
    the gateway reach the routed port: otherwise the route is dead on arrival."""
    gateway = fleet.gateway
    if gateway is None or _ambiguous(fleet, ctx, gateway.guest):
        return
    host = fleet.guest_named(gateway.guest)
    if host is None or not isinstance(host.config, Container):
        return
    if guest_location(host) in misaddressed(fleet, ctx):
        return  # its address is wrong already: what it could reach says nothing more
    if not admits(host.config.firewall, gateway.listen_port, None):
        yield ConfigProblem(
            ctx.files.guests,
            f"{guest_location(host)}.firewall",
            f"closes port {gateway.listen_port}, where the gateway listens "
            f"({ctx.files.gateway}); add a rule such as "
            f'{{proto: tcp, dport: "{gateway.listen_port}"}}',
        )
    for index, route in enumerate(gateway.routes):
        if _ambiguous(fleet, ctx, route.to.guest):
            continue
        target = fleet.guest_named(route.to.guest)
        if target is None or not isinstance(target.config, (Vm, Container)):
            continue
        if route.to.port not in fleet.declared_ports(target):
            continue  # reported by gateway_routes
        if host.address is not None and not admits(
            target.config.firewall, route.to.port, host.address
        ):
            yield ConfigProblem(
                ctx.files.gateway,
                f"routes.{ctx.position('gateway', 'routes', index)}.to.port",
                f"the firewall of {route.to.guest} ({guest_location(target)}) does not let the "
                f"gateway ({host.address}) reach port {route.to.port}; add a rule such as "
                f'{{proto: tcp, dport: "{route.to.port}", source: {host.address}}}',
            )
