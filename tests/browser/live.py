"""A whole stationmaster for the browser to drive: a native store pushing to an in-process
emulator, the push and tracking passes running, and the app served by uvicorn on 127.0.0.1.

It runs on its own event loop in a thread (an anyio blocking portal), so a synchronous
Playwright test can drive it; leaving the context stops the loops and the server and removes
nothing the test did not make.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import anyio
import httpx2
from anyio.from_thread import start_blocking_portal
from sqlalchemy.ext.asyncio import AsyncEngine

from stationmaster import db
from stationmaster.config import ConnectionConfig, ShipStationConfig, StoreConfig
from stationmaster.emulator import Emulator, EmulatorConfig
from stationmaster.engine.runner import Runtime, build_runtime, run_pass, run_tracking
from stationmaster.engine.service import LiveBudgets, serve_web
from stationmaster.shipstation import Credentials
from stationmaster.stores.native import NativeStore
from stationmaster.testing.factories import make_order
from stationmaster.web.app import create_app
from stationmaster.web.dashboard import ConnectionSetup, DashboardOptions, login_with_password
from tests.served import free_port

PASSWORD = "browser-test-password"
API_TOKEN = "browser-test-api-token-0123456789"
KEY, SECRET = "browser-key", "browser-secret"
#: The order ShipStation refuses once (the emulator's injected fault), then takes on replay.
REFUSED_KEY = "shop:100003"
REFUSAL = "Invalid postal code for the destination country."


@dataclass
class Stack:
    base_url: str
    engine: AsyncEngine
    runtime: Runtime
    port: int


async def _build(workdir: Path) -> tuple[Stack, object]:
    url = f"sqlite:///{workdir / 'stationmaster.db'}"
    engine = db.create_engine(url)
    await db.upgrade_async(engine)
    emulator = Emulator(EmulatorConfig(api_key=KEY, api_secret=SECRET, limit=10_000))
    config = ConnectionConfig(
        name="shop",
        source="shop",
        store=StoreConfig(kind="native"),
        shipstation=ShipStationConfig(base_url=emulator.base_url, limit=10_000),
        poll_seconds=0.3,
    )
    runtime = await build_runtime(
        config,
        engine,
        owner=db.owner_id("browser"),
        credentials=Credentials(KEY, SECRET),
        transport=emulator.transport(),
    )
    store = runtime.push.store
    assert isinstance(store, NativeStore)
    await store.ingest_many([make_order(n) for n in range(1, 6)])
    emulator.inject("fail_orders", order_keys=[REFUSED_KEY], message=REFUSAL)
    await run_pass(runtime)
    await run_tracking(runtime)
    port = free_port()
    setup = ConnectionSetup(store, runtime.push.rules, "shop")
    app = create_app(
        engine,
        native_stores={"shop": store},
        budgets=LiveBudgets([runtime]),
        api_token=API_TOKEN,
        dashboard=DashboardOptions(
            login=login_with_password(PASSWORD),
            connections={"shop": setup},
            refresh_seconds=1.0,
        ),
    )
    return Stack(f"http://127.0.0.1:{port}", engine, runtime, port), app


async def _run(stack: Stack, app: object, stop: anyio.Event) -> None:
    """Serve, and push and poll tracking in turns, until ``stop``."""

    async def sync_loop() -> None:
        while not stop.is_set():
            await run_pass(stack.runtime)
            await run_tracking(stack.runtime)
            with anyio.move_on_after(0.3):
                await stop.wait()

    try:
        async with anyio.create_task_group() as group:
            group.start_soon(sync_loop)
            await serve_web(app, "127.0.0.1", stack.port, stop=stop)  # type: ignore[arg-type]
    finally:
        await stack.engine.dispose()


def _wait_serving(base_url: str) -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            httpx2.get(f"{base_url}/healthz", timeout=1)
            return
        except httpx2.TransportError:
            time.sleep(0.05)
    raise AssertionError(f"the dashboard did not start at {base_url}")


@contextmanager
def live_dashboard(workdir: Path) -> Iterator[Stack]:
    """The running stack; on exit the loops and the server stop within seconds."""
    with start_blocking_portal() as portal:
        stack, app = portal.call(_build, workdir)
        stop = portal.call(_event)
        running = portal.start_task_soon(_run, stack, app, stop)
        try:
            _wait_serving(stack.base_url)
            yield stack
        finally:
            portal.call(stop.set)
            running.result(timeout=20)


async def _event() -> anyio.Event:
    return anyio.Event()
