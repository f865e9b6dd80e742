"""Real Terraform keeping Phoenix's state in a real, throwaway PostgreSQL (tests/postgres.py).

The fleet is the reference one on loopback without its gateway (whose SSH delivery is tested
in tests/e2e), so nothing here needs port 22. The post-apply reconcile is a stub interpreter
(`PHOENIX_PYTHON`) that records the desired state it was given and can be held running, so a
test decides exactly when an apply holds its lock.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from fleet.state import PG_CONN_ENV
from rehearsal.loopback import copy_to_loopback
from rehearsal.terraform import Terraform
from tests.conftest import ROOT, terraform_or_skip
from tests.plans.conftest import synthesize
from tests.postgres import (
    REQUIRE_POSTGRES_ENV,
    Postgres,
    PostgresUnavailableError,
    throwaway_postgres,
)

WAIT_SECONDS = 300.0
"""Upper bound of every wait for something another process does (never a timing target)."""

STUB = """#!/bin/sh
# Stands in for `python -m portainer reconcile`: records the desired state it was handed,
# then stays running while the hold file exists.
cat > "$PHOENIX_TEST_DIR/reconcile-desired-state"  # the desired state comes on stdin
touch "$PHOENIX_TEST_DIR/reconcile-started"
while [ -e "$PHOENIX_TEST_DIR/reconcile-hold" ]; do sleep 0.05; done
"""


@pytest.fixture(scope="session")
def postgres() -> Iterator[Postgres]:
    """One throwaway server for the session; each test uses its own schemas in it."""
    try:
        with throwaway_postgres() as server:
            yield server
    except PostgresUnavailableError as error:
        reason = f"these tests keep Terraform state in PostgreSQL: {error}"
        if os.environ.get(REQUIRE_POSTGRES_ENV) == "1":
            pytest.fail(f"{REQUIRE_POSTGRES_ENV}=1 but {reason}")
        pytest.skip(reason)


class StateTerraform(Terraform):
    """The stand-in runner, with the deployer's state credentials in the environment."""

    def __init__(self, binary: str, home: Path, world: Path, state_env: Mapping[str, str]):
        super().__init__(binary, home, world=world)
        self.state_env = dict(state_env)

    def env(self) -> dict[str, str]:
        return {**super().env(), **self.state_env}


@dataclass
class PgFleet:
    """The fleet under `root`, its state in the schemas `<prefix>_<stack>` of `postgres`."""

    root: Path
    postgres: Postgres
    prefix: str
    terraform: StateTerraform
    logs: list[str] = field(default_factory=list)
    """Everything Terraform printed in this fleet's runs, for the leak checks."""

    @property
    def configs(self) -> Path:
        return self.root / "configs"

    def stack(self, name: str) -> Path:
        return self.root / "cdktf.out" / "stacks" / name

    def use_state(self, text: str) -> None:
        (self.configs / "state.yaml").write_text(text, encoding="utf-8")

    def synth(self) -> None:
        outdir = self.root / "cdktf.out"
        for old in (outdir / "stacks").glob("*/cdk.tf.json") if outdir.exists() else ():
            old.unlink()
        synthesize(self.configs, outdir)

    def run(self, stack: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        result = self.terraform.run(self.stack(stack), *args, check=check)
        self.logs.append(result.stdout + result.stderr)
        return result

    def apply(self, stack: str, *args: str) -> str:
        result = self.run(stack, "apply", "-auto-approve", "-input=false", "-no-color", *args)
        return result.stdout + result.stderr

    def start(self, stack: str, *args: str) -> Background:
        """A Terraform command running on its own, in its own process group."""
        log = self.root / f"background-{len(self.logs)}-{time.monotonic_ns()}.log"
        handle = log.open("w", encoding="utf-8")
        process = subprocess.Popen(
            [self.terraform.binary, *args],
            cwd=self.stack(stack),
            env=self.terraform.env(),
            stdout=handle,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        handle.close()
        return Background(process, log, self.logs)

    # -- the stub reconcile ---------------------------------------------------------------

    def hold_reconcile(self) -> None:
        """From now on a reconcile keeps running (its apply keeps the lock) until released."""
        (self.root / "reconcile-hold").touch()
        (self.root / "reconcile-started").unlink(missing_ok=True)

    def release_reconcile(self) -> None:
        (self.root / "reconcile-hold").unlink(missing_ok=True)

    def wait_for_reconcile(self) -> None:
        wait_until(lambda: (self.root / "reconcile-started").exists(), "the reconcile to start")

    def desired_state_handed_to_reconcile(self) -> Any:
        return json.loads((self.root / "reconcile-desired-state").read_text(encoding="utf-8"))


@dataclass
class Background:
    """A Terraform process started by `PgFleet.start`."""

    process: subprocess.Popen[str]
    log: Path
    logs: list[str]

    def finish(self) -> tuple[int, str]:
        """Wait for it to exit: (exit code, output)."""
        code = self.process.wait(timeout=WAIT_SECONDS)
        output = self.log.read_text(encoding="utf-8")
        self.logs.append(output)
        return code, output

    def signal(self, number: signal.Signals, *, group: bool = False) -> None:
        if group:
            os.killpg(self.process.pid, number)
        else:
            os.kill(self.process.pid, number)

    def kill(self) -> None:
        """SIGKILL the whole group (Terraform, its provider plugins, the reconcile)."""
        if self.process.poll() is None:
            self.signal(signal.SIGCONT, group=True)
            self.signal(signal.SIGKILL, group=True)
        self.process.wait(timeout=WAIT_SECONDS)
        self.logs.append(self.log.read_text(encoding="utf-8"))


def wait_until(condition: Callable[[], bool], what: str) -> None:
    """Poll `condition` until it holds; fail after WAIT_SECONDS saying what never happened."""
    deadline = time.monotonic() + WAIT_SECONDS
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting for {what}")
        time.sleep(0.05)


_PREFIXES = iter(range(1, 10_000))


@pytest.fixture
def pg_fleet(tmp_path: Path, postgres: Postgres) -> Iterator[PgFleet]:
    """The loopback reference fleet (no gateway) with `state.yaml` set to pg, synthesized; its
    schemas are this test's own."""
    binary = terraform_or_skip()
    root = tmp_path / "fleet"
    copy_to_loopback(ROOT / "configs", root / "configs")
    (root / "configs" / "gateway.yaml").unlink()
    stub = root / "reconcile-stub"
    stub.write_text(STUB, encoding="utf-8")
    stub.chmod(0o755)
    prefix = f"t{os.getpid()}_{next(_PREFIXES)}"
    terraform = StateTerraform(
        binary,
        root / ".standin",
        root / "proxmox-world.json",
        {
            PG_CONN_ENV: postgres.conn_str(),
            "PHOENIX_PYTHON": str(stub),
            "PHOENIX_TEST_DIR": str(root),
        },
    )
    fleet = PgFleet(root, postgres, prefix, terraform)
    fleet.use_state(f"backend: pg\npg:\n  schema_prefix: {prefix}\n")
    fleet.synth()
    yield fleet
    fleet.release_reconcile()
