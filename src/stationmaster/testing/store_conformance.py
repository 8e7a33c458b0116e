"""The store conformance kit: the checks every :class:`Store` connector must pass.

Run them all from a test with :func:`check_store`, or one test per check by parametrizing
over :data:`CHECKS` (each takes a :class:`Subject`)::

    @pytest.mark.parametrize("check", CHECKS, ids=lambda check: check.__name__)
    async def test_contract(check: Check, my_store: MyStore) -> None:
        await check(Subject(my_store, seed=my_store_seed))

A check fails with an ``AssertionError`` that says what the store did and what it should have
done. The checks share nothing: each one first reads the change feed to its end, then seeds
orders of its own, so they run in any order against a store that already holds data (a real
store in a subprocess, the native store of a live database). Orders are seeded by the store's
own means (a real checkout, a GraphQL Shop API), so the store names them: the seed returns
the source ids the store gave, and the kit follows those.

What a connector promises, and what is checked:

* the change feed hands out every change once, oldest first, never more than ``limit`` orders
  at a time (pages of one, two and three), and a cursor resumes right after the last change it
  covers; an order changed again comes back after the cursor; a deletion comes back flagged
  ``deleted`` (``delete``);
* an order the connector cannot map is reported in the batch's ``unreadable`` with a reason,
  and the orders around it still come (with a ``break_order`` hook);
* ``orders_by_id`` returns exactly the known orders among the ids asked for;
* ``set_status`` shows in the order, through a sequence of the store's own statuses
  (``status``);
* ``apply_shipment`` records a partial shipment in several packages, each package once however
  often it is applied; a package that comes back voided stays voided, and a new label for the
  same items is taken; a package without items ships the whole order (``shipments``);
* stock deltas add up, and a keyed delta is applied once however often (and however
  concurrently) it is sent, while a key reused for another delta is refused (``stock``);
* a capability the store does not claim is refused with :class:`StoreError`, never
  silently ignored.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import get_args

import anyio
from pydantic import JsonValue

from stationmaster.domain import Order, Package, PackageItem, Shipment
from stationmaster.stores.protocol import Capability, Store, StoreError
from stationmaster.testing.factories import make_order

Seed = Callable[[Sequence[Order]], Awaitable[list[str]]]
"""Puts orders into the store by the store's own means, one after another, in the given order,
and returns the source ids the store gave them, in the same order. An order whose
``source_id`` is one the store gave before updates that order (``deleted=True`` deletes it)."""

ReadShipment = Callable[[str], Awaitable[Shipment]]
"""Reads back, by source id, the packages ``apply_shipment`` recorded on an order."""

BreakOrder = Callable[[str], Awaitable[None]]
"""Makes one stored order unmappable by the store's own means (a country removed, say)."""

#: Enough pages to read any test store to its end; more means the feed never ends.
MAX_PAGES = 10_000


@dataclass(frozen=True)
class Subject:
    """A store under test and the test's own ways into it.

    ``read_shipment`` lets the shipment check look at what was recorded (without it, only
    that applying works and repeats cleanly). ``stock_sku`` names a SKU the store can adjust
    (a real store may know only its own products); ``None`` uses a fresh one. ``statuses``
    is a sequence of the store's own statuses that ``set_status`` may walk through from a
    freshly seeded order. ``break_order`` (optional) spoils one stored order so the
    unreadable-order check can run.
    """

    store: Store
    seed: Seed
    read_shipment: ReadShipment | None = None
    stock_sku: str | None = None
    statuses: tuple[str, ...] = ("submitted",)
    break_order: BreakOrder | None = None


Check = Callable[[Subject], Awaitable[None]]


def _expect(condition: bool, message: str) -> None:
    if not condition:
        raise AssertionError(message)


def _fresh_orders(count: int, *, first: int = 0) -> list[Order]:
    """Orders no other check (and no earlier run) has used, numbered in seeding order."""
    tag = uuid.uuid4().hex[:10]
    return [
        make_order(n, source_id=f"kit-{tag}-{n}", number=f"KIT-{tag}-{n}")
        for n in range(first, first + count)
    ]


