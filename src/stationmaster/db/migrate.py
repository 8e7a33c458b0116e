"""Schema migrations, run from code: the Alembic scripts ship inside the package.

So an installed wheel can create or upgrade its database (``stationmaster init``,
``stationmaster db upgrade``, the demo) without an ``alembic.ini`` or a source checkout.
On PostgreSQL the upgrade holds an advisory lock, so workers starting together migrate once.

New revisions are written with the ordinary Alembic commands against :func:`alembic_config`::

    from alembic import command
    command.revision(alembic_config("sqlite:///dev.db"), "add x", autogenerate=True)
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from stationmaster.db.engine import create_engine

MIGRATIONS = Path(__file__).with_name("migrations")
#: Any constant works; it only has to be the same for every stationmaster process.
_PG_MIGRATION_LOCK = 0x57A7_10A1


def alembic_config(url: str | None = None) -> Config:
    """An Alembic configuration pointing at the packaged scripts (and at ``url`` if given)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if url is not None:
        config.set_main_option("sqlalchemy.url", url)
    return config


def head_revision() -> str:
    """The newest revision the packaged scripts know."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:
        raise RuntimeError(f"no migration scripts found in {MIGRATIONS}")
    return head


async def current_revision(engine: AsyncEngine) -> str | None:
    """The revision the database is at, or ``None`` if it was never migrated."""
    async with engine.connect() as conn:
        return await conn.run_sync(
            lambda sync: MigrationContext.configure(sync).get_current_revision()
        )


async def upgrade_async(engine: AsyncEngine, revision: str = "head") -> None:
    """Migrate the database behind ``engine`` to ``revision``, in one transaction."""
    async with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            lock = text("SELECT pg_advisory_xact_lock(:key)")
            await conn.execute(lock, {"key": _PG_MIGRATION_LOCK})
        await conn.run_sync(_upgrade_on, revision)


def upgrade(url: str, revision: str = "head") -> None:
    """Migrate the database at ``url``: for synchronous callers (CLI); not inside an event loop."""
    asyncio.run(_upgrade_url(url, revision))


async def _upgrade_url(url: str, revision: str) -> None:
    engine = create_engine(url)
    try:
        await upgrade_async(engine, revision)
    finally:
        await engine.dispose()


def _upgrade_on(connection: Connection, revision: str) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, revision)
