"""``stationmaster demo``: orders flow into the emulator, the status page shows it, Ctrl-C stops."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx2

from tests.served import free_port


def test_demo_pushes_seeded_orders_and_stops_cleanly(tmp_path: Path) -> None:
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "stationmaster",
            "demo",
            "--port",
            str(port),
            "--orders",
            "150",
            "--workdir",
            str(tmp_path),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    token = ""
    xml_line = ""
    try:
        assert process.stdout is not None
        for _ in range(20):
            line = process.stdout.readline().decode()
            if "token" in line:
                token = line.rsplit(":", 1)[1].strip()
            if "Custom Store" in line:
                xml_line = line
                break
        assert token, "the demo did not print its API token"
        match = re.search(r"(http\S+) \(user (\S+), password (\S+)\)", xml_line)
        assert match, xml_line
        xml_url, xml_user, xml_password = match.groups()
        auth = {"Authorization": f"Bearer {token}"}
        assert httpx2.get(f"{base}/api/v1/status", timeout=5).status_code == 401
        deadline = time.monotonic() + 90
        pushed = 0
        while time.monotonic() < deadline and pushed < 150:
            time.sleep(0.5)
            try:
                status = httpx2.get(f"{base}/api/v1/status", headers=auth, timeout=2).json()
            except (httpx2.TransportError, ValueError):
                continue
            pushed = status["connections"][0]["pushed"]
        assert pushed >= 150, f"only {pushed} orders pushed"
        tracked = 0
        while time.monotonic() < deadline and tracked == 0:
            time.sleep(0.5)
            status = httpx2.get(f"{base}/api/v1/status", headers=auth, timeout=2).json()
            tracked = status["connections"][0]["tracked"]
        assert tracked > 0, "no tracking came back from the emulated warehouse"
        page = httpx2.get(f"{base}/", timeout=5)
        assert page.status_code == 200 and "demo" in page.text
        export = httpx2.get(
            xml_url,
            params={
                "action": "export",
                "start_date": "01/01/2000 00:00",
                "end_date": "12/31/2099 00:00",
            },
            auth=(xml_user, xml_password),
            timeout=10,
        )
        assert export.status_code == 200 and "<Orders" in export.text
        assert httpx2.get(xml_url, params={"action": "export"}, timeout=5).status_code == 401
        remote = httpx2.get(
            f"{base}/shipstation/orders",
            params={"pageSize": 500},
            auth=("demo-key", "demo-secret"),
            timeout=5,
        ).json()
        assert remote["total"] >= 150
    finally:
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=30)
    assert process.returncode == 0, err.decode()[-2000:]
    assert (tmp_path / "stationmaster.db").exists()
