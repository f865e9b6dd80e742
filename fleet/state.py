"""`state.yaml`: where Terraform keeps the state of each stack, and how it is locked.

Without this file the state stays in local files next to `cdktf.json`, as before. A team, or
CI next to a laptop, shares one state with locking: PostgreSQL (`pg`) or an S3-compatible
object store (`s3`). Credentials never live here: Terraform reads the PostgreSQL connection
string and the S3 keys from the environment of whoever runs it.
"""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import StrictBool, ValidationInfo, field_validator

from .base import ConfigModel
from .types import Matches, WebUrl

PG_CONN_ENV = "PG_CONN_STR"
"""The environment variable Terraform's pg backend reads its connection string from."""

S3_KEY_ENVS = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")
"""The environment variables Terraform's s3 backend reads the store's keys from."""

STATE_SECRETS_HINT = (
    f"Terraform reads the PostgreSQL connection string from {PG_CONN_ENV} (or PGHOST, PGUSER, "
    f"PGPASSWORD, PGDATABASE) and the S3 keys from {' and '.join(S3_KEY_ENVS)}"
)

_NO_CONNECTION_STRING = (
    f"the connection string never goes in a config file (it holds the password); set "
    f"{PG_CONN_ENV} in the environment of whoever runs Terraform, e.g. "
    "postgres://phoenix@db.lab.home/terraform?sslmode=require with the password in PGPASSWORD "
    "or ~/.pgpass"
)


class PgState(ConfigModel):
    """State in PostgreSQL (Terraform's `pg` backend): one schema per stack, locked with
    PostgreSQL advisory locks while a plan or apply runs."""

    # Keys that would put a connection string, and so a password, into the config (the
    # value is never echoed).
    refused_keys: ClassVar[dict[str, str]] = dict.fromkeys(
        ("conn_str", "connection_string", "connection", "dsn", "url", "uri"),
        _NO_CONNECTION_STRING,
    )

    schema_prefix: Annotated[
        str,
        Matches(
            r"[a-z][a-z0-9_]{0,39}",
            "PostgreSQL schema prefix",
            "lower-case letters, digits and '_', starting with a letter, at most 40 characters",
        ),
    ] = "phoenix"
    """Each stack keeps its state in the schema `<prefix>_<stack>` (`phoenix_infra`,
    `phoenix_portainer`), created on first use; give fleets sharing a database different
    prefixes. Default: `phoenix`."""


class S3State(ConfigModel):
    """State in an S3-compatible object store (MinIO, Ceph RGW, AWS S3; Terraform's `s3`
    backend), one object per stack. The keys come from `AWS_ACCESS_KEY_ID` and
    `AWS_SECRET_ACCESS_KEY`."""

    endpoint: WebUrl
    """URL of the store's S3 API, e.g. `https://minio.lab.home:9000`."""
    bucket: Annotated[
        str,
        Matches(
            r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]",
            "bucket name",
            "3 to 63 lower-case letters, digits, '.' and '-', starting and ending with a letter "
            "or digit",
        ),
    ]
    """Bucket holding the state objects; it must exist (Terraform does not create it)."""
    key_prefix: Annotated[
        str,
        Matches(
            r"[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*",
            "object key prefix",
            "path segments of letters, digits, '_', '.' and '-' separated by '/', without a "
            "leading or trailing '/'",
        ),
    ] = "phoenix"
    """Each stack keeps its state in the object `<prefix>/<stack>.tfstate`. Default:
    `phoenix`."""
    region: Annotated[
        str,
        Matches(r"[a-z0-9-]{1,32}", "region", "lower-case letters, digits and '-'"),
    ] = "us-east-1"
    """Region name the store expects in signatures; MinIO and Ceph RGW accept `us-east-1`
    unless configured otherwise. Default: `us-east-1`."""
    path_style: StrictBool = True
    """Address the bucket as `<endpoint>/<bucket>` rather than `<bucket>.<endpoint>`, as MinIO
    and Ceph RGW expect. Default: true."""
    lockfile: StrictBool = True
    """Lock the state with a `.tflock` object next to it while a plan or apply runs
    (Terraform's S3-native locking; the store must support conditional writes). Default:
    true."""


class StateConfig(ConfigModel):
    """Contents of `state.yaml`: the backend every stack of the fleet keeps its state in."""

    backend: Literal["local", "pg", "s3"] = "local"
    """`local`: files next to `cdktf.json` (one person, one machine). `pg`: PostgreSQL,
    locked, for a team or CI. `s3`: an S3-compatible object store. Default: local."""
    pg: PgState | None = None
    """PostgreSQL settings, read with `backend: pg`. Default: schemas `phoenix_<stack>`; the
    connection string always comes from `PG_CONN_STR`."""
    s3: S3State | None = None
    """Object store settings; required with `backend: s3`. Default: no object store."""

    @field_validator("pg", "s3")
    @classmethod
    def _settings_match_backend(
        cls, settings: PgState | S3State | None, info: ValidationInfo
    ) -> PgState | S3State | None:
        backend = info.data.get("backend")
        if backend is None:  # the backend itself is invalid, and reported
            return settings
        if settings is not None and backend != info.field_name:
            raise ValueError(
                f"only read with backend: {info.field_name} (the backend is {backend}); "
                "remove it or change the backend"
            )
        if settings is None and backend == "s3" and info.field_name == "s3":
            raise ValueError("required with backend: s3 (the store's endpoint and bucket)")
        return settings

    @property
    def pg_settings(self) -> PgState:
        """The pg settings, defaults filled in."""
        return self.pg or PgState()


__all__ = [
    "PG_CONN_ENV",
    "S3_KEY_ENVS",
    "STATE_SECRETS_HINT",
    "PgState",
    "S3State",
    "StateConfig",
]
