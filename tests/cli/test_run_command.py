"""``stationmaster run``: web app and worker from a config file, against a served emulator."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx2

from stationmaster.testing.factories import make_order
from tests.served import free_port, served_emulator

TOKEN = "api-token-for-the-run-test-0123"
HOOK_TOKEN = "webhook-token-for-the-run-test-01"


def test_run_subscribes_webhooks_ingests_and_pushes(tmp_path: Path) -> None:
    web_port = free_port()
    with served_emulator() as ss_port:
        _check_run(tmp_path, ss_port, web_port)


def _check_run(tmp_path: Path, ss_port: int, web_port: int) -> None:
    config = tmp_path / "stationmaster.toml"
    config.write_text(
        f'[database]\nurl = "sqlite:///{tmp_path / "run.db"}"\n\n'
        f'[web]\nport = {web_port}\npublic_url = "https://hooks.example.com"\n\n'
        '[[connections]]\nname = "main"\nsource = "shop"\nstore = { kind = "native" }\n'
        'webhook_token_env = "MAIN_WEBHOOK_TOKEN"\npoll_seconds = 0.5\n'
        f'shipstation = {{ base_url = "http://127.0.0.1:{ss_port}", limit = 40, '
        "window_seconds = 2 }\n",
        encoding="utf-8",
    )
    env = dict(
        os.environ,
        SHIPSTATION_KEY="K",
        SHIPSTATION_SECRET="S",
        STATIONMASTER_API_TOKEN=TOKEN,
        MAIN_WEBHOOK_TOKEN=HOOK_TOKEN,
    )
    service = subprocess.Popen(
        [sys.executable, "-m", "stationmaster", "run", "--config", str(config)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        base = f"http://127.0.0.1:{web_port}"
        auth = {"Authorization": f"Bearer {TOKEN}"}
        order = make_order(1)
        body = json.loads(order.model_dump_json())
        deadline = time.monotonic() + 60
        stored = None
        while time.monotonic() < deadline and stored is None:
            try:
                stored = httpx2.put(
                    f"{base}/api/v1/connections/main/orders/{order.source_id}",
                    json=body,
                    headers=auth,
                    timeout=2,
                )
            except httpx2.TransportError:
                time.sleep(0.2)
        assert stored is not None and stored.status_code in (200, 201), stored
        pushed = 0
        while time.monotonic() < deadline and not pushed:
            time.sleep(0.3)
            status = httpx2.get(f"{base}/api/v1/status", headers=auth, timeout=2).json()
            pushed = status["connections"][0]["pushed"]
        assert pushed == 1
        hooks = httpx2.get(f"http://127.0.0.1:{ss_port}/webhooks", auth=("K", "S"), timeout=5)
        urls = {h["Url"] for h in hooks.json()["webhooks"]}
        assert urls == {f"https://hooks.example.com/webhooks/shipstation/main/{HOOK_TOKEN}"}
        assert len(hooks.json()["webhooks"]) == 3
    finally:
        service.send_signal(signal.SIGTERM)
        _, err = service.communicate(timeout=30)
    assert service.returncode == 0, err.decode()[-2000:]
    assert TOKEN.encode() not in err and HOOK_TOKEN.encode() not in err
