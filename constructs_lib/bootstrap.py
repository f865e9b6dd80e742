"""Cloud-init user-data for a VM's first boot, as a pure function of what the VM is for.

Everything that changes often (stacks) goes through Portainer instead: a changed snippet does
not re-run on an existing VM (cloud-init keys its work to the instance id, which stays).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

import yaml
from yaml.emitter import ScalarAnalysis

AGENT_COMPOSE_PATH = "/opt/phoenix/portainer-agent/compose.yaml"
SERVER_COMPOSE_PATH = "/opt/phoenix/portainer-server/compose.yaml"
_SERVER_DATA_VOLUME = "portainer_data"
#: The certificate the Portainer server serves, as a path on its VM: Portainer keeps it in
#: /data/certs/cert.pem (generated on first start, or a copy of --sslcert), /data is the named
#: volume, and compose names volumes `<project>_<volume>` after the compose file's directory.
SERVER_CERTIFICATE_PATH = (
    f"/var/lib/docker/volumes/{PurePosixPath(SERVER_COMPOSE_PATH).parent.name}"
    f"_{_SERVER_DATA_VOLUME}/_data/certs/cert.pem"
)


@dataclass(frozen=True, kw_only=True)
class NfsMount:
    """An NFS export mounted at boot (fstab entry; `_netdev` waits for the network)."""

    server: str
    """NFS server address."""
    export: str
    """Exported path on the server."""
    mount_point: str
    """Directory in the guest."""
    options: str = "rw,hard,noatime,_netdev"
    """Mount options. Default: `rw,hard,noatime,_netdev`."""
    read_only: bool = False
    """Mount read-only (replaces `rw`). Default: false."""


@dataclass(frozen=True, kw_only=True)
class PortainerAgentSpec:
    """The Portainer agent container (always HTTPS with a self-signed certificate)."""

    version: str
    """Image tag of `portainer/agent`; keep it equal to the server's."""
    port: int = 9001
    """Published port. Default: 9001."""
    agent_secret: str | None = None
    """Shared `AGENT_SECRET` (a Terraform token for a sensitive variable). Default: none."""


@dataclass(frozen=True, kw_only=True)
class PortainerServerSpec:
    """The Portainer server container. The admin is created later by the reconcile, never here."""

    version: str
    """Image tag of `portainer/portainer-ce`."""
    https_port: int = 9443
    """Published HTTPS port. Default: 9443."""
    require_setup_token: bool = False
    """Keep Portainer's setup-token check on a fresh instance (the operator then passes the token
    printed in the container log as `PORTAINER_SETUP_TOKEN`). Default: false, so the reconcile
    that runs right after the deploy can create the admin unattended."""
    agent_secret: str | None = None
    """Shared `AGENT_SECRET` (a Terraform token for a sensitive variable). Default: none."""


@dataclass(frozen=True, kw_only=True)
class NvidiaSpec:
    """The NVIDIA driver of a VM with passed-through GPUs, from Ubuntu's own packages."""

    driver_branch: str = "570-server"
    """Ubuntu driver branch (`ubuntu-drivers install --gpgpu nvidia:<branch>`), e.g.
    `570-server` or `570-server-open`. Default: `570-server`."""

    @property
    def utils_package(self) -> str:
        """`nvidia-smi` and friends; the `-open` variants share the branch's utilities."""
        return f"nvidia-utils-{self.driver_branch.removesuffix('-open')}"


