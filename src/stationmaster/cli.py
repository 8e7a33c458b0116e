"""The ``stationmaster`` command: thin wrappers over the library's entry points."""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, TypeVar

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

app = App(
    name="stationmaster",
    help="Keep a store's orders, tracking and stock in step with ShipStation.",
)
db_app = App(name="db", help="Database maintenance.")
sync_app = App(name="sync", help="Run one sync pass now.")
webhooks_app = App(name="webhooks", help="ShipStation webhook subscriptions.")
app.command(db_app)
app.command(sync_app)
app.command(webhooks_app)

console = Console(stderr=True)
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
            with Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[detail]}"),
                TimeElapsedColumn(),
                console=console,
            ) as progress:
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
    from stationmaster.sync.validation import Report, validate_orders, write_csv

    settings = _settings(config)
    chosen = [settings.connection(n) for n in connection] if connection else settings.connections

    async def main() -> list[tuple[str, Report]]:
        engine = await open_database(settings)
        reports = []
        try:
            for conn_config in chosen:
                store = open_store(conn_config, engine)
                orders, cursor = [], None
                while True:
                    batch = await store.changed_orders(cursor, 500)
                    orders.extend(batch.orders)
                    cursor = batch.cursor
                    if not batch.more or not batch.orders:
                        break
                report = validate_orders(
                    orders,
                    load_rules(conn_config.rules),
                    source=conn_config.source_slug,
                    now=datetime.now(UTC),
                )
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
        "connection", "backlog", "pushed", "dead letters", "429s", "tracked", "last success"
    )
    for row in _run(main):
        last = row.last_success.strftime("%Y-%m-%d %H:%M:%S UTC") if row.last_success else "—"
        table.add_row(
            row.connection,
            str(row.backlog),
            str(row.pushed),
            str(row.failed),
            str(row.rate_limited),
            str(row.tracked),
            last,
        )
    out.print(table)


def _service(config: Path | None, *, web: bool, worker: bool) -> None:
    from functools import partial

    from stationmaster.engine.runner import run_forever
    from stationmaster.engine.service import (
        LiveBudgets,
        api_token,
        customstore_targets,
        open_database,
        open_runtimes,
        serve_web,
        stop_on_signals,
        subscribe_webhooks,
    )
    from stationmaster.stores.native import NativeStore
    from stationmaster.web.app import create_app
    from stationmaster.web.webhooks import webhook_targets

    settings = _settings(config)

    async def main() -> None:
        engine = await open_database(settings)
        stop = anyio.Event()
        try:
            runtimes = await open_runtimes(
                settings, engine, owner=db.owner_id("run"), lease_wait=0.0
            )
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
                    application = create_app(
                        engine,
                        native_stores=natives,
                        budgets=LiveBudgets(runtimes),
                        api_token=api_token(settings),
                        webhook_targets=webhook_targets(settings.connections),
                        customstore_targets=await customstore_targets(settings, engine),
                    )
                    console.print(f"serving http://{settings.web.host}:{settings.web.port}/")
                    group.start_soon(
                        partial(
                            serve_web, application, settings.web.host, settings.web.port, stop=stop
                        )
                    )
                if worker:
                    group.start_soon(partial(run_forever, runtimes, stop=stop))
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
def worker(*, config: ConfigOption = None) -> None:
    """Run the sync loops only (start as many as you like on one PostgreSQL)."""
    _service(config, web=False, worker=True)


@app.command
def emulator(
    *,
    host: str = "127.0.0.1",
    port: int = 8900,
    api_key: Annotated[str, Parameter(env_var="STATIONMASTER_EMULATOR_KEY")] = "K",
    api_secret: Annotated[str, Parameter(env_var="STATIONMASTER_EMULATOR_SECRET")] = "S",
    limit: int = 40,
    window_seconds: float = 60.0,
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
    """
    from stationmaster.emulator import EmulatorConfig, serve

    config = EmulatorConfig(
        api_key=api_key, api_secret=api_secret, limit=limit, window_seconds=window_seconds
    )
    serve(config, host=host, port=port)


@app.command
def demo(
    *,
    host: str = "127.0.0.1",
    port: int = 8800,
    workdir: Path | None = None,
    orders: int = 300,
    customstore_user: str = "demo-xml",
    customstore_password: str | None = None,
) -> None:
    """Everything at once, zero configuration: a seeded store syncing to an emulated ShipStation.

    Parameters
    ----------
    host
        Interface for the status page.
    port
        Port for the status page.
    workdir
        Where the SQLite database lives (default: a new temporary directory).
    orders
        How many orders to seed the store with.
    customstore_user
        User of the demo's Custom Store endpoint (``/customstore/demo-xml``).
    customstore_password
        Its password (default: a new random one, printed at start).
    """
    from stationmaster.demo import DemoInfo, run_demo
    from stationmaster.engine.service import stop_on_signals

    if orders < 0:
        raise StationmasterError("--orders cannot be negative")
    where = workdir or Path(tempfile.mkdtemp(prefix="stationmaster-demo-"))

    def ready(info: DemoInfo) -> None:
        out.print(f"[bold]stationmaster demo[/] at [link]{info.url}[/link]")
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
                on_ready=ready,
            )
            group.cancel_scope.cancel()

    _run(main)
    out.print("stopped")


def main() -> None:
    os.environ.setdefault("PYTHONIOENCODING", "utf-8")
    try:
        app()
    except StationmasterError as exc:
        console.print(f"[red]error:[/] {exc}")
        sys.exit(2)
