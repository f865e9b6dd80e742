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
from .capacity import node_capacity
from .context import CheckContext, ConfigFiles, Rule
from .gateway import gateway_reachable, gateway_routes
from .gpu import (
    gpu_containers_allowed,
    gpu_stacks_have_a_gpu,
    gpu_vms_use_q35,
    gpus_not_shared_at_boot,
    gpus_on_their_node,
)
from .guests import containers_privilege, vm_references
from .ha import ha_groups, ha_on_shared_storage
from .identity import (
    known_nodes,
    renumbering,
    unique_names,
    unique_node_addresses,
    unique_vmids,
)
from .network import addresses_inside_networks, networks_apart, unique_addresses
from .placement import node_bridges, node_datastores, templates_on_clone_nodes
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
    templates_on_clone_nodes,
    node_bridges,
    node_datastores,
    node_capacity,
    ha_groups,
    ha_on_shared_storage,
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
    gpus_on_their_node,
    gpus_not_shared_at_boot,
    gpu_vms_use_q35,
    gpu_containers_allowed,
    gpu_stacks_have_a_gpu,
    gateway_routes,
    gateway_reachable,
)


def check_fleet(fleet: Fleet, ctx: CheckContext) -> list[ConfigProblem]:
    """Run every rule; return all problems found."""
    return [problem for rule in RULES for problem in rule(fleet, ctx)]


__all__ = ["RULES", "CheckContext", "ConfigFiles", "Rule", "check_fleet"]
