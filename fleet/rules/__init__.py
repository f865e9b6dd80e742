"""The rule book: every fleet-wide check, in one ordered list.

Rules no single file can check (uniqueness, references, addresses, roles, secrets) live here,
one module per concern. Each rule is a small function yielding problems, so every mistake is
reported in one run. Rules see only what validated; they ask `InvalidParts` before blaming a
reference to something that was declared but is already reported as invalid. `fleet validate`,
`make synth` and `cdktf synth` all run exactly these rules: constructs keep their own guards
only as programming-error assertions a valid fleet never trips.
"""

from __future__ import annotations

from ..errors import ConfigProblem
from ..fleet import Fleet
from .context import CheckContext, ConfigFiles, Rule
from .gateway import gateway_reachable, gateway_routes
from .guests import containers_privilege, vm_references
from .identity import (
    known_nodes,
    renumbering,
    unique_names,
    unique_node_addresses,
    unique_vmids,
)
from .network import addresses_inside_networks, networks_apart, unique_addresses
from .plaintext import no_credentials_in_probes, no_inline_secrets, no_secrets_in_compose
from .portainer import portainer_server, stack_names, vm_roles
from .stacks import (
    compose_variables_defined,
    probes_reach_published_ports,
    stacks_leave_portainer_ports,
)
from .storage import nfs_exports_name_their_vm, nfs_exports_not_shared

RULES: tuple[Rule, ...] = (
    unique_vmids,
    renumbering,
    unique_names,
    unique_addresses,
    addresses_inside_networks,
    networks_apart,
    known_nodes,
    unique_node_addresses,
    vm_references,
    vm_roles,
    portainer_server,
    stack_names,
    no_inline_secrets,
    no_secrets_in_compose,
    no_credentials_in_probes,
    compose_variables_defined,
    stacks_leave_portainer_ports,
    probes_reach_published_ports,
    nfs_exports_not_shared,
    nfs_exports_name_their_vm,
    containers_privilege,
    gateway_routes,
    gateway_reachable,
)


def check_fleet(fleet: Fleet, ctx: CheckContext) -> list[ConfigProblem]:
    """Run every rule; return all problems found."""
    return [problem for rule in RULES for problem in rule(fleet, ctx)]


__all__ = ["RULES", "CheckContext", "ConfigFiles", "Rule", "check_fleet"]
