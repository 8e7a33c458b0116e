"""Shared pieces of the stock tests: a ShipStation stand-in and a few database reads."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from stationmaster import db
from stationmaster.db.tables import stock_adjustments
from stationmaster.stock.native_book import NativeBook
from stationmaster.stores.native import NativeStore
from stationmaster.sync.rules import load_rules

CONNECTION = "shop"


@dataclass(frozen=True)
class FakeLevel:
    sku: str
    available: int
    inventory_warehouse_id: str | None = None


@dataclass
class FakeLevels:
    """ShipStation's levels from a function read at walk time, in pages of ``page_size``.

    Each SKU is listed once per warehouse in ``split`` (its units spread over them), so the
    reconcile's sum is exercised; ``calls`` counts pages like the real client counts requests.
    """

    read: Callable[[], Mapping[str, int]]
    split: tuple[str, ...] = ("wh-1",)
    calls: int = 0
    walks: int = 0
    asked_warehouses: list[str | None] = field(default_factory=list)
    asked_skus: list[list[str] | None] = field(default_factory=list)

    async def levels(
        self,
        *,
        skus: Sequence[str] | None = None,
        warehouse_id: str | None = None,
        page_size: int = 500,
    ) -> AsyncIterator[FakeLevel]:
        self.walks += 1
        self.asked_warehouses.append(warehouse_id)
        self.asked_skus.append(None if skus is None else sorted(skus))
        rows: list[FakeLevel] = []
        counts = self.read()
        for sku in sorted(counts if skus is None else set(skus) & set(counts)):
            units = counts[sku]
            share, rest = divmod(units, len(self.split))
            for n, warehouse in enumerate(self.split):
                part = share + (rest if n == 0 else 0)
                if warehouse_id is None or warehouse == warehouse_id:
                    rows.append(FakeLevel(sku, part, warehouse))
        for start in range(0, max(len(rows), 1), page_size):
            self.calls += 1
            for row in rows[start : start + page_size]:
                yield row


def fixed(levels: Mapping[str, int], split: tuple[str, ...] = ("wh-1",)) -> FakeLevels:
    return FakeLevels(lambda: dict(levels), split)


def book(engine: AsyncEngine, rules: Mapping[str, object] | None = None) -> NativeBook:
    return NativeBook(engine, CONNECTION, load_rules(rules), source="shop")


async def levels(engine: AsyncEngine) -> dict[str, int]:
    async with engine.connect() as conn:
        return {s.sku: s.on_hand for s in await db.list_native_stock(conn, CONNECTION)}


async def ledger_count(engine: AsyncEngine, **where: object) -> int:
    query = select(func.count()).select_from(stock_adjustments)
    for column, value in where.items():
        query = query.where(stock_adjustments.c[column] == value)
    async with engine.connect() as conn:
        return int((await conn.execute(query)).scalar_one())


async def seed_levels(store: NativeStore, wanted: Mapping[str, int]) -> None:
    for sku, level in wanted.items():
        await store.adjust_stock(sku, level)
