"""`state: pg` for real: Terraform applies the fleet into PostgreSQL, the portainer stack reads
infra's outputs back from it, and PostgreSQL's advisory locks keep two applies apart.

What the pg backend does with locks, as these tests pin it (docs/state.md explains it to
operators): the lock belongs to the database session of the Terraform process holding it, so
a killed apply leaves no lock behind (its session ends with it) and `terraform force-unlock`
has nothing to clear; a hung apply keeps its lock until its session is ended in PostgreSQL.
"""

from __future__ import annotations

import json
import signal

import pytest

from tests.postgres import Postgres

from .conftest import PgFleet, wait_until

pytestmark = pytest.mark.e2e

LOCKED = "Error acquiring the state lock"
REPLACE_RECONCILE = "-replace=terraform_data.portainer_reconcile"


def applied(fleet: PgFleet) -> PgFleet:
    """Both stacks applied into PostgreSQL (the reconcile stub not held)."""
    for stack in ("infra", "portainer"):
        fleet.run(stack, "init", "-input=false", "-no-color")
        fleet.apply(stack)
    return fleet


def state_rows(postgres: Postgres, schema: str) -> list[str]:
    return [row[0] for row in postgres.sql(f"SELECT name FROM {schema}.states ORDER BY name")]


def test_infra_applies_into_postgres_and_the_portainer_stack_reads_it_back(
    pg_fleet: PgFleet,
) -> None:
    # GIVEN the fleet with `state: pg` WHEN both stacks are applied
    applied(pg_fleet)
    # THEN each stack's state is a row in its own schema, and no state file was written
    for stack in ("infra", "portainer"):
        assert state_rows(pg_fleet.postgres, f"{pg_fleet.prefix}_{stack}") == ["default"]
    assert not list(pg_fleet.root.glob("*.tfstate*"))
    # AND the reconcile got the desired state the portainer stack read from infra's state
    outputs = json.loads(pg_fleet.run("infra", "output", "-json").stdout)
    assert pg_fleet.desired_state_handed_to_reconcile() == outputs["portainer"]["value"]
    # AND both stacks re-plan to no changes from the state in PostgreSQL
    for stack in ("infra", "portainer"):
        assert pg_fleet.terraform.plan_is_empty(pg_fleet.stack(stack))


def test_no_credential_reaches_plans_state_outputs_or_logs(pg_fleet: PgFleet) -> None:
    # GIVEN the fleet applied into PostgreSQL, one run traced at Terraform's most verbose
    trace = pg_fleet.root / "terraform-trace.log"
    pg_fleet.terraform.state_env.update({"TF_LOG": "TRACE", "TF_LOG_PATH": str(trace)})
    applied(pg_fleet)
    pg_fleet.terraform.state_env.pop("TF_LOG")
    pg_fleet.terraform.state_env.pop("TF_LOG_PATH")
    # WHEN everything Terraform wrote or showed is gathered
    seen = [*pg_fleet.logs, trace.read_text(encoding="utf-8")]
    for stack in ("infra", "portainer"):
        plan = pg_fleet.terraform.plan(pg_fleet.stack(stack))
        seen += [
            json.dumps(plan),
            pg_fleet.run(stack, "state", "pull").stdout,
            pg_fleet.run(stack, "output", "-json").stdout,
            (pg_fleet.stack(stack) / "cdk.tf.json").read_text(encoding="utf-8"),
            (pg_fleet.stack(stack) / ".terraform" / "terraform.tfstate").read_text("utf-8"),
        ]
    seen += [row[0] for row in pg_fleet.postgres.sql(_ALL_STATES.format(prefix=pg_fleet.prefix))]
    # THEN neither the password nor the connection string is in any of it
    assert len(seen) > 10
    for text in seen:
        assert pg_fleet.postgres.password not in text
        assert pg_fleet.postgres.conn_str() not in text


_ALL_STATES = (
    "SELECT data FROM {prefix}_infra.states UNION ALL SELECT data FROM {prefix}_portainer.states"
)


