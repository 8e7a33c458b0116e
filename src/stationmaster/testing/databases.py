"""Databases for tests: SQLite files and throwaway PostgreSQL databases, plus pytest fixtures.

Functions for any test harness:

* :func:`fresh_sqlite_url` — a SQLite file in a directory, empty or copied from a template;
* :func:`pg_available` — whether the test PostgreSQL server answers (2 s timeout);
* :func:`fresh_pg_url` / :func:`drop_pg_database` — a new, uniquely named database (empty, or
  cloned from a template database), and its removal; :func:`pg_database` does both;
* :func:`migrated_sqlite_template` / :func:`migrated_pg_template` — a database migrated to
  head once, that fresh ones are copied from (much faster than migrating each one).

The server is ``STATIONMASTER_TEST_PG`` or ``postgresql://postgres@127.0.0.1:5432/test``; its
user must be allowed to create databases. Loaded as a pytest plugin
(``pytest_plugins = ["stationmaster.testing.databases"]``) this module also provides:

* ``db_kind`` — parametrized over ``sqlite`` and ``postgresql``; the PostgreSQL case skips
  when the server is unreachable, or fails if the environment says
  ``STATIONMASTER_REQUIRE_PG=1`` (CI, where a silent skip would hide a broken setup);
* ``db_url`` — a database of that kind per test, migrated to head and holding no rows
  (SQLite: a copy of a migrated file; PostgreSQL: a migrated database, recycled between
  tests by :class:`PgDatabasePool`);
* ``empty_db_url`` — a fresh database of that kind with no tables (for migration tests);
* ``engine`` — an async engine on ``db_url``, disposed after the test (async tests only).
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Literal

import psycopg
import pytest
from psycopg import sql
from sqlalchemy import URL, make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from stationmaster.db.engine import create_engine
from stationmaster.db.migrate import upgrade
from stationmaster.db.tables import metadata

DEFAULT_TEST_PG = "postgresql://postgres@127.0.0.1:5432/test"
PG_ENV = "STATIONMASTER_TEST_PG"
REQUIRE_PG_ENV = "STATIONMASTER_REQUIRE_PG"
DATABASE_PREFIX = "stationmaster_test_"
CONNECT_TIMEOUT_SECONDS = 2


def pg_server_url() -> str:
    """The PostgreSQL server tests use (its database is only used to create others)."""
    return os.environ.get(PG_ENV) or DEFAULT_TEST_PG


def _libpq(url: URL) -> str:
    """The URL as psycopg takes it (no SQLAlchemy driver suffix)."""
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def _connect(url: str) -> psycopg.Connection[tuple[object, ...]]:
    return psycopg.connect(
        _libpq(make_url(url)), autocommit=True, connect_timeout=CONNECT_TIMEOUT_SECONDS
    )


def _admin_connection() -> psycopg.Connection[tuple[object, ...]]:
    return _connect(pg_server_url())


@cache
def pg_available() -> bool:
    """Whether the test PostgreSQL server accepts a connection within 2 seconds."""
    try:
        with _admin_connection() as admin:
            admin.execute("SELECT 1")
    except psycopg.Error:
        return False
    return True


SQLITE_FILE = "stationmaster.db"


def fresh_sqlite_url(directory: Path, template: Path | None = None) -> str:
    """A SQLite database in ``directory``: a copy of ``template``, or empty (made on connect)."""
    target = directory / SQLITE_FILE
    if template is not None:
        shutil.copyfile(template, target)
    return f"sqlite:///{target}"


def migrated_sqlite_template(directory: Path) -> Path:
    """A SQLite file in ``directory`` migrated to head, to copy fresh databases from.

    Call from synchronous code (it runs its own event loop).
    """
    url = fresh_sqlite_url(directory)
    upgrade(url)  # the engine is disposed afterwards, which folds the WAL into the file
    return directory / SQLITE_FILE


def fresh_pg_url(template: str | None = None) -> str:
    """Create a new, uniquely named database on the test server; its URL.

    ``template`` (a URL from :func:`migrated_pg_template`) clones that database; nobody may
    be connected to it meanwhile.
    """
    name = f"{DATABASE_PREFIX}{uuid.uuid4().hex[:16]}"
    statement = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
    if template is not None:
        source = sql.Identifier(make_url(template).database or "")
        statement = sql.SQL("{} TEMPLATE {}").format(statement, source)
    with _admin_connection() as admin:
        admin.execute(statement)
    base = make_url(pg_server_url())
    return base.set(drivername="postgresql+psycopg", database=name).render_as_string(
        hide_password=False
    )


def migrated_pg_template() -> str:
    """A new database migrated to head, to clone fresh ones from; drop it when done.

    Call from synchronous code (it runs its own event loop).
    """
    url = fresh_pg_url()
    try:
        upgrade(url)
    except BaseException:
        drop_pg_database(url)
        raise
    return url


def drop_pg_database(url: str) -> None:
    """Drop a database made by :func:`fresh_pg_url`, closing any connection still open to it."""
    name = make_url(url).database
    if not name or not name.startswith(DATABASE_PREFIX):
        raise ValueError(f"refusing to drop {name!r}: not a database made by fresh_pg_url()")
    with _admin_connection() as admin:
        admin.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


@contextmanager
def pg_database(template: str | None = None) -> Iterator[str]:
    """A fresh PostgreSQL database (cloned from ``template`` if given) for the block."""
    url = fresh_pg_url(template)
    try:
        yield url
    finally:
        drop_pg_database(url)


def require_pg() -> None:
    """Skip the calling test without PostgreSQL, or fail it when PostgreSQL is required."""
    if pg_available():
        return
    message = f"PostgreSQL not reachable at {make_url(pg_server_url())!r}"
    if os.environ.get(REQUIRE_PG_ENV) == "1":
        pytest.fail(f"{message}, and {REQUIRE_PG_ENV}=1", pytrace=False)
    pytest.skip(message)


DbKind = Literal["sqlite", "postgresql"]


_SCHEMA_SHAPE = """
SELECT 'column', table_name, column_name || ' ' || data_type || ' ' || is_nullable
  FROM information_schema.columns WHERE table_schema = 'public'
