"""Connections and cursors: created from config, sync start set once, cursors per stream."""

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from stationmaster.db import (
    InvalidStateInput,
    NaiveDatetimeError,
    SyncStartImmutable,
    UnknownConnection,
    ensure_connection,
    get_connection,
    get_cursor,
    list_connections,
    set_cursor,
    set_sync_start,
)
from tests.db.support import T0, at

pytestmark = pytest.mark.anyio


async def test_ensure_connection_creates_then_follows_the_config(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        created = await ensure_connection(
            conn, "main", mode="push", store_kind="native", settings={"store_id": 1}, now=T0
        )
        await set_sync_start(conn, "main", at(-86400))
        updated = await ensure_connection(
            conn, "main", mode="pull", store_kind="oscar", settings={"store_id": 2}, now=at(60)
        )
    assert (created.mode, created.settings, created.created_at) == ("push", {"store_id": 1}, T0)
    assert (updated.mode, updated.store_kind, updated.settings) == (
        "pull",
        "oscar",
        {"store_id": 2},
    )
    assert updated.created_at == T0
    assert updated.updated_at == at(60)
    assert updated.sync_start == at(-86400)


@pytest.mark.parametrize(
    ("name", "mode", "kind"), [("", "push", "native"), ("x", "both", "native"), ("x", "push", "")]
)
async def test_bad_connections_are_refused(
    engine: AsyncEngine, name: str, mode: str, kind: str
) -> None:
    async with engine.begin() as conn:
        with pytest.raises(InvalidStateInput):
            await ensure_connection(conn, name, mode=mode, store_kind=kind)  # type: ignore[arg-type]
        assert await list_connections(conn) == []


async def test_sync_start_is_set_once_and_never_moves(engine: AsyncEngine, shop: str) -> None:
    async with engine.begin() as conn:
        assert await set_sync_start(conn, shop, T0) == T0
        assert await set_sync_start(conn, shop, T0) == T0  # the same value again is fine
        with pytest.raises(SyncStartImmutable, match="cannot change"):
            await set_sync_start(conn, shop, at(1))
        found = await get_connection(conn, shop)
    assert found is not None
    assert found.sync_start == T0


async def test_sync_start_needs_an_aware_time_and_a_known_connection(
    engine: AsyncEngine, shop: str
) -> None:
    async with engine.begin() as conn:
        with pytest.raises(NaiveDatetimeError):
            await set_sync_start(conn, shop, T0.replace(tzinfo=None))
        with pytest.raises(UnknownConnection):
            await set_sync_start(conn, "nope", T0)
        found = await get_connection(conn, shop)
    assert found is not None
    assert found.sync_start is None


async def test_cursors_are_per_stream_and_hold_any_json(engine: AsyncEngine, shop: str) -> None:
    async with engine.begin() as conn:
        assert await get_cursor(conn, shop, "orders") is None
        await set_cursor(conn, shop, "orders", 41, now=T0)
        await set_cursor(conn, shop, "orders", 42, now=T0)
        await set_cursor(conn, shop, "shipments", {"since": "2025-03-01T00:00:00Z", "page": 2})
    async with engine.connect() as conn:
        assert await get_cursor(conn, shop, "orders") == 42
        assert await get_cursor(conn, shop, "shipments") == {
            "since": "2025-03-01T00:00:00Z",
            "page": 2,
        }


async def test_a_cursor_needs_a_known_connection(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        with pytest.raises(UnknownConnection, match="ensure_connection"):
            await set_cursor(conn, "ghost", "orders", 1)
