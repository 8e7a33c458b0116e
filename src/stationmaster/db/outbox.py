"""The outbox: the truth of what must still be sent to ShipStation, one row per order key.

A change becomes an outbox row in the same transaction that advances the change feed's
cursor (:func:`enqueue`), so a crash repeats work and never loses it. Rows coalesce: a newer
payload for a key still queued replaces the old one (only an order's latest state matters)
and bumps the row's ``version``, which is how a result for the older payload
(:mod:`stationmaster.db.results`) knows not to remove the newer one.

Every function takes an :class:`~sqlalchemy.ext.asyncio.AsyncConnection` and works inside the
caller's transaction (``async with engine.begin() as conn``); the ones that write several
statements do so atomically on their own as well (a savepoint), so a failure halfway leaves
nothing behind even if the caller carries on.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, get_args

from sqlalchemy import func, select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from stationmaster.db._sql import atomic, chunks, require_connection, upsert
from stationmaster.db.cursors import set_cursor
from stationmaster.db.errors import InvalidStateInput
from stationmaster.db.records import SyncRecord, get_sync_records, withdraw
from stationmaster.db.tables import KEY, outbox
from stationmaster.db.types import JsonObject, JsonValue, canonical_json, require_aware
from stationmaster.wiretime import utcnow

Action = Literal["upsert", "delete"]
ACTIONS: tuple[str, ...] = get_args(Action)

#: Why :func:`enqueue` left an item out:
#: ``unchanged``  ShipStation already accepted exactly this payload;
#: ``locked``     ShipStation shipped or cancelled the order: never sent again;
#: ``frozen``     ShipStation split or merged the order: never sent again;
#: ``pending``    this very payload is already queued (or, for a replay, a newer one is);
#: ``not_pushed`` a delete for an order ShipStation never received from us.
SkipReason = Literal["unchanged", "locked", "frozen", "pending", "not_pushed"]


def fingerprint(payload: Mapping[str, Any], action: Action = "upsert") -> str:
    """A stable digest of what would be sent: equal payloads, equal fingerprints."""
    digest = hashlib.sha256(f"{action}\n{canonical_json(payload)}".encode())
    return digest.hexdigest()


@dataclass(frozen=True, slots=True)
class OutboxItem:
    """One order's latest state, mapped and ready to send."""

    order_key: str
    payload: JsonObject
    fingerprint: str
    action: Action = "upsert"

    def __post_init__(self) -> None:
        if not isinstance(self.order_key, str) or not self.order_key.strip():
            raise InvalidStateInput(f"order_key must be a non-empty string, got {self.order_key!r}")
        if len(self.order_key) > KEY:
            raise InvalidStateInput(f"order_key longer than {KEY} characters: {self.order_key!r}")
        if self.action not in ACTIONS:
            raise InvalidStateInput(f"action must be one of {ACTIONS}, got {self.action!r}")
        if not isinstance(self.payload, dict):
            raise InvalidStateInput(
                f"payload of {self.order_key!r} must be a dict, got {type(self.payload).__name__}"
            )
        if not isinstance(self.fingerprint, str) or not 0 < len(self.fingerprint) <= 128:
            raise InvalidStateInput(f"fingerprint of {self.order_key!r} must be 1-128 characters")

    @classmethod
    def of(cls, order_key: str, payload: JsonObject, action: Action = "upsert") -> OutboxItem:
        """An item whose fingerprint is :func:`fingerprint` of its payload and action."""
        return cls(order_key, payload, fingerprint(payload, action), action)


@dataclass(frozen=True, slots=True)
class OutboxRow:
    """A queued row as claimed: pass it back unchanged to record its result."""

    id: int
    connection: str
    order_key: str
    action: Action
    payload: JsonObject
    fingerprint: str
    version: int
    enqueued_at: datetime
    available_at: datetime
    attempts: int
    last_error: str | None


