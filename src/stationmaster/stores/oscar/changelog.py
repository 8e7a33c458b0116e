"""The change log, written and read: the change feed of the shop's orders.

Written by :mod:`.signals` (one row per change) and by :func:`resync`; read by the connector a
page at a time. Rows are numbered by the database, so the cursor is simply the number of the
last row a page covered. An order changed several times within a page is reported once, at its
latest change.

On a database where numbers are handed out before commit (PostgreSQL sequences), a
transaction can commit a lower number after a higher one was already read. A page therefore
stops at a hole in the numbering while the row after the hole is younger than ``gap_wait``:
the hole is either a transaction still running (its row appears, and is read in order) or a
rolled-back one (the hole stays, and is passed once it is old enough). SQLite hands numbers
out in commit order and leaves no holes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Max

from stationmaster.stores.oscar.models import OrderChange

#: Rows read per query while filling a page (a page of many small changes needs several).
_CHUNK = 500


@dataclass(frozen=True, slots=True)
class Change:
    """The latest change of one order within a page."""

    order_id: int
    seq: int
    changed_at: datetime


@dataclass(frozen=True, slots=True)
class ChangePage:
    """Orders changed after a cursor (oldest latest-change first) and the cursor after them."""

    changes: list[Change]
    cursor: int
    more: bool


def log_changes(order_ids: Iterable[int], what: str, *, using: str = "default") -> int:
    """Log a change of each order (once each), on the database ``using``; how many rows."""
    rows = [OrderChange(order_id=order_id, what=what) for order_id in dict.fromkeys(order_ids)]
    if len(rows) == 1:
        rows[0].save(using=using)
    elif rows:
        OrderChange.objects.using(using).bulk_create(rows)
    return len(rows)


def resync(since: datetime | None = None, *, using: str = "default", chunk: int = 1000) -> int:
    """Log a change of every order (placed at or after ``since``, if given); how many.

    The way to catch up after a change the signals could not see (``QuerySet.update``, raw
    SQL, an import with ``bulk_create``): every order logged comes back through the feed, and
    the sync sends what differs from what ShipStation already has.
    """
    from oscar.core.loading import get_model  # type: ignore[import-untyped]

    orders = get_model("order", "Order")._default_manager.using(using).order_by("pk")
    if since is not None:
        orders = orders.filter(date_placed__gte=since)
    total, after = 0, 0
    while True:
        ids = list(orders.filter(pk__gt=after).values_list("pk", flat=True)[:chunk])
        if not ids:
            return total
        total += log_changes(ids, "resync", using=using)
        after = ids[-1]


def read_page(after: int, limit: int, *, now: datetime, gap_wait: timedelta) -> ChangePage:
    """At most ``limit`` orders changed after row ``after``, each at its latest change."""
    latest: dict[int, Change] = {}
    cursor = after
    while True:
        rows = list(
            OrderChange.objects.filter(id__gt=cursor)
            .order_by("id")
            .values_list("id", "order_id", "changed_at")[:_CHUNK]
        )
        for seq, order_id, changed_at in rows:
            if seq != cursor + 1 and now - changed_at < gap_wait:
                return ChangePage(_in_order(latest), cursor, False)
            if order_id not in latest and len(latest) == limit:
                return ChangePage(_in_order(latest), cursor, True)
            latest[order_id] = Change(order_id, seq, changed_at)
            cursor = seq
        if len(rows) < _CHUNK:
            return ChangePage(_in_order(latest), cursor, False)


def _in_order(latest: dict[int, Change]) -> list[Change]:
    return sorted(latest.values(), key=lambda change: change.seq)


def last_changed(order_ids: Iterable[int]) -> dict[int, datetime]:
    """When each of the orders last changed, by the log (orders never logged are left out)."""
    rows = (
        OrderChange.objects.filter(order_id__in=list(order_ids))
        .values_list("order_id")
        .annotate(last=Max("changed_at"))
    )
    return {order_id: last for order_id, last in rows}
