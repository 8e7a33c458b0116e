"""Real processes for the end-to-end tests: a free port, and the emulator served on it."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx2


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until_serving(port: int, auth: tuple[str, str] = ("K", "S")) -> httpx2.Response:
    """The first answer of ``GET /stores`` once the server is up (20 s at most)."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            return httpx2.get(f"http://127.0.0.1:{port}/stores", auth=auth, timeout=2)
        except httpx2.TransportError:
            time.sleep(0.1)
    raise AssertionError(f"nothing served on port {port} within 20 s")


@contextmanager
def served_emulator(limit: int = 40, window_seconds: float = 2.0) -> Iterator[int]:
    """``stationmaster emulator`` (key pair K:S) in a child process; yields its port."""
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "stationmaster",
            "emulator",
            "--port",
            str(port),
            "--api-key",
            "K",
            "--api-secret",
            "S",
            "--limit",
            str(limit),
            "--window-seconds",
            str(window_seconds),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until_serving(port)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=10)
