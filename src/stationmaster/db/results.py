"""Recording what ShipStation said about each sent row: success, retry, dead letter, or stop.

A row leaves the outbox only with a recorded result, and only if it still holds the payload
the result is about: when a newer payload replaced it while the older one was in flight
(its ``version`` moved on), the result is recorded for the older payload and the newer one
stays queued.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from stationmaster.db._sql import atomic
from stationmaster.db.deadletters import park
from stationmaster.db.errors import InvalidStateInput
from stationmaster.db.outbox import OutboxRow
from stationmaster.db.records import Accepted, locks, note_error, upsert_accepted, withdraw
from stationmaster.db.tables import outbox
from stationmaster.db.types import require_aware
from stationmaster.errors import DEFAULT_RATE_LIMIT_WAIT, Resolution
from stationmaster.wiretime import utcnow

DEFAULT_MAX_ATTEMPTS = 5


@dataclass(frozen=True, slots=True)
class Backoff:
    """Exponential delay before retry ``n`` (1-based): ``initial * factor**(n-1)``, capped."""

    initial: float = 10.0
    factor: float = 2.0
    cap: float = 900.0

    def __post_init__(self) -> None:
        if self.initial <= 0 or self.factor < 1 or self.cap < self.initial:
            raise ValueError(f"backoff needs initial > 0, factor >= 1, cap >= initial: {self}")

    def delay(self, attempt: int) -> timedelta:
        try:
            seconds = self.initial * self.factor ** max(attempt - 1, 0)
        except OverflowError:  # far past the cap
            seconds = self.cap
        return timedelta(seconds=min(self.cap, seconds))


DEFAULT_BACKOFF = Backoff()


async def record_success(
    conn: AsyncConnection,
    row: OutboxRow,
    order_id: int | None,
    remote_status: str | None,
    *,
    now: datetime | None = None,
) -> bool:
    """ShipStation accepted ``row``: remember its fingerprint and remove the row if unchanged.

    Returns whether the row left the outbox (``False``: a newer payload is queued for the
    order and will be sent in turn). A locking ``remote_status`` (shipped, cancelled,
    rejected_fulfillment) locks the order, and any newer payload queued for it is withdrawn.
    """
    left = await record_successes(conn, [(row, order_id, remote_status)], now=now)
    return left == 1


async def record_successes(
    conn: AsyncConnection,
    accepted: Sequence[tuple[OutboxRow, int | None, str | None]],
    *,
    now: datetime | None = None,
) -> int:
    """:func:`record_success` for a whole batch in a few statements; how many rows left.

    All rows must belong to one connection (one batch is one connection's).
    """
    if not accepted:
        return 0
    at = require_aware(now or utcnow(), "now")
    connection = accepted[0][0].connection
    if any(row.connection != connection for row, _, _ in accepted):
        raise InvalidStateInput("record_successes takes one connection's rows at a time")
    async with atomic(conn):
        await upsert_accepted(
            conn,
            connection,
            [
                Accepted(row.order_key, row.fingerprint, order_id, status)
                for row, order_id, status in accepted
            ],
            at=at,
        )
        keys = [{"row_id": row.id, "row_version": row.version} for row, _, _ in accepted]
        removed = await conn.execute(
            delete(outbox).where(
                outbox.c.id == bindparam("row_id"), outbox.c.version == bindparam("row_version")
            ),
            keys[0] if len(keys) == 1 else keys,
        )
        locked = [row.order_key for row, _, status in accepted if locks(status)]
        if locked:
            await withdraw(conn, connection, locked)
    return int(removed.rowcount)


FailureOutcomeKind = Literal["retry", "dead_letter", "stop_connection", "superseded"]


@dataclass(frozen=True, slots=True)
class FailureOutcome:
    """What :func:`record_failure` did.

    ``retry``            the row is due again at ``available_at``;
    ``dead_letter``      it moved to dead letter ``dead_letter_id``;
    ``stop_connection``  it stays queued, and the connection's sync must stop;
    ``superseded``       a newer payload replaced it meanwhile, which is sent in its turn.
    """

    kind: FailureOutcomeKind
    available_at: datetime | None = None
    dead_letter_id: int | None = None


async def record_failure(
    conn: AsyncConnection,
    row: OutboxRow,
    resolution: Resolution,
    reason: str,
    audit_id: int | None = None,
    *,
    now: datetime | None = None,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    backoff: Backoff = DEFAULT_BACKOFF,
) -> FailureOutcome:
    """Act on one row's failure by its resolution.

    ``retry`` counts an attempt and waits ``backoff``, until ``max_attempts`` attempts have
    failed; then, as for ``fail_record`` at once, the row becomes an open dead letter.
    ``rate_limited`` waits the resolution's ``wait`` without counting an attempt (the order
    did nothing wrong). ``fail_connection`` leaves the row as it is and says to stop.
    """
    if resolution.kind == "ignore":
        raise InvalidStateInput("an 'ignore' resolution is not a failure; record_success it")
    if max_attempts < 1:
        raise InvalidStateInput(f"max_attempts must be at least 1, got {max_attempts}")
    at = require_aware(now or utcnow(), "now")
    async with atomic(conn):
        attempts = await _current_attempts(conn, row)
        if attempts is None:
            return FailureOutcome("superseded")
        if resolution.kind == "fail_connection":
            await _keep(conn, row, last_error=reason)
            return FailureOutcome("stop_connection")
        if resolution.kind == "rate_limited":
            wait = resolution.wait if resolution.wait is not None else DEFAULT_RATE_LIMIT_WAIT
            due = at + timedelta(seconds=wait)
            await _keep(conn, row, last_error=reason, available_at=due)
            return FailureOutcome("retry", available_at=due)
        attempts += 1
        if resolution.kind == "retry" and attempts < max_attempts:
            due = at + backoff.delay(attempts)
            await _keep(conn, row, last_error=reason, available_at=due, attempts=attempts)
            return FailureOutcome("retry", available_at=due)
        letter = await park(
            conn,
            row,
            resolution=resolution.kind,
            reason=reason,
            attempts=attempts,
            audit_id=audit_id,
            at=at,
        )
        await conn.execute(delete(outbox).where(outbox.c.id == row.id))
        await note_error(conn, row.connection, row.order_key, reason, at)
    return FailureOutcome("dead_letter", dead_letter_id=letter)


async def _current_attempts(conn: AsyncConnection, row: OutboxRow) -> int | None:
    """The row's attempts if it still holds ``row``'s payload, else ``None`` (locked on PG)."""
    query = (
        select(outbox.c.attempts)
        .where(outbox.c.id == row.id, outbox.c.version == row.version)
        .with_for_update()
    )
    attempts = (await conn.execute(query)).scalar_one_or_none()
    return None if attempts is None else int(attempts)


async def _keep(conn: AsyncConnection, row: OutboxRow, **changes: object) -> None:
    await conn.execute(update(outbox).where(outbox.c.id == row.id).values(**changes))
