"""The naive baseline: converge Portainer the way the original `portainer_api_setup.sh` did.

    python -m bench.naive_client --desired FILE --url URL --ca-bundle PEM [--deadline S]

(`PORTAINER_API_KEY` from the environment.) One request after the other, no concurrency:

- per agent: list every environment (`GET /api/endpoints`) and match by name; create it when
  missing (multipart `POST /api/endpoints`);
- per stack: list the stacks again (`GET /api/stacks`, filtered to the environment), then
  always write: `PUT /api/stacks/{id}` when a stack of that name exists, else create it
  (`POST /api/stacks/create/standalone/string`). It never compares, so a converged re-run
  rewrites (and redeploys) every stack.

It uses today's API paths and fields so it runs against the fake, an API key instead of a login,
and one kept-alive HTTPS connection (curl opened one per request: counting that too would only
make the baseline slower). The stacks it writes carry the same env (markers included) as
Phoenix's, so both clients leave the same state. It is a benchmark baseline, never used by
Phoenix. To stay bounded it stops after the environment during which `--deadline` passed
(whole environments, so its per-stack cost is not skewed), or after `--max-agents`.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import requests

from portainer import OWNER_ENV
from portainer.desired import COMPOSE_SHA_ENV


@dataclass
class NaiveReport:
    """What one naive run did (printed as JSON)."""

    requests: int = 0
    created: int = 0
    updated: int = 0
    errors: int = 0
    stacks_done: int = 0
    stacks_total: int = 0
    agents_done: int = 0
    agents_total: int = 0
    stopped_at_deadline: bool = False


def stack_env(
    stack: Mapping[str, Any], owner: str, environ: Mapping[str, str]
) -> list[dict[str, str]]:
    """The env list Phoenix would send for `stack` (plain, secrets, markers; sorted by name)."""
    pairs = [{"name": e["name"], "value": e["value"]} for e in stack["env"]]
    pairs += [{"name": s["name"], "value": environ[s["from_env"]]} for s in stack["secret_env"]]
    pairs.append({"name": OWNER_ENV, "value": owner})
    pairs.append({"name": COMPOSE_SHA_ENV, "value": str(stack["compose_sha256"]).lower()})
    return sorted(pairs, key=lambda pair: pair["name"])


class NaiveClient:
    """Sequential, list-per-item, always-write client (see the module docstring)."""

    def __init__(self, url: str, api_key: str, ca_bundle: str, timeout_s: float = 30.0) -> None:
        self.url = url.rstrip("/")
        self.session = requests.Session()
        # No proxies, and REQUESTS_CA_BUNDLE must not replace the fake's CA: loopback only.
        self.session.trust_env = False
        self.session.headers["X-API-Key"] = api_key
        self.session.verify = ca_bundle
        self.timeout_s = timeout_s
        self.report = NaiveReport()

    def _call(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        self.report.requests += 1
        return self.session.request(method, self.url + path, timeout=self.timeout_s, **kwargs)

    def wait_for_server(self, attempts: int = 30, pause_s: float = 1.0) -> None:
        """Poll `GET /api/system/status` until 200, a bounded number of times."""
        last = "no answer"
        for _ in range(attempts):
            try:
                status = self._call("GET", "/api/system/status").status_code
            except requests.exceptions.SSLError:
                raise  # a certificate problem does not go away by waiting
            except requests.RequestException as exc:
                last = type(exc).__name__
            else:
                if status == 200:
                    return
                last = f"HTTP {status}"
            time.sleep(pause_s)
        raise RuntimeError(f"Portainer did not answer: {last}")

    def ensure_endpoint(self, name: str, url: str) -> int | None:
        """The environment id of `name`, created when missing; None if that failed."""
        listed = self._call("GET", "/api/endpoints")
        for endpoint in listed.json():
            if endpoint["Name"] == name:
                return int(endpoint["Id"])
        form = {
            "Name": name,
            "EndpointCreationType": "2",
            "URL": url,
            "TLS": "true",
            "TLSSkipVerify": "true",
            "TLSSkipClientVerify": "true",
        }
        created = self._call(
            "POST", "/api/endpoints", files={k: (None, v) for k, v in form.items()}
        )
        if created.status_code != 200:
            self.report.errors += 1
            return None
        return int(created.json()["Id"])

    def deploy_stack(
        self, endpoint_id: int, name: str, compose: str, env: list[dict[str, str]]
    ) -> None:
        """List the environment's stacks, then PUT the stack if it exists, else create it."""
        filters = json.dumps({"EndpointID": endpoint_id})
        listed = self._call("GET", "/api/stacks", params={"filters": filters}).json()
        existing = next((s for s in listed if s["Name"] == name), None)
        query = {"endpointId": str(endpoint_id)}
        if existing is not None:
            body = {"StackFileContent": compose, "Env": env, "Prune": True}
            response = self._call("PUT", f"/api/stacks/{existing['Id']}", params=query, json=body)
            counter = "updated"
        else:
            body = {"Name": name, "StackFileContent": compose, "Env": env}
            response = self._call(
                "POST", "/api/stacks/create/standalone/string", params=query, json=body
            )
            counter = "created"
        if response.status_code == 200:
            setattr(self.report, counter, getattr(self.report, counter) + 1)
        else:
            self.report.errors += 1

    def converge(
        self,
        desired: Mapping[str, Any],
        environ: Mapping[str, str],
        deadline_s: float,
        max_agents: int | None = None,
    ) -> NaiveReport:
        """Converge the agents of `desired` in order and their stacks; stop before the next
        agent once `deadline_s` has passed or `max_agents` are done."""
        start = time.monotonic()
        agents = desired["agents"]
        self.report.agents_total = len(agents)
        self.report.stacks_total = sum(len(agent["stacks"]) for agent in agents)
        self.wait_for_server()
        for agent in agents:
            if max_agents is not None and self.report.agents_done >= max_agents:
                break
            if time.monotonic() - start > deadline_s:
                self.report.stopped_at_deadline = True
                break
            endpoint_id = self.ensure_endpoint(agent["name"], agent["url"])
            for stack in agent["stacks"]:
                if endpoint_id is None:
                    self.report.errors += 1
                else:
                    env = stack_env(stack, desired["owner"], environ)
                    self.deploy_stack(endpoint_id, stack["name"], stack["compose"], env)
                self.report.stacks_done += 1
            self.report.agents_done += 1
        return self.report


def main(argv: list[str] | None = None) -> int:
    """Run one naive converge; prints the report as JSON on stdout."""
    parser = argparse.ArgumentParser(prog="python -m bench.naive_client", description=__doc__)
    parser.add_argument("--desired", required=True, help="the desired state (bare object)")
    parser.add_argument("--url", required=True, help="Portainer base URL")
    parser.add_argument("--ca-bundle", required=True, help="CA that signs the server's cert")
    parser.add_argument(
        "--deadline", type=float, default=600.0, help="start no agent after S seconds"
    )
    parser.add_argument("--max-agents", type=int, default=None, help="stop after N agents")
    args = parser.parse_args(argv)
    desired = json.loads(Path(args.desired).read_text(encoding="utf-8"))
    client = NaiveClient(args.url, os.environ["PORTAINER_API_KEY"], args.ca_bundle)
    report = client.converge(desired, os.environ, args.deadline, args.max_agents)
    print(json.dumps(asdict(report)))
    return 0 if report.errors == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
