"""The command line: help, sources, exit codes, JSON report, TLS switches."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import trustme

from portainer.desired import encode_for_env
from portainer.reconcile import ReconcileOptions
from portainer.session import ClientSettings
from portainer.waits import WaitSettings
from tests.fakes.agent import FakeAgent
from tests.fakes.portainer import FakePortainer
from tests.fakes.server import free_port
from tests.fakes.tls import ca_bundle_path
from tests.portainer.conftest import FAST, Runner, agent_doc, desired_doc, stack_doc

ROOT = Path(__file__).resolve().parents[2]


def test_help_lists_the_options() -> None:
    # GIVEN the real entry point WHEN asking for help THEN it exits 0 and documents the flags
    result = subprocess.run(
        [sys.executable, "-m", "portainer", "reconcile", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0
    for flag in (
        "--outputs-file",
        "--desired-state-env",
        "--desired-state-sha256",
        "--dry-run",
        "--json",
        "--prune",
        "--ca-bundle",
        "--insecure",
        "--detailed-exitcode",
        "PORTAINER_API_KEY",
    ):
        assert flag in result.stdout
    # AND every option with a value shows its default, taken from the code's own settings
    text = " ".join(result.stdout.split())
    waits, client = WaitSettings(), ClientSettings()
    for flag, default in (
        ("--server-timeout", waits.server_timeout_s),
        ("--agent-timeout", waits.agent_timeout_s),
        ("--deploy-timeout", waits.deploy_timeout_s),
        ("--poll-interval", waits.poll_interval_s),
        ("--connect-timeout", client.connect_timeout_s),
        ("--request-timeout", client.read_timeout_s),
        ("--retries", client.retries),
        ("--retry-backoff", client.backoff_s),
        ("--workers", ReconcileOptions().workers),
    ):
        described = re.search(rf"{flag} [SN] (.*?)\(default: ([^)]*)\)", text)
        assert described is not None, flag
        assert described[2] == str(default), flag


def test_trust_help_lists_its_options() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "portainer", "trust", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0
    for flag in ("--outputs-file", "--desired-state-env", "--reset", "--fingerprint"):
        assert flag in result.stdout


def test_fails_when_no_desired_state_source_is_given(capsys: pytest.CaptureFixture[str]) -> None:
    from portainer.cli import main

    with pytest.raises(SystemExit) as caught:
        main(["reconcile"], {})
    assert caught.value.code == 1
    assert "--outputs-file" in capsys.readouterr().err


def test_fails_when_no_credentials(fake: FakePortainer, tmp_path: Path) -> None:
    result = Runner(fake, tmp_path)(desired_doc([]))
    assert result.code == 1
    assert "no Portainer credentials" in result.err
    assert fake.log == []


def test_detailed_exitcode_and_json_report(
    fake: FakePortainer, agent: FakeAgent, run: Runner
) -> None:
    # GIVEN an empty Portainer
    desired = desired_doc([agent_doc("drphoenix", agent.url, [stack_doc("qdrant")])])
    # WHEN applying with --detailed-exitcode --json, twice
    first = run(desired, "--detailed-exitcode", "--json")
    second = run(desired, "--detailed-exitcode", "--json")
    # THEN the first run reports changes (2), the second none (0), both as parseable JSON
    assert (first.code, second.code) == (2, 0)
    report = first.json()
    assert report["summary"] == {"create": 2}
    assert report["converged"] is True
    assert report["environments"][0]["stacks"][0] == {
        "name": "qdrant",
        "action": "create",
        "status": "ok",
        "reasons": [],
        "error": None,
        "id": fake.stacks()[0].id,
        # AND the stack was up: its compose service's container runs (no probe declared)
        "health": {
            "healthy": True,
            "services": [
                {
                    "name": "app",
                    "ok": True,
                    "detail": "running",
                    "containers": [{"name": "qdrant-app-1", "state": "running", "health": None}],
                    "logs": {},
                }
            ],
            "probes": [],
            "error": None,
        },
    }
    assert second.json()["summary"] == {"unchanged": 2}


def test_reads_outputs_from_stdin_and_server_url_from_outputs(
    fake: FakePortainer, agent: FakeAgent, api_key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN `terraform output -json` on stdin whose server URL is the fake (no PORTAINER_URL)
    from portainer.cli import main

    desired = desired_doc([agent_doc("drphoenix", agent.url)])
    desired["server"]["url"] = fake.url
    tf = {"portainer": {"value": desired, "type": "object", "sensitive": False}}
    monkeypatch.setattr("sys.stdin", io.StringIO(json.dumps(tf)))
    out, err = io.StringIO(), io.StringIO()
    env = {"PORTAINER_API_KEY": api_key, "PORTAINER_CA_BUNDLE": fake.ca_bundle}
    # WHEN reconciling from "-"
    code = main(["reconcile", "--outputs-file", "-", *FAST], env, out, err)
    # THEN it converged against the URL from the outputs
    assert code == 0, out.getvalue() + err.getvalue()
    assert [e["Name"] for e in fake.endpoints()] == ["drphoenix"]


def test_fails_before_any_request_when_the_desired_state_is_not_the_expected_one(
    fake: FakePortainer, agent: FakeAgent, api_key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN a desired state on stdin whose SHA-256 is not the one the post-apply step passes
    from portainer.cli import main

    desired = desired_doc([agent_doc("drphoenix", agent.url, [stack_doc("web")])])
    monkeypatch.setattr("sys.stdin", io.StringIO(json.dumps(desired)))
    env = {"PORTAINER_URL": fake.url, "PORTAINER_API_KEY": api_key}
    out, err = io.StringIO(), io.StringIO()
    # WHEN reconciling
    code = main(
        ["reconcile", "--outputs-file", "-", "--desired-state-sha256", "0" * 64, *FAST],
        env,
        out,
        err,
    )
    # THEN it fails saying so, and Portainer heard nothing
    assert code == 1
    assert "is not the one expected" in err.getvalue()
    assert fake.log == []


def test_reads_desired_state_from_base64gzip_env(
    fake: FakePortainer, agent: FakeAgent, api_key: str
) -> None:
    from portainer.cli import main

    desired = desired_doc([agent_doc("drphoenix", agent.url, [stack_doc("web")])])
    env = {
        "PORTAINER_URL": fake.url,
        "PORTAINER_API_KEY": api_key,
        "PORTAINER_CA_BUNDLE": fake.ca_bundle,
        "PHOENIX_DESIRED": encode_for_env(desired),
    }
    out, err = io.StringIO(), io.StringIO()
    code = main(["reconcile", "--desired-state-env", "PHOENIX_DESIRED", *FAST], env, out, err)
    assert code == 0, out.getvalue() + err.getvalue()
    assert len(fake.stacks()) == 1


def test_fails_when_tls_is_not_trusted_unless_insecure(
    fake: FakePortainer, agent: FakeAgent, run: Runner, tmp_path: Path
) -> None:
    # GIVEN a CA bundle of another CA than the one that signed the fake's certificate
    del run.env["PORTAINER_CA_BUNDLE"]
    other_ca = tmp_path / "other-ca.pem"
    trustme.CA().cert_pem.write_to_path(str(other_ca))
    desired = desired_doc([agent_doc("drphoenix", agent.url)])
    # WHEN reconciling against the system CAs, with a long server wait
    refused = run(desired, "--ca-bundle", str(other_ca), "--server-timeout", "600")
    # THEN it refuses at once instead of waiting for a "server not ready", says why, and the
    # fake received nothing that carries a credential
    assert refused.code == 1
    assert "refusing the Portainer server" in refused.out
    assert "not trusted by the CA bundle" in refused.out
    assert "waiting for Portainer" not in refused.err
    assert [r for r in fake.log if r.auth != "none" or r.path == "/api/auth"] == []
    # WHEN the operator opts out explicitly THEN it works
    assert run(desired, PORTAINER_INSECURE="1").code == 0


def test_fails_when_server_never_comes_up(tmp_path: Path, api_key: str) -> None:
    # GIVEN a Portainer URL where nothing listens
    fake_down = f"https://127.0.0.1:{free_port('127.0.0.1')}"

    class Down:
        url = fake_down
        ca_bundle = ca_bundle_path()

    runner = Runner(Down(), tmp_path)  # type: ignore[arg-type]
    runner.env["PORTAINER_API_KEY"] = api_key
    # WHEN reconciling with a short deadline
    result = runner(desired_doc([]), "--server-timeout", "0.2")
    # THEN it waited with progress lines and failed clearly
    assert result.code == 1
    assert "waiting for Portainer" in result.err
    assert "gave up waiting for Portainer" in result.out
