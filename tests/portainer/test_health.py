"""After the writes, the reconcile waits until the stacks are up (issue 17): containers read
through Portainer's Docker proxy, HTTP probes from this machine, logs of what is not up."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs

import pytest

from portainer.client import Credentials, PortainerClient
from portainer.desired import parse_desired_state
from portainer.reconcile import ReconcileOptions, Reconciler
from portainer.secrets import Redactor
from portainer.session import ClientSettings
from portainer.waits import WaitSettings
from tests.fakes.agent import FakeAgent
from tests.fakes.portainer import FakePortainer
from tests.fakes.server import free_port
from tests.gateway.stubs import HealthStub
from tests.portainer.conftest import Runner, agent_doc, desired_doc, probe_doc, stack_doc

QDRANT = (
    "services:\n"
    "  qdrant:\n"
    "    image: qdrant/qdrant:v1.15.5\n"
    "    restart: unless-stopped\n"
    "    environment:\n"
    "      QDRANT__SERVICE__API_KEY: ${QDRANT__SERVICE__API_KEY}\n"
)
SECRET = "qdrant-key-never-printed"
CONTAINERS = "/api/endpoints/*/docker/containers/json"
INSPECT = "/api/endpoints/*/docker/containers/*/json"


@pytest.fixture
def upstream() -> Iterator[HealthStub]:
    """Qdrant's health endpoint on the agent's guest (127.0.0.102)."""
    with HealthStub("127.0.0.102") as stub:
        yield stub


def qdrant(agent: FakeAgent, *probes: dict[str, Any]) -> dict[str, Any]:
    stack = stack_doc(
        "qdrant", QDRANT, secret_env={"QDRANT__SERVICE__API_KEY": "QDRANT_API_KEY"}, probes=probes
    )
    return desired_doc([agent_doc("drphoenix", agent.url, [stack])])


def direct(stub: HealthStub) -> dict[str, Any]:
    """A probe straight to the guest (no gateway route leads to its port)."""
    return probe_doc(f"http://{stub.host}:{stub.port}/healthz", port=stub.port)


def test_a_healthy_stack_passes(
    fake: FakePortainer, agent: FakeAgent, run: Runner, upstream: HealthStub
) -> None:
    # GIVEN a stack whose service runs and whose probe is answered
    desired = qdrant(agent, direct(upstream))
    # WHEN reconciling
    result = run(desired, "--json", QDRANT_API_KEY=SECRET)
    # THEN it is created and reported up, with the probe's answer
    assert result.code == 0, result.out + result.err
    (stack,) = result.json()["environments"][0]["stacks"]
    assert stack["status"] == "ok"
    assert stack["health"]["healthy"] is True
    assert stack["health"]["services"][0]["containers"] == [
        {"name": "qdrant-qdrant-1", "state": "running", "health": None}
    ]
    assert stack["health"]["probes"] == [
        {
            "url": f"http://127.0.0.102:{upstream.port}/healthz",
            "route": None,
            "expected": 200,
            "status": 200,
            "ok": True,
            "error": None,
        }
    ]
    assert upstream.requests == [("/healthz", f"127.0.0.102:{upstream.port}")]
    # AND Portainer's Docker proxy was asked once for the environment's compose containers,
    # and a container the list shows running was not inspected
    (listed,) = fake.requests("GET", CONTAINERS)
    assert parse_qs(listed.query) == {
        "all": ["1"],
        "filters": ['{"label":["com.docker.compose.project"]}'],
    }
    assert fake.requests("GET", INSPECT) == []


def test_fails_when_a_service_crash_loops(
    fake: FakePortainer, agent: FakeAgent, run: Runner, upstream: HealthStub
) -> None:
    # GIVEN a service that keeps crashing, whose log quotes the stack's secret
    logs = [f"log line {n:02d}" for n in range(1, 25)] + [
        ("stderr", f"panic: invalid api key {SECRET}")
    ]
    fake.set_service(
        "qdrant", "qdrant", state="restarting", exit_code=101, restart_count=4, logs=logs
    )
    # WHEN reconciling (a short wait: restarting never becomes running here)
    result = run(qdrant(agent, direct(upstream)), "--health-timeout", "0.3", QDRANT_API_KEY=SECRET)
    # THEN the run fails naming the service and its state, then shows its last 20 log lines
    assert result.code == 1
    assert (
        "x stack qdrant: created, unhealthy - service qdrant: restarting "
        "(restarted 4 times, last exit code 101)"
    ) in result.out
    assert "last 20 log lines of qdrant-qdrant-1 (qdrant):" in result.out
    assert "| log line 06" in result.out
    assert "log line 05" not in result.out  # older than the last 20
    assert "| panic: invalid api key ***" in result.out
    assert SECRET not in result.out + result.err
    assert "1 unhealthy" in result.out.splitlines()[-1]
    # AND no probe was sent: the service is not up
    assert upstream.requests == []
    # AND the stack was written once, never again
    assert [r.method for r in fake.writes()] == ["POST", "POST"]  # environment, stack


def test_fails_at_once_when_a_container_exited(
    fake: FakePortainer, agent: FakeAgent, run: Runner
) -> None:
    # GIVEN a service that exited, which no wait changes (it is set to restart unless stopped)
    fake.set_service("qdrant", "qdrant", state="exited", exit_code=1)
    # WHEN reconciling with a long health wait
    result = run(qdrant(agent), "--health-timeout", "30", QDRANT_API_KEY=SECRET)
    # THEN it fails after one look, not at the deadline
    assert result.code == 1
    assert "service qdrant: exited with code 1" in result.out
    assert len(fake.requests("GET", CONTAINERS)) == 1


def test_a_finished_job_is_up(fake: FakePortainer, agent: FakeAgent, run: Runner) -> None:
    # GIVEN a one-shot service (restart: no) that exited with code 0 next to a running one
    compose = (
        "services:\n  app:\n    image: nginx:1.27\n"
        "  migrate:\n    image: busybox:1.36\n    restart: 'no'\n"
    )
    fake.set_service("web", "migrate", state="exited", exit_code=0)
    desired = desired_doc([agent_doc("drphoenix", agent.url, [stack_doc("web", compose)])])
    # WHEN reconciling THEN the stack is up
    result = run(desired)
    assert result.code == 0, result.out
    assert "+ stack web: created, healthy" in result.out


def test_waits_until_the_service_is_up(
    fake: FakePortainer, agent: FakeAgent, run: Runner, upstream: HealthStub
) -> None:
    # GIVEN a service restarting when the reconcile first looks, running from the next look on
    fake.set_service("qdrant", "qdrant", state="restarting", restart_count=1)
    fake.after_next("GET", INSPECT, lambda: fake.set_service("qdrant", "qdrant"))
    # WHEN reconciling
    result = run(qdrant(agent, direct(upstream)), QDRANT_API_KEY=SECRET)
    # THEN it waited (two looks), then found the service up and the probe answered
    assert result.code == 0, result.out + result.err
    assert len(fake.requests("GET", CONTAINERS)) == 2
    assert "waiting for the stacks of drphoenix to be up" in result.err
    assert "+ stack qdrant: created, healthy" in result.out
    assert len(upstream.requests) == 1


def test_fails_when_the_health_check_says_unhealthy(
    fake: FakePortainer, agent: FakeAgent, run: Runner
) -> None:
    # GIVEN a running container whose own health check keeps failing
    fake.set_service(
        "qdrant", "qdrant", health="unhealthy", health_output="curl: (7) Failed to connect\n"
    )
    # WHEN reconciling THEN the failure quotes the check's last output
    result = run(qdrant(agent), "--health-timeout", "0.3", QDRANT_API_KEY=SECRET)
    assert result.code == 1
    assert (
        "service qdrant: running but unhealthy (health check exit code 1: "
        "curl: (7) Failed to connect)"
    ) in result.out


def test_fails_when_a_probe_gets_another_status_or_no_answer(
    fake: FakePortainer, agent: FakeAgent, run: Runner, upstream: HealthStub
) -> None:
    # GIVEN a running service whose health endpoint answers 503, and a second probe to a port
    # where nothing listens
    upstream.status = 503
    gone = free_port("127.0.0.102")
    refused = probe_doc(f"http://127.0.0.102:{gone}/healthz", port=gone)
    # WHEN reconciling
    result = run(
        qdrant(agent, direct(upstream), refused),
        "--health-timeout",
        "0.3",
        QDRANT_API_KEY=SECRET,
    )
    # THEN both probes are named, with what came back
    assert result.code == 1
    assert (
        f"probe http://127.0.0.102:{upstream.port}/healthz (straight to the guest): "
        "HTTP 503, expected 200"
    ) in result.out
    assert (
        f"probe http://127.0.0.102:{gone}/healthz (straight to the guest): connection refused"
    ) in result.out


def test_only_the_broken_stack_fails(fake: FakePortainer, agent: FakeAgent, run: Runner) -> None:
    # GIVEN two stacks on one agent, one of them crash-looping
    fake.set_service("bad", "app", state="restarting", exit_code=1)
    desired = desired_doc(
        [agent_doc("drphoenix", agent.url, [stack_doc("bad"), stack_doc("good")])]
    )
    # WHEN reconciling
    result = run(desired, "--json", "--health-timeout", "0.3")
    # THEN each is judged by its own containers
    assert result.code == 1
    stacks = {s["name"]: s for s in result.json()["environments"][0]["stacks"]}
    assert stacks["good"]["status"] == "ok"
    assert stacks["bad"]["status"] == "unhealthy"
    assert stacks["bad"]["health"]["services"][0]["logs"] == {"bad-app-1": ["app started (fake)"]}
    assert result.json()["summary"] == {"create": 2, "unhealthy": 1}


def test_converged_rerun_reads_health_and_writes_nothing(
    fake: FakePortainer, agent: FakeAgent, run: Runner, upstream: HealthStub
) -> None:
    # GIVEN a converged, healthy stack
    desired = qdrant(agent, direct(upstream))
    assert run(desired, QDRANT_API_KEY=SECRET).code == 0
    fake.clear_log()
    # WHEN reconciling again
    result = run(desired, "--detailed-exitcode", QDRANT_API_KEY=SECRET)
    # THEN its health is checked again, by reads only
    assert result.code == 0, result.out
    assert "= stack qdrant: unchanged, healthy" in result.out
    assert [r for r in fake.log if r.method != "GET"] == []
    assert len(fake.requests("GET", CONTAINERS)) == 1
    assert len(upstream.requests) == 2


def test_an_unchanged_stack_that_stopped_running_fails_the_rerun(
    fake: FakePortainer, agent: FakeAgent, run: Runner
) -> None:
    # GIVEN a converged stack whose service crashed since
    desired = qdrant(agent)
    assert run(desired, QDRANT_API_KEY=SECRET).code == 0
    fake.set_service("qdrant", "qdrant", state="restarting", exit_code=137, restart_count=9)
    fake.clear_log()
    # WHEN reconciling again THEN nothing is written, and the run says the stack is not up
    result = run(desired, "--health-timeout", "0.3", QDRANT_API_KEY=SECRET)
    assert result.code == 1
    assert "x stack qdrant: unchanged, unhealthy - service qdrant: restarting" in result.out
    assert fake.writes() == []


def test_no_wait_healthy_skips_the_check(
    fake: FakePortainer, agent: FakeAgent, run: Runner
) -> None:
    fake.set_service("qdrant", "qdrant", state="restarting")
    result = run(qdrant(agent), "--no-wait-healthy", QDRANT_API_KEY=SECRET)
    assert result.code == 0, result.out
    assert "+ stack qdrant: created -" not in result.out
    assert "+ stack qdrant: created" in result.out
    assert fake.requests("GET", "/api/endpoints/*/docker/*") == []


def test_dry_run_reads_no_container(fake: FakePortainer, agent: FakeAgent, run: Runner) -> None:
    desired = qdrant(agent)
    assert run(desired, QDRANT_API_KEY=SECRET).code == 0
    fake.clear_log()
    assert run(desired, "--dry-run", QDRANT_API_KEY=SECRET).code == 0
    assert fake.requests("GET", "/api/endpoints/*/docker/*") == []


def test_a_failed_deployment_is_not_health_checked(
    fake: FakePortainer, agent: FakeAgent, run: Runner
) -> None:
    fake.fail_deploy("qdrant")
    result = run(qdrant(agent), QDRANT_API_KEY=SECRET)
    assert result.code == 1
    assert "deployment failed" in result.out
    assert fake.requests("GET", CONTAINERS) == []


def test_logs_of_a_container_with_a_terminal_are_read_raw(
    fake: FakePortainer, agent: FakeAgent, run: Runner
) -> None:
    # GIVEN a crashing service with a TTY, whose output holds terminal escapes
    fake.set_service(
        "qdrant", "qdrant", state="exited", exit_code=2, tty=True, logs=["\x1b[31mfatal\x1b[0m"]
    )
    # WHEN reconciling THEN its log line is shown, without the escape sequences
    result = run(qdrant(agent), QDRANT_API_KEY=SECRET)
    assert result.code == 1
    assert "        | fatal\n" in result.out
    assert "\x1b" not in result.out


def test_logs_are_masked_when_read_not_only_when_printed(
    fake: FakePortainer, agent: FakeAgent, api_key: str
) -> None:
    # GIVEN a crashing service whose log quotes the stack's secret, and the run's redactor
    # knowing that secret (as the CLI's does)
    fake.set_service("qdrant", "qdrant", state="exited", exit_code=1, logs=[f"key={SECRET}"])
    redactor = Redactor()
    redactor.add(SECRET)
    client = PortainerClient(
        fake.url, Credentials(api_key=api_key), ClientSettings(verify=fake.ca_bundle), redactor
    )
    desired = parse_desired_state(qdrant(agent))
    options = ReconcileOptions(waits=WaitSettings(health_timeout_s=5, poll_interval_s=0.02))
    # WHEN reconciling without the CLI (nothing printed, nothing filtered on the way out)
    try:
        plan = Reconciler(client, desired, options, {"QDRANT_API_KEY": SECRET}).run()
    finally:
        client.close()
    # THEN the log line kept in the plan is already masked
    health = plan.environments[0].stacks[0].health
    assert health is not None
    assert health.services[0].logs == {"qdrant-qdrant-1": ["key=***"]}


def test_a_converged_environment_is_checked_with_one_container_list(
    fake: FakePortainer, agent: FakeAgent, run: Runner
) -> None:
    # GIVEN an environment with ten converged stacks, all running
    stacks = [stack_doc(f"web{index}") for index in range(10)]
    desired = desired_doc([agent_doc("drphoenix", agent.url, stacks)])
    assert run(desired).code == 0
    fake.clear_log()
    # WHEN reconciling again
    result = run(desired)
    # THEN every stack is reported healthy from one list of the environment's containers:
    # no request per stack, no inspection of containers the list shows running
    assert result.code == 0, result.out + result.err
    assert result.out.count(": unchanged, healthy") == 10
    assert len(fake.requests("GET", CONTAINERS)) == 1
    assert fake.requests("GET", INSPECT) == []
    assert fake.writes() == []
