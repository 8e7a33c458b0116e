"""The ``stationmaster`` command: thin wrappers over the library's entry points."""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import anyio
from cyclopts import App, Parameter
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from stationmaster import db
from stationmaster.config import DEFAULT_FILE, Settings, load_settings
from stationmaster.errors import StationmasterError

if TYPE_CHECKING:
    from stationmaster.stock.reconcile import Reconciled

app = App(
    name="stationmaster",
    help=(
        "Keep a store's orders, tracking and stock in step with ShipStation.\n\n"
        "Before the command, --django-settings MODULE sets up a Django shop (the oscar store) "
        "from that settings module."
    ),
)
db_app = App(name="db", help="Database maintenance.")
sync_app = App(name="sync", help="Run one sync pass now.")
webhooks_app = App(name="webhooks", help="ShipStation webhook subscriptions.")
stock_app = App(name="stock", help="Stock: keyed adjustments and the full reconcile.")
app.command(db_app)
app.command(sync_app)
app.command(webhooks_app)
app.command(stock_app)

console = Console(stderr=True)


def _progress() -> Progress:
    """A bar per connection: its name, done of total, what it is at, time so far."""
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[detail]}"),
        TimeElapsedColumn(),
        console=console,
    )


out = Console(soft_wrap=True)
T = TypeVar("T")

ConfigOption = Annotated[Path | None, Parameter(name="--config", help="Configuration file.")]

CONFIG_TEMPLATE = """\
# stationmaster configuration. Every value can also come from the environment:
# STATIONMASTER__DATABASE__URL, STATIONMASTER__CONNECTIONS__MAIN__SHIPSTATION__STORE_ID, ...

[database]
url = "sqlite:///stationmaster.db"        # or "postgresql+psycopg://user@host/db"

[web]
host = "127.0.0.1"
port = 8800
api_token_env = "STATIONMASTER_API_TOKEN"  # bearer token of the JSON API lives in this variable

[[connections]]
name = "main"
mode = "push"
source = "shop"                           # prefix of every orderKey; never change it later
store = { kind = "native" }
shipstation = { api_key_env = "SHIPSTATION_KEY", api_secret_env = "SHIPSTATION_SECRET" }

[connections.rules]
# status.map, eligibility, address, custom_fields, money, warehouses, write_back, limits:
# see the documentation of stationmaster.sync.rules
"""


def _run(main: Callable[[], Awaitable[T]]) -> T:
    return anyio.run(main)


def _settings(config: Path | None) -> Settings:
    return load_settings(config)


@app.command
def init(*, config: Path = Path(DEFAULT_FILE), force: bool = False) -> None:
    """Write a starting configuration file and create the database.

    Parameters
    ----------
    config
        Where to write the configuration.
    force
        Overwrite an existing file.
    """
    if config.exists() and not force:
        console.print(f"{config} exists; keeping it (use --force to overwrite)")
    else:
        config.write_text(CONFIG_TEMPLATE, encoding="utf-8")
        out.print(f"wrote {config}")
    settings = load_settings(config)
    db.upgrade(settings.database.url)
    out.print(f"database ready: {settings.database.url.split('@')[-1]}")


@db_app.command
def upgrade(*, config: ConfigOption = None) -> None:
    """Migrate the database to the current schema."""
    settings = _settings(config)
    db.upgrade(settings.database.url)
    out.print("database is at the current schema")


