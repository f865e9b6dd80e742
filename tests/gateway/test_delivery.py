"""install_commands, run by sh the way remote-exec runs `inline`, against stub nginx/systemctl.

The script runs with a PATH holding only the stubs and the few coreutils it needs, on files
under tmp_path, so what it would do in the container is observable without root.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from gateway import SITE_PATH, STAGED_PATH, install_commands, render_site, site_sha256

from .sites import reference_site

NEW_SITE = render_site(reference_site())
OLD_SITE = "# the site deployed last time\n"
TOOLS = ("sh", "sha256sum", "install", "cp", "mv", "rm", "cat")

STUB_NGINX = """#!/bin/sh
echo "nginx $*" >> "$STUB_LOG"
[ "$1" = "-t" ] && exit "$STUB_NGINX_T_EXIT"
exit 0
"""
STUB_SYSTEMCTL = """#!/bin/sh
echo "systemctl $*" >> "$STUB_LOG"
"""
# 'apt-get install' provides nginx, as the real package would.
STUB_APT_GET = """#!/bin/sh
echo "apt-get $*" >> "$STUB_LOG"
case "$*" in *install*) cp "$STUB_DIR/nginx.pkg" "$STUB_DIR/nginx" ;; esac
"""


@dataclass
class Container:
    """A fake container: its files live under ``root``; stubs log to ``log``."""

    root: Path
    stubs: Path
    tools: Path
    log: Path

    @property
    def site(self) -> Path:
        return self.root / "conf.d" / "phoenix-gateway.conf"

    @property
    def previous(self) -> Path:
        return self.root / "conf.d" / "phoenix-gateway.conf.previous"

    @property
    def default_site(self) -> Path:
        return self.root / "sites-enabled" / "default"

    @property
    def staged(self) -> Path:
        return self.root / "tmp" / "phoenix-gateway.conf.new"

    def calls(self) -> list[str]:
        return self.log.read_text().splitlines() if self.log.exists() else []

    def run(self, sha256: str, *, nginx_t_exit: int = 0) -> subprocess.CompletedProcess[str]:
        commands = install_commands(
            sha256=sha256,
            staged_path=str(self.staged),
            site_path=str(self.site),
            default_site_path=str(self.default_site),
        )
        script = self.root / "terraform_inline.sh"
        script.write_text("\n".join(commands) + "\n")  # what remote-exec uploads and runs
        env = {
            "PATH": f"{self.stubs}{os.pathsep}{self.tools}",
            "STUB_LOG": str(self.log),
            "STUB_DIR": str(self.stubs),
            "STUB_NGINX_T_EXIT": str(nginx_t_exit),
        }
        return subprocess.run(
            [str(self.tools / "sh"), str(script)],
            env=env,
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )


def _executable(path: Path, text: str) -> None:
    path.write_text(text)
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)


@pytest.fixture
def container(tmp_path: Path) -> Container:
    root, stubs, tools = tmp_path / "root", tmp_path / "stubs", tmp_path / "tools"
    for directory in (root / "conf.d", root / "sites-enabled", root / "tmp", stubs, tools):
        directory.mkdir(parents=True)
    for tool in TOOLS:
        found = shutil.which(tool)
        assert found is not None, f"{tool} is needed to run the install commands"
        (tools / tool).symlink_to(found)
    _executable(stubs / "nginx.pkg", STUB_NGINX)
    _executable(stubs / "nginx", STUB_NGINX)
    _executable(stubs / "systemctl", STUB_SYSTEMCTL)
    _executable(stubs / "apt-get", STUB_APT_GET)
    box = Container(root=root, stubs=stubs, tools=tools, log=tmp_path / "calls.log")
    box.default_site.write_text("server { listen 80 default_server; }\n")
    box.site.write_text(OLD_SITE)
    box.staged.write_text(NEW_SITE)  # what the file provisioner uploaded
    return box


def test_commands_are_plain_shell_lines_that_stop_at_the_first_failure() -> None:
    commands = install_commands(sha256=site_sha256(NEW_SITE))
    # remote-exec runs `inline` as one script and otherwise reports only its last command.
    assert commands[0] == "set -eu"
    assert all(isinstance(line, str) and "\n" not in line for line in commands)
    joined = "\n".join(commands)
    assert f"{site_sha256(NEW_SITE)}  {STAGED_PATH}" in joined
    assert f"install -m 0644 {STAGED_PATH} {SITE_PATH}" in joined
    assert commands[-1] == "systemctl reload-or-restart nginx"


def test_site_sha256_is_the_hex_digest_of_the_utf8_text() -> None:
    assert site_sha256("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert site_sha256(NEW_SITE) == site_sha256(render_site(reference_site()))


def test_installs_the_site_tests_it_and_reloads(container: Container) -> None:
    done = container.run(site_sha256(NEW_SITE))
    assert done.returncode == 0, done.stderr
    assert container.site.read_text() == NEW_SITE
    assert not container.default_site.exists()
    assert not container.previous.exists()
    assert not container.staged.exists()
    assert container.calls() == [
        "nginx -t",
        "systemctl enable --quiet nginx",
        "systemctl reload-or-restart nginx",
    ]


def test_installs_nginx_first_when_the_container_has_none(container: Container) -> None:
    (container.stubs / "nginx").unlink()
    container.site.unlink()
    done = container.run(site_sha256(NEW_SITE))
    assert done.returncode == 0, done.stderr
    assert container.calls() == [
        "apt-get update -q",
        "apt-get install -y -q --no-install-recommends nginx",
        "nginx -t",
        "systemctl enable --quiet nginx",
        "systemctl reload-or-restart nginx",
    ]
    assert container.site.read_text() == NEW_SITE


def test_fails_when_the_upload_does_not_match_its_checksum(container: Container) -> None:
    container.staged.write_text(NEW_SITE[:100])  # a truncated upload
    done = container.run(site_sha256(NEW_SITE))
    assert done.returncode != 0
    assert "FAILED" in done.stdout + done.stderr
    assert container.site.read_text() == OLD_SITE
    assert container.default_site.exists()
    assert container.calls() == []


def test_fails_when_nginx_rejects_the_site_and_puts_the_previous_one_back(
    container: Container,
) -> None:
    done = container.run(site_sha256(NEW_SITE), nginx_t_exit=1)
    assert done.returncode == 1
    assert "nginx -t rejected the new gateway site" in done.stderr
    assert container.site.read_text() == OLD_SITE
    assert not container.previous.exists()
    assert container.calls() == ["nginx -t"]  # no reload


def test_fails_when_nginx_rejects_a_first_site_and_removes_it(container: Container) -> None:
    container.site.unlink()
    done = container.run(site_sha256(NEW_SITE), nginx_t_exit=1)
    assert done.returncode == 1
    assert not container.site.exists()
    assert container.calls() == ["nginx -t"]


@pytest.mark.parametrize("sha256", ["", "ABC", "0" * 63, "g" * 64, "A" * 64])
def test_fails_when_sha256_is_not_64_lower_case_hex_digits(sha256: str) -> None:
    with pytest.raises(ValueError, match="is not 64 lower-case hex digits"):
        install_commands(sha256=sha256)


def test_fails_when_a_path_is_relative() -> None:
    with pytest.raises(ValueError, match=r"site_path 'x\.conf' must be an absolute path"):
        install_commands(sha256="0" * 64, site_path="x.conf")


def test_paths_with_spaces_are_quoted() -> None:
    commands = install_commands(sha256="0" * 64, staged_path="/tmp/a b.conf")
    assert "install -m 0644 '/tmp/a b.conf' /etc/nginx/conf.d/phoenix-gateway.conf" in commands
