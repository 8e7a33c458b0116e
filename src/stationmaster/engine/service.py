"""Assembling a running stationmaster: database, connections, web server and worker loops.

The CLI's ``run``, ``serve``, ``worker`` and ``demo`` differ only in which of these parts they
start, so the wiring lives here once.
"""

from __future__ import annotations

import contextlib
import os
import signal
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING

import anyio
import httpx2
import structlog
import uvicorn
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.types import ASGIApp

from stationmaster import db
from stationmaster.config import Settings, WorkerConfig
from stationmaster.engine.runner import Runtime, build_runtime
from stationmaster.errors import ConfigError
from stationmaster.shipstation import Budget, Credentials

log = structlog.get_logger("stationmaster.service")

if TYPE_CHECKING:
    from stationmaster.web.customstore import CustomStoreTarget
    from stationmaster.web.dashboard import DashboardOptions


async def open_database(settings: Settings) -> AsyncEngine:
    """The configured database, migrated to the current schema."""
    engine = db.create_engine(settings.database.url)
    await db.upgrade_async(engine)
    return engine


async def open_runtimes(
    settings: Settings,
    engine: AsyncEngine,
    *,
    owner: str,
    names: Sequence[str] | None = None,
    credentials: Credentials | None = None,
    transport: httpx2.AsyncBaseTransport | None = None,
    lease_wait: float = 0.0,
) -> list[Runtime]:
    """One runtime per push connection (or per named one); unknown names are an error."""
    chosen = [settings.connection(n) for n in names] if names else settings.connections
    if not chosen:
        raise ConfigError("no connections configured: add one to stationmaster.toml")
    return [
        await build_runtime(
            c,
            engine,
            owner=owner,
            credentials=credentials,
            transport=transport,
            lease_wait=lease_wait,
        )
        for c in chosen
        if c.mode == "push"
    ]


def api_token(settings: Settings) -> str:
    token = os.environ.get(settings.web.api_token_env, "")
    if len(token) < 16:
        raise ConfigError(
            f"set {settings.web.api_token_env} to a secret of at least 16 characters "
            "(the bearer token of the JSON API)"
        )
    return token


class _Server(uvicorn.Server):
    """uvicorn without its own signal handling: the service owns Ctrl-C and SIGTERM."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


async def serve_web(app: ASGIApp, host: str, port: int, *, stop: anyio.Event) -> None:
    """Serve ``app`` until ``stop`` is set."""
    server = _Server(
        uvicorn.Config(
            app, host=host, port=port, log_level="warning", access_log=False, lifespan="off"
        )
    )

    async def stopper() -> None:
        await stop.wait()
        server.should_exit = True

    async with anyio.create_task_group() as group:
        group.start_soon(stopper)
        await server.serve()
        group.cancel_scope.cancel()


STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


async def stop_on_signals(stop: anyio.Event) -> None:
    """Set ``stop`` at the first SIGINT or SIGTERM, so every loop ends cleanly.

    Later ones are ignored: Ctrl-C pressed twice, or one signal sent both to the process and
    to its process group (as ``timeout`` does), would otherwise interrupt a loop that is
    finishing a batch or a transaction, or kill the process as it exits. Ignored at the
    system level, not by a Python handler, which the interpreter drops while it shuts down.
    """
    with anyio.open_signal_receiver(*STOP_SIGNALS) as signals:
        async for received in signals:
            log.info("service.stopping", signal=signal.Signals(received).name)
            break
    for number in STOP_SIGNALS:
        signal.signal(number, signal.SIG_IGN)
    stop.set()


class LiveBudgets(Mapping[str, Budget]):
    """Each connection's budget as its runtime holds it now (a lease may hand a new one over)."""

    def __init__(self, runtimes: Sequence[Runtime]) -> None:
        self._runtimes = {r.name: r for r in runtimes}

    def __getitem__(self, name: str) -> Budget:
        return self._runtimes[name].push.client.budget

    def __iter__(self) -> Iterator[str]:
        return iter(self._runtimes)

    def __len__(self) -> int:
        return len(self._runtimes)


async def subscribe_webhooks(settings: Settings, runtimes: Sequence[Runtime]) -> list[str]:
    """At start, point each connection's ShipStation webhooks at our receiver (public URL set).

    Runs under each key's lease like any other call; returns one summary line per connection.
    """
    from stationmaster.sync.subscriptions import sync_webhooks
    from stationmaster.web.webhooks import webhook_targets

    public_url = settings.web.public_url
    if not public_url:
        return []
    targets = webhook_targets(r.config for r in runtimes)
    lines = []
    for runtime in runtimes:
        target = targets.get(runtime.name)
        if target is None:
            continue
        client = runtime.push.client
        async with runtime.lease.hold(client.budget) as budget:
            client.budget = budget
            report = await sync_webhooks(
                client,
                connection=runtime.name,
                public_url=public_url,
                token=target.token,
                store_id=runtime.config.shipstation.store_id,
            )
        lines.append(f"{runtime.name}: {report.summary()}")
    return lines


