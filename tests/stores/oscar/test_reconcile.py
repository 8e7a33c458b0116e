"""The full stock reconcile of a django-oscar shop: what the shop sells, to the unit.

The shop sells ``num_in_stock - num_allocated``; a reconcile makes that ShipStation's
available less the orders ShipStation has not received, with orders placed through the
basket (which allocates) and ShipStation played by the emulator's v2 inventory.
"""

from __future__ import annotations

import random
import threading
import uuid
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import anyio
import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine
from structlog.testing import capture_logs

from stationmaster import db
from stationmaster.config import ConnectionConfig, StockConfig, StoreConfig
from stationmaster.db.tables import sync_records
from stationmaster.domain import Line
from stationmaster.emulator import Emulator, EmulatorConfig
from stationmaster.emulator.v2config import V2Config
from stationmaster.errors import ConfigError
from stationmaster.stock.plan import StockChange
from stationmaster.stock.reconcile import Reconciled, reconcile
from stationmaster.stock.setup import open_reconciler
from stationmaster.stores.oscar.kind import OscarSettings
from stationmaster.sync.mapping import order_key
from stationmaster.sync.rules import load_rules
from stationmaster.testing.factories import plain_order
from tests.stores.oscar.conftest import in_shop
from tests.stores.oscar.placing import WAREHOUSE, place, product_for
from tests.stores.oscar.wiring import RULES

if TYPE_CHECKING:
    from stationmaster.stores.oscar.book import OscarBook
    from stationmaster.stores.oscar.connector import OscarStore

pytestmark = [pytest.mark.anyio, pytest.mark.filterwarnings("ignore:update is not implemented")]

CONNECTION = "shop"
SOURCE = "oscar"
KEY_ENV = "SM_TEST_OSCAR_V2_KEY"


# --- the shop -------------------------------------------------------------------------------


def _skus(*names: str) -> list[str]:
    """SKUs of this test alone (the shop lives for the whole session)."""
    tag = uuid.uuid4().hex[:8]
    return [f"{name}-{tag}" for name in names]


def _records() -> Any:
    from oscar.core.loading import get_model

    return get_model("partner", "StockRecord")._default_manager


def _stock(levels: Mapping[str, int]) -> None:
    """A product per SKU, ``num_in_stock`` as given and nothing allocated."""
    for sku, level in levels.items():
        product_for(Line(line_id="x", sku=sku, name=sku, quantity=1, unit_price=Decimal(2)))
        _records().filter(partner_sku=sku).update(num_in_stock=level, num_allocated=0)


def _numbers(skus: Sequence[str]) -> dict[str, tuple[int, int]]:
    """``(num_in_stock, num_allocated)`` by SKU, of the main warehouse's records."""
    rows = _records().filter(partner_sku__in=list(skus), partner__name=WAREHOUSE)
    return {sku: (n or 0, a or 0) for sku, n, a in rows.values_list(*_NUMBERS)}


_NUMBERS = ("partner_sku", "num_in_stock", "num_allocated")


def _sellable(skus: Sequence[str]) -> dict[str, int]:
    return {sku: n - a for sku, (n, a) in _numbers(skus).items()}


def _order(units: Mapping[str, int]) -> str:
    """An order placed through the basket (Oscar allocates its units); its source id."""
    template = plain_order()
    lines = [
        template.lines[0].model_copy(update={"line_id": f"l{n}", "sku": sku, "quantity": q})
        for n, (sku, q) in enumerate(units.items())
    ]
    number = f"RC-{uuid.uuid4().hex[:10]}"
    return str(place(template.model_copy(update={"number": number, "lines": lines})).pk)


def _reconcile_rows(skus: Sequence[str]) -> list[tuple[str, str, int, int]]:
    from stationmaster.stores.oscar.models import StockAdjustment

    rows = StockAdjustment.objects.filter(reason="reconcile", sku__in=list(skus))
    return [(r.key, r.sku, r.delta, r.on_hand) for r in rows.order_by("key")]


