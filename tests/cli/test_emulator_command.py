"""``stationmaster emulator`` serves the API on a real socket, with the key pair it is given."""

from __future__ import annotations

import subprocess
import sys

import httpx2
import pytest

from tests.served import free_port, wait_until_serving


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
        response = wait_until_serving(port)
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