@sync_app.command
def push(
    *,
    connection: list[str] | None = None,
    backfill: bool = False,
    since: date | None = None,
    config: ConfigOption = None,
) -> None:
    """Push what changed in the store to ShipStation, now, with a progress bar.

    Parameters
    ----------
    connection
        Only these connections (default: every push connection).
    backfill
        Re-read the whole store instead of continuing from the cursor.
    since
        With --backfill: only orders created on or after this date (UTC).
    """
    from stationmaster.engine.runner import run_pass
    from stationmaster.engine.service import open_database, open_runtimes
    from stationmaster.sync.push import PushStats

    if since is not None and not backfill:
        raise StationmasterError("--since only applies with --backfill")
    since_at = datetime(since.year, since.month, since.day, tzinfo=UTC) if since else None
    settings = _settings(config)

    async def main() -> None:
        engine = await open_database(settings)
        try:
            runtimes = await open_runtimes(
                settings, engine, owner=db.owner_id("cli"), names=connection
            )
            with _progress() as progress:
                for runtime in runtimes:
                    task = progress.add_task(runtime.name, total=None, detail="")

                    def update(stats: PushStats, task: TaskID = task) -> None:
                        done = stats.accepted + stats.dead_lettered
                        progress.update(
                            task,
                            total=max(stats.queued, done),
                            completed=done,
                            detail=f"dead letters {stats.dead_lettered} · "
                            f"refused {stats.refused} · calls {stats.calls}",
                        )

                    runtime.push.on_progress = update
                    stats = await run_pass(runtime, backfill=backfill, backfill_since=since_at)
                    update(stats)
            for runtime in runtimes:
                s = runtime.push.stats
                out.print(
                    f"{runtime.name}: read {s.detected}, sent {s.sent}, "
                    f"accepted {s.accepted}, unchanged {s.unchanged}, "
                    f"refused {s.refused}, dead letters {s.dead_lettered}, "
                    f"calls {s.calls}"
                )
        finally:
            await engine.dispose()

    _run(main)


@sync_app.command
def pull(*, connection: list[str] | None = None, config: ConfigOption = None) -> None:
    """Bring tracking back now: work off the webhook inbox, then poll ShipStation.

    Parameters
    ----------
    connection
        Only these connections (default: every push connection).
    """
    from stationmaster.engine.runner import run_tracking
    from stationmaster.engine.service import open_database, open_runtimes

    settings = _settings(config)

    async def main() -> None:
        engine = await open_database(settings)
        try:
            runtimes = await open_runtimes(
                settings, engine, owner=db.owner_id("cli"), names=connection
            )
            for runtime in runtimes:
                s = await run_tracking(runtime)
                out.print(
                    f"{runtime.name}: fetched {s.fetched}, applied {s.applied}, "
                    f"voided {s.voided}, statuses changed {s.statuses_changed}, "
                    f"ignored {s.ignored}, calls {s.calls}"
                )
        finally:
            await engine.dispose()

    _run(main)


@webhooks_app.command(name="sync")
def webhooks_sync(*, connection: list[str] | None = None, config: ConfigOption = None) -> None:
    """Subscribe each connection's receiver to ShipStation's webhooks; remove stale ones.

    Parameters
    ----------
    connection
        Only these connections (default: every one with a webhook token).
    """
    from stationmaster.shipstation import ShipStationClient
    from stationmaster.sync.subscriptions import sync_webhooks
    from stationmaster.web.webhooks import webhook_targets

    settings = _settings(config)
    public_url = settings.web.public_url
    if not public_url:
        raise StationmasterError("set [web] public_url: ShipStation must be able to reach it")
    chosen = [settings.connection(n) for n in connection] if connection else settings.connections
    targets = webhook_targets(chosen)
    if not targets:
        raise StationmasterError("no connection has a webhook_token_env")

    async def main() -> None:
        for conn_config in chosen:
            target = targets.get(conn_config.name)
            if target is None:
                continue
            ss = conn_config.shipstation
            async with ShipStationClient(ss.credentials(), base_url=ss.base_url) as client:
                report = await sync_webhooks(
                    client,
                    connection=conn_config.name,
                    public_url=public_url,
                    token=target.token,
                    store_id=ss.store_id,
                )
            out.print(f"{conn_config.name}: {report.summary()}")

    _run(main)


