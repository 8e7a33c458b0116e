"""SIGKILL during a sync, then restart: every order ends up in ShipStation exactly once.

The sync runs as the real command (``stationmaster sync push``) in a child process against the
emulator served on a real socket, and is killed at random moments: mid-detect, mid-request,
mid-commit. Whatever it had not recorded is sent again after the restart, and orderKey makes
that an update, never a twin.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import anyio
import httpx2

from stationmaster import db
from stationmaster.stores.native import NativeStore
from stationmaster.testing.factories import make_orders
from tests.served import served_emulator

ORDERS = 600


def remote_keys(port: int) -> Counter[str]:
    keys: Counter[str] = Counter()
    page = 1
    while True:
        listed = httpx2.get(
            f"http://127.0.0.1:{port}/orders",
            params={"page": page, "pageSize": 500},
            auth=("K", "S"),
            timeout=10,
        )
        listed.raise_for_status()
        body = listed.json()
        keys.update(o["orderKey"] for o in body["orders"])
        if page >= body["pages"]:
            return keys
        page += 1


async def seed(url: str) -> set[str]:
    engine = db.create_engine(url)
    try:
        await db.upgrade_async(engine)
        async with engine.begin() as conn:
            await db.ensure_connection(conn, "crash", mode="push", store_kind="native")
        store = NativeStore(engine, "crash", source="crash")
        orders = make_orders(ORDERS, seed=3)
        await store.ingest_many(orders)
        return {f"crash:{o.source_id}" for o in orders}
    finally:
        await engine.dispose()


def test_sigkill_at_random_points_loses_and_doubles_nothing(tmp_path: Path) -> None:
    with served_emulator(limit=40, window_seconds=1) as port:
        url = f"sqlite:///{tmp_path / 'crash.db'}"
        expected = anyio.run(seed, url)
        config = tmp_path / "stationmaster.toml"
        config.write_text(
            f'[database]\nurl = "{url}"\n\n[[connections]]\nname = "crash"\nsource = "crash"\n'
            f'store = {{ kind = "native" }}\nshipstation = {{ base_url = "http://127.0.0.1:{port}",'
            " limit = 40, window_seconds = 1 }\n",
            encoding="utf-8",
        )
        env = dict(os.environ, SHIPSTATION_KEY="K", SHIPSTATION_SECRET="S")
        command = [sys.executable, "-m", "stationmaster", "sync", "push", "--config", str(config)]
        rng = random.Random(20261122)
        kills = 0
        for _ in range(8):
            sync = subprocess.Popen(
                command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
            )
            time.sleep(rng.uniform(0.8, 2.5))
            if sync.poll() is None:
                sync.send_signal(signal.SIGKILL)
                kills += 1
            sync.wait(timeout=30)
        final = subprocess.run(command, env=env, capture_output=True, timeout=120, check=False)
        assert final.returncode == 0, final.stderr.decode()[-2000:]
        keys = remote_keys(port)
    assert kills >= 3, "the sync finished too fast to be killed; raise ORDERS"
    assert set(keys) == expected, f"lost: {len(expected - set(keys))}"
    assert max(keys.values()) == 1, "an order reached ShipStation twice"
