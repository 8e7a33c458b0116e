"""Migrations: they build exactly the tables in ``tables.py``, once, on both databases."""

import asyncio
from datetime import UTC, datetime, timedelta, timezone

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import insert, inspect, select
from sqlalchemy.exc import StatementError
from sqlalchemy.ext.asyncio import AsyncEngine

from stationmaster.db import (
    NaiveDatetimeError,
    create_engine,
    current_revision,
    ensure_connection,
    head_revision,
    upgrade,
    upgrade_async,
)
from stationmaster.db.tables import connections, metadata

pytestmark = pytest.mark.anyio


async def test_migrations_build_exactly_the_metadata(empty_db_url: str) -> None:
    engine = create_engine(empty_db_url)
    try:
        await upgrade_async(engine)
        async with engine.connect() as conn:
            differences = await conn.run_sync(
                lambda sync: compare_metadata(
                    MigrationContext.configure(sync, opts={"compare_type": True}), metadata
                )
            )
            tables = await conn.run_sync(lambda sync: set(inspect(sync).get_table_names()))
    finally:
        await engine.dispose()
    assert differences == []
    assert set(metadata.tables) <= tables


async def test_migrating_twice_changes_nothing(engine: AsyncEngine) -> None:
    assert await current_revision(engine) == head_revision()
    async with engine.begin() as conn:
        await ensure_connection(conn, "kept", mode="push", store_kind="native")
    await upgrade_async(engine)
    assert await current_revision(engine) == head_revision()
    async with engine.connect() as conn:
        names = (await conn.execute(select(connections.c.name))).scalars().all()
    assert names == ["kept"]


def test_synchronous_upgrade_for_the_cli(empty_db_url: str) -> None:
    upgrade(empty_db_url)
    upgrade(empty_db_url)

    async def revision() -> str | None:
        engine = create_engine(empty_db_url)
        try:
            return await current_revision(engine)
        finally:
            await engine.dispose()

    assert asyncio.run(revision()) == head_revision()


async def test_an_unmigrated_database_has_no_revision(empty_db_url: str) -> None:
    engine = create_engine(empty_db_url)
    try:
        assert await current_revision(engine) is None
    finally:
        await engine.dispose()


def _connection_row(created: datetime) -> dict[str, object]:
    return {
        "name": "c",
        "mode": "push",
        "store_kind": "native",
        "settings": {},
        "native_change_seq": 0,
        "created_at": created,
        "updated_at": created,
    }


async def test_naive_datetimes_are_refused_and_nothing_is_stored(engine: AsyncEngine) -> None:
    with pytest.raises(StatementError) as caught:
        async with engine.begin() as conn:
            await conn.execute(insert(connections).values(_connection_row(datetime(2025, 1, 1))))
    assert isinstance(caught.value.orig, NaiveDatetimeError)
    assert "naive" in str(caught.value)
    async with engine.connect() as conn:
        assert (await conn.execute(select(connections))).first() is None


async def test_times_come_back_aware_utc(engine: AsyncEngine) -> None:
    berlin = timezone(timedelta(hours=1))
    written = datetime(2025, 1, 1, 13, 30, 15, 123456, tzinfo=berlin)
    async with engine.begin() as conn:
        await conn.execute(insert(connections).values(_connection_row(written)))
    async with engine.connect() as conn:
        read = (await conn.execute(select(connections.c.created_at))).scalar_one()
    assert read == written
    assert read.tzinfo is UTC
    assert read.hour == 12


async def test_time_comparisons_follow_the_instant_not_the_offset(engine: AsyncEngine) -> None:
    # Stored as UTC on both databases, so 12:00+01:00 sorts before 11:30 UTC.
    plus_one = timezone(timedelta(hours=1))
    async with engine.begin() as conn:
        await conn.execute(
            insert(connections).values(_connection_row(datetime(2025, 1, 1, 12, tzinfo=plus_one)))
        )
        later = datetime(2025, 1, 1, 11, 30, tzinfo=UTC)
        query = select(connections.c.name).where(connections.c.created_at < later)
        assert (await conn.execute(query)).scalars().all() == ["c"]