@stock_app.command(name="reconcile")
def stock_reconcile(
    *,
    connection: list[str] | None = None,
    dry_run: bool = False,
    wait: float = 0.0,
    limit: int = 100,
    config: ConfigOption = None,
) -> None:
    """Set the store's stock from ShipStation's inventory now, with a progress bar.

    Locks the store's levels, reads every ShipStation level, subtracts the orders ShipStation
    has not taken yet, and writes the differences in one transaction.

    Parameters
    ----------
    connection
        Only these connections (default: every one with stock.inventory_api_key_env).
    dry_run
        Print the deltas in a table and write nothing.
    wait
        Seconds to wait for a reconcile another process is running (default: give up).
    limit
        Rows of the dry run's table (0: every changed SKU).
    """
    from stationmaster.engine.service import open_database
    from stationmaster.stock.setup import open_reconciler

    settings = _settings(config)
    if connection:
        chosen = [settings.connection(name) for name in connection]
    else:
        chosen = [c for c in settings.connections if c.stock.inventory_api_key_env is not None]
    if not chosen:
        raise StationmasterError(
            "no connection reconciles stock: set stock.inventory_api_key_env on one"
        )

    async def main() -> list[Reconciled]:
        engine = await open_database(settings)
        done: list[Reconciled] = []
        try:
            with _progress() as progress:
                for conn_config in chosen:
                    reconciler = await open_reconciler(
                        conn_config, engine, owner=db.owner_id("cli")
                    )
                    task = progress.add_task(conn_config.name, total=None, detail="")

                    def report(
                        phase: str, count: int, total: int | None, task: TaskID = task
                    ) -> None:
                        progress.update(task, completed=count, total=total, detail=phase)

                    done.append(await reconciler.run(dry_run=dry_run, wait=wait, progress=report))
        finally:
            await engine.dispose()
        return done

    for result in _run(main):
        out.print(result.summary())
        if dry_run:
            out.print(_deltas_table(result, limit))
        if result.plan.unkept:
            out.print(_unkept_line(result, limit))


def _deltas_table(result: Reconciled, limit: int) -> Table:
    changes = [change for change in result.plan.changes if change.delta or change.created]
    shown = changes if limit <= 0 else changes[:limit]
    table = Table(
        "sku",
        "store now",
        "ShipStation available",
        "not yet in ShipStation",
        "target",
        "delta",
        title=f"{result.connection}: deltas of a dry run (nothing written)",
        caption=f"{len(changes) - len(shown)} more not shown"
        if len(shown) < len(changes)
        else None,
    )
    for change in shown:
        note = " (new)" if change.created else " (oversold)" if change.oversold else ""
        table.add_row(
            change.sku + note,
            str(change.current),
            str(change.available),
            str(change.demand),
            str(change.target),
            f"{change.delta:+d}",
        )
    return table


def _unkept_line(result: Reconciled, limit: int) -> str:
    """The SKUs ShipStation counts that the store keeps no level of (left alone): a shop
    sets them up, as products with stock, before a reconcile can set them."""
    unkept = sorted(result.plan.unkept)
    shown = unkept if limit <= 0 else unkept[:limit]
    more = f" and {len(unkept) - len(shown)} more" if len(shown) < len(unkept) else ""
    return (
        f"{result.connection}: ShipStation counts {len(unkept)} SKUs the store keeps no stock "
        f"of, left alone: {', '.join(shown)}{more}"
    )


