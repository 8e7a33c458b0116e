"""Fixtures for the dashboard's route tests: an app on the test database, a logged-in client."""

from collections.abc import AsyncIterator

import httpx2
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from stationmaster import db
from tests.web.dashboard.support import NOW, client_for, log_in, make_app


@pytest.fixture
async def shop(engine: AsyncEngine) -> AsyncEngine:
    """The test database with one push connection, ``shop``."""
    async with engine.begin() as conn:
        await db.ensure_connection(conn, "shop", mode="push", store_kind="native", now=NOW)
    return engine


@pytest.fixture
async def client(shop: AsyncEngine) -> AsyncIterator[httpx2.AsyncClient]:
    """A client of a dashboard whose clock stands at ``NOW``, not logged in."""
    async with client_for(make_app(shop, now=NOW)) as http:
        yield http


@pytest.fixture
async def logged_in(client: httpx2.AsyncClient) -> httpx2.AsyncClient:
    answer = await log_in(client)
    assert answer.status_code == 303, answer.text
    return client
