"""Several ``stationmaster worker`` processes on one PostgreSQL, killed at random: nothing lost.

The emulator fleet holds one account per key; the workers share the keys through leases in
PostgreSQL. Workers are killed with SIGKILL in the middle of their turns and replaced, again
and again; at the end every order of every merchant is in its account exactly once, and no
key was ever asked for more than its limit in a window.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import anyio
import httpx2

from stationmaster import db
from stationmaster.emulator.fleet import SUMMARY_PATH
from stationmaster.stores.native import NativeStore
from stationmaster.testing.databases import pg_database, require_pg
from stationmaster.testing.factories import make_orders
from tests.served import free_port, wait_until_serving

ACCOUNTS = 6
ORDERS = 300  # three batches per key
LIMIT, WINDOW = 4, 1.0


def _config(path: Path, url: str, emulator_port: int) -> Path:
    lines = [
        f'[database]\nurl = "{url}"\n',
        "[worker]\nconcurrency = 2\nlease_seconds = 3\nturn_seconds = 1.5\n",
    ]
    for n in range(1, ACCOUNTS + 1):
        lines.append(
            f'[[connections]]\nname = "m{n}"\nsource = "m{n}"\npoll_seconds = 0.5\n'
            f'shipstation = {{ base_url = "http://127.0.0.1:{emulator_port}", '
            f'api_key_env = "KEY_{n}", api_secret_env = "SECRET_{n}", '
            f"limit = {LIMIT}, window_seconds = {WINDOW} }}\n"
        )
    config = path / "stationmaster.toml"
    config.write_text("\n".join(lines), encoding="utf-8")
    return config


async def _seed(url: str) -> None:
    engine = db.create_engine(url)
    try:
        await db.upgrade_async(engine)
        for n in range(1, ACCOUNTS + 1):
            async with engine.begin() as conn:
                await db.ensure_connection(conn, f"m{n}", mode="push", store_kind="native")
            store = NativeStore(engine, f"m{n}", source=f"m{n}")
            await store.ingest_many(make_orders(ORDERS, seed=n))
    finally:
        await engine.dispose()


def _worker(config: Path, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as sink:
        return subprocess.Popen(
            [sys.executable, "-m", "stationmaster", "worker", "--config", str(config)],
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )


def test_workers_share_the_keys_and_a_kill_9_loses_and_doubles_nothing(tmp_path: Path) -> None:
    require_pg()
    port = free_port()
    fleet = subprocess.Popen(
        [sys.executable, "-m", "stationmaster", "emulator", "--port", str(port),
         "--accounts", str(ACCOUNTS), "--limit", str(LIMIT), "--window-seconds", str(WINDOW)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    workers: list[subprocess.Popen[bytes]] = []
    try:
        wait_until_serving(port)
        with pg_database() as url:
            anyio.run(_seed, url)
            config = _config(tmp_path, url, port)
            env = dict(os.environ)
            for n in range(1, ACCOUNTS + 1):
                env[f"KEY_{n}"], env[f"SECRET_{n}"] = f"K{n}", f"S{n}"
            log = tmp_path / "workers.log"
            workers = [_worker(config, env, log) for _ in range(3)]
            rng = random.Random(7)
            summary_url = f"http://127.0.0.1:{port}{SUMMARY_PATH}"
            deadline = time.monotonic() + 240
            kills = 0
            while time.monotonic() < deadline:
                rows = httpx2.get(summary_url, timeout=5).json()
                if all(row["orders"] == ORDERS for row in rows):
                    break
                time.sleep(1.5)
                if kills < 3:
                    victim = workers.pop(rng.randrange(len(workers)))
                    victim.send_signal(signal.SIGKILL)
                    victim.wait(timeout=10)
                    workers.append(_worker(config, env, log))
                    kills += 1
            rows = httpx2.get(summary_url, timeout=5).json()
            assert kills == 3, "the workers finished before they could be killed"
            for row in rows:
                assert row["orders"] == ORDERS, (row, log.read_text()[-3000:])
                assert row["duplicate_order_keys"] == 0, row
                assert row["rate_limited"] == 0, row
                assert row["busiest_window"] <= LIMIT, row
    finally:
        for worker in workers:
            worker.send_signal(signal.SIGKILL)
            worker.wait(timeout=10)
        fleet.terminate()
        fleet.wait(timeout=10)
