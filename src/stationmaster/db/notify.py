"""Telling idle workers that a connection has work, on PostgreSQL (``NOTIFY``).

A write that gives a connection something to push (an order stored, a webhook received)
notifies inside its own transaction, so the message goes out only if the write commits.
Workers ``LISTEN`` and serve the connection's key at once instead of at their next poll. On
SQLite there is nobody else to tell: the embedded worker polls.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

#: The channel every stationmaster process listens on; the payload is a connection name.
WORK_CHANNEL = "stationmaster_work"


async def notify_work(conn: AsyncConnection, connection: str) -> None:
    """Announce (on commit) that ``connection`` has new work; nothing on SQLite."""
    if conn.dialect.name != "postgresql":
        return
    await conn.execute(select(func.pg_notify(WORK_CHANNEL, connection)))
