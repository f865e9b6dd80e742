"""Portainer's answers reach the operator: its status and reason in the line, no retry of what
no retry fixes, and a reconcile that needs only the Portainer API (Portainer reaches agents)."""

from __future__ import annotations

from pathlib import Path

from tests.fakes.agent import FakeAgent
from tests.fakes.portainer import FakePortainer
from tests.portainer.conftest import Runner, agent_doc, desired_doc, stack_doc

CREATE_STACK = ("POST", "/api/stacks/create/standalone/string")


def test_an_agent_paired_with_another_server_fails_at_once_with_portainer_reason(
    fake: FakePortainer, agent: FakeAgent, run: Runner
) -> None:
    # GIVEN an agent that another Portainer reached first (it refuses this server's signature)
    agent.paired_elsewhere = True
    desired = desired_doc([agent_doc("drphoenix", agent.url, [stack_doc("qdrant")])])
    # WHEN reconciling, with a long agent wait allowed
    result = run(desired, "--json", "--agent-timeout", "600")
    # THEN the create was sent once: the answer is final, not "not ready yet"
    assert result.code == 1
    assert len(fake.requests("POST", "/api/endpoints")) == 1
    [env] = result.json()["environments"]
    # AND the report carries Portainer's status, message and details, and what to do
    assert env["status"] == "failed"
    assert (
        "POST /api/endpoints: HTTP 500: Unable to initiate communications with environment "
        "(agent already paired with another Portainer instance)" in env["error"]
    )
    assert "restart the agent container on drphoenix" in env["error"]
    assert "agent_secret: true" in env["error"]
    assert "waiting for Portainer to reach agent" not in result.err


def test_the_reconcile_needs_only_portainer_to_reach_the_agent(
    fake: FakePortainer, agent: FakeAgent, run: Runner
) -> None:
    # GIVEN an agent whose address answers only from Portainer's network: from this machine
    # nothing listens at 127.0.0.105:9001 (a firewall that admits only the server)
    fake.route_agent("127.0.0.105:9001", f"{agent.host}:{agent.port}")
    desired = desired_doc([agent_doc("drphoenix", "tcp://127.0.0.105:9001", [stack_doc("qdrant")])])
    # WHEN reconciling, then planning again
    result = run(desired)
    again = run(desired, "--dry-run")
    # THEN the environment and its stack exist; the agent was contacted by Portainer only
    assert result.code == 0, result.out + result.err
    assert [e["URL"] for e in fake.endpoints()] == ["tcp://127.0.0.105:9001"]
    assert len(fake.stacks()) == 1
    assert agent.pings == 1  # the server's check before saving the environment
    assert again.code == 0
    assert agent.pings == 1  # a dry run contacts no agent


def test_a_new_agent_is_registered_as_soon_as_portainer_reaches_it(
    fake: FakePortainer, api_key: str, tmp_path: Path
) -> None:
    # GIVEN an agent whose VM is still booting: nothing answers until Portainer has tried once
    booting = FakeAgent("127.0.0.106")
    fake.after_next("POST", "/api/endpoints", booting.start)
    runner = Runner(fake, tmp_path)
    runner.env["PORTAINER_API_KEY"] = api_key
    desired = desired_doc([agent_doc("sensors", booting.url, [stack_doc("mqtt")])])
    try:
        # WHEN reconciling (a generous deadline: the test never depends on the clock)
        result = runner(desired, "--agent-timeout", "600")
    finally:
        booting.stop()
    # THEN it said it waited, with Portainer's reason, and then registered the agent once
    assert result.code == 0, result.out + result.err
    assert "waiting for Portainer to reach agent sensors" in result.err
    assert "Unable to get environment type" in result.err
    statuses = [r.status for r in fake.requests("POST", "/api/endpoints")]
    assert statuses == [500, 200]
    assert len(fake.stacks()) == 1


def test_a_failing_write_reports_portainer_last_answer(
    fake: FakePortainer, agent: FakeAgent, run: Runner
) -> None:
    # GIVEN an environment, and a stack create that fails with a 500 every time
    fake.seed_endpoint("drphoenix", agent.url)
    fake.fail_next(*CREATE_STACK, count=10, status=500)
    desired = desired_doc([agent_doc("drphoenix", agent.url, [stack_doc("qdrant")])])
    # WHEN reconciling
    result = run(desired)
    # THEN after a re-read between attempts it gives up, quoting Portainer's last answer
    assert result.code == 1
    assert len(fake.requests(*CREATE_STACK)) == 3
    assert (
        "create failed 3 times; last answer: POST /api/stacks/create/standalone/string: "
        "HTTP 500: Fault injected by the fake (transient failure)" in result.out
    )
    assert "stack qdrant@drphoenix: sending the create again" in result.err


def test_a_delete_whose_answer_was_lost_is_reported_done(
    fake: FakePortainer, agent: FakeAgent, run: Runner
) -> None:
    # GIVEN an owned stack that left the config, and a DELETE whose response is lost
    desired = desired_doc(
        [agent_doc("drphoenix", agent.url, [stack_doc("keep"), stack_doc("old")])]
    )
    assert run(desired).code == 0
    desired["agents"][0]["stacks"] = [stack_doc("keep")]
    fake.drop_next("DELETE", "/api/stacks/*", after=True)
    # WHEN pruning
    result = run(desired, "--prune", "--json")
    # THEN the stack was re-read, found gone, and the delete counts as done
    assert result.code == 0, result.out + result.err
    stacks = {s["name"]: s for s in result.json()["environments"][0]["stacks"]}
    assert stacks["old"]["status"] == "ok"
    assert [s.name for s in fake.stacks()] == ["keep"]
    assert len(fake.requests("DELETE", "/api/stacks/*")) == 1


def test_no_administrator_is_reported_when_none_could_be_created(
    fake: FakePortainer, agent: FakeAgent, tmp_path: Path
) -> None:
    # GIVEN a fresh Portainer and a password shorter than it requires
    runner = Runner(fake, tmp_path)
    runner.env.update(PORTAINER_PASSWORD="short")
    desired = desired_doc([agent_doc("drphoenix", agent.url)])
    # WHEN planning and reconciling
    for args in (("--dry-run", "--json"), ("--json",)):
        result = runner(desired, *args)
        # THEN both fail, say why, and claim no administrator
        assert result.code == 1
        report = result.json()
        assert report["admin_init"] is False
        assert "RequiredPasswordLength" in report["error"]
    human = runner(desired)
    assert "administrator" not in human.out.replace("no administrator", "")
    assert fake.writes() == []
