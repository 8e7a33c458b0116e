"""Fixtures for the store tests: a native store on a migrated database (SQLite and PostgreSQL),
and a loopback port that never answers."""

import asyncio
from collections.abc import AsyncIterator

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
