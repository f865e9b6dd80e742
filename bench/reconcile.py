"""Reconcile benchmark: `python -m portainer reconcile` and the naive baseline against the fake.

Each client run is a cold process (`measure.run_cold`) against a fake Portainer that runs in a
process of its own (`bench.fake_server`) with an injected latency per request. Request and
write counts come from the fake's log, cleared before every run.

Runs, in order, on a fresh fake for each client:

1. Phoenix cold converge (no environments, no stacks), then `reruns` converged re-runs;
2. the naive client cold, then once more on its own converged state, then Phoenix once on the
   naive client's result: zero writes there shows both clients leave the same state.
"""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

from bench.measure import RunResult, run_cold

SECRET_ENV = "BENCH_APP_TOKEN"
#: The fake deploys in 50 ms; at the CLI's 2 s default poll interval the cold converge would
#: mostly measure sleeping after the last write of each environment.
POLL_INTERVAL_S = "0.1"
#: The last line of the CLI's report: "Apply complete: 0 created, ..., 2020 unchanged, ...".
_SUMMARY = re.compile(r"^Apply (complete|finished): (.*)\.$")


@dataclass(frozen=True)
class ClientRun:
    """One measured client run."""

    client: str
    phase: str
    wall_s: float
    requests: int
    writes: int
    by_route: dict[str, int]
    ok: bool
    detail: str = ""
    max_rss_kib: int = 0
    share: float = 1.0
    """Part of the desired agents the run covered (the naive client stops at a deadline)."""

    @property
    def projected_s(self) -> float:
        """Wall time scaled to every agent (the naive client's cost per agent is constant)."""
        return self.wall_s / self.share if self.share else self.wall_s

    @property
    def projected_requests(self) -> int:
        """Requests scaled to every agent."""
        return round(self.requests / self.share) if self.share else self.requests


@dataclass
class ReconcileResults:
    """Everything the reconcile part measured."""

    agents: int
    stacks_per_agent: int
    latency_s: float
    runs: list[ClientRun] = field(default_factory=list)

    def find(self, client: str, phase: str) -> list[ClientRun]:
        """Runs of `client` in `phase`, in order."""
        return [run for run in self.runs if run.client == client and run.phase == phase]


def compose_for(agent: str, index: int) -> str:
    """A small compose file, different for every stack."""
    return (
        "services:\n  app:\n    image: nginx:1.27-alpine\n    restart: unless-stopped\n"
        "    environment:\n      APP_ID: ${APP_ID}\n      APP_TOKEN: ${APP_TOKEN}\n"
        f'    labels:\n      phoenix.bench: "{agent}/{index:03d}"\n'
    )


def desired_state(agents: Sequence[Mapping[str, str]], stacks_per_agent: int) -> dict[str, Any]:
    """The `portainer` output (docs/outputs.md) for `agents`, each with `stacks_per_agent`."""
    docs = []
    for number, agent in enumerate(agents):
        stacks = []
        for index in range(stacks_per_agent):
            compose = compose_for(agent["name"], index)
            stacks.append(
                {
                    "name": f"app-{index:03d}",
                    "compose": compose,
                    "compose_sha256": hashlib.sha256(compose.encode("utf-8")).hexdigest(),
                    "env": [
                        {"name": "APP_ID", "value": f"{agent['name']}-{index:03d}"},
                        {"name": "LOG_LEVEL", "value": "info"},
                    ],
                    "secret_env": [{"name": "APP_TOKEN", "from_env": SECRET_ENV}],
                }
            )
        docs.append(
            {
                "name": agent["name"],
                "guest": agent["name"],
                "vmid": 20_000 + number,
                "url": agent["url"],
                "stacks": stacks,
            }
        )
    return {
        "schema_version": 1,
        "owner": "phoenix",
        "server": {
            "url": "https://192.0.2.1:9443",  # never contacted: PORTAINER_URL points at the fake
            "guest": "portainer",
            "version": "2.44.0",
            "admin_username": "admin",
        },
        "agents": sorted(docs, key=lambda doc: str(doc["name"])),
    }


class FakeProcess:
    """`bench.fake_server` as a child process (a context manager)."""

    def __init__(
        self, root: Path, env: Mapping[str, str], agents: int, latency_s: float, timeout_s: float
    ) -> None:
        self._process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "bench.fake_server",
                "--agents",
                str(agents),
                "--latency",
                str(latency_s),
            ],
            cwd=root,
            env=dict(env),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        # Every answer must come within timeout_s, or the fake is killed (never a hang).
        self._timeout_s = timeout_s
        self.hello: dict[str, Any] = self._read()

    def _read(self) -> dict[str, Any]:
        assert self._process.stdout is not None
        timer = threading.Timer(self._timeout_s, self._process.kill)
        timer.start()
        try:
            line = self._process.stdout.readline()
        finally:
            timer.cancel()
        if not line:
            raise RuntimeError("the fake Portainer process stopped unexpectedly")
        data: dict[str, Any] = json.loads(line)
        return data

    def command(self, text: str) -> dict[str, Any]:
        """Send one command line, return the answer."""
        assert self._process.stdin is not None
        self._process.stdin.write(text + "\n")
        self._process.stdin.flush()
        return self._read()

    def close(self) -> None:
        """Stop the fake (politely, then by force)."""
        if self._process.poll() is None:
            try:
                assert self._process.stdin is not None
                self._process.stdin.write("quit\n")
                self._process.stdin.close()
                self._process.wait(timeout=15)
            except (OSError, subprocess.TimeoutExpired):
                self._process.kill()
                self._process.wait()
        if self._process.stdout is not None:
            self._process.stdout.close()

    def __enter__(self) -> FakeProcess:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def _client_env(base: Mapping[str, str], fake: FakeProcess) -> dict[str, str]:
    env = dict(base)
    env.update(
        PORTAINER_URL=fake.hello["url"],
        PORTAINER_API_KEY=fake.hello["api_key"],
        PORTAINER_CA_BUNDLE=fake.hello["ca_bundle"],
    )
    env[SECRET_ENV] = "bench-token-value"
    env.pop("PORTAINER_PASSWORD", None)
    return env


