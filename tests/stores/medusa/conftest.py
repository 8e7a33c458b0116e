"""A real Medusa v2 server for the connector tests: one node process per test run.

Slow (an install of some 700 MB the first time, then migrations and a start of about half a
minute), so it runs only with ``STATIONMASTER_MEDUSA=1``; without it the tests that need the
server are skipped saying why, and with it a missing node, npm or PostgreSQL is a failure.
The server lives in ``server/``: ``npm ci`` installs it there from the committed lock file
when ``node_modules`` is missing, and the run writes ``medusa-config.js`` (which takes
everything from the environment). Each run gets a fresh PostgreSQL database
(``stationmaster_test_medusa_<random>``, dropped at the end), a fresh admin user and a free
port on 127.0.0.1; the server runs in its own process group and is stopped by its PID, and it
also stops by itself when its standard input closes (``server/stop-with-stdin.js``), so a
killed test run leaves no server behind.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import anyio
import httpx2
import psycopg
import pytest
from psycopg import sql
from sqlalchemy import make_url

from stationmaster.stores.medusa import MedusaSettings, MedusaStore
from stationmaster.stores.medusa.rest import AdminClient
from stationmaster.testing.databases import (
    DbKind,
    drop_pg_database,
    pg_available,
    pg_server_url,
)
from tests.served import free_port
from tests.stores.medusa.shop import Catalogue, Shop, set_up

SERVER_DIR = Path(__file__).parent / "server"
ENABLE_ENV = "STATIONMASTER_MEDUSA"
PASSWORD_ENV = "STATIONMASTER_TEST_MEDUSA_PASSWORD"
ADMIN_EMAIL = "stationmaster@example.com"
DATABASE_PREFIX = "stationmaster_test_medusa_"
INSTALL_TIMEOUT = 900.0
STEP_TIMEOUT = 300.0
START_TIMEOUT = 180.0

MEDUSA_CONFIG = """\
// Written by stationmaster's Medusa tests: everything comes from the environment.
const { defineConfig } = require("@medusajs/framework/utils")

const origin = process.env.STATIONMASTER_MEDUSA_ORIGIN

