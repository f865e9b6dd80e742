"""Smoke tests of the benchmark's own code at tiny sizes (the full `make bench` is not a test)."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.__main__ import build_parser
from bench.fake_server import agent_host, route_of
from bench.fleetgen import build_documents, generate
from bench.machine import Machine
from bench.measure import CommandFailedError, RunResult, run_cold, tree_rss_kib
from bench.naive_client import NaiveClient
from bench.post_apply import ENV_STRING_LIMIT, run_post_apply
from bench.reconcile import ClientRun, ReconcileResults, desired_state
from bench.report import post_apply_section, render
from bench.stats import linear_fit
from bench.synth import CaseResult, SynthResults
from portainer.desired import parse_desired_state
from tests.fakes.agent import FakeAgent
from tests.fakes.portainer import FakePortainer


def test_generated_fleet_of_10_validates_with_the_apps_loader(tmp_path: Path) -> None:
    shape = generate(tmp_path / "fleet", 10)
    assert (shape.guests, shape.vms, shape.containers) == (10, 8, 2)
    assert shape.agents >= 1
    assert shape.stacks >= shape.agents
    assert (tmp_path / "fleet" / "stacks" / "qdrant" / "compose.yaml").is_file()


def test_generated_fleets_have_unique_names_addresses_and_macs() -> None:
    documents, _ = build_documents(1000)
    guests = documents["guests.yaml"]
    nics = [g["network"] for g in [*guests["vms"].values(), *guests["containers"].values()]]
    names = [g["name"] for g in [*guests["vms"].values(), *guests["containers"].values()]]
    assert len(set(names)) == len(names) == 1000
    assert len({nic["ip"] for nic in nics}) == 1000
    assert len({nic["mac"] for nic in nics}) == 1000


def test_generator_refuses_fleets_too_small_for_its_roles() -> None:
    with pytest.raises(ValueError, match="at least 3"):
        build_documents(2)


def test_linear_fit_of_an_exact_line() -> None:
    fit = linear_fit([10, 100, 1000], [1.1, 2.0, 11.0])
    assert fit.slope == pytest.approx(0.01)
    assert fit.intercept == pytest.approx(1.0)
    assert fit.r_squared == pytest.approx(1.0)


def test_run_cold_measures_time_and_memory(tmp_path: Path) -> None:
    result = run_cold(
        [sys.executable, "-c", "x = bytearray(30_000_000); print('ok')"],
        env={},
        cwd=tmp_path,
        timeout_s=30,
    )
    assert result.stdout.strip() == "ok"
    assert result.wall_s > 0
    assert result.max_rss_kib > 25_000  # the 30 MB buffer is resident


def test_run_cold_reports_failures_and_kills_hung_commands(tmp_path: Path) -> None:
    with pytest.raises(CommandFailedError, match="exited 3"):
        run_cold([sys.executable, "-c", "raise SystemExit(3)"], env={}, cwd=tmp_path, timeout_s=30)
    hung = run_cold(
        [sys.executable, "-c", "import time; time.sleep(60)"],
        env={},
        cwd=tmp_path,
        timeout_s=0.5,
        check=False,
    )
    assert hung.returncode < 0
    assert hung.wall_s < 10


def test_tree_rss_of_this_process_is_positive() -> None:
    assert tree_rss_kib(os.getpid()) > 0


def test_fake_server_helpers() -> None:
    assert route_of("PUT", "/api/stacks/17") == "PUT /api/stacks/{id}"
    assert route_of("GET", "/api/stacks") == "GET /api/stacks"
    assert agent_host(0) == "127.0.10.1"
    with pytest.raises(ValueError, match="250"):
        agent_host(250)


@pytest.fixture
def fake() -> Iterator[FakePortainer]:
    with FakePortainer(deploy_seconds=0.0) as server:
        yield server


def test_desired_state_is_accepted_by_the_portainer_client() -> None:
    agents = [{"name": "agent-01", "url": "tcp://127.0.10.1:9001"}]
    state = parse_desired_state(desired_state(agents, 3))
    assert [s.name for s in state.agents[0].stacks] == ["app-000", "app-001", "app-002"]


def test_naive_client_lists_per_stack_and_always_writes(fake: FakePortainer) -> None:
    with FakeAgent("127.0.10.200") as agent:
        desired = desired_state([{"name": "agent-01", "url": agent.url}], 2)
        environ = {"BENCH_APP_TOKEN": "token"}
        cold = NaiveClient(fake.url, fake.add_api_key(), fake.ca_bundle).converge(
            desired, environ, deadline_s=30
        )
        again = NaiveClient(fake.url, fake.add_api_key(), fake.ca_bundle).converge(
            desired, environ, deadline_s=30
        )
    # status, list + create environment, then per stack: list + write
    assert (cold.requests, cold.created, cold.errors) == (7, 2, 0)
    assert (again.requests, again.updated, again.errors) == (6, 2, 0)
    assert len(fake.requests("PUT", "/api/stacks/*")) == 2


def test_naive_client_stops_after_max_agents(fake: FakePortainer) -> None:
    with FakeAgent("127.0.10.201") as one, FakeAgent("127.0.10.202") as two:
        agents = [{"name": "agent-01", "url": one.url}, {"name": "agent-02", "url": two.url}]
        desired = desired_state(agents, 1)
        report = NaiveClient(fake.url, fake.add_api_key(), fake.ca_bundle).converge(
            desired, {"BENCH_APP_TOKEN": "token"}, deadline_s=30, max_agents=1
        )
    assert (report.agents_done, report.agents_total, report.stacks_done) == (1, 2, 1)
    assert [e["Name"] for e in fake.endpoints()] == ["agent-01"]


def _run(wall: float) -> RunResult:
    return RunResult(wall, 90_000, 250_000, 0, "", "")


def test_report_renders_targets_from_results() -> None:
    cases = [
        CaseResult("reference", 3, {"a": 10}, [_run(1.2)], [_run(1.0)]),
        CaseResult("fleet-10", 10, {"a": 30}, [_run(1.3)], [_run(1.1)]),
        CaseResult("fleet-1000", 1000, {"a": 3000}, [_run(9.3)], [_run(8.0)]),
    ]
    rec = ReconcileResults(20, 100, 0.02)
    rec.runs = [
        ClientRun("phoenix", "cold", 12.0, 2000, 2000, {"GET /api/stacks": 20}, True),
        ClientRun("phoenix", "re-run", 0.6, 41, 0, {"GET /api/stacks": 20}, True),
        ClientRun("naive", "cold", 120.0, 4000, 2000, {}, True),
        ClientRun("naive", "re-run", 118.0, 4000, 2000, {}, True),
    ]
    machine = Machine(
        "CPU", 2, 24.0, "Linux", "3.11", "v22", {"cdktf": "0.21.0"}, "abc", "now", "0"
    )
    text = render(machine, SynthResults(cases, 1, 1), rec, 300.0, "0", "python -m bench")
    assert "| Reference fleet (3 guests) cold synth ≤ 1.3x bare cdktf | 1.20x" in text
    assert "8.1 ms/guest up to 1,000 guests" in text
    assert "not met" not in text


def test_post_apply_handoff_of_a_state_over_the_old_limit(tmp_path: Path) -> None:
    from tests.conftest import terraform_or_skip

    # GIVEN a desired state whose base64gzip is over what one environment variable may hold
    desired = desired_state(
        [{"name": f"agent-{i:02d}", "url": f"tcp://127.0.10.{i + 1}:9001"} for i in range(20)],
        100,
    )
    # WHEN the bench hands it over with real Terraform, once
    results = run_post_apply(
        {**os.environ},
        tmp_path,
        terraform=terraform_or_skip(),
        states={"20 x 100": desired},
        repeats=1,
        log=lambda line: None,
    )
    # THEN the sink received it intact (it fails the apply otherwise) in several parts
    (case,) = results.cases
    assert case.base64gzip_bytes > ENV_STRING_LIMIT
    assert case.parts > 1
    assert case.stacks == 2000
    # AND the report shows it
    section = "\n".join(post_apply_section(results))
    assert "| `20 x 100` | 20 / 2,000 |" in section
    assert "(over the limit)" in section


def test_cli_help_and_argument_checks(capsys: pytest.CaptureFixture[str]) -> None:
    parser = build_parser()
    with pytest.raises(SystemExit):
        parser.parse_args(["--help"])
    assert "--quick" in capsys.readouterr().out
    assert parser.parse_args(["--sizes", "100,10"]).sizes == [10, 100]
    with pytest.raises(SystemExit):
        parser.parse_args(["--parts", "deploy"])