@stock_app.command(name="adjust")
def stock_adjust(
    sku: str,
    delta: int,
    /,
    *,
    key: str,
    reason: str | None = None,
    connection: str | None = None,
    config: ConfigOption = None,
) -> None:
    """Change one SKU's stock by DELTA, once per --key (sending it again changes nothing).

    Parameters
    ----------
    sku
        The SKU.
    delta
        Units to add (negative to take away).
    key
        Idempotency key: the same key is applied once however often it is sent.
    reason
        Why, kept in the stock ledger.
    connection
        The connection (default: the only one).
    """
    from stationmaster.engine.service import open_database
    from stationmaster.stock.adjustments import ItemResult, read_adjustment
    from stationmaster.stock.apply import apply_adjustments
    from stationmaster.stock.ledger import StockLedger
    from stationmaster.stores.registry import open_store

    settings = _settings(config)
    if connection is None:
        if len(settings.connections) != 1:
            raise StationmasterError("name the connection: --connection")
        connection = settings.connections[0].name
    conn_config = settings.connection(connection)
    raw = {"sku": sku, "delta": delta, "idempotency_key": key, "reason": reason}

    async def main() -> ItemResult:
        engine = await open_database(settings)
        try:
            store = open_store(conn_config, engine)
            async with engine.begin() as conn:
                await db.ensure_connection(
                    conn, conn_config.name, mode=conn_config.mode, store_kind=store.kind
                )
            items = [read_adjustment(0, raw)]
            (result,) = await apply_adjustments(store, StockLedger(engine, connection), items)
            return result
        finally:
            await engine.dispose()

    result = _run(main)
    level = f", on hand {result.on_hand}" if result.on_hand is not None else ""
    out.print(
        f"{result.sku}: {result.status}{level}" + (f" ({result.message})" if result.message else "")
    )
    if result.status not in ("applied", "duplicate"):
        sys.exit(1)


@app.command
def replay(
    ids: list[int] | None = None,
    /,
    *,
    all_: Annotated[bool, Parameter(name="--all")] = False,
    connection: str | None = None,
    config: ConfigOption = None,
) -> None:
    """Send dead letters again (by id, by connection, or all); replaying twice is harmless.

    Parameters
    ----------
    ids
        Dead letter ids.
    all_
        Every open dead letter.
    connection
        Only this connection's dead letters.
    """
    if not ids and not all_ and connection is None:
        raise StationmasterError("name dead letter ids, --connection, or --all")
    settings = _settings(config)

    async def main() -> db.ReplayResult:
        engine = db.create_engine(settings.database.url)
        try:
            async with engine.begin() as conn:
                return await db.replay(conn, ids or None, connection=connection, all=all_)
        finally:
            await engine.dispose()

    result = _run(main)
    out.print(
        f"replayed {len(result.replayed)}, already resolved {len(result.resolved)}, "
        f"kept {len(result.kept)}"
    )


@app.command
def validate(
    *, connection: list[str] | None = None, csv: Path | None = None, config: ConfigOption = None
) -> None:
    """Check every order against the rules and ShipStation's required fields.

    Parameters
    ----------
    connection
        Only these connections.
    csv
        Write one row per problem to this file.
    """
    from stationmaster.engine.service import open_database
    from stationmaster.stores.registry import open_store
    from stationmaster.sync.rules import load_rules
    from stationmaster.sync.validation import Report, add_unreadable, validate_orders, write_csv

    settings = _settings(config)
    chosen = [settings.connection(n) for n in connection] if connection else settings.connections

    async def main() -> list[tuple[str, Report]]:
        engine = await open_database(settings)
        reports = []
        try:
            for conn_config in chosen:
                store = open_store(conn_config, engine)
                orders, unreadable, cursor = [], [], None
                while True:
                    batch = await store.changed_orders(cursor, 500)
                    orders.extend(batch.orders)
                    unreadable.extend(batch.unreadable)
                    cursor = batch.cursor
                    if not batch.more or not (batch.orders or batch.unreadable):
                        break
                report = validate_orders(
                    orders,
                    load_rules(conn_config.rules),
                    source=conn_config.source_slug,
                    now=datetime.now(UTC),
                )
                add_unreadable(report, unreadable, source=conn_config.source_slug)
                reports.append((conn_config.name, report))
        finally:
            await engine.dispose()
        return reports

    reports = _run(main)
    for name, report in reports:
        out.print(f"{name}: {report.summary()}")
    if csv is not None:
        write_csv(Report(rows=[row for _, report in reports for row in report.rows]), csv)
        out.print(f"wrote {csv}")
    if any(report.errors for _, report in reports):
        sys.exit(1)


