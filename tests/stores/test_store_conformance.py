"""The conformance kit itself: it passes a correct store and catches each way of breaking one.

The store here lives in memory and can be told to misbehave in one way at a time; every
fault must make the kit fail, with a message that names what went wrong.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field

import pytest
from pydantic import JsonValue

from stationmaster.domain import Order, Package, Shipment
from stationmaster.stores import Capability, ChangeBatch, StoreError, Unreadable
from stationmaster.testing.factories import make_orders
from stationmaster.testing.store_conformance import CHECKS, Check, Seed, Subject, check_store

pytestmark = pytest.mark.anyio

ALL: frozenset[Capability] = frozenset(
    {"orders", "status", "shipments", "stock", "stock_keys", "delete"}
)


@dataclass
class MemoryStore:
    """A store in a few dicts; ``fault`` names one way to get the contract wrong."""

    fault: str | None = None
    capabilities: frozenset[Capability] = ALL
    kind: str = "memory"
    seq: int = 0
    orders: dict[str, tuple[int, Order]] = field(default_factory=dict)
    packages: dict[str, dict[str, Package]] = field(default_factory=dict)
    stock: dict[str, int] = field(default_factory=dict)
    stock_keys: dict[str, tuple[str, int]] = field(default_factory=dict)

    broken: set[str] = field(default_factory=set)

    async def seed(self, orders: Sequence[Order]) -> list[str]:
        for order in orders:
            known = self.orders.get(order.source_id)
            if known is not None and self.fault == "updates_keep_their_place":
                self.orders[order.source_id] = (known[0], order)
                continue
            self.seq += 1
            self.orders[order.source_id] = (self.seq, order)
        return [order.source_id for order in orders]

    async def break_order(self, source_id: str) -> None:
        self.broken.add(source_id)

    async def changed_orders(self, cursor: JsonValue, limit: int) -> ChangeBatch:
        after = cursor if isinstance(cursor, int) else 0
        if self.fault == "cursor_overlaps" and after:
            after -= 1
        rows = sorted((seq, order) for seq, order in self.orders.values() if seq > after)
        page = rows if self.fault == "ignores_limit" else rows[:limit]
        if self.fault == "newest_first":
            page = page[::-1]
        last = max((seq for seq, _ in page), default=after)
        if self.fault == "stops_at_unreadable":
            good = [order for _, order in page]
            for index, order in enumerate(good):
                if order.source_id in self.broken:
                    return ChangeBatch(good[:index], cursor, more=False)
        unreadable = [
            Unreadable(order.source_id, "no country")
            for _, order in page
            if order.source_id in self.broken and self.fault != "unreadable_unreported"
        ]
        readable = [order for _, order in page if order.source_id not in self.broken]
        return ChangeBatch(readable, last, len(rows) > len(page), unreadable)

    async def orders_by_id(self, source_ids: Sequence[str]) -> dict[str, Order]:
        if self.fault == "returns_every_order":
            return {key: order for key, (_, order) in self.orders.items()}
        return {key: self.orders[key][1] for key in source_ids if key in self.orders}

    def _require(self, capability: Capability) -> None:
        if capability not in self.capabilities and self.fault != "ignores_missing_capability":
            raise StoreError(f"memory store: no {capability!r} capability")

    async def set_status(self, source_id: str, status: str) -> None:
        self._require("status")
        if source_id not in self.orders:
            raise StoreError(f"no order {source_id!r}")
        if self.fault == "status_not_kept":
            return
        seq, order = self.orders[source_id]
        self.orders[source_id] = (seq, order.model_copy(update={"status": status}))

    async def apply_shipment(self, shipment: Shipment) -> None:
        self._require("shipments")
        if shipment.order_source_id not in self.orders:
            raise StoreError(f"no order {shipment.order_source_id!r}")
        known = self.packages.setdefault(shipment.order_source_id, {})
        for package in shipment.packages:
            key = package.key
            if self.fault == "packages_pile_up":
                key = f"{key}#{len(known)}"
            voided = package.voided or (key in known and known[key].voided)
            if self.fault == "void_is_forgotten":
                voided = package.voided
            known[key] = package.model_copy(update={"voided": voided})

    async def read_shipment(self, source_id: str) -> Shipment:
        stored = self.packages.get(source_id, {})
        # Rebuilt from the keys, so a store that files one package twice shows it twice.
        packages = [
            package.model_copy(update={"origin_id": key.split(":", 1)[1]})
            for key, package in stored.items()
        ]
        return Shipment(order_source_id=source_id, packages=packages)

    async def adjust_stock(self, sku: str, delta: int, key: str | None = None) -> int:
        self._require("stock")
        if key is not None and self.fault != "stock_key_ignored":
            if key in self.stock_keys:
                if self.stock_keys[key] != (sku, delta):
                    raise StoreError(f"key {key!r} was used for another adjustment")
                return self.stock.get(sku, 0)
            self.stock_keys[key] = (sku, delta)
        level = self.stock.get(sku, 0) + (
            abs(delta) if self.fault == "stock_ignores_sign" else delta
        )
        self.stock[sku] = level
        return level


def _subject(store: MemoryStore) -> Subject:
    seed: Seed = store.seed
    return Subject(store, seed, read_shipment=store.read_shipment, break_order=store.break_order)


async def _check_all(store: MemoryStore) -> None:
    await check_store(
        store, store.seed, read_shipment=store.read_shipment, break_order=store.break_order
    )


async def test_a_correct_store_passes_every_check() -> None:
    await _check_all(MemoryStore())


async def test_a_store_without_optional_capabilities_passes_when_it_refuses_them() -> None:
    store = MemoryStore(capabilities=frozenset({"orders"}))
    await check_store(store, store.seed)


FAULTS = {
    "ignores_limit": ("check_feed_pages_every_change_once", "(limit=1) returned 5"),
    "cursor_overlaps": ("check_feed_pages_every_change_once", "still reported more"),
    "newest_first": ("check_feed_pages_every_change_once", "in the order they were written"),
    "updates_keep_their_place": ("check_update_comes_back_after_cursor", "only the updated"),
    "returns_every_order": ("check_orders_by_id_returns_exactly_the_known", "returned keys"),
    "status_not_kept": ("check_set_status_shows", "after set_status("),
    "packages_pile_up": ("check_partial_shipments_apply_once", "(the first package, twice)"),
    "void_is_forgotten": ("check_partial_shipments_apply_once", "(replayed)"),
    "stops_at_unreadable": ("check_unreadable_order_is_reported_and_skipped", "expected the two"),
    "unreadable_unreported": ("check_unreadable_order_is_reported_and_skipped", "not reported"),
    "stock_ignores_sign": ("check_stock_deltas_add_up", "-2 gave"),
    "stock_key_ignored": ("check_stock_adjustment_key_applies_once", "the same key again"),
}


@pytest.mark.parametrize("fault", sorted(FAULTS))
async def test_each_fault_fails_the_kit_by_name(fault: str) -> None:
    check_name, message = FAULTS[fault]
    with pytest.raises(AssertionError) as caught:
        await _check_all(MemoryStore(fault=fault))
    assert str(caught.value).startswith(f"{check_name}: ")
    assert message in str(caught.value)


async def test_a_capability_not_claimed_but_silently_served_fails() -> None:
    store = MemoryStore(fault="ignores_missing_capability", capabilities=ALL - {"status"})
    with pytest.raises(AssertionError, match="set_status without the 'status' capability"):
        await check_store(store, store.seed)


async def test_a_store_claiming_an_unknown_capability_fails() -> None:
    store = MemoryStore(capabilities=ALL | {"teleport"})  # type: ignore[operator]  # on purpose
    with pytest.raises(AssertionError, match="teleport"):
        await check_store(store, store.seed)


@pytest.mark.parametrize("check", CHECKS, ids=lambda check: check.__name__)
async def test_each_check_runs_alone_and_again_on_a_store_with_data(check: Check) -> None:
    store = MemoryStore()
    await store.seed(make_orders(3))
    await check(_subject(store))
    await check(_subject(store))
