"""A connection wired to an in-process emulator, on each test database."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from stationmaster.config import ConnectionConfig, ShipStationConfig
from stationmaster.emulator import Emulator, EmulatorConfig
from stationmaster.engine.runner import Runtime, build_runtime
from stationmaster.shipstation import Credentials
from stationmaster.stores.native import NativeStore
from stationmaster.testing.plugin import FAST_RETRY


@dataclass
class Pushing:
    emulator: Emulator
    runtime: Runtime
    store: NativeStore
    engine: AsyncEngine

    def remote_keys(self) -> list[str]:
        return [o["orderKey"] for o in self.emulator.orders()]


async def wire(
    engine: AsyncEngine, emulator: Emulator, *, rules: dict[str, object] | None = None
) -> Pushing:
    config = ConnectionConfig(
        name="shop",
        source="shop",
        shipstation=ShipStationConfig(base_url=emulator.base_url),
        rules=rules or {},
    )
    runtime = await build_runtime(
        config,
        engine,
        owner="test-owner",
        credentials=Credentials("k", "s"),
        transport=emulator.transport(),
    )
    runtime.push.client.retry = FAST_RETRY
    store = runtime.push.store
    assert isinstance(store, NativeStore)
    return Pushing(emulator, runtime, store, engine)


@pytest.fixture
async def pushing(engine: AsyncEngine) -> Pushing:
    return await wire(engine, Emulator(EmulatorConfig(api_key="k", api_secret="s")))