async def _seeded(subject: Subject, count: int) -> list[Order]:
    """``count`` fresh orders put into the store, carrying the source ids the store gave."""
    orders = _fresh_orders(count)
    ids = await subject.seed(orders)
    _expect(
        len(ids) == len(orders) and len(set(ids)) == len(ids),
        f"seeding {len(orders)} orders returned the ids {ids}, expected {len(orders)} "
        "distinct ones",
    )
    return [
        order.model_copy(update={"source_id": sid}) for order, sid in zip(orders, ids, strict=True)
    ]


def _ids(orders: Sequence[Order]) -> list[str]:
    return [order.source_id for order in orders]


async def _read_to_end(
    store: Store, cursor: JsonValue, limit: int
) -> tuple[list[Order], JsonValue]:
    """Every order the feed hands out after ``cursor``, checking each page's size."""
    seen: list[Order] = []
    for _ in range(MAX_PAGES):
        batch = await store.changed_orders(cursor, limit)
        size = len(batch.orders) + len(batch.unreadable)
        _expect(size <= limit, f"changed_orders(limit={limit}) returned {size} orders")
        seen += batch.orders
        cursor = batch.cursor
        if not batch.more:
            return seen, cursor
    raise AssertionError(f"changed_orders still reported more after {MAX_PAGES} pages")


async def _end_of_feed(store: Store) -> JsonValue:
    _, cursor = await _read_to_end(store, None, 500)
    return cursor


def _only(orders: Sequence[Order], wanted: Sequence[Order]) -> list[str]:
    """The ids of ``orders`` that are among ``wanted``, in feed order (others are ignored)."""
    ids = set(_ids(wanted))
    return [order.source_id for order in orders if order.source_id in ids]


# --- the change feed --------------------------------------------------------------------------


async def check_feed_pages_every_change_once(subject: Subject) -> None:
    """Every seeded order comes out once, in seeding order, in pages of 1, 2 and 3."""
    store = subject.store
    start = await _end_of_feed(store)
    orders = await _seeded(subject, 5)
    for limit in (1, 2, 3):
        seen, end = await _read_to_end(store, start, limit)
        got = _only(seen, orders)
        _expect(
            got == _ids(orders),
            f"paging the feed with limit={limit} gave {got}, expected each of {_ids(orders)} "
            "once, in the order they were written",
        )
        again, _ = await _read_to_end(store, end, limit)
        _expect(
            not _only(again, orders),
            f"the cursor after the last page (limit={limit}) still yields {_only(again, orders)}",
        )


async def check_cursor_resumes_after_last_change(subject: Subject) -> None:
    """A cursor from a partial page resumes right after it, and sees later writes too."""
    store = subject.store
    start = await _end_of_feed(store)
    first = await _seeded(subject, 4)
    batch = await store.changed_orders(start, 2)
    _expect(
        _ids(batch.orders) == _ids(first[:2]),
        f"the first page (limit=2) held {_ids(batch.orders)}, expected {_ids(first[:2])}",
    )
    _expect(batch.more, "a page that left two seeded orders unread said more=False")
    later = await _seeded(subject, 2)
    rest, _ = await _read_to_end(store, batch.cursor, 2)
    expected = _ids(first[2:] + later)
    _expect(
        _only(rest, first + later) == expected,
        f"resuming from the page's cursor gave {_only(rest, first + later)}, expected {expected}",
    )


async def check_update_comes_back_after_cursor(subject: Subject) -> None:
    """An order written again after a cursor is in the feed after it; the others are not."""
    store = subject.store
    orders = await _seeded(subject, 2)
    cursor = await _end_of_feed(store)
    changed = orders[0].model_copy(
        update={
            "internal_notes": "changed by the store conformance kit",
            "updated_at": orders[0].updated_at + timedelta(minutes=5),
        }
    )
    await subject.seed([changed])
    seen, _ = await _read_to_end(store, cursor, 10)
    _expect(
        _only(seen, orders) == [changed.source_id],
        f"after updating {changed.source_id!r} the feed gave {_only(seen, orders)}, expected "
        "only the updated order",
    )


