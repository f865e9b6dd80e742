"""Stand-ins for the SSH side of a deploy: a guest's sshd and the deployer's ssh-agent.

Terraform delivers the gateway site to its container with `file` and `remote-exec`
provisioners over SSH, authenticated by the deployer's ssh-agent. Offline, `GuestSshd` answers
on the guest's (loopback) address: uploads land under a private directory per guest, commands
and scripts are recorded and succeed (or fail on request), nothing runs on this machine.
`Agent` is a private ssh-agent holding one fresh key that GuestSshd accepts.

On a Proxmox node's address it also answers `qm guest exec <vmid> -- cat <path>` (what the
Portainer reconcile runs to read the server's certificate) from the files placed under
`guest_files(host, vmid)`, printing the JSON `qm` prints.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import fcntl
import json
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import asyncssh


def _die_with_parent() -> None:
    """Linux: the agent ends when the process that started it does, even if that one is
    killed (no ssh-agent outlives a test run)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


_PR_SET_PDEATHSIG = 1


@dataclass(frozen=True)
class Event:
    """Something a guest was asked to do over SSH."""

    host: str
    kind: str
    """`upload` (detail: the target path), `command` or `script` (detail: its text)."""
    detail: str


class Agent:
    """A private `ssh-agent` holding one new ed25519 key; use as a context manager."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.socket = directory / "agent.sock"
        self.key = asyncssh.generate_private_key("ssh-ed25519")
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def public_key(self) -> str:
        """The key in authorized_keys form."""
        exported: bytes = self.key.export_public_key()
        return exported.decode().strip()

    def __enter__(self) -> Agent:
        binary = shutil.which("ssh-agent")
        if binary is None:
            raise RuntimeError("ssh-agent is not installed (Debian: openssh-client)")
        self.directory.mkdir(parents=True, exist_ok=True)
        self._process = subprocess.Popen(
            [binary, "-D", "-a", str(self.socket)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=_die_with_parent,
        )
        # The socket file appears at bind(), a moment before ssh-agent listens on it.
        try:
            for attempt in range(400):
                try:
                    asyncio.run(self._add_key())
                    break
                except (FileNotFoundError, ConnectionRefusedError):
                    if attempt == 399:
                        raise
                    threading.Event().wait(0.025)
        except BaseException:
            self.__exit__(None, None, None)  # don't leave the agent running
            raise
        return self

    async def _add_key(self) -> None:
        async with asyncssh.connect_agent(str(self.socket)) as agent:
            await agent.add_keys([self.key])

    def __exit__(self, *exc: object) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.wait(timeout=10)


@dataclass
class GuestSshd:
    """An SSH server on each of `hosts` (port 22 by default) accepting `authorized_key`."""

    hosts: list[str]
    authorized_key: str
    port: int = 22
    fail_scripts: bool = False
    """Make every uploaded script exit 1 (a failed install)."""
    events: list[Event] = field(default_factory=list)
    root: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="phoenix-sshd-")))

    def __post_init__(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._servers: list[Any] = []
        self._host_key = asyncssh.generate_private_key("ssh-ed25519")

    def files(self, host: str) -> Path:
        """Where uploads to `host` land (its `/`)."""
        return self.root / host

    def guest_files(self, host: str, vmid: int) -> Path:
        """The `/` of VM `vmid` as `qm guest exec` on the node `host` sees it."""
        return self.root / host / "qemu-guests" / str(vmid)

    def known_hosts(self) -> str:
        """`known_hosts` lines for every host this sshd answers on."""
        public = self._host_key.export_public_key().decode().strip()
        names = [host if self.port == 22 else f"[{host}]:{self.port}" for host in self.hosts]
        return "".join(f"{name} {public}\n" for name in names)

    def __enter__(self) -> GuestSshd:
        self._locks = self._take_port()
        try:
            self._thread.start()
            asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(timeout=30)
        except BaseException:
            self._locks.close()
            raise
        return self

    def _take_port(self) -> contextlib.ExitStack:
        """Wait until no other run on this machine serves these hosts on this fixed port.

        Port 22 is the fleet's SSH port, so two test runs or rehearsals at once would collide;
        the later one waits for the earlier instead of failing. Locks are taken in host order,
        so two runs never wait on each other."""
        locks = contextlib.ExitStack()
        if self.port >= 1024:  # a free port chosen by the caller: nothing to share
            return locks
        for host in sorted(self.hosts):
            path = Path(tempfile.gettempdir()) / f"phoenix-sshd-{host}-{self.port}.lock"
            lock = locks.enter_context(path.open("w"))
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                print(
                    f"==> waiting for another run's stand-in sshd on {host}:{self.port}",
                    file=sys.stderr,
                    flush=True,
                )
                fcntl.flock(lock, fcntl.LOCK_EX)
        return locks

    def __exit__(self, *exc: object) -> None:
        async def stop() -> None:
            for server in self._servers:
                server.close()
                await server.wait_closed()

        with contextlib.suppress(Exception):
            asyncio.run_coroutine_threadsafe(stop(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        shutil.rmtree(self.root, ignore_errors=True)
        self._locks.close()

    async def _start(self) -> None:
        host_key = self._host_key
        authorized = asyncssh.import_authorized_keys(self.authorized_key + "\n")
        for host in self.hosts:
            (self.files(host) / "tmp").mkdir(parents=True, exist_ok=True)
            server = await asyncssh.create_server(
                asyncssh.SSHServer,
                host=host,
                port=self.port,
                server_host_keys=[host_key],
                authorized_client_keys=authorized,
                encoding=None,
                process_factory=lambda process, host=host: self._run(host, process),
            )
            self._servers.append(server)

    async def _run(self, host: str, process: asyncssh.SSHServerProcess[bytes]) -> None:
        command = (process.command or "").strip()
        words = shlex.split(command) if command else []
        flags = "".join(word[1:] for word in words[1:-1] if word.startswith("-"))
        if words[:1] == ["scp"] and "t" in flags:
            await self._receive(host, words[-1], process)
            return
        if words[:2] == ["sudo", "-n"]:
            words = words[2:]
        if words[:3] == ["qm", "guest", "exec"]:
            self._guest_exec(host, command, words[3:], process)
            return
        script = self.files(host) / command.lstrip("/")
        if command.startswith("/") and script.is_file():
            self.events.append(Event(host, "script", script.read_text(encoding="utf-8")))
            process.exit(1 if self.fail_scripts else 0)
            return
        self.events.append(Event(host, "command", command))
        process.exit(0)

    def _guest_exec(
        self, host: str, command: str, words: list[str], process: asyncssh.SSHServerProcess[bytes]
    ) -> None:
        """`qm guest exec <vmid> -- cat <path>`, answered from `guest_files(host, vmid)`.

        The call is recorded after the file was read and before the answer is sent: once a
        test sees it, changing the files affects only later calls, and a caller that got its
        answer finds its call recorded."""
        out, err, status = self._qm_answer(host, words)
        self.events.append(Event(host, "command", command))
        process.stdout.write(out)
        process.stderr.write(err)
        process.exit(status)

    def _qm_answer(self, host: str, words: list[str]) -> tuple[bytes, bytes, int]:
        """What `qm` prints (stdout, stderr) and its exit status."""
        if len(words) != 4 or words[1:3] != ["--", "cat"] or not words[0].isdigit():
            return b"", b"400 unable to parse the command (fake qm: only `cat`)\n", 2
        root = self.guest_files(host, int(words[0]))
        if not root.is_dir():
            return b"", f"VM {words[0]} is not running\n".encode(), 2
        target = root / words[3].lstrip("/")
        answer: dict[str, Any]
        if target.is_file():
            content = target.read_text(encoding="utf-8")
            answer = {"exitcode": 0, "exited": 1, "out-data": content}
        else:
            error = f"cat: {words[3]}: No such file or directory\n"
            answer = {"exitcode": 1, "exited": 1, "err-data": error}
        return json.dumps(answer, indent=3, sort_keys=True).encode() + b"\n", b"", 0

    async def _receive(
        self, host: str, target: str, process: asyncssh.SSHServerProcess[bytes]
    ) -> None:
        """The sink side of the scp protocol (`scp -t`), one regular file at a time."""
        ok = b"\0"
        process.stdout.write(ok)
        while True:
            header = await process.stdin.readline()
            if not header:
                break
            if header[:1] in (b"T", b"D", b"E"):  # times, directories: acknowledged, not kept
                process.stdout.write(ok)
                continue
            if header[:1] != b"C":
                process.exit(1)
                return
            _, size, name = header.decode().rstrip("\n").split(" ", 2)
            process.stdout.write(ok)
            data = await process.stdin.readexactly(int(size))
            await process.stdin.readexactly(1)  # the sender's trailing NUL
            # Terraform names the directory and sends the file's base name.
            path = PurePosixPath(target) / name
            destination = self.files(host) / str(path).lstrip("/")
            destination.parent.mkdir(parents=True, exist_ok=True)
            destination.write_bytes(data)
            self.events.append(Event(host, "upload", str(path)))
            process.stdout.write(ok)
        process.exit(0)


@contextlib.contextmanager
def guest_ssh(hosts: list[str], directory: Path) -> Iterator[tuple[Agent, GuestSshd]]:
    """An agent and the guests' sshd that trusts its key."""
    with Agent(directory) as agent, GuestSshd(hosts, agent.public_key) as sshd:
        yield agent, sshd
