"""`make review`: a fleet change summarised from Terraform's own plan on the stand-in."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from review.run import plan_change, synthesize
from review.summary import Review, gateway_text, review, sides
from tests.config_edits import append_item, rename_key, set_field, update_field
from tests.conftest import ROOT, terraform_or_skip

Edit = Callable[[Path], None]

MEMORY = set_field("guests.yaml", "vms.1002.memory_mib", 16384)
VMID = rename_key("guests.yaml", "vms.1002", 1003)
VMID_EXPORT = set_field(
    "guests.yaml", "vms.1003.volumes.0.export", "/quickOS/vm-persistent-data/1003"
)
ROUTE = append_item(
    "gateway.yaml",
    "routes",
    {"host": "qdrant.phoenix.local", "to": {"guest": "drphoenix", "port": 6333}},
)
COMPOSE = update_field("stacks/qdrant/compose.yaml", "services.qdrant.image", lambda i: f"{i}-next")


def summarise(tmp_path: Path, *edits: Edit) -> Review:
    binary = terraform_or_skip()
    base_configs, head_configs = tmp_path / "base", tmp_path / "head"
    shutil.copytree(ROOT / "configs", base_configs)
    shutil.copytree(ROOT / "configs", head_configs)
    for change in edits:
        change(head_configs)
    base = synthesize(ROOT, base_configs, tmp_path / "base.out")
    head = synthesize(ROOT, head_configs, tmp_path / "head.out")
    assert head is not None
    plan = plan_change(binary, base, head, tmp_path / "scratch")
    before, after = sides(plan)
    before.gateway_site, after.gateway_site = gateway_text(base), gateway_text(head)
    volumes = {1003: ["/quickOS/vm-persistent-data/1003 → /persistent-storage"]}
    return review(plan, before, after, volumes)


def lines(result: Review) -> list[tuple[str, str]]:
    return [(line.group, line.text) for line in result.lines]


@pytest.mark.e2e
def test_a_fixture_pull_request_reads_as_what_it_does(tmp_path: Path) -> None:
    # GIVEN a pull request that grows VM 1002's memory, edits the Qdrant compose file and adds
    # a gateway route
    result = summarise(tmp_path, MEMORY, COMPOSE, ROUTE)
    # THEN the summary says exactly: one in-place update, one stack update, one gateway change
    assert lines(result) == [
        ("Updated in place", "drphoenix (VM 1002): memory (MiB): 8192 → 16384"),
        (
            "Gateway",
            "site rewritten and delivered again: + qdrant.phoenix.local/ → drphoenix:6333 "
            "(http://10.0.0.102:6333)",
        ),
        # one line for the stack: the new route leads to the port Qdrant's probe asks, so the
        # probe goes through it too
        (
            "Portainer",
            "stack qdrant on drphoenix: updated (compose +1 -1 lines); health check changed "
            "(+ probe http://10.0.0.153/healthz (Host: qdrant.phoenix.local))",
        ),
    ]
    assert not result.destructive


@pytest.mark.e2e
def test_a_changed_probe_is_a_health_check_change_not_a_stack_update(tmp_path: Path) -> None:
    # GIVEN a pull request that only changes the path of Qdrant's probe
    result = summarise(
        tmp_path, set_field("stacks.yaml", "stacks.qdrant.health.probes.0.path", "/readyz")
    )
    # THEN Portainer gets no write, only another check after the deploy
    assert lines(result) == [
        (
            "Portainer",
            "stack qdrant on drphoenix: health check changed (+ probe "
            "http://10.0.0.153/qdrant/readyz, - probe http://10.0.0.153/qdrant/healthz)",
        )
    ]


@pytest.mark.e2e
def test_a_vmid_change_is_a_rebuild_with_its_reason_and_what_is_lost(tmp_path: Path) -> None:
    # GIVEN a pull request that changes VM 1002's VMID to 1003 (and its NFS directory)
    result = summarise(tmp_path, VMID, VMID_EXPORT)
    # THEN it is one rebuilt guest, named, with why, what is lost and what survives
    [(group, text)] = [line for line in lines(result) if line[0] != "Portainer"]
    assert group == "Replaced or destroyed"
    assert text.startswith("drphoenix (VMID 1002 → 1003): **rebuilt** because its VMID changes")
    assert "local disk is lost; NFS volumes survive (/quickOS/vm-persistent-data/1003" in text
    assert "renumbered_from: 1002" in text  # and how to keep the two from running at once
    assert result.destructive
    # AND the Portainer side: the agent's environment keeps its name and address
    assert ("Portainer", "stack qdrant on drphoenix: created") not in lines(result)


@pytest.mark.e2e
def test_all_four_edits_in_one_pull_request(tmp_path: Path) -> None:
    # GIVEN one pull request with the four edits: memory, VMID, compose file, gateway route
    result = summarise(tmp_path, MEMORY, VMID, VMID_EXPORT, COMPOSE, ROUTE)
    groups = [group for group, _ in lines(result)]
    # THEN a rebuild (that also carries the memory change), one gateway change, one stack update
    assert groups == ["Replaced or destroyed", "Gateway", "Portainer"]
    rebuilt = lines(result)[0][1]
    assert rebuilt.startswith("drphoenix (VMID 1002 → 1003): **rebuilt**")
    assert "It comes back with memory (MiB): 8192 → 16384." in rebuilt
    # AND one line for the stack: its new route also gives its health probe a new way in
    assert lines(result)[2][1].startswith(
        "stack qdrant on drphoenix: updated (compose +1 -1 lines); health check changed (+ probe "
    )
    assert result.destructive


@pytest.mark.e2e
def test_make_review_on_an_unchanged_tree_says_no_changes_and_exits_0() -> None:
    terraform_or_skip()
    result = subprocess.run(
        [sys.executable, "-m", "review"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "No changes" in result.stdout


def test_destructive_changes_fail_the_review_unless_allowed(tmp_path: Path) -> None:
    # A plan made against a real Proxmox, rendered from its JSON: a VM replaced by node change
    plan = {
        "resource_changes": [
            {
                "address": "proxmox_virtual_environment_vm.vm_1002",
                "type": "proxmox_virtual_environment_vm",
                "name": "vm_1002",
                "change": {
                    "actions": ["delete", "create"],
                    "before": {"name": "drphoenix", "node_name": "pve"},
                    "after": {"name": "drphoenix", "node_name": "pve2"},
                    "replace_paths": [["node_name"]],
                },
            }
        ],
        "output_changes": {
            "inventory": {
                "before": [{"vmid": 1002, "name": "drphoenix"}],
                "after": [{"vmid": 1002, "name": "drphoenix"}],
            }
        },
    }
    path = tmp_path / "plan.json"
    path.write_text(__import__("json").dumps(plan), encoding="utf-8")
    command = [sys.executable, "-m", "review", "--plan-json", str(path)]
    refused = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    assert refused.returncode == 2
    assert "drphoenix (VM 1002): **rebuilt** because it moves to another node" in refused.stdout
    allowed = subprocess.run(
        [*command, "--allow-replace"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert allowed.returncode == 0


@pytest.mark.e2e
def test_ha_turned_on_reads_as_ha_not_as_a_guest_change(tmp_path: Path) -> None:
    # GIVEN a pull request that makes VM 1002 HA-managed (its node's storage declared shared,
    # as the fleet checks require for HA guests)
    shared = set_field("proxmox.yaml", "shared_storage", ["local", "local-lvm"])
    result = summarise(tmp_path, shared, set_field("guests.yaml", "vms.1002.ha", {}))
    # THEN the summary has one line, under high availability; the guest itself is untouched
    assert lines(result) == [
        ("High availability", "drphoenix (VM 1002): HA-managed from now on"),
    ]
    assert not result.destructive


@pytest.mark.e2e
def test_config_text_in_the_review_cannot_hide_or_forge_lines(tmp_path: Path) -> None:
    # GIVEN a pull request whose new description opens an HTML comment and forges a section
    forged = "<!-- hidden\n**Created**\n- nothing to see"
    result = summarise(tmp_path, set_field("guests.yaml", "vms.1002.description", forged))
    # THEN the review shows the text inert: escaped, on the change's own line
    [(group, text)] = lines(result)
    assert group == "Updated in place"
    assert text == (
        "drphoenix (VM 1002): description: Portainer agent running the Qdrant vector database "
        "→ \\<!-- hidden\\\\n\\*\\*Created\\*\\*\\\\n- nothing to see"
    )
    rendered = result.markdown("Fleet change")
    assert "<!--" not in rendered.replace("\\<!--", "")
    assert rendered.count("\n**Created**") == 0
