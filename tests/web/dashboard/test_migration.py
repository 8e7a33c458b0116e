"""Migration 0008: the dashboard's indexes and the dead letter's note, up and down again."""

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import inspect
from sqlalchemy.engine import Connection

from stationmaster.db import create_engine, upgrade_async
from stationmaster.db.migrate import alembic_config

pytestmark = pytest.mark.anyio

INDEXES = {
    "sync_records": "ix_sync_records_connection_pushed_at",
    "tracked_packages": "ix_tracked_packages_connection_applied_at",
    "native_shipments": "ix_native_shipments_connection_applied_at",
    "audit_log": "ix_audit_log_connection_status_at",
}


def _schema(sync: Connection) -> tuple[set[str], set[str]]:
    inspector = inspect(sync)
    indexes = {ix["name"] or "" for table in INDEXES for ix in inspector.get_indexes(table)}
    columns = {column["name"] for column in inspector.get_columns("dead_letters")}
    return indexes, columns


def _before_0008() -> str:
    script = ScriptDirectory.from_config(alembic_config()).get_revision("0008")
    assert script is not None and isinstance(script.down_revision, str)
    return script.down_revision


def _downgrade(sync: Connection, revision: str) -> None:
    config = alembic_config()
    config.attributes["connection"] = sync
    command.downgrade(config, revision)


async def test_0008_adds_the_indexes_and_the_note_and_takes_them_away(
    empty_db_url: str,
) -> None:
    engine = create_engine(empty_db_url)
    try:
        await upgrade_async(engine)
        async with engine.connect() as conn:
            indexes, columns = await conn.run_sync(_schema)
        assert set(INDEXES.values()) <= indexes
        assert "note" in columns
        async with engine.begin() as conn:
            await conn.run_sync(_downgrade, _before_0008())
        async with engine.connect() as conn:
            indexes, columns = await conn.run_sync(_schema)
        assert not set(INDEXES.values()) & indexes
        assert "note" not in columns
        await upgrade_async(engine)
        async with engine.connect() as conn:
            indexes, columns = await conn.run_sync(_schema)
        assert set(INDEXES.values()) <= indexes and "note" in columns
    finally:
        await engine.dispose()
