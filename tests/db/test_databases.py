"""The test database helpers others' tests rely on: fresh databases, skip or fail without PG."""

import asyncio
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import make_url

from stationmaster.db import (
    create_engine,
    current_revision,
    ensure_connection,
    head_revision,
    list_connections,
)
from stationmaster.testing import databases
from stationmaster.testing.databases import (
    REQUIRE_PG_ENV,
    PgDatabasePool,
    drop_pg_database,
    fresh_pg_url,
    fresh_sqlite_url,
    migrated_pg_template,
    migrated_sqlite_template,
    pg_available,
    pg_database,
    require_pg,
)


def test_fresh_sqlite_url_lives_in_the_given_directory(tmp_path: Path) -> None:
    assert fresh_sqlite_url(tmp_path) == f"sqlite:///{tmp_path}/stationmaster.db"
    assert not (tmp_path / "stationmaster.db").exists()


def test_fresh_databases_from_a_template_are_migrated_and_separate(tmp_path: Path) -> None:
    for name in "tab":
        (tmp_path / name).mkdir()
    template = migrated_sqlite_template(tmp_path / "t")
    first = fresh_sqlite_url(tmp_path / "a", template)
    second = fresh_sqlite_url(tmp_path / "b", template)

    async def revision_after_write(url: str, name: str) -> tuple[str | None, list[str]]:
        engine = create_engine(url)
        try:
            async with engine.begin() as conn:
                await ensure_connection(conn, name, mode="push", store_kind="native")
                names = [c.name for c in await list_connections(conn)]
            return await current_revision(engine), names
        finally:
            await engine.dispose()

    assert asyncio.run(revision_after_write(first, "a")) == (head_revision(), ["a"])
    assert asyncio.run(revision_after_write(second, "b")) == (head_revision(), ["b"])


def test_pg_databases_cloned_from_a_template_are_migrated() -> None:
    require_pg()
    template = migrated_pg_template()
    try:
        with pg_database(template) as url:
            engine = create_engine(url)

            async def revision() -> str | None:
                try:
                    return await current_revision(engine)
                finally:
                    await engine.dispose()

            assert asyncio.run(revision()) == head_revision()
    finally:
        drop_pg_database(template)
    assert not _exists(make_url(template).database or "")


def _exists(name: str) -> bool:
    with databases._admin_connection() as admin:
        found = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
    return found is not None


def test_fresh_pg_databases_are_unique_and_dropped() -> None:
    require_pg()
    with pg_database() as first, pg_database() as second:
        assert first != second
        assert first.startswith("postgresql+psycopg://")
        name = first.rsplit("/", 1)[1]
        assert _exists(name)
        # Left open by a test that forgot to close it: dropping still works.
        lingering = psycopg.connect(first.replace("+psycopg", ""))
    assert not _exists(name)
    lingering.close()


def test_only_test_databases_can_be_dropped() -> None:
    with pytest.raises(ValueError, match="refusing"):
        drop_pg_database("postgresql://postgres@127.0.0.1/test")


@pytest.fixture
def unreachable_pg(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    # Port 9 (discard) is closed on any test machine: connection refused at once.
    monkeypatch.setenv(databases.PG_ENV, "postgresql://postgres@127.0.0.1:9/test")
    pg_available.cache_clear()
    yield
    pg_available.cache_clear()


@pytest.mark.usefixtures("unreachable_pg")
def test_without_postgres_tests_skip(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(REQUIRE_PG_ENV, raising=False)
    assert not pg_available()
    with pytest.raises(pytest.skip.Exception, match="not reachable"):
        require_pg()


@pytest.mark.usefixtures("unreachable_pg")
def test_without_postgres_tests_fail_when_it_is_required(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(REQUIRE_PG_ENV, "1")
    with pytest.raises(pytest.fail.Exception, match=REQUIRE_PG_ENV):
        require_pg()
    with pytest.raises(psycopg.OperationalError):
        fresh_pg_url()


def test_recycled_pg_databases_come_back_empty_and_altered_ones_are_dropped() -> None:
    require_pg()
    pool = PgDatabasePool()
    audit_row = (
        "INSERT INTO audit_log (at, key_id, method, url, response_headers, attempt, seconds) "
        "VALUES (now(), 'k', 'GET', '/', '{}', 1, 0.1) RETURNING id"
    )
    try:
        url = pool.take()
        libpq = url.replace("+psycopg", "")
        with psycopg.connect(libpq, autocommit=True) as conn:
            conn.execute(
                "INSERT INTO connections VALUES "
                "('c', 'push', 'native', '{}', NULL, 0, now(), now())"
            )
            conn.execute(audit_row)
        # A test left a transaction open, holding a lock that would block the cleanup.
        lingering = psycopg.connect(libpq)
        lingering.execute("LOCK TABLE connections IN SHARE MODE")
        pool.give_back(url)
        assert pool.take() == url
        with psycopg.connect(libpq, autocommit=True) as conn:
            assert conn.execute("SELECT count(*) FROM connections").fetchone() == (0,)
            assert conn.execute(audit_row).fetchone() == (1,)
            conn.execute("ALTER TABLE leases ADD COLUMN extra integer")
        pool.give_back(url)
        assert not _exists(make_url(url).database or "")
        replacement = pool.take()
        assert replacement != url
        pool.give_back(replacement)
    finally:
        pool.close()
    with pytest.raises(psycopg.OperationalError):
        lingering.execute("SELECT 1")
    lingering.close()