module.exports = defineConfig({
  projectConfig: {
    databaseUrl: process.env.DATABASE_URL,
    http: {
      storeCors: origin,
      adminCors: origin,
      authCors: origin,
      jwtSecret: process.env.JWT_SECRET,
      cookieSecret: process.env.COOKIE_SECRET,
    },
  },
  admin: { disable: true },
})
"""


@dataclass(frozen=True)
class MedusaServer:
    """The running test server: where it listens, its admin, its database and its catalogue."""

    base_url: str
    password: str
    database: str
    catalogue: Catalogue

    def settings(self, **overrides: object) -> MedusaSettings:
        values: dict[str, object] = {
            "base_url": self.base_url,
            "email": ADMIN_EMAIL,
            "password_env": PASSWORD_ENV,
            "timeout_seconds": 60.0,
        }
        values.update(overrides)
        return MedusaSettings.model_validate(values)

    def store(self, **overrides: object) -> MedusaStore:
        settings = self.settings(**overrides)
        return MedusaStore(settings, email=ADMIN_EMAIL, password=self.password)

    def admin(self) -> AdminClient:
        return AdminClient(self.base_url, email=ADMIN_EMAIL, password=self.password, timeout=60)


def missing_reason() -> str | None:
    """Why the real-server tests cannot run here, or ``None`` when they can."""
    if os.environ.get(ENABLE_ENV) != "1":
        return (
            f"the tests against a real Medusa server are slow: set {ENABLE_ENV}=1 to run them "
            "(they need node 20, npm and PostgreSQL)"
        )
    if shutil.which("node") is None or shutil.which("npm") is None:
        return "the Medusa tests need node (20) and npm"
    if not pg_available():
        return f"the Medusa tests need PostgreSQL at {make_url(pg_server_url())!r}"
    return None


@pytest.fixture(scope="session")
def medusa_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MedusaServer]:
    reason = missing_reason()
    if reason is not None:
        if os.environ.get(ENABLE_ENV) == "1":
            pytest.fail(f"{ENABLE_ENV}=1 but {reason}", pytrace=False)
        pytest.skip(reason)
    _install()
    logs = tmp_path_factory.mktemp("medusa")
    with _database() as database:
        password = secrets.token_urlsafe(18)
        port = free_port()
        env = _environment(database, port)
        _step(["db:migrate"], env, logs / "migrate.log")
        _step(["user", "-e", ADMIN_EMAIL, "-p", password], env, logs / "user.log")
        with _started(port, env, logs / "server.log") as base_url:
            catalogue = anyio.run(_set_up, base_url, password)
            yield MedusaServer(base_url, password, database, catalogue)


def _install() -> None:
    if (SERVER_DIR / "node_modules" / "@medusajs" / "medusa").is_dir():
        return
    subprocess.run(
        ["npm", "ci", "--no-audit", "--no-fund"],
        cwd=SERVER_DIR,
        check=True,
        timeout=INSTALL_TIMEOUT,
        stdout=subprocess.DEVNULL,
    )


@contextmanager
def _database() -> Iterator[str]:
    """A fresh database for the run on the test PostgreSQL server, dropped afterwards."""
    name = f"{DATABASE_PREFIX}{secrets.token_hex(8)}"
    with psycopg.connect(_libpq(pg_server_url()), autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = _libpq(pg_server_url(), database=name)
    try:
        yield url
    finally:
        drop_pg_database(url)


def _libpq(url: str, database: str | None = None) -> str:
    parsed = make_url(url).set(drivername="postgresql")
    if database is not None:
        parsed = parsed.set(database=database)
    return parsed.render_as_string(hide_password=False)


def _environment(database: str, port: int) -> dict[str, str]:
    (SERVER_DIR / "medusa-config.js").write_text(MEDUSA_CONFIG, encoding="utf-8")
    return {
        **os.environ,
        "DATABASE_URL": database,
        "STATIONMASTER_MEDUSA_ORIGIN": f"http://127.0.0.1:{port}",
        "JWT_SECRET": secrets.token_hex(16),
        "COOKIE_SECRET": secrets.token_hex(16),
        "MEDUSA_DISABLE_TELEMETRY": "true",
    }


def _medusa(*arguments: str) -> list[str]:
    return [str(SERVER_DIR / "node_modules" / ".bin" / "medusa"), *arguments]


def _medusa_watched(*arguments: str) -> list[str]:
    """``_medusa(...)`` run so that it ends when its standard input closes."""
    cli = (SERVER_DIR / "node_modules" / ".bin" / "medusa").resolve()
    watchdog = SERVER_DIR / "stop-with-stdin.js"
    return ["node", "--require", str(watchdog), str(cli), *arguments]


def _step(arguments: list[str], env: dict[str, str], log_path: Path) -> None:
    with log_path.open("wb") as log:
        done = subprocess.run(
            _medusa(*arguments),
            cwd=SERVER_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            timeout=STEP_TIMEOUT,
            check=False,
        )
    if done.returncode != 0:
        text = log_path.read_text(encoding="utf-8", errors="replace")[-3000:]
        raise RuntimeError(f"medusa {arguments[0]} failed ({done.returncode}):\n{text}")


@contextmanager
def _started(port: int, env: dict[str, str], log_path: Path) -> Iterator[str]:
    """``medusa start`` on 127.0.0.1:``port`` until the block ends; yields its base URL.

    The server leads its own process group, so SIGTERM to that group (its PID) reaches
    whatever it started; SIGKILL if it lingers.
    """
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            _medusa_watched("start", "-H", "127.0.0.1", "-p", str(port)),
            cwd=SERVER_DIR,
            env=env,
            stdin=subprocess.PIPE,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            base_url = f"http://127.0.0.1:{port}"
            _wait_for_health(process, base_url, log_path)
            yield base_url
        finally:
            _stop(process)


def _wait_for_health(process: subprocess.Popen[bytes], base_url: str, log_path: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            text = log_path.read_text(encoding="utf-8", errors="replace")[-3000:]
            raise RuntimeError(f"medusa start exited ({process.returncode}):\n{text}")
        try:
            if httpx2.get(f"{base_url}/health", timeout=2).status_code == 200:
                return
        except httpx2.TransportError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"medusa start did not answer /health within {START_TIMEOUT} s")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.stdin is not None:
        process.stdin.close()
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


async def _set_up(base_url: str, password: str) -> Catalogue:
    async with AdminClient(base_url, email=ADMIN_EMAIL, password=password, timeout=60) as admin:
        return await set_up(admin)


@pytest.fixture
async def shop(medusa_server: MedusaServer) -> AsyncIterator[Shop]:
    admin = medusa_server.admin()
    shop = Shop(medusa_server.base_url, admin, medusa_server.catalogue, medusa_server.database)
    yield shop
    await shop.aclose()
    await admin.aclose()


@pytest.fixture
async def medusa(medusa_server: MedusaServer) -> AsyncIterator[MedusaStore]:
    store = medusa_server.store()
    yield store
    await store.aclose()


@pytest.fixture
def db_kind() -> DbKind:
    """The sync side of these tests runs on SQLite only: the server is the subject here."""
    return "sqlite"
