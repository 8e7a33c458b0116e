"""Many keys, many workers, one PostgreSQL: pushing at the ceiling, CPU cost, bounded memory.

Everything runs as real processes on 127.0.0.1: ``stationmaster emulator --accounts N`` (a fleet
of ShipStation accounts, key pairs K1:S1 ...) and ``stationmaster worker`` processes sharing
the keys through leases in a fresh PostgreSQL database. Orders are bulk-loaded straight into
the native store's table, so seeding takes seconds. Three runs, in this order:

1. **cost** — ``--cost-connections`` connections (200), each with a backlog of
   ``--cost-orders`` orders, pushed by ``--cost-workers`` workers against a limit that never
   binds (40 requests per 1 s window). CPU seconds (user + system, from ``/proc``) of the
   worker processes per 1,000 orders, read from the store and pushed, between 10 % and 90 %
   of the backlog (no start-up, no tail); the emulator's and the database server's shares are
   printed apart. A key whose backlog is gone rests ``--cost-poll`` seconds (600) instead of
   the default 5: each rest ends in a tracking poll that re-reads the key's recent orders, a
   cost of idle keys, not of orders. From it, ``keys_per_core``: how many keys one core keeps
   at ShipStation's real ceiling, 40 requests of 100 orders a minute = 4,000 orders/min each.
2. **ceiling** — ``--keys`` connections (20), ``--limit`` requests per window, 100 orders per
   call, the window compressed so that the keys' summed ceiling is half of what this
   machine's cores serve at the cost run's CPU per order (workers, emulator and database all
   run here; the derivation is printed). For each of ``--workers`` (1, 2, 4), on a fresh copy
   of one seeded database and a fresh fleet, each worker with ``keys / workers`` slots:
   after the ramp-up (every key pushing, and the whole backlog read from the store, which
   the workers do first, pushing meanwhile), ``ratio`` is the orders accepted in the next
   ``--measure-windows`` windows, per minute, over the summed ceiling. They are counted by
   when their ``createorders`` calls arrived at the fleet (100 orders each), as its rate
   window counts them, on the fleet's clock: the times answers came back bunch up when the
   fleet is busy, and counted by those one interval could hold a batch too many or too few
   per key. A budget that keeps up sends exactly ``limit`` requests in any window-long
   interval, so whole windows measure it exactly. The backlog outlasts the measurement and is then
   drained: ``lost`` is the orders seeded less the orders the fleet holds, ``duplicates`` the
   order keys it holds twice, ``over_limit_windows`` its 429 answers (ShipStation's fixed
   window, as the fleet enforces it). The fleet's busiest window per account is printed too:
   it slides over the times the calls arrived, as the fleet's limiter counted them.
3. **memory** — one connection with ``--backfill-orders`` orders, sent by ``stationmaster
   sync push --backfill`` to one fleet account with a generous limit. The process's peak RSS
   at a tenth of the orders and at the end: bounded memory means it does not grow with them.

The defaults keep a run near 10 minutes on 2 cores: ``--limit 5`` (the issue's, ShipStation's
own, is ``--limit 40``: the same load in windows eight times longer, so a ceiling run eight
times as long), ``--measure-windows 1`` and ``--backfill-orders 30000`` (the issue's is
``--backfill-orders 1000000``, about 30 times as long; the emulator then holds a million
orders in memory, several GB). ``--window`` skips the derivation.

    uv run python bench/scale_out.py [--workers 1,2,4] [--limit 5] [--measure-windows 1]
        [--cost-connections 200] [--cost-orders 150] [--backfill-orders 30000] [--only memory]

Last lines, one per worker count of the ceiling run, the largest last:
RESULT workers=<n> ratio=... cpu_s_per_1000=... keys_per_core=... peak_rss_mb=... lost=...
duplicates=... over_limit_windows=...
"""

from __future__ import annotations

import argparse
import functools
import json
import math
import os
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import anyio
import httpx2
import psycopg
from _processes import Child, Children, free_port, proc_cpu_seconds, wait_until_serving
from sqlalchemy import make_url, text, update

from stationmaster import db
from stationmaster.db.tables import connections as connections_table
from stationmaster.emulator.fleet import CLOCK_PATH, SUMMARY_PATH
from stationmaster.testing.databases import pg_database
from stationmaster.testing.factories import make_orders

