"""On CDK Terrain (cdktn), Phoenix writes the plans it writes on cdktf, and Terraform takes them.

Each fleet is synthesized twice by `main.py`, as `make synth` and `make synth CDK=cdktn` run it:
by the default virtualenv (cdktf, `imports/`) and by the route's own (`terrain/.venv`, cdktn,
`terrain/imports/` from `cdktn get`). Every file must be cdktf's byte for byte, except for the
differences listed in `KNOWN_DIFFERENCES`, which say why they are harmless.

`make test-cdktn` sets the route up and runs this module with `PHOENIX_REQUIRE_CDKTN=1`, so a
missing route fails; otherwise the module is skipped, saying so, until `terrain/` is set up.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from cdk import BINDINGS
from rehearsal.terraform import Terraform
from tests.conftest import ROOT

REQUIRE_CDKTN_ENV = "PHOENIX_REQUIRE_CDKTN"
TERRAIN = ROOT / "terrain"
TERRAIN_PYTHON = TERRAIN / ".venv" / "bin" / "python"
CDKTN_CLI = TERRAIN / "node_modules" / ".bin" / "cdktn"
FLEETS = {
    "reference": ROOT / "configs",
    **{path.name: path for path in sorted((ROOT / "examples").iterdir()) if path.is_dir()},
}

KNOWN_DIFFERENCES = {
    "version stamp": (
        "Each CDK writes its own version into manifest.json and into each stack's `//` "
        "metadata (cdktf 0.21.0, cdktn 0.24.0). Terraform ignores `//` keys (JSON comments); "
        "the CLI reads only stacks and dependencies from the manifest."
    ),
    "empty list or object": (
        "cdktf writes `[]` and `{}` over two lines, cdktn on one: the same JSON value, "
        "so the same Terraform configuration."
    ),
}
_EMPTY = re.compile(r"([\[{])\n *([\]}])")
"""An empty list or object as cdktf writes it (a raw newline only occurs between JSON tokens)."""


def pin(requirements: Path, package: str) -> str:
    """The version `requirements` pins `package` to (`package==X`)."""
    for line in requirements.read_text(encoding="utf-8").splitlines():
        if line.startswith(f"{package}=="):
            return line.split("==", 1)[1].strip()
    raise AssertionError(f"{requirements} pins no {package}")


CDKTF_VERSION = pin(ROOT / "requirements.txt", "cdktf")
CDKTN_VERSION = pin(TERRAIN / "requirements.txt", "cdktn")


def as_cdktn_writes(cdktf_text: str) -> str:
    """A file cdktf wrote, with every `KNOWN_DIFFERENCES` entry applied: cdktn's, byte for byte."""
    text = _EMPTY.sub(r"\1\2", cdktf_text)
    stamp = f'"version": "{CDKTF_VERSION}"'
    assert text.count(stamp) == 1, f"expected exactly one version stamp {stamp}"
    return text.replace(stamp, f'"version": "{CDKTN_VERSION}"')


@pytest.fixture(scope="module")
def terrain() -> Path:
    """The CDK Terrain route's Python; skip (fail under `make test-cdktn`) when not set up."""
    missing = [
        path
        for path in (TERRAIN_PYTHON, CDKTN_CLI, BINDINGS["cdktn"] / "proxmox")
        if not path.exists()
    ]
    if missing:
        reason = (
            f"the CDK Terrain route is not set up ({missing[0].relative_to(ROOT)} is missing): "
            "`make test-cdktn` sets it up and runs this test"
        )
        if os.environ.get(REQUIRE_CDKTN_ENV) == "1":
            pytest.fail(f"{REQUIRE_CDKTN_ENV}=1 but {reason}")
        pytest.skip(reason)
    return TERRAIN_PYTHON


def terrain_env() -> dict[str, str]:
    """The environment `make ... CDK=cdktn` gives its commands: the fork's tools first."""
    tools = [TERRAIN / "node_modules" / ".bin", TERRAIN / ".venv" / "bin"]
    path = os.pathsep.join([*map(str, tools), os.environ.get("PATH", "")])
    return {**os.environ, "PATH": path, "PHOENIX_CDK": "cdktn", "CI": "1"}


