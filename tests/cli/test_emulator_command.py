"""``stationmaster emulator`` serves the API on a real socket, with the key pair it is given."""

from __future__ import annotations

import socket
import subprocess
import sys
import time

import httpx2
import pytest


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_emulator_command_serves_stores_with_basic_auth() -> None:
    port = free_port()
    command = [
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
        "5",
        "--window-seconds",
        "2",
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 20
        response = None
        while time.monotonic() < deadline:
            try:
                response = httpx2.get(f"http://127.0.0.1:{port}/stores", auth=("K", "S"), timeout=2)
                break
            except httpx2.TransportError:
                time.sleep(0.1)
        assert response is not None, "the emulator did not start within 20 s"
        assert response.status_code == 200
        assert response.json()[0]["storeId"]
        assert response.headers["X-Rate-Limit-Limit"] == "5"
        wrong = httpx2.get(f"http://127.0.0.1:{port}/stores", auth=("K", "nope"), timeout=2)
        assert wrong.status_code == 401
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=10)
    assert b"nope" not in output


@pytest.mark.parametrize("args", [["--port", "notaport"], ["--limit", "0"]])
def test_emulator_command_refuses_bad_options(args: list[str]) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "stationmaster", "emulator", *args],
        capture_output=True,
        timeout=30,
        check=False,
    )
    assert result.returncode != 0
