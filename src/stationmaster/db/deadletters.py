"""Dead letters: orders ShipStation would not take, kept with their reason until replayed.

A dead letter holds the payload that failed, the resolution that parked it (``fail_record``
or retries exhausted), the reason, and a link to the audit entry of the last exchange, so an
operator can read what happened and :func:`replay` it once the cause is fixed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import insert, select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from stationmaster.db._sql import atomic, chunks
from stationmaster.db.errors import InvalidStateInput
from stationmaster.db.outbox import Action, OutboxItem, OutboxRow, coalesce
from stationmaster.db.tables import dead_letters
from stationmaster.db.types import JsonObject, require_aware
from stationmaster.errors import ResolutionKind
from stationmaster.wiretime import utcnow

DeadLetterState = Literal["open", "replayed", "resolved"]


@dataclass(frozen=True, slots=True)
class DeadLetter:
    id: int
    connection: str
    order_key: str
    action: Action
    payload: JsonObject
    fingerprint: str
    resolution: ResolutionKind
    reason: str
    attempts: int
    audit_id: int | None
    created_at: datetime
    replayed_at: datetime | None
    state: DeadLetterState


def letter_of(row: RowMapping) -> DeadLetter:
    """A dead letter from a row holding its table's columns (other columns are ignored)."""
    return DeadLetter(
        id=row["id"],
        connection=row["connection"],
        order_key=row["order_key"],
        action=row["action"],
        payload=row["payload"],
        fingerprint=row["fingerprint"],
        resolution=row["resolution"],
        reason=row["reason"],
        attempts=row["attempts"],
        audit_id=row["audit_id"],
        created_at=row["created_at"],
        replayed_at=row["replayed_at"],
        state=row["state"],
    )


async def park(
    conn: AsyncConnection,
    row: OutboxRow,
    *,
    resolution: ResolutionKind,
    reason: str,
    attempts: int,
    audit_id: int | None,
    at: datetime,
) -> int:
    """Store ``row`` as an open dead letter; the caller removes it from the outbox."""
    result = await conn.execute(
        insert(dead_letters)
        .values(
            connection=row.connection,
            order_key=row.order_key,
            action=row.action,
            payload=row.payload,
            fingerprint=row.fingerprint,
            resolution=resolution,
            reason=reason,
            attempts=attempts,
            audit_id=audit_id,
            created_at=at,
            replayed_at=None,
            state="open",
        )
        .returning(dead_letters.c.id)
    )
    return int(result.scalar_one())


async def list_dead_letters(
    conn: AsyncConnection,
    *,
    connection: str | None = None,
    state: DeadLetterState | None = "open",
    limit: int = 100,
    after_id: int = 0,
) -> list[DeadLetter]:
    """Dead letters by id, ``limit`` at a time (pass the last id as ``after_id`` for more)."""
    query = select(dead_letters).where(dead_letters.c.id > after_id)
    if connection is not None:
        query = query.where(dead_letters.c.connection == connection)
    if state is not None:
        query = query.where(dead_letters.c.state == state)
    query = query.order_by(dead_letters.c.id).limit(limit)
    return [letter_of(row) for row in (await conn.execute(query)).mappings()]


async def get_dead_letter(conn: AsyncConnection, dead_letter_id: int) -> DeadLetter | None:
    query = select(dead_letters).where(dead_letters.c.id == dead_letter_id)
    row = (await conn.execute(query)).mappings().first()
    return letter_of(row) if row is not None else None


@dataclass(frozen=True, slots=True)
class ReplayResult:
    #: Dead letters whose order is queued again (with their payload, or a newer one).
    replayed: tuple[int, ...] = ()
    #: Dead letters closed without sending: ShipStation already has that payload, or it is
    #: a delete of an order it never received.
    resolved: tuple[int, ...] = ()
    #: Dead letters left open because the order may not be sent (locked or frozen).
    kept: tuple[tuple[int, str], ...] = ()


async def replay(
    conn: AsyncConnection,
    ids: Sequence[int] | None = None,
    *,
    connection: str | None = None,
    all: bool = False,
    now: datetime | None = None,
) -> ReplayResult:
    """Put open dead letters back in the outbox, by ``ids``, ``connection``, or ``all``.

    Replay goes through the outbox's coalescing rules, so it never duplicates: a key with a
    queued row keeps that row (it is newer than any dead letter), a dead letter replayed
    already is no longer open, and of several open ones for a key only the newest is sent.
    """
    if ids is None and connection is None and not all:
        raise InvalidStateInput("replay needs dead letter ids, a connection, or all=True")
    at = require_aware(now or utcnow(), "now")
    query = select(dead_letters).where(dead_letters.c.state == "open")
    if ids is not None:
        query = query.where(dead_letters.c.id.in_(list(ids)))
    if connection is not None:
        query = query.where(dead_letters.c.connection == connection)
    replayed: list[int] = []
    resolved: list[int] = []
    kept: list[tuple[int, str]] = []
    async with atomic(conn):
        rows = await conn.execute(query.order_by(dead_letters.c.id))
        letters = [letter_of(row) for row in rows.mappings()]
        for name in dict.fromkeys(letter.connection for letter in letters):
            mine = [letter for letter in letters if letter.connection == name]
            items = [
                OutboxItem(letter.order_key, letter.payload, letter.fingerprint, letter.action)
                for letter in mine
            ]
            result = await coalesce(conn, name, items, at, keep_pending=True)
            verdicts = {skip.order_key: skip.reason for skip in result.skipped}
            for letter in mine:
                reason = verdicts.get(letter.order_key)
                if reason in ("locked", "frozen"):
                    kept.append((letter.id, reason))
                elif reason in ("unchanged", "not_pushed"):
                    resolved.append(letter.id)
                else:
                    replayed.append(letter.id)
        await _mark(conn, replayed, "replayed", at)
        await _mark(conn, resolved, "resolved", at)
    return ReplayResult(tuple(replayed), tuple(resolved), tuple(kept))


async def resolve_dead_letters(
    conn: AsyncConnection, ids: Sequence[int], *, now: datetime | None = None
) -> int:
    """Close open dead letters without sending them (an operator fixed things by hand)."""
    at = require_aware(now or utcnow(), "now")
    return await _mark(conn, list(ids), "resolved", at)


async def _mark(conn: AsyncConnection, ids: list[int], state: DeadLetterState, at: datetime) -> int:
    changes: dict[str, object] = {"state": state}
    if state == "replayed":
        changes["replayed_at"] = at
    count = 0
    for part in chunks(ids):
        result = await conn.execute(
            update(dead_letters)
            .where(dead_letters.c.id.in_(part), dead_letters.c.state == "open")
            .values(**changes)
        )
        count += result.rowcount
    return count
