"""What the dashboard reads: connections with their numbers, throughput, an order's story,
dead letters with what became of them; a few indexed queries per page, however big the tables.

The overview is one query for a page of connections: the page's names are chosen first (so
nothing is computed for the connections an offset skips), then each number is a correlated
subquery that an index answers with a short range (outbox and dead letters by connection,
sync records by connection and push time, packages by connection and time applied, 429
answers by connection, status and time): its cost follows the page size, not the order count.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Final, Literal

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    Text,
    and_,
    case,
    cast,
    column,
    exists,
    func,
    or_,
    select,
    table,
    text,
    union,
    update,
)
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.selectable import ScalarSelect, Subquery

from stationmaster.db._sql import chunks
from stationmaster.db.audit import AuditEntry, entry_of
from stationmaster.db.deadletters import DeadLetter, DeadLetterState, letter_of
from stationmaster.db.errors import InvalidStateInput
from stationmaster.db.native_orders import NativeOrder, native_order_of
from stationmaster.db.native_shipments import NativePackage, get_native_packages
from stationmaster.db.outbox import OutboxRow, row_of
from stationmaster.db.records import SyncRecord, record_of
from stationmaster.db.tables import (
    audit_log,
    connections,
    cursors,
    dead_letters,
    native_orders,
    outbox,
    sync_records,
    tracked_packages,
    tracking_links,
)
from stationmaster.db.tracking import TrackedPackage
from stationmaster.db.types import require_aware

HOUR: Final = timedelta(hours=1)
DAY: Final = timedelta(days=1)

#: Longest note kept with a dismissed dead letter.
NOTE_MAX_LENGTH: Final = 2000

#: The dead letters with their ``note`` (migration 0008), whether or not ``tables.py``
#: declares that column yet.
LETTERS: Final = table(
    "dead_letters",
    *(column(c.name, c.type) for c in dead_letters.c if c.name != "note"),
    column("note", Text()),
)


# --- the overview ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ConnectionSummary:
    """One connection's state and numbers, as the overview shows them."""

    name: str
    mode: str
    store_kind: str
    problem: str | None
    problem_at: datetime | None
    #: Outbox rows waiting, and since when the oldest of them is due.
    backlog: int
    due_since: datetime | None
    dead_letters: int
    last_push: datetime | None
    pushed_hour: int
    pushed_day: int
    #: Last successful read from ShipStation's side (a tracking poll, a mirror refresh) or
    #: by it (a Custom Store export served).
    last_poll: datetime | None
    #: Packages recorded under the connection (push: polled; pull: ship notices applied,
    #: whichever store they went to).
    last_shipment: datetime | None
    shipments_hour: int
    shipments_day: int
    throttled_hour: int
    throttled_day: int

    @property
    def last_pull(self) -> datetime | None:
        """When ShipStation's side last reached us: a poll, or in pull mode a ship notice."""
        if self.mode == "push":
            return self.last_poll
        times = [t for t in (self.last_poll, self.last_shipment) if t is not None]
        return max(times) if times else None


@dataclass(frozen=True, slots=True)
class ConnectionPage:
    rows: list[ConnectionSummary]
    total: int
    page: int
    page_size: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.page_size))


def _connection_filters(prefix: str | None, attention: bool) -> list[ColumnElement[bool]]:
    filters: list[ColumnElement[bool]] = []
    if prefix:
        filters.append(connections.c.name.startswith(prefix, autoescape=True))
    if attention:
        open_letters = exists().where(
            dead_letters.c.connection == connections.c.name, dead_letters.c.state == "open"
        )
        filters.append(or_(connections.c.problem.is_not(None), open_letters))
    return filters


def _page_of(filters: Sequence[ColumnElement[bool]], offset: int, limit: int) -> Subquery:
    """The connections of one page, chosen before any number is computed for them."""
    return (
        select(
            connections.c.name,
            connections.c.mode,
            connections.c.store_kind,
            connections.c.problem,
            connections.c.problem_at,
        )
        .where(*filters)
        .order_by(connections.c.name)
        .offset(offset)
        .limit(limit)
        .subquery("page")
    )


