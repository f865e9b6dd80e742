"""A stack's probe goes through the gateway route, as a user reaches the service: a real Nginx
running the site as rendered, in front of a stub upstream, on loopback."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from gateway import GatewaySite, Route, Upstream, render_site
from tests.fakes.agent import FakeAgent
from tests.fakes.portainer import FakePortainer
from tests.gateway.nginx import Nginx, RunningNginx, free_port
from tests.gateway.stubs import HealthStub
from tests.portainer.conftest import Runner, agent_doc, desired_doc, probe_doc, stack_doc

pytestmark = pytest.mark.e2e


@dataclass
class Gateway:
    port: int
    upstream: HealthStub


@pytest.fixture
def gateway(nginx: Nginx, tmp_path: Path) -> Iterator[Gateway]:
    """Nginx on 127.0.0.1 with the /qdrant/ route to the stack's port on the agent's guest."""
    with HealthStub("127.0.0.102") as upstream:
        site = GatewaySite(
            listen_address="127.0.0.1",
            listen_port=free_port(),
            routes=[
                Route(
                    path="/qdrant/",
                    upstream=Upstream("127.0.0.102", upstream.port),
                    name=f"drphoenix:{upstream.port}",
                )
            ],
        )
        with RunningNginx(nginx, render_site(site), tmp_path / "nginx", site.listen_port):
            yield Gateway(site.listen_port, upstream)


def test_route_probe_passes_and_fails_as_the_upstream_comes_and_goes(
    fake: FakePortainer, agent: FakeAgent, run: Runner, gateway: Gateway
) -> None:
    upstream = gateway.upstream
    url = f"http://127.0.0.1:{gateway.port}/qdrant/healthz"
    probe = probe_doc(url, port=upstream.port, route="/qdrant/")
    desired = desired_doc(
        [agent_doc("drphoenix", agent.url, [stack_doc("qdrant", probes=[probe])])]
    )
    # WHEN the stack is deployed with its upstream answering
    up = run(desired, "--json")
    # THEN the probe went through Nginx (the Host a user sends, the route's prefix stripped)
    assert up.code == 0, up.out + up.err
    assert upstream.requests == [("/healthz", f"127.0.0.1:{gateway.port}")]
    (result,) = up.json()["environments"][0]["stacks"][0]["health"]["probes"]
    assert (result["url"], result["route"], result["status"]) == (url, "/qdrant/", 200)

    # WHEN the upstream goes away and the reconcile runs again
    upstream.stop()
    fake.clear_log()
    down = run(desired, "--health-timeout", "0.3")
    # THEN the run fails on the route: the gateway answers 502 for its dead upstream
    assert down.code == 1
    assert (
        f"x stack qdrant: unchanged, unhealthy - probe {url} (gateway route /qdrant/): "
        "HTTP 502, expected 200"
    ) in down.out
    assert fake.writes() == []

    # WHEN it comes back
    upstream.start()
    again = run(desired)
    # THEN the route passes again
    assert again.code == 0, again.out
    assert "= stack qdrant: unchanged, healthy" in again.out
