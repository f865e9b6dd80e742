"""Reconcile against the fake Portainer: the "Done when" list of issue 4, and more."""

from __future__ import annotations

from pathlib import Path

from tests.fakes.agent import FakeAgent, unreachable_agent_url
from tests.fakes.portainer import FAIL_DEPLOY_MARKER, FakePortainer
from tests.portainer.conftest import Runner, agent_doc, desired_doc, stack_doc

COMPOSE_V2 = "services:\n  app:\n    image: nginx:1.28\n"


def owned_env(fake: FakePortainer, endpoint_id: int, name: str) -> dict[str, str]:
    stack = fake.stack(endpoint_id, name)
    assert stack is not None
    return {p["name"]: p["value"] for p in stack.env}


def test_empty_to_converged(fake: FakePortainer, agent: FakeAgent, run: Runner) -> None:
    # GIVEN an empty Portainer and one agent with two stacks
    desired = desired_doc(
        [
            agent_doc(
                "drphoenix", agent.url, [stack_doc("qdrant", env={"LOG": "INFO"}), stack_doc("web")]
            )
        ]
    )
    # WHEN reconciling
    result = run(desired)
    # THEN the environment exists as an agent over TLS and both stacks are deployed and owned
    assert result.code == 0, result.out + result.err
    [endpoint] = fake.endpoints()
    assert endpoint["Name"] == "drphoenix"
    assert endpoint["Type"] == 2
    assert endpoint["URL"] == agent.url
    assert endpoint["TLSConfig"]["TLS"] is True
    assert endpoint["TLSConfig"]["TLSSkipVerify"] is True
    stacks = {s.name: s for s in fake.stacks(endpoint["Id"])}
    assert set(stacks) == {"qdrant", "web"}
    assert all(s.status == 1 for s in stacks.values())
    env = owned_env(fake, endpoint["Id"], "qdrant")
    assert env["LOG"] == "INFO"
    assert env["PHOENIX_OWNER"] == "phoenix"
    assert stacks["qdrant"].content == desired["agents"][0]["stacks"][0]["compose"]
    assert "+ stack qdrant: created" in result.out


def test_second_run_makes_zero_writes(fake: FakePortainer, agent: FakeAgent, run: Runner) -> None:
    # GIVEN a converged fleet
    desired = desired_doc(
        [agent_doc("drphoenix", agent.url, [stack_doc("qdrant"), stack_doc("web")])]
    )
    assert run(desired).code == 0
    fake.clear_log()
    # WHEN reconciling again
    result = run(desired, "--detailed-exitcode")
    # THEN not a single POST/PUT/DELETE is sent (API key: not even /api/auth), exit 0 = no changes
    assert [r for r in fake.log if r.method != "GET"] == []
    assert result.code == 0
    assert "= stack qdrant: unchanged" in result.out
    # and Portainer was read with one list call per collection, no per-stack file fetches
    assert len(fake.requests("GET", "/api/stacks")) == 1
    assert fake.requests("GET", "/api/stacks/*/file") == []


def test_changed_compose_causes_exactly_one_update(
    fake: FakePortainer, agent: FakeAgent, run: Runner
) -> None:
    # GIVEN a converged stack
    desired = desired_doc(
        [agent_doc("drphoenix", agent.url, [stack_doc("qdrant"), stack_doc("web")])]
    )
    assert run(desired).code == 0
    endpoint_id = fake.endpoints()[0]["Id"]
    fake.clear_log()
    # WHEN its compose file changes
    desired["agents"][0]["stacks"][0] = stack_doc("qdrant", COMPOSE_V2)
    result = run(desired)
    # THEN exactly one write: PUT on that stack, with its own endpointId and the full env
    assert result.code == 0, result.out
    writes = fake.writes()
    assert [(w.method, w.path) for w in writes] == [
        ("PUT", f"/api/stacks/{fake.stack(endpoint_id, 'qdrant').id}")  # type: ignore[union-attr]
    ]
    assert writes[0].query == f"endpointId={endpoint_id}"
    assert writes[0].body["StackFileContent"] == COMPOSE_V2
    assert {p["name"] for p in writes[0].body["Env"]} == {"PHOENIX_OWNER", "PHOENIX_COMPOSE_SHA256"}
    assert fake.stack(endpoint_id, "qdrant").content == COMPOSE_V2  # type: ignore[union-attr]
    assert "~ stack qdrant: updated, healthy - compose changed" in result.out


