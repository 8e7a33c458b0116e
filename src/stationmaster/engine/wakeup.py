"""Listening for work on PostgreSQL so idle workers wake at once (polling stays the fallback).

One connection per worker process ``LISTEN``\\ s on :data:`~stationmaster.db.notify.WORK_CHANNEL`
and hands each payload (a connection name) to the scheduler. A lost connection is retried
with a growing pause; meanwhile nothing is lost, the workers only fall back to polling.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import anyio
import psycopg
import structlog
from sqlalchemy.ext.asyncio import AsyncEngine

from stationmaster.db.notify import WORK_CHANNEL

log = structlog.get_logger("stationmaster.wakeup")

#: Longest pause between two attempts to listen again.
MAX_RETRY_SECONDS = 30.0


def libpq_conninfo(engine: AsyncEngine) -> str:
    """The engine's database as a libpq URL (without SQLAlchemy's driver suffix)."""
    return engine.url.set(drivername="postgresql").render_as_string(hide_password=False)


async def listen_for_work(engine: AsyncEngine, on_work: Callable[[str], Awaitable[None]]) -> None:
    """Call ``on_work(connection)`` for every notification, for ever; no-op off PostgreSQL."""
    if engine.dialect.name != "postgresql":
        await anyio.sleep_forever()
    pause = 1.0
    while True:
        try:
            async with await psycopg.AsyncConnection.connect(
                libpq_conninfo(engine), autocommit=True
            ) as conn:
                await conn.execute(f"LISTEN {WORK_CHANNEL}")
                pause = 1.0
                async for note in conn.notifies():
                    await on_work(note.payload)
        except (psycopg.Error, OSError) as exc:
            log.warning("wakeup.listen_failed", error=type(exc).__name__, retry_in=pause)
            await anyio.sleep(pause)
            pause = min(pause * 2, MAX_RETRY_SECONDS)
