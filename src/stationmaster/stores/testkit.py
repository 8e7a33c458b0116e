"""The store conformance kit: the checks every :class:`Store` connector must pass.

Run them all from a test with :func:`check_store`, or one test per check by parametrizing
over :data:`CHECKS` (each takes a :class:`Subject`)::

    @pytest.mark.parametrize("check", CHECKS, ids=lambda check: check.__name__)
    async def test_contract(check: Check, my_store: MyStore) -> None:
        await check(Subject(my_store, seed=my_store_seed))

A check fails with an ``AssertionError`` that says what the store did and what it should have
done. The checks share nothing: each one first reads the change feed to its end, then seeds
orders with fresh source ids, so they run in any order against a store that already holds
data (a real store in a container, the native store of a live database).

What a connector promises, and what is checked:

* the change feed hands out every change once, oldest first, never more than ``limit`` orders
  at a time, and a cursor resumes right after the last change it covers; an order changed
  again comes back after the cursor; a deletion comes back flagged ``deleted`` (``delete``);
* ``orders_by_id`` returns exactly the known orders among the ids asked for;
* ``set_status`` shows in the order (``status``); ``apply_shipment`` is idempotent, and a
  package that comes back voided stays voided (``shipments``); stock deltas add up
  (``stock``);
* a capability the store does not claim is refused with :class:`StoreError`, never
  silently ignored.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import get_args

from pydantic import JsonValue

from stationmaster.domain import Order, Package, PackageItem, Shipment
from stationmaster.stores.protocol import Capability, Store, StoreError
from stationmaster.testing.factories import make_order

Seed = Callable[[Sequence[Order]], Awaitable[None]]
"""Puts orders into the store by the store's own means, one after another, in the given order
(an order whose source id is already there is updated; ``deleted=True`` deletes it)."""

ReadShipment = Callable[[str], Awaitable[Shipment]]
"""Reads back, by source id, the packages ``apply_shipment`` recorded on an order."""

#: Enough pages to read any test store to its end; more means the feed never ends.
MAX_PAGES = 10_000


@dataclass(frozen=True)
class Subject:
    """A store under test and the test's own ways into it.

    ``read_shipment`` lets the shipment check look at what was recorded (without it, only
    that applying works and repeats cleanly). ``stock_sku`` names a SKU the store can adjust
    (a real store may know only its own products); ``None`` uses a fresh one.
    ``status`` is a status the store accepts from ``set_status``.
    """

    store: Store
    seed: Seed
    read_shipment: ReadShipment | None = None
    stock_sku: str | None = None
    status: str = "submitted"


Check = Callable[[Subject], Awaitable[None]]


def _expect(condition: bool, message: str) -> None:
    if not condition:
        raise AssertionError(message)


def _fresh_orders(count: int) -> list[Order]:
    """Orders no other check (and no earlier run) has used, numbered in seeding order."""
    tag = uuid.uuid4().hex[:10]
    return [
        make_order(n, source_id=f"kit-{tag}-{n}", number=f"KIT-{tag}-{n}") for n in range(count)
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
        _expect(
            len(batch.orders) <= limit,
            f"changed_orders(limit={limit}) returned {len(batch.orders)} orders",
        )
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
    """Every seeded order comes out once, in seeding order, pages within ``limit``."""
    store = subject.store
    start = await _end_of_feed(store)
    orders = _fresh_orders(7)
    await subject.seed(orders)
    seen, end = await _read_to_end(store, start, 3)
    got = _only(seen, orders)
    _expect(
        got == _ids(orders),
        f"paging the feed with limit=3 gave {got}, expected each of {_ids(orders)} once, "
        "in the order they were written",
    )
    again, _ = await _read_to_end(store, end, 3)
    _expect(
        not _only(again, orders),
        f"the cursor after the last page still yields {_only(again, orders)}",
    )


async def check_cursor_resumes_after_last_change(subject: Subject) -> None:
    """A cursor from a partial page resumes right after it, and sees later writes too."""
    store = subject.store
    start = await _end_of_feed(store)
    first, later = _fresh_orders(4), _fresh_orders(2)
    await subject.seed(first)
    batch = await store.changed_orders(start, 2)
    _expect(
        _ids(batch.orders) == _ids(first[:2]),
        f"the first page (limit=2) held {_ids(batch.orders)}, expected {_ids(first[:2])}",
    )
    _expect(batch.more, "a page that left two seeded orders unread said more=False")
    await subject.seed(later)
    rest, _ = await _read_to_end(store, batch.cursor, 2)
    expected = _ids(first[2:] + later)
    _expect(
        _only(rest, first + later) == expected,
        f"resuming from the page's cursor gave {_only(rest, first + later)}, expected {expected}",
    )


async def check_update_comes_back_after_cursor(subject: Subject) -> None:
    """An order written again after a cursor is in the feed after it; the others are not."""
    store = subject.store
    orders = _fresh_orders(2)
    await subject.seed(orders)
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
    (order,) = _fresh_orders(1)
    await subject.seed([order])
    cursor = await _end_of_feed(store)
    await subject.seed([order.model_copy(update={"deleted": True})])
    seen, _ = await _read_to_end(store, cursor, 10)
    mine = [o for o in seen if o.source_id == order.source_id]
    _expect(
        len(mine) == 1 and mine[0].deleted,
        f"after deleting {order.source_id!r} the feed gave {[(o.deleted) for o in mine]} for "
        "it (deleted flags), expected it once with deleted=True",
    )


# --- reads and write-backs --------------------------------------------------------------------


async def check_orders_by_id_returns_exactly_the_known(subject: Subject) -> None:
    """Known ids come back keyed by source id; unknown ids are left out, not an error."""
    store = subject.store
    orders = _fresh_orders(3)
    await subject.seed(orders)
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
    """(``status``) A status set is the order's status from then on; unknown orders refused."""
    store = subject.store
    if "status" not in store.capabilities:
        return
    (order,) = _fresh_orders(1)
    await subject.seed([order])
    await store.set_status(order.source_id, subject.status)
    found = await store.orders_by_id([order.source_id])
    shown = found[order.source_id].status if order.source_id in found else None
    _expect(
        shown == subject.status,
        f"after set_status({order.source_id!r}, {subject.status!r}) the order shows {shown!r}",
    )
    await _expect_refusal(
        store.set_status(f"{order.source_id}-unknown", subject.status),
        "set_status on an unknown order",
    )