def test_env_change_updates_and_keeps_the_full_list(
    fake: FakePortainer, agent: FakeAgent, run: Runner
) -> None:
    # GIVEN a stack with two env vars
    desired = desired_doc(
        [agent_doc("drphoenix", agent.url, [stack_doc("qdrant", env={"A": "1", "B": "2"})])]
    )
    assert run(desired).code == 0
    fake.clear_log()
    # WHEN one value changes
    desired["agents"][0]["stacks"][0] = stack_doc("qdrant", env={"A": "1", "B": "3"})
    result = run(desired)
    # THEN one PUT carries every variable (Portainer replaces the whole list)
    assert result.code == 0
    assert len(fake.writes()) == 1
    env = owned_env(fake, fake.endpoints()[0]["Id"], "qdrant")
    assert env["A"] == "1"
    assert env["B"] == "3"
    assert env["PHOENIX_OWNER"] == "phoenix"
    assert "env ~B" in result.out


def test_fails_when_agent_is_unreachable_but_only_its_stacks(
    fake: FakePortainer, agent: FakeAgent, run: Runner
) -> None:
    # GIVEN one reachable agent and one with no listener
    desired = desired_doc(
        [
            agent_doc("good", agent.url, [stack_doc("qdrant")]),
            agent_doc("dead", unreachable_agent_url(), [stack_doc("web"), stack_doc("db")]),
        ]
    )
    # WHEN reconciling
    result = run(desired, "--json")
    # THEN the reachable agent converges, the other fails with its stacks, and the exit is 1
    assert result.code == 1
    report = result.json()
    envs = {e["name"]: e for e in report["environments"]}
    assert envs["good"]["status"] == "ok"
    assert [s["status"] for s in envs["good"]["stacks"]] == ["ok"]
    assert envs["dead"]["status"] == "failed"
    # AND the error carries Portainer's own status and reason, and who must reach whom
    error = envs["dead"]["error"]
    assert "HTTP 500: Unable to get environment type" in error
    assert "the Portainer server (not this machine) connects to the agent" in error
    assert [s["status"] for s in envs["dead"]["stacks"]] == ["failed", "failed"]
    assert [e["Name"] for e in fake.endpoints()] == ["good"]
    assert "waiting for Portainer to reach agent dead" in result.err  # progress while waiting


def test_transient_5xx_and_dropped_connections_on_reads_are_retried(
    fake: FakePortainer, agent: FakeAgent, run: Runner
) -> None:
    # GIVEN reads that fail twice with 503 and a dropped connection
    desired = desired_doc([agent_doc("drphoenix", agent.url, [stack_doc("qdrant")])])
    fake.fail_next("GET", "/api/endpoints", count=2, status=503)
    fake.drop_next("GET", "/api/system/status")
    # WHEN reconciling
    result = run(desired)
    # THEN the client retried and converged
    assert result.code == 0, result.out + result.err
    assert [r.status for r in fake.requests("GET", "/api/endpoints")][:3] == [503, 503, 200]
    assert len(fake.stacks()) == 1


def test_dropped_connection_on_create_is_resolved_by_relisting(
    fake: FakePortainer, agent: FakeAgent, run: Runner
) -> None:
    # GIVEN a create whose response is lost after the server created the stack
    desired = desired_doc([agent_doc("drphoenix", agent.url, [stack_doc("qdrant")])])
    fake.drop_next("POST", "/api/stacks/create/standalone/string", after=True)
    # WHEN reconciling
    result = run(desired)
    # THEN the client re-listed, found its stack and did not create a second one
    assert result.code == 0, result.out + result.err
    assert len(fake.requests("POST", "/api/stacks/create/standalone/string")) == 1
    assert len(fake.stacks()) == 1


def test_5xx_on_create_before_it_lands_creates_once(
    fake: FakePortainer, agent: FakeAgent, run: Runner
) -> None:
    # GIVEN creates of an environment and a stack that first fail before doing anything
    desired = desired_doc([agent_doc("drphoenix", agent.url, [stack_doc("qdrant")])])
    fake.fail_next("POST", "/api/stacks/create/standalone/string", status=502)
    fake.drop_next("POST", "/api/endpoints")
    # WHEN reconciling
    result = run(desired)
    # THEN each is re-listed (not found) and created exactly once
    assert result.code == 0, result.out + result.err
    assert len(fake.endpoints()) == 1
    assert len(fake.stacks()) == 1
    assert [r.status for r in fake.requests("POST", "/api/stacks/create/standalone/string")] == [
        502,
        200,
    ]