def row_of(row: RowMapping) -> OutboxRow:
    return OutboxRow(
        id=row["id"],
        connection=row["connection"],
        order_key=row["order_key"],
        action=row["action"],
        payload=row["payload"],
        fingerprint=row["fingerprint"],
        version=row["version"],
        enqueued_at=row["enqueued_at"],
        available_at=row["available_at"],
        attempts=row["attempts"],
        last_error=row["last_error"],
    )


@dataclass(frozen=True, slots=True)
class Skipped:
    order_key: str
    reason: SkipReason


@dataclass(frozen=True, slots=True)
class EnqueueResult:
    """What :func:`enqueue` did with each order key (the last item per key counts)."""

    #: Keys that got a new outbox row.
    queued: tuple[str, ...] = ()
    #: Keys whose queued row now holds this newer payload (attempts reset).
    replaced: tuple[str, ...] = ()
    skipped: tuple[Skipped, ...] = ()
    #: Keys whose queued row was removed because the order may no longer be sent.
    withdrawn: tuple[str, ...] = ()


async def enqueue(
    conn: AsyncConnection,
    connection: str,
    items: Sequence[OutboxItem],
    cursor: tuple[str, JsonValue] | None = None,
    *,
    now: datetime | None = None,
) -> EnqueueResult:
    """Queue ``items`` and move ``cursor`` (a ``(stream, value)`` pair), all or nothing.

    Per order key (the last item for a key wins): a locked or frozen order is skipped and
    anything still queued for it withdrawn; a payload identical to the one queued is left
    as it is; a different one replaces the queued payload; with nothing queued, a payload
    ShipStation already accepted is skipped as unchanged, and so is a delete of an order it
    never received; anything else gets a new row, due at once.
    """
    at = require_aware(now or utcnow(), "now")
    for item in items:
        canonical_json(item.payload, f"payload of {item.order_key!r}")
    if cursor is not None:
        canonical_json(cursor[1], "cursor value")
    async with atomic(conn):
        await require_connection(conn, connection)
        result = await coalesce(conn, connection, items, at)
        if cursor is not None:
            stream, value = cursor
            await set_cursor(conn, connection, stream, value, now=at)
    return result


async def coalesce(
    conn: AsyncConnection,
    connection: str,
    items: Sequence[OutboxItem],
    at: datetime,
    *,
    keep_pending: bool = False,
) -> EnqueueResult:
    """:func:`enqueue`'s rules without the transaction and cursor (replay shares them).

    ``keep_pending`` leaves any queued row alone (reason ``pending``): a replayed dead
    letter is older than whatever was queued after it.
    """
    latest = {item.order_key: item for item in items}
    keys = list(latest)
    records = await get_sync_records(conn, connection, keys)
    pending = await _pending(conn, connection, keys)
    queued: list[str] = []
    replaced: list[str] = []
    skipped: list[Skipped] = []
    withdrawn: list[str] = []
    rows: list[dict[str, Any]] = []
    for key, item in latest.items():
        verdict = _verdict(item, records.get(key), pending.get(key), keep_pending=keep_pending)
        if verdict == "queue" or verdict == "replace":
            (queued if verdict == "queue" else replaced).append(key)
            rows.append(_values(connection, item, at))
            continue
        skipped.append(Skipped(key, verdict))
        if verdict in ("locked", "frozen") and key in pending:
            withdrawn.append(key)
    if withdrawn:
        await withdraw(conn, connection, withdrawn)
    if rows:
        await _write(conn, rows)
    return EnqueueResult(tuple(queued), tuple(replaced), tuple(skipped), tuple(withdrawn))


def _verdict(
    item: OutboxItem,
    record: SyncRecord | None,
    queued: tuple[str, str] | None,
    *,
    keep_pending: bool,
) -> SkipReason | Literal["queue", "replace"]:
    if record is not None and record.locked:
        return "locked"
    if record is not None and record.frozen:
        return "frozen"
    if queued is not None:
        # Even a payload equal to the accepted one replaces a queued one: the queued payload
        # is no longer the order's state, and sending it would leave ShipStation behind.
        if keep_pending or queued == (item.fingerprint, item.action):
            return "pending"
        return "replace"
    if record is not None and record.fingerprint == item.fingerprint:
        return "unchanged"
    never_pushed = record is None or (record.fingerprint is None and record.order_id is None)
    if item.action == "delete" and never_pushed:
        return "not_pushed"
    return "queue"