SHIPSTATION_LIMIT = 40  # requests per 60 s window and key pair
BATCH = 100  # orders per createorders call
REAL_CEILING_PER_MIN = SHIPSTATION_LIMIT * BATCH  # orders a minute, per key
LOAD = 0.5  # the ceiling run's summed ceiling, as a share of what the machine serves
TEMPLATES = 100  # distinct order shapes the bulk load cycles through
SEED_CHUNK = 100_000  # orders per INSERT statement

say = functools.partial(print, flush=True)  # progress shows as it happens, even piped

# Row g is template g % count with its own ids; the store's change numbers follow g.
SEED_SQL = text(
    """
    INSERT INTO native_orders (connection, source_id, order_key, payload, status, deleted,
                               version, change_seq, updated_at)
    SELECT CAST(:connection AS text), ids.id, CAST(:connection AS text) || ':' || ids.id,
           (t.value -> 'payload') || jsonb_build_object('source_id', ids.id,
                                                        'number', :prefix || ids.id),
           t.value ->> 'status', false, 1, g + 1, :now
      FROM generate_series(CAST(:first AS bigint), CAST(:last AS bigint)) AS g
     CROSS JOIN LATERAL (SELECT lpad(CAST(g AS text), 8, '0') AS id) AS ids
      JOIN jsonb_array_elements(CAST(:templates AS jsonb)) WITH ORDINALITY AS t(value, n)
        ON t.n = g % CAST(:count AS bigint) + 1
    """
)


# --- seeding ----------------------------------------------------------------------------------


def connection_names(count: int) -> list[str]:
    """Connection n is also its own source slug, and uses the fleet's n-th key pair."""
    return [f"m{n:03d}" for n in range(1, count + 1)]


def template_orders() -> str:
    """The bulk load's order shapes, as the native store keeps them (status in its column)."""
    rows = [
        {
            "payload": order.model_dump(mode="json", exclude={"status", "deleted"}),
            "status": order.status,
        }
        for order in make_orders(TEMPLATES, seed=11)
    ]
    return json.dumps(rows)


async def seed(url: str, names: Sequence[str], per_connection: int) -> float:
    """Migrate, and give each connection ``per_connection`` new orders; the seconds taken."""
    started = time.perf_counter()
    engine = db.create_engine(url)
    templates = template_orders()
    try:
        await db.upgrade_async(engine)
        async with engine.begin() as conn:
            for name in names:
                await db.ensure_connection(conn, name, mode="push", store_kind="native")
        for name in names:
            for first in range(0, per_connection, SEED_CHUNK):
                async with engine.begin() as conn:
                    await conn.execute(
                        SEED_SQL,
                        {
                            "connection": name,
                            "prefix": f"{name.upper()}-",
                            "first": first,
                            "last": min(first + SEED_CHUNK, per_connection) - 1,
                            "templates": templates,
                            "count": TEMPLATES,
                            "now": datetime.now(UTC),
                        },
                    )
            async with engine.begin() as conn:  # as if the store had numbered them itself
                await conn.execute(
                    update(connections_table)
                    .where(connections_table.c.name == name)
                    .values(native_change_seq=per_connection)
                )
        async with engine.begin() as conn:
            await conn.execute(text("ANALYZE"))
    finally:
        await engine.dispose()
    return time.perf_counter() - started


# --- processes --------------------------------------------------------------------------------


def key_env(count: int) -> dict[str, str]:
    """The environment giving connection n the fleet's n-th key pair, ``Kn:Sn``."""
    env = dict(os.environ)
    for n in range(1, count + 1):
        env[f"SCALE_KEY_{n}"], env[f"SCALE_SECRET_{n}"] = f"K{n}", f"S{n}"
    return env