def test_expired_token_reauthenticates_once(
    fake: FakePortainer, agent: FakeAgent, tmp_path: Path
) -> None:
    # GIVEN password credentials and a token that expires mid-run
    fake.seed_admin("admin", "correct-horse-battery")
    runner = Runner(fake, tmp_path)
    runner.env.update(PORTAINER_USERNAME="admin", PORTAINER_PASSWORD="correct-horse-battery")
    desired = desired_doc([agent_doc("drphoenix", agent.url, [stack_doc("qdrant")])])
    assert runner(desired).code == 0
    fake.clear_log()
    fake.expire_tokens(before=("GET", "/api/stacks"))
    # WHEN reconciling again
    result = runner(desired)
    # THEN the 401 triggered exactly one more login and the run converged with zero writes
    assert result.code == 0, result.out + result.err
    assert [r.status for r in fake.requests("POST", "/api/auth")] == [200, 200]
    assert [r.status for r in fake.requests("GET", "/api/stacks")] == [401, 200]
    assert fake.writes() == []


def test_409_race_on_create_with_a_foreign_stack_is_a_conflict(
    fake: FakePortainer, agent: FakeAgent, run: Runner
) -> None:
    # GIVEN another writer that creates "qdrant" just before our create lands
    desired = desired_doc([agent_doc("drphoenix", agent.url, [stack_doc("qdrant")])])
    fake.race_on_create("qdrant")
    # WHEN reconciling
    result = run(desired)
    # THEN the 409 was resolved by re-listing: the foreign stack is reported and left alone
    assert result.code == 1
    [stack] = fake.stacks()
    assert stack.env == []
    assert "! stack qdrant: conflict" in result.out
    assert [r.status for r in fake.requests("POST", "/api/stacks/create/*")] == [409]
    assert fake.requests("PUT") == []


def test_409_race_on_create_with_our_own_stack_converges(
    fake: FakePortainer, agent: FakeAgent, run: Runner
) -> None:
    # GIVEN a concurrent Phoenix run that creates the same stack (owned, older compose marker)
    desired = desired_doc([agent_doc("drphoenix", agent.url, [stack_doc("qdrant")])])
    fake.race_on_create("qdrant", owner="phoenix")
    # WHEN reconciling
    result = run(desired)
    # THEN the stack is adopted and brought to the desired env with one PUT, not a duplicate
    assert result.code == 0, result.out + result.err
    [stack] = fake.stacks()
    assert {p["name"] for p in stack.env} >= {"PHOENIX_OWNER", "PHOENIX_COMPOSE_SHA256"}
    assert len(fake.requests("PUT", "/api/stacks/*")) == 1


def test_foreign_stack_with_the_same_name_is_untouched_and_reported(
    fake: FakePortainer, agent: FakeAgent, run: Runner
) -> None:
    # GIVEN an environment holding a stack "Qdrant" nobody marked as Phoenix's
    endpoint = fake.seed_endpoint("drphoenix", agent.url)
    foreign = fake.seed_stack(endpoint["Id"], "Qdrant", "services: {}\n", {"X": "1"})
    other_owner = fake.seed_stack(
        endpoint["Id"], "web", "services: {}\n", {"PHOENIX_OWNER": "someone-else"}
    )
    desired = desired_doc(
        [
            agent_doc(
                "drphoenix", agent.url, [stack_doc("qdrant"), stack_doc("web"), stack_doc("db")]
            )
        ]
    )
    # WHEN reconciling (even with --prune)
    result = run(desired, "--prune", "--json")
    # THEN the foreign stacks are reported as conflicts and never written to; db is created
    assert result.code == 1
    stacks = {s["name"]: s for s in result.json()["environments"][0]["stacks"]}
    assert stacks["qdrant"]["status"] == "conflict"
    assert stacks["web"]["status"] == "conflict"
    assert "someone-else" in stacks["web"]["reasons"][0]
    assert stacks["db"]["status"] == "ok"
    assert [(w.method, w.path) for w in fake.writes()] == [
        ("POST", "/api/stacks/create/standalone/string")
    ]
    assert foreign.content == "services: {}\n"
    assert other_owner.env == [{"name": "PHOENIX_OWNER", "value": "someone-else"}]