def synth(command: list[str], config_dir: Path, outdir: Path, env: dict[str, str]) -> Path:
    """Run a synth `command` in the project on `config_dir` into `outdir`; returns `outdir`."""
    env = {**env, "PHOENIX_CONFIG_DIR": str(config_dir), "CDKTF_OUTDIR": str(outdir)}
    result = subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False
    )
    assert result.returncode == 0, f"{' '.join(command)}:\n{result.stdout}{result.stderr}"
    return outdir


def files(outdir: Path) -> dict[str, str]:
    return {
        str(path.relative_to(outdir)): path.read_text(encoding="utf-8")
        for path in sorted(outdir.rglob("*"))
        if path.is_file()
    }


@pytest.mark.parametrize("fleet", sorted(FLEETS), ids=str)
def test_the_fork_writes_the_same_plans_and_terraform_validates_them(
    fleet: str, terrain: Path, terraform: Terraform, tmp_path: Path
) -> None:
    # GIVEN a fleet synthesized by main.py on cdktf and on cdktn
    default_env = {key: value for key, value in os.environ.items() if key != "PHOENIX_CDK"}
    cdktf_out = synth(
        [sys.executable, "main.py"], FLEETS[fleet], tmp_path / "cdktf.out", default_env
    )
    cdktn_out = synth(
        [str(terrain), "main.py"], FLEETS[fleet], tmp_path / "cdktn.out", terrain_env()
    )
    # THEN they wrote the same files, each cdktf's byte for byte but for the known differences
    written, expected = files(cdktn_out), files(cdktf_out)
    assert sorted(written) == sorted(expected)
    for name, text in expected.items():
        assert written[name] == as_cdktn_writes(text), f"{fleet}: {name} differs"
    # AND Terraform initializes and validates every stack cdktn wrote, on the stand-in
    stacks = sorted(path.parent for path in (cdktn_out / "stacks").glob("*/cdk.tf.json"))
    assert stacks, "the fleet synthesized no stack"
    for stack in stacks:
        terraform.init(stack, backend=False)  # validate needs no state (pg/s3: not reachable)
        result = terraform.validate(stack)
        errors = [d["summary"] for d in result["diagnostics"] if d["severity"] == "error"]
        assert result["valid"], f"{fleet}/{stack.name}: {errors}"


def test_the_cdktn_cli_synthesizes_the_app(terrain: Path, tmp_path: Path) -> None:
    # GIVEN the reference fleet synthesized on cdktn by main.py
    direct = synth(
        [str(terrain), "main.py"], ROOT / "configs", tmp_path / "main.out", terrain_env()
    )
    # WHEN the fork's CLI runs the app, as the README's one-off `cdktn synth` does (cdktf.json
    # names the default route's app and bindings: without the check, `imports/` need not exist)
    cli = tmp_path / "cli.out"
    command = [str(CDKTN_CLI), "synth", "--app", f"{terrain} main.py"]
    command += ["--check-code-maker-output=false", "--output", str(cli)]
    synth(command, ROOT / "configs", cli, terrain_env())
    # THEN it writes the same stacks
    for stack in ("infra", "portainer"):
        plan = Path("stacks") / stack / "cdk.tf.json"
        assert (cli / plan).read_bytes() == (direct / plan).read_bytes()


def test_a_plan_differs_from_the_fork_only_where_listed() -> None:
    # GIVEN a file as cdktf writes it: a version stamp, an empty object, an empty list
    cdktf = [
        "{",
        '  "//": {',
        '    "metadata": {',
        f'      "version": "{CDKTF_VERSION}"',
        "    },",
        '    "outputs": {',
        "    }",
        "  },",
        '  "roles": [',
        "  ]",
        "}",
    ]
    # WHEN the known differences are applied
    cdktn = as_cdktn_writes("\n".join(cdktf))
    # THEN only those changed: cdktn's own version, `{}` and `[]` each on one line
    assert cdktn.splitlines() == [
        "{",
        '  "//": {',
        '    "metadata": {',
        f'      "version": "{CDKTN_VERSION}"',
        "    },",
        '    "outputs": {}',
        "  },",
        '  "roles": []',
        "}",
    ]
