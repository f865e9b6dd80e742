"""`python -m fleet validate|schema`, and `cdktf synth` refusing a bad config."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from fleet.__main__ import main
from fleet.sections import SECTIONS
from tests.config_edits import set_field
from tests.conftest import ROOT
from tests.fleet.conftest import combine

BAD_GUESTS = combine(
    set_field("guests.yaml", "vms.1002.network.ip", "10.0.1.5/24"),
    set_field("guests.yaml", "containers.101.cores", 0),
)
BAD_LINES = [
    "configs/guests.yaml: containers.101.cores: Input should be greater than or equal to 1 (got 0)",
    "configs/guests.yaml: vms.1002.network.ip: 10.0.1.5/24 is outside network 10.0.0.0/24",
]


def run_module(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`python -m <args>` in `cwd`, with only the config directory `env` names (if any)."""
    inherited = {key: value for key, value in os.environ.items() if key != "PHOENIX_CONFIG_DIR"}
    environment = {**inherited, "PYTHONPATH": str(ROOT), **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", *args],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_validate_accepts_the_reference_fleet(config_dir: Path, tmp_path: Path) -> None:
    result = run_module("fleet", "validate", "configs", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "configs: valid (1 template, 2 VMs, 1 container, 1 stack)\n"
    assert result.stderr == ""


def test_fails_when_validating_a_bad_config(config_dir: Path, tmp_path: Path) -> None:
    # GIVEN a config with a schema mistake and a fleet-wide mistake
    BAD_GUESTS(config_dir)
    # WHEN validated (directory from the environment, as synth takes it)
    result = run_module("fleet", "validate", cwd=tmp_path, env={"PHOENIX_CONFIG_DIR": "configs"})
    # THEN both are on stderr, one per line, and the exit code says so
    assert result.returncode == 1
    assert result.stderr.splitlines() == [*BAD_LINES, "phoenix: 2 problems in the fleet config"]
    assert result.stdout == ""


def test_validate_in_process_reports_a_missing_directory(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["validate", str(tmp_path / "nowhere")]) == 1
    assert capsys.readouterr().err.splitlines()[0] == (
        f"{tmp_path / 'nowhere'}: config directory does not exist"
    )


def test_validate_says_when_the_config_directory_is_a_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "guests.yaml").write_text("vms: {}\n", encoding="utf-8")
    assert main(["validate", str(tmp_path / "guests.yaml")]) == 1
    assert capsys.readouterr().err.splitlines()[0] == (
        f"{tmp_path / 'guests.yaml'}: a file, not a config directory (give the directory that "
        "holds it)"
    )


def test_schema_check_passes_on_the_committed_schema(tmp_path: Path) -> None:
    assert run_module("fleet", "schema", "--check", cwd=tmp_path).returncode == 0
    assert run_module("fleet.schema", "--check", cwd=tmp_path).returncode == 0


def test_fails_when_the_schema_check_finds_no_schema(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["schema", "--check", "--output", str(tmp_path)]) == 1
    assert len(capsys.readouterr().err.splitlines()) == len(SECTIONS)
    assert main(["schema", "--output", str(tmp_path)]) == 0
    assert main(["schema", "--check", "--output", str(tmp_path)]) == 0


def _digest(directory: Path) -> dict[str, str]:
    return {
        str(path.relative_to(directory)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(directory.rglob("*"))
        if path.is_file()
    }


def test_fails_when_cdktf_synth_gets_a_bad_config_and_leaves_the_output_alone(
    config_dir: Path, tmp_path: Path
) -> None:
    cdktf = ROOT / "node_modules" / ".bin" / "cdktf"
    if not cdktf.exists():
        pytest.fail("node_modules/.bin/cdktf is missing: run `make setup`")
    # GIVEN an earlier synth's output and a config with two mistakes
    outdir = tmp_path / "cdktf.out"
    (outdir / "stacks" / "infra").mkdir(parents=True)
    (outdir / "manifest.json").write_text('{"stacks": {}}\n', encoding="utf-8")
    (outdir / "stacks" / "infra" / "cdk.tf.json").write_text("{}\n", encoding="utf-8")
    before = _digest(outdir)
    BAD_GUESTS(config_dir)
    # WHEN `cdktf synth` runs the app on it (offline: no update check)
    result = subprocess.run(
        [str(cdktf), "synth", "--output", str(outdir)],
        cwd=ROOT,
        env={
            **os.environ,
            "CI": "1",
            "CHECKPOINT_DISABLE": "1",
            "PHOENIX_CONFIG_DIR": str(tmp_path / "configs"),
        },
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    # THEN it fails with every problem and the output directory is byte for byte unchanged
    assert result.returncode != 0
    output = result.stdout + result.stderr
    for line in BAD_LINES:
        assert line.replace("configs/", f"{tmp_path}/configs/") in output
    assert "nothing was synthesized" in output
    assert _digest(outdir) == before
