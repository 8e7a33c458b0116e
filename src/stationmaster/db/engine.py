"""Async engines for stationmaster's two databases, from the URL a user writes in the config.

Users write ``sqlite:///stationmaster.db`` or ``postgresql://user@host/db``; this module picks
the async driver (aiosqlite, psycopg 3) and sets SQLite up for a service: WAL (readers never
block the writer), a busy timeout, foreign keys, ``synchronous=NORMAL``, and transactions that
start with ``BEGIN IMMEDIATE`` so two writers queue on the busy timeout instead of failing
halfway through when one of them upgrades a read lock.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import URL, event, make_url
from sqlalchemy.engine import Connection
from sqlalchemy.exc import ArgumentError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from stationmaster.errors import ConfigError

SQLITE_BUSY_TIMEOUT_MS = 10_000
SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}",
    "PRAGMA foreign_keys=ON",
    "PRAGMA synchronous=NORMAL",
)

_ASYNC_DRIVERS = {
    "sqlite": "sqlite+aiosqlite",
    "sqlite+aiosqlite": "sqlite+aiosqlite",
    "postgres": "postgresql+psycopg",
    "postgresql": "postgresql+psycopg",
    "postgresql+psycopg": "postgresql+psycopg",
    "postgresql+psycopg_async": "postgresql+psycopg",
}


def database_url(url: str) -> URL:
    """The async-driver URL for a user's database URL, or :class:`ConfigError` saying why not.

    Error messages never repeat a password: a parsed URL is shown with it hidden, and an
    unparsable one is not shown at all beyond its scheme.
    """
    try:
        parsed = make_url(url.strip())
    except ArgumentError:
        scheme = url.split(":", 1)[0] if ":" in url else ""
        raise ConfigError(
            f"database url is not a URL (scheme {scheme!r}); expected sqlite:///path/to/file.db "
            "or postgresql://user@host/database"
        ) from None
    driver = _ASYNC_DRIVERS.get(parsed.drivername)
    shown = parsed.render_as_string(hide_password=True)
    if driver is None:
        raise ConfigError(
            f"unsupported database url {shown!r}: stationmaster runs on sqlite:/// (aiosqlite) "
            "or postgresql:// (psycopg 3)"
        )
    parsed = parsed.set(drivername=driver)
    if driver.startswith("sqlite"):
        _check_sqlite_path(parsed, shown)
    elif not parsed.database:
        raise ConfigError(f"database url {shown!r} names no database")
    return parsed


def _check_sqlite_path(url: URL, shown: str) -> None:
    database = url.database or ""
    if (
        database in ("", ":memory:")
        or "mode=memory" in database
        or url.query.get("mode") == ("memory")
    ):
        raise ConfigError(
            f"database url {shown!r} is an in-memory SQLite database, which every pooled "
            "connection would see empty; use a file, e.g. sqlite:///stationmaster.db"
        )
    directory = Path(database).expanduser().resolve().parent
    if not directory.is_dir():
        raise ConfigError(f"database url {shown!r}: directory {directory} does not exist")


def create_engine(url: str, **options: Any) -> AsyncEngine:
    """An :class:`AsyncEngine` for ``url``; ``options`` go to SQLAlchemy (e.g. ``echo=True``)."""
    target = database_url(url)
    if target.drivername.startswith("sqlite"):
        engine = create_async_engine(target, **options)
        _configure_sqlite(engine)
        return engine
    options.setdefault("pool_pre_ping", True)
    return create_async_engine(target, **options)


def _configure_sqlite(engine: AsyncEngine) -> None:
    sync_engine = engine.sync_engine

    @event.listens_for(sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: object) -> None:
        # The driver's own transaction handling skips BEGIN before SELECTs and SAVEPOINTs;
        # switching it off lets the begin hook below start every transaction itself.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            for pragma in SQLITE_PRAGMAS:
                cursor.execute(pragma)
        finally:
            cursor.close()

    @event.listens_for(sync_engine, "begin")
    def _on_begin(connection: Connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")
