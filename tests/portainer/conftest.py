"""Fixtures: a fake Portainer and fake agents on loopback, desired-state builders, a CLI runner."""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from portainer.cli import main
from tests.fakes.agent import FakeAgent
from tests.fakes.portainer import FakePortainer

#: Short waits so the suite stays fast; every reconcile in the tests uses them.
FAST = [
    "--server-timeout",
    "3",
    "--agent-timeout",
    "0.3",
    "--deploy-timeout",
    "5",
    "--poll-interval",
    "0.02",
    "--retry-backoff",
    "0.01",
    "--request-timeout",
    "5",
]


def stack_doc(
    name: str,
    compose: str = "services:\n  app:\n    image: nginx:1.27\n",
    env: dict[str, str] | None = None,
    secret_env: dict[str, str] | None = None,
) -> dict[str, Any]:
    """One desired stack as the infra stack's output publishes it."""
    return {
        "name": name,
        "compose": compose,
        "compose_sha256": hashlib.sha256(compose.encode("utf-8")).hexdigest(),
        "env": [{"name": k, "value": v} for k, v in sorted((env or {}).items())],
        "secret_env": [{"name": k, "from_env": v} for k, v in sorted((secret_env or {}).items())],
    }


def agent_doc(name: str, url: str, stacks: Sequence[dict[str, Any]] = ()) -> dict[str, Any]:
    """One desired agent."""
    return {"name": name, "guest": name, "vmid": 1002, "url": url, "stacks": list(stacks)}


def desired_doc(agents: Sequence[dict[str, Any]], owner: str = "phoenix") -> dict[str, Any]:
    """The whole `portainer` output (its server URL is never used: PORTAINER_URL wins)."""
    return {
        "schema_version": 1,
        "owner": owner,
        "server": {
            "url": "https://192.0.2.1:9443",  # TEST-NET: must never be contacted
            "guest": "portainer",
            "version": "2.44.0",
            "admin_username": "admin",
        },
        "agents": sorted(agents, key=lambda a: str(a["name"])),
    }


@dataclass
class Result:
    """What one CLI run returned and printed."""

    code: int
    out: str
    err: str

    def json(self) -> Any:
        """stdout parsed as JSON (for --json runs)."""
        return json.loads(self.out)


class Runner:
    """Runs ``python -m portainer reconcile`` in-process against the fake."""

    def __init__(self, fake: FakePortainer, tmp_path: Path) -> None:
        self.fake = fake
        self.tmp_path = tmp_path
        self.env: dict[str, str] = {
            "PORTAINER_URL": fake.url,
            "PORTAINER_CA_BUNDLE": fake.ca_bundle,
        }

    def write_outputs(self, desired: dict[str, Any]) -> Path:
        """Write a cdktf --outputs-file with the desired state."""
        path = self.tmp_path / "outputs.json"
        path.write_text(json.dumps({"infra": {"portainer": desired, "inventory": []}}))
        return path

    def __call__(self, desired: dict[str, Any], *args: str, **env: str) -> Result:
        path = self.write_outputs(desired)
        out, err = io.StringIO(), io.StringIO()
        code = main(
            ["reconcile", "--outputs-file", str(path), *FAST, *args],
            {**self.env, **env},
            out,
            err,
        )
        return Result(code, out.getvalue(), err.getvalue())


@pytest.fixture
def fake() -> Iterator[FakePortainer]:
    """A fresh fake Portainer (no admin yet) on 127.0.0.1."""
    with FakePortainer(deploy_seconds=0.03) as server:
        yield server


@pytest.fixture
def agent() -> Iterator[FakeAgent]:
    """A reachable fake agent on 127.0.0.102."""
    with FakeAgent("127.0.0.102") as running:
        yield running


@pytest.fixture
def agent2() -> Iterator[FakeAgent]:
    """A second reachable fake agent on 127.0.0.104."""
    with FakeAgent("127.0.0.104") as running:
        yield running


@pytest.fixture
def api_key(fake: FakePortainer) -> str:
    """A valid API key (the admin exists)."""
    return fake.add_api_key()


@pytest.fixture
def run(fake: FakePortainer, tmp_path: Path, api_key: str) -> Runner:
    """A CLI runner authenticated with ``api_key``."""
    runner = Runner(fake, tmp_path)
    runner.env["PORTAINER_API_KEY"] = api_key
    return runner
