"""Migration 0010: a native order's number moves into its own column, filled from the documents."""

import pytest
from alembic import command
from sqlalchemy import inspect, select, text
from sqlalchemy.engine import Connection

from stationmaster import db
from stationmaster.db import create_engine, upgrade_async
from stationmaster.db.migrate import alembic_config
from stationmaster.db.tables import native_orders

pytestmark = pytest.mark.anyio


def _downgrade(sync: Connection, revision: str) -> None:
    config = alembic_config()
    config.attributes["connection"] = sync
    command.downgrade(config, revision)


def _has_number(sync: Connection) -> bool:
    return "number" in {column["name"] for column in inspect(sync).get_columns("native_orders")}


async def test_0010_fills_the_number_from_each_document(empty_db_url: str) -> None:
    engine = create_engine(empty_db_url)
    try:
        await upgrade_async(engine)
        async with engine.begin() as conn:
            await db.ensure_connection(conn, "shop", mode="push", store_kind="native")
            for source_id, payload in [
                ("a", {"number": "SM-1"}),
                ("b", {"number": ""}),
                ("c", {"lines": []}),
                ("d", {"number": "N" * 300}),
            ]:
                await db.upsert_native_order(
                    conn, "shop", source_id, f"k-{source_id}", payload, "paid"
                )
            await conn.run_sync(_downgrade, "0009")
        async with engine.connect() as conn:
            assert not await conn.run_sync(_has_number)
            stored = (await conn.execute(text("SELECT count(*) FROM native_orders"))).scalar_one()
            assert stored == 4
        await upgrade_async(engine)
        async with engine.connect() as conn:
            rows = await conn.execute(
                select(native_orders.c.source_id, native_orders.c.number).order_by("source_id")
            )
            assert list(rows) == [("a", "SM-1"), ("b", None), ("c", None), ("d", "N" * 255)]
    finally:
        await engine.dispose()
