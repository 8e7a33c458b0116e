"""A real Vendure server for the connector tests: one node process per test session.

The server lives in ``server/`` (``npm ci`` there installs it). Without node, npm or the
installed packages the tests that need the server are skipped with that instruction; with
``STATIONMASTER_REQUIRE_VENDURE=1`` (CI) the skip is a failure instead. The process runs in
its own process group, bound to 127.0.0.1 on a free port, and is stopped by its PID at the
end of the session; it also stops by itself when its standard input closes, so a killed test
run leaves nothing behind.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import pytest

from stationmaster.stores.vendure import VendureSettings, VendureStore
from stationmaster.testing.databases import DbKind
from tests.served import free_port
from tests.stores.vendure.shop import SUPERADMIN, Shop

SERVER_DIR = Path(__file__).parent / "server"
READY = "vendure ready "
#: The first start imports the catalogue (about 5 s); later starts load the cached database.
START_TIMEOUT = 120.0
PASSWORD_ENV = "STATIONMASTER_TEST_VENDURE_PASSWORD"
#: The ProductVariant custom field server.js defines for the keys of stock adjustments.
STOCK_KEYS_FIELD = "stationmasterStockKeys"


@dataclass(frozen=True)
class VendureServer:
    """The running test server: where it listens and how its process is reached."""

    base_url: str
    process: subprocess.Popen[bytes]

    @property
    def admin_api_url(self) -> str:
        return f"{self.base_url}/admin-api"

    def settings(self, **overrides: object) -> VendureSettings:
        values: dict[str, object] = {
            "admin_api_url": self.admin_api_url,
            "username": SUPERADMIN[0],
            "password_env": PASSWORD_ENV,
            "timeout_seconds": 20.0,
            "stock_keys_field": STOCK_KEYS_FIELD,
        }
        values.update(overrides)
        return VendureSettings.model_validate(values)


def missing_server_reason() -> str | None:
    """Why the test server cannot start here, or ``None`` when it can."""
    install = f"run `npm ci --no-audit --no-fund` in {SERVER_DIR}"
    if shutil.which("node") is None or shutil.which("npm") is None:
        return f"the Vendure tests need node and npm (node 20), then {install}"
    if not (SERVER_DIR / "node_modules" / "@vendure" / "testing").is_dir():
        return f"the Vendure test server is not installed: {install}"
    return None


@pytest.fixture(scope="session")
def vendure_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[VendureServer]:
    reason = missing_server_reason()
    if reason is not None:
        if os.environ.get("STATIONMASTER_REQUIRE_VENDURE") == "1":
            pytest.fail(f"STATIONMASTER_REQUIRE_VENDURE=1 but {reason}", pytrace=False)
        pytest.skip(reason)
    port = free_port()
    log_path = tmp_path_factory.mktemp("vendure") / "server.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            ["node", "server.js", str(port)],
            cwd=SERVER_DIR,
            stdin=subprocess.PIPE,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            _wait_until_ready(process, log_path)
            yield VendureServer(f"http://127.0.0.1:{port}", process)
        finally:
            _stop(process)


def _wait_until_ready(process: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        text = log_path.read_text(encoding="utf-8", errors="replace")
        if READY in text:
            return
        if process.poll() is not None:
            raise RuntimeError(f"the Vendure test server exited ({process.returncode}):\n{text}")
        time.sleep(0.1)
    raise RuntimeError(f"the Vendure test server was not ready in {START_TIMEOUT} s")


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM by PID (the server destroys itself and exits), SIGKILL if it lingers."""
    stdin: IO[bytes] | None = process.stdin
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
    if stdin is not None:
        stdin.close()


@pytest.fixture
def db_kind() -> DbKind:
    """The sync side of these tests runs on SQLite only: the server is the subject here."""
    return "sqlite"


@pytest.fixture
async def shop(vendure_server: VendureServer) -> AsyncIterator[Shop]:
    shop = Shop(vendure_server.base_url)
    yield shop
    await shop.aclose()


@pytest.fixture
async def vendure(vendure_server: VendureServer) -> AsyncIterator[VendureStore]:
    store = VendureStore(vendure_server.settings(), password=SUPERADMIN[1])
    yield store
    await store.aclose()
