"""Debian's nginx for the gateway tests, and ways to run it as a normal user.

Where the binary comes from, first match wins:

1. ``nginx`` on ``PATH`` (or in ``/usr/sbin``), with ``/etc/nginx`` when it is there;
2. the Debian packages unpacked under ``.make/nginx/root/`` by an earlier run;
3. ``apt-get download`` of Debian's packages into ``.make/nginx/debs/`` and ``dpkg-deb -x``
   into ``.make/nginx/root/``: no root, nothing installed. In bookworm the binary is in the
   ``nginx`` package (earlier point releases: ``nginx-core``) and ``mime.types`` plus the
   stock ``nginx.conf`` are in ``nginx-common``.

When none works, `locate_nginx` raises `NginxUnavailable` with the reason, which the fixtures
turn into a skip (or a failure when ``PHOENIX_REQUIRE_NGINX=1``). Run this module to fetch it
by hand: ``.venv/bin/python -m tests.gateway.nginx``.

Facts the runners rely on (checked against nginx 1.22): ``nginx -t`` creates the pid file and
the temp directories and binds every ``listen`` socket (a port below 1024 fails for a normal
user; a port in use is tolerated), and it resolves upstream host names. So every run gets its
own prefix directory, and the sites under test listen on 127.0.0.1 with a high port.
"""

from __future__ import annotations

import fcntl
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CACHE = ROOT / ".make" / "nginx"
"""Project-local download and unpack directory (``/.make/`` is git-ignored)."""

PACKAGES = ("nginx", "nginx-common")
BINARY_FALLBACK_PACKAGE = "nginx-core"
_STAMP = ".phoenix-unpacked"
_APT_TIMEOUT = 120
_RUN_TIMEOUT = 30


class NginxUnavailable(RuntimeError):  # noqa: N818 - reads as a state: "nginx unavailable"
    """No usable nginx binary; the message says why and what would fix it."""


@dataclass(frozen=True)
class Nginx:
    """A runnable nginx and, when known, Debian's config directory that goes with it."""

    binary: Path
    conf_dir: Path | None
    """Debian's ``/etc/nginx`` tree (``nginx.conf``, ``mime.types``, ``sites-available``)."""
    origin: str
    version: str


@dataclass(frozen=True)
class CheckResult:
    """Outcome of ``nginx -t``."""

    ok: bool
    output: str


def locate_nginx(cache: Path = CACHE, *, use_system: bool = True) -> Nginx:
    """Find nginx on this machine (unless ``use_system`` is false), or fetch and unpack
    Debian's packages into ``cache``."""
    system = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/sbin")
    if system is not None and use_system:
        etc = Path("/etc/nginx")
        conf_dir = etc if (etc / "nginx.conf").is_file() else None
        return _checked(Path(system), conf_dir, f"{system} (found on PATH)")
    root = cache / "root"
    cache.mkdir(parents=True, exist_ok=True)
    # Other test runs in the same checkout may fetch at the same time: one unpacks, the rest wait.
    with _locked(cache / ".lock"):
        if not (root / _STAMP).is_file():
            _download_and_unpack(cache)
    packages = (root / _STAMP).read_text(encoding="utf-8").split()
    return _checked(
        root / "usr" / "sbin" / "nginx",
        root / "etc" / "nginx",
        f"Debian packages {', '.join(packages)} unpacked in {root}",
    )


def _download_and_unpack(cache: Path) -> None:
    for tool in ("apt-get", "dpkg-deb"):
        if shutil.which(tool) is None:
            raise NginxUnavailable(
                f"nginx is not installed and {tool} is missing, so Debian's nginx cannot be "
                "fetched: run the tests on Debian 12 or put nginx on PATH"
            )
    debs = cache / "debs"
    shutil.rmtree(debs, ignore_errors=True)
    debs.mkdir(parents=True)
    _apt_download(debs, PACKAGES)
    staging = cache / "root.partial"
    shutil.rmtree(staging, ignore_errors=True)
    _unpack(debs, staging)
    if not (staging / "usr" / "sbin" / "nginx").is_file():
        # Before bookworm's 1.22.1-9+deb12u* updates, 'nginx' was a metapackage.
        _apt_download(debs, (BINARY_FALLBACK_PACKAGE,))
        _unpack(debs, staging)
    if not (staging / "usr" / "sbin" / "nginx").is_file():
        raise NginxUnavailable(
            f"none of the packages {sorted(p.name for p in debs.glob('*.deb'))} contains "
            "usr/sbin/nginx"
        )
    names = sorted(p.name for p in debs.glob("*.deb"))
    (staging / _STAMP).write_text("\n".join(names) + "\n", encoding="utf-8")
    root = cache / "root"
    shutil.rmtree(root, ignore_errors=True)
    staging.rename(root)


