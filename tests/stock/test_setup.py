"""Reconcilers from configuration, run by the service loop against the emulator's v2 API."""

import anyio
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from stationmaster.config import ConnectionConfig, Settings, StockConfig, StoreConfig
from stationmaster.db.tables import audit_log
from stationmaster.emulator import Emulator, EmulatorConfig
from stationmaster.emulator.v2config import V2Config
from stationmaster.engine.service import run_stock_reconciles
from stationmaster.errors import ConfigError
from stationmaster.stock.setup import open_reconciler, open_reconcilers
from stationmaster.stores.native import NativeStore
from tests.stock.support import CONNECTION, levels

pytestmark = pytest.mark.anyio

KEY_ENV = "SM_TEST_V2_KEY"


def _config(emulator: Emulator, **changes: object) -> ConnectionConfig:
    stock = StockConfig(
        inventory_api_key_env=KEY_ENV,
        inventory_base_url=emulator.base_url,
        jitter_seconds=0,
    )
    return ConnectionConfig(name=CONNECTION, source="shop", stock=stock).model_copy(update=changes)


@pytest.fixture
def emulator(monkeypatch: pytest.MonkeyPatch) -> Emulator:
    monkeypatch.setenv(KEY_ENV, "v2-key")
    return Emulator(EmulatorConfig(v2=V2Config(api_key="v2-key", limit=None)))


async def test_the_service_reconciles_each_configured_connection(
    store: NativeStore, engine: AsyncEngine, emulator: Emulator
) -> None:
    await store.adjust_stock("TEA", 1)
    emulator.set_inventory([{"sku": "TEA", "on_hand": 7}, {"sku": "NEW", "on_hand": 3}])
    quiet = ConnectionConfig(name="quiet")
    settings = Settings(connections=[_config(emulator), quiet])
    assert [r.connection for r in await open_reconcilers(settings, engine, owner="t")] == [
        CONNECTION
    ]
    stop = anyio.Event()
    async with anyio.create_task_group() as group:
        group.start_soon(
            lambda: run_stock_reconciles(
                settings, engine, owner="t", stop=stop, transport=emulator.transport()
            )
        )
        for _ in range(400):  # the first run is due at start-up (no jitter here)
            if await levels(engine) == {"TEA": 7, "NEW": 3}:
                break
            await anyio.sleep(0.05)
        stop.set()
    assert await levels(engine) == {"TEA": 7, "NEW": 3}
    async with engine.connect() as conn:
        calls = (await conn.execute(select(func.count()).select_from(audit_log))).scalar_one()
    assert calls >= 1  # every ShipStation call is in the audit log


async def test_settings_that_cannot_work_are_refused_up_front(
    engine: AsyncEngine, emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    vendure = _config(emulator, store=StoreConfig(kind="vendure"))
    with pytest.raises(ConfigError, match="'vendure' store cannot be held"):
        await open_reconciler(vendure, engine, owner="t")
    monkeypatch.delenv(KEY_ENV)
    with pytest.raises(ConfigError, match=f"set {KEY_ENV}"):
        await open_reconciler(_config(emulator), engine, owner="t")
    with pytest.raises(ConfigError, match="does not reconcile stock"):
        await open_reconciler(ConnectionConfig(name=CONNECTION), engine, owner="t")
