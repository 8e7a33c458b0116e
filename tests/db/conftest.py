"""Fixtures for the state tests: every test runs on SQLite and on PostgreSQL.

The fixtures live in :mod:`stationmaster.testing.databases` so other test directories (and
users' own tests) can load the same ones as a pytest plugin.
"""

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from stationmaster.db import ensure_connection
from stationmaster.testing.databases import (
    _stationmaster_db_templates,
    db_kind,
    db_url,
    empty_db_url,
    engine,
)
from tests.db.support import T0

__all__ = ["_stationmaster_db_templates", "db_kind", "db_url", "empty_db_url", "engine"]


@pytest.fixture
async def shop(engine: AsyncEngine) -> str:
    """A push connection named ``shop`` on a migrated database."""
    async with engine.begin() as conn:
        await ensure_connection(conn, "shop", mode="push", store_kind="native", now=T0)
    return "shop"
