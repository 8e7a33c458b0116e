"""Per-connection stream cursors: how far each change feed has been read.

A cursor only moves in the same transaction that stores what was read up to it (see
:func:`stationmaster.db.outbox.enqueue`), so a crash can repeat work but never skip it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from stationmaster.db._sql import require_connection, upsert
from stationmaster.db.errors import InvalidStateInput
from stationmaster.db.tables import cursors
from stationmaster.db.types import JsonValue, canonical_json, require_aware
from stationmaster.wiretime import utcnow


async def get_cursor(conn: AsyncConnection, connection: str, stream: str) -> JsonValue:
    """The stored cursor value, or ``None`` when the stream was never read."""
    query = select(cursors.c.value).where(
        cursors.c.connection == connection, cursors.c.stream == stream
    )
    value: JsonValue = (await conn.execute(query)).scalar_one_or_none()
    return value


async def set_cursor(
    conn: AsyncConnection,
    connection: str,
    stream: str,
    value: JsonValue,
    *,
    now: datetime | None = None,
) -> None:
    """Store ``value`` as the stream's cursor, in the caller's transaction."""
    if not stream:
        raise InvalidStateInput("cursor stream name must not be empty")
    canonical_json(value, "cursor value")
    at = require_aware(now or utcnow(), "now")
    await require_connection(conn, connection)
    statement = upsert(conn, cursors).values(
        connection=connection, stream=stream, value=value, updated_at=at
    )
    await conn.execute(
        statement.on_conflict_do_update(
            index_elements=[cursors.c.connection, cursors.c.stream],
            set_={"value": statement.excluded.value, "updated_at": at},
        )
    )
