"""Bad input around a real Vendure server: down, wrong password, slow, one order broken.

Every failure is one clear StoreError (one line in the CLI), and nothing is lost: the feed's
cursor stays where it was, so the next pass picks up every order.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from stationmaster.emulator import Emulator, EmulatorConfig
from stationmaster.engine.runner import Runtime
from stationmaster.stores.vendure import VendureStore
from stationmaster.stores.vendure.graphql import (
    VendureAuthError,
    VendureTimeout,
    VendureUnavailable,
)
from stationmaster.testing.factories import make_order
from tests.served import free_port
from tests.stores.support import check_an_outage_keeps_the_cursor, push_with_cli
from tests.stores.vendure.conftest import PASSWORD_ENV, VendureServer
from tests.stores.vendure.shop import SUPERADMIN, Shop
from tests.stores.vendure.test_round_trip import runtime_for

pytestmark = pytest.mark.anyio


async def test_a_server_that_is_down_is_a_store_error_and_the_cursor_stays(
    vendure_server: VendureServer,
    shop: Shop,
    engine: AsyncEngine,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(PASSWORD_ENV, SUPERADMIN[1])
    emulator = Emulator(EmulatorConfig(api_key="k", api_secret="s", limit=None))
    dead = f"http://127.0.0.1:{free_port()}/admin-api"

    async def runtime_at(url: str | None) -> Runtime:
        moved = {"admin_api_url": url} if url else {}
        return await runtime_for(vendure_server, engine, emulator, **moved)

    await check_an_outage_keeps_the_cursor(
        runtime_at,
        shop,
        engine,
        emulator,
        dead_url=dead,
        error=VendureUnavailable,
        message=f"cannot reach Vendure at {dead}",
    )


async def test_wrong_credentials_are_one_clear_error(vendure_server: VendureServer) -> None:
    store = VendureStore(vendure_server.settings(), password="not-the-password")
    with pytest.raises(VendureAuthError) as caught:
        await store.changed_orders(None, 10)
    assert "INVALID_CREDENTIALS_ERROR" in str(caught.value)
    assert "not-the-password" not in str(caught.value)
    await store.aclose()


def test_wrong_credentials_in_the_cli_are_one_line_without_a_traceback(
    vendure_server: VendureServer, tmp_path: Path
) -> None:
    store = (
        f'{{ kind = "vendure", admin_api_url = "{vendure_server.admin_api_url}", '
        f'username = "superadmin", password_env = "{PASSWORD_ENV}" }}'
    )
    done = push_with_cli(tmp_path, store, {PASSWORD_ENV: "not-the-password"})
    output = done.stdout + done.stderr
    assert done.returncode == 2, output
    assert "Traceback" not in output
    assert "refused to log in user 'superadmin'" in output
    assert "INVALID_CREDENTIALS_ERROR" in output
    assert "not-the-password" not in output


async def test_a_slow_server_is_a_timeout_error(
    vendure_server: VendureServer, silent_port: int
) -> None:
    settings = vendure_server.settings(
        admin_api_url=f"http://127.0.0.1:{silent_port}/admin-api", timeout_seconds=0.3
    )
    store = VendureStore(settings, password=SUPERADMIN[1])
    with pytest.raises(VendureTimeout, match="did not answer in time"):
        await store.changed_orders(None, 10)
    await store.aclose()


async def test_an_order_that_breaks_the_list_costs_only_itself(
    vendure: VendureStore, shop: Shop
) -> None:
    """A line pointing at a missing variant makes Vendure fail the whole order list; the feed
    reads that page order by order and reports only the broken one."""
    start = (await vendure.changed_orders(None, 1000)).cursor
    ids = await shop.place_all([make_order(n, seed=5) for n in range(3)])
    await shop.spoil(ids[1], "missing-variant")
    batch = await vendure.changed_orders(start, 10)
    assert [order.source_id for order in batch.orders] == [ids[0], ids[2]]
    (broken,) = batch.unreadable
    assert broken.source_id == ids[1] and broken.number
    assert "reported" in broken.reason
    assert set(await vendure.orders_by_id(ids)) == {ids[0], ids[2]}
    after = await vendure.changed_orders(batch.cursor, 10)
    assert (after.orders, after.unreadable) == ([], [])