def test_dry_run_writes_nothing(fake: FakePortainer, agent: FakeAgent, run: Runner) -> None:
    # GIVEN a fleet partly converged: one stack changed, one new, one environment missing
    desired = desired_doc([agent_doc("drphoenix", agent.url, [stack_doc("qdrant")])])
    assert run(desired).code == 0
    fake.clear_log()
    desired["agents"][0]["stacks"] = [stack_doc("qdrant", COMPOSE_V2), stack_doc("web")]
    with FakeAgent("127.0.0.105") as other:
        desired["agents"].append(agent_doc("zeta", other.url, [stack_doc("db")]))
        # WHEN planning with --dry-run
        result = run(desired, "--dry-run", "--detailed-exitcode")
    # THEN the plan is printed, nothing is written, and exit 2 says changes are pending
    assert fake.writes() == []
    assert result.code == 2
    assert "~ stack qdrant: update - compose changed" in result.out
    assert "+ stack web: create" in result.out
    assert "+ environment zeta" in result.out
    assert "Plan: 3 to create, 1 to update" in result.out


def test_stopped_stack_is_started(fake: FakePortainer, agent: FakeAgent, run: Runner) -> None:
    # GIVEN a converged stack that someone stopped
    desired = desired_doc([agent_doc("drphoenix", agent.url, [stack_doc("qdrant")])])
    assert run(desired).code == 0
    [stack] = fake.stacks()
    stack.status = 2
    fake.clear_log()
    # WHEN reconciling
    result = run(desired)
    # THEN it is started, nothing else is written
    assert result.code == 0
    assert [(w.method, w.path) for w in fake.writes()] == [
        ("POST", f"/api/stacks/{stack.id}/start")
    ]
    assert fake.stacks()[0].status == 1


def test_fails_when_deployment_ends_in_error(
    fake: FakePortainer, agent: FakeAgent, run: Runner
) -> None:
    # GIVEN a stack whose deployment fails (Status 4), next to a healthy one
    bad = "services:\n  app:\n    image: broken # " + FAIL_DEPLOY_MARKER + "\n"
    desired = desired_doc(
        [agent_doc("drphoenix", agent.url, [stack_doc("bad", bad), stack_doc("good")])]
    )
    # WHEN reconciling
    result = run(desired, "--json")
    # THEN the failing stack reports Portainer's deployment message; the other is fine
    assert result.code == 1
    stacks = {s["name"]: s for s in result.json()["environments"][0]["stacks"]}
    assert stacks["bad"]["status"] == "failed"
    assert "service failed (fake)" in stacks["bad"]["error"]
    assert stacks["good"]["status"] == "ok"


def test_update_waits_while_another_deployment_runs(
    fake: FakePortainer, agent: FakeAgent, run: Runner
) -> None:
    # GIVEN an owned stack that is still deploying (PUT would answer 409 "in progress")
    # until the first PUT has been refused
    endpoint = fake.seed_endpoint("drphoenix", agent.url)
    fake.hold_deployments(until=("PUT", "/api/stacks/*"))
    fake.seed_stack(endpoint["Id"], "qdrant", "old\n", {"PHOENIX_OWNER": "phoenix"}, status=3)
    desired = desired_doc([agent_doc("drphoenix", agent.url, [stack_doc("qdrant")])])
    # WHEN reconciling
    result = run(desired)
    # THEN the update is refused once, waits for the deployment, is sent again and converges
    assert result.code == 0, result.out + result.err
    statuses = [r.status for r in fake.requests("PUT", "/api/stacks/*")]
    assert statuses == [409, 200]
    assert "deployment in progress, waiting" in result.err
    assert fake.stacks()[0].content == stack_doc("qdrant")["compose"]


def test_prune_deletes_only_owned_leftovers(
    fake: FakePortainer, agent: FakeAgent, run: Runner
) -> None:
    # GIVEN two owned stacks and a foreign one; the config drops one owned stack
    desired = desired_doc(
        [agent_doc("drphoenix", agent.url, [stack_doc("keep"), stack_doc("old")])]
    )
    assert run(desired).code == 0
    endpoint_id = fake.endpoints()[0]["Id"]
    fake.seed_stack(endpoint_id, "theirs", "services: {}\n")
    desired["agents"][0]["stacks"] = [stack_doc("keep")]
    # WHEN reconciling without --prune
    kept = run(desired)
    # THEN the leftover is reported and kept
    assert kept.code == 0
    assert "? stack old: keep" in kept.out
    assert {s.name for s in fake.stacks()} == {"keep", "old", "theirs"}
    # WHEN reconciling with --prune
    pruned = run(desired, "--prune")
    # THEN only the owned leftover is deleted
    assert pruned.code == 0
    assert {s.name for s in fake.stacks()} == {"keep", "theirs"}
    assert [w.method for w in fake.writes()][-1] == "DELETE"


