"""Shared fixtures: the project's Node.js for jsii, plan snapshots under `__snapshots__/`."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from syrupy.assertion import SnapshotAssertion
from syrupy.extensions.json import JSONSnapshotExtension
from syrupy.location import PyTestLocation

if TYPE_CHECKING:
    from rehearsal.ssh import Agent, GuestSshd
    from tests.gateway.nginx import Nginx

ROOT = Path(__file__).resolve().parents[1]

REQUIRE_TERRAFORM_ENV = "PHOENIX_REQUIRE_TERRAFORM"
"""Set to 1 (CI does) to fail instead of skipping when Terraform or the SSH stand-in cannot run."""

REQUIRE_NGINX_ENV = "PHOENIX_REQUIRE_NGINX"
"""Set to 1 (in CI) to fail instead of skipping when nginx cannot be obtained."""

GATEWAY = "127.0.0.153"
"""The reference gateway container on loopback: Terraform delivers its site over SSH."""

NODE = "127.0.0.13"
"""The reference fleet's Proxmox node on loopback: the reconcile reads the Portainer server's
certificate through it over SSH (`qm guest exec`)."""

# Tests talk to loopback only: no update or telemetry checks from Terraform or the cdktf CLI.
os.environ["CHECKPOINT_DISABLE"] = "1"

# The project's own tools first, as `make` puts them: the cdktf CLI, then the virtualenv's
# Node.js 22 (jsii: no end-of-life banner) and Terraform (toolchain/).
_TOOLS = [ROOT / "node_modules" / ".bin", Path(sys.executable).parent]
_PATH = os.environ.get("PATH", "").split(os.pathsep)
os.environ["PATH"] = os.pathsep.join(
    [*(str(tools) for tools in _TOOLS if tools.is_dir()), *(p for p in _PATH if p)]
)
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

    def diff_lines(self, serialized_data: Any, snapshot_data: Any) -> Iterator[str]:
        """By Terraform address, only what changed, long texts line by line (tests/plan_diff)."""
        from tests.plan_diff import plan_diff_lines

        yield from plan_diff_lines(str(snapshot_data), str(serialized_data))


@pytest.fixture
def plan_snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    """`assert synth_json(stack) == plan_snapshot`."""
    return snapshot.use_extension(PlanSnapshot)


def terraform_or_skip() -> str:
    """The Terraform binary; skip saying why when there is none (fail under CI)."""
    from rehearsal.terraform import find_terraform

    binary = find_terraform()
    if binary is None:
        reason = "terraform is not on PATH: this test runs real Terraform"
        if os.environ.get(REQUIRE_TERRAFORM_ENV) == "1":
            pytest.fail(f"{REQUIRE_TERRAFORM_ENV}=1 but {reason}")
        pytest.skip(reason)
    return binary


@pytest.fixture(scope="session")
def ssh(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Agent, GuestSshd]]:
    """The deployer's ssh-agent, and the sshd of the gateway container and of the Proxmox
    node, on loopback port 22."""
    from rehearsal.ssh import Agent, GuestSshd

    with contextlib.ExitStack() as stack:
        try:
            agent = stack.enter_context(Agent(tmp_path_factory.mktemp("agent")))
            sshd = stack.enter_context(GuestSshd([GATEWAY, NODE], agent.public_key))
        except (PermissionError, RuntimeError) as error:
            # Port 22 needs root (CI runs as root); ssh-agent comes with openssh-client.
            reason = f"the gateway's SSH delivery cannot be stood in for here: {error}"
            if os.environ.get(REQUIRE_TERRAFORM_ENV) == "1":
                pytest.fail(f"{REQUIRE_TERRAFORM_ENV}=1 but {reason}")
            pytest.skip(reason)
        yield agent, sshd


@pytest.fixture(scope="session")
def nginx() -> Nginx:
    """A runnable nginx: on PATH, or Debian's packages unpacked under `.make/nginx/`
    (tests/gateway/nginx.py); a skip that says why when there is none (a failure under CI)."""
    from tests.gateway.nginx import NginxUnavailable, locate_nginx

    try:
        return locate_nginx()
    except NginxUnavailable as error:
        if os.environ.get(REQUIRE_NGINX_ENV) == "1":
            pytest.fail(f"{REQUIRE_NGINX_ENV}=1 but nginx is unavailable: {error}")
        pytest.skip(f"nginx is unavailable, so the tests that run it are skipped: {error}")