def _summary_query(now: datetime, pull_streams: Sequence[str], page: Subquery) -> Select[Any]:
    """Each connection of ``page`` with its numbers, one correlated subquery per number."""
    hour, day = now - HOUR, now - DAY
    owner = page.c.name

    def count(target: Any, *conditions: ColumnElement[bool]) -> ScalarSelect[Any]:
        query = select(func.count()).select_from(target)
        return query.where(target.c.connection == owner, *conditions).scalar_subquery()

    def aggregate(target: Any, value: Any, *conditions: ColumnElement[bool]) -> ScalarSelect[Any]:
        return select(value).where(target.c.connection == owner, *conditions).scalar_subquery()

    applied = tracked_packages.c.applied_at
    throttled = audit_log.c.status == 429
    return select(
        page.c.name,
        page.c.mode,
        page.c.store_kind,
        page.c.problem,
        page.c.problem_at,
        count(outbox).label("backlog"),
        aggregate(outbox, func.min(outbox.c.available_at)).label("due_since"),
        count(dead_letters, dead_letters.c.state == "open").label("dead_letters"),
        aggregate(sync_records, func.max(sync_records.c.pushed_at)).label("last_push"),
        count(sync_records, sync_records.c.pushed_at >= hour).label("pushed_hour"),
        count(sync_records, sync_records.c.pushed_at >= day).label("pushed_day"),
        aggregate(
            cursors, func.max(cursors.c.updated_at), cursors.c.stream.in_(list(pull_streams))
        ).label("last_poll"),
        aggregate(tracked_packages, func.max(applied)).label("last_shipment"),
        count(tracked_packages, applied >= hour).label("shipments_hour"),
        count(tracked_packages, applied >= day).label("shipments_day"),
        count(audit_log, throttled, audit_log.c.at >= hour).label("throttled_hour"),
        count(audit_log, throttled, audit_log.c.at >= day).label("throttled_day"),
    ).order_by(page.c.name)