def _apt_download(into: Path, packages: tuple[str, ...]) -> None:
    command = ["apt-get", "download", "-q", *packages]
    try:
        done = subprocess.run(
            command, cwd=into, capture_output=True, text=True, timeout=_APT_TIMEOUT, check=False
        )
    except subprocess.TimeoutExpired as error:
        raise NginxUnavailable(
            f"`{' '.join(command)}` took more than {_APT_TIMEOUT}s (no network?)"
        ) from error
    if done.returncode != 0:
        detail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        raise NginxUnavailable(
            f"`{' '.join(command)}` failed (exit {done.returncode}): {' | '.join(detail)}. "
            "Without network access or apt package lists (`apt-get update`), "
            "Debian's nginx cannot be fetched"
        )


def _unpack(debs: Path, into: Path) -> None:
    into.mkdir(parents=True, exist_ok=True)
    for deb in sorted(debs.glob("*.deb")):
        subprocess.run(
            ["dpkg-deb", "-x", str(deb), str(into)],
            check=True,
            capture_output=True,
            timeout=_RUN_TIMEOUT,
        )


def _checked(binary: Path, conf_dir: Path | None, origin: str) -> Nginx:
    try:
        done = subprocess.run(
            [str(binary), "-v"], capture_output=True, text=True, timeout=_RUN_TIMEOUT, check=False
        )
    except OSError as error:
        raise NginxUnavailable(f"{binary} cannot run: {error}") from error
    output = (done.stderr + done.stdout).strip()
    if done.returncode != 0:
        # Typically a shared library (libssl3, libpcre2-8-0) missing from the system.
        raise NginxUnavailable(f"{binary} -v failed (exit {done.returncode}): {output}")
    return Nginx(binary=binary, conf_dir=conf_dir, origin=origin, version=output)


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


# --- Running it ---------------------------------------------------------------------------

_TEMP_PATHS = ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")


def temp_paths(prefix: Path) -> list[str]:
    """http-level directives that put nginx's temp directories (created even by ``-t``)
    under ``prefix`` instead of /var/lib/nginx."""
    return [f"{name}_temp_path {prefix / ('temp-' + name)};" for name in _TEMP_PATHS]


def minimal_conf(prefix: Path, site_file: Path, *, serve: bool = False) -> str:
    """A whole nginx.conf that includes ``site_file`` inside ``http {}``, as Debian's does.

    With ``serve``, nginx stays in the foreground as one process (no daemon, no workers
    switching user), so the test owns exactly one process to stop.
    """
    main = [f"pid {prefix / 'nginx.pid'};", "error_log stderr notice;"]
    if serve:
        main += ["daemon off;", "master_process off;"]
    http = [*temp_paths(prefix), "access_log off;", f"include {site_file};"]
    body = "\n".join(f"    {line}" for line in http)
    return "\n".join([*main, "events {}", "http {", body, "}"]) + "\n"


def nginx_test(nginx: Nginx, conf: Path, prefix: Path) -> CheckResult:
    """``nginx -t`` on ``conf`` with everything under ``prefix``."""
    command = [str(nginx.binary), "-t", "-p", f"{prefix}/", "-e", "stderr", "-c", str(conf)]
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=_RUN_TIMEOUT, check=False
    )
    return CheckResult(ok=done.returncode == 0, output=(done.stderr + done.stdout).strip())


def check_site(nginx: Nginx, site_text: str, prefix: Path) -> CheckResult:
    """``nginx -t`` on ``site_text`` included in a minimal nginx.conf."""
    prefix.mkdir(parents=True, exist_ok=True)
    site = prefix / "phoenix-gateway.conf"
    site.write_text(site_text, encoding="utf-8")
    conf = prefix / "nginx.conf"
    conf.write_text(minimal_conf(prefix, site), encoding="utf-8")
    return nginx_test(nginx, conf, prefix)


