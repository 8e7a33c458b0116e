"""Per-connection numbers for the status page: backlog, pushed, failed, 429s, tracked."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from stationmaster.db.tables import (
    audit_log,
    connections,
    dead_letters,
    outbox,
    sync_records,
    tracked_packages,
)


@dataclass(frozen=True, slots=True)
class ConnectionCounters:
    connection: str
    #: Outbox rows waiting to be sent (due or backing off).
    backlog: int
    #: Orders ShipStation has accepted at least once.
    pushed: int
    #: Open dead letters.
    failed: int
    #: When ShipStation last accepted an order of this connection.
    last_success: datetime | None
    #: Answers of 429 (Too Many Requests) in the audit log.
    rate_limited: int = 0
    #: Store orders with at least one live (not voided) package brought back from ShipStation.
    tracked: int = 0
    #: Orders whose latest attempt failed (refused by the rules, unreadable in the store, or
    #: refused by ShipStation), until one goes through.
    order_errors: int = 0
    #: What stopped the connection's last pass, and when; ``None`` after a good pass.
    problem: str | None = None
    problem_at: datetime | None = None


async def connection_counters(
    conn: AsyncConnection, names: Sequence[str] | None = None
) -> list[ConnectionCounters]:
    """Counters for every connection (or those named), by connection name."""
    query = select(connections.c.name, connections.c.problem, connections.c.problem_at).order_by(
        connections.c.name
    )
    if names is not None:
        query = query.where(connections.c.name.in_(list(names)))
    problems = {name: (problem, at) for name, problem, at in await conn.execute(query)}
    wanted = list(problems)
    errors_query = (
        select(sync_records.c.connection, func.count())
        .where(sync_records.c.last_error.is_not(None))
        .group_by(sync_records.c.connection)
    )
    errors = {name: int(count) for name, count in await conn.execute(errors_query)}
    backlog_query = select(outbox.c.connection, func.count()).group_by(outbox.c.connection)
    backlog = {name: int(count) for name, count in await conn.execute(backlog_query)}
    failed_query = (
        select(dead_letters.c.connection, func.count())
        .where(dead_letters.c.state == "open")
        .group_by(dead_letters.c.connection)
    )
    failed = {name: int(count) for name, count in await conn.execute(failed_query)}
    pushed_query = (
        select(sync_records.c.connection, func.count(), func.max(sync_records.c.pushed_at))
        .where(sync_records.c.fingerprint.is_not(None))
        .group_by(sync_records.c.connection)
    )
    pushed = {name: (int(count), last) for name, count, last in await conn.execute(pushed_query)}
    throttled_query = (
        select(audit_log.c.connection, func.count())
        .where(audit_log.c.status == 429)
        .group_by(audit_log.c.connection)
    )
    throttled = {name: int(count) for name, count in await conn.execute(throttled_query)}
    tracked_query = (
        select(
            tracked_packages.c.connection, func.count(func.distinct(tracked_packages.c.source_id))
        )
        .where(tracked_packages.c.voided.is_(False))
        .group_by(tracked_packages.c.connection)
    )
    tracked = {name: int(count) for name, count in await conn.execute(tracked_query)}
    return [
        ConnectionCounters(
            connection=name,
            backlog=backlog.get(name, 0),
            pushed=pushed.get(name, (0, None))[0],
            failed=failed.get(name, 0),
            last_success=pushed.get(name, (0, None))[1],
            rate_limited=throttled.get(name, 0),
            tracked=tracked.get(name, 0),
            order_errors=errors.get(name, 0),
            problem=problems[name][0],
            problem_at=problems[name][1],
        )
        for name in wanted
    ]