def _aware(value: object) -> datetime | None:
    """A time from an aggregate: SQLite hands ``max()`` of a time column back as text."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if not isinstance(value, datetime):
        raise TypeError(f"expected a time, got {value!r}")
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _summary(row: RowMapping) -> ConnectionSummary:
    return ConnectionSummary(
        name=row["name"],
        mode=row["mode"],
        store_kind=row["store_kind"],
        problem=row["problem"],
        problem_at=row["problem_at"],
        backlog=int(row["backlog"]),
        due_since=_aware(row["due_since"]),
        dead_letters=int(row["dead_letters"]),
        last_push=_aware(row["last_push"]),
        pushed_hour=int(row["pushed_hour"]),
        pushed_day=int(row["pushed_day"]),
        last_poll=_aware(row["last_poll"]),
        last_shipment=_aware(row["last_shipment"]),
        shipments_hour=int(row["shipments_hour"]),
        shipments_day=int(row["shipments_day"]),
        throttled_hour=int(row["throttled_hour"]),
        throttled_day=int(row["throttled_day"]),
    )


async def connection_page(
    conn: AsyncConnection,
    *,
    now: datetime,
    page: int = 1,
    page_size: int = 50,
    prefix: str | None = None,
    attention: bool = False,
    pull_streams: Sequence[str] = (),
) -> ConnectionPage:
    """Page ``page`` (1-based, clamped) of connections by name, with their numbers.

    ``prefix`` keeps names starting with it; ``attention`` keeps connections with a problem
    or an open dead letter. ``pull_streams`` are the cursor streams whose last move counts
    as a successful read from ShipStation. Two queries, whatever the page.
    """
    if page_size < 1:
        raise InvalidStateInput(f"page_size must be at least 1, got {page_size}")
    at = require_aware(now, "now")
    filters = _connection_filters(prefix, attention)
    total = int(
        (
            await conn.execute(select(func.count()).select_from(connections).where(*filters))
        ).scalar_one()
    )
    pages = max(1, math.ceil(total / page_size))
    page = min(max(1, page), pages)
    query = _summary_query(at, pull_streams, _page_of(filters, (page - 1) * page_size, page_size))
    if conn.dialect.name == "postgresql":
        # Fifty cheap index probes look costly to the planner, and compiling them (JIT) would
        # take longer than running them.
        await conn.execute(text("SET LOCAL jit = off"))
    rows = [_summary(row) for row in (await conn.execute(query)).mappings()]
    return ConnectionPage(rows, total, page, page_size)


async def connection_names(
    conn: AsyncConnection, *, prefix: str = "", limit: int = 50
) -> list[str]:
    """Connection names in order, starting with ``prefix`` (for pickers)."""
    query = select(connections.c.name).order_by(connections.c.name).limit(limit)
    if prefix:
        query = query.where(connections.c.name.startswith(prefix, autoescape=True))
    return list((await conn.execute(query)).scalars())


# --- throughput ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Bucket:
    """ShipStation requests (and how many of them got 429) in ``[start, start + width)``."""

    start: datetime
    requests: int
    throttled: int


def _bucket_number(conn: AsyncConnection, seconds: int) -> ColumnElement[Any]:
    if conn.dialect.name == "sqlite":
        epoch: ColumnElement[Any] = cast(func.strftime("%s", audit_log.c.at), Integer)
        return epoch // seconds
    return cast(func.floor(func.extract("epoch", audit_log.c.at) / seconds), Integer)


async def throughput(
    conn: AsyncConnection,
    connection: str,
    *,
    now: datetime,
    hours: int = 6,
    width: timedelta = timedelta(minutes=10),
) -> list[Bucket]:
    """The connection's requests to ShipStation per ``width`` over the last ``hours``.

    One grouped query over the audit log's (connection, time) index; every bucket is in the
    answer, empty ones as zeros, oldest first, the last one the bucket holding ``now``.
    """
    seconds = int(width.total_seconds())
    if seconds < 60 or hours < 1:
        raise InvalidStateInput(
            "throughput needs buckets of a minute or more, over an hour or more"
        )
    at = require_aware(now, "now")
    last = int(at.timestamp()) // seconds
    first = last - (hours * 3600) // seconds + 1
    start = datetime.fromtimestamp(first * seconds, UTC)
    number = _bucket_number(conn, seconds).label("number")
    query = (
        select(
            number,
            func.count().label("requests"),
            func.sum(case((audit_log.c.status == 429, 1), else_=0)).label("throttled"),
        )
        .where(audit_log.c.connection == connection, audit_log.c.at >= start)
        .group_by(number)
    )
    counts = {
        int(row.number): (int(row.requests), int(row.throttled or 0))
        for row in await conn.execute(query)
    }
    return [
        Bucket(datetime.fromtimestamp(n * seconds, UTC), *counts.get(n, (0, 0)))
        for n in range(first, last + 1)
    ]


# --- finding an order ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OrderHit:
    connection: str
    order_key: str
    source_id: str | None
    number: str | None = None


async def find_orders(
    conn: AsyncConnection, wanted: str, *, connection: str | None = None, limit: int = 20
) -> list[OrderHit]:
    """Orders whose key or store id is ``wanted``; failing those, whose number is.

    Keys and store ids are looked up through each connection's indexes (a probe per
    connection). A number is kept only with stored documents (native stores and Custom Store
    mirrors), in its own indexed column, and looked for last (within ``connection`` if given).
    """
    term = wanted.strip()
    if not term:
        return []
    number = native_orders.c.number
    stored_columns = (
        native_orders.c.connection,
        native_orders.c.order_key,
        native_orders.c.source_id,
        number,
    )
    scope = [connections.c.name == connection] if connection is not None else []
    by_key = (
        select(sync_records.c.connection, sync_records.c.order_key, sync_records.c.source_id)
        .select_from(
            connections.join(
                sync_records,
                and_(
                    sync_records.c.connection == connections.c.name,
                    sync_records.c.order_key == term,
                ),
            )
        )
        .where(*scope)
        .limit(limit)
    )
    # One join per column, so each is a probe of that column's index for every connection.
    by_id = union(
        *(
            select(*stored_columns)
            .select_from(
                connections.join(
                    native_orders,
                    and_(native_orders.c.connection == connections.c.name, column_ == term),
                )
            )
            .where(*scope)
            for column_ in (native_orders.c.order_key, native_orders.c.source_id)
        )
    ).limit(limit)
    hits: dict[tuple[str, str], OrderHit] = {}
    for row in (await conn.execute(by_id)).mappings():
        hits[(row["connection"], row["order_key"])] = OrderHit(
            row["connection"], row["order_key"], row["source_id"], row["number"]
        )
    for row in (await conn.execute(by_key)).mappings():
        hits.setdefault(
            (row["connection"], row["order_key"]),
            OrderHit(row["connection"], row["order_key"], row["source_id"]),
        )
    if not hits:
        by_number = select(*stored_columns).where(number == term).limit(limit)
        if connection is not None:
            by_number = by_number.where(native_orders.c.connection == connection)
        for row in (await conn.execute(by_number)).mappings():
            hits[(row["connection"], row["order_key"])] = OrderHit(
                row["connection"], row["order_key"], row["source_id"], row["number"]
            )
    return sorted(hits.values(), key=lambda hit: (hit.connection, hit.order_key))[:limit]


# --- an order's story ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LetterView:
    """A dead letter with the note it was dismissed with, if any."""

    letter: DeadLetter
    note: str | None


@dataclass(frozen=True, slots=True)
class OrderStory:
    """Everything stationmaster holds about one order key, oldest facts first."""

    connection: str
    order_key: str
    record: SyncRecord | None
    stored: NativeOrder | None
    queued: OutboxRow | None
    letters: list[LetterView]
    packages: list[TrackedPackage]
    native_packages: list[NativePackage]
    #: ShipStation orders that carry this order's shipments (split children, merge survivors).
    linked: list[tuple[int, str]]
    audit: list[AuditEntry]

    @property
    def source_id(self) -> str | None:
        if self.record is not None and self.record.source_id is not None:
            return self.record.source_id
        return self.stored.source_id if self.stored is not None else None

    @property
    def found(self) -> bool:
        return any((self.record, self.stored, self.queued, self.letters))


#: How far around each known moment of an order the audit log is searched for it.
AUDIT_PAD: Final = timedelta(minutes=15)
#: Most audit entries shown for one order.
AUDIT_LIMIT: Final = 50


def _letter_view(row: RowMapping) -> LetterView:
    return LetterView(letter_of(row), row["note"])


def _windows(moments: Sequence[datetime], pad: timedelta) -> list[tuple[datetime, datetime]]:
    """Time windows of ``pad`` around each moment, overlapping ones merged."""
    merged: list[tuple[datetime, datetime]] = []
    for moment in sorted(moments):
        start, end = moment - pad, moment + pad
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _like_json_string(value: str) -> str:
    """A LIKE pattern for ``value`` as a whole JSON string (``\\`` escapes)."""
    escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f'%"{escaped}"%'


async def order_story(
    conn: AsyncConnection, connection: str, order_key: str, *, now: datetime
) -> OrderStory:
    """The order's record, stored copy, queued payload, dead letters, packages and exchanges.

    Exchanges are found by the order key in their bodies, within ``AUDIT_PAD`` of each
    moment the order is known to have been sent (its push, its queueing, its dead letters),
    plus the exchange each dead letter names: an index range of the audit log, never a scan.
    """
    at = require_aware(now, "now")
    record_row = (
        (
            await conn.execute(
                select(sync_records).where(
                    sync_records.c.connection == connection,
                    sync_records.c.order_key == order_key,
                )
            )
        )
        .mappings()
        .first()
    )
    record = record_of(record_row) if record_row is not None else None
    stored_row = (
        (
            await conn.execute(
                select(native_orders).where(
                    native_orders.c.connection == connection,
                    native_orders.c.order_key == order_key,
                )
            )
        )
        .mappings()
        .first()
    )
    stored = native_order_of(stored_row) if stored_row is not None else None
    queued_row = (
        (
            await conn.execute(
                select(outbox).where(
                    outbox.c.connection == connection, outbox.c.order_key == order_key
                )
            )
        )
        .mappings()
        .first()
    )
    queued = row_of(queued_row) if queued_row is not None else None
    letters = [
        _letter_view(row)
        for row in (
            await conn.execute(
                select(LETTERS)
                .where(LETTERS.c.connection == connection, LETTERS.c.order_key == order_key)
                .order_by(LETTERS.c.id)
            )
        ).mappings()
    ]
    source_id = record.source_id if record is not None else None
    if source_id is None and stored is not None:
        source_id = stored.source_id
    packages: list[TrackedPackage] = []
    native_packages: list[NativePackage] = []
    if source_id is not None:
        packages = await _packages(conn, connection, source_id)
        native_packages = await get_native_packages(conn, connection, source_id)
    linked = [
        (int(order_id), relation)
        for order_id, relation in await conn.execute(
            select(tracking_links.c.order_id, tracking_links.c.relation)
            .where(
                tracking_links.c.connection == connection,
                tracking_links.c.order_key == order_key,
            )
            .order_by(tracking_links.c.order_id)
        )
    ]
    moments = [view.letter.created_at for view in letters]
    if record is not None and record.pushed_at is not None:
        moments.append(record.pushed_at)
    if queued is not None:
        moments += [queued.enqueued_at, min(at, queued.available_at)]
    moments += [package.applied_at for package in native_packages]
    audit_ids = [view.letter.audit_id for view in letters if view.letter.audit_id is not None]
    audit = await _order_audit(conn, connection, order_key, moments, audit_ids)
    return OrderStory(
        connection,
        order_key,
        record,
        stored,
        queued,
        letters,
        packages,
        native_packages,
        linked,
        audit,
    )


async def _packages(conn: AsyncConnection, connection: str, source_id: str) -> list[TrackedPackage]:
    query = (
        select(tracked_packages)
        .where(
            tracked_packages.c.connection == connection,
            tracked_packages.c.source_id == source_id,
        )
        .order_by(tracked_packages.c.applied_at, tracked_packages.c.package_key)
    )
    return [
        TrackedPackage(
            source_id=row["source_id"],
            package_key=row["package_key"],
            order_id=row["order_id"],
            tracking_number=row["tracking_number"],
            payload=row["payload"],
            voided=bool(row["voided"]),
            pending=bool(row["pending"]),
        )
        for row in (await conn.execute(query)).mappings()
    ]


async def _order_audit(
    conn: AsyncConnection,
    connection: str,
    order_key: str,
    moments: Sequence[datetime],
    audit_ids: Sequence[int],
) -> list[AuditEntry]:
    windows = _windows(moments, AUDIT_PAD)
    if not windows and not audit_ids:
        return []
    pattern = _like_json_string(order_key)
    mentions = or_(
        audit_log.c.request_body.like(pattern, escape="\\"),
        audit_log.c.response_body.like(pattern, escape="\\"),
    )
    nearby = or_(*(audit_log.c.at.between(start, end) for start, end in windows))
    chosen: list[ColumnElement[bool]] = []
    if windows:
        chosen.append(and_(nearby, mentions))
    if audit_ids:
        chosen.append(audit_log.c.id.in_(list(audit_ids)))
    query = (
        select(audit_log)
        .where(audit_log.c.connection == connection, or_(*chosen))
        .order_by(audit_log.c.at, audit_log.c.id)
        .limit(AUDIT_LIMIT)
    )
    return [entry_of(row) for row in (await conn.execute(query)).mappings()]


# --- dead letters ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LetterPage:
    """Dead letters newest first; ``next_before`` continues the list (``None``: the end)."""

    letters: list[LetterView]
    total: int
    next_before: int | None


async def dead_letter_page(
    conn: AsyncConnection,
    *,
    connection: str | None = None,
    state: DeadLetterState | None = "open",
    before: int | None = None,
    limit: int = 50,
) -> LetterPage:
    """A page of dead letters (``state`` ``None``: any), with how many match in all."""
    if limit < 1:
        raise InvalidStateInput(f"limit must be at least 1, got {limit}")
    filters: list[ColumnElement[bool]] = []
    if connection is not None:
        filters.append(LETTERS.c.connection == connection)
    if state is not None:
        filters.append(LETTERS.c.state == state)
    total = int(
        (await conn.execute(select(func.count()).select_from(LETTERS).where(*filters))).scalar_one()
    )
    query = select(LETTERS).where(*filters)
    if before is not None:
        query = query.where(LETTERS.c.id < before)
    rows = (await conn.execute(query.order_by(LETTERS.c.id.desc()).limit(limit + 1))).mappings()
    letters = [_letter_view(row) for row in rows]
    more = len(letters) > limit
    letters = letters[:limit]
    return LetterPage(letters, total, letters[-1].letter.id if more and letters else None)


async def get_letter_views(conn: AsyncConnection, ids: Sequence[int]) -> dict[int, LetterView]:
    """The dead letters among ``ids``, with their notes, by id."""
    found: dict[int, LetterView] = {}
    for part in chunks(list(dict.fromkeys(ids))):
        query = select(LETTERS).where(LETTERS.c.id.in_(part))
        for row in (await conn.execute(query)).mappings():
            found[row["id"]] = _letter_view(row)
    return found


async def dismiss_dead_letters(conn: AsyncConnection, ids: Sequence[int], note: str) -> list[int]:
    """Close open dead letters among ``ids`` without sending them, keeping ``note``; their ids.

    The note says why (an operator fixed the order by hand, or it must never be sent); an
    empty or overlong one is refused before anything changes.
    """
    text = note.strip()
    if not text:
        raise InvalidStateInput("a dismissal needs a note saying why")
    if len(text) > NOTE_MAX_LENGTH:
        raise InvalidStateInput(f"the note is longer than {NOTE_MAX_LENGTH} characters")
    closed: list[int] = []
    for part in chunks(sorted(set(ids))):
        query = select(LETTERS.c.id).where(LETTERS.c.id.in_(part), LETTERS.c.state == "open")
        mine = list((await conn.execute(query.with_for_update())).scalars())
        if mine:
            await conn.execute(
                update(LETTERS).where(LETTERS.c.id.in_(mine)).values(state="resolved", note=text)
            )
        closed += mine
    return closed


FollowupKind = Literal["accepted", "queued", "failed_again", "gone"]


@dataclass(frozen=True, slots=True)
class Followup:
    """What became of a replayed dead letter's order since the replay."""

    kind: FollowupKind
    at: datetime | None = None
    order_id: int | None = None
    attempts: int = 0
    reason: str | None = None
    letter_id: int | None = None

    @property
    def settled(self) -> bool:
        """Whether the story has ended (nothing left to watch)."""
        return self.kind in ("accepted", "failed_again", "gone")


