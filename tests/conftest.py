"""Shared fixtures: the project's Node.js for jsii, plan snapshots under `__snapshots__/`."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from syrupy.assertion import SnapshotAssertion
from syrupy.extensions.json import JSONSnapshotExtension
from syrupy.location import PyTestLocation

ROOT = Path(__file__).resolve().parents[1]

# Tests talk to loopback only: no update or telemetry checks from Terraform or the cdktf CLI.
os.environ["CHECKPOINT_DISABLE"] = "1"

# jsii runs the project's Node.js 22 from node_modules, as `make` does (no end-of-life banner).
_NODE_BIN = ROOT / "node_modules" / ".bin"
if _NODE_BIN.is_dir() and str(_NODE_BIN) not in os.environ.get("PATH", ""):
    os.environ["PATH"] = f"{_NODE_BIN}{os.pathsep}{os.environ.get('PATH', '')}"
    os.environ.setdefault("NODE_OPTIONS", "--max-old-space-size=4096 --disable-warning=DEP0044")


class PlanSnapshot(JSONSnapshotExtension):
    """Parsed-JSON snapshots in the top-level `__snapshots__/<test module>/<test>.json`, so a
    pull request shows an infrastructure change as a readable per-file diff."""

    @classmethod
    def dirname(cls, *, test_location: PyTestLocation) -> str:
        return str(ROOT / "__snapshots__" / test_location.basename)

    @classmethod
    def matches_test_location(
        cls, *, test_location: PyTestLocation, snapshot_location: str
    ) -> bool:
        # syrupy ties a `__snapshots__` folder to the tests beside it; ours sits at the top level.
        location = Path(snapshot_location)
        if location.parent != Path(cls.dirname(test_location=test_location)):
            return False
        if not test_location.is_item_parametrized:
            return True
        name = test_location.snapshot_name_parametrized
        return location.stem == name or location.stem.startswith((f"{name}.", f"{name}["))


@pytest.fixture
def plan_snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    """`assert synth_json(stack) == plan_snapshot`."""
    return snapshot.use_extension(PlanSnapshot)
