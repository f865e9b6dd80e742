"""RemoteConfigFile: a file uploaded over SSH and installed by commands."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from cdktf import TerraformStack

from constructs_lib import (
    PropsError,
    RemoteConfigFile,
    RemoteConfigFileProps,
)
from tests.plan import make_app, minimal_vm, resource, synth_json


def test_uploads_then_runs_commands_and_reruns_on_new_content(tmp_path: Path) -> None:
    scope = TerraformStack(make_app(str(tmp_path)), "test")
    content = "x = ${y}\n"
    RemoteConfigFile(
        scope,
        "app_config",
        RemoteConfigFileProps(
            guest=minimal_vm(scope, "10.0.0.102/24"),
            host="10.0.0.102",
            content=content,
            staged_path="/tmp/app.conf",
            commands=["install -m 0644 /tmp/app.conf /etc/app.conf", "echo ${HOME}"],
            user="admin",
        ),
    )
    data = resource(synth_json(scope), "terraform_data", "app_config")
    assert data["connection"]["user"] == "admin"
    assert data["connection"]["host"] == "10.0.0.102"
    assert "private_key" not in data["connection"]
    upload, run = data["provisioner"]
    assert upload == {"file": {"content": "x = $${y}\n", "destination": "/tmp/app.conf"}}
    assert run == {
        "remote-exec": {"inline": ["install -m 0644 /tmp/app.conf /etc/app.conf", "echo $${HOME}"]}
    }
    assert data["triggers_replace"] == {
        "content_sha256": hashlib.sha256(content.encode()).hexdigest(),
        "guest": "${proxmox_virtual_environment_vm.vm_1002.id}",
    }


def test_fails_when_nothing_installs_the_file(tmp_path: Path) -> None:
    scope = TerraformStack(make_app(str(tmp_path)), "test")
    with pytest.raises(PropsError, match="commands must install the uploaded file"):
        RemoteConfigFile(
            scope,
            "f",
            RemoteConfigFileProps(
                guest=minimal_vm(scope, "10.0.0.102/24"),
                host="10.0.0.102",
                content="",
                staged_path="/tmp/x",
                commands=[],
            ),
        )
