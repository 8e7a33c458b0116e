"""Engines from user URLs: drivers, SQLite settings, and clear refusals."""

from pathlib import Path

import pytest
from sqlalchemy import text

from stationmaster.db import create_engine, database_url
from stationmaster.errors import ConfigError


@pytest.mark.parametrize(
    ("given", "driver"),
    [
        ("sqlite:///{dir}/a.db", "sqlite+aiosqlite"),
        ("sqlite+aiosqlite:///{dir}/a.db", "sqlite+aiosqlite"),
        ("postgresql://u@h/db", "postgresql+psycopg"),
        ("postgres://u@h/db", "postgresql+psycopg"),
        ("postgresql+psycopg://u:pw@h:5433/db", "postgresql+psycopg"),
    ],
)
def test_user_urls_map_to_async_drivers(tmp_path: Path, given: str, driver: str) -> None:
    url = database_url(given.format(dir=tmp_path))
    assert url.drivername == driver


def test_postgres_url_keeps_everything_but_the_driver() -> None:
    url = database_url("postgresql://user:pw@db.example:5433/shop?sslmode=require")
    assert (url.username, url.password, url.host, url.port, url.database) == (
        "user",
        "pw",
        "db.example",
        5433,
        "shop",
    )
    assert url.query == {"sslmode": "require"}


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ("mysql://root:hunter2@h/db", "unsupported database url"),
        ("postgresql+asyncpg://root:hunter2@h/db", "unsupported database url"),
        ("sqlite://", "in-memory"),
        ("sqlite:///:memory:", "in-memory"),
        ("sqlite:///no/such/directory/x.db", "does not exist"),
        ("postgresql://root:hunter2@h", "names no database"),
        ("not a url at all hunter2", "not a URL"),
    ],
)
def test_bad_urls_are_config_errors_without_the_password(given: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as caught:
        create_engine(given)
    assert "hunter2" not in str(caught.value)


@pytest.mark.anyio
async def test_sqlite_connections_get_the_service_pragmas(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path}/p.db")
    try:
        async with engine.connect() as conn:
            values = {
                pragma: (await conn.exec_driver_sql(f"PRAGMA {pragma}")).scalar_one()
                for pragma in ("journal_mode", "foreign_keys", "synchronous", "busy_timeout")
            }
    finally:
        await engine.dispose()
    # synchronous: 1 is NORMAL.
    assert values == {
        "journal_mode": "wal",
        "foreign_keys": 1,
        "synchronous": 1,
        "busy_timeout": 10_000,
    }


@pytest.mark.anyio
async def test_sqlite_savepoint_rollback_keeps_the_outer_transaction(tmp_path: Path) -> None:
    # The driver's own transaction handling breaks SAVEPOINT; the engine must take it over.
    engine = create_engine(f"sqlite:///{tmp_path}/s.db")
    try:
        async with engine.begin() as conn:
            await conn.execute(text("CREATE TABLE t (x INTEGER)"))
        async with engine.begin() as conn:
            await conn.execute(text("INSERT INTO t VALUES (1)"))
            savepoint = await conn.begin_nested()
            await conn.execute(text("INSERT INTO t VALUES (2)"))
            await savepoint.rollback()
        async with engine.begin() as conn:
            await conn.execute(text("INSERT INTO t VALUES (3)"))
            await conn.rollback()
        async with engine.connect() as conn:
            rows = (await conn.execute(text("SELECT x FROM t ORDER BY x"))).scalars().all()
    finally:
        await engine.dispose()
    assert rows == [1]
