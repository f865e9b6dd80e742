"""`state.yaml` chooses where each stack keeps its state; the portainer stack reads infra's
outputs through the same backend; no credential is ever written.

Terraform itself runs these backends in tests/state/ (PostgreSQL for real, S3 up to the
store's address).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from fleet import load_fleet
from tests.config_edits import set_field
from tests.conftest import ROOT
from tests.plan import synth_files

REMOTE = "cross-stack-reference-input-infra"


def synth_with_state(tmp_path: Path, state: str | None) -> dict[str, dict[str, Any]]:
    """The reference fleet synthesized as `cdktf synth` writes it, with this `state.yaml`."""
    configs = tmp_path / "configs"
    shutil.copytree(ROOT / "configs", configs)
    if state is not None:
        (configs / "state.yaml").write_text(state, encoding="utf-8")
    return synth_files(load_fleet(configs), tmp_path / "cdktf.out")


def remote_state(stacks: dict[str, dict[str, Any]]) -> dict[str, Any]:
    found: dict[str, Any] = stacks["portainer"]["data"]["terraform_remote_state"][REMOTE]
    return found


def test_without_state_yaml_both_stacks_keep_local_files(tmp_path: Path) -> None:
    # GIVEN the reference fleet, which has no state.yaml WHEN synthesized
    stacks = synth_with_state(tmp_path, None)
    # THEN each stack keeps its own file next to cdktf.json, and portainer reads infra's
    assert stacks["infra"]["terraform"]["backend"] == {
        "local": {"path": "../../../terraform.infra.tfstate"}
    }
    assert stacks["portainer"]["terraform"]["backend"] == {
        "local": {"path": "../../../terraform.portainer.tfstate"}
    }
    assert remote_state(stacks)["backend"] == "local"


def test_an_explicit_local_backend_writes_exactly_the_default(tmp_path: Path) -> None:
    default = synth_with_state(tmp_path / "default", None)
    explicit = synth_with_state(tmp_path / "explicit", "backend: local\n")
    assert explicit == default


def test_pg_keeps_each_stack_in_its_own_schema_and_portainer_reads_infras(
    tmp_path: Path,
) -> None:
    # GIVEN state in PostgreSQL
    stacks = synth_with_state(tmp_path, "backend: pg\npg:\n  schema_prefix: homelab\n")
    # THEN each stack has its schema, the connection string left to the environment (null)
    assert stacks["infra"]["terraform"]["backend"] == {
        "pg": {"conn_str": None, "schema_name": "homelab_infra"}
    }
    assert stacks["portainer"]["terraform"]["backend"] == {
        "pg": {"conn_str": None, "schema_name": "homelab_portainer"}
    }
    # AND the portainer stack reads infra's schema, in the same workspace
    assert remote_state(stacks) == {
        "backend": "pg",
        "config": {"conn_str": None, "schema_name": "homelab_infra"},
        "workspace": "${terraform.workspace}",
    }


def test_pg_schemas_default_to_the_phoenix_prefix(tmp_path: Path) -> None:
    stacks = synth_with_state(tmp_path, "backend: pg\n")
    assert stacks["infra"]["terraform"]["backend"]["pg"]["schema_name"] == "phoenix_infra"


S3_STATE = """\
backend: s3
s3:
  endpoint: https://minio.lab.home:9000
  bucket: phoenix-state
"""

S3_SETTINGS = {
    "bucket": "phoenix-state",
    "endpoints": {"s3": "https://minio.lab.home:9000"},
    "region": "us-east-1",
    "skip_credentials_validation": True,
    "skip_metadata_api_check": True,
    "skip_region_validation": True,
    "skip_requesting_account_id": True,
    "skip_s3_checksum": True,
    "use_path_style": True,
}


def test_s3_keeps_one_object_per_stack_locked_by_a_lock_file(tmp_path: Path) -> None:
    # GIVEN state in an S3-compatible store
    stacks = synth_with_state(tmp_path, S3_STATE)
    # THEN each stack has its own object, locked with Terraform's S3-native lock file
    assert stacks["infra"]["terraform"]["backend"] == {
        "s3": {**S3_SETTINGS, "key": "phoenix/infra.tfstate", "use_lockfile": True}
    }
    assert stacks["portainer"]["terraform"]["backend"]["s3"]["key"] == "phoenix/portainer.tfstate"
    # AND the portainer stack reads infra's object with the same settings (readers never lock)
    assert remote_state(stacks) == {
        "backend": "s3",
        "config": {**S3_SETTINGS, "key": "phoenix/infra.tfstate"},
        "workspace": "${terraform.workspace}",
    }


def test_s3_without_locking_says_so(tmp_path: Path) -> None:
    stacks = synth_with_state(tmp_path, S3_STATE + "  lockfile: false\n")
    assert "use_lockfile" not in stacks["infra"]["terraform"]["backend"]["s3"]


@pytest.mark.parametrize("state", ["backend: pg\n", S3_STATE], ids=["pg", "s3"])
def test_no_credential_reaches_the_synthesized_json(
    tmp_path: Path, state: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN credentials in the environment of whoever synthesizes
    secrets = {
        "PG_CONN_STR": "postgres://phoenix:pg-Secret-4711@db.lab.home/terraform",
        "PGPASSWORD": "pg-Secret-4711",
        "AWS_ACCESS_KEY_ID": "AKIAPHOENIXEXAMPLE00",
        "AWS_SECRET_ACCESS_KEY": "s3-Secret-0815-wJalrXUtnFEMI",
    }
    for name, value in secrets.items():
        monkeypatch.setenv(name, value)
    # WHEN the fleet is synthesized THEN none of them is in any stack
    text = json.dumps(synth_with_state(tmp_path, state))
    for value in secrets.values():
        assert value not in text
    assert "Secret" not in text


def test_state_yaml_is_edited_like_any_config(tmp_path: Path) -> None:
    # GIVEN a pg state file, edited by field as tests edit configs
    configs = tmp_path / "configs"
    shutil.copytree(ROOT / "configs", configs)
    (configs / "state.yaml").write_text("backend: pg\n", encoding="utf-8")
    set_field("state.yaml", "pg", {"schema_prefix": "lab"})(configs)
    # THEN the fleet reads it
    assert load_fleet(configs).state.pg_settings.schema_prefix == "lab"