def check_site_in_debian_conf(
    nginx: Nginx, site_text: str, prefix: Path, *, keep_default_site: bool = False
) -> CheckResult:
    """``nginx -t`` on ``site_text`` installed as in the container: in ``conf.d/`` of Debian's
    own ``nginx.conf``, its paths moved under ``prefix``. With ``keep_default_site``, Debian's
    ``sites-enabled/default`` is left in place, as a fresh ``apt-get install nginx`` has it.
    """
    if nginx.conf_dir is None:
        raise NginxUnavailable(f"no Debian config directory comes with {nginx.binary}")
    etc = prefix / "etc" / "nginx"
    for directory in ("conf.d", "sites-enabled", "modules-enabled"):
        (etc / directory).mkdir(parents=True, exist_ok=True)
    (prefix / "log").mkdir(exist_ok=True)
    shutil.copyfile(nginx.conf_dir / "mime.types", etc / "mime.types")
    if keep_default_site:
        default = nginx.conf_dir / "sites-available" / "default"
        shutil.copyfile(default, etc / "sites-enabled" / "default")
    (etc / "conf.d" / "00-test-harness.conf").write_text(
        "\n".join(temp_paths(prefix)) + "\n", encoding="utf-8"
    )
    (etc / "conf.d" / "phoenix-gateway.conf").write_text(site_text, encoding="utf-8")
    conf = etc / "nginx.conf"
    conf.write_text(
        relocated((nginx.conf_dir / "nginx.conf").read_text(encoding="utf-8"), prefix),
        encoding="utf-8",
    )
    return nginx_test(nginx, conf, prefix)


def relocated(stock: str, prefix: Path) -> str:
    """Debian's ``nginx.conf`` text with every absolute path moved under ``prefix``."""
    # Each rewrite must apply: if Debian's file changes shape, say so instead of testing
    # something else.
    rewrites = [
        ("user www-data;", "# user www-data;  (the test runs as the current user)"),
        ("pid /run/nginx.pid;", f"pid {prefix / 'nginx.pid'};"),
        ("/var/log/nginx/", f"{prefix / 'log'}/"),
        ("/etc/nginx/", f"{prefix / 'etc' / 'nginx'}/"),
    ]
    for old, new in rewrites:
        if old not in stock:
            raise AssertionError(f"Debian's nginx.conf no longer contains {old!r}")
        stock = stock.replace(old, new)
    return stock


def free_port() -> int:
    """A TCP port with no listener on 127.0.0.1 right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class RunningNginx:
    """nginx in the foreground on loopback; a context manager that always stops it."""

    def __init__(
        self, nginx: Nginx, site_text: str, prefix: Path, port: int, host: str = "127.0.0.1"
    ) -> None:
        """``host``:``port`` is where the site listens (readiness is checked there)."""
        prefix.mkdir(parents=True, exist_ok=True)
        site = prefix / "phoenix-gateway.conf"
        site.write_text(site_text, encoding="utf-8")
        self._conf = prefix / "nginx.conf"
        self._conf.write_text(minimal_conf(prefix, site, serve=True), encoding="utf-8")
        self._log = prefix / "stderr.log"
        self._nginx = nginx
        self._prefix = prefix
        self.host = host
        self.port = port
        self._process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> RunningNginx:
        command = [str(self._nginx.binary), "-p", f"{self._prefix}/", "-e", "stderr"]
        with self._log.open("wb") as log:
            self._process = subprocess.Popen(
                [*command, "-c", str(self._conf)], stdout=log, stderr=subprocess.STDOUT
            )
        try:
            self._wait_until_listening(deadline=time.monotonic() + 120)  # generous: CI is loaded
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def log(self) -> str:
        """What nginx wrote to stderr so far."""
        return self._log.read_text(encoding="utf-8", errors="replace")

    def stop(self) -> None:
        """Stop nginx (SIGTERM, then SIGKILL after 5 s)."""
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)

    def _wait_until_listening(self, deadline: float) -> None:
        assert self._process is not None
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"nginx exited with {self._process.returncode}:\n{self.log()}")
            try:
                with socket.create_connection((self.host, self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(
            f"nginx did not listen on {self.host}:{self.port} in time:\n{self.log()}"
        )


def main() -> int:
    """Fetch (if needed) and describe the nginx the tests would use."""
    try:
        nginx = locate_nginx()
    except NginxUnavailable as error:
        print(f"unavailable: {error}", file=sys.stderr)
        return 1
    print(f"{nginx.version}\nbinary: {nginx.binary}\nfrom: {nginx.origin}")
    print(f"config dir: {nginx.conf_dir}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