async def customstore_targets(
    settings: Settings, engine: AsyncEngine
) -> dict[str, CustomStoreTarget]:
    """The Custom Store endpoint's targets: one per pull-mode connection, with its credentials."""
    from stationmaster.customstore.mirror import Mirror
    from stationmaster.stores.native import NativeStore
    from stationmaster.stores.registry import open_store
    from stationmaster.sync.rules import load_rules
    from stationmaster.web.customstore import CustomStoreTarget, customstore_target_credentials

    targets: dict[str, CustomStoreTarget] = {}
    for config in settings.connections:
        if config.mode != "pull":
            continue
        credentials = customstore_target_credentials(
            config.customstore_user_env, config.customstore_password_env
        )
        if credentials is None:
            raise ConfigError(
                f"connection {config.name!r} is in pull mode: set customstore_user_env and "
                "customstore_password_env, and the variables they name"
            )
        store = open_store(config, engine)
        async with engine.begin() as conn:
            await db.ensure_connection(conn, config.name, mode="pull", store_kind=store.kind)
        mirror = None
        if not isinstance(store, NativeStore):
            mirror = Mirror(engine, config.name, store, source=config.source_slug)
        targets[config.name] = CustomStoreTarget(
            config.name,
            credentials[0],
            credentials[1],
            store,
            load_rules(config.rules),
            config.source_slug,
            mirror=mirror,
        )
    return targets


def dashboard_options(
    settings: Settings,
    runtimes: Sequence[Runtime],
    pull_targets: Mapping[str, CustomStoreTarget] | None = None,
) -> DashboardOptions:
    """The dashboard of ``run`` and ``serve``: the configured login, and the store and rules
    of every connection this process runs (its validation and settings pages need them)."""
    from stationmaster.web.dashboard import ConnectionSetup, DashboardOptions, login_from_config

    connections = {
        r.name: ConnectionSetup(r.push.store, r.push.rules, r.config.source_slug) for r in runtimes
    }
    for name, target in (pull_targets or {}).items():
        connections.setdefault(name, ConnectionSetup(target.store, target.rules, target.source))
    return DashboardOptions(login=login_from_config(settings.web), connections=connections)


async def run_workers(
    worker: WorkerConfig,
    engine: AsyncEngine,
    runtimes: Sequence[Runtime],
    *,
    owner: str,
    stop: anyio.Event,
) -> None:
    """Serve the runtimes' keys in turns until ``stop``, woken early by ``NOTIFY`` on PostgreSQL."""
    from stationmaster.engine.scheduler import Scheduler
    from stationmaster.engine.wakeup import listen_for_work

    if not runtimes:
        await stop.wait()
        return
    scheduler = Scheduler(
        engine,
        runtimes,
        owner,
        concurrency=worker.concurrency,
        turn_seconds=worker.turn_seconds,
        lease_seconds=worker.lease_seconds,
    )
    async with anyio.create_task_group() as group:
        group.start_soon(listen_for_work, engine, scheduler.work_arrived)
        await scheduler.run(stop)
        group.cancel_scope.cancel()


async def run_stock_reconciles(
    settings: Settings,
    engine: AsyncEngine,
    *,
    owner: str,
    stop: anyio.Event,
    transport: httpx2.AsyncBaseTransport | None = None,
) -> None:
    """Each connection's periodic stock reconcile (those naming an inventory key) until
    ``stop``; the reconcile lease keeps workers on one database from running one twice."""
    from functools import partial

    from stationmaster.stock.schedule import reconcile_periodically
    from stationmaster.stock.setup import open_reconcilers

    reconcilers = await open_reconcilers(settings, engine, owner=owner, transport=transport)
    async with anyio.create_task_group() as group:
        for reconciler in reconcilers:
            group.start_soon(partial(reconcile_periodically, reconciler, stop=stop))


async def settle_stock_ledgers(
    engine: AsyncEngine, runtimes: Sequence[Runtime], *, stop: anyio.Event
) -> None:
    """Finish, until ``stop``, the stock adjustments a dead process left pending in the
    ledger of every connection whose store keeps stock."""
    from stationmaster.stock.apply import settle_periodically
    from stationmaster.stock.ledger import StockLedger

    stores = [
        (r.push.store, StockLedger(engine, r.name))
        for r in runtimes
        if "stock" in r.push.store.capabilities
    ]
    if stores:
        await settle_periodically(stores, stop=stop)
