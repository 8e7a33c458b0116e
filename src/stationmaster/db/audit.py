"""The audit log: every HTTP exchange with ShipStation, redacted and size-capped.

Operators read it to see exactly what was sent and answered when an order fails, and dead
letters link to the entry of their last attempt. It never holds a secret
(:mod:`stationmaster.db.redaction`) and never a body larger than the cap, so it can stay on
a shared dashboard and grow without surprise; :func:`prune_audit_log` bounds its age.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, insert, select
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from stationmaster.db.redaction import (
    cap_text,
    redact_headers,
    redact_json_text,
    redact_text,
    redact_url,
)
from stationmaster.db.tables import audit_log, dead_letters
from stationmaster.db.types import require_aware
from stationmaster.shipstation.client import Exchange
from stationmaster.wiretime import utcnow

#: Bytes kept of each body (request and response) unless the caller says otherwise.
DEFAULT_BODY_CAP = 64 * 1024


@dataclass(frozen=True, slots=True)
class AuditEntry:
    id: int
    at: datetime
    connection: str | None
    key_id: str
    method: str
    url: str
    request_body: str | None
    status: int | None
    response_body: str | None
    response_headers: dict[str, str]
    attempt: int
    seconds: float
    error: str | None


def entry_of(row: RowMapping) -> AuditEntry:
    """An ``audit_log`` row as an entry."""
    return AuditEntry(
        id=row["id"],
        at=row["at"],
        connection=row["connection"],
        key_id=row["key_id"],
        method=row["method"],
        url=row["url"],
        request_body=row["request_body"],
        status=row["status"],
        response_body=row["response_body"],
        response_headers=row["response_headers"],
        attempt=row["attempt"],
        seconds=row["seconds"],
        error=row["error"],
    )


def _body(text: str | None, cap: int) -> str | None:
    return None if text is None else cap_text(redact_json_text(text), cap)


async def record_exchange(
    conn: AsyncConnection,
    exchange: Exchange,
    connection: str | None = None,
    *,
    cap: int = DEFAULT_BODY_CAP,
    now: datetime | None = None,
) -> int:
    """Store one exchange, redacted and with each body capped at ``cap`` bytes; its id."""
    if cap < 0:
        raise ValueError(f"cap must not be negative, got {cap}")
    at = require_aware(now or utcnow(), "now")
    result = await conn.execute(
        insert(audit_log)
        .values(
            at=at,
            connection=connection,
            key_id=exchange.key_id,
            method=exchange.method,
            url=redact_url(exchange.url),
            request_body=_body(exchange.request_body, cap),
            status=exchange.status,
            response_body=_body(exchange.response_body, cap),
            response_headers=redact_headers(exchange.response_headers),
            attempt=exchange.attempt,
            seconds=exchange.seconds,
            error=None if exchange.error is None else cap_text(redact_text(exchange.error), cap),
        )
        .returning(audit_log.c.id)
    )
    return int(result.scalar_one())


async def get_audit_entry(conn: AsyncConnection, audit_id: int) -> AuditEntry | None:
    row = (await conn.execute(select(audit_log).where(audit_log.c.id == audit_id))).mappings()
    found = row.first()
    return entry_of(found) if found is not None else None


async def prune_audit_log(conn: AsyncConnection, before: datetime) -> int:
    """Delete entries older than ``before``, except those an open dead letter points to."""
    cutoff = require_aware(before, "before")
    still_needed = select(dead_letters.c.audit_id).where(
        dead_letters.c.state == "open", dead_letters.c.audit_id.is_not(None)
    )
    result = await conn.execute(
        delete(audit_log).where(audit_log.c.at < cutoff, audit_log.c.id.not_in(still_needed))
    )
    return result.rowcount
