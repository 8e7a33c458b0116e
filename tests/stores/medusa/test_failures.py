"""Bad input around the connector: a server that is down or silent, wrong credentials.

Every failure is one clear StoreError (one line in the CLI), and nothing is lost: the feed's
cursor stays where it was, so the next pass picks up every order. The tests marked by their
``medusa_server`` fixture need the real server (``STATIONMASTER_MEDUSA=1``); the others run
against closed or silent local ports.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from stationmaster.emulator import Emulator, EmulatorConfig
from stationmaster.engine.runner import Runtime
from stationmaster.stores.medusa import MedusaSettings, MedusaStore
from stationmaster.stores.medusa.rest import MedusaTimeout, MedusaUnavailable
from tests.served import free_port
from tests.stores.medusa.conftest import ADMIN_EMAIL, PASSWORD_ENV, MedusaServer
from tests.stores.medusa.shop import Shop
from tests.stores.medusa.test_round_trip import runtime_for
from tests.stores.support import check_an_outage_keeps_the_cursor, push_with_cli

#: The first test also waits for the run's server: an install, migrations and a start.
pytestmark = [pytest.mark.anyio, pytest.mark.timeout(1200)]


def store_at(base_url: str, timeout: float = 5.0) -> MedusaStore:
    settings = MedusaSettings(base_url=base_url, email=ADMIN_EMAIL, timeout_seconds=timeout)
    return MedusaStore(settings, email=ADMIN_EMAIL, password="secret")


async def test_a_server_that_is_down_is_one_clear_store_error() -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    store = store_at(dead)
    with pytest.raises(MedusaUnavailable, match=re.escape(f"cannot reach Medusa at {dead}")):
        await store.changed_orders(None, 10)
    await store.aclose()


async def test_a_slow_server_is_a_timeout_error(silent_port: int) -> None:
    store = store_at(f"http://127.0.0.1:{silent_port}", timeout=0.3)
    with pytest.raises(MedusaTimeout, match="did not answer POST /auth/user/emailpass in time"):
        await store.changed_orders(None, 10)
    await store.aclose()


async def test_a_pass_against_a_server_gone_down_keeps_the_cursor(
    medusa_server: MedusaServer,
    shop: Shop,
    engine: AsyncEngine,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(PASSWORD_ENV, medusa_server.password)
    emulator = Emulator(EmulatorConfig(api_key="k", api_secret="s", limit=None))
    dead = f"http://127.0.0.1:{free_port()}"

    async def runtime_at(url: str | None) -> Runtime:
        moved = {"base_url": url} if url else {}
        return await runtime_for(medusa_server, engine, emulator, **moved)

    await check_an_outage_keeps_the_cursor(
        runtime_at,
        shop,
        engine,
        emulator,
        dead_url=dead,
        error=MedusaUnavailable,
        message=f"cannot reach Medusa at {dead}",
    )


def test_wrong_credentials_in_the_cli_are_one_line_without_a_traceback(
    medusa_server: MedusaServer, tmp_path: Path
) -> None:
    store = (
        f'{{ kind = "medusa", base_url = "{medusa_server.base_url}", '
        f'email = "{ADMIN_EMAIL}", password_env = "{PASSWORD_ENV}" }}'
    )
    # COLUMNS: the console wraps at its width; the message must fit one line
    done = push_with_cli(tmp_path, store, {"COLUMNS": "300", PASSWORD_ENV: "not-the-password"})
    output = done.stdout + done.stderr
    assert done.returncode == 2, output
    assert "Traceback" not in output
    (line,) = [line for line in output.splitlines() if "refused the login" in line]
    assert line.startswith("error: Medusa at ")
    assert f"of admin user '{ADMIN_EMAIL}': unauthorized: Invalid email or password" in line
    assert "not-the-password" not in output
