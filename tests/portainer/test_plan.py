"""The pure planner: current objects + desired state -> actions (no HTTP)."""

from __future__ import annotations

from typing import Any

import pytest

from portainer.desired import COMPOSE_SHA_ENV, DesiredAgent, DesiredStack
from portainer.models import Endpoint, Pair, Stack
from portainer.plan import (
    Action,
    MissingSecretError,
    env_changes,
    needs_file,
    plan_environment,
    plan_leftovers,
    plan_stack,
    resolve_env,
    same_compose,
)
from tests.portainer.conftest import agent_doc, stack_doc

OWNER = "phoenix"


def desired_stack(**kwargs: Any) -> DesiredStack:
    return DesiredStack.model_validate(stack_doc("qdrant", **kwargs))


def current(desired: DesiredStack, env: tuple[Pair, ...], **fields: Any) -> Stack:
    data: dict[str, Any] = {
        "Id": 7,
        "Name": desired.name,
        "EndpointId": 3,
        "Status": 1,
        "Env": [p.model_dump() for p in env],
    }
    data.update(fields)
    return Stack.model_validate(data)


def test_resolve_env_adds_secrets_and_markers_sorted() -> None:
    # GIVEN plain env, a secret from the process environment
    stack = desired_stack(env={"B": "2"}, secret_env={"A_KEY": "SRC"})
    # WHEN resolving
    env = resolve_env(stack, OWNER, {"SRC": "hunter22"})
    # THEN every pair is there, markers included, sorted by name
    assert [(p.name, p.value) for p in env] == [
        ("A_KEY", "hunter22"),
        ("B", "2"),
        (COMPOSE_SHA_ENV, stack.compose_sha256),
        ("PHOENIX_OWNER", OWNER),
    ]


def test_fails_when_secret_source_is_missing_and_names_it() -> None:
    stack = desired_stack(secret_env={"A_KEY": "MISSING_VAR"})
    with pytest.raises(MissingSecretError, match="MISSING_VAR"):
        resolve_env(stack, OWNER, {})


def test_create_when_absent() -> None:
    stack = desired_stack()
    assert plan_stack(stack, resolve_env(stack, OWNER, {}), None, None, OWNER).action is (
        Action.CREATE
    )


def test_unchanged_when_markers_match_without_file() -> None:
    # GIVEN a stack deployed by Phoenix with the same env and compose hash
    stack = desired_stack(env={"A": "1"})
    env = resolve_env(stack, OWNER, {})
    live = current(stack, env)
    # THEN no file is needed and nothing changes
    assert not needs_file(live, stack, verify_files=False)
    assert needs_file(live, stack, verify_files=True)
    assert plan_stack(stack, env, live, None, OWNER).action is Action.UNCHANGED


def test_update_when_compose_differs_and_crlf_is_ignored() -> None:
    stack = desired_stack()
    env = resolve_env(stack, OWNER, {})
    live = current(stack, env)
    crlf = stack.compose.replace("\n", "\r\n")
    assert plan_stack(stack, env, live, crlf, OWNER).action is Action.UNCHANGED
    changed = plan_stack(stack, env, live, "services: {}\n", OWNER)
    assert changed.action is Action.UPDATE
    assert changed.reasons == ["compose changed"]


def test_env_changes_report_names_never_values() -> None:
    old = (Pair(name="A", value="secret-old"), Pair(name="C", value="x"))
    new = (Pair(name="A", value="secret-new"), Pair(name="B", value="y"))
    assert env_changes(old, new) == ["+B", "~A", "-C"]


def test_conflict_when_not_owned() -> None:
    # GIVEN a same-named stack without the marker, and one of another owner
    stack = desired_stack()
    env = resolve_env(stack, OWNER, {})
    foreign = current(stack, (Pair(name="X", value="1"),))
    other = current(stack, (Pair(name="PHOENIX_OWNER", value="lab2"),))
    # THEN both are conflicts and say why
    assert plan_stack(stack, env, foreign, None, OWNER).action is Action.CONFLICT
    other_item = plan_stack(stack, env, other, None, OWNER)
    assert other_item.action is Action.CONFLICT
    assert "lab2" in other_item.reasons[0]


@pytest.mark.parametrize(
    ("status", "action"),
    [(2, Action.START), (4, Action.UPDATE), (3, Action.UNCHANGED), (1, Action.UNCHANGED)],
)
def test_status_drives_start_redeploy_or_wait(status: int, action: Action) -> None:
    stack = desired_stack()
    env = resolve_env(stack, OWNER, {})
    item = plan_stack(stack, env, current(stack, env, Status=status), None, OWNER)
    assert item.action is action
    assert item.wait_deploying is (status == 3)


def test_leftovers_keep_without_prune_and_delete_with_it() -> None:
    stack = desired_stack()
    env = resolve_env(stack, OWNER, {})
    owned_old = current(stack, env, Id=9, Name="old")
    foreign_old = current(stack, (), Id=10, Name="theirs")
    wanted = current(stack, env, Id=11)
    listed = [owned_old, foreign_old, wanted]
    assert [(i.name, i.action) for i in plan_leftovers(listed, {"qdrant"}, OWNER, False)] == [
        ("old", Action.KEEP)
    ]
    assert [(i.name, i.action) for i in plan_leftovers(listed, {"qdrant"}, OWNER, True)] == [
        ("old", Action.DELETE)
    ]


def endpoint(**fields: Any) -> Endpoint:
    data: dict[str, Any] = {
        "Id": 3,
        "Name": "drphoenix",
        "Type": 2,
        "URL": "tcp://10.0.0.102:9001",
        "TLSConfig": {"TLS": True, "TLSSkipVerify": True},
    }
    data.update(fields)
    return Endpoint.model_validate(data)


AGENT = DesiredAgent.model_validate(agent_doc("drphoenix", "tcp://10.0.0.102:9001"))


def test_environment_create_unchanged_update_conflict() -> None:
    assert plan_environment(AGENT, None).action is Action.CREATE
    assert plan_environment(AGENT, endpoint()).action is Action.UNCHANGED
    moved = plan_environment(AGENT, endpoint(URL="tcp://10.0.0.9:9001"))
    assert (moved.action, moved.changes) == (Action.UPDATE, {"URL": AGENT.url})
    no_tls = plan_environment(AGENT, endpoint(TLSConfig={"TLS": False}))
    assert no_tls.changes == {"TLS": True, "TLSSkipVerify": True, "TLSSkipClientVerify": True}
    assert plan_environment(AGENT, endpoint(Type=1)).action is Action.CONFLICT


def test_same_compose_only_ignores_line_endings() -> None:
    assert same_compose("a\r\nb\r\n", "a\nb")
    assert not same_compose("a\nb\n", "a\n b\n")
