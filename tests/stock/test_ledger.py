"""The ledger for stores without their own exactly-once: pending, applied, re-checked."""

from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial

import anyio
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from stationmaster import db
from stationmaster.stock.adjustments import Adjustment
from stationmaster.stock.apply import (
    apply_adjustment,
    settle_periodically,
    settle_stale_adjustments,
)
from stationmaster.stock.ledger import AdjustmentInDoubt, LedgerOutcome, StockLedger
from stationmaster.stores.protocol import StockKeyReused, StoreError, UnknownSku
from stationmaster.wiretime import utcnow
from tests.stock.support import CONNECTION

pytestmark = pytest.mark.anyio

ADD = Adjustment("TEA", 5, "wh-1", "delivery")


@dataclass
class RawStore:
    """A store's write as a connector would make it; ``keys`` stands in for its own dedupe."""

    level: int = 10
    calls: int = 0
    fail_with: BaseException | None = None
    gate: anyio.Event | None = None
    keys: set[str] = field(default_factory=set)

    async def adjust(self, adjustment: Adjustment) -> int:
        self.calls += 1
        if self.gate is not None:
            await self.gate.wait()
        if adjustment.sku != "TEA":
            raise UnknownSku(f"no {adjustment.sku!r}")
        if adjustment.key not in self.keys:
            self.keys.add(adjustment.key)
            self.level += adjustment.delta
        if self.fail_with is not None:  # the change went in, the answer is lost
            raise self.fail_with
        return self.level


@pytest.fixture
async def ledger(engine: AsyncEngine) -> StockLedger:
    async with engine.begin() as conn:
        await db.ensure_connection(conn, CONNECTION, mode="push", store_kind="memory")
    return StockLedger(engine, CONNECTION, wait=0.3, poll=0.01)


async def _entry(ledger: StockLedger, key: str = "wh-1") -> db.StockEntry | None:
    async with ledger.engine.connect() as conn:
        return await db.get_stock_entry(conn, CONNECTION, key)


async def test_applied_once_then_a_duplicate(ledger: StockLedger) -> None:
    store = RawStore()
    for _ in range(2):
        outcome = await ledger.once(ADD, lambda: store.adjust(ADD), resend_safe=False)
    assert outcome == LedgerOutcome(15, applied=False)
    assert (store.calls, store.level) == (1, 15)
    entry = await _entry(ledger)
    assert entry is not None and (entry.state, entry.result) == ("applied", 15)


async def test_a_refusal_frees_the_key_and_a_reused_key_is_refused(ledger: StockLedger) -> None:
    store = RawStore()
    ghost = Adjustment("GHOST", 1, "wh-2")
    with pytest.raises(UnknownSku):
        await ledger.once(ghost, lambda: store.adjust(ghost), resend_safe=False)
    assert await _entry(ledger, "wh-2") is None
    await ledger.once(ADD, lambda: store.adjust(ADD), resend_safe=False)
    other = Adjustment("TEA", 6, "wh-1")
    with pytest.raises(StockKeyReused, match="used for \\+5 of 'TEA', not \\+6"):
        await ledger.once(other, lambda: store.adjust(other), resend_safe=False)
    assert (store.calls, store.level) == (2, 15)


async def test_a_lost_answer_stays_in_doubt_until_a_reconcile_settles_it(
    ledger: StockLedger,
) -> None:
    store = RawStore(fail_with=StoreError("timed out"))
    with pytest.raises(StoreError, match="timed out"):
        await ledger.once(ADD, lambda: store.adjust(ADD), resend_safe=False)
    entry = await _entry(ledger)
    assert entry is not None and entry.state == "pending"
    store.fail_with = None
    with pytest.raises(AdjustmentInDoubt, match="the next reconcile settles it"):
        await ledger.once(ADD, lambda: store.adjust(ADD), resend_safe=False)
    assert store.calls == 1
    async with ledger.engine.begin() as conn:
        settled = await db.settle_pending_stock(
            conn, CONNECTION, claimed_before=utcnow() + timedelta(seconds=1)
        )
    assert settled == 1
    outcome = await ledger.once(ADD, lambda: store.adjust(ADD), resend_safe=False)
    assert outcome == LedgerOutcome(None, applied=False)
    assert store.calls == 1


async def test_a_store_that_drops_repeats_is_simply_asked_again(ledger: StockLedger) -> None:
    store = RawStore(fail_with=StoreError("timed out"))
    with pytest.raises(StoreError):
        await ledger.once(ADD, lambda: store.adjust(ADD), resend_safe=True)
    assert await _entry(ledger) is None
    store.fail_with = None
    assert await ledger.once(ADD, lambda: store.adjust(ADD), resend_safe=True) == LedgerOutcome(
        15, applied=True
    )
    assert (store.calls, store.level) == (2, 15)