@app.command(name="import")
def import_orders(
    file: Path, /, *, connection: str | None = None, config: ConfigOption = None
) -> None:
    """Load orders into a native store from a JSON-lines file (one order per line).

    Parameters
    ----------
    file
        The JSON-lines file.
    connection
        The native connection to load into (default: the only native one).
    """
    from stationmaster.engine.service import open_database
    from stationmaster.stores.ingest import import_jsonl
    from stationmaster.stores.native import NativeStore
    from stationmaster.stores.registry import open_store

    settings = _settings(config)
    if connection is None:
        natives = [c.name for c in settings.connections if c.store.kind == "native"]
        if len(natives) != 1:
            raise StationmasterError("name the native connection to load into: --connection")
        connection = natives[0]
    conn_config = settings.connection(connection)

    async def main() -> object:
        engine = await open_database(settings)
        try:
            async with engine.begin() as conn:
                await db.ensure_connection(
                    conn, conn_config.name, mode=conn_config.mode, store_kind=conn_config.store.kind
                )
            store = open_store(conn_config, engine)
            if not isinstance(store, NativeStore):
                raise StationmasterError(f"{connection} is not a native store connection")
            with file.open(encoding="utf-8") as handle:
                return await import_jsonl(store, handle)
        finally:
            await engine.dispose()

    report = _run(main)
    out.print(str(report))


@app.command
def status(*, config: ConfigOption = None) -> None:
    """A table of connections: backlog, pushed, dead letters, 429s, last success."""
    settings = _settings(config)

    async def main() -> list[db.ConnectionCounters]:
        engine = db.create_engine(settings.database.url)
        try:
            async with engine.connect() as conn:
                return await db.connection_counters(conn)
        finally:
            await engine.dispose()

    table = Table(
        "connection",
        "backlog",
        "pushed",
        "dead letters",
        "order errors",
        "429s",
        "tracked",
        "last success",
        "problem",
    )
    for row in _run(main):
        last = row.last_success.strftime("%Y-%m-%d %H:%M:%S UTC") if row.last_success else "—"
        problem = "—"
        if row.problem is not None and row.problem_at is not None:
            problem = f"{row.problem} (since {row.problem_at:%Y-%m-%d %H:%M:%S} UTC)"
        table.add_row(
            row.connection,
            str(row.backlog),
            str(row.pushed),
            str(row.failed),
            str(row.order_errors),
            str(row.rate_limited),
            str(row.tracked),
            last,
            problem,
        )
    out.print(table)


def _service(
    config: Path | None, *, web: bool, worker: bool, concurrency: int | None = None
) -> None:
    from functools import partial

    from stationmaster.engine.service import (
        LiveBudgets,
        api_token,
        customstore_targets,
        dashboard_options,
        open_database,
        open_runtimes,
        run_stock_reconciles,
        run_workers,
        serve_web,
        settle_stock_ledgers,
        stop_on_signals,
        subscribe_webhooks,
    )
    from stationmaster.stores.native import NativeStore
    from stationmaster.web.app import create_app
    from stationmaster.web.webhooks import webhook_targets

    settings = _settings(config)
    if concurrency is not None:
        if concurrency < 1:
            raise StationmasterError(f"--concurrency must be at least 1, got {concurrency}")
        settings = settings.model_copy(
            update={"worker": settings.worker.model_copy(update={"concurrency": concurrency})}
        )
    owner = db.owner_id("worker" if worker and not web else "run")

    async def main() -> None:
        engine = await open_database(settings)
        stop = anyio.Event()
        try:
            runtimes = await open_runtimes(settings, engine, owner=owner, lease_wait=0.0)
            if web:
                for line in await subscribe_webhooks(settings, runtimes):
                    console.print(f"webhooks {line}")
            async with anyio.create_task_group() as group:
                group.start_soon(stop_on_signals, stop)
                if web:
                    natives = {
                        r.name: r.push.store
                        for r in runtimes
                        if isinstance(r.push.store, NativeStore)
                    }
                    targets = await customstore_targets(settings, engine)
                    application = create_app(
                        engine,
                        native_stores=natives,
                        budgets=LiveBudgets(runtimes),
                        api_token=api_token(settings),
                        webhook_targets=webhook_targets(settings.connections),
                        customstore_targets=targets,
                        dashboard=dashboard_options(settings, runtimes, targets),
                    )
                    console.print(f"serving http://{settings.web.host}:{settings.web.port}/")
                    group.start_soon(
                        partial(
                            serve_web, application, settings.web.host, settings.web.port, stop=stop
                        )
                    )
                if worker:
                    group.start_soon(
                        partial(
                            run_workers, settings.worker, engine, runtimes, owner=owner, stop=stop
                        )
                    )
                    group.start_soon(
                        partial(run_stock_reconciles, settings, engine, owner=owner, stop=stop)
                    )
                    group.start_soon(partial(settle_stock_ledgers, engine, runtimes, stop=stop))
                await stop.wait()
                group.cancel_scope.deadline = anyio.current_time() + 10
        finally:
            await engine.dispose()

    _run(main)