def test_fails_when_a_secret_env_variable_is_missing(
    fake: FakePortainer, agent: FakeAgent, run: Runner
) -> None:
    # GIVEN a stack whose secret comes from an unset variable, and one whose secret is set
    desired = desired_doc(
        [
            agent_doc(
                "drphoenix",
                agent.url,
                [
                    stack_doc("qdrant", secret_env={"API_KEY": "QDRANT_KEY"}),
                    stack_doc("web", secret_env={"TOKEN": "WEB_TOKEN"}),
                ],
            )
        ]
    )
    # WHEN reconciling
    result = run(desired, WEB_TOKEN="s3cr3t-web-token")
    # THEN only qdrant fails, naming the variable; web gets the secret value
    assert result.code == 1
    assert "QDRANT_KEY" in result.out
    endpoint_id = fake.endpoints()[0]["Id"]
    assert fake.stack(endpoint_id, "qdrant") is None
    assert owned_env(fake, endpoint_id, "web")["TOKEN"] == "s3cr3t-web-token"


def test_environment_with_wrong_url_is_updated_field_by_field(
    fake: FakePortainer, agent: FakeAgent, run: Runner
) -> None:
    # GIVEN an existing environment of that name pointing elsewhere
    endpoint = fake.seed_endpoint("drphoenix", "tcp://127.0.0.99:9001")
    desired = desired_doc([agent_doc("drphoenix", agent.url)])
    # WHEN reconciling
    result = run(desired)
    # THEN one JSON PUT carries only the URL
    assert result.code == 0, result.out
    [write] = fake.writes()
    assert (write.method, write.path) == ("PUT", f"/api/endpoints/{endpoint['Id']}")
    assert write.body == {"URL": agent.url}
    assert fake.endpoints()[0]["URL"] == agent.url


def test_fresh_instance_creates_the_admin_then_converges(
    fake: FakePortainer, agent: FakeAgent, tmp_path: Path
) -> None:
    # GIVEN a Portainer with no admin and password credentials
    runner = Runner(fake, tmp_path)
    runner.env.update(PORTAINER_PASSWORD="correct-horse-battery")  # username from outputs
    desired = desired_doc([agent_doc("drphoenix", agent.url, [stack_doc("qdrant")])])
    # WHEN planning, then reconciling twice
    dry = runner(desired, "--dry-run")
    first = runner(desired)
    fake.clear_log()
    second = runner(desired)
    # THEN the dry run wrote nothing, the first run created admin+env+stack, the second
    # logged in once and wrote nothing
    assert dry.code == 0
    assert "+ administrator: would create" in dry.out
    assert first.code == 0, first.out + first.err
    assert len(fake.stacks()) == 1
    assert second.code == 0
    assert fake.writes() == []
    assert len(fake.requests("POST", "/api/auth")) == 1


def test_fails_when_setup_token_is_required_but_missing(tmp_path: Path, agent: FakeAgent) -> None:
    # GIVEN a fresh Portainer that requires a setup token
    with FakePortainer(setup_token="0123456789abcdef") as fake:
        runner = Runner(fake, tmp_path)
        runner.env.update(PORTAINER_PASSWORD="correct-horse-battery")
        desired = desired_doc([agent_doc("drphoenix", agent.url)])
        # WHEN reconciling without, then with, the token
        without = runner(desired)
        with_token = runner(desired, PORTAINER_SETUP_TOKEN="0123456789abcdef")
    # THEN the first run explains the setup token; the second succeeds
    assert without.code == 1
    assert "PORTAINER_SETUP_TOKEN" in without.out
    assert with_token.code == 0, with_token.out


def test_agents_are_reconciled_concurrently(fake: FakePortainer, run: Runner) -> None:
    # GIVEN four agents and a converged fleet
    with (
        FakeAgent("127.0.0.111") as a1,
        FakeAgent("127.0.0.112") as a2,
        FakeAgent("127.0.0.113") as a3,
        FakeAgent("127.0.0.114") as a4,
    ):
        desired = desired_doc(
            [
                agent_doc(f"agent{i}", a.url, [stack_doc("s1"), stack_doc("s2")])
                for i, a in enumerate((a1, a2, a3, a4))
            ]
        )
        assert run(desired).code == 0
        fake.clear_log()
        # WHEN re-running with the default worker pool, while the fake answers the stack
        # lists only once all four are in flight together
        together = fake.gather("GET", "/api/stacks", count=4)
        result = run(desired)
    # THEN the four environments were read at the same time, and nothing was written
    assert result.code == 0, result.out + result.err
    assert together()
    assert fake.writes() == []


