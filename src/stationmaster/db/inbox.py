"""The webhook inbox: deliveries ShipStation announced, stored once, worked off later.

A webhook delivery only names a URL (``resource_url``) and what kind of record it lists
(``resource_type``); the receiver stores that pair here and answers at once, and a worker
fetches and applies it afterwards. Each pair is keyed by :func:`dedupe_key` per connection,
so ShipStation sending the same delivery twice leaves one row. Since webhooks are only hints
(polling is the truth), an entry that keeps failing is kept with its error for an operator to
see, not retried forever.

Entries move ``pending`` -> ``done``, or ``pending`` -> ``failed`` after ``max_attempts``
failures; a pending entry that failed waits out a growing delay before it is due again.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, get_args

from sqlalchemy import func, select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from stationmaster.db._sql import require_connection, upsert
from stationmaster.db.errors import InvalidStateInput, StateError
from stationmaster.db.results import Backoff
from stationmaster.db.tables import RESOURCE_TYPE, RESOURCE_URL, inbox
from stationmaster.db.types import require_aware
from stationmaster.wiretime import utcnow

InboxState = Literal["pending", "done", "failed"]
INBOX_STATES: tuple[str, ...] = get_args(InboxState)

#: Delay before a failed entry is due again: 30 s, doubling, at most an hour.
INBOX_BACKOFF = Backoff(initial=30.0, factor=2.0, cap=3600.0)
#: Failures after which an entry stops being retried (it stays, with its error).
MAX_ATTEMPTS = 5


class UnknownInboxEntry(StateError, LookupError):
    """No inbox entry has this id."""

    def __init__(self, entry_id: int) -> None:
        super().__init__(f"no inbox entry with id {entry_id}")
        self.entry_id = entry_id


@dataclass(frozen=True, slots=True)
class InboxEntry:
    """One stored delivery: what to fetch, and how working it off has gone so far."""

    id: int
    connection: str
    resource_type: str
    resource_url: str
    dedupe_key: str
    state: InboxState
    attempts: int
    received_at: datetime
    available_at: datetime
    done_at: datetime | None
    last_error: str | None


@dataclass(frozen=True, slots=True)
class InboxCounts:
    """How many of a connection's entries wait, are done, or gave up (for the status page)."""

    pending: int = 0
    done: int = 0
    failed: int = 0


def dedupe_key(resource_type: str, resource_url: str) -> str:
    """The identity of a delivery: sha256 of the pair, encoded so no two pairs share a text."""
    pair = json.dumps([resource_type, resource_url], ensure_ascii=False)
    return hashlib.sha256(pair.encode("utf-8", "surrogatepass")).hexdigest()


def _entry(row: RowMapping) -> InboxEntry:
    return InboxEntry(
        id=int(row["id"]),
        connection=row["connection"],
        resource_type=row["resource_type"],
        resource_url=row["resource_url"],
        dedupe_key=row["dedupe_key"],
        state=row["state"],
        attempts=int(row["attempts"]),
        received_at=row["received_at"],
        available_at=row["available_at"],
        done_at=row["done_at"],
        last_error=row["last_error"],
    )


def _check_text(name: str, value: object, limit: int) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidStateInput(f"{name} must be a non-empty string, got {value!r}")
    if len(value) > limit:
        raise InvalidStateInput(f"{name} is longer than {limit} characters")
    return value


async def inbox_put(
    conn: AsyncConnection,
    connection: str,
    resource_type: str,
    resource_url: str,
    *,
    now: datetime | None = None,
) -> bool:
    """Store a delivery for ``connection``; whether it was new (``False``: already stored).

    A repeat changes nothing, whatever state the first copy reached: the same URL lists the
    same batch, so working it off again would only repeat work already done.
    """
    _check_text("resource_type", resource_type, RESOURCE_TYPE)
    _check_text("resource_url", resource_url, RESOURCE_URL)
    at = require_aware(now or utcnow(), "now")
    await require_connection(conn, connection)
    statement = (
        upsert(conn, inbox)
        .values(
            connection=connection,
            dedupe_key=dedupe_key(resource_type, resource_url),
            resource_type=resource_type,
            resource_url=resource_url,
            state="pending",
            attempts=0,
            received_at=at,
            available_at=at,
        )
        .on_conflict_do_nothing(index_elements=[inbox.c.connection, inbox.c.dedupe_key])
        .returning(inbox.c.id)
    )
    return (await conn.execute(statement)).scalar_one_or_none() is not None


