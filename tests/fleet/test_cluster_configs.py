"""The cluster rules (fleet/rules/placement.py, capacity.py, ha.py) on broken copies of
examples/cluster: one mistake each, and the whole report Phoenix must print for it.

The same pattern as test_invalid_configs.py (the reference fleet's corpus, where the state
backend's cases are), on the fleet that declares nodes, shared storage and HA groups.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from fleet import FleetConfigError, load_fleet
from tests.config_edits import remove_field, set_field
from tests.conftest import ROOT
from tests.fleet.conftest import Mutation, combine, problems

G = "cluster/guests.yaml"
P = "cluster/proxmox.yaml"


@pytest.fixture
def cluster_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """examples/cluster copied into an empty working directory: messages say `cluster/...`."""
    monkeypatch.chdir(tmp_path)
    shutil.copytree(ROOT / "examples" / "cluster", tmp_path / "cluster")
    return Path("cluster")


CASES: list[tuple[str, Mutation, list[str]]] = [
    # --- placement -------------------------------------------------------------------------
    (
        "guest_on_an_undeclared_node",
        set_field("guests.yaml", "vms.1003.node", "pve4"),
        [
            f"{G}: vms.1003.node: unknown node 'pve4'; did you mean 'pve3'? ({P} declares pve1, "
            "pve2, pve3)"
        ],
    ),
    (
        "template_on_another_node_without_saying_so",
        remove_field("guests.yaml", "vms.1003.clone_across_nodes"),
        [
            f"{G}: vms.1003.template: template 9000 is on node pve1, this VM on pve3; build a "
            "template on pve3 too (another VMID), or set clone_across_nodes: true"
        ],
    ),
    (
        "nic_on_a_bridge_its_node_lacks",
        set_field("guests.yaml", "vms.1003.network.bridge", "vmbr1"),
        [
            f"{G}: vms.1003.network.bridge: bridge vmbr1 is not declared on node pve3 (bridges: "
            "vmbr0)"
        ],
    ),
    (
        "network_bridge_its_node_lacks",
        set_field("proxmox.yaml", "nodes.pve3.bridges", ["vmbr1"]),
        [
            f"{G}: vms.1003.network: network lan uses bridge vmbr0, which node pve3 does not "
            "declare (bridges: vmbr1)"
        ],
    ),
    (
        "template_bridge_its_node_lacks",
        set_field("guests.yaml", "templates.9000.bridge", "vmbr2"),
        [f"{G}: templates.9000.bridge: bridge vmbr2 is not declared on node pve1 (bridges: vmbr0)"],
    ),
    (
        "node_datastore_it_does_not_have",
        set_field("proxmox.yaml", "nodes.pve3.datastores.images", "tank"),
        [
            f"{P}: nodes.pve3.datastores.images: datastore tank is not on node pve3 (node pve3 "
            "has local, local-lvm; shared: ceph-vm, cephfs)"
        ],
    ),
    (
        "guest_datastore_its_node_lacks",
        set_field("guests.yaml", "vms.1003.datastore", "tank"),
        [
            f"{G}: vms.1003.datastore: datastore tank is not on node pve3 (node pve3 has "
            "local, local-lvm; shared: ceph-vm, cephfs)"
        ],
    ),
    # --- capacity ---------------------------------------------------------------------------
    (
        "node_memory_exceeded",
        set_field("guests.yaml", "vms.1003.memory_mib", 65536),
        [
            f"{P}: nodes.pve3.memory_mib: its guests are given 65536 MiB, 16384 MiB more than "
            "the 49152 MiB node pve3 declares: vms.1003 65536"
        ],
    ),
    (
        "node_cores_exceeded",
        set_field("proxmox.yaml", "nodes.pve2.cores", 8),
        [
            f"{P}: nodes.pve2.cores: its guests are given 9, 1 more than the 8 node pve2 "
            "declares: vms.1002 8, containers.101 1"
        ],
    ),
    # --- high availability ------------------------------------------------------------------
    (
        "ha_vm_on_node_local_disks",
        set_field("guests.yaml", "vms.1002.ha", {}),
        [
            f"{G}: vms.1002.ha: the HA manager could not start the VM on another node: its "
            "disks are on local-lvm, storage only node pve2 has; use datastores in "
            f"shared_storage ({P}: ceph-vm, cephfs)"
        ],
    ),
    (
        "ha_container_on_a_node_local_root_disk",
        set_field("guests.yaml", "containers.101.rootfs", {"datastore": "local-lvm"}),
        [
            f"{G}: containers.101.ha: the HA manager could not start the container on another "
            "node: its root disk is on local-lvm, storage only node pve2 has; use datastores "
            f"in shared_storage ({P}: ceph-vm, cephfs)"
        ],
    ),
    (
        "ha_vm_whose_snippet_is_node_local",
        set_field("proxmox.yaml", "nodes.pve1.datastores.snippets", "local"),
        [
            f"{G}: vms.1001.ha: the HA manager could not start the VM on another node: its "
            "cloud-init snippet is on local, storage only node pve1 has; use datastores in "
            f"shared_storage ({P}: ceph-vm, cephfs)"
        ],
    ),
    (
        "ha_group_not_declared",
        set_field("guests.yaml", "vms.1001.ha.group", "managment"),
        [
            f"{G}: vms.1001.ha.group: HA group 'managment' is not declared; did you mean "
            f"'management'? ({P} declares groups: edge, management)"
        ],
    ),
    (
        "ha_group_with_an_undeclared_node",
        set_field("proxmox.yaml", "ha.groups.edge.nodes", {"pve2": 2, "pve4": 1}),
        [
            f"{P}: ha.groups.edge.nodes.pve4: unknown node 'pve4'; did you mean 'pve3'? ({P} "
            "declares pve1, pve2, pve3)"
        ],
    ),
    (
        "ha_guest_outside_its_group",
        combine(
            set_field("guests.yaml", "containers.101.ha.group", "management"),
            set_field("guests.yaml", "containers.101.node", "pve3"),
        ),
        [
            f"{G}: containers.101.ha.group: node pve3 is not in HA group 'management' (pve1, "
            "pve2): the HA manager would move the container off its node at once; add pve3 to "
            "the group or place the container on one of its nodes"
        ],
    ),
    (
        "ha_group_priority_out_of_range",
        set_field("proxmox.yaml", "ha.groups.edge.nodes.pve2", 1001),
        [f"{P}: ha.groups.edge.nodes.pve2: Input should be less than or equal to 1000 (got 1001)"],
    ),
]


@pytest.mark.parametrize(
    ("mutation", "expected"),
    [pytest.param(mutation, expected, id=name) for name, mutation, expected in CASES],
)
def test_fails_when(cluster_dir: Path, mutation: Mutation, expected: list[str]) -> None:
    # GIVEN the cluster example with one mistake
    mutation(cluster_dir)
    # WHEN the fleet loads THEN exactly these problems are reported, in this order
    assert problems(cluster_dir) == expected


VALID: list[tuple[str, Mutation]] = [
    ("as_committed", lambda _: None),
    (
        # A cluster described loosely: nothing declared per node, nothing checked per node.
        "nodes_without_declarations",
        combine(
            *(
                remove_field("proxmox.yaml", f"nodes.{node}.{field}")
                for node in ("pve1", "pve2", "pve3")
                for field in ("cores", "memory_mib", "bridges", "storage")
            )
        ),
    ),
    ("proxmox_ve_8_groups", set_field("proxmox.yaml", "ha.proxmox_version", 8)),
    ("ha_without_a_group", set_field("guests.yaml", "vms.1001.ha", {"state": "started"})),
]


@pytest.mark.parametrize("mutation", [pytest.param(m, id=name) for name, m in VALID])
def test_loads_when_valid(cluster_dir: Path, mutation: Mutation) -> None:
    mutation(cluster_dir)
    try:
        load_fleet(cluster_dir)
    except FleetConfigError as error:
        pytest.fail(error.report())


def test_a_single_node_fleet_needs_no_cluster_settings() -> None:
    # The reference fleet declares none of them and stays valid (its plan is unchanged).
    fleet = load_fleet(ROOT / "configs")
    assert fleet.proxmox.shared_storage == []
    assert fleet.proxmox.ha is None