def test_409_race_on_environment_create_is_resolved_by_relisting(
    fake: FakePortainer, agent: FakeAgent, run: Runner
) -> None:
    # GIVEN another writer that registers the same environment just before our create
    desired = desired_doc([agent_doc("drphoenix", agent.url, [stack_doc("qdrant")])])
    fake.race_on_endpoint_create("drphoenix", agent.url)
    # WHEN reconciling
    result = run(desired)
    # THEN the 409 is resolved by re-listing: one environment, its stack deployed on it
    assert result.code == 0, result.out + result.err
    [endpoint] = fake.endpoints()
    assert [r.status for r in fake.requests("POST", "/api/endpoints")] == [409]
    assert fake.stack(endpoint["Id"], "qdrant") is not None


def test_edits_outside_phoenix_are_found_with_verify_files(
    fake: FakePortainer, agent: FakeAgent, run: Runner
) -> None:
    # GIVEN a converged stack whose file someone edited in the Portainer UI (markers intact)
    desired = desired_doc([agent_doc("drphoenix", agent.url, [stack_doc("qdrant")])])
    assert run(desired).code == 0
    [stack] = fake.stacks()
    stack.content += "# edited by hand\n"
    fake.clear_log()
    # WHEN reconciling normally, the hash marker is trusted (no file fetch, no write)
    trusted = run(desired)
    assert "= stack qdrant: unchanged" in trusted.out
    assert fake.writes() == []
    # WHEN reconciling with --verify-files
    verified = run(desired, "--verify-files")
    # THEN the file is compared and restored with one update
    assert "~ stack qdrant: updated, healthy - compose changed" in verified.out
    assert fake.stacks()[0].content == stack_doc("qdrant")["compose"]
    assert len(fake.writes()) == 1


def test_environment_of_another_type_is_a_conflict_and_untouched(
    fake: FakePortainer, agent: FakeAgent, run: Runner
) -> None:
    # GIVEN an environment with the agent's name that is a plain Docker API endpoint (Type 1)
    fake.seed_endpoint("drphoenix", "tcp://127.0.0.102:2375", type_=1, tls=False)
    desired = desired_doc([agent_doc("drphoenix", agent.url, [stack_doc("qdrant")])])
    # WHEN reconciling
    result = run(desired)
    # THEN it is reported as a conflict, its stacks are not deployed, nothing is written
    assert result.code == 1
    assert "! environment drphoenix" in result.out
    assert "x stack qdrant" in result.out
    assert fake.writes() == []


def test_a_renamed_guest_renames_its_environment_and_keeps_its_stacks(
    fake: FakePortainer, agent: FakeAgent, run: Runner
) -> None:
    # GIVEN a converged agent with a stack
    stacks = [stack_doc("qdrant")]
    assert run(desired_doc([agent_doc("drphoenix", agent.url, stacks)])).code == 0
    [before] = fake.endpoints()
    fake.clear_log()
    # WHEN the guest is renamed in the fleet (same address)
    result = run(desired_doc([agent_doc("qdrant-host", agent.url, stacks)]))
    # THEN the environment is renamed in place: one PUT with the name, no stack written
    assert result.code == 0, result.out + result.err
    writes = [(w.method, w.path, w.body) for w in fake.writes()]
    assert writes == [("PUT", f"/api/endpoints/{before['Id']}", {"Name": "qdrant-host"})]
    [after] = fake.endpoints()
    assert (after["Id"], after["Name"]) == (before["Id"], "qdrant-host")
    assert [s.name for s in fake.stacks(after["Id"])] == ["qdrant"]
    assert "name drphoenix -> qdrant-host" in result.out


def test_an_environment_at_the_same_address_with_foreign_stacks_is_not_taken(
    fake: FakePortainer, agent: FakeAgent, run: Runner
) -> None:
    # GIVEN an environment at the agent's address that runs a stack Phoenix does not own
    other = fake.seed_endpoint("lab-docker", agent.url)
    fake.seed_stack(other["Id"], "grafana", "services:\n  grafana:\n    image: grafana\n")
    # WHEN a fleet agent of another name is reconciled
    result = run(desired_doc([agent_doc("drphoenix", agent.url)]))
    # THEN that environment keeps its name; the fleet's agent gets its own
    assert result.code == 0, result.out + result.err
    names = sorted(e["Name"] for e in fake.endpoints())
    assert names == ["drphoenix", "lab-docker"]
