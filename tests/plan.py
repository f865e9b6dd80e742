"""Helpers to read synthesized Terraform JSON in tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import cdktf
from cdktf import App, TerraformStack
from constructs import Construct

from constructs_lib import Ipv4Props, PhoenixVm, PhoenixVmProps
from fleet import Fleet
from stacks import build_stacks


def minimal_vm(scope: Construct, address: str = "dhcp") -> PhoenixVm:
    """`vm_1002`, a clone of template 9000 with only the required props: a guest to attach to."""
    return PhoenixVm(
        scope,
        "vm_1002",
        PhoenixVmProps(
            node_name="pve",
            vm_id=1002,
            name="vm",
            template=9000,
            datastore_id="local-lvm",
            ipv4=Ipv4Props(address=address),
        ),
    )


def synth_json(stack: TerraformStack) -> dict[str, Any]:
    """The stack's Terraform JSON as cdktf's test synthesizer renders it (no `//` metadata)."""
    parsed: dict[str, Any] = json.loads(cdktf.Testing.synth(stack))
    return parsed


def resource(plan: dict[str, Any], resource_type: str, name: str) -> dict[str, Any]:
    """One resource's arguments; KeyError names what is missing."""
    try:
        found: dict[str, Any] = plan["resource"][resource_type][name]
    except KeyError:
        present = sorted(plan.get("resource", {}).get(resource_type, {}))
        raise KeyError(f"{resource_type}.{name} not in plan (have: {present})") from None
    return found


def make_app(outdir: str) -> App:
    """A cdktf test app writing into `outdir` (never the shared temp dir)."""
    return cdktf.Testing.app(outdir=outdir)


def synth_fleet(fleet: Fleet, outdir: str) -> dict[str, dict[str, Any]]:
    """Every stack of the fleet, synthesized, by stack id."""
    app = make_app(outdir)
    build_stacks(app, fleet)
    return {
        stack.node.id: synth_json(stack)
        for stack in app.node.children
        if isinstance(stack, TerraformStack)
    }


def without_metadata(node: Any) -> Any:
    """Drop cdktf's `//` metadata keys (paths, versions) from synthesized JSON."""
    if isinstance(node, dict):
        return {key: without_metadata(value) for key, value in node.items() if key != "//"}
    if isinstance(node, list):
        return [without_metadata(item) for item in node]
    return node


def synth_files(fleet: Fleet, outdir: Path) -> dict[str, dict[str, Any]]:
    """What `cdktf synth` writes for the fleet (cross-stack wiring included), by stack id."""
    app = App(outdir=str(outdir))
    build_stacks(app, fleet)
    app.synth()
    manifest = json.loads((outdir / "manifest.json").read_text(encoding="utf-8"))
    return {
        name: without_metadata(
            json.loads((outdir / stack["synthesizedStackPath"]).read_text(encoding="utf-8"))
        )
        for name, stack in manifest["stacks"].items()
    }