@dataclass(frozen=True, kw_only=True)
class VmBootstrap:
    """What a VM's first boot sets up."""

    hostname: str
    """Host name (the Proxmox name)."""
    domain: str | None = None
    """DNS domain for the FQDN. Default: none."""
    username: str = "phoenix"
    """Login with passwordless sudo and SSH keys only. Default: phoenix."""
    ssh_keys: Sequence[str] = ()
    """Public keys for the login. Default: none (console only)."""
    docker: bool = False
    """Install Docker engine and the compose plugin (Ubuntu packages). Default: false."""
    nfs_mounts: Sequence[NfsMount] = ()
    """NFS volumes. Default: none."""
    portainer_agent: PortainerAgentSpec | None = None
    """Run the Portainer agent (needs docker). Default: no."""
    portainer_server: PortainerServerSpec | None = None
    """Run the Portainer server (needs docker). Default: no."""
    nvidia: NvidiaSpec | None = None
    """Install the NVIDIA driver for the VM's GPUs, and with docker the NVIDIA Container
    Toolkit with Docker's `nvidia` runtime configured; then reboot once so the driver of the
    installed kernel loads. Default: no NVIDIA driver."""
    extra_packages: Sequence[str] = field(default_factory=tuple)
    """More Ubuntu packages. Default: none."""


# The emitter scans every scalar character by character to choose its style; the result depends
# only on the text (and allow_unicode), and most scalars repeat from VM to VM (packages,
# commands, keys, the agent's compose file). Bounded: cleared when full.
_SCALAR_ANALYSES: dict[tuple[str, bool], ScalarAnalysis] = {}
_SCALAR_ANALYSES_MAX = 20_000


class _BlockStyleDumper(yaml.SafeDumper):
    """Multi-line strings as `|` blocks, so the snippet stays readable in Proxmox and in diffs."""

    def analyze_scalar(self, scalar: str) -> ScalarAnalysis:
        key = (scalar, bool(self.allow_unicode))
        analysis = _SCALAR_ANALYSES.get(key)
        if analysis is None:
            if len(_SCALAR_ANALYSES) >= _SCALAR_ANALYSES_MAX:
                _SCALAR_ANALYSES.clear()
            analysis = _SCALAR_ANALYSES[key] = super().analyze_scalar(scalar)
        return analysis


