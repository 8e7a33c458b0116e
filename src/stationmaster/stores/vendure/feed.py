"""The change feed's cursor over Vendure orders: the last ``updatedAt``, and what was seen at it.

Vendure's order list sorts by one field at a time in practice (a GraphQL input object keeps
its schema's field order, not the caller's, so ``{updatedAt, id}`` sorts by id first), and
ids are opaque strings that cannot be compared for order. So the cursor is the last
``updatedAt`` handed out, with the orders handed out at exactly that instant, each with a
digest of what was read of it. The next page asks for the orders updated at or after that
instant, sorted by ``updatedAt``, and skips those seen at it whose digest has not changed:
orders sharing a timestamp across a page boundary are neither skipped nor repeated, whatever
order the database returns ties in.

Ties are common, and so are changes within one instant: on SQLite Vendure stores ``updatedAt``
to the second when TypeORM stamps it (to the millisecond when Vendure does), so an order can
be handed out and changed again within the same second, keeping its ``updatedAt``. The digest
is what catches that change; an order changed only in fields the connector does not read
keeps its digest and is not handed out again, which is right, since nothing that syncs moved.

The stored forms differ too: ``'12:00:05'`` and ``'12:00:05.000'`` are one instant but
neither equal nor ordered as such in SQLite's text comparison. "At or after T" is therefore
asked as "after T minus one millisecond", exact for both forms. On databases that keep
microseconds that filter can also return an order shown (to the millisecond) just before T,
one handed out already: it is dropped, and remembered with the orders of T so it never takes
a page's room twice. Each page asks for as many more orders as the cursor remembers, so
skipped orders never crowd out new ones. The memory holds the orders of one instant (a bulk
import that stamps thousands of orders with one second makes it as long as that batch).

An order changed after the instant it was handed out has a later ``updatedAt`` and comes back.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import JsonValue

from stationmaster.stores.protocol import StoreError


class BadCursor(StoreError, ValueError):
    """A cursor this connector did not hand out."""


@dataclass(frozen=True, slots=True)
class Seen:
    """One order as the feed read it: its id, its ``updatedAt`` and a digest of its data."""

    order_id: str
    updated_at: datetime
    digest: str


def digest_of(item: Mapping[str, Any]) -> str:
    """A short digest of an order's data as read (any change read makes a different one)."""
    text = json.dumps(item, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class FeedCursor:
    """Where the feed stands: the last ``updatedAt`` handed out, and the orders seen at it."""

    at: datetime | None = None
    seen: tuple[tuple[str, str], ...] = ()
    """(order id, digest) of the orders handed out (or dropped) at ``at``."""

    @classmethod
    def parse(cls, value: JsonValue) -> FeedCursor:
        """The cursor in ``value`` (``None``: the start); :class:`BadCursor` for anything else."""
        if value is None:
            return cls()
        bad = BadCursor(f"not a Vendure feed cursor: {value!r:.200}")
        if not isinstance(value, dict) or set(value) != {"at", "seen"}:
            raise bad
        at, seen = value["at"], value["seen"]
        if not isinstance(at, str) or not isinstance(seen, dict):
            raise bad
        if not all(isinstance(digest, str) for digest in seen.values()):
            raise bad
        try:
            instant = datetime.fromisoformat(at)
        except ValueError:
            raise bad from None
        if instant.tzinfo is None:
            raise bad
        pairs = tuple((key, digest) for key, digest in seen.items() if isinstance(digest, str))
        return cls(instant.astimezone(UTC), pairs)

    def dump(self) -> JsonValue:
        if self.at is None:
            return None
        return {"at": wire_time(self.at), "seen": dict(self.seen)}

    def take(self, limit: int) -> int:
        """How many orders to ask for so that ``limit`` new ones fit past the skipped ones."""
        return limit + 1 + len(self.seen)

    def walk(self, page: Sequence[Seen], limit: int) -> tuple[FeedCursor, list[int], bool]:
        """Walk a page read with :meth:`take` and :func:`list_options`, oldest first.

        Returns the cursor after what was handed out, the positions in ``page`` to hand out
        (at most ``limit``), and whether more may follow.
        """
        at, seen = self.at, dict(self.seen)
        fresh: list[int] = []
        for position, order in enumerate(page):
            instant = order.updated_at.astimezone(UTC)
            if at is not None and instant < at:
                seen.setdefault(order.order_id, "")  # handed out before T; see the module doc
                continue
            if at is not None and instant == at and seen.get(order.order_id) == order.digest:
                continue
            if len(fresh) == limit:
                return FeedCursor(at, tuple(seen.items())), fresh, True
            if at is None or instant > at:
                at, seen = instant, {}
            seen[order.order_id] = order.digest
            fresh.append(position)
        return FeedCursor(at, tuple(seen.items())), fresh, len(page) >= self.take(limit)


def list_options(cursor: FeedCursor, states: Sequence[str], limit: int) -> dict[str, Any]:
    """``OrderListOptions`` for a page after ``cursor`` in ``states``, oldest change first."""
    conditions: list[dict[str, Any]] = [{"state": {"in": list(states)}}]
    if cursor.at is not None:
        just_before = wire_time(cursor.at - timedelta(milliseconds=1))
        conditions.append({"updatedAt": {"after": just_before}})
    return {
        "filter": {"_and": conditions},
        "sort": {"updatedAt": "ASC"},
        "take": cursor.take(limit),
    }


def wire_time(instant: datetime) -> str:
    """An instant as Vendure's DateTime scalar writes it: UTC, milliseconds, ``Z``."""
    utc = instant.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"