UNION ALL
SELECT 'index', tablename, indexdef FROM pg_indexes WHERE schemaname = 'public'
UNION ALL
SELECT 'constraint', conrelid::regclass::text, pg_get_constraintdef(oid)
  FROM pg_constraint WHERE connamespace = 'public'::regnamespace
UNION ALL
SELECT 'revision', 'alembic_version', version_num FROM alembic_version
ORDER BY 1, 2, 3
"""


def _schema_shape(admin: psycopg.Connection[tuple[object, ...]]) -> list[tuple[object, ...]]:
    return admin.execute(_SCHEMA_SHAPE).fetchall()


class PgDatabasePool:
    """Migrated PostgreSQL databases for tests, each handed to one test at a time.

    Creating and dropping a database costs the server a tenth of a second or more each
    (mostly waiting on disk), several times what a state test takes. So a returned database
    is recycled instead: other sessions on it are ended, every row deleted and every
    sequence restarted, which leaves it as a fresh clone would be. A database whose schema
    no longer matches the template's (a test altered it) is dropped rather than reused.
    """

    def __init__(self) -> None:
        self.template = migrated_pg_template()
        with _connect(self.template) as conn:
            self._shape = _schema_shape(conn)
        self._idle: list[str] = []

    def take(self) -> str:
        """A migrated database with no rows, for one test; :meth:`give_back` it after."""
        return self._idle.pop() if self._idle else fresh_pg_url(self.template)

    def give_back(self, url: str) -> None:
        try:
            reusable = self._empty(url)
        except psycopg.Error:
            reusable = False
        if reusable:
            self._idle.append(url)
        else:
            drop_pg_database(url)

    def _empty(self, url: str) -> bool:
        with _connect(url) as conn:
            # Termination is asynchronous: wait for the lock it frees, but never forever.
            conn.execute("SET lock_timeout = '5s'")
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            if _schema_shape(conn) != self._shape:
                return False
            with conn.transaction():
                for table in reversed(metadata.sorted_tables):
                    conn.execute(sql.SQL("DELETE FROM {}").format(sql.Identifier(table.name)))
                sequences = conn.execute(
                    "SELECT sequencename FROM pg_sequences WHERE schemaname = 'public'"
                ).fetchall()
                for (sequence,) in sequences:
                    conn.execute(
                        sql.SQL("ALTER SEQUENCE {} RESTART").format(sql.Identifier(str(sequence)))
                    )
        return True

    def close(self) -> None:
        for url in self._idle:
            drop_pg_database(url)
        self._idle.clear()
        drop_pg_database(self.template)


class _Templates:
    """One migrated template per kind and test session, made when first needed."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.sqlite: Path | None = None
        self.pg: PgDatabasePool | None = None

    def sqlite_file(self) -> Path:
        if self.sqlite is None:
            self.sqlite = migrated_sqlite_template(self.directory)
        return self.sqlite

    def pg_pool(self) -> PgDatabasePool:
        if self.pg is None:
            self.pg = PgDatabasePool()
        return self.pg

    def close(self) -> None:
        if self.pg is not None:
            self.pg.close()


@pytest.fixture(scope="session")
def _stationmaster_db_templates(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[_Templates]:
    templates = _Templates(tmp_path_factory.mktemp("stationmaster-db-template"))
    yield templates
    templates.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_kind(request: pytest.FixtureRequest) -> DbKind:
    """Which database the test runs on; PostgreSQL skips (or fails) without a server."""
    kind: DbKind = request.param
    if kind == "postgresql":
        require_pg()
    return kind


@pytest.fixture
def empty_db_url(db_kind: DbKind, tmp_path: Path) -> Iterator[str]:
    """A fresh database with no tables; the URL a user would configure."""
    if db_kind == "sqlite":
        yield fresh_sqlite_url(tmp_path)
        return
    with pg_database() as url:
        yield url


@pytest.fixture
def db_url(
    db_kind: DbKind, tmp_path: Path, _stationmaster_db_templates: _Templates
) -> Iterator[str]:
    """A fresh database migrated to head; the URL a user would configure."""
    if db_kind == "sqlite":
        yield fresh_sqlite_url(tmp_path, _stationmaster_db_templates.sqlite_file())
        return
    pool = _stationmaster_db_templates.pg_pool()
    url = pool.take()
    try:
        yield url
    finally:
        pool.give_back(url)


@pytest.fixture
async def engine(db_url: str, anyio_backend: str) -> AsyncIterator[AsyncEngine]:
    """An engine on ``db_url`` (async tests only: ``@pytest.mark.anyio``).

    It asks for ``anyio_backend`` so that anyio's plugin runs it in the test's event loop.
    """
    database = create_engine(db_url)
    try:
        yield database
    finally:
        await database.dispose()
