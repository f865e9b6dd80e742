"""Running the real `terraform` binary in tests: isolated, offline, loud when it is missing."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import terraform_or_skip


def terraform_binary() -> str:
    """Path of `terraform`, or skip the test saying why it cannot run (fail under CI)."""
    return terraform_or_skip()


def terraform_env(workdir: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    """An environment with no user CLI config, no update checks and no plugin downloads."""
    config = workdir / ".terraformrc"
    config.write_text("", encoding="utf-8")
    env = {
        **os.environ,
        "TF_CLI_CONFIG_FILE": str(config),
        "CHECKPOINT_DISABLE": "1",
        "TF_IN_AUTOMATION": "1",
        "TF_INPUT": "0",
    }
    env.pop("TF_PLUGIN_CACHE_DIR", None)
    env.update(extra or {})
    return env


def terraform(
    workdir: Path,
    *args: str,
    env: dict[str, str] | None = None,
    timeout: int = 300,
    expect_failure: bool = False,
) -> subprocess.CompletedProcess[str]:
    """Run terraform in `workdir`; fail the test with its output when it fails (or, with
    `expect_failure`, when it succeeds)."""
    result = subprocess.run(
        [terraform_binary(), *args],
        cwd=workdir,
        env=env or terraform_env(workdir),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if expect_failure:
        if result.returncode == 0:
            pytest.fail(f"terraform {' '.join(args)} succeeded but should have failed")
        return result
    if result.returncode != 0:
        pytest.fail(
            f"terraform {' '.join(args)} failed ({result.returncode}):\n"
            f"{result.stdout}\n{result.stderr}"
        )
    return result


def outputs(workdir: Path, env: dict[str, str] | None = None) -> dict[str, Any]:
    """`terraform output -json`, parsed."""
    parsed: dict[str, Any] = json.loads(terraform(workdir, "output", "-json", env=env).stdout)
    return parsed
