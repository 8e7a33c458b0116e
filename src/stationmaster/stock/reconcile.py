"""The full stock reconcile: hold the store still, count both sides, write the differences.

Setting absolute numbers across two systems races: a level read from one side is stale by
the time it is written to the other, and a sale made in between is lost. So the store's
levels are locked (:meth:`~stationmaster.stock.book.StockBook.hold`) and every delta is
worked out from the locked level and added to it in the same transaction: a warehouse delta
or an order that comes meanwhile waits for the lock and applies its own change on top,
never overwritten. The store's orders ShipStation has not taken yet are read under the lock
too (:mod:`stationmaster.stock.demand`), so a sale is either in the level and in the demand,
or in neither.

ShipStation is walked *before* the lock, because a full walk is long (200 pages for 100,000
SKUs, a minute of a v2 key's rate limit) and nothing should wait on it; the walk is then made
true as of the lock: every SKU whose level moved between the walk and the lock (its change
mark differs) is read again from ShipStation while the lock is held, so for each SKU the
count used is at least as new as the store's level it is set against. A SKU no writer
touched meanwhile keeps the walk's count, which is what a walk under the lock would have
found unless ShipStation moved on its own (then the next reconcile catches up).

Every SKU of either side is accounted for: the locks and the writes go in chunks of
``chunk`` SKUs until none is left, whatever the count. A SKU only ShipStation has is added
to the store at zero before the plan is made; one the store cannot add (it returns no level
for it) is reported ``unkept`` and never written. A dry run does all the reading, adds those
SKUs inside its transaction like a real run, and rolls everything back: it returns the same
plan a real run would have carried out.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from stationmaster.stock.book import StockBook
from stationmaster.stock.levels import LevelSource, Snapshot, snapshot
from stationmaster.stock.plan import Plan, make_plan

Progress = Callable[[str, int, int | None], None]
"""Hears ``(phase, done, total)``; phases: ``reading``, ``locking``, ``rereading``,
``writing``."""

#: SKUs one filtered listing names (the v2 client's batch); when asking for the moved SKUs
#: would take as many requests as the whole walk did, the whole walk is done again instead.
SKUS_PER_ASKING_CALL = 50


@dataclass(frozen=True)
class Reconciled:
    """What one reconcile found and did."""

    connection: str
    run_id: str
    dry_run: bool
    plan: Plan
    #: Store levels held while the differences were worked out (new SKUs' included).
    locked: int
    #: SKUs whose level moved between the walk and the lock, read again under it.
    moved: int
    #: Levels ShipStation listed (one per SKU and place), and the requests that took.
    listed: int
    calls: int
    seconds: float

    def summary(self) -> str:
        plan = self.plan
        changed = sum(1 for change in plan.changes if change.delta)
        verb = "would change" if self.dry_run else "changed"
        unkept = f", not kept by the store {len(plan.unkept)}" if plan.unkept else ""
        return (
            f"{self.connection}: {plan.skus} SKUs, {verb} {changed} ({plan.created} new), "
            f"unchanged {plan.unchanged}, store only {plan.store_only}, "
            f"oversold {len(plan.oversold)}{unkept}; {self.calls} ShipStation calls, "
            f"{self.seconds:.1f} s"
        )


def moved_since(before: Mapping[str, int], now: Mapping[str, int]) -> list[str]:
    """SKUs whose change mark differs between two readings (new and vanished ones too)."""
    changed = [sku for sku, mark in now.items() if before.get(sku) != mark]
    return changed + [sku for sku in before if sku not in now]


async def reconcile(
    book: StockBook,
    source: LevelSource,
    *,
    warehouse_id: str | None = None,
    dry_run: bool = False,
    chunk: int = 1000,
    page_size: int = 500,
    progress: Progress | None = None,
) -> Reconciled:
    """Reconcile ``book``'s levels with ``source``'s; see the module docstring."""
    if chunk < 1:
        raise ValueError(f"chunk must be at least 1, got {chunk}")
    started = time.monotonic()
    run_id = uuid.uuid4().hex

    def tell(phase: str, done: int, total: int | None = None) -> None:
        if progress is not None:
            progress(phase, done, total)

    async def walk(skus: list[str] | None, phase: str) -> Snapshot:
        return await snapshot(
            source,
            skus=skus,
            warehouse_id=warehouse_id,
            page_size=page_size,
            on_rows=lambda n: tell(phase, n),
        )

    before = await book.marks()
    counted = await walk(None, "reading")
    available, listed, calls = dict(counted.available), counted.rows, counted.calls
    async with book.hold(
        chunk=chunk, commit=not dry_run, on_locked=lambda n: tell("locking", n)
    ) as held:
        moved = moved_since(before, held.marks)
        if moved:
            everything = -(-len(moved) // SKUS_PER_ASKING_CALL) >= counted.calls
            again = await walk(None if everything else moved, "rereading")
            if everything:
                available = dict(again.available)
            else:
                for sku in moved:
                    available.pop(sku, None)
                available.update(again.available)
            listed, calls = listed + again.rows, calls + again.calls
        new = [sku for sku in available if sku not in held.levels]
        current = dict(held.levels)
        added = await held.add(new)  # a dry run's additions go with its rollback
        current.update(added)
        plan = make_plan(
            current, available, await held.demand(), created=[s for s in new if s in added]
        )
        changing = sum(1 for change in plan.changes if change.delta)
        tell("writing", 0, changing)
        if not dry_run:
            await held.write(plan.changes, run_id)
        tell("writing", changing, changing)
        locked = len(held.levels)
    return Reconciled(
        book.connection,
        run_id,
        dry_run,
        plan,
        locked=locked,
        moved=len(moved),
        listed=listed,
        calls=calls,
        seconds=time.monotonic() - started,
    )