async def _pending(
    conn: AsyncConnection, connection: str, keys: Sequence[str]
) -> dict[str, tuple[str, str]]:
    found: dict[str, tuple[str, str]] = {}
    for part in chunks(keys):
        query = select(outbox.c.order_key, outbox.c.fingerprint, outbox.c.action).where(
            outbox.c.connection == connection, outbox.c.order_key.in_(part)
        )
        for key, digest, action in await conn.execute(query):
            found[key] = (digest, action)
    return found


def _values(connection: str, item: OutboxItem, at: datetime) -> dict[str, Any]:
    return {
        "connection": connection,
        "order_key": item.order_key,
        "action": item.action,
        "payload": item.payload,
        "fingerprint": item.fingerprint,
        "version": 1,
        "enqueued_at": at,
        "available_at": at,
        "attempts": 0,
        "last_error": None,
    }


async def _write(conn: AsyncConnection, rows: list[dict[str, Any]]) -> None:
    statement = upsert(conn, outbox)
    excluded = statement.excluded
    statement = statement.on_conflict_do_update(
        index_elements=[outbox.c.connection, outbox.c.order_key],
        set_={
            "action": excluded.action,
            "payload": excluded.payload,
            "fingerprint": excluded.fingerprint,
            "version": outbox.c.version + 1,
            "available_at": excluded.available_at,
            "attempts": 0,
            "last_error": None,
        },
    )
    await conn.execute(statement, rows)


async def claim(
    conn: AsyncConnection,
    connection: str,
    limit: int = 100,
    *,
    now: datetime | None = None,
) -> list[OutboxRow]:
    """Up to ``limit`` rows due at ``now``, oldest first.

    On PostgreSQL the rows stay locked (``FOR UPDATE SKIP LOCKED``) until the caller's
    transaction ends, and rows another transaction holds are passed over rather than waited
    for; SQLite's transactions are serial, so there the question does not arise.
    """
    if limit < 1:
        raise InvalidStateInput(f"claim limit must be at least 1, got {limit}")
    at = require_aware(now or utcnow(), "now")
    query = (
        select(outbox)
        .where(outbox.c.connection == connection, outbox.c.available_at <= at)
        .order_by(outbox.c.enqueued_at, outbox.c.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return [row_of(row) for row in (await conn.execute(query)).mappings()]


async def count_due(
    conn: AsyncConnection, connection: str, *, cap: int, now: datetime | None = None
) -> int:
    """How many rows are due at ``now``, counted up to ``cap`` (no further: it is asked often
    and only needs to know whether the queue is that long)."""
    at = require_aware(now or utcnow(), "now")
    due = (
        select(outbox.c.id)
        .where(outbox.c.connection == connection, outbox.c.available_at <= at)
        .limit(cap)
        .subquery()
    )
    return int((await conn.execute(select(func.count()).select_from(due))).scalar_one())


async def postpone(
    conn: AsyncConnection,
    rows: Sequence[OutboxRow],
    until: datetime,
    *,
    reason: str | None = None,
) -> None:
    """Keep a whole batch for later (a 429, a 5xx, a timeout): attempts stay as they were."""
    due = require_aware(until, "until")
    changes: dict[str, Any] = {"available_at": due}
    if reason is not None:
        changes["last_error"] = reason
    for part in chunks([row.id for row in rows]):
        await conn.execute(update(outbox).where(outbox.c.id.in_(part)).values(**changes))


async def outbox_rows(conn: AsyncConnection, connection: str) -> list[OutboxRow]:
    """Every queued row of a connection, oldest first (for operators and tests)."""
    query = (
        select(outbox)
        .where(outbox.c.connection == connection)
        .order_by(outbox.c.enqueued_at, outbox.c.id)
    )
    return [row_of(row) for row in (await conn.execute(query)).mappings()]
