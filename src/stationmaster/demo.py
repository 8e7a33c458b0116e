"""The zero-configuration demo: a seeded store pushing to an in-process ShipStation emulator.

Everything runs in one process: SQLite in a work directory, the native store seeded with
realistic orders (and new ones arriving every few seconds), the push loop at ShipStation's
real rate limit, the emulator mounted at ``/shipstation`` (a simulated warehouse ships a share
of what arrives there), tracking coming back to the store, and the dashboard at ``/`` (one
seeded order is refused once, so it has a dead letter to replay). The same store is also
served as a Custom Store (``/customstore/demo-xml``), which the emulator pulls now and then
and answers with ship notices, so both modes run side by side.
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial
from pathlib import Path

import anyio
import httpx2

from stationmaster import db
from stationmaster.config import (
    ConnectionConfig,
    DatabaseConfig,
    Settings,
    ShipStationConfig,
    StoreConfig,
    WebConfig,
    WorkerConfig,
)
from stationmaster.emulator import Emulator, EmulatorConfig
from stationmaster.engine.service import (
    LiveBudgets,
    open_database,
    open_runtimes,
    run_workers,
    serve_web,
)
from stationmaster.shipstation import Credentials
from stationmaster.stores.native import NativeStore
from stationmaster.sync.mapping import order_key
from stationmaster.testing.factories import make_order
from stationmaster.web.app import create_app
from stationmaster.web.customstore import CustomStoreTarget
from stationmaster.web.dashboard import ConnectionSetup, DashboardOptions, login_with_password
from stationmaster.wiretime import utcnow

DEMO_KEY = "demo-key"
DEMO_SECRET = "demo-secret"
CONNECTION = "demo"
XML_CONNECTION = "demo-xml"
#: The seeded order ShipStation refuses the first time, so the dashboard has a dead letter
#: to replay.
REFUSED_ORDER = 7
REFUSAL = "Invalid postal code for the destination country (the demo refuses this one once)."


@dataclass(frozen=True, slots=True)
class DemoInfo:
    """What the demo prints once it is up."""

    url: str
    workdir: Path
    api_token: str
    seeded: int
    customstore_url: str
    customstore_user: str
    customstore_password: str = field(repr=False)
    dashboard_password: str = field(default="", repr=False)


async def run_demo(
    *,
    host: str,
    port: int,
    workdir: Path,
    orders: int,
    stop: anyio.Event,
    arrival_seconds: float = 3.0,
    customstore_user: str = "demo-xml",
    customstore_password: str | None = None,
    dashboard_password: str | None = None,
    on_ready: Callable[[DemoInfo], None] | None = None,
) -> None:
    """Seed, serve and sync until ``stop`` is set."""
    await anyio.Path(workdir).mkdir(parents=True, exist_ok=True)
    emulator = Emulator(EmulatorConfig(api_key=DEMO_KEY, api_secret=DEMO_SECRET))
    settings = Settings(
        database=DatabaseConfig(url=f"sqlite:///{workdir / 'stationmaster.db'}"),
        web=WebConfig(host=host, port=port),
        connections=[
            ConnectionConfig(
                name=CONNECTION,
                source="demo",
                store=StoreConfig(kind="native"),
                shipstation=ShipStationConfig(base_url=emulator.base_url),
                poll_seconds=1.0,
            )
        ],
    )
    engine = await open_database(settings)
    try:
        runtimes = await open_runtimes(
            settings,
            engine,
            owner=db.owner_id("demo"),
            credentials=Credentials(DEMO_KEY, DEMO_SECRET),
            transport=emulator.transport(),
        )
        store = runtimes[0].push.store
        if not isinstance(store, NativeStore):  # the demo connection is native by construction
            raise TypeError(f"demo store is {type(store).__name__}, not NativeStore")
        start = utcnow() - timedelta(hours=6)
        await store.ingest_many(
            [make_order(n, placed_at=start + timedelta(seconds=60 * n)) for n in range(orders)]
        )
        if orders > REFUSED_ORDER:  # something for the dashboard to fix: refused once
            refused = order_key("demo", make_order(REFUSED_ORDER).source_id)
            emulator.inject("fail_orders", order_keys=[refused], message=REFUSAL)
        token = secrets.token_urlsafe(24)
        password = customstore_password or secrets.token_urlsafe(12)
        async with engine.begin() as conn:
            await db.ensure_connection(conn, XML_CONNECTION, mode="pull", store_kind=store.kind)
        pull = CustomStoreTarget(
            XML_CONNECTION, customstore_user, password, store, runtimes[0].push.rules, "demo"
        )
        login_password = dashboard_password or secrets.token_urlsafe(12)
        setup = ConnectionSetup(store, runtimes[0].push.rules, "demo")
        app = create_app(
            engine,
            native_stores={CONNECTION: store},
            budgets=LiveBudgets(runtimes),
            api_token=token,
            customstore_targets={XML_CONNECTION: pull},
            mounts={"/shipstation": emulator.app},
            dashboard=DashboardOptions(
                login=login_with_password(login_password),
                connections={CONNECTION: setup, XML_CONNECTION: setup},
            ),
        )
        base = f"http://{host}:{port}"
        customstore_url = f"{base}/customstore/{XML_CONNECTION}"
        xml_store = emulator.add_custom_store(
            url=customstore_url,
            username=customstore_user,
            password=password,
            store_name="stationmaster demo (Custom Store)",
        )
        to_us = httpx2.ASGITransport(app=app)
        if on_ready is not None:
            on_ready(
                DemoInfo(
                    f"{base}/",
                    workdir,
                    token,
                    orders,
                    customstore_url,
                    customstore_user,
                    password,
                    dashboard_password=login_password,
                )
            )

        async def arrivals() -> None:
            n = orders
            while not stop.is_set():
                with anyio.move_on_after(arrival_seconds):
                    await stop.wait()
                if not stop.is_set():
                    await store.ingest(make_order(n, placed_at=utcnow()))
                    n += 1

        async def warehouse() -> None:
            """Ship a share of what reached ShipStation, as its users would: labels, at times
            two per order or only part of an order, and now and then a mark-as-shipped."""
            rng = random.Random(5)
            rounds = 0
            while not stop.is_set():
                with anyio.move_on_after(arrival_seconds):
                    await stop.wait()
                if rounds % 3 == 0:  # now and then ShipStation pulls the Custom Store too
                    await emulator.pull_custom_store(xml_store["storeId"], transport=to_us)
                await emulator.deliver_shipnotices(transport=to_us)
                rounds += 1
                for order in emulator.orders():
                    if order["orderStatus"] != "awaiting_shipment" or rng.random() > 0.2:
                        continue
                    items = [i for i in order["items"] or [] if not i.get("adjustment")]
                    roll = rng.random()
                    if roll < 0.1:
                        emulator.mark_shipped(order["orderId"])
                    elif roll < 0.25 and len(items) > 1:
                        emulator.ship_order(order["orderId"], items=[items[0]["lineItemKey"]])
                    else:
                        emulator.ship_order(order["orderId"])

        async with anyio.create_task_group() as group:
            group.start_soon(partial(serve_web, app, host, port, stop=stop))
            group.start_soon(arrivals)
            group.start_soon(warehouse)
            await run_workers(
                WorkerConfig(), engine, runtimes, owner=db.owner_id("demo"), stop=stop
            )
    finally:
        await engine.dispose()
