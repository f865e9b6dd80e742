"""A throwaway PostgreSQL server for tests: Debian's binaries, `initdb` + `pg_ctl` in a temp
dir, listening only on a unix socket there (no TCP port, so parallel runs never collide).

`initdb` refuses to run as root: under root (CI) the server runs as the `postgres` account
the Debian package creates; otherwise as the current user. Terraform connects as a role that
is not a superuser, with a random password, the way a team's state database would be set up.

    python -m tests.postgres      # start one, print PG_CONN_STR, stop on Enter
"""

from __future__ import annotations

import contextlib
import os
import pwd
import secrets
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

REQUIRE_POSTGRES_ENV = "PHOENIX_REQUIRE_POSTGRES"
"""Set to 1 (CI does) to fail instead of skipping when PostgreSQL cannot run here."""

DATABASE = "terraform"
ROLE = "terraform"
ADMIN = "postgres"


class PostgresUnavailableError(RuntimeError):
    """PostgreSQL cannot run on this machine; the message says why."""


def _version(path: Path) -> tuple[int, ...]:
    parts = path.parent.parent.name.split(".")
    return tuple(int(part) for part in parts if part.isdigit())


DEBIAN_DIR = Path("/usr/lib/postgresql")


def find_bin_dir(debian_dir: Path = DEBIAN_DIR) -> Path:
    """The directory of `initdb`, `pg_ctl` and `psql`: on PATH, else Debian's newest
    `/usr/lib/postgresql/<version>/bin` (the package does not put them on PATH)."""
    on_path = shutil.which("initdb")
    candidates = [Path(on_path).resolve()] if on_path else []
    candidates += sorted(debian_dir.glob("*/bin/initdb"), key=_version)[::-1]
    for initdb in candidates:
        if all((initdb.parent / tool).exists() for tool in ("pg_ctl", "psql", "postgres")):
            return initdb.parent
    raise PostgresUnavailableError(
        "PostgreSQL's initdb is not installed (Debian: apt-get install postgresql)"
    )


def server_account() -> str | None:
    """The account the server runs as: None for the current user, `postgres` under root."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam(ADMIN)
    except KeyError:
        raise PostgresUnavailableError(
            "initdb refuses to run as root and there is no 'postgres' account to run it as "
            "(Debian's postgresql package creates one)"
        ) from None
    return ADMIN


@dataclass
class Postgres:
    """A running server: a unix socket directory, a database and the role Terraform uses."""

    bin_dir: Path
    root: Path
    account: str | None
    password: str
    """The `terraform` role's password: what must never leak."""
    admin_password: str

    @property
    def socket_dir(self) -> Path:
        return self.root / "run"

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    def conn_str(self) -> str:
        """What a deployer puts in PG_CONN_STR (lib/pq URL form, socket in `host`)."""
        return (
            f"postgres://{ROLE}:{self.password}@/{DATABASE}?host={self.socket_dir}&sslmode=disable"
        )

    def sql(
        self, statement: str, *, admin: bool = True, database: str = DATABASE
    ) -> list[list[str]]:
        """Rows of one SQL statement, run with psql as the admin (or the terraform role)."""
        user, password = (ADMIN, self.admin_password) if admin else (ROLE, self.password)
        result = subprocess.run(
            [
                str(self.bin_dir / "psql"),
                "-X",
                "-q",
                "-A",
                "-t",
                "-F",
                "\t",
                "-v",
                "ON_ERROR_STOP=1",
                "-d",
                f"host={self.socket_dir} user={user} dbname={database}",
                "-c",
                statement,
            ],
            env={**os.environ, "PGPASSWORD": password, "PGCONNECT_TIMEOUT": "30"},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if result.returncode != 0:
            raise RuntimeError(f"psql failed: {result.stderr.strip()}")
        return [line.split("\t") for line in result.stdout.splitlines() if line]

    def advisory_locks(self) -> list[tuple[int, int]]:
        """(backend pid, lock key) of every granted advisory lock: Terraform's state locks."""
        rows = self.sql(
            "SELECT pid, objid FROM pg_locks WHERE locktype = 'advisory' AND granted "
            "ORDER BY pid, objid"
        )
        return [(int(pid), int(objid)) for pid, objid in rows]


def _run(command: list[str], account: str | None, cwd: Path) -> None:
    result = subprocess.run(
        command,
        user=account,
        cwd=cwd,
        env={**os.environ, "LC_ALL": "C"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"{Path(command[0]).name} failed:\n{result.stdout}{result.stderr}")


def _owned(path: Path, account: str | None, mode: int) -> Path:
    path.mkdir(mode=mode, exist_ok=True)
    path.chmod(mode)
    if account is not None:
        entry = pwd.getpwnam(account)
        os.chown(path, entry.pw_uid, entry.pw_gid)
    return path


@contextlib.contextmanager
def throwaway_postgres() -> Iterator[Postgres]:
    """Start a server in a fresh temp dir; stop it and remove everything afterwards.

    Raises PostgresUnavailableError when this machine cannot run one (not installed, or root
    without a `postgres` account); any other failure is an error."""
    bin_dir = find_bin_dir()
    account = server_account()
    root = Path(tempfile.mkdtemp(prefix="phoenix-pg-"))
    root.chmod(0o711)  # the server's account reaches its own directories, nothing else
    server = Postgres(bin_dir, root, account, secrets.token_urlsafe(18), secrets.token_urlsafe(18))
    try:
        data = _owned(server.data_dir, account, 0o700)
        _owned(server.socket_dir, account, 0o755)
        logs = _owned(root / "log", account, 0o755)
        pwfile = root / "admin-password"
        pwfile.write_text(server.admin_password + "\n", encoding="utf-8")
        if account is not None:
            entry = pwd.getpwnam(account)
            os.chown(pwfile, entry.pw_uid, entry.pw_gid)
        pwfile.chmod(0o600)
        _run(
            [
                str(bin_dir / "initdb"),
                "-D",
                str(data),
                "-U",
                ADMIN,
                f"--pwfile={pwfile}",
                "--auth=scram-sha-256",
                "--no-locale",
                "-E",
                "UTF8",
                "--no-sync",
            ],
            account,
            root,
        )
        pwfile.unlink()
        options = " ".join(
            [
                "-c listen_addresses=''",  # no TCP at all: the socket below only
                f"-c unix_socket_directories='{server.socket_dir}'",
                "-c fsync=off",  # a throwaway: durability buys nothing here
                "-c synchronous_commit=off",
                "-c full_page_writes=off",
                "-c shared_buffers=16MB",
                "-c max_connections=50",
            ]
        )
        _run(
            [
                str(bin_dir / "pg_ctl"),
                "-D",
                str(data),
                "-l",
                str(logs / "server.log"),
                "-o",
                options,
                "-w",
                "-t",
                "120",
                "start",
            ],
            account,
            root,
        )
        try:
            server.sql(f"CREATE ROLE {ROLE} LOGIN PASSWORD '{server.password}'", database=ADMIN)
            server.sql(f"CREATE DATABASE {DATABASE} OWNER {ROLE}", database=ADMIN)
            yield server
        finally:
            _run(
                [str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"],
                account,
                root,
            )
    finally:
        shutil.rmtree(root, ignore_errors=True)


def main() -> int:
    """Run a server until Enter is pressed, for trying Phoenix's pg backend by hand."""
    with throwaway_postgres() as server:
        print(f"export PG_CONN_STR='{server.conn_str()}'")
        input("PostgreSQL is running; press Enter to stop it and remove its files. ")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
