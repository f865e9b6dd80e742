"""The fake is as strict as the real API where the client could go wrong (raw HTTP here)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.fakes.agent import FakeAgent
from tests.fakes.portainer import FakePortainer


class Raw:
    """Plain requests (no Phoenix client) with an API key."""

    def __init__(self, fake: FakePortainer, key: str | None) -> None:
        self.fake = fake
        self.headers = {"X-API-Key": key} if key else {}

    def __call__(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        headers = {**self.headers, **kwargs.pop("headers", {})}
        return requests.request(
            method,
            self.fake.url + path,
            headers=headers,
            verify=self.fake.ca_bundle,
            timeout=10,
            **kwargs,
        )


@pytest.fixture
def raw(fake: FakePortainer, api_key: str) -> Raw:
    return Raw(fake, api_key)


def create(raw: Raw, endpoint_id: int, body: dict[str, Any]) -> requests.Response:
    return raw(
        "POST",
        "/api/stacks/create/standalone/string",
        params={"endpointId": endpoint_id},
        json=body,
    )


def test_endpoint_create_rejects_json(raw: Raw, agent: FakeAgent) -> None:
    response = raw("POST", "/api/endpoints", json={"Name": "x", "EndpointCreationType": 2})
    assert response.status_code == 400
    assert set(response.json()) == {"message", "details"}


def test_endpoint_create_needs_literal_true_and_client_skip(raw: Raw, agent: FakeAgent) -> None:
    form = {"Name": (None, "x"), "EndpointCreationType": (None, "2"), "URL": (None, agent.url)}
    missing_client_skip = {**form, "TLS": (None, "true"), "TLSSkipVerify": (None, "true")}
    assert raw("POST", "/api/endpoints", files=missing_client_skip).status_code == 400
    python_true = {**form, "TLS": (None, "True"), "TLSSkipVerify": (None, "True")}
    assert raw("POST", "/api/endpoints", files=python_true).status_code == 500  # x509, not TLS


def test_endpoint_create_refuses_non_loopback_agents(raw: Raw) -> None:
    form = {
        "Name": (None, "x"),
        "EndpointCreationType": (None, "2"),
        "URL": (None, "tcp://192.0.2.10:9001"),
        "TLS": (None, "true"),
        "TLSSkipVerify": (None, "true"),
        "TLSSkipClientVerify": (None, "true"),
    }
    response = raw("POST", "/api/endpoints", files=form)
    # the fake refuses before it dials: no traffic leaves the machine
    assert response.status_code == 500
    assert "not loopback" in response.json()["details"]


def test_duplicate_environment_name_is_409(raw: Raw, fake: FakePortainer) -> None:
    fake.seed_endpoint("e1", "tcp://127.0.0.102:9001")
    response = raw("PUT", "/api/endpoints/1", json={"Name": "e1"})
    assert response.status_code == 200
    fake.seed_endpoint("e2", "tcp://127.0.0.102:9002")
    assert raw("PUT", "/api/endpoints/2", json={"Name": "e1"}).status_code == 409


def test_stack_create_is_strict_json_and_normalizes_names(raw: Raw, fake: FakePortainer) -> None:
    endpoint = fake.seed_endpoint("e1", "tcp://127.0.0.102:9001")["Id"]
    good = {"Name": "My App.v2", "StackFileContent": "services: {}\n", "Env": []}
    # wrong casing, unknown field, multipart body, missing endpointId: all 400
    assert create(raw, endpoint, {"name": "a", "stackFileContent": "x"}).status_code == 400
    assert create(raw, endpoint, {**good, "Env": [{"Name": "A", "Value": "1"}]}).status_code == 400
    multipart = raw(
        "POST",
        "/api/stacks/create/standalone/string",
        params={"endpointId": endpoint},
        files={"Name": (None, "a"), "StackFileContent": (None, "x")},
    )
    assert multipart.status_code == 400
    no_id = raw("POST", "/api/stacks/create/standalone/string", json=good)
    assert no_id.json()["message"] == "Invalid query parameter: endpointId"
    # a good create deploys asynchronously under the normalized name
    fake.hold_deployments()
    created = create(raw, endpoint, good)
    assert created.status_code == 200
    assert (created.json()["Name"], created.json()["Status"]) == ("myappv2", 3)
    assert raw("GET", f"/api/stacks/{created.json()['Id']}").json()["Status"] == 3
    fake.release_deployments()
    assert raw("GET", f"/api/stacks/{created.json()['Id']}").json()["Status"] == 1
    # the same normalized name on the same endpoint is a 409
    dup = create(raw, endpoint, {**good, "Name": "MYAPPV2"})
    assert dup.status_code == 409
    assert dup.json()["message"] == "A stack with the normalized name 'myappv2' already exists"


def test_stack_list_filter_is_json(raw: Raw, fake: FakePortainer) -> None:
    fake.seed_stack(1, "a", "x")
    fake.seed_stack(2, "b", "x")
    listed = raw("GET", "/api/stacks", params={"filters": json.dumps({"EndpointID": 2})})
    assert [s["Name"] for s in listed.json()] == ["b"]
    bad = raw("GET", "/api/stacks", params={"filters": json.dumps({"EndpointID": "2"})})
    assert bad.status_code == 400


def test_auth_semantics(fake: FakePortainer) -> None:
    fake.seed_admin("admin", "correct-horse-1")
    anonymous = Raw(fake, None)
    missing = anonymous("GET", "/api/endpoints")
    assert (missing.status_code, missing.json()["message"]) == (
        401,
        "A valid authorization token is missing",
    )
    bad = anonymous("POST", "/api/auth", json={"Username": "admin", "Password": "nope"})
    assert (bad.status_code, bad.json()["message"]) == (422, "Invalid credentials")
    good = anonymous("POST", "/api/auth", json={"Username": "admin", "Password": "correct-horse-1"})
    assert "portainer_api_key=" in good.headers["Set-Cookie"]
    # a cookie session without a CSRF token is refused for writes
    cookie = {"Cookie": f"portainer_api_key={good.json()['jwt']}"}
    assert anonymous("PUT", "/api/endpoints/1", json={}, headers=cookie).status_code == 403
    # an expired token is a 401
    fake.expire_tokens()
    bearer = {"Authorization": f"Bearer {good.json()['jwt']}"}
    assert anonymous("GET", "/api/endpoints", headers=bearer).status_code == 401


def test_auth_rate_limit_bans(fake: FakePortainer) -> None:
    fake.seed_admin("admin", "correct-horse-1")
    anonymous = Raw(fake, None)
    body = {"Username": "admin", "Password": "wrong"}
    statuses = [anonymous("POST", "/api/auth", json=body).status_code for _ in range(12)]
    assert statuses[-1] == 403
    ok = {"Username": "admin", "Password": "correct-horse-1"}
    assert anonymous("POST", "/api/auth", json=ok).status_code == 403  # still banned


def test_unknown_route_is_plain_text_404(raw: Raw) -> None:
    response = raw("GET", "/api/nope")
    assert response.status_code == 404
    assert response.headers["Content-Type"].startswith("text/plain")
    assert response.text == "404 page not found\n"


def test_stack_update_needs_endpoint_id_and_replaces_env(raw: Raw, fake: FakePortainer) -> None:
    endpoint = fake.seed_endpoint("e1", "tcp://127.0.0.102:9001")["Id"]
    stack = fake.seed_stack(endpoint, "a", "x", {"A": "1", "B": "2"})
    body = {"StackFileContent": "y", "Env": [{"name": "A", "value": "3"}]}
    assert raw("PUT", f"/api/stacks/{stack.id}", json=body).status_code == 400
    fake.hold_deployments()  # the update's deployment runs until released, whatever the clock
    response = raw("PUT", f"/api/stacks/{stack.id}", params={"endpointId": endpoint}, json=body)
    assert response.status_code == 200
    assert stack.env == [{"name": "A", "value": "3"}]
    again = raw("PUT", f"/api/stacks/{stack.id}", params={"endpointId": endpoint}, json=body)
    assert again.status_code == 409  # still deploying
    fake.release_deployments()
    assert raw("GET", f"/api/stacks/{stack.id}").json()["Status"] == 1
    done = raw("PUT", f"/api/stacks/{stack.id}", params={"endpointId": endpoint}, json=body)
    assert done.status_code == 200


def test_the_fake_ca_bundle_is_removed_when_the_process_ends() -> None:
    # GIVEN a process that uses the fakes' CA bundle WHEN it exits THEN its file is gone
    code = "from tests.fakes.tls import ca_bundle_path; print(ca_bundle_path())"
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    path = Path(result.stdout.strip())
    assert path.name.startswith("phoenix-fake-ca-")
    assert not path.exists()


def test_docker_proxy_serves_the_containers_of_the_stacks_as_docker_does(
    raw: Raw, fake: FakePortainer
) -> None:
    # GIVEN a deployed stack with one service, crashing
    endpoint = fake.seed_endpoint("e1", "tcp://127.0.0.102:9001")["Id"]
    fake.seed_stack(endpoint, "qdrant", "services:\n  qdrant:\n    image: qdrant/qdrant:v1\n")
    fake.set_service(
        "qdrant", "qdrant", state="restarting", exit_code=1, logs=["a", ("stderr", "b")]
    )
    docker = f"/api/endpoints/{endpoint}/docker"
    # WHEN listing without all=1 THEN a restarting container is listed (Docker counts it running)
    label = json.dumps({"label": ["com.docker.compose.project=qdrant"]})
    (listed,) = raw("GET", f"{docker}/containers/json", params={"filters": label}).json()
    assert listed["Labels"]["com.docker.compose.service"] == "qdrant"
    assert listed["State"] == "restarting"
    # AND another project's filter finds nothing; a versioned path works the same
    other = json.dumps({"label": ["com.docker.compose.project=other"]})
    assert raw("GET", f"{docker}/v1.41/containers/json", params={"filters": other}).json() == []
    # AND inspect says restarting while Running is true, as Docker does
    state = raw("GET", f"{docker}/containers/{listed['Id']}/json").json()["State"]
    assert (state["Status"], state["Running"], state["Restarting"]) == ("restarting", True, True)
    # AND the logs are Docker's multiplexed stream: 8-byte headers, stream 1 then 2
    logs = raw(
        "GET", f"{docker}/containers/{listed['Id']}/logs", params={"stdout": "1", "stderr": "1"}
    )
    assert logs.headers["Content-Type"] == "application/vnd.docker.multiplexed-stream"
    assert logs.content == b"\x01\x00\x00\x00\x00\x00\x00\x02a\n\x02\x00\x00\x00\x00\x00\x00\x02b\n"


def test_docker_proxy_is_strict(raw: Raw, fake: FakePortainer) -> None:
    endpoint = fake.seed_endpoint("e1", "tcp://127.0.0.102:9001")["Id"]
    fake.seed_stack(endpoint, "web", "services:\n  app:\n    image: nginx:1.27\n")
    docker = f"/api/endpoints/{endpoint}/docker"
    (container,) = raw("GET", f"{docker}/containers/json").json()
    logs = f"{docker}/containers/{container['Id']}/logs"
    # Docker's own answers: unknown path, unknown container, no stream chosen, bad filter
    unknown = raw("GET", f"{docker}/nothing/here")
    assert (unknown.status_code, unknown.json()) == (404, {"message": "page not found"})
    assert raw("GET", f"{docker}/containers/f00/json").json() == {
        "message": "No such container: f00"
    }
    assert raw("GET", logs).json() == {
        "message": "Bad parameters: you must choose at least one stream"
    }
    bad_filter = raw("GET", f"{docker}/containers/json", params={"filters": '{"nope": ["x"]}'})
    assert (bad_filter.status_code, bad_filter.json()["message"]) == (400, "invalid filter 'nope'")
    # stricter than Docker: unknown parameters and never-ending follows are refused
    assert raw("GET", f"{docker}/containers/json", params={"al": "1"}).status_code == 400
    assert raw("GET", logs, params={"stdout": "1", "follow": "1"}).status_code == 400
    # Portainer's side: the environment must exist, and the caller be authenticated
    assert raw("GET", "/api/endpoints/99/docker/containers/json").status_code == 404
    assert Raw(fake, None)("GET", f"{docker}/containers/json").status_code == 401