@app.command
def run(*, config: ConfigOption = None) -> None:
    """Serve the web app and run every connection's sync loop until Ctrl-C."""
    _service(config, web=True, worker=True)


@app.command
def serve(*, config: ConfigOption = None) -> None:
    """Serve the web app only (ingest API, status page)."""
    _service(config, web=True, worker=False)


@app.command
def worker(*, config: ConfigOption = None, concurrency: int | None = None) -> None:
    """Run the sync loops only (start as many as you like on one PostgreSQL).

    Parameters
    ----------
    concurrency
        Keys this process serves at once (default: ``[worker] concurrency``, 4).
    """
    _service(config, web=False, worker=True, concurrency=concurrency)


@app.command
def emulator(
    *,
    host: str = "127.0.0.1",
    port: int = 8900,
    api_key: Annotated[str, Parameter(env_var="STATIONMASTER_EMULATOR_KEY")] = "K",
    api_secret: Annotated[str, Parameter(env_var="STATIONMASTER_EMULATOR_SECRET")] = "S",
    limit: int = 40,
    window_seconds: float = 60.0,
    accounts: int | None = None,
    call_bodies: bool = True,
) -> None:
    """Serve a ShipStation v1 emulator (REST API plus a control API under /_emulator/).

    Parameters
    ----------
    host
        Interface to bind; keep it on loopback unless you mean to share the emulator.
    port
        TCP port.
    api_key
        Key half of the Basic credentials the emulator accepts.
    api_secret
        Secret half of the Basic credentials the emulator accepts.
    limit
        Requests allowed per window and key pair (ShipStation: 40).
    window_seconds
        Length of the rate-limit window (ShipStation: 60 s); shorten it to compress time.
    accounts
        Serve a fleet of this many accounts on one address instead (1 or more), key pairs
        KEY1:SECRET1, KEY2:SECRET2, ... each with its own limit (per-account figures at
        /_fleet/summary). Without it, one emulator with the key pair as given.
    call_bodies
        Keep each recorded call's body (``--no-call-bodies`` for long load runs, where the
        bodies of a million orders' calls would double the memory held).
    """
    from stationmaster.emulator import EmulatorConfig, serve
    from stationmaster.emulator.fleet import EmulatorFleet, fleet_key_pairs, serve_fleet

    if accounts is not None and accounts < 1:
        raise StationmasterError(f"--accounts must be at least 1, got {accounts}")
    config = EmulatorConfig(
        api_key=api_key,
        api_secret=api_secret,
        limit=limit,
        window_seconds=window_seconds,
        record_call_bodies=call_bodies,
    )
    if accounts is None:
        serve(config, host=host, port=port)
        return
    fleet = EmulatorFleet(fleet_key_pairs(accounts, api_key, api_secret), config=config)
    serve_fleet(fleet, host=host, port=port)


