"""Every request the client sends is an operation of Portainer's API documents, with their
parameters and body types; the Docker proxy's requests are the Docker Engine API's."""

from __future__ import annotations

import hashlib
from pathlib import Path

from tests.fakes.agent import FakeAgent
from tests.fakes.portainer import FakePortainer, RequestRecord
from tests.portainer.api_documents import operation_of, problems
from tests.portainer.conftest import Runner, agent_doc, desired_doc, stack_doc

PASSWORD = "correct-horse-battery"
COMPOSE = "services:\n  app:\n    image: nginx:1.27\n"


def markers(compose: str) -> dict[str, str]:
    """The env a Phoenix-owned stack carries (no variables of its own)."""
    sha = hashlib.sha256(compose.encode("utf-8")).hexdigest()
    return {"PHOENIX_OWNER": "phoenix", "PHOENIX_COMPOSE_SHA256": sha}


def test_every_request_matches_the_api_documents(
    fake: FakePortainer, agent: FakeAgent, agent2: FakeAgent, tmp_path: Path
) -> None:
    # GIVEN a Portainer without an administrator, logged into with a password, holding an
    # environment whose TLS flags drifted, a stopped stack and a stack no longer in the config
    run = Runner(fake, tmp_path)
    run.env.update(PORTAINER_USERNAME="admin", PORTAINER_PASSWORD=PASSWORD)
    drifted = fake.seed_endpoint("drphoenix", agent.url, skip_verify=False)["Id"]
    fake.seed_stack(drifted, "idle", COMPOSE, markers(COMPOSE), status=2)
    fake.seed_stack(drifted, "old", COMPOSE, markers(COMPOSE))
    fake.set_service("qdrant", "app", state="restarting", exit_code=1)  # its logs get read
    desired = desired_doc(
        [
            agent_doc("drphoenix", agent.url, [stack_doc("qdrant"), stack_doc("idle")]),
            agent_doc("other", agent2.url, [stack_doc("web")]),
        ]
    )
    # WHEN it is converged (with --prune and --verify-files), then a compose file changes
    first = run(desired, "--prune", "--verify-files", "--health-timeout", "0.3")
    desired["agents"][1]["stacks"][0] = stack_doc("web", COMPOSE.replace("1.27", "1.28"))
    second = run(desired, "--health-timeout", "0.3")
    assert (first.code, second.code) == (1, 1), first.out + second.out  # qdrant is not up
    # THEN every request was a documented operation, as documented
    assert [p for record in fake.log for p in problems(record)] == []
    # AND the check covered what the client does, Docker proxy included
    exercised = {op.operation for op in map(operation_of, fake.log) if op is not None}
    assert exercised >= {
        "systemStatus",
        "UserAdminCheck",
        "SettingsPublic",
        "UserAdminInit",
        "AuthenticateUser",
        "EndpointList",
        "EndpointCreate",
        "EndpointUpdate",
        "StackList",
        "StackFileInspect",
        "StackCreateDockerStandaloneString",
        "StackUpdate",
        "StackStart",
        "StackDelete",
        "ContainerList",
        "ContainerInspect",
        "ContainerLogs",
    }


def record(method: str, path: str, query: str = "", content_type: str = "") -> RequestRecord:
    return RequestRecord(method, path, query, content_type=content_type)


def test_fails_when_a_request_strays_from_the_documents() -> None:
    docker = "/api/endpoints/3/docker"
    # documented requests pass, a versioned Docker path included
    assert problems(record("GET", f"{docker}/v1.41/containers/abc/json")) == []
    assert problems(record("GET", "/api/stacks", "filters=%7B%22EndpointID%22%3A3%7D")) == []
    # an operation neither document has
    assert problems(record("GET", f"{docker}/containers/abc/top"))
    assert problems(record("POST", "/api/stacks"))
    # an undocumented or missing query parameter, a bad value
    assert problems(record("GET", "/api/endpoints", "nam=x"))
    assert problems(record("PUT", "/api/stacks/1", content_type="application/json"))
    assert problems(
        record("GET", f"{docker}/containers/json", "filters=%7B%22label%22%3A%22x%22%7D")
    )
    assert problems(record("GET", f"{docker}/containers/abc/logs", "stdout=yes&tail=last"))
    # the wrong body type
    assert problems(record("POST", "/api/endpoints", content_type="application/json"))