def test_a_second_apply_is_refused_while_the_first_holds_the_lock(pg_fleet: PgFleet) -> None:
    # GIVEN an apply of the portainer stack that holds the state lock (its reconcile running)
    applied(pg_fleet)
    pg_fleet.hold_reconcile()
    first = pg_fleet.start("portainer", "apply", "-auto-approve", "-no-color", REPLACE_RECONCILE)
    pg_fleet.wait_for_reconcile()
    assert pg_fleet.postgres.advisory_locks()
    # WHEN a second apply of the same stack starts THEN Terraform refuses it: locked
    second = pg_fleet.run("portainer", "apply", "-auto-approve", "-no-color", check=False)
    assert second.returncode == 1
    assert LOCKED in second.stderr
    assert "Workspace is already locked: default" in second.stderr
    # AND one that may wait for the lock waits for the first, then succeeds on its state
    waiting = pg_fleet.start(
        "portainer", "apply", "-auto-approve", "-no-color", "-lock-timeout=600s"
    )
    pg_fleet.release_reconcile()
    assert first.finish()[0] == 0
    code, output = waiting.finish()
    assert code == 0, output
    assert "Resources: 0 added, 0 changed, 0 destroyed" in output


def test_a_killed_apply_leaves_no_lock_and_force_unlock_is_harmless(pg_fleet: PgFleet) -> None:
    # GIVEN an apply holding the lock
    applied(pg_fleet)
    pg_fleet.hold_reconcile()
    apply = pg_fleet.start("portainer", "apply", "-auto-approve", "-no-color", REPLACE_RECONCILE)
    pg_fleet.wait_for_reconcile()
    assert pg_fleet.postgres.advisory_locks()
    # WHEN it is killed (power cut, OOM killer, a CI job cancelled)
    apply.kill()
    pg_fleet.release_reconcile()
    # THEN PostgreSQL drops its lock with its session: nothing is left to unlock
    wait_until(lambda: not pg_fleet.postgres.advisory_locks(), "the killed apply's lock to go")
    # AND the runbook's force-unlock (any lock id) changes nothing and hurts nothing
    unlock = pg_fleet.run("portainer", "force-unlock", "-force", "no-such-lock")
    assert "successfully unlocked" in unlock.stdout
    # AND the next apply runs, converging again
    pg_fleet.apply("portainer", REPLACE_RECONCILE)
    assert pg_fleet.terraform.plan_is_empty(pg_fleet.stack("portainer"))


def test_a_hung_apply_keeps_its_lock_until_its_session_is_ended(pg_fleet: PgFleet) -> None:
    # GIVEN an apply holding the lock that stopped making progress (a frozen laptop, a CI
    # runner that lost its disk), its database session still open
    applied(pg_fleet)
    pg_fleet.hold_reconcile()
    hung = pg_fleet.start("portainer", "apply", "-auto-approve", "-no-color", REPLACE_RECONCILE)
    pg_fleet.wait_for_reconcile()
    hung.signal(signal.SIGSTOP)
    try:
        # WHEN force-unlock is run THEN Terraform reports success, yet the lock stays: it
        # belongs to the hung process's session, which no other session can release
        unlock = pg_fleet.run("portainer", "force-unlock", "-force", "no-such-lock")
        assert "successfully unlocked" in unlock.stdout
        assert pg_fleet.postgres.advisory_locks()
        refused = pg_fleet.run("portainer", "plan", "-no-color", check=False)
        assert LOCKED in refused.stderr
        # WHEN the holder's session is ended in PostgreSQL (docs/state.md)
        pg_fleet.postgres.sql(TERMINATE_LOCK_HOLDERS, admin=False)
        # THEN the state can be locked again
        wait_until(lambda: not pg_fleet.postgres.advisory_locks(), "the hung apply's lock to go")
        pg_fleet.release_reconcile()
        pg_fleet.run("portainer", "plan", "-no-color")
    finally:
        hung.kill()


TERMINATE_LOCK_HOLDERS = """\
SELECT pg_terminate_backend(pid) FROM pg_locks
WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database
                                            WHERE datname = current_database())"""
"""The query docs/state.md gives operators, word for word."""
