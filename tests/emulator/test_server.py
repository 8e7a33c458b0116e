"""serve(): the emulator over real HTTP on 127.0.0.1, started in a thread and stopped again."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx2
import pytest

from stationmaster.emulator import EmulatorConfig, EmulatorServer, serve
from tests.emulator.helpers import new_order

KEY, SECRET = "served-key-123", "served-secret-456"
STARTUP_SECONDS = 10.0


class Receiver:
    def __init__(self) -> None:
        self.payloads: list[Any] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        self.payloads.append(json.loads((await receive())["body"]))
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})


@pytest.fixture
def receiver() -> Receiver:
    return Receiver()


@pytest.fixture
def served(receiver: Receiver) -> Iterator[EmulatorServer]:
    config = EmulatorConfig(
        api_key=KEY,
        api_secret=SECRET,
        webhook_delay_seconds=0,
        webhook_transport=httpx2.ASGITransport(app=receiver),
    )
    server = EmulatorServer(config, host="127.0.0.1", port=0, log_level="warning")
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + STARTUP_SECONDS
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.started, "the emulator server did not start in time"
    try:
        yield server
    finally:
        server.stop()
        thread.join(timeout=STARTUP_SECONDS)
        assert not thread.is_alive(), "the emulator server did not stop"


def test_server_answers_over_http(served: EmulatorServer) -> None:
    assert served.port and served.emulator.base_url == f"http://127.0.0.1:{served.port}"
    with httpx2.Client(base_url=served.emulator.base_url, auth=(KEY, SECRET), timeout=5) as c:
        response = c.get("/stores")
        assert response.status_code == 200
        assert response.json()[0]["storeName"] == "ShipStation Manual Store"
        assert response.headers["X-Rate-Limit-Remaining"] == "39"
        assert c.get("/stores", auth=(KEY, "wrong")).status_code == 401


def test_served_drop_really_closes_the_connection(served: EmulatorServer) -> None:
    with httpx2.Client(base_url=served.emulator.base_url, auth=(KEY, SECRET), timeout=5) as c:
        c.post("/_emulator/faults", json={"kind": "drop"})
        with pytest.raises((httpx2.RemoteProtocolError, httpx2.ReadError)):
            c.get("/stores")
        assert c.get("/stores").status_code == 200


def test_served_emulator_delivers_webhooks_by_itself(
    served: EmulatorServer, receiver: Receiver
) -> None:
    with httpx2.Client(base_url=served.emulator.base_url, auth=(KEY, SECRET), timeout=5) as c:
        c.post(
            "/webhooks/subscribe", json={"target_url": "http://r.test/", "event": "ORDER_NOTIFY"}
        )
        c.post("/orders/createorder", json=new_order())
        deadline = time.monotonic() + 30
        while not receiver.payloads and time.monotonic() < deadline:
            time.sleep(0.05)
        assert receiver.payloads, "no webhook was delivered"
        url = receiver.payloads[0]["resource_url"]
        assert url.startswith(served.emulator.base_url + "/orders?storeID=310554&importBatch=")
        assert c.get(url).json()["total"] == 1


def test_serve_logs_where_but_never_the_key_pair(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="stationmaster.emulator")
    server = EmulatorServer(
        EmulatorConfig(api_key=KEY, api_secret=SECRET), port=0, log_level="warning"
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + STARTUP_SECONDS
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    server.stop()
    thread.join(timeout=STARTUP_SECONDS)
    text = caplog.text
    assert f"http://127.0.0.1:{server.port}" in text or "serving http://127.0.0.1:" in text
    assert KEY not in text and SECRET not in text


def test_serve_runs_until_stopped() -> None:
    started: list[EmulatorServer] = []
    config = EmulatorConfig(api_key=KEY, api_secret=SECRET)
    thread = threading.Thread(
        target=serve,
        args=(config, "127.0.0.1", 0),
        kwargs={"on_started": started.append},
        daemon=True,
    )
    thread.start()
    deadline = time.monotonic() + STARTUP_SECONDS
    while not started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert started, "serve() did not start in time"
    try:
        with httpx2.Client(
            base_url=started[0].emulator.base_url, auth=(KEY, SECRET), timeout=5
        ) as c:
            assert c.get("/stores").status_code == 200
    finally:
        started[0].stop()
        thread.join(timeout=STARTUP_SECONDS)
    assert not thread.is_alive()
