"""When stock reconciles ran: read from the state their lease keeps between holders."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from stationmaster.db.tables import leases
from stationmaster.db.types import JsonValue


async def lease_state(conn: AsyncConnection, name: str) -> JsonValue:
    """The state a lease carries (whether held or released now); ``None`` if it has none."""
    query = select(leases.c.state).where(leases.c.name == name)
    state: JsonValue = (await conn.execute(query)).scalar_one_or_none()
    return state