def _kit_shipment(order: Order) -> Shipment:
    line = order.lines[0]
    return Shipment(
        order_source_id=order.source_id,
        order_number=order.number,
        packages=[
            Package(
                origin="shipment",
                origin_id=f"{order.source_id}-1",
                tracking_number="9400100000000000000001",
                carrier="usps",
                service="usps_ground_advantage",
                ship_date=date(2026, 11, 21),
                items=[PackageItem(line_id=line.line_id, quantity=line.quantity, sku=line.sku)],
            ),
            Package(
                origin="fulfillment",
                origin_id=f"{order.source_id}-2",
                tracking_number="1Z999AA10123456784",
                carrier="ups",
            ),
        ],
    )


async def check_apply_shipment_is_idempotent(subject: Subject) -> None:
    """(``shipments``) The same shipment twice records each package once; a void sticks."""
    store = subject.store
    if "shipments" not in store.capabilities:
        return
    (order,) = _fresh_orders(1)
    await subject.seed([order])
    shipment = _kit_shipment(order)
    first, second = shipment.packages
    await store.apply_shipment(shipment)
    await store.apply_shipment(shipment)
    await _expect_packages(subject, order, {first.key: False, second.key: False}, "twice")
    voided = shipment.model_copy(update={"packages": [first.model_copy(update={"voided": True})]})
    await store.apply_shipment(voided)
    await store.apply_shipment(voided)
    await _expect_packages(subject, order, {first.key: True, second.key: False}, "voided")
    await store.apply_shipment(shipment)
    await _expect_packages(subject, order, {first.key: True, second.key: False}, "replayed")
    unknown = shipment.model_copy(update={"order_source_id": f"{order.source_id}-unknown"})
    await _expect_refusal(store.apply_shipment(unknown), "apply_shipment to an unknown order")


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
    (order,) = _fresh_orders(1)
    await subject.seed([order])
    if "status" not in store.capabilities:
        await _expect_refusal(
            store.set_status(order.source_id, subject.status),
            "set_status without the 'status' capability",
        )
    if "shipments" not in store.capabilities:
        await _expect_refusal(
            store.apply_shipment(_kit_shipment(order)),
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
    check_orders_by_id_returns_exactly_the_known,
    check_set_status_shows,
    check_apply_shipment_is_idempotent,
    check_stock_deltas_add_up,
)
"""Every check, in a sensible order to run them."""


async def check_store(
    store: Store,
    seed: Seed,
    *,
    read_shipment: ReadShipment | None = None,
    stock_sku: str | None = None,
    status: str = "submitted",
) -> None:
    """Run every check against ``store``; the first failure raises ``AssertionError``."""
    subject = Subject(store, seed, read_shipment, stock_sku, status)
    for check in CHECKS:
        try:
            await check(subject)
        except AssertionError as exc:
            raise AssertionError(f"{check.__name__}: {exc}") from None
