"""Where each stack keeps its Terraform state: the backend `state.yaml` chose.

The backend is declared on the producing stack; cdktf gives every stack that reads another's
outputs a `terraform_remote_state` with the same backend settings, so the `portainer` stack
reads infra's state wherever it lives. No credential is ever written: the pg connection string
(`PG_CONN_STR`, or libpq's `PG*` variables) and the S3 keys (`AWS_ACCESS_KEY_ID`,
`AWS_SECRET_ACCESS_KEY`) are read by Terraform from its environment, in the backend and in the
remote state alike. `conn_str` is written as `null` for that reason: Terraform then falls back
to the environment.
"""

from __future__ import annotations

from cdk import (
    LocalBackend,
    PgBackend,
    S3Backend,
    S3BackendEndpointConfig,
    TerraformBackend,
    TerraformStack,
    Token,
)
from fleet.state import StateConfig

# State lives next to cdktf.json (three levels up from cdktf.out/stacks/<stack>), as cdktf's
# default does, but as a relative path so the synthesized JSON is the same on every machine.
STATE_DIR_FROM_STACK = "../../.."


def local_state_path(stack_id: str) -> str:
    """Where a stack's local state lives, relative to its synthesized directory."""
    return f"{STATE_DIR_FROM_STACK}/terraform.{stack_id}.tfstate"


def pg_schema(state: StateConfig, stack_id: str) -> str:
    """The PostgreSQL schema holding a stack's state (one schema per stack)."""
    return f"{state.pg_settings.schema_prefix}_{stack_id}"


def s3_key(state: StateConfig, stack_id: str) -> str:
    """The object key of a stack's state in the bucket."""
    if state.s3 is None:
        raise ValueError("backend s3 without s3 settings: validate the fleet first")
    return f"{state.s3.key_prefix}/{stack_id}.tfstate"


def state_backend(stack: TerraformStack, state: StateConfig, stack_id: str) -> TerraformBackend:
    """Declare the stack's backend. `local` writes exactly what Phoenix always wrote."""
    if state.backend == "local":
        return LocalBackend(stack, path=local_state_path(stack_id))
    if state.backend == "pg":
        # null: Terraform reads PG_CONN_STR (or PGHOST, PGUSER, PGPASSWORD, ...) at run time.
        from_environment = Token.as_string(Token.null_value())
        return PgBackend(stack, conn_str=from_environment, schema_name=pg_schema(state, stack_id))
    s3 = state.s3
    if s3 is None:
        raise ValueError("backend s3 without s3 settings: validate the fleet first")
    backend = S3Backend(
        stack,
        bucket=s3.bucket,
        key=s3_key(state, stack_id),
        region=s3.region,
        # Without the trailing slash pydantic adds: the SDK appends "/<bucket>" to it.
        endpoints=S3BackendEndpointConfig(s3=str(s3.endpoint).rstrip("/")),
        use_path_style=s3.path_style,
        # An S3-compatible store has no AWS account, STS, IAM or instance metadata to ask, and
        # MinIO and Ceph RGW reject the checksums newer AWS SDKs send by default.
        skip_credentials_validation=True,
        skip_region_validation=True,
        skip_requesting_account_id=True,
        skip_metadata_api_check=True,
        skip_s3_checksum=True,
    )
    if s3.lockfile:
        # Terraform >= 1.10 S3-native locking; cdktf 0.21's S3Backend does not know the name.
        # Only the backend locks: the remote state a reader declares never does.
        backend.add_override("use_lockfile", True)
    return backend


__all__ = ["local_state_path", "pg_schema", "s3_key", "state_backend"]
