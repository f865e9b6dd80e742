"""Two runs on one machine share the fleet's fixed SSH port by taking turns."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from rehearsal.ssh import Agent, GuestSshd

HOST = "127.0.0.231"  # no fleet address maps here, so no other test serves it


def test_a_second_sshd_on_the_same_fixed_port_waits_for_the_first(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    with Agent(tmp_path / "agent") as agent:
        first = GuestSshd([HOST], agent.public_key, port=22)
        second = GuestSshd([HOST], agent.public_key, port=22)
        started = threading.Event()

        def run_second() -> None:
            with second:
                started.set()

        try:
            first.__enter__()
        except PermissionError:
            pytest.skip("port 22 needs root")
        waiting = threading.Thread(target=run_second, daemon=True)
        try:
            waiting.start()
            # GIVEN the second one has announced that it waits
            for _ in range(600):
                if "waiting for another run's stand-in sshd" in capfd.readouterr().err:
                    break
                waiting.join(timeout=0.1)
            else:
                pytest.fail("the second sshd neither waited nor said so")
            # THEN it has not started while the first one serves the port
            assert not started.is_set()
        finally:
            first.__exit__(None, None, None)
        # WHEN the first one stops, THEN the second one starts on the same port
        waiting.join(timeout=60)
        assert started.is_set()
