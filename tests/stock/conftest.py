"""Every stock test runs on SQLite and on PostgreSQL, with one native connection ``shop``."""

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from stationmaster.db import ensure_connection
from stationmaster.stores.native import NativeStore
from tests.stock.support import CONNECTION


@pytest.fixture
async def store(engine: AsyncEngine) -> NativeStore:
    async with engine.begin() as conn:
        await ensure_connection(conn, CONNECTION, mode="push", store_kind="native")
    return NativeStore(engine, CONNECTION, source="shop")
