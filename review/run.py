"""Plan a pull request's fleet change with real Terraform, offline.

The base revision (a git worktree) and the working tree are each synthesized with their own
code; the base infra stack is applied into a scratch state on the bpg/proxmox stand-in (the
gateway's SSH delivery left out: nothing leaves this machine), and the working tree's infra
stack is planned against it. The plan's `terraform show -json` is what gets summarised.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from rehearsal.terraform import Terraform

ROOT = Path(__file__).resolve().parents[1]


class ReviewError(RuntimeError):
    """The review cannot be made (a revision that does not synthesize, a git problem)."""


def progress(line: str) -> None:
    print(f"==> {line}", file=sys.stderr, flush=True)


@contextlib.contextmanager
def worktree(revision: str, scratch: Path) -> Iterator[Path]:
    """A checkout of `revision` (its code and its configs), removed afterwards."""
    path = scratch / "base"
    _git("worktree", "add", "--detach", "--force", str(path), revision)
    try:
        imports = ROOT / "imports"
        if imports.is_dir() and not (path / "imports").exists():
            (path / "imports").symlink_to(imports)  # generated bindings are not in git
        yield path
    finally:
        _git("worktree", "remove", "--force", str(path))


def synthesize(checkout: Path, config_dir: Path, outdir: Path) -> dict[str, Any] | None:
    """Run `main.py` of `checkout` on `config_dir`; the infra stack's JSON (None: no fleet)."""
    if not config_dir.is_dir():
        return None
    env = {**os.environ, "PHOENIX_CONFIG_DIR": str(config_dir), "CDKTF_OUTDIR": str(outdir)}
    result = subprocess.run(
        [sys.executable, "main.py"],
        cwd=checkout,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if result.returncode != 0:
        raise ReviewError(f"{checkout} does not synthesize {config_dir}:\n{result.stderr.strip()}")
    stack = outdir / "stacks" / "infra" / "cdk.tf.json"
    parsed: dict[str, Any] = json.loads(stack.read_text(encoding="utf-8"))
    return parsed


def plan_change(
    terraform_binary: str, base: dict[str, Any] | None, head: dict[str, Any], scratch: Path
) -> dict[str, Any]:
    """Apply `base` into a scratch state on the stand-in, then plan `head` against it."""
    workdir = scratch / "terraform"
    workdir.mkdir(parents=True, exist_ok=True)
    terraform = Terraform(terraform_binary, scratch / "standin", world=scratch / "world.json")
    if base is not None:
        _write(workdir, _without_provisioners(base))
        terraform.init(workdir)
        progress("applying the base revision on the bpg/proxmox stand-in (scratch state)")
        terraform.apply(workdir)
    _write(workdir, head)
    terraform.init(workdir)
    progress("planning the working tree against it")
    return terraform.plan(workdir)


def _write(workdir: Path, stack: dict[str, Any]) -> None:
    """The stack with its state kept in `workdir`, whatever backend it names."""
    local = json.loads(json.dumps(stack))
    local.setdefault("terraform", {})["backend"] = {"local": {"path": "terraform.tfstate"}}
    (workdir / "cdk.tf.json").write_text(json.dumps(local), encoding="utf-8")


def _without_provisioners(stack: dict[str, Any]) -> dict[str, Any]:
    """The stack without resources that have provisioners: they would reach real guests over
    SSH (the gateway site). What they deliver is compared from the synthesized text instead."""
    kept: dict[str, Any] = json.loads(json.dumps(stack))
    for kind, resources in list(kept.get("resource", {}).items()):
        for name in [n for n, r in resources.items() if r.get("provisioner")]:
            del resources[name]
        if not resources:
            del kept["resource"][kind]
    return kept


def _git(*args: str) -> str:
    result = subprocess.run(
        ["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )
    if result.returncode != 0:
        raise ReviewError(f"git {' '.join(args)}: {result.stderr.strip()}")
    return result.stdout


def scratch_dir() -> Path:
    """A private scratch directory (removed by the caller)."""
    import tempfile

    return Path(tempfile.mkdtemp(prefix="phoenix-review-"))


def remove(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
