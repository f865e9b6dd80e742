"""Run a command as a cold child process and measure its wall time and peak memory.

Two memory figures, because a cdktf app is two processes (Python and the jsii kernel in Node.js):

- `max_rss_kib`: the kernel's own peak RSS of the largest single process of the tree, from
  `os.wait4`'s rusage (the same number `/usr/bin/time -f %M` prints);
- `tree_peak_kib`: the peak of the *sum* of RSS over the whole tree, sampled from /proc every
  `SAMPLE_S` (so a very short spike can be missed; it is a lower bound of the true peak).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

SAMPLE_S = 0.02
_PAGE_KIB = os.sysconf("SC_PAGE_SIZE") // 1024


class CommandFailedError(RuntimeError):
    """The measured command exited non-zero or timed out; the message quotes its stderr tail."""


@dataclass(frozen=True)
class RunResult:
    """One measured run."""

    wall_s: float
    max_rss_kib: int
    tree_peak_kib: int
    returncode: int
    stdout: str
    stderr: str


def _children(pid: int) -> list[int]:
    kids: list[int] = []
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            text = (task / "children").read_text()
            kids.extend(int(part) for part in text.split())
    except OSError:
        pass  # the process exited meanwhile
    return kids


def _rss_kib(pid: int) -> int:
    try:
        fields = Path(f"/proc/{pid}/statm").read_text().split()
    except OSError:
        return 0
    return int(fields[1]) * _PAGE_KIB


def tree_rss_kib(root: int) -> int:
    """Sum of the resident set sizes of `root` and all its descendants right now."""
    total, pending, seen = 0, [root], set()
    while pending:
        pid = pending.pop()
        if pid in seen:
            continue
        seen.add(pid)
        total += _rss_kib(pid)
        pending.extend(_children(pid))
    return total


class _Sampler(threading.Thread):
    """Polls the tree's total RSS until stopped; keeps the maximum."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.peak = 0
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.is_set():
            self.peak = max(self.peak, tree_rss_kib(self.pid))
            self._stop_event.wait(SAMPLE_S)

    def stop(self) -> None:
        self._stop_event.set()
        self.join()


def run_cold(
    command: Sequence[str],
    *,
    env: Mapping[str, str],
    cwd: Path,
    timeout_s: float,
    check: bool = True,
) -> RunResult:
    """Run `command` once in a new process (group) and measure it.

    The process group is killed after `timeout_s`, so a hung child never stalls the benchmark.
    """
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        process = subprocess.Popen(
            list(command),
            cwd=cwd,
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err,
            start_new_session=True,
        )
        sampler = _Sampler(process.pid)
        sampler.start()
        timer = threading.Timer(timeout_s, _kill_group, args=(process.pid,))
        timer.start()
        try:
            # wait4, not Popen.wait: its rusage is this child's (and its reaped children's).
            _, status, usage = os.wait4(process.pid, 0)
        finally:
            timer.cancel()
            sampler.stop()
        wall = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        result = RunResult(
            wall_s=wall,
            max_rss_kib=int(usage.ru_maxrss),
            tree_peak_kib=sampler.peak,
            returncode=process.returncode,
            stdout=out.read().decode("utf-8", "replace"),
            stderr=err.read().decode("utf-8", "replace"),
        )
    if check and result.returncode != 0:
        tail = "\n".join(result.stderr.strip().splitlines()[-15:])
        raise CommandFailedError(
            f"{' '.join(command)} exited {result.returncode} after {wall:.1f} s:\n{tail}"
        )
    return result


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)


def scratch_dir(prefix: str) -> Path:
    """A fresh temporary directory (the caller removes it)."""
    return Path(tempfile.mkdtemp(prefix=prefix))