async def inbox_due(
    conn: AsyncConnection, connection: str, limit: int = 50, *, now: datetime | None = None
) -> list[InboxEntry]:
    """Pending entries whose wait is over, oldest first, at most ``limit``."""
    if limit < 1:
        raise InvalidStateInput(f"limit must be at least 1, got {limit}")
    at = require_aware(now or utcnow(), "now")
    query = (
        select(inbox)
        .where(
            inbox.c.connection == connection,
            inbox.c.state == "pending",
            inbox.c.available_at <= at,
        )
        .order_by(inbox.c.available_at, inbox.c.id)
        .limit(limit)
    )
    return [_entry(row) for row in (await conn.execute(query)).mappings()]


async def get_inbox_entry(conn: AsyncConnection, entry_id: int) -> InboxEntry | None:
    """One entry by id, in whatever state it is."""
    row = (await conn.execute(select(inbox).where(inbox.c.id == entry_id))).mappings().first()
    return None if row is None else _entry(row)


async def inbox_done(conn: AsyncConnection, entry_id: int, *, now: datetime | None = None) -> None:
    """The entry was worked off; it stays (as ``done``) so a repeated delivery is still a no-op."""
    at = require_aware(now or utcnow(), "now")
    result = await conn.execute(
        update(inbox)
        .where(inbox.c.id == entry_id)
        .values(state="done", done_at=at, available_at=at, last_error=None)
    )
    if result.rowcount == 0:
        raise UnknownInboxEntry(entry_id)


async def inbox_failed(
    conn: AsyncConnection,
    entry_id: int,
    reason: str,
    *,
    now: datetime | None = None,
    max_attempts: int = MAX_ATTEMPTS,
    backoff: Backoff = INBOX_BACKOFF,
) -> InboxState:
    """Working the entry off failed for ``reason``; its new state.

    ``pending`` (due again after ``backoff``) until this is failure number ``max_attempts``,
    then ``failed``: kept with the reason, never due again. An entry already done or failed
    is left as it is (a late report about an earlier attempt must not undo a success).
    """
    if max_attempts < 1:
        raise InvalidStateInput(f"max_attempts must be at least 1, got {max_attempts}")
    if not isinstance(reason, str) or not reason.strip():
        raise InvalidStateInput("a failure needs a reason")
    at = require_aware(now or utcnow(), "now")
    entry = await get_inbox_entry(conn, entry_id)
    if entry is None:
        raise UnknownInboxEntry(entry_id)
    if entry.state != "pending":
        return entry.state
    attempts = entry.attempts + 1
    state: InboxState = "failed" if attempts >= max_attempts else "pending"
    await conn.execute(
        update(inbox)
        .where(inbox.c.id == entry_id, inbox.c.state == "pending")
        .values(
            state=state,
            attempts=attempts,
            last_error=reason,
            available_at=at + backoff.delay(attempts),
        )
    )
    return state


async def inbox_counts(conn: AsyncConnection, connection: str) -> InboxCounts:
    """How many of the connection's entries are in each state."""
    query = (
        select(inbox.c.state, func.count())
        .where(inbox.c.connection == connection)
        .group_by(inbox.c.state)
    )
    counts = {state: int(count) for state, count in await conn.execute(query)}
    return InboxCounts(
        pending=counts.get("pending", 0),
        done=counts.get("done", 0),
        failed=counts.get("failed", 0),
    )
