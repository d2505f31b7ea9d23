"""Run one build as a subprocess and measure wall time, CPU time and peak memory.

Peak memory is taken two ways: ru_maxrss from wait4 (the largest single process of the build,
children included, as getrusage(RUSAGE_CHILDREN) would give it) and the sum of the resident
sets of the build's whole process group, sampled every `interval` seconds (what the machine
actually had to hold while child processes, such as the chart worker, ran beside it). The
sampler also ends a build that runs past its timeout or holds more than `max_rss_mb`.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

PAGE = os.sysconf("SC_PAGE_SIZE")


@dataclass
class Measured:
    status: str            # ok, failed (exit N), timeout, memory
    wall: float            # seconds
    cpu: float             # user + system seconds of the build and its children
    maxrss_mb: float       # largest single process
    tree_mb: float         # sampled peak of the whole process group
    others: float          # cores kept busy by other processes meanwhile (shared machine)
    stdout: str


def busy_seconds() -> float:
    """CPU seconds the whole machine has spent busy (not idle or waiting) since boot."""
    with open("/proc/stat") as handle:
        ticks = [int(x) for x in handle.readline().split()[1:]]
    return (sum(ticks[:8]) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")


def group_rss(group: int) -> int:
    """Resident bytes of every process in process group `group`."""
    total = 0
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as handle:
                stat = handle.read()
        except OSError:
            continue
        fields = stat[stat.rindex(b")") + 2:].split()
        if int(fields[2]) == group:
            total += int(fields[21]) * PAGE
    return total


class _Watch(threading.Thread):
    """Samples the group's memory; kills the group past the time or memory cap."""

    def __init__(self, pid: int, timeout: float, max_bytes: float, interval: float) -> None:
        super().__init__(daemon=True)
        self.pid, self.timeout, self.max_bytes, self.interval = pid, timeout, max_bytes, interval
        self.peak, self.verdict = 0, ""
        self.done = threading.Event()

    def run(self) -> None:
        start = time.monotonic()
        while not self.done.wait(self.interval):
            rss = group_rss(self.pid)
            self.peak = max(self.peak, rss)
            if rss > self.max_bytes:
                self.verdict = "memory"
            elif time.monotonic() - start > self.timeout:
                self.verdict = "timeout"
            if self.verdict:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.pid, signal.SIGKILL)
                return


def run(cmd: list[str], log: Path, timeout: float = 600, max_rss_mb: float = 8000,
        interval: float = 0.2, cwd: Path | None = None,
        extra_env: dict[str, str] | None = None) -> Measured:
    """Run cmd in its own session; its stdout is returned and stdout+stderr go to `log`."""
    env = {k: v for k, v in os.environ.items() if k not in ("SITE_GEN_CACHE", "CI")}
    # extra_env may set SITE_GEN_CACHE again: each tool says where its cache lives
    env.update(extra_env or {})
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "wb") as err:
        err.write(("$ " + " ".join(cmd) + "\n").encode())
        err.flush()
        clock, busy = time.perf_counter(), busy_seconds()
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=err, cwd=cwd, env=env,
                                start_new_session=True)
        watch = _Watch(proc.pid, timeout, max_rss_mb * 2**20, interval)
        watch.start()
        chunks = []
        assert proc.stdout is not None
        for chunk in iter(lambda: proc.stdout.read(65536), b""):
            chunks.append(chunk)
        _, code, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - clock
        cpu = usage.ru_utime + usage.ru_stime
        others = max(0.0, busy_seconds() - busy - cpu) / wall
        proc.returncode = os.waitstatus_to_exitcode(code)
        watch.done.set()
        watch.join()
        out = b"".join(chunks).decode(errors="replace")
        err.write(out.encode())
    status = watch.verdict or ("ok" if proc.returncode == 0 else f"failed (exit {proc.returncode})")
    return Measured(status, wall, cpu, usage.ru_maxrss / 1024,
                    max(watch.peak, usage.ru_maxrss * 1024) / 2**20, others, out)