@dataclass(frozen=True, slots=True)
class _KeyState:
    records: dict[tuple[str, str], SyncRecord] = field(default_factory=dict)
    queued: dict[tuple[str, str], OutboxRow] = field(default_factory=dict)
    letters: dict[tuple[str, str], list[LetterView]] = field(default_factory=dict)


def _pairs(column_a: Any, column_b: Any, pairs: Sequence[tuple[str, str]]) -> ColumnElement[bool]:
    by_connection: dict[str, list[str]] = {}
    for connection, key in pairs:
        by_connection.setdefault(connection, []).append(key)
    return or_(*(and_(column_a == c, column_b.in_(keys)) for c, keys in by_connection.items()))


async def _key_state(conn: AsyncConnection, pairs: Sequence[tuple[str, str]]) -> _KeyState:
    state = _KeyState()
    for part in chunks(list(dict.fromkeys(pairs))):
        records = select(sync_records).where(
            _pairs(sync_records.c.connection, sync_records.c.order_key, part)
        )
        for row in (await conn.execute(records)).mappings():
            state.records[(row["connection"], row["order_key"])] = record_of(row)
        queued = select(outbox).where(_pairs(outbox.c.connection, outbox.c.order_key, part))
        for row in (await conn.execute(queued)).mappings():
            state.queued[(row["connection"], row["order_key"])] = row_of(row)
        letters = select(LETTERS).where(
            _pairs(LETTERS.c.connection, LETTERS.c.order_key, part), LETTERS.c.state == "open"
        )
        for row in (await conn.execute(letters.order_by(LETTERS.c.id))).mappings():
            view = _letter_view(row)
            state.letters.setdefault((row["connection"], row["order_key"]), []).append(view)
    return state


