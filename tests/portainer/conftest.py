"""Fixtures: a fake Portainer and fake agents on loopback, desired-state builders, a CLI runner,
and a Proxmox node stand-in that serves the server's certificate over SSH."""

from __future__ import annotations

import hashlib
import io
import json
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from portainer.cli import main
from rehearsal.ssh import Agent, GuestSshd
from tests.fakes.agent import FakeAgent
from tests.fakes.portainer import FakePortainer
from tests.fakes.server import free_port

#: The Proxmox node on loopback, and the VM that runs Portainer on it.
NODE = "127.0.0.13"
SERVER_VMID = 1001
#: Where Portainer keeps its certificate, seen from the VM (the bootstrap's data volume).
CERT_PATH = "/var/lib/docker/volumes/portainer-server_portainer_data/_data/certs/cert.pem"

#: Quick polls and retries so the suite stays fast; every reconcile in the tests uses them.
#: Deadlines stay generous (a loaded CI machine is slow, never wrong): a test that wants a wait
#: to run out passes its own short deadline.
FAST = [
    "--server-timeout",
    "30",
    "--agent-timeout",
    "0.3",
    "--deploy-timeout",
    "60",
    "--health-timeout",
    "60",
    "--poll-interval",
    "0.02",
    "--retry-backoff",
    "0.01",
    "--request-timeout",
    "30",
]


def stack_doc(
    name: str,
    compose: str = "services:\n  app:\n    image: nginx:1.27\n",
    env: dict[str, str] | None = None,
    secret_env: dict[str, str] | None = None,
    services: Sequence[str] | None = None,
    probes: Sequence[dict[str, Any]] = (),
) -> dict[str, Any]:
    """One desired stack as the infra stack's output publishes it. `services` (default: the
    compose file's) must run once it is up, and `probes` (see `probe_doc`) must answer."""
    return {
        "name": name,
        "compose": compose,
        "compose_sha256": hashlib.sha256(compose.encode("utf-8")).hexdigest(),
        "env": [{"name": k, "value": v} for k, v in sorted((env or {}).items())],
        "secret_env": [{"name": k, "from_env": v} for k, v in sorted((secret_env or {}).items())],
        "health": {
            "services": sorted(yaml.safe_load(compose)["services"])
            if services is None
            else list(services),
            "probes": list(probes),
        },
    }


def probe_doc(
    url: str,
    *,
    path: str = "/healthz",
    port: int = 6333,
    status: int = 200,
    route: str | None = None,
) -> dict[str, Any]:
    """One desired HTTP probe with a single target: `url`, through gateway `route` if given."""
    target: dict[str, Any] = {"url": url}
    if route is not None:
        target["route"] = route
    return {"port": port, "path": path, "status": status, "targets": [target]}


def agent_doc(name: str, url: str, stacks: Sequence[dict[str, Any]] = ()) -> dict[str, Any]:
    """One desired agent."""
    return {"name": name, "guest": name, "vmid": 1002, "url": url, "stacks": list(stacks)}


def desired_doc(
    agents: Sequence[dict[str, Any]],
    owner: str = "phoenix",
    certificate_source: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The whole `portainer` output (its server URL is never used: PORTAINER_URL wins)."""
    server: dict[str, Any] = {
        "url": "https://192.0.2.1:9443",  # TEST-NET: must never be contacted
        "guest": "portainer",
        "version": "2.44.0",
        "admin_username": "admin",
    }
    if certificate_source is not None:
        server["certificate_source"] = certificate_source
    return {
        "schema_version": 1,
        "owner": owner,
        "server": server,
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
        self.pins = tmp_path / "pins.json"
        self.env: dict[str, str] = {
            "PORTAINER_URL": fake.url,
            "PORTAINER_CA_BUNDLE": fake.ca_bundle,
            "PORTAINER_PINS_FILE": str(self.pins),
        }

    def write_outputs(self, desired: dict[str, Any]) -> Path:
        """Write a cdktf --outputs-file with the desired state."""
        path = self.tmp_path / "outputs.json"
        path.write_text(json.dumps({"infra": {"portainer": desired, "inventory": []}}))
        return path

    def __call__(self, desired: dict[str, Any], *args: str, **env: str) -> Result:
        return self.command("reconcile", desired, *FAST, *args, **env)

    def command(self, name: str, desired: dict[str, Any], *args: str, **env: str) -> Result:
        """Run ``python -m portainer <name> --outputs-file <desired> ...``."""
        path = self.write_outputs(desired)
        out, err = io.StringIO(), io.StringIO()
        code = main([name, "--outputs-file", str(path), *args], {**self.env, **env}, out, err)
        return Result(code, out.getvalue(), err.getvalue())


@pytest.fixture(autouse=True)
def _home_is_private(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No test reads or writes the real ~/.config (pins) even if it forgets PORTAINER_PINS_FILE."""
    monkeypatch.setenv("HOME", str(tmp_path_factory.mktemp("home")))
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)


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


@dataclass
class NodeSsh:
    """An sshd standing in for the Proxmox node, the deployer's agent, and a known_hosts file
    that knows the node's key: the deployer's side of the certificate route."""

    sshd: GuestSshd
    agent: Agent
    known_hosts: Path

    @property
    def port(self) -> int:
        """The node's SSH port (a free one: no root needed)."""
        return self.sshd.port

    def env(self) -> dict[str, str]:
        """What `ssh` needs: the agent, and no user or system ssh_config."""
        return {
            "PATH": os.environ.get("PATH", os.defpath),
            "SSH_AUTH_SOCK": str(self.agent.socket),
            "PHOENIX_SSH_COMMAND": f"ssh -F /dev/null -o UserKnownHostsFile={self.known_hosts}",
        }

    def serve_certificate_of(self, fake: FakePortainer) -> None:
        """Put the fake's certificate and key where Portainer keeps them in VM 1001."""
        certs = self.sshd.guest_files(NODE, SERVER_VMID) / CERT_PATH.lstrip("/")
        certs.parent.mkdir(parents=True, exist_ok=True)
        certs.write_text(fake.certificate_pem, encoding="ascii")
        (certs.parent / "key.pem").write_text(fake.private_key_pem, encoding="ascii")

    def source_doc(self, user: str = "root") -> dict[str, Any]:
        """The desired state's `server.certificate_source` for this node."""
        return {
            "ssh_host": NODE,
            "ssh_port": self.port,
            "ssh_user": user,
            "vmid": SERVER_VMID,
            "path": CERT_PATH,
        }

    def guest_exec_calls(self) -> list[str]:
        """The `qm guest exec` commands the node was asked to run."""
        return [e.detail for e in self.sshd.events if e.kind == "command" and "qm" in e.detail]


@pytest.fixture
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NodeSsh]:
    """The Proxmox node stand-in on 127.0.0.13 (a free port), its key already known."""
    directory = tmp_path_factory.mktemp("node")
    with (
        Agent(directory / "agent") as agent,
        GuestSshd([NODE], agent.public_key, port=free_port(NODE)) as sshd,
    ):
        known_hosts = directory / "known_hosts"
        known_hosts.write_text(sshd.known_hosts(), encoding="utf-8")
        yield NodeSsh(sshd, agent, known_hosts)
