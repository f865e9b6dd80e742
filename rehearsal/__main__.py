"""`python -m rehearsal`: deploy a fleet offline, end to end, with nothing real touched.

    make rehearse                              # the fleet in $PHOENIX_CONFIG_DIR (configs/)
    .venv/bin/python -m rehearsal --config examples/minimal --workdir /tmp/rehearsal

1. the fleet's config is copied with its private addresses moved onto loopback
   (10.0.0.102 -> 127.0.0.102) and synthesized, exactly as `cdktf synth` does;
2. real Terraform applies the infra stack against the bpg/proxmox stand-in, whose cluster is a
   JSON file in the work dir; the gateway site goes over SSH to a loopback sshd (needs root
   for port 22; otherwise that one step is left out and the rehearsal says so);
3. the post-apply stack reads infra's state and runs the Portainer reconcile against a fake
   Portainer and fake agents on the agents' loopback addresses, with verified TLS as in a real
   deploy: the reconcile pins the fake's certificate, read with `qm guest exec` over SSH from
   a stand-in of the Proxmox node (port 22 again; without root the fake's CA is trusted). It
   does not wait for the stacks to be up (`--no-wait-healthy`): no service runs behind the
   loopback addresses to answer their probes;
4. both stacks are planned again: a converged fleet has nothing left to do.

Your Proxmox and Portainer credentials are never used: the stand-in gets a placeholder token,
the fake Portainer a generated password, and every stack secret a generated value. The work
dir keeps the state, so the README's inspection commands (printed at the end) work on it.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .loopback import copy_to_loopback
from .ssh import Agent, GuestSshd
from .terraform import ROOT_HINT, Terraform, TerraformError, find_terraform

ROOT = Path(__file__).resolve().parents[1]
GATEWAY_RESOURCE = "terraform_data.gateway_site"


def _progress(message: str) -> None:
    print(f"==> {message}", flush=True)


def _synth(configs: Path, outdir: Path) -> None:
    env = {**os.environ, "PHOENIX_CONFIG_DIR": str(configs), "CDKTF_OUTDIR": str(outdir)}
    result = subprocess.run([sys.executable, str(ROOT / "main.py")], cwd=ROOT, env=env, check=False)
    if result.returncode != 0:
        raise SystemExit("rehearsal: the fleet does not synthesize (see above)")


def _stack(outdir: Path, name: str) -> dict[str, Any] | None:
    path = outdir / "stacks" / name / "cdk.tf.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def _ssh_hosts(infra: dict[str, Any]) -> list[str]:
    """Hosts Terraform provisions over SSH (the gateway container)."""
    hosts = []
    for resource in infra.get("resource", {}).get("terraform_data", {}).values():
        host = resource.get("connection", {}).get("host")
        if host:
            hosts.append(host)
    return sorted(set(hosts))


def _addresses(infra: dict[str, Any]) -> list[str]:
    return [
        f"{kind}.{name}"
        for kind, resources in infra.get("resource", {}).items()
        for name in resources
    ]


@contextlib.contextmanager
def _guest_sshd(hosts: list[str], agent: Agent) -> Iterator[GuestSshd | None]:
    if not hosts:
        yield None
        return
    sshd = GuestSshd(hosts, agent.public_key)
    try:
        sshd.__enter__()
    except PermissionError:
        yield None
        return
    try:
        yield sshd
    finally:
        sshd.__exit__(None, None, None)


def _portainer_env(desired: dict[str, Any], fake: Any) -> dict[str, str]:
    """Credentials for the fake Portainer and generated values for every stack secret."""
    env = {
        "PORTAINER_URL": fake.url,
        "PORTAINER_USERNAME": desired["server"]["admin_username"],
        "PORTAINER_PASSWORD": secrets.token_urlsafe(18),
        "PHOENIX_PYTHON": sys.executable,
        "PYTHONPATH": str(ROOT),
    }
    for agent in desired.get("agents", []):
        for stack in agent.get("stacks", []):
            for secret in stack.get("secret_env", []):
                env[secret["from_env"]] = f"rehearsal-{secrets.token_hex(8)}"
    return env


def _certificate_route(
    stack: contextlib.ExitStack, desired: dict[str, Any], fake: Any, agent: Agent, workdir: Path
) -> dict[str, str]:
    """The environment that lets the reconcile pin the fake's certificate over SSH, as it pins
    the real one: a node sshd serving the file, its key in a known_hosts, a pins file here."""
    source = desired["server"].get("certificate_source")
    fallback = {"PORTAINER_CA_BUNDLE": fake.ca_bundle}
    if source is None:
        print("    note: the outputs name no certificate source; the fake's CA is trusted")
        return fallback
    host, port = source["ssh_host"], int(source["ssh_port"])
    try:
        node = stack.enter_context(GuestSshd([host], agent.public_key, port=port))
    except PermissionError:
        print(
            f"    note: no sshd on {host} port {port} (that needs root): the fake's CA is "
            "trusted instead of a certificate pinned over SSH"
        )
        return fallback
    certificate = node.guest_files(host, int(source["vmid"])) / source["path"].lstrip("/")
    certificate.parent.mkdir(parents=True, exist_ok=True)
    certificate.write_text(fake.certificate_pem, encoding="ascii")
    known_hosts = workdir / "ssh" / "known_hosts"
    known_hosts.write_text(node.known_hosts(), encoding="utf-8")
    pins = workdir / "portainer-pins.json"
    print(
        f"    Portainer's certificate: read over SSH from {host} by the reconcile, pinned in {pins}"
    )
    return {
        "PHOENIX_SSH_COMMAND": f"ssh -F /dev/null -o UserKnownHostsFile={known_hosts}",
        "PORTAINER_PINS_FILE": str(pins),
    }


def rehearse(config_dir: Path, workdir: Path) -> int:
    """Run the whole rehearsal; 0 when the fleet converged and re-plans to no changes."""
    from tests.fakes.agent import FakeAgent
    from tests.fakes.portainer import FakePortainer

    binary = find_terraform()
    if binary is None:
        print(f"rehearsal: no terraform found. {ROOT_HINT}", file=sys.stderr)
        return 2
    if workdir.exists():
        shutil.rmtree(workdir)
    workdir.mkdir(parents=True)

    _progress(f"{config_dir}/ on loopback -> {workdir}/configs/")
    mapping = copy_to_loopback(config_dir, workdir / "configs")
    for real, loopback in sorted(mapping.items()):
        print(f"    {real:<15} -> {loopback}")
    outdir = workdir / "cdktf.out"
    _progress("synthesizing")
    _synth(workdir / "configs", outdir)
    infra = _stack(outdir, "infra")
    if infra is None:
        raise SystemExit("rehearsal: no infra stack was synthesized")

    with contextlib.ExitStack() as stack:
        agent = stack.enter_context(Agent(workdir / "ssh"))
        hosts = _ssh_hosts(infra)
        sshd = stack.enter_context(_guest_sshd(hosts, agent))
        terraform = Terraform(
            binary,
            workdir / ".standin",
            world=workdir / "proxmox-world.json",
            extra_env={"SSH_AUTH_SOCK": str(agent.socket)},
        )
        infra_dir = outdir / "stacks" / "infra"
        targets: list[str] = []
        if hosts and sshd is None:
            print(
                f"    note: no sshd on {', '.join(hosts)} port 22 (that needs root): "
                f"{GATEWAY_RESOURCE} (the gateway site over SSH) is left out",
                flush=True,
            )
            targets = [f"-target={a}" for a in _addresses(infra) if a != GATEWAY_RESOURCE]
        _progress("terraform apply: infra on the bpg/proxmox stand-in")
        terraform.init(infra_dir)
        print(_tail(terraform.apply(infra_dir, *targets)), flush=True)
        if sshd is not None:
            for event in sshd.events:
                detail = event.detail if event.kind != "script" else "install script"
                print(f"    ssh {event.host}: {event.kind} {detail.splitlines()[0]}")

        portainer_dir = outdir / "stacks" / "portainer"
        if (portainer_dir / "cdk.tf.json").exists():
            desired = json.loads(terraform.run(infra_dir, "output", "-json", "portainer").stdout)
            fake = stack.enter_context(FakePortainer())
            for agent_spec in desired.get("agents", []):
                url = urlsplit(agent_spec["url"])  # tcp://<address>:<agent port>
                stack.enter_context(FakeAgent(host=url.hostname or "", port=url.port or 9001))
            terraform.extra_env = {
                **terraform.extra_env,
                **_portainer_env(desired, fake),
                **_certificate_route(stack, desired, fake, agent, workdir),
                # No service runs behind the loopback addresses: nothing could answer a probe.
                "PHOENIX_RECONCILE_ARGS": "--no-wait-healthy",
            }
            print("    note: stack health is not checked (no service runs in a rehearsal)")
            _progress(
                f"terraform apply: portainer (reconcile against a fake Portainer, {fake.url})"
            )
            terraform.init(portainer_dir)
            print(_tail(terraform.apply(portainer_dir)), flush=True)
            print(f"    Portainer received {len(fake.writes())} writes")

        _progress("planning both stacks again")
        converged = True
        for name, directory in (("infra", infra_dir), ("portainer", portainer_dir)):
            if not (directory / "cdk.tf.json").exists():
                continue
            empty = terraform.plan_is_empty(directory, *targets if name == "infra" else ())
            converged &= empty
            print(f"    {name}: {'no changes' if empty else 'CHANGES LEFT (see terraform plan)'}")

    _inspection_help(terraform, infra_dir)
    return 0 if converged else 1


def _tail(output: str) -> str:
    lines = [line for line in output.splitlines() if line.startswith(("Apply complete", "Error"))]
    return "\n".join(f"    {line}" for line in lines)


def _inspection_help(terraform: Terraform, infra_dir: Path) -> None:
    prefix = f"TF_CLI_CONFIG_FILE={shlex.quote(str(terraform.cli_config))}"
    chdir = f"-chdir={shlex.quote(str(infra_dir))}"
    print("\nThe rehearsal's state, with the README's inspection commands:")
    for command in (
        "output -json inventory",
        "state list",
        "state show proxmox_virtual_environment_vm.<name>",
    ):
        print(f"  {prefix} terraform {chdir} {command}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m rehearsal",
        description=__doc__.split("\n")[0] if __doc__ else None,
        epilog="Steps and guarantees: see the module docstring (providers/standin/README.md).",
    )
    parser.add_argument(
        "--config",
        type=Path,
        default=Path(os.environ.get("PHOENIX_CONFIG_DIR", "configs")),
        help="fleet config directory (default: $PHOENIX_CONFIG_DIR or configs)",
    )
    parser.add_argument(
        "--workdir",
        type=Path,
        default=Path(".rehearsal"),
        help="where the loopback configs, plans, state and pretend cluster go "
        "(default: .rehearsal; emptied first)",
    )
    args = parser.parse_args(argv)
    try:
        return rehearse(args.config, args.workdir.resolve())
    except TerraformError as error:
        print(f"rehearsal: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