async def check_deletion_comes_back_flagged(subject: Subject) -> None:
    """(``delete``) A deleted order is in the feed after the cursor, flagged ``deleted``."""
    store = subject.store
    if "delete" not in store.capabilities:
        return
    (order,) = await _seeded(subject, 1)
    cursor = await _end_of_feed(store)
    await subject.seed([order.model_copy(update={"deleted": True})])
    seen, _ = await _read_to_end(store, cursor, 10)
    mine = [o for o in seen if o.source_id == order.source_id]
    _expect(
        len(mine) == 1 and mine[0].deleted,
        f"after deleting {order.source_id!r} the feed gave {[(o.deleted) for o in mine]} for "
        "it (deleted flags), expected it once with deleted=True",
    )


async def check_unreadable_order_is_reported_and_skipped(subject: Subject) -> None:
    """An order the connector cannot map is reported with a reason; its neighbours still come."""
    if subject.break_order is None:
        return
    store = subject.store
    start = await _end_of_feed(store)
    orders = await _seeded(subject, 3)
    await subject.break_order(orders[1].source_id)
    for limit in (1, 10):
        cursor = start
        good: list[str] = []
        bad: dict[str, str] = {}
        for _ in range(MAX_PAGES):
            batch = await store.changed_orders(cursor, limit)
            good += _only(batch.orders, orders)
            bad.update((u.source_id, u.reason) for u in batch.unreadable)
            cursor = batch.cursor
            if not batch.more:
                break
        _expect(
            sorted(good) == sorted(_ids([orders[0], orders[2]])),
            f"with order {orders[1].source_id!r} broken, the feed (limit={limit}) gave "
            f"{good}; expected the two others",
        )
        reason = bad.get(orders[1].source_id)
        _expect(
            bool(reason and reason.strip()),
            f"the broken order {orders[1].source_id!r} was not reported in unreadable with a "
            f"reason (limit={limit}); unreadable held {bad}",
        )
        _, end = await _read_to_end(store, cursor, limit)
        batch = await store.changed_orders(end, limit)
        _expect(
            not any(u.source_id == orders[1].source_id for u in batch.unreadable),
            "the broken order is reported again after the cursor that passed it",
        )


# --- reads and write-backs --------------------------------------------------------------------


async def check_orders_by_id_returns_exactly_the_known(subject: Subject) -> None:
    """Known ids come back keyed by source id; unknown ids are left out, not an error."""
    store = subject.store
    orders = await _seeded(subject, 3)
    asked = [orders[0].source_id, orders[2].source_id, f"{orders[0].source_id}-unknown"]
    found = await store.orders_by_id(asked)
    _expect(
        sorted(found) == sorted(asked[:2]),
        f"orders_by_id({asked}) returned keys {sorted(found)}, expected {sorted(asked[:2])}",
    )
    wrong = [key for key, order in found.items() if order.source_id != key]
    _expect(not wrong, f"orders_by_id keyed orders under other ids: {wrong}")
    _expect(await store.orders_by_id([]) == {}, "orders_by_id([]) returned orders")


async def check_set_status_shows(subject: Subject) -> None:
    """(``status``) Each status set is the order's status from then on; unknown orders refused."""
    store = subject.store
    if "status" not in store.capabilities:
        return
    (order,) = await _seeded(subject, 1)
    for status in subject.statuses:
        await store.set_status(order.source_id, status)
        found = await store.orders_by_id([order.source_id])
        shown = found[order.source_id].status if order.source_id in found else None
        _expect(
            shown == status,
            f"after set_status({order.source_id!r}, {status!r}) the order shows {shown!r}",
        )
    await _expect_refusal(
        store.set_status(f"{order.source_id}-unknown", subject.statuses[0]),
        "set_status on an unknown order",
    )


def _package(order: Order, number: int, items: Sequence[tuple[str, int]]) -> Package:
    skus = {line.line_id: line.sku for line in order.lines}
    return Package(
        origin="shipment",
        origin_id=f"kit-{uuid.uuid4().hex[:8]}-{number}",
        tracking_number=f"94001000000000000{number:05d}",
        carrier="usps",
        service="usps_ground_advantage",
        ship_date=date(2026, 11, 21),
        items=[PackageItem(line_id=lid, quantity=qty, sku=skus[lid]) for lid, qty in items],
    )


async def _stored(subject: Subject, order: Order) -> Order:
    """The order as the store holds it (its own line ids), for building shipments."""
    found = await subject.store.orders_by_id([order.source_id])
    _expect(order.source_id in found, f"the seeded order {order.source_id!r} cannot be read")
    return found[order.source_id]