async def _accepted(engine: AsyncEngine, source_ids: Sequence[str]) -> None:
    """ShipStation accepted these orders (their sync records have an order id)."""
    keys = {order_key(SOURCE, s): s for s in source_ids}
    async with engine.begin() as conn:
        await db.ensure_connection(conn, CONNECTION, mode="push", store_kind="oscar")
        await db.remember_sources(conn, CONNECTION, keys)
        await conn.execute(
            update(sync_records)
            .where(sync_records.c.order_key.in_(list(keys)))
            .values(order_id=900, fingerprint="f")
        )


def _book(store: OscarStore, engine: AsyncEngine) -> OscarBook:
    from stationmaster.stores.oscar.book import OscarBook

    return OscarBook(store, engine, load_rules(RULES), SOURCE)


# --- ShipStation stand-ins ------------------------------------------------------------------


@dataclass(frozen=True)
class Counted:
    sku: str
    available: int


@dataclass
class Counts:
    """ShipStation's levels as ``read()`` says at each walk, one page per walk; walk number
    ``fail_at`` breaks after its levels, before the page that would end it."""

    read: Callable[[], Mapping[str, int]]
    fail_at: int | None = None
    calls: int = 0

    async def levels(
        self,
        *,
        skus: Sequence[str] | None = None,
        warehouse_id: str | None = None,
        page_size: int = 500,
    ) -> AsyncIterator[Counted]:
        self.calls += 1
        counts = await in_shop(self.read)
        for sku in sorted(counts if skus is None else set(skus) & set(counts)):
            yield Counted(sku, counts[sku])
        if self.calls == self.fail_at:
            raise ConnectionError("ShipStation went away mid-walk")


def _fixed(counts: Mapping[str, int], fail_at: int | None = None) -> Counts:
    return Counts(lambda: dict(counts), fail_at)


# --- against the emulator -------------------------------------------------------------------


@pytest.fixture
def v2() -> Emulator:
    return Emulator(EmulatorConfig(v2=V2Config(api_key="v2-key", limit=None)))


async def test_the_shop_sells_what_shipstation_has_less_what_it_has_not_received(
    store: OscarStore, engine: AsyncEngine, v2: Emulator
) -> None:
    from stationmaster.stores.oscar.status import set_status

    tea, mug, kettle, only_there = _skus("TEA", "MUG", "KETTLE", "NEW")
    await in_shop(lambda: _stock({tea: 50, mug: 4, kettle: 7}))
    pushed = await in_shop(lambda: _order({tea: 3}))
    await in_shop(lambda: _order({tea: 2, mug: 1}))  # not pushed yet
    shipped = await in_shop(lambda: _order({tea: 5}))
    await in_shop(lambda: set_status(int(shipped), "Shipped"))
    await _accepted(engine, [pushed])
    v2.set_inventory(
        [
            {"sku": tea, "on_hand": 40, "allocated": 3},
            {"sku": mug, "on_hand": 9},
            {"sku": kettle, "on_hand": 7},
            {"sku": only_there, "on_hand": 5},
        ]
    )
    config = ConnectionConfig(
        name=CONNECTION,
        source=SOURCE,
        store=StoreConfig(kind="oscar"),
        rules=RULES,
        stock=StockConfig(inventory_api_key_env=KEY_ENV, inventory_base_url=v2.base_url),
    )
    reconciler = await open_reconciler(
        config, engine, owner="t", transport=v2.transport(), environ={KEY_ENV: "v2-key"}
    )
    skus = [tea, mug, kettle, only_there]
    before = await in_shop(lambda: _numbers(skus))
    assert before == {tea: (50, 10), mug: (4, 1), kettle: (7, 0)}

    dry = await reconciler.run(dry_run=True)
    assert await in_shop(lambda: _numbers(skus)) == before, "a dry run changes nothing"
    assert await in_shop(lambda: _reconcile_rows(skus)) == []
    planned = [
        (c.sku, c.current, c.available, c.demand, c.target, c.delta) for c in dry.plan.changes
    ]
    assert planned == [(mug, 3, 9, 1, 8, 5), (tea, 40, 37, 2, 35, -5)]
    assert dry.plan.unkept == [only_there] and dry.plan.created == 0

    real = await reconciler.run()
    assert [(c.sku, c.delta) for c in real.plan.changes] == [(mug, 5), (tea, -5)]
    assert await in_shop(lambda: _sellable(skus)) == {tea: 35, mug: 8, kettle: 7}
    assert await in_shop(lambda: _numbers(skus)) == {tea: (45, 10), mug: (9, 1), kettle: (7, 0)}
    assert await in_shop(lambda: _reconcile_rows(skus)) == [
        (f"reconcile:{real.run_id}:0", mug, 5, 9),
        (f"reconcile:{real.run_id}:1", tea, -5, 45),
    ]
    assert real.plan.unkept == [only_there]
    assert "not kept by the store 1" in real.summary()

    again = await reconciler.run(dry_run=True)
    assert [c.sku for c in again.plan.changes] == []


