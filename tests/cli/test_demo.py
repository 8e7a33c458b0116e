"""``stationmaster demo``: orders flow into the emulator, the dashboard shows it, Ctrl-C stops."""

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
    dashboard_password = ""
    try:
        assert process.stdout is not None
        for _ in range(20):
            line = process.stdout.readline().decode()
            if "token" in line:
                token = line.rsplit(":", 1)[1].strip()
            if "dashboard:" in line:
                found = re.search(r"\(password (\S+)\)", line)
                assert found, line
                dashboard_password = found.group(1)
            if "Custom Store" in line:
                xml_line = line
                break
        assert token, "the demo did not print its API token"
        assert dashboard_password, "the demo did not print its dashboard password"
        match = re.search(r"(http\S+) \(user (\S+), password (\S+)\)", xml_line)
        assert match, xml_line
        xml_url, xml_user, xml_password = match.groups()
        auth = {"Authorization": f"Bearer {token}"}
        assert _first_answer(f"{base}/api/v1/status").status_code == 401
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
        with httpx2.Client(base_url=base, timeout=5) as browser:
            assert browser.get("/").status_code == 303  # the dashboard wants a login first
            form = browser.get("/login")
            csrf = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
            assert csrf, form.text
            login = browser.post(
                "/login", data={"csrf_token": csrf.group(1), "password": dashboard_password}
            )
            assert login.status_code == 303
            page = browser.get("/")
        assert page.status_code == 200 and ">demo<" in page.text
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
        assert export.text.count("<Order>") >= 100, "the Custom Store serves the seeded store"
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
        time.sleep(0.5)
        process.send_signal(signal.SIGINT)  # pressed twice: the loops still end cleanly
        _, err = process.communicate(timeout=30)
    assert process.returncode == 0, err.decode()[-2000:]
    assert b"Traceback" not in err, err.decode()[-2000:]
    assert (tmp_path / "stationmaster.db").exists()


def _first_answer(url: str) -> httpx2.Response:
    """The first answer from ``url`` once the server listens (it prints before it serves)."""
    deadline = time.monotonic() + 30
    while True:
        try:
            return httpx2.get(url, timeout=5)
        except httpx2.TransportError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