async def followups(conn: AsyncConnection, letters: Sequence[DeadLetter]) -> dict[int, Followup]:
    """For each replayed letter: accepted since, refused again, still queued, or gone.

    Three queries for any number of letters (of a few hundred keys).
    """
    replayed = [letter for letter in letters if letter.replayed_at is not None]
    if not replayed:
        return {}
    state = await _key_state(conn, [(lt.connection, lt.order_key) for lt in replayed])
    return {letter.id: _followup(letter, state) for letter in replayed}


def _followup(letter: DeadLetter, state: _KeyState) -> Followup:
    key = (letter.connection, letter.order_key)
    since = letter.replayed_at
    assert since is not None  # only replayed letters get here
    record = state.records.get(key)
    if record is not None and record.pushed_at is not None and record.pushed_at >= since:
        return Followup("accepted", at=record.pushed_at, order_id=record.order_id)
    newer = [view for view in state.letters.get(key, []) if view.letter.id > letter.id]
    if newer:
        again = newer[-1].letter
        return Followup(
            "failed_again", at=again.created_at, reason=again.reason, letter_id=again.id
        )
    queued = state.queued.get(key)
    if queued is not None:
        return Followup(
            "queued", at=queued.available_at, attempts=queued.attempts, reason=queued.last_error
        )
    return Followup("gone")