Outcome = Callable[[RunResult], tuple[bool, str, float]]


def _measured(
    fake: FakeProcess,
    client: str,
    phase: str,
    command: list[str],
    *,
    root: Path,
    env: Mapping[str, str],
    timeout_s: float,
    outcome: Outcome,
) -> ClientRun:
    fake.command("clear")
    result: RunResult = run_cold(command, env=env, cwd=root, timeout_s=timeout_s, check=False)
    stats = fake.command("stats")
    ok, detail, share = outcome(result)
    return ClientRun(
        client=client,
        phase=phase,
        wall_s=result.wall_s,
        requests=int(stats["requests"]),
        writes=int(stats["writes"]),
        by_route=dict(stats["by_route"]),
        ok=ok,
        detail=detail,
        max_rss_kib=result.max_rss_kib,
        share=share,
    )


def _phoenix_outcome(result: RunResult) -> tuple[bool, str, float]:
    lines = result.stdout.strip().splitlines()
    match = _SUMMARY.match(lines[-1]) if lines else None
    if match is None:
        tail = result.stderr.strip().splitlines()[-3:]
        return False, f"exit {result.returncode}: {' / '.join(tail)}", 1.0
    counts = [part for part in match[2].split(", ") if not part.startswith("0 ")]
    return match[1] == "complete" and result.returncode == 0, ", ".join(counts), 1.0


def _naive_report(result: RunResult) -> dict[str, Any] | None:
    try:
        report: dict[str, Any] = json.loads(result.stdout)
    except ValueError:
        return None
    return report


def _naive_outcome(result: RunResult) -> tuple[bool, str, float]:
    report = _naive_report(result)
    if report is None:
        return False, f"exit {result.returncode}: {result.stderr.strip()[-200:]}", 1.0
    detail = (
        f"created {report['created']}, updated {report['updated']}, errors {report['errors']}"
        f"; {report['agents_done']} of {report['agents_total']} agents "
        f"({report['stacks_done']:,} stacks)"
    )
    share = report["agents_done"] / report["agents_total"] if report["agents_total"] else 1.0
    return result.returncode == 0 and report["agents_done"] > 0, detail, share


def run_reconcile(
    root: Path,
    env: Mapping[str, str],
    workdir: Path,
    *,
    agents: int,
    stacks_per_agent: int,
    latency_s: float,
    reruns: int,
    naive: bool,
    naive_deadline_s: float,
    log: Callable[[str], None],
) -> ReconcileResults:
    """Measure both clients (see the module docstring)."""
    results = ReconcileResults(agents, stacks_per_agent, latency_s)
    timeout = 600.0
    python = sys.executable

    def phoenix_command(outputs: Path) -> list[str]:
        # The post-apply step's command (plain report, not --json), as a user runs it.
        command = [python, "-m", "portainer", "reconcile", "--outputs-file", str(outputs)]
        return [*command, "--poll-interval", POLL_INTERVAL_S]

    def measure(
        fake: FakeProcess,
        client: str,
        phase: str,
        command: list[str],
        timeout_s: float,
        outcome: Outcome,
    ) -> ClientRun:
        run = _measured(
            fake,
            client,
            phase,
            command,
            root=root,
            env=_client_env(env, fake),
            timeout_s=timeout_s,
            outcome=outcome,
        )
        log(
            f"  {client} {phase}: {run.wall_s:.2f} s, {run.requests} requests, "
            f"{run.writes} writes ({run.detail})"
        )
        results.runs.append(run)
        return run

    with FakeProcess(root, env, agents, latency_s, timeout) as fake:
        desired = desired_state(fake.hello["agents"], stacks_per_agent)
        outputs = workdir / "phoenix-outputs.json"
        outputs.write_text(json.dumps(desired), encoding="utf-8")
        for phase in ["cold"] + ["re-run"] * reruns:
            measure(fake, "phoenix", phase, phoenix_command(outputs), timeout, _phoenix_outcome)

    if not naive:
        return results
    with FakeProcess(root, env, agents, latency_s, timeout) as fake:
        desired = desired_state(fake.hello["agents"], stacks_per_agent)
        desired_file = workdir / "naive-desired.json"
        desired_file.write_text(json.dumps(desired), encoding="utf-8")
        naive_command = [python, "-m", "bench.naive_client", "--desired", str(desired_file)]
        naive_command += ["--url", fake.hello["url"], "--ca-bundle", fake.hello["ca_bundle"]]
        naive_timeout = naive_deadline_s * 3 + 120
        first = [*naive_command, "--deadline", str(naive_deadline_s)]
        cold = measure(fake, "naive", "cold", first, naive_timeout, _naive_outcome)
        # The re-run and the check cover exactly the agents the cold run converged; the re-run's
        # deadline is only a safety net (the agent count bounds it).
        done = round(cold.share * agents)
        again = [*naive_command, "--max-agents", str(done), "--deadline", str(naive_deadline_s * 2)]
        measure(fake, "naive", "re-run", again, naive_timeout, _naive_outcome)
        outputs = workdir / "naive-outputs.json"
        subset = {**desired, "agents": desired["agents"][:done]}
        outputs.write_text(json.dumps(subset), encoding="utf-8")
        measure(fake, "phoenix", "after naive", phoenix_command(outputs), timeout, _phoenix_outcome)
    return results