async def _crashed_claim(ledger: StockLedger, minutes_ago: float) -> None:
    """A pending row as a process that died right after claiming it would leave it."""
    async with ledger.engine.begin() as conn:
        await db.claim_stock_key(
            conn,
            CONNECTION,
            ADD.key,
            ADD.sku,
            ADD.delta,
            state="pending",
            now=utcnow() - timedelta(minutes=minutes_ago),
        )


async def test_a_stale_claim_is_taken_over_by_the_next_delivery(ledger: StockLedger) -> None:
    await _crashed_claim(ledger, minutes_ago=10)
    store = RawStore(keys={ADD.key}, level=15)  # the dead process's change did go in
    outcome = await ledger.once(ADD, lambda: store.adjust(ADD), resend_safe=True)
    assert outcome == LedgerOutcome(15, applied=True)
    assert (store.calls, store.level) == (1, 15)


async def test_a_fresh_claim_is_waited_for(ledger: StockLedger) -> None:
    await _crashed_claim(ledger, minutes_ago=1)
    store = RawStore()
    with pytest.raises(AdjustmentInDoubt, match="send it again later"):
        await ledger.once(ADD, lambda: store.adjust(ADD), resend_safe=True)
    assert store.calls == 0


async def test_recheck_finishes_what_a_dead_process_began(ledger: StockLedger) -> None:
    await _crashed_claim(ledger, minutes_ago=10)
    store = RawStore()

    async def send(entry: db.StockEntry) -> int:
        return await store.adjust(Adjustment(entry.sku, entry.delta, entry.key))

    assert await ledger.recheck(send) == 1
    assert await ledger.recheck(send) == 0
    entry = await _entry(ledger)
    assert entry is not None and (entry.state, entry.result) == ("applied", 15)
    assert store.level == 15


@dataclass
class KeyedStore:
    """A store with ``adjust_stock`` that drops a key it has seen, as the contract asks."""

    raw: RawStore = field(default_factory=RawStore)
    capabilities: frozenset[str] = frozenset({"stock", "stock_keys"})

    async def adjust_stock(self, sku: str, delta: int, key: str | None = None) -> int:
        assert key is not None
        return await self.raw.adjust(Adjustment(sku, delta, key))


async def test_a_worker_settles_what_a_dead_process_left_pending(ledger: StockLedger) -> None:
    await _crashed_claim(ledger, minutes_ago=10)
    async with ledger.engine.begin() as conn:
        await db.ensure_connection(conn, "other", mode="push", store_kind="memory")
    other = StockLedger(ledger.engine, "other")
    async with ledger.engine.begin() as conn:
        await db.claim_stock_key(
            conn, "other", "wh-9", "TEA", 1, state="pending", now=utcnow() - timedelta(hours=1)
        )
    store, broken = KeyedStore(), KeyedStore(RawStore(fail_with=StoreError("down")))
    stop = anyio.Event()
    async with anyio.create_task_group() as group:
        group.start_soon(
            partial(
                settle_periodically,
                [(broken, other), (store, ledger)],  # type: ignore[list-item]
                stop=stop,
                every=60,
            )
        )
        with anyio.fail_after(30):
            while (entry := await _entry(ledger)) is not None and entry.state == "pending":  # noqa: ASYNC110
                await anyio.sleep(0.02)
        stop.set()
    entry = await _entry(ledger)
    assert entry is not None and (entry.state, entry.result) == ("applied", 15)
    assert store.raw.level == 15, "sent once more, with its key, after the other store failed"


async def test_a_store_that_cannot_drop_a_repeat_is_never_sent_one(ledger: StockLedger) -> None:
    """Without ``stock_keys`` a pending change stays in doubt (for the reconcile): sending it
    again could count the units twice."""
    await _crashed_claim(ledger, minutes_ago=10)
    store = KeyedStore(capabilities=frozenset({"stock"}))
    assert await settle_stale_adjustments(store, ledger) == 0  # type: ignore[arg-type]
    result = await apply_adjustment(store, ledger, 0, ADD)  # type: ignore[arg-type]
    assert result.status == "failed" and "reconcile" in (result.message or "")
    assert store.raw.calls == 0
    entry = await _entry(ledger)
    assert entry is not None and entry.state == "pending"


async def test_a_repeat_waits_for_the_delivery_in_flight(ledger: StockLedger) -> None:
    store = RawStore(gate=anyio.Event())
    outcomes: list[LedgerOutcome] = []

    async def deliver() -> None:
        outcomes.append(await ledger.once(ADD, lambda: store.adjust(ADD), resend_safe=True))

    async with anyio.create_task_group() as group:
        group.start_soon(deliver)
        await anyio.sleep(0.05)
        group.start_soon(deliver)
        await anyio.sleep(0.05)
        store.gate.set()  # type: ignore[union-attr]  # set just above
    assert sorted(o.applied for o in outcomes) == [False, True]
    assert (store.calls, store.level) == (1, 15)