def write_config(
    path: Path, url: str, port: int, names: Sequence[str], *, limit: int, window: float,
    concurrency: int, poll_seconds: float = 5.0,
) -> Path:  # fmt: skip
    """A ``stationmaster.toml`` with one push connection per fleet account (defaults else)."""
    lines = [f'[database]\nurl = "{url}"\n', f"[worker]\nconcurrency = {concurrency}\n"]
    for n, name in enumerate(names, start=1):
        lines.append(
            f'[[connections]]\nname = "{name}"\nsource = "{name}"\n'
            f"poll_seconds = {poll_seconds}\n"
            f'shipstation = {{ base_url = "http://127.0.0.1:{port}", '
            f'api_key_env = "SCALE_KEY_{n}", api_secret_env = "SCALE_SECRET_{n}", '
            f"limit = {limit}, window_seconds = {window} }}\n"
        )
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def start_fleet(children: Children, accounts: int, limit: int, window: float) -> tuple[Child, int]:
    """``stationmaster emulator --accounts`` on a free port of 127.0.0.1, serving; its calls
    are kept without their bodies (only counted here)."""
    port = free_port()
    fleet = children.start(
        "emulator",
        ["emulator", "--host", "127.0.0.1", "--port", str(port),
         "--accounts", str(accounts), "--limit", str(limit),
         "--window-seconds", str(window), "--no-call-bodies"],
    )  # fmt: skip
    wait_until_serving(fleet, port)
    return fleet, port


def start_workers(children: Children, count: int, config: Path, keys: int) -> list[Child]:
    env = key_env(keys)
    return [
        children.start(f"worker-{n}", ["worker", "--config", str(config)], env=env)
        for n in range(1, count + 1)
    ]


def fleet_summary(port: int, between: tuple[float, float] | None = None) -> list[dict[str, int]]:
    """Every account's figures, counted from each account's order-key index (no order is
    copied): one pass over the keys, a second or so at a million orders. ``between`` two
    :func:`fleet_clock` readings adds the bulk creates that arrived in it."""
    params = {} if between is None else {"from": between[0], "to": between[1]}
    reply = httpx2.get(f"http://127.0.0.1:{port}{SUMMARY_PATH}", params=params, timeout=600)
    reply.raise_for_status()
    rows: list[dict[str, int]] = reply.json()
    return rows


def fleet_clock(port: int) -> float:
    """The fleet's monotonic clock, which its call records are stamped with."""
    reading: float = httpx2.get(f"http://127.0.0.1:{port}{CLOCK_PATH}", timeout=30).json()[
        "monotonic"
    ]
    return reading


def landed(rows: Sequence[dict[str, int]]) -> int:
    return sum(row["orders"] for row in rows)


def log_problems(children: Children) -> list[str]:
    """Warning and error lines in the children's logs (a run that went well has none)."""
    found = []
    for path in sorted(children.log_dir.glob("*.log")):
        with path.open(encoding="utf-8", errors="replace") as log:
            found += [
                f"{path.stem}: {line.strip()}"
                for line in log
                if "[warning" in line or "[error" in line or "Traceback" in line
            ]
    return found


def report_problems(problems: Sequence[str], shown: int = 5) -> None:
    for line in problems[:shown]:
        say(f"  log: {line[:300]}")
    if len(problems) > shown:
        say(f"  log: ... and {len(problems) - shown} more")


def wait_for(
    what: str,
    done: Callable[[], bool],
    *,
    seconds: float,
    children: Children,
    every: float = 0.5,
) -> None:
    """Poll ``done`` until true; fail after ``seconds``, or as soon as a child has died."""
    deadline = time.monotonic() + seconds
    while not done():
        for child in children.started:
            if not child.running():
                raise RuntimeError(
                    f"{child.name} exited with {child.process.returncode} while waiting for "
                    f"{what}:\n{children.log_tail(child.name)}"
                )
        if time.monotonic() > deadline:
            raise RuntimeError(f"gave up waiting for {what} after {seconds:.0f} s")
        time.sleep(every)


