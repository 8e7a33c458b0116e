"""Fixtures for the store tests: a native store on a migrated database (SQLite and PostgreSQL)."""

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from stationmaster.db import ensure_connection
from stationmaster.stores.native import NativeStore


@pytest.fixture
async def native(engine: AsyncEngine) -> NativeStore:
    """The native store of a push connection named ``shop``, source slug ``shop``."""
    async with engine.begin() as conn:
        await ensure_connection(conn, "shop", mode="push", store_kind="native")
    return NativeStore(engine, "shop", source="shop")
