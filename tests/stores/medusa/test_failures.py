"""Bad input around the connector: a server that is down or silent, wrong credentials.

Every failure is one clear StoreError (one line in the CLI), and nothing is lost: the feed's
cursor stays where it was, so the next pass picks up every order. The tests marked by their
``medusa_server`` fixture need the real server (``STATIONMASTER_MEDUSA=1``); the others run
against closed or silent local ports.
"""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from stationmaster import db
from stationmaster.emulator import Emulator, EmulatorConfig
from stationmaster.engine.runner import run_pass
from stationmaster.stores.medusa import MedusaSettings, MedusaStore
from stationmaster.stores.medusa.rest import MedusaTimeout, MedusaUnavailable
from stationmaster.sync.push import ORDERS_STREAM
from stationmaster.testing.factories import make_order
from tests.served import free_port
from tests.stores.medusa.conftest import ADMIN_EMAIL, PASSWORD_ENV, MedusaServer
from tests.stores.medusa.shop import Shop
from tests.stores.medusa.test_round_trip import runtime_for

#: The first test also waits for the run's server: an install, migrations and a start.
pytestmark = [pytest.mark.anyio, pytest.mark.timeout(1200)]


def store_at(base_url: str, timeout: float = 5.0) -> MedusaStore:
    settings = MedusaSettings(base_url=base_url, email=ADMIN_EMAIL, timeout_seconds=timeout)
    return MedusaStore(settings, email=ADMIN_EMAIL, password="secret")


async def test_a_server_that_is_down_is_one_clear_store_error() -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    store = store_at(dead)
    with pytest.raises(MedusaUnavailable, match=re.escape(f"cannot reach Medusa at {dead}")):
        await store.changed_orders(None, 10)
    await store.aclose()


@pytest.fixture
async def silent_port() -> AsyncIterator[int]:
    """A loopback port that accepts connections and never answers."""
    held: list[asyncio.StreamWriter] = []

    async def accept(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)

    server = await asyncio.start_server(accept, "127.0.0.1", 0)
    port = int(server.sockets[0].getsockname()[1])
    yield port
    for writer in held:
        writer.close()
    server.close()
    await server.wait_closed()


async def test_a_slow_server_is_a_timeout_error(silent_port: int) -> None:
    store = store_at(f"http://127.0.0.1:{silent_port}", timeout=0.3)
    with pytest.raises(MedusaTimeout, match="did not answer POST /auth/user/emailpass in time"):
        await store.changed_orders(None, 10)
    await store.aclose()


async def test_a_pass_against_a_server_gone_down_keeps_the_cursor(
    medusa_server: MedusaServer,
    shop: Shop,
    engine: AsyncEngine,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(PASSWORD_ENV, medusa_server.password)
    emulator = Emulator(EmulatorConfig(api_key="k", api_secret="s", limit=None))
    up = await runtime_for(medusa_server, engine, emulator)
    await shop.place_all([make_order(1, seed=3)])
    await run_pass(up)
    async with engine.connect() as conn:
        cursor = await db.get_cursor(conn, "medusa", ORDERS_STREAM)
    (later,) = await shop.place_all([make_order(2, seed=3)])

    dead = f"http://127.0.0.1:{free_port()}"
    down = await runtime_for(medusa_server, engine, emulator, base_url=dead)
    with pytest.raises(MedusaUnavailable, match=re.escape(f"cannot reach Medusa at {dead}")):
        await run_pass(down)
    async with engine.connect() as conn:
        assert await db.get_cursor(conn, "medusa", ORDERS_STREAM) == cursor

    await run_pass(up)
    assert f"medusa:{later}" in {order["orderKey"] for order in emulator.orders()}
    for runtime in (up, down):
        assert isinstance(runtime.push.store, MedusaStore)
        await runtime.push.store.aclose()


def test_wrong_credentials_in_the_cli_are_one_line_without_a_traceback(
    medusa_server: MedusaServer, tmp_path: Path
) -> None:
    config = tmp_path / "stationmaster.toml"
    config.write_text(
        f'[database]\nurl = "sqlite:///{tmp_path / "sm.db"}"\n\n'
        '[[connections]]\nname = "shop"\n'
        f'store = {{ kind = "medusa", base_url = "{medusa_server.base_url}", '
        f'email = "{ADMIN_EMAIL}", password_env = "{PASSWORD_ENV}" }}\n'
        f'shipstation = {{ base_url = "http://127.0.0.1:{free_port()}" }}\n',
        encoding="utf-8",
    )
    env = dict(
        os.environ,
        SHIPSTATION_KEY="K",
        SHIPSTATION_SECRET="S",
        COLUMNS="300",  # the console wraps at its width; the message must fit one line
        **{PASSWORD_ENV: "not-the-password"},
    )
    done = subprocess.run(
        [sys.executable, "-m", "stationmaster", "sync", "push", "--config", str(config)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 2, output
    assert "Traceback" not in output
    (line,) = [line for line in output.splitlines() if "refused the login" in line]
    assert line.startswith("error: Medusa at ")
    assert f"of admin user '{ADMIN_EMAIL}': unauthorized: Invalid email or password" in line
    assert "not-the-password" not in output
