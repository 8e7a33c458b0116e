"""Alembic's entry point for stationmaster's migrations.

:mod:`stationmaster.db.migrate` hands over an open connection (``config.attributes``), so
migrations run inside its transaction. Run by the ``alembic`` command instead (to write a new
revision), it opens the configured ``sqlalchemy.url`` with stationmaster's own engine setup.
"""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

from stationmaster.db.engine import create_engine
from stationmaster.db.tables import metadata


def run_on(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        compare_type=True,
        # SQLite alters tables by copying them; Alembic's batch mode does that for us.
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


async def run_from_url(url: str) -> None:
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(run_on)
    finally:
        await engine.dispose()


def main() -> None:
    if context.is_offline_mode():
        raise SystemExit("stationmaster migrations run online only (no --sql)")
    connection = context.config.attributes.get("connection")
    if connection is not None:
        run_on(connection)
        return
    url = context.config.get_main_option("sqlalchemy.url")
    if not url:
        raise SystemExit("set sqlalchemy.url (stationmaster.db.migrate.alembic_config(url))")
    asyncio.run(run_from_url(url))


main()
