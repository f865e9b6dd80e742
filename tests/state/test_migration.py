"""Moving a fleet that was deployed with local state into PostgreSQL, as the README says:
change `state.yaml`, synthesize, `terraform init -migrate-state` in each stack directory."""

from __future__ import annotations

import pytest

from .conftest import PgFleet

pytestmark = pytest.mark.e2e

STACKS = ("infra", "portainer")


def test_local_state_migrates_into_postgres_and_nothing_changes(pg_fleet: PgFleet) -> None:
    # GIVEN the fleet deployed with local state (the default)
    pg_fleet.use_state("backend: local\n")
    pg_fleet.synth()
    before = {}
    for stack in STACKS:
        pg_fleet.run(stack, "init", "-input=false", "-no-color")
        pg_fleet.apply(stack)
        before[stack] = pg_fleet.run(stack, "state", "list").stdout.split()
    assert (pg_fleet.root / "terraform.infra.tfstate").is_file()
    # WHEN state.yaml says pg, the fleet is synthesized again and each stack's state migrated
    pg_fleet.use_state(f"backend: pg\npg:\n  schema_prefix: {pg_fleet.prefix}\n")
    pg_fleet.synth()
    for stack in STACKS:
        migrated = pg_fleet.run(
            stack, "init", "-migrate-state", "-force-copy", "-input=false", "-no-color"
        )
        assert 'Successfully configured the backend "pg"' in migrated.stdout
    # THEN PostgreSQL holds every resource each stack had, and nothing needs to change: the
    # portainer stack now reads infra's outputs from PostgreSQL too
    for stack in STACKS:
        rows = pg_fleet.postgres.sql(f"SELECT name FROM {pg_fleet.prefix}_{stack}.states")
        assert rows == [["default"]]
        assert pg_fleet.run(stack, "state", "list").stdout.split() == before[stack]
        assert pg_fleet.terraform.plan_is_empty(pg_fleet.stack(stack))
    # AND the local files are left as they were, for the operator to archive
    local = (pg_fleet.root / "terraform.infra.tfstate").read_text(encoding="utf-8")
    assert "proxmox_virtual_environment_vm" in local