async def _shippable(subject: Subject) -> Order:
    """A freshly seeded order with at least two units to ship, as the store holds it."""
    for n in range(64):
        (candidate,) = _fresh_orders(1, first=n)
        units = sum(line.quantity for line in candidate.lines if not line.adjustment)
        if units >= 2:
            (sid,) = await subject.seed([candidate])
            return await _stored(subject, candidate.model_copy(update={"source_id": sid}))
    raise AssertionError("the order factory made no order with two units to ship")


async def check_partial_shipments_apply_once(subject: Subject) -> None:
    """(``shipments``) A split shipment: each package once, however often; a void sticks."""
    store = subject.store
    if "shipments" not in store.capabilities:
        return
    order = await _shippable(subject)
    units = [(line.line_id, line.quantity) for line in order.lines if not line.adjustment]
    first_line, first_qty = units[0]
    head = [(first_line, 1)]
    tail = ([(first_line, first_qty - 1)] if first_qty > 1 else []) + units[1:]
    one, two = _package(order, 1, head), _package(order, 2, tail)

    def shipment(*packages: Package) -> Shipment:
        return Shipment(
            order_source_id=order.source_id, order_number=order.number, packages=list(packages)
        )

    await store.apply_shipment(shipment(one))
    await store.apply_shipment(shipment(one))
    await _expect_packages(subject, order, {one.key: False}, "the first package, twice")
    await store.apply_shipment(shipment(one, two))
    await store.apply_shipment(shipment(one, two))
    await _expect_packages(subject, order, {one.key: False, two.key: False}, "both, twice")
    void = two.model_copy(update={"voided": True})
    await store.apply_shipment(shipment(one, void))
    await store.apply_shipment(shipment(void))
    await _expect_packages(subject, order, {one.key: False, two.key: True}, "one voided")
    await store.apply_shipment(shipment(one, two))
    await _expect_packages(subject, order, {one.key: False, two.key: True}, "replayed")
    relabel = _package(order, 3, tail)
    await store.apply_shipment(shipment(one, void, relabel))
    await store.apply_shipment(shipment(relabel))
    expected = {one.key: False, two.key: True, relabel.key: False}
    await _expect_packages(subject, order, expected, "a new label for the voided items")
    unknown = shipment(one).model_copy(update={"order_source_id": f"{order.source_id}-unknown"})
    await _expect_refusal(store.apply_shipment(unknown), "apply_shipment to an unknown order")


async def check_whole_order_package_applies_once(subject: Subject) -> None:
    """(``shipments``) A package without items ships the whole order, once."""
    store = subject.store
    if "shipments" not in store.capabilities:
        return
    (seeded,) = await _seeded(subject, 1)
    order = await _stored(subject, seeded)
    whole = Package(
        origin="fulfillment",
        origin_id=f"kit-{uuid.uuid4().hex[:8]}",
        tracking_number="1Z999AA10123456784",
        carrier="ups",
    )
    shipment = Shipment(
        order_source_id=order.source_id, order_number=order.number, packages=[whole]
    )
    await store.apply_shipment(shipment)
    await store.apply_shipment(shipment)
    await _expect_packages(subject, order, {whole.key: False}, "a whole-order package, twice")


async def _expect_packages(
    subject: Subject, order: Order, expected: dict[str, bool], when: str
) -> None:
    if subject.read_shipment is None:
        return
    recorded = await subject.read_shipment(order.source_id)
    keys = [package.key for package in recorded.packages]
    got = {package.key: package.voided for package in recorded.packages}
    _expect(
        sorted(keys) == sorted(expected) and got == expected,
        f"after applying the shipment ({when}) the store holds packages {keys} with voided "
        f"flags {got}; expected each of {sorted(expected)} once with {expected}",
    )


async def check_stock_deltas_add_up(subject: Subject) -> None:
    """(``stock``) Each adjustment returns the level after it; deltas add up exactly."""
    store = subject.store
    if "stock" not in store.capabilities:
        return
    sku = subject.stock_sku or f"KIT-{uuid.uuid4().hex[:10]}"
    base = await store.adjust_stock(sku, 5)
    after_take = await store.adjust_stock(sku, -2)
    after_add = await store.adjust_stock(sku, 3)
    _expect(
        (after_take, after_add) == (base - 2, base + 1),
        f"stock of {sku!r}: +5 gave {base}, then -2 gave {after_take} and +3 gave "
        f"{after_add}; expected {base - 2} and {base + 1}",
    )