def _str_presenter(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_BlockStyleDumper.add_representer(str, _str_presenter)


def render_user_data(spec: VmBootstrap) -> str:
    """The `#cloud-config` document for `spec`. Deterministic: same spec, same bytes."""
    problems = [
        message
        for failed, message in (
            (
                (spec.portainer_agent or spec.portainer_server) is not None and not spec.docker,
                "the Portainer agent and server run on Docker: enable docker",
            ),
            (not spec.hostname, "hostname is required"),
        )
        if failed
    ]
    if problems:
        raise ValueError(f"bootstrap of {spec.hostname or '?'}: " + "; ".join(problems))

    packages = ["qemu-guest-agent"]
    runcmd: list[list[str]] = [["systemctl", "enable", "--now", "qemu-guest-agent"]]
    write_files: list[dict[str, Any]] = []
    document: dict[str, Any] = {
        "hostname": spec.hostname,
        "fqdn": f"{spec.hostname}.{spec.domain}" if spec.domain else spec.hostname,
        "manage_etc_hosts": True,
        "users": [
            {
                "name": spec.username,
                "shell": "/bin/bash",
                "groups": ["sudo"],
                "sudo": "ALL=(ALL) NOPASSWD:ALL",
                "lock_passwd": True,
                "ssh_authorized_keys": list(spec.ssh_keys),
            }
        ],
        "ssh_pwauth": False,
        "package_update": True,
    }
    if spec.nfs_mounts:
        packages.append("nfs-common")
        document["mounts"] = [
            [
                f"{mount.server}:{mount.export}",
                mount.mount_point,
                "nfs",
                _nfs_options(mount),
                "0",
                "0",
            ]
            for mount in spec.nfs_mounts
        ]
        # The mounts module writes fstab before packages are installed; mount once nfs-common is.
        runcmd.append(["mount", "-a", "-t", "nfs"])
    if spec.docker:
        packages += ["docker.io", "docker-compose-v2"]
        runcmd += [
            ["systemctl", "enable", "--now", "docker"],
            ["usermod", "-aG", "docker", spec.username],
        ]
    if spec.nvidia is not None:
        # Packages first (cloud-init installs them before runcmd), then the driver: the
        # kernel modules ubuntu-drivers picks match the installed kernel.
        packages += ["ubuntu-drivers-common", spec.nvidia.utils_package]
        runcmd.append(
            ["ubuntu-drivers", "install", "--gpgpu", f"nvidia:{spec.nvidia.driver_branch}"]
        )
        if spec.docker:
            packages.append("nvidia-container-toolkit")
            runcmd += [
                ["nvidia-ctk", "runtime", "configure", "--runtime=docker"],
                ["systemctl", "restart", "docker"],
            ]
    if spec.portainer_server is not None:
        write_files.append(_file(SERVER_COMPOSE_PATH, _server_compose(spec.portainer_server)))
        runcmd.append(["docker", "compose", "-f", SERVER_COMPOSE_PATH, "up", "-d"])
    if spec.portainer_agent is not None:
        write_files.append(_file(AGENT_COMPOSE_PATH, _agent_compose(spec.portainer_agent)))
        runcmd.append(["docker", "compose", "-f", AGENT_COMPOSE_PATH, "up", "-d"])
    document["packages"] = [*packages, *spec.extra_packages]
    if write_files:
        document["write_files"] = write_files
    document["runcmd"] = runcmd
    if spec.nvidia is not None:
        # The driver loads at the next boot: cloud-init reboots once everything above is done.
        document["power_state"] = {
            "mode": "reboot",
            "message": "Phoenix: reboot to load the NVIDIA driver",
            "condition": True,
        }
    body = yaml.dump(
        document, Dumper=_BlockStyleDumper, sort_keys=False, default_flow_style=False, width=4096
    )
    header = f"# Generated by Phoenix for {spec.hostname}; edit the fleet config instead."
    return f"#cloud-config\n{header}\n{body}"


def _nfs_options(mount: NfsMount) -> str:
    options = [option for option in mount.options.split(",") if option not in ("rw", "ro")]
    return ",".join(["ro" if mount.read_only else "rw", *options])


def _file(path: str, content: str) -> dict[str, Any]:
    # 0600: the compose file may carry the agent secret.
    return {"path": path, "owner": "root:root", "permissions": "0600", "content": content}


def _compose(service: dict[str, Any], volumes: dict[str, Any] | None = None) -> str:
    document: dict[str, Any] = {"services": service}
    if volumes:
        document["volumes"] = volumes
    return yaml.dump(document, Dumper=_BlockStyleDumper, sort_keys=False, width=4096)


@functools.lru_cache(maxsize=64)  # the same few specs for every VM of a fleet
def _server_compose(server: PortainerServerSpec) -> str:
    service: dict[str, Any] = {
        "image": f"portainer/portainer-ce:{server.version}",
        "restart": "always",
        "ports": [f"{server.https_port}:9443"],
        "volumes": ["/var/run/docker.sock:/var/run/docker.sock", f"{_SERVER_DATA_VOLUME}:/data"],
    }
    if not server.require_setup_token:
        service["command"] = ["--no-setup-token"]
    if server.agent_secret is not None:
        service["environment"] = {"AGENT_SECRET": server.agent_secret}
    # Portainer's BoltDB wants a local disk: a named volume, not the NFS share.
    return _compose({"portainer": service}, {_SERVER_DATA_VOLUME: {}})


@functools.lru_cache(maxsize=64)
def _agent_compose(agent: PortainerAgentSpec) -> str:
    service: dict[str, Any] = {
        "image": f"portainer/agent:{agent.version}",
        "restart": "always",
        "ports": [f"{agent.port}:9001"],
        # The agent's Docker proxy only talks to the socket; volumes are browsed on disk.
        "volumes": [
            "/var/run/docker.sock:/var/run/docker.sock",
            "/var/lib/docker/volumes:/var/lib/docker/volumes",
        ],
    }
    if agent.agent_secret is not None:
        service["environment"] = {"AGENT_SECRET": agent.agent_secret}
    return _compose({"portainer_agent": service})