async def test_only_orders_that_can_count_are_read(store: OscarStore, engine: AsyncEngine) -> None:
    from stationmaster.stores.oscar.book import OscarBook
    from stationmaster.stores.oscar.status import set_status

    (tea,) = _skus("TEA")
    await in_shop(lambda: _stock({tea: 10}))
    placed = int(await in_shop(lambda: _order({tea: 4})))  # at 2026-11-20 17:00 UTC
    shipped = int(await in_shop(lambda: _order({tea: 1})))
    await in_shop(lambda: set_status(shipped, "Shipped"))
    for start, demand in (("2026-11-20T16:00:00Z", 4), ("2026-11-20T18:00:00Z", 0)):
        rules = load_rules({**RULES, "eligibility": {"sync_start": start}})
        book = OscarBook(store, engine, rules, SOURCE)
        candidates = await in_shop(book.candidate_orders)
        assert (placed in candidates, shipped in candidates) == (bool(demand), False)
        done = await reconcile(book, _fixed({tea: 20}), dry_run=True)
        assert [(c.sku, c.demand) for c in done.plan.changes] == [(tea, demand)]


async def test_a_store_that_cannot_lock_its_levels_is_refused_up_front(
    engine: AsyncEngine, v2: Emulator
) -> None:
    config = ConnectionConfig(
        name=CONNECTION,
        store=StoreConfig(kind="vendure"),
        stock=StockConfig(inventory_api_key_env=KEY_ENV, inventory_base_url=v2.base_url),
    )
    with pytest.raises(ConfigError, match=r"'vendure' store cannot be held .* cannot lock"):
        await open_reconciler(config, engine, owner="t", environ={KEY_ENV: "v2-key"})


async def test_a_sku_the_shop_lacks_is_reported_and_left_alone(
    store: OscarStore, engine: AsyncEngine
) -> None:
    tea, missing = _skus("TEA", "MISSING")
    await in_shop(lambda: _stock({tea: 1}))
    done = await reconcile(_book(store, engine), _fixed({tea: 4, missing: 9}))
    assert [(c.sku, c.delta, c.created) for c in done.plan.changes] == [(tea, 3, False)]
    assert done.plan.unkept == [missing] and done.plan.skus >= 2
    assert await in_shop(lambda: _records().filter(partner_sku=missing).exists()) is False
    assert [row[1] for row in await in_shop(lambda: _reconcile_rows([tea, missing]))] == [tea]


async def test_an_ambiguous_sku_is_never_guessed(store: OscarStore, engine: AsyncEngine) -> None:
    from oscar.test.factories import create_product

    from stationmaster.stores.oscar.connector import OscarStore

    shared, plain = _skus("SHARED", "PLAIN")
    await in_shop(lambda: _stock({shared: 2, plain: 2}))
    await in_shop(
        lambda: create_product(partner_name="Elsewhere", partner_sku=shared, num_in_stock=6)
    )
    with capture_logs() as logs:
        done = await reconcile(_book(store, engine), _fixed({shared: 10, plain: 10}))
    assert [c.sku for c in done.plan.changes] == [plain] and done.plan.unkept == [shared]
    (warning,) = [e for e in logs if e["event"] == "oscar.stock_ambiguous_skus"]
    assert shared in warning["first"] or warning["skus"] > len(warning["first"])
    assert await in_shop(lambda: _partners(shared)) == {WAREHOUSE: 2, "Elsewhere": 6}

    one_partner = OscarStore(OscarSettings(partner=WAREHOUSE), connection=CONNECTION)
    done = await reconcile(_book(one_partner, engine), _fixed({shared: 10}))
    assert [(c.sku, c.delta) for c in done.plan.changes] == [(shared, 8)]
    assert await in_shop(lambda: _partners(shared)) == {WAREHOUSE: 10, "Elsewhere": 6}