async def check_stock_adjustment_key_applies_once(subject: Subject) -> None:
    """(``stock_keys``) A key changes the level once: sent again, or five times at once, it
    adds nothing more; reused for another delta it is refused and changes nothing."""
    store = subject.store
    if "stock_keys" not in store.capabilities:
        return
    sku = subject.stock_sku or f"KIT-{uuid.uuid4().hex[:10]}"
    tag = uuid.uuid4().hex[:10]
    base = await store.adjust_stock(sku, 4, f"kit-{tag}-add")
    again = await store.adjust_stock(sku, 4, f"kit-{tag}-add")
    _expect(
        again == base,
        f"stock of {sku!r}: +4 with key kit-{tag}-add gave {base}, the same key again gave "
        f"{again}; expected the level unchanged",
    )
    async with anyio.create_task_group() as group:
        for _ in range(5):
            group.start_soon(store.adjust_stock, sku, -1, f"kit-{tag}-take")
    await _expect_refusal(
        store.adjust_stock(sku, -3, f"kit-{tag}-take"), "a key reused for another delta"
    )
    after = await store.adjust_stock(sku, 0, f"kit-{tag}-read")
    _expect(
        after == base - 1,
        f"stock of {sku!r}: -1 sent five times at once with one key left {after}; expected "
        f"{base - 1} (applied once)",
    )


# --- capabilities -----------------------------------------------------------------------------


async def _expect_refusal(call: Awaitable[object], what: str) -> None:
    try:
        await call
    except StoreError:
        return
    raise AssertionError(f"{what} did not raise StoreError")


async def check_capabilities_are_truthful(subject: Subject) -> None:
    """Capabilities are known names, and an operation without its capability is refused."""
    store = subject.store
    _expect(isinstance(store, Store), f"{type(store).__name__} does not implement Store")
    _expect(isinstance(store.kind, str) and bool(store.kind), "the store's kind is empty")
    unknown = set(store.capabilities) - set(get_args(Capability))
    _expect(not unknown, f"unknown capabilities claimed: {sorted(unknown)}")
    _expect(
        "stock_keys" not in store.capabilities or "stock" in store.capabilities,
        "'stock_keys' claimed without 'stock'",
    )
    (order,) = await _seeded(subject, 1)
    if "status" not in store.capabilities:
        await _expect_refusal(
            store.set_status(order.source_id, subject.statuses[0]),
            "set_status without the 'status' capability",
        )
    if "shipments" not in store.capabilities:
        package = _package(order, 9, [])
        await _expect_refusal(
            store.apply_shipment(Shipment(order_source_id=order.source_id, packages=[package])),
            "apply_shipment without the 'shipments' capability",
        )
    if "stock" not in store.capabilities:
        await _expect_refusal(
            store.adjust_stock(subject.stock_sku or "KIT-NO-STOCK", 1),
            "adjust_stock without the 'stock' capability",
        )


CHECKS: tuple[Check, ...] = (
    check_capabilities_are_truthful,
    check_feed_pages_every_change_once,
    check_cursor_resumes_after_last_change,
    check_update_comes_back_after_cursor,
    check_deletion_comes_back_flagged,
    check_unreadable_order_is_reported_and_skipped,
    check_orders_by_id_returns_exactly_the_known,
    check_set_status_shows,
    check_partial_shipments_apply_once,
    check_whole_order_package_applies_once,
    check_stock_deltas_add_up,
    check_stock_adjustment_key_applies_once,
)
"""Every check, in a sensible order to run them."""


async def check_store(
    store: Store,
    seed: Seed,
    *,
    read_shipment: ReadShipment | None = None,
    stock_sku: str | None = None,
    statuses: tuple[str, ...] = ("submitted",),
    break_order: BreakOrder | None = None,
) -> None:
    """Run every check against ``store``; the first failure raises ``AssertionError``."""
    subject = Subject(store, seed, read_shipment, stock_sku, statuses, break_order)
    for check in CHECKS:
        try:
            await check(subject)
        except AssertionError as exc:
            raise AssertionError(f"{check.__name__}: {exc}") from None
