"""`state: s3` as far as it goes without an object store: Terraform accepts the synthesized
backend and asks the configured endpoint (on loopback, where nothing answers) and nothing
else: no AWS STS, IAM or instance metadata, which an S3-compatible store does not have."""

from __future__ import annotations

import shutil
import socket
from pathlib import Path

import pytest

from rehearsal.terraform import Terraform
from tests.conftest import ROOT, terraform_or_skip
from tests.plans.conftest import synthesize

pytestmark = pytest.mark.e2e

ACCESS_KEY = "PHOENIXTESTACCESSKEY"
SECRET_KEY = "phoenix-test-secret-key-never-shown"


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def test_terraform_accepts_the_s3_backend_and_asks_only_its_endpoint(tmp_path: Path) -> None:
    # GIVEN the reference fleet with its state in an object store on loopback
    configs = tmp_path / "configs"
    shutil.copytree(ROOT / "configs", configs)
    port = closed_port()
    (configs / "state.yaml").write_text(
        f"backend: s3\ns3:\n  endpoint: http://127.0.0.1:{port}\n  bucket: phoenix-state\n",
        encoding="utf-8",
    )
    outdir = synthesize(configs, tmp_path / "cdktf.out")
    terraform = Terraform(
        terraform_or_skip(),
        tmp_path / ".standin",
        extra_env={
            "AWS_ACCESS_KEY_ID": ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
            "AWS_EC2_METADATA_DISABLED": "true",
        },
    )
    # WHEN Terraform initializes the infra stack (one attempt: nothing will answer)
    result = terraform.run(
        outdir / "stacks" / "infra",
        "init",
        "-input=false",
        "-no-color",
        "-backend-config=max_retries=1",
        check=False,
    )
    output = result.stdout + result.stderr
    # THEN it configured the backend and failed only at listing the bucket on that endpoint
    assert result.returncode == 1
    assert 'Unable to list objects in S3 bucket "phoenix-state"' in output, output
    assert f"127.0.0.1:{port}" in output
    assert "amazonaws.com" not in output
    assert SECRET_KEY not in output