class Database:
    """A side connection to a run's database: progress, and its server processes' CPU."""

    def __init__(self, url: str) -> None:
        libpq = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        self.conn = psycopg.connect(libpq, autocommit=True)

    def pushed(self) -> int:
        """Orders ShipStation accepted, as the workers recorded them."""
        row = self.conn.execute(
            "SELECT count(*) FROM sync_records WHERE pushed_at IS NOT NULL"
        ).fetchone()
        return int(row[0]) if row else 0

    def keys_pushing(self) -> int:
        """Connections with at least one order accepted."""
        row = self.conn.execute(
            "SELECT count(DISTINCT connection) FROM sync_records WHERE pushed_at IS NOT NULL"
        ).fetchone()
        return int(row[0]) if row else 0

    def ran_dry_before(self, end: datetime, backlog: int) -> list[str]:
        """The connections whose whole ``backlog`` was accepted before ``end`` (they may have
        idled inside the measured interval)."""
        rows = self.conn.execute(
            "SELECT connection FROM sync_records WHERE pushed_at < %s "
            "GROUP BY connection HAVING count(*) >= %s",
            (end, backlog),
        ).fetchall()
        return [str(name) for (name,) in rows]

    def detected(self) -> int:
        """Orders the workers have read from the store: queued to send, or sent."""
        row = self.conn.execute("SELECT count(*) FROM outbox").fetchone()
        return (int(row[0]) if row else 0) + self.pushed()

    def backend_cpu(self) -> dict[int, float]:
        """CPU seconds so far of each server process serving this database (but this one)."""
        rows = self.conn.execute(
            "SELECT pid FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchall()
        return {int(pid): proc_cpu_seconds(int(pid)) for (pid,) in rows}


@contextmanager
def side_connection(url: str) -> Iterator[Database]:
    database = Database(url)
    try:
        yield database
    finally:
        database.conn.close()


@dataclass(frozen=True)
class Usage:
    """Seconds of wall time and of CPU (workers, emulator, database server) over a span."""

    wall: float
    workers: float
    emulator: float
    database: float

    def per_1000(self, orders: int) -> Usage:
        """Every figure per 1,000 orders."""
        scale = 1000 / max(orders, 1)
        return Usage(
            self.wall * scale, self.workers * scale, self.emulator * scale, self.database * scale
        )

    @property
    def machine(self) -> float:
        return self.workers + self.emulator + self.database


@dataclass(frozen=True)
class Meter:
    """CPU readings at one moment, to subtract from a later one."""

    at: float
    workers: float
    emulator: float
    database: dict[int, float]

    @classmethod
    def read(cls, workers: Sequence[Child], emulator: Child, database: Database) -> Meter:
        return cls(
            time.monotonic(),
            sum(w.cpu_seconds() for w in workers),
            emulator.cpu_seconds(),
            database.backend_cpu(),
        )

    def since(self, earlier: Meter) -> Usage:
        # A server process that ended in between is missed: the workers' pools keep theirs.
        database = sum(cpu - earlier.database.get(pid, 0.0) for pid, cpu in self.database.items())
        return Usage(
            self.at - earlier.at,
            self.workers - earlier.workers,
            self.emulator - earlier.emulator,
            database,
        )


# --- the cost run -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Cost:
    """The cost run's steady part: orders accepted and what they took."""

    orders: int
    usage: Usage
    problems: list[str]

    @property
    def per_1000(self) -> Usage:
        return self.usage.per_1000(self.orders)

    @property
    def keys_per_core(self) -> float:
        """Keys one core keeps at 4,000 orders/min each: a minute of CPU over a key's minute."""
        return 60 / (REAL_CEILING_PER_MIN / 1000 * self.per_1000.workers)


def cost_run(args: argparse.Namespace, workdir: Path) -> Cost:
    names = connection_names(args.cost_connections)
    expected = len(names) * args.cost_orders
    rundir = workdir / "cost"
    rundir.mkdir()
    with pg_database() as url, Children(rundir) as children:
        seconds = anyio.run(seed, url, names, args.cost_orders)
        say(f"cost: seeded {expected:,} orders in {len(names)} connections in {seconds:.0f} s")
        window = 1.0
        fleet, port = start_fleet(children, len(names), SHIPSTATION_LIMIT, window)
        config = write_config(
            rundir / "stationmaster.toml", url, port, names, limit=SHIPSTATION_LIMIT,
            window=window, concurrency=args.cost_concurrency, poll_seconds=args.cost_poll,
        )  # fmt: skip
        with side_connection(url) as database:
            workers = start_workers(children, args.cost_workers, config, len(names))
            patience = 120 + expected / 50

            def reached(share: float) -> Callable[[], bool]:
                return lambda: database.pushed() >= expected * share

            wait_for("10 % pushed", reached(0.1), seconds=patience, children=children)
            first, start = database.pushed(), Meter.read(workers, fleet, database)
            wait_for("90 % pushed", reached(0.9), seconds=patience, children=children)
            last, end = database.pushed(), Meter.read(workers, fleet, database)
            wait_for("the backlog drained", reached(1), seconds=patience, children=children)
        rows = fleet_summary(port)
        children.stop_all()
        problems = log_problems(children)
    if last == first:
        raise RuntimeError("cost run: too few orders to measure; raise --cost-orders")
    duplicates = sum(row["duplicate_order_keys"] for row in rows)
    if landed(rows) != expected or duplicates:
        raise RuntimeError(
            f"cost run: the fleet holds {landed(rows):,} of {expected:,} orders, {duplicates} twice"
        )
    return Cost(last - first, end.since(start), problems)


def cores() -> int:
    return len(os.sched_getaffinity(0))


def ceiling_window(cost: Cost, keys: int, limit: int) -> float:
    """The window at which ``keys`` keys' summed ceiling is half what the machine serves."""
    per = cost.per_1000
    serves = cores() * 1000 / per.machine
    summed = LOAD * serves
    window = keys * limit * BATCH / summed
    say(
        f"ceiling window: CPU s per 1,000 orders: workers {per.workers:.2f} + emulator "
        f"{per.emulator:.2f} + database {per.database:.2f} = {per.machine:.2f}; this machine's "
        f"{cores()} cores serve {cores()} x 1000 / {per.machine:.2f} = {serves:,.0f} orders/s "
        f"(the workers' CPU alone: {cores() * 1000 / per.workers:,.0f}); half of it, "
        f"{summed:,.0f} orders/s, is the summed ceiling of {keys} keys x {limit} requests x "
        f"{BATCH} orders per window: window = {keys * limit * BATCH:,} / {summed:,.0f} "
        f"= {window:.1f} s"
    )
    return window


# --- the ceiling run --------------------------------------------------------------------------


@dataclass(frozen=True)
class Ceiling:
    """One ceiling run: its steady interval, and the fleet's figures once drained."""

    workers: int
    keys: int
    limit: int
    window: float
    ramp_up: float
    steady_orders: int
    #: The measured interval on the fleet's clock, which counted ``steady_orders``.
    steady_seconds: float
    usage: Usage
    expected: int
    landed: int
    duplicates: int
    rate_limited: int
    busiest_window: int
    over_limit_accounts: int
    problems: list[str]

    @property
    def ceiling_per_min(self) -> float:
        return self.keys * self.limit * BATCH / self.window * 60

    @property
    def achieved_per_min(self) -> float:
        return self.steady_orders / self.steady_seconds * 60

    @property
    def ratio(self) -> float:
        return self.achieved_per_min / self.ceiling_per_min

    @property
    def lost(self) -> int:
        return self.expected - self.landed

    @property
    def over_limit_windows(self) -> int:
        """Windows in which a key asked for more than its limit: the fleet's 429 answers."""
        return self.rate_limited


def ceiling_backlog(limit: int, measure_windows: int) -> int:
    """Orders per key that outlast the measurement.

    The ramp-up reads the whole backlog from the store (pushing meanwhile); at half the
    machine's capacity, with reading the larger part of an order's cost, one worker takes
    about half the backlog's windows for it. Twice the measured windows plus one leaves a
    window to spare after the measurement.
    """
    return limit * BATCH * 2 * (measure_windows + 1)


def ceiling_run(
    workers: int, window: float, template: str, args: argparse.Namespace, workdir: Path
) -> Ceiling:
    names = connection_names(args.keys)
    per_key = ceiling_backlog(args.limit, args.measure_windows)
    expected = per_key * len(names)
    rundir = workdir / f"ceiling-{workers}"
    rundir.mkdir()
    with pg_database(template) as url, Children(rundir) as children:
        fleet, port = start_fleet(children, len(names), args.limit, window)
        config = write_config(
            rundir / "stationmaster.toml", url, port, names, limit=args.limit, window=window,
            concurrency=math.ceil(len(names) / workers),
        )  # fmt: skip
        with side_connection(url) as database:
            began = time.monotonic()
            procs = start_workers(children, workers, config, len(names))

            def ramped_up() -> bool:
                """Every key pushing, and the whole backlog read from the store: what is left
                is pushing alone, as in a steady stream of orders."""
                return database.detected() >= expected and database.keys_pushing() == len(names)

            wait_for("the ramp-up", ramped_up, seconds=900, children=children)
            start = Meter.read(procs, fleet, database)
            start_clock = fleet_clock(port)
            time.sleep(args.measure_windows * window)
            end_clock = fleet_clock(port)
            end_at, end = datetime.now(UTC), Meter.read(procs, fleet, database)
            time.sleep(1)  # let the batches answered before the end commit their records
            dry = database.ran_dry_before(end_at, per_key)
            if dry:
                raise RuntimeError(
                    f"ceiling run: {', '.join(dry)} ran out of orders before the measurement "
                    "ended: the ramp-up took longer than the backlog lasts (machine too slow?)"
                )
            windows_left = (expected - database.pushed()) / (len(names) * args.limit * BATCH)
            wait_for(
                "the backlog to drain",
                lambda: database.pushed() >= expected,
                seconds=120 + 3 * windows_left * window,
                children=children,
            )
        rows = fleet_summary(port, between=(start_clock, end_clock))
        children.stop_all()
        problems = log_problems(children)
    return Ceiling(
        workers=workers,
        keys=len(names),
        limit=args.limit,
        window=window,
        ramp_up=start.at - began,
        steady_orders=sum(row["created_between"] for row in rows) * BATCH,
        steady_seconds=end_clock - start_clock,
        usage=end.since(start),
        expected=expected,
        landed=landed(rows),
        duplicates=sum(row["duplicate_order_keys"] for row in rows),
        rate_limited=sum(row["rate_limited"] for row in rows),
        busiest_window=max(row["busiest_window"] for row in rows),
        over_limit_accounts=sum(1 for row in rows if row["busiest_window"] > args.limit),
        problems=problems,
    )


# --- the memory run ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Memory:
    orders: int
    seconds: float
    #: Peak RSS (MB) once a tenth of the orders were accepted (if read before the backfill
    #: ended), and at the end.
    peak_at_tenth: float | None
    peak: float
    landed: int
    duplicates: int

    @property
    def growth_per_100k(self) -> float | None:
        """How much the peak grew per 100,000 orders after the first tenth (MB)."""
        if self.peak_at_tenth is None:
            return None
        return (self.peak - self.peak_at_tenth) / (self.orders * 0.9) * 100_000


def memory_run(args: argparse.Namespace, workdir: Path) -> Memory:
    orders, names = args.backfill_orders, connection_names(1)
    rundir = workdir / "memory"
    rundir.mkdir()
    with pg_database() as url, Children(rundir) as children:
        seconds = anyio.run(seed, url, names, orders)
        say(f"memory: seeded {orders:,} orders in one connection in {seconds:.0f} s")
        limit, window = 10_000, 1.0  # never binds
        _, port = start_fleet(children, 1, limit, window)
        config = write_config(
            rundir / "stationmaster.toml", url, port, names, limit=limit, window=window,
            concurrency=1,
        )  # fmt: skip
        with side_connection(url) as database:
            push = children.start(
                "backfill", ["sync", "push", "--backfill", "--config", str(config)], env=key_env(1)
            )
            started, peak_at_tenth = time.monotonic(), None
            while push.running():
                if peak_at_tenth is None and database.pushed() >= orders // 10:
                    peak_at_tenth = push.peak_rss_mb() or None  # 0: it has just ended
                time.sleep(1)
            took = time.monotonic() - started
            if push.wait() != 0:
                raise RuntimeError(f"the backfill failed:\n{children.log_tail('backfill')}")
        rows = fleet_summary(port)
    return Memory(
        orders=orders,
        seconds=took,
        peak_at_tenth=peak_at_tenth,
        peak=push.peak_rss_mb(),
        landed=rows[0]["orders"],
        duplicates=rows[0]["duplicate_order_keys"],
    )


# --- the whole benchmark ----------------------------------------------------------------------


def _counts(text: str) -> list[int]:
    try:
        counts = sorted({int(part) for part in text.split(",") if part.strip()})
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a list of worker counts: {text!r}") from None
    if not counts or counts[0] < 1:
        raise argparse.ArgumentTypeError(f"worker counts must be 1 or more: {text!r}")
    return counts


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more: {text!r}")
    return value


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--workers", type=_counts, default=[1, 2, 4])
    parser.add_argument("--keys", type=_positive, default=20)
    parser.add_argument(
        "--limit", type=_positive, default=5, help="requests per window (ShipStation: 40)"
    )
    parser.add_argument(
        "--window", type=float, default=None, help="window in seconds (default: derived)"
    )
    parser.add_argument("--measure-windows", type=_positive, default=1)
    parser.add_argument("--cost-connections", type=_positive, default=200)
    parser.add_argument("--cost-orders", type=_positive, default=150)
    parser.add_argument("--cost-workers", type=_positive, default=2)
    parser.add_argument(
        "--cost-concurrency", type=_positive, default=10, help="slots per cost-run worker"
    )
    parser.add_argument(
        "--cost-poll",
        type=float,
        default=600.0,
        help="poll_seconds of the cost run's connections (see the docstring)",
    )
    parser.add_argument("--backfill-orders", type=_positive, default=30_000)
    parser.add_argument(
        "--only",
        choices=["memory"],
        help="run only this part (its figures printed, no RESULT lines: they need every part)",
    )
    args = parser.parse_args()
    if args.window is not None and not args.window > 0:
        parser.error("--window must be more than 0 seconds")
    if not args.cost_poll > 0:
        parser.error("--cost-poll must be more than 0 seconds")
    if args.backfill_orders < 10:
        parser.error("--backfill-orders must be at least 10 (RSS is read at a tenth)")
    return args


def report_cost(cost: Cost) -> None:
    per = cost.per_1000
    say(
        f"cost: {cost.orders:,} orders in {cost.usage.wall:.1f} s "
        f"({cost.orders / cost.usage.wall:,.0f} orders/s); CPU s per 1,000 orders: workers "
        f"{per.workers:.3f}, emulator {per.emulator:.3f} ({per.emulator / per.machine:.0%} of "
        f"the machine's), database {per.database:.3f}; one core keeps "
        f"{cost.keys_per_core:.1f} keys at {REAL_CEILING_PER_MIN:,} orders/min each; "
        f"warnings in the logs: {len(cost.problems)}"
    )
    report_problems(cost.problems)


def report_ceiling(run: Ceiling) -> None:
    per = run.usage.per_1000(run.steady_orders)
    say(
        f"ceiling, {run.workers} worker(s): ramp-up {run.ramp_up:.0f} s, then "
        f"{run.steady_orders:,} orders in "
        f"{run.steady_seconds:.1f} s = {run.achieved_per_min:,.0f} orders/min of "
        f"{run.ceiling_per_min:,.0f} = {run.ratio:.3f}; CPU s per 1,000 orders: workers "
        f"{per.workers:.3f}, emulator {per.emulator:.3f}, database {per.database:.3f}; "
        f"landed {run.landed:,} of {run.expected:,}, duplicates {run.duplicates}, "
        f"429s {run.rate_limited}, busiest window {run.busiest_window} of {run.limit} "
        f"({run.over_limit_accounts} accounts over it); "
        f"warnings in the logs: {len(run.problems)}"
    )
    report_problems(run.problems)


def report_memory(memory: Memory) -> None:
    if memory.peak_at_tenth is None or memory.growth_per_100k is None:
        early = "not read (the backfill ended first)"
    else:
        early = (
            f"{memory.peak_at_tenth:.0f} MB at {memory.orders // 10:,} orders, "
            f"{memory.growth_per_100k:+.1f} MB per 100,000 orders after that"
        )
    say(
        f"memory: backfilled {memory.orders:,} orders in {memory.seconds:.0f} s "
        f"({memory.orders / memory.seconds:,.0f} orders/s); peak RSS {memory.peak:.0f} MB at "
        f"{memory.orders:,} orders, {early}; landed {memory.landed:,}, "
        f"duplicates {memory.duplicates}"
    )


def main() -> None:
    args = parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as tmp:
        workdir = Path(tmp)
        if args.only == "memory":
            report_memory(memory_run(args, workdir))
            return
        cost = cost_run(args, workdir)
        report_cost(cost)
        window = args.window or ceiling_window(cost, args.keys, args.limit)
        runs = []
        with pg_database() as template:
            per_key = ceiling_backlog(args.limit, args.measure_windows)
            seconds = anyio.run(seed, template, connection_names(args.keys), per_key)
            say(f"ceiling: seeded {per_key:,} orders per key in {seconds:.0f} s")
            for workers in args.workers:
                runs.append(ceiling_run(workers, window, template, args, workdir))
                report_ceiling(runs[-1])
        memory = memory_run(args, workdir)
        report_memory(memory)
    for run in runs:
        say(
            f"RESULT workers={run.workers} ratio={run.ratio:.3f} "
            f"cpu_s_per_1000={cost.per_1000.workers:.3f} "
            f"keys_per_core={cost.keys_per_core:.1f} peak_rss_mb={memory.peak:.0f} "
            f"lost={run.lost} duplicates={run.duplicates} "
            f"over_limit_windows={run.over_limit_windows}"
        )


if __name__ == "__main__":
    main()
