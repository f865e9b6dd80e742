"""The desired state tells the reconcile what "up" means for each stack, and where each of its
HTTP probes goes: through the gateway routes that lead to the probe's port, else to the guest."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from fleet import load_fleet
from portainer.desired import parse_desired_state
from stacks.outputs import portainer_desired_state
from tests.config_edits import Mutation, append_item, remove_field, set_field
from tests.conftest import ROOT


def qdrant_health(tmp_path: Path, *edits: Mutation) -> dict[str, Any]:
    """The `health` of the qdrant stack in the desired state of an edited reference fleet,
    after checking that the reconcile's reader accepts the whole document."""
    configs = tmp_path / "configs"
    shutil.copytree(ROOT / "configs", configs)
    for edit in edits:
        edit(configs)
    desired = portainer_desired_state(load_fleet(configs))
    assert desired is not None
    parse_desired_state(desired)
    (stack,) = desired["agents"][0]["stacks"]
    health: dict[str, Any] = stack["health"]
    return health


def test_reference_probe_goes_through_the_gateway_route(tmp_path: Path) -> None:
    # GIVEN the reference fleet: /qdrant/ on the gateway leads to drphoenix:6333
    health = qdrant_health(tmp_path)
    # THEN the qdrant service must run, and /healthz is asked as a user asks it
    assert health == {
        "services": ["qdrant"],
        "probes": [
            {
                "port": 6333,
                "path": "/healthz",
                "status": 200,
                "targets": [{"url": "http://10.0.0.153/qdrant/healthz", "route": "/qdrant/"}],
            }
        ],
    }


def test_probe_goes_straight_to_the_guest_without_a_route(tmp_path: Path) -> None:
    # GIVEN no gateway route leads to port 6333
    health = qdrant_health(tmp_path, remove_field("gateway.yaml", "routes.0"))
    # THEN the probe asks the guest's published port
    assert health["probes"][0]["targets"] == [{"url": "http://10.0.0.102:6333/healthz"}]


def test_probe_follows_every_route_to_its_port(tmp_path: Path) -> None:
    # GIVEN a second route, a virtual host, to the same port, and the gateway on port 8080
    virtual_host = {"host": "qdrant.phoenix.local", "to": {"guest": "drphoenix", "port": 6333}}
    health = qdrant_health(
        tmp_path,
        append_item("gateway.yaml", "routes", virtual_host),
        set_field("gateway.yaml", "listen_port", 8080),
        append_item(
            "guests.yaml", "containers.101.firewall.rules", {"proto": "tcp", "dport": "8080"}
        ),
        set_field("stacks.yaml", "stacks.qdrant.health.probes.0.status", 204),
    )
    # THEN the probe is sent once through each, with the route's Host header
    (probe,) = health["probes"]
    assert probe["status"] == 204
    assert probe["targets"] == [
        {"url": "http://10.0.0.153:8080/qdrant/healthz", "route": "/qdrant/"},
        {
            "url": "http://10.0.0.153:8080/healthz",
            "route": "qdrant.phoenix.local/",
            "host": "qdrant.phoenix.local",
        },
    ]


def test_stack_without_probes_still_names_its_services(tmp_path: Path) -> None:
    health = qdrant_health(tmp_path, remove_field("stacks.yaml", "stacks.qdrant.health"))
    assert health == {"services": ["qdrant"], "probes": []}