def _partners(sku: str) -> dict[str, int]:
    """``num_in_stock`` of each partner's record of ``sku``."""
    return dict(_records().filter(partner_sku=sku).values_list("partner__name", "num_in_stock"))


async def test_shipstation_failing_mid_walk_writes_nothing(
    store: OscarStore, engine: AsyncEngine
) -> None:
    tea, mug = _skus("TEA", "MUG")
    await in_shop(lambda: _stock({tea: 1, mug: 1}))
    with pytest.raises(ConnectionError):
        await reconcile(_book(store, engine), _fixed({tea: 5, mug: 5}, fail_at=1))

    book = _book(store, engine)
    real_marks = book.marks

    async def marks_then_delivery() -> Mapping[str, int]:
        marks = await real_marks()
        await store.adjust_stock(tea, 2)  # moves between the walk and the lock: read again
        return marks

    book.marks = marks_then_delivery  # type: ignore[method-assign]
    remote = Counts(lambda: {tea: 5, mug: 5}, fail_at=2)
    with pytest.raises(ConnectionError):
        await reconcile(book, remote)
    assert remote.calls == 2, "the second walk, under the lock, broke"
    assert await in_shop(lambda: _sellable([tea, mug])) == {tea: 3, mug: 1}
    assert await in_shop(lambda: _reconcile_rows([tea, mug])) == []
    with anyio.fail_after(30):
        assert await store.adjust_stock(mug, 1) == 2, "nothing stayed locked"


