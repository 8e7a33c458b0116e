"""Child processes for the benchmarks: started on 127.0.0.1, measured, and always stopped.

A benchmark that starts servers and workers must not leave them behind when it fails or is
interrupted, and must charge each process only for its own CPU time and memory. :class:`Child`
reads a running process's CPU seconds and memory from ``/proc``, and reaps it with
``os.wait4`` so its final figures come from the kernel's own accounting; :class:`Children`
stops every process it started when its block ends, however it ends.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

import httpx2

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
#: How long a process asked to stop (SIGTERM) may take before it is killed.
STOP_SECONDS = 15.0


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def proc_cpu_seconds(pid: int) -> float:
    """User plus system CPU seconds of a live process (``/proc/<pid>/stat``); 0 if gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text(encoding="ascii")
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    # The command name (field 2) may hold spaces; the fields after it are fixed.
    fields = text.rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def proc_memory_mb(pid: int, field_name: str) -> float:
    """A ``/proc/<pid>/status`` memory field (``VmRSS``, ``VmHWM``) in MB; 0 if gone."""
    try:
        lines = Path(f"/proc/{pid}/status").read_text(encoding="ascii").splitlines()
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    for line in lines:
        if line.startswith(f"{field_name}:"):
            return int(line.split()[1]) / 1024
    return 0.0


@dataclass
class Child:
    """One child process; its figures stay readable after it has been reaped."""

    name: str
    process: subprocess.Popen[bytes]
    #: CPU seconds and peak RSS (MB) from ``wait4`` once reaped.
    final_cpu: float | None = None
    final_peak_mb: float | None = None

    @property
    def pid(self) -> int:
        return self.process.pid

    def running(self) -> bool:
        """Whether it still runs (reaping it, figures kept, if it has ended)."""
        return self.process.returncode is None and not self._reap(block=False)

    def cpu_seconds(self) -> float:
        """CPU seconds so far: from ``/proc`` while it runs, from ``wait4`` once reaped."""
        if self.final_cpu is not None:
            return self.final_cpu
        return proc_cpu_seconds(self.pid)

    def rss_mb(self) -> float:
        return proc_memory_mb(self.pid, "VmRSS")

    def peak_rss_mb(self) -> float:
        """The high-water mark of its resident memory."""
        if self.final_peak_mb is not None:
            return self.final_peak_mb
        return proc_memory_mb(self.pid, "VmHWM")

    def wait(self, timeout: float | None = None) -> int:
        """Reap it, keeping its CPU and peak memory; its exit code.

        ``TimeoutError`` if it is still running after ``timeout`` seconds.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self._reap(block=deadline is None):
            if deadline is not None and time.monotonic() >= deadline:
                raise TimeoutError(f"{self.name} (pid {self.pid}) still running")
            time.sleep(0.05)
        assert self.process.returncode is not None
        return self.process.returncode

    def _reap(self, *, block: bool) -> bool:
        """``wait4`` it (not ``Popen.wait``, which drops the kernel's figures); ended?"""
        if self.process.returncode is not None:
            return True
        pid, status, usage = os.wait4(self.pid, 0 if block else os.WNOHANG)
        if pid != self.pid:
            return False
        self.final_cpu = usage.ru_utime + usage.ru_stime
        self.final_peak_mb = usage.ru_maxrss / 1024
        self.process.returncode = os.waitstatus_to_exitcode(status)
        return True

    def stop(self) -> None:
        """SIGTERM, then SIGKILL if it has not ended within :data:`STOP_SECONDS`."""
        if self.process.returncode is not None:
            return
        # os.kill, not Popen.send_signal: that one reaps a finished child and its figures.
        os.kill(self.pid, signal.SIGTERM)  # an unreaped child cannot be gone: no race
        try:
            self.wait(STOP_SECONDS)
        except TimeoutError:
            os.kill(self.pid, signal.SIGKILL)
            self.wait()


@dataclass
class Children(AbstractContextManager["Children"]):
    """The processes a run starts; every one still running is stopped when the block ends."""

    log_dir: Path
    started: list[Child] = field(default_factory=list)

    def start(
        self, name: str, args: Sequence[str], *, env: Mapping[str, str] | None = None
    ) -> Child:
        """``python -m stationmaster <args>``, its output in ``<log_dir>/<name>.log``."""
        log = self.log_dir / f"{name}.log"
        with log.open("ab") as sink:
            process = subprocess.Popen(
                [sys.executable, "-m", "stationmaster", *args],
                env=dict(env) if env is not None else None,
                stdin=subprocess.DEVNULL,
                stdout=sink,
                stderr=subprocess.STDOUT,
            )
        child = Child(name, process)
        self.started.append(child)
        return child

    def log_tail(self, name: str, chars: int = 2000) -> str:
        """The end of a child's log, for an error message."""
        path = self.log_dir / f"{name}.log"
        return path.read_text(encoding="utf-8", errors="replace")[-chars:] if path.exists() else ""

    def stop_all(self) -> None:
        """Stop every child, the last started first (workers before the emulator they use)."""
        for child in reversed(self.started):
            child.stop()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop_all()


def wait_until_serving(child: Child, port: int, *, seconds: float = 30.0) -> None:
    """Block until something answers HTTP on ``127.0.0.1:port``; fail if ``child`` died."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not child.running():
            raise RuntimeError(f"{child.name} exited with {child.process.returncode}")
        try:
            httpx2.get(f"http://127.0.0.1:{port}/", timeout=2)
            return
        except httpx2.TransportError:
            time.sleep(0.1)
    raise RuntimeError(f"{child.name} did not serve on port {port} within {seconds:.0f} s")
