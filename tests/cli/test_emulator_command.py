"""``stationmaster emulator`` serves the API on a real socket, with the key pair it is given,
or a fleet of accounts (``--accounts N``, even N = 1) with numbered key pairs."""

from __future__ import annotations

import subprocess
import sys

import httpx2
import pytest

from stationmaster.emulator.fleet import SUMMARY_PATH
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


def test_a_fleet_of_one_is_a_fleet() -> None:
    port = free_port()
    command = [sys.executable, "-m", "stationmaster", "emulator", "--port", str(port)]
    process = subprocess.Popen(
        [*command, "--accounts", "1"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        assert wait_until_serving(port, auth=("K1", "S1")).status_code == 200
        plain = httpx2.get(f"http://127.0.0.1:{port}/stores", auth=("K", "S"), timeout=2)
        assert plain.status_code == 401
        summary = httpx2.get(f"http://127.0.0.1:{port}{SUMMARY_PATH}", timeout=2)
        assert [(row["account"], row["calls"]) for row in summary.json()] == [(1, 1)]
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.mark.parametrize("args", [["--port", "notaport"], ["--limit", "0"], ["--accounts", "0"]])
def test_emulator_command_refuses_bad_options(args: list[str]) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "stationmaster", "emulator", *args],
        capture_output=True,
        timeout=30,
        check=False,
    )
    assert result.returncode != 0