async def test_a_cancelled_reconcile_keeps_nothing(
    store: OscarStore, engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    from stationmaster.stores.oscar.book import OscarHeld

    tea, mug = _skus("TEA", "MUG")
    await in_shop(lambda: _stock({tea: 1, mug: 1}))
    written = anyio.Event()
    real_write = OscarHeld.write

    async def write_then_hang(held: OscarHeld, changes: Any, run_id: str) -> None:
        await real_write(held, changes, run_id)
        written.set()
        await anyio.sleep_forever()

    monkeypatch.setattr(OscarHeld, "write", write_then_hang)
    with anyio.move_on_after(10) as scope:
        async with anyio.create_task_group() as group:
            group.start_soon(reconcile, _book(store, engine), _fixed({tea: 5, mug: 7}))
            await written.wait()
            group.cancel_scope.cancel()
    assert not scope.cancelled_caught, "the write was reached"
    assert await in_shop(lambda: _sellable([tea, mug])) == {tea: 1, mug: 1}
    assert await in_shop(lambda: _reconcile_rows([tea, mug])) == []
    with anyio.fail_after(30):
        assert await store.adjust_stock(tea, 1) == 2, "nothing stayed locked"


async def test_writers_wait_for_the_hold_and_apply_on_top(
    store: OscarStore, engine: AsyncEngine
) -> None:
    (tea,) = _skus("TEA")
    await in_shop(lambda: _stock({tea: 1}))
    delivery = threading.Thread(
        target=lambda: anyio.run(lambda: store.adjust_stock(tea, 2, f"{tea}-delivery"))
    )
    async with _book(store, engine).hold(chunk=10, commit=True) as held:
        assert held.levels[tea] == 1
        delivery.start()
        await anyio.sleep(0.3)
        assert delivery.is_alive(), "the delivery waits for the hold"
        assert await in_shop(lambda: _sellable([tea])) == {tea: 1}
        await held.write([StockChange(tea, 1, 5, 0, 5, 4)], uuid.uuid4().hex)
    await anyio.to_thread.run_sync(delivery.join)
    assert await in_shop(lambda: _sellable([tea])) == {tea: 7}


# --- adjustments meanwhile ------------------------------------------------------------------

START = 500
ROUNDS = 3
THREADS = 3
ADJUSTMENTS = 12


def _churned(tag: str, skus: Sequence[str]) -> dict[str, int]:
    """ShipStation's count: ``START`` plus every delivery of this round the shop committed
    (the warehouse tells both sides at once)."""
    from django.db.models import Sum

    from stationmaster.stores.oscar.models import StockAdjustment

    rows = StockAdjustment.objects.filter(key__startswith=f"{tag}-").values_list("sku")
    moved = dict(rows.annotate(total=Sum("delta")))
    return {sku: START + moved.get(sku, 0) for sku in skus}


def _deliver(store: OscarStore, tag: str, skus: Sequence[str], seed: int) -> None:
    """Keyed deliveries from a thread with an event loop of its own."""
    rng = random.Random(seed)

    async def deliveries() -> None:
        for n in range(ADJUSTMENTS):
            key = f"{tag}-{seed}-{n}"
            await store.adjust_stock(rng.choice(skus), rng.randint(1, 5), key)
            await anyio.sleep(rng.uniform(0, 0.01))

    anyio.run(deliveries)


async def test_adjustments_meanwhile_end_exactly_at_shipstations_count(
    store: OscarStore, engine: AsyncEngine
) -> None:
    """Keyed deliveries (as the warehouse endpoint sends them) in threads while reconciles
    run; ShipStation counts each the moment the shop commits it. The reconciles that
    overlap the deliveries must leave every level exactly at ShipStation's count, so the
    quiet one at the end finds nothing to change. Deliveries only add, so a level that
    moves always changes its mark (see the book's note on marks)."""
    rng = random.Random(7)
    for round_ in range(ROUNDS):
        await _churn_round(store, engine, rng, seed=100 * round_)


async def _churn_round(
    store: OscarStore, engine: AsyncEngine, rng: random.Random, *, seed: int
) -> None:
    skus = _skus("A", "B", "C")
    tag = f"churn-{uuid.uuid4().hex[:8]}"
    start = {sku: START + rng.randint(-30, 30) for sku in skus}  # off: work to do
    await in_shop(lambda: _stock(start))
    remote = Counts(lambda: _churned(tag, skus))
    workers = [
        threading.Thread(target=_deliver, args=(store, tag, skus, seed + t)) for t in range(THREADS)
    ]
    for worker in workers:
        worker.start()
    runs: list[Reconciled] = []
    for _ in range(2):
        await anyio.sleep(rng.uniform(0, 0.05))
        runs.append(await reconcile(_book(store, engine), remote, chunk=rng.randint(1, 3)))
    for worker in workers:
        await anyio.to_thread.run_sync(worker.join)
    runs.append(await reconcile(_book(store, engine), remote))
    delivered = await in_shop(lambda: _deliveries(tag))
    assert len(delivered) == THREADS * ADJUSTMENTS, "every delivery was applied"
    expected = {sku: START + sum(d for s, d in delivered if s == sku) for sku in skus}
    assert await in_shop(lambda: _sellable(skus)) == expected
    assert runs[-1].plan.changes == [], "the last run found everything right"


def _deliveries(tag: str) -> list[tuple[str, int]]:
    from stationmaster.stores.oscar.models import StockAdjustment

    rows = StockAdjustment.objects.filter(key__startswith=f"{tag}-")
    return list(rows.values_list("sku", "delta"))


def test_a_sqlite_shop_whose_writers_would_fail_during_a_hold_is_warned_about(
    store: OscarStore, engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    from django.db import connection

    assert connection.vendor == "sqlite"
    with capture_logs() as logs:
        _book(store, engine)
    (warning,) = [e for e in logs if e["event"] == "oscar.sqlite_writers_fail_during_reconcile"]
    assert warning["connection"] == CONNECTION and "IMMEDIATE" in warning["hint"]

    monkeypatch.setitem(connection.settings_dict["OPTIONS"], "transaction_mode", "IMMEDIATE")
    with capture_logs() as logs:
        _book(store, engine)
    assert [e for e in logs if e["log_level"] == "warning"] == []