@app.command
def demo(
    *,
    host: str = "127.0.0.1",
    port: int = 8800,
    workdir: Path | None = None,
    orders: int = 300,
    customstore_user: str = "demo-xml",
    customstore_password: str | None = None,
    dashboard_password: str | None = None,
) -> None:
    """Everything at once, zero configuration: a seeded store syncing to an emulated ShipStation.

    Parameters
    ----------
    host
        Interface for the dashboard.
    port
        Port for the dashboard.
    workdir
        Where the SQLite database lives (default: a new temporary directory).
    orders
        How many orders to seed the store with.
    customstore_user
        User of the demo's Custom Store endpoint (``/customstore/demo-xml``).
    customstore_password
        Its password (default: a new random one, printed at start).
    dashboard_password
        The dashboard's login password, 8 characters or more (default: a new random one,
        printed at start).
    """
    from stationmaster.demo import DemoInfo, run_demo
    from stationmaster.engine.service import stop_on_signals

    if orders < 0:
        raise StationmasterError("--orders cannot be negative")
    if dashboard_password is not None and len(dashboard_password) < 8:
        raise StationmasterError("--dashboard-password needs at least 8 characters")
    where = workdir or Path(tempfile.mkdtemp(prefix="stationmaster-demo-"))

    def ready(info: DemoInfo) -> None:
        out.print(f"[bold]stationmaster demo[/] at [link]{info.url}[/link]")
        out.print(f"  dashboard: {info.url} (password {info.dashboard_password})")
        out.print(f"  work directory: {info.workdir}")
        out.print(f"  {info.seeded} orders seeded; new ones arrive every few seconds")
        out.print(
            f"  emulated ShipStation: {info.url}shipstation/orders "
            "(Basic auth demo-key:demo-secret)"
        )
        out.print(f"  order API token (this run only): {info.api_token}")
        out.print(
            f"  Custom Store: {info.customstore_url} "
            f"(user {info.customstore_user}, password {info.customstore_password})"
        )
        out.print("  Ctrl-C stops")

    async def main() -> None:
        stop = anyio.Event()
        async with anyio.create_task_group() as group:
            group.start_soon(stop_on_signals, stop)
            await run_demo(
                host=host,
                port=port,
                workdir=where,
                orders=orders,
                stop=stop,
                customstore_user=customstore_user,
                customstore_password=customstore_password,
                dashboard_password=dashboard_password,
                on_ready=ready,
            )
            group.cancel_scope.cancel()

    _run(main)
    out.print("stopped")


DJANGO_SETTINGS_FLAG = "--django-settings"


def take_django_settings(argv: list[str]) -> tuple[str | None, list[str]]:
    """The ``--django-settings`` value in front of the command, and the arguments without it.

    It is read before the command so that Django is set up before any store is opened,
    whichever command runs; a flag without its module is a clear error.
    """
    for index, argument in enumerate(argv):
        if argument == DJANGO_SETTINGS_FLAG:
            if index + 1 >= len(argv) or argv[index + 1].startswith("-"):
                raise StationmasterError(f"{DJANGO_SETTINGS_FLAG} needs a settings module")
            return argv[index + 1], argv[:index] + argv[index + 2 :]
        if argument.startswith(f"{DJANGO_SETTINGS_FLAG}="):
            module = argument.split("=", 1)[1]
            if not module:
                raise StationmasterError(f"{DJANGO_SETTINGS_FLAG} needs a settings module")
            return module, argv[:index] + argv[index + 1 :]
    return None, argv


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("PYTHONIOENCODING", "utf-8")
    try:
        django_settings, arguments = take_django_settings(
            list(sys.argv[1:] if argv is None else argv)
        )
        if django_settings is not None:
            from stationmaster.stores.oscar.setup import configure

            configure(django_settings)
        app(arguments)
    except StationmasterError as exc:
        console.print(f"[red]error:[/] {exc}")
        sys.exit(2)
