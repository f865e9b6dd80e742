"""Desired-state model and loaders: every input shape of docs/outputs.md."""

from __future__ import annotations

import base64
import hashlib
import io
import json
from pathlib import Path
from typing import Any

import pytest

from portainer.desired import (
    DesiredStateError,
    encode_for_env,
    load_from_env,
    load_outputs_file,
    parse_desired_state,
)
from tests.portainer.conftest import agent_doc, desired_doc, probe_doc, stack_doc


def reference() -> dict[str, Any]:
    return desired_doc(
        [
            agent_doc(
                "drphoenix",
                "tcp://10.0.0.102:9001",
                [
                    stack_doc(
                        "qdrant",
                        env={"QDRANT__LOG_LEVEL": "INFO"},
                        secret_env={"QDRANT__SERVICE__API_KEY": "QDRANT_API_KEY"},
                    )
                ],
            )
        ]
    )


def test_loads_cdktf_outputs_file(tmp_path: Path) -> None:
    # GIVEN the file `cdktf deploy --outputs-file` writes (any stack key)
    path = tmp_path / "out.json"
    path.write_text(json.dumps({"phoenix-infra": {"portainer": reference(), "inventory": []}}))
    # WHEN loading it
    desired = load_outputs_file(str(path))
    # THEN the agent, its address and its stack are there
    [agent] = desired.agents
    assert (agent.name, agent.host, agent.port) == ("drphoenix", "10.0.0.102", 9001)
    assert agent.stacks[0].secret_env[0].from_env == "QDRANT_API_KEY"
    assert desired.secret_sources() == {"QDRANT_API_KEY"}


def test_loads_terraform_output_json(tmp_path: Path) -> None:
    # GIVEN `terraform output -json` (value wrapped with type/sensitive)
    path = tmp_path / "tf.json"
    doc = {
        "portainer": {"value": reference(), "type": ["object", {}], "sensitive": False},
        "inventory": {"value": [], "type": ["list", "string"], "sensitive": False},
    }
    path.write_text(json.dumps(doc))
    # WHEN loading it THEN the desired state is found
    assert load_outputs_file(str(path)).owner == "phoenix"


def test_loads_bare_desired_state_from_stdin(monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN `terraform output -json portainer` piped to standard input
    monkeypatch.setattr("sys.stdin", io.StringIO(json.dumps(reference())))
    # WHEN loading "-" THEN it parses
    assert load_outputs_file("-").agents[0].name == "drphoenix"


def test_loads_from_stdin_when_the_bytes_have_the_expected_sha256(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # GIVEN the desired state the post-apply step reassembled, and its SHA-256 from Terraform
    text = json.dumps(reference())
    monkeypatch.setattr("sys.stdin", io.StringIO(text))
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    # WHEN loading it with that digest THEN it parses
    assert load_outputs_file("-", expect_sha256=digest).agents[0].name == "drphoenix"


def test_fails_when_the_bytes_read_do_not_have_the_expected_sha256(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # GIVEN a desired state cut short on its way (a part missing)
    text = json.dumps(reference())
    monkeypatch.setattr("sys.stdin", io.StringIO(text[:-10]))
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    # WHEN loading it with the digest of the whole THEN the error shows both digests and size
    with pytest.raises(DesiredStateError, match="is not the one expected") as caught:
        load_outputs_file("-", expect_sha256=digest)
    assert digest in str(caught.value)
    assert f"({len(text) - 10} bytes, sha256 " in str(caught.value)


def test_loads_base64gzip_env_var() -> None:
    # GIVEN what Terraform's base64gzip(jsonencode(desired)) produces
    environ = {"PHOENIX_DESIRED": encode_for_env(reference())}
    # WHEN loading from the variable THEN it parses
    assert load_from_env("PHOENIX_DESIRED", environ).agents[0].stacks[0].name == "qdrant"


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d.update(schema_version=2), "schema_version"),
        (lambda d: d["agents"][0]["stacks"][0].update(name="Qdrant"), "normalized form"),
        (lambda d: d["agents"][0]["stacks"][0].update(compose_sha256="0" * 64), "does not match"),
        (lambda d: d["agents"][0].update(url="https://10.0.0.102:9001"), "tcp://<host>:<port>"),
        (lambda d: d.update(extra_field=1), "extra_field"),
        (
            lambda d: d["agents"][0]["stacks"][0]["env"].append(
                {"name": "PHOENIX_OWNER", "value": "x"}
            ),
            "reserved",
        ),
        (lambda d: d["agents"].append(dict(d["agents"][0])), "declared twice"),
        (
            lambda d: d["agents"][0]["stacks"][0]["health"].update(
                probes=[probe_doc("https://10.0.0.153/qdrant/healthz")]
            ),
            "http://<host>",
        ),
        (
            lambda d: d["agents"][0]["stacks"][0]["health"].update(
                probes=[probe_doc("http://10.0.0.153/a b")]
            ),
            "http://<host>",
        ),
        (
            lambda d: d["agents"][0]["stacks"][0]["health"].update(
                probes=[{**probe_doc("http://10.0.0.102:6333/healthz"), "targets": []}]
            ),
            "targets",
        ),
    ],
)
def test_fails_when_the_contract_is_violated(mutate: Any, message: str) -> None:
    # GIVEN a desired state with one contract violation
    doc = reference()
    mutate(doc)
    # WHEN parsing THEN the error names the problem
    with pytest.raises(DesiredStateError, match=message):
        parse_desired_state(doc)


