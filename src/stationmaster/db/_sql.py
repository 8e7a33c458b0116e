"""Small SQL helpers every state module shares: atomic blocks, upserts, chunked key lists."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager
from typing import TypeVar

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from stationmaster.db.errors import UnknownConnection
from stationmaster.db.tables import connections

T = TypeVar("T")

#: Keys per ``IN (...)`` list: far below both databases' bound-parameter limits.
IN_CHUNK = 500


@asynccontextmanager
async def atomic(conn: AsyncConnection) -> AsyncIterator[None]:
    """All of the block or none of it, whatever the caller does with a failure.

    Inside the caller's transaction this is a savepoint (the caller still commits); on a
    connection with no transaction it is a transaction of its own, committed at the end.
    """
    if conn.in_transaction():
        async with conn.begin_nested():
            yield
    else:
        async with conn.begin():
            yield


def upsert(conn: AsyncConnection, table: Table) -> postgresql.Insert | sqlite.Insert:
    """An ``INSERT`` that supports ``ON CONFLICT`` on the connection's database."""
    if conn.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def chunks(items: Sequence[T], size: int = IN_CHUNK) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


async def require_connection(conn: AsyncConnection, name: str, *, lock: bool = False) -> int:
    """The connection's last native change number; :class:`UnknownConnection` if it has no row.

    ``lock`` takes the row's lock on PostgreSQL (``FOR NO KEY UPDATE``: it serializes the
    writers of the counter without blocking inserts that merely reference the connection),
    so the counter's numbers become visible in the order they were handed out; SQLite's
    transactions are serial already.
    """
    query = connections.select().with_only_columns(connections.c.native_change_seq)
    query = query.where(connections.c.name == name)
    if lock:
        query = query.with_for_update(key_share=True)
    value = (await conn.execute(query)).scalar_one_or_none()
    if value is None:
        raise UnknownConnection(name)
    return int(value)
