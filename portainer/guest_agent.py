"""Read a file from a Proxmox VM through its node: ``ssh <user>@<node> qm guest exec <vmid>``.

This is how Phoenix learns which certificate the Portainer server really has. The route is the
one the deploy already trusts: the same SSH login to the Proxmox node (same user, the deployer's
ssh-agent and ``known_hosts`` entry) that Terraform used to upload the VM's cloud-init, then the
QEMU guest agent over the hypervisor's virtio channel, which nothing on the LAN can answer for.
A fresh VM has no SSH host key anyone has seen yet; its node has.

``ssh`` is the OpenSSH client, so ``~/.ssh/config`` applies (jump hosts, identities). Phoenix
adds ``BatchMode=yes`` (never prompt: this runs inside ``terraform apply``) and
``StrictHostKeyChecking=yes`` (an unknown or changed node key is refused, never learnt).
``$PHOENIX_SSH_COMMAND`` replaces ``ssh``, e.g. ``ssh -F ~/.ssh/homelab.conf``.
"""

from __future__ import annotations

import json
import shlex
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass

SSH_COMMAND_ENV = "PHOENIX_SSH_COMMAND"
#: ssh exits 255 when ssh itself failed (connection, host key, authentication).
_SSH_FAILED = 255


class GuestFileError(Exception):
    """The file cannot be read this way; waiting will not help (host key, login, no ssh)."""


class GuestNotReadyError(Exception):
    """The VM, its guest agent or the file is not there yet; try again later."""


@dataclass(frozen=True)
class GuestFileRoute:
    """Which file of which VM, and the SSH login to the node that runs it."""

    ssh_host: str
    ssh_port: int
    ssh_user: str
    vmid: int
    path: str

    def describe(self) -> str:
        """The route in words, for messages and the pin's ``source``."""
        return (
            f"ssh {self.ssh_user}@{self.ssh_host}:{self.ssh_port}, "
            f"qm guest exec {self.vmid}, {self.path}"
        )

    def remote_command(self) -> str:
        """What the node runs (through the SSH user's shell, hence quoted)."""
        words = ["qm", "guest", "exec", str(self.vmid), "--", "cat", self.path]
        if self.ssh_user != "root":
            words = ["sudo", "-n", *words]  # qm needs root; never prompt for a password
        return " ".join(shlex.quote(word) for word in words)


def ssh_argv(route: GuestFileRoute, environ: Mapping[str, str], timeout_s: float) -> list[str]:
    """The full ``ssh`` command line for ``route``."""
    base = shlex.split(environ.get(SSH_COMMAND_ENV) or "ssh")
    # Ours first: for each option ssh keeps the first value it is given.
    enforced = [
        "-o",
        "BatchMode=yes",
        "-o",
        "StrictHostKeyChecking=yes",
        "-o",
        f"ConnectTimeout={max(1, round(timeout_s))}",
    ]
    login = ["-p", str(route.ssh_port), "-l", route.ssh_user]
    return [base[0], *enforced, *base[1:], *login, "--", route.ssh_host, route.remote_command()]


def read_guest_file(route: GuestFileRoute, environ: Mapping[str, str], timeout_s: float) -> str:
    """The file's text. Raises :class:`GuestNotReadyError` (retry) or :class:`GuestFileError`."""
    argv = ssh_argv(route, environ, timeout_s)
    try:
        result = subprocess.run(
            argv,
            env=dict(environ),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout_s + 45,  # qm guest exec waits up to 30 s for the guest
            check=False,
        )
    except FileNotFoundError:
        raise GuestFileError(
            f"{argv[0]!r} not found: install the OpenSSH client or set {SSH_COMMAND_ENV}"
        ) from None
    except subprocess.TimeoutExpired:
        raise GuestNotReadyError(f"{route.describe()}: no answer in time") from None
    stderr = _last_lines(result.stderr)
    if result.returncode == _SSH_FAILED:
        raise GuestFileError(f"{route.describe()}: ssh failed: {stderr or 'exit 255'}")
    try:
        answer = json.loads(result.stdout)
    except ValueError:
        answer = None
    if not isinstance(answer, dict):
        # qm itself refused: VM not running, guest agent not answering yet, ...
        raise GuestNotReadyError(
            f"{route.describe()}: {stderr or f'qm exited {result.returncode}'}"
        )
    if not answer.get("exited"):
        raise GuestNotReadyError(f"{route.describe()}: the command did not finish in the VM")
    if answer.get("exitcode") != 0:
        error = _last_lines(str(answer.get("err-data") or ""))
        raise GuestNotReadyError(f"{route.describe()}: {error or 'failed in the VM'}")
    if answer.get("out-truncated"):
        raise GuestFileError(f"{route.describe()}: the file is too large for the guest agent")
    return str(answer.get("out-data") or "")


def _last_lines(text: str, count: int = 3) -> str:
    return " | ".join(line.strip() for line in text.strip().splitlines()[-count:] if line.strip())