def test_fails_when_no_portainer_output(tmp_path: Path) -> None:
    # GIVEN outputs without `portainer`
    path = tmp_path / "out.json"
    path.write_text(json.dumps({"infra": {"inventory": []}}))
    # WHEN loading THEN the message says what was expected
    with pytest.raises(DesiredStateError, match="no 'portainer' output"):
        load_outputs_file(str(path))


def test_fails_when_two_stacks_publish_portainer() -> None:
    # GIVEN an ambiguous cdktf outputs file
    doc = {"a": {"portainer": reference()}, "b": {"portainer": reference()}}
    # WHEN parsing THEN both stacks are named
    with pytest.raises(DesiredStateError, match="a, b"):
        parse_desired_state(doc)


@pytest.mark.parametrize(
    "value",
    ["", "not base64!", base64.b64encode(b"not gzip").decode()],
)
def test_fails_when_env_var_is_not_base64gzip(value: str) -> None:
    # GIVEN a variable that is empty or not base64(gzip(json))
    # WHEN loading THEN a clear error (never a traceback)
    with pytest.raises(DesiredStateError):
        load_from_env("V", {"V": value})


def test_fails_when_file_is_not_json(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text("{nope")
    with pytest.raises(DesiredStateError, match="not valid JSON"):
        load_outputs_file(str(path))


def test_certificate_source_names_the_route_to_the_servers_certificate() -> None:
    document = reference()
    document["server"]["certificate_source"] = {
        "ssh_host": "10.0.0.13",
        "ssh_port": 22,
        "ssh_user": "root",
        "vmid": 1001,
        "path": "/var/lib/docker/volumes/x/_data/certs/cert.pem",
    }
    source = parse_desired_state(document).server.certificate_source
    assert source is not None
    assert source.route().describe() == (
        "ssh root@10.0.0.13:22, qm guest exec 1001, /var/lib/docker/volumes/x/_data/certs/cert.pem"
    )


def test_outputs_from_before_certificate_pinning_still_load() -> None:
    assert parse_desired_state(reference()).server.certificate_source is None


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("ssh_host", "-oProxyCommand=evil"),
        ("ssh_host", "node one"),
        ("ssh_user", "-l"),
        ("path", "relative/cert.pem"),
        ("vmid", 0),
    ],
)
def test_fails_when_a_certificate_source_could_smuggle_ssh_options(
    field: str, value: object
) -> None:
    document = reference()
    source = {"ssh_host": "n", "ssh_port": 22, "ssh_user": "root", "vmid": 1, "path": "/c"}
    document["server"]["certificate_source"] = {**source, field: value}
    with pytest.raises(DesiredStateError, match=f"certificate_source.{field}"):
        parse_desired_state(document)


def test_health_names_the_services_and_where_each_probe_goes() -> None:
    # GIVEN a stack whose probe goes through a gateway virtual host
    document = reference()
    probe = probe_doc("http://10.0.0.153/healthz", route="qdrant.phoenix.local/")
    probe["targets"][0]["host"] = "qdrant.phoenix.local"
    document["agents"][0]["stacks"][0]["health"]["probes"] = [probe]
    # WHEN parsing THEN the services and the probe's target are there, labelled for messages
    health = parse_desired_state(document).agents[0].stacks[0].health
    assert health.services == ("app",)
    (target,) = health.probes[0].targets
    assert target.label == (
        "http://10.0.0.153/healthz "
        "(gateway route qdrant.phoenix.local/, Host: qdrant.phoenix.local)"
    )


def test_outputs_from_before_health_checks_still_load() -> None:
    # GIVEN a stack written before health checks (no `health` key)
    document = reference()
    del document["agents"][0]["stacks"][0]["health"]
    # WHEN parsing THEN it has no declared services or probes: every container must run
    health = parse_desired_state(document).agents[0].stacks[0].health
    assert (health.services, health.probes) == ((), ())
