"""`python main.py` and `cdktf synth`: the project's main job, as a user runs it."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

SECRETS = {
    "PROXMOX_VE_API_TOKEN": "root@pam!phoenix=0f5b3c1e-secret-token-value",
    "PROXMOX_VE_PASSWORD": "pve-password-never-printed",
    "PORTAINER_PASSWORD": "portainer-password-never-printed",
    "PORTAINER_API_KEY": "ptr_apikeyneverprintedXXXXXXXXXXXXXXXX",
    "QDRANT_API_KEY": "qdrant-key-never-printed",
}


def run_main(outdir: Path, config_dir: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **SECRETS, "CDKTF_OUTDIR": str(outdir)}
    if config_dir is not None:
        env["PHOENIX_CONFIG_DIR"] = str(config_dir)
    return subprocess.run(
        [sys.executable, "main.py"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def tree_digest(directory: Path) -> dict[str, str]:
    return {
        str(path.relative_to(directory)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(directory.rglob("*"))
        if path.is_file()
    }


@pytest.fixture(scope="module")
def synthesized(tmp_path_factory: pytest.TempPathFactory) -> Path:
    outdir = tmp_path_factory.mktemp("run") / "cdktf.out"
    result = run_main(outdir)
    assert result.returncode == 0, result.stderr
    return outdir


def test_main_writes_the_infra_stack(synthesized: Path) -> None:
    plan = (synthesized / "stacks" / "infra" / "cdk.tf.json").read_text(encoding="utf-8")
    assert '"vm_1001"' in plan
    assert '"vm_1002"' in plan
    assert '"ct_101"' in plan
    assert (synthesized / "manifest.json").is_file()


def test_no_secret_from_the_environment_reaches_the_output(synthesized: Path) -> None:
    for path in synthesized.rglob("*"):
        if path.is_file():
            text = path.read_text(encoding="utf-8", errors="replace")
            for name, value in SECRETS.items():
                assert value not in text, f"{name} leaked into {path.relative_to(synthesized)}"


def test_no_absolute_path_in_the_output(synthesized: Path) -> None:
    for path in synthesized.rglob("*"):
        if path.is_file():
            text = path.read_text(encoding="utf-8", errors="replace")
            assert str(ROOT) not in text
            assert str(synthesized) not in text


def test_two_runs_are_byte_identical(synthesized: Path, tmp_path: Path) -> None:
    second = tmp_path / "cdktf.out"
    assert run_main(second).returncode == 0
    assert tree_digest(second) == tree_digest(synthesized)


def test_fails_when_the_config_is_invalid_and_leaves_the_output_untouched(
    synthesized: Path, tmp_path: Path
) -> None:
    # GIVEN a previous synth and a config with two mistakes
    outdir = tmp_path / "cdktf.out"
    shutil.copytree(synthesized, outdir)
    before = tree_digest(outdir)
    bad = tmp_path / "configs"
    shutil.copytree(ROOT / "configs", bad)
    guests = bad / "guests.yaml"
    guests.write_text(
        guests.read_text(encoding="utf-8")
        .replace("ip: 10.0.0.102/24", "ip: 10.0.1.5/24")
        .replace("memory_mib: 512", "memory_mib: 4"),
        encoding="utf-8",
    )
    # WHEN main runs on it
    result = run_main(outdir, bad)
    # THEN it exits non-zero, names each problem by file and field, and writes nothing
    assert result.returncode == 1
    assert (
        "guests.yaml: containers.101.memory_mib: Input should be greater than or equal to 16"
        in result.stderr
    )
    assert result.stdout == ""
    assert tree_digest(outdir) == before


def test_cdktf_synth_cli_produces_the_same_stack(synthesized: Path, tmp_path: Path) -> None:
    cdktf = ROOT / "node_modules" / ".bin" / "cdktf"
    if not cdktf.exists():
        pytest.fail("node_modules/.bin/cdktf is missing: run `make setup`")
    outdir = tmp_path / "cli.out"
    env = {**os.environ, **SECRETS, "CI": "1"}
    result = subprocess.run(
        [str(cdktf), "synth", "--output", str(outdir)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr + result.stdout
    assert (outdir / "stacks/infra/cdk.tf.json").read_bytes() == (
        synthesized / "stacks/infra/cdk.tf.json"
    ).read_bytes()


def test_the_summary_counts_what_was_written_in_plain_words(tmp_path: Path) -> None:
    # GIVEN the reference fleet synthesized by the main job
    outdir = tmp_path / "cdktf.out"
    result = run_main(outdir)
    assert result.returncode == 0, result.stderr
    # THEN each stack's line counts its resources from the written JSON, in singular or plural,
    # and lists only outputs the fleet declares (no cdktf cross-stack plumbing)
    lines = {line.split(":")[0].strip(): line for line in result.stdout.splitlines()}
    for stack in ("infra", "portainer"):
        plan = json.loads((outdir / "stacks" / stack / "cdk.tf.json").read_text(encoding="utf-8"))
        total = sum(len(items) for items in plan["resource"].values())
        noun = "resource" if total == 1 else "resources"
        assert f"{stack}: {total} {noun} (" in lines[stack]
    assert lines["infra"].endswith("outputs: inventory, portainer")
    assert "cross-stack" not in result.stdout
