"""The change log: every change of an order is logged, in order, and read back as a feed."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from stationmaster.testing.factories import plain_order
from tests.stores.oscar.conftest import in_shop
from tests.stores.oscar.placing import Shop, place

if TYPE_CHECKING:
    from stationmaster.stores.oscar.connector import OscarStore

pytestmark = pytest.mark.filterwarnings("ignore:update is not implemented")

_count = 0


def _placed(tag: str) -> Any:
    global _count
    _count += 1
    return place(plain_order(number=f"LOG-{tag}-{_count}"))


def _model(app: str, name: str) -> Any:
    from oscar.core.loading import get_model

    return get_model(app, name)._default_manager


def _last() -> int:
    from stationmaster.stores.oscar.models import OrderChange

    last = OrderChange.objects.order_by("-id").first()
    return last.id if last is not None else 0


def _logged_since(after: int) -> list[tuple[int, str]]:
    from stationmaster.stores.oscar.models import OrderChange

    return list(OrderChange.objects.filter(id__gt=after).values_list("order_id", "what"))


def test_every_part_of_an_order_logs_a_change_of_it(oscar_shop: Path) -> None:
    from oscar.core.loading import get_class

    order = _placed("parts")
    line = order.lines.first()
    handler = get_class("order.processing", "EventHandler")()
    shipped, _ = _model("order", "ShippingEventType").get_or_create(name="Shipped")
    changes = {
        "line": lambda: (setattr(line, "title", "Renamed"), line.save()),
        "shippingaddress": lambda: (
            setattr(order.shipping_address, "line2", "Back door"),
            order.shipping_address.save(),
        ),
        "billingaddress": lambda: (
            setattr(order.billing_address, "line1", "2 Elm St"),
            order.billing_address.save(),
        ),
        "orderstatuschange": lambda: handler.handle_order_status_change(order, "Being processed"),
        "ordernote": lambda: order.notes.create(message="Call first", note_type="Info"),
        "shippingeventquantity": lambda: handler.handle_shipping_event(
            order, shipped, [line], [1], reference="T-1"
        ),
        "source": lambda: order.sources.create(
            source_type=_model("payment", "SourceType").get_or_create(name="Card")[0],
            amount_allocated=Decimal("82.92"),
            amount_debited=Decimal("82.92"),
        ),
    }
    for what, change in changes.items():
        before = _last()
        change()
        logged = _logged_since(before)
        assert (order.pk, what) in logged, f"{what}: logged {logged}"
        assert {order_id for order_id, _ in logged} == {order.pk}

    event = order.shipping_events.get()
    before = _last()
    event.lines.add(order.lines.last(), through_defaults={"quantity": 1})
    assert _logged_since(before) == [(order.pk, "shippingevent")]


def test_a_deleted_address_logs_its_order_before_django_unlinks_it(oscar_shop: Path) -> None:
    order = _placed("unlink")
    before = _last()
    order.shipping_address.delete()
    assert (order.pk, "shippingaddress") in _logged_since(before)
    order.refresh_from_db()
    assert order.shipping_address is None


def test_a_bulk_update_is_invisible_until_resync(oscar_shop: Path) -> None:
    from stationmaster.stores.oscar.changelog import resync

    old, new = _placed("bulk"), _placed("bulk")
    _model("order", "Order").filter(pk=old.pk).update(
        date_placed=old.date_placed - timedelta(days=30)
    )
    before = _last()
    _model("order", "Order").filter(pk__in=[old.pk, new.pk]).update(status="Being processed")
    assert _logged_since(before) == [], "QuerySet.update sends no signal: the known limit"
    assert resync(since=new.date_placed) >= 1
    logged = _logged_since(before)
    assert (new.pk, "resync") in logged and (old.pk, "resync") not in logged
    everything = resync()
    assert everything >= 2 and (old.pk, "resync") in _logged_since(before)


def test_a_page_reports_an_order_once_at_its_latest_change(oscar_shop: Path) -> None:
    from django.utils import timezone

    from stationmaster.stores.oscar.changelog import read_page

    start = _last()
    first, second = _placed("page"), _placed("page")
    first.notes.create(message="changed again", note_type="Info")
    now, wait = timezone.now(), timedelta(seconds=30)
    whole = read_page(start, 10, now=now, gap_wait=wait)
    assert [c.order_id for c in whole.changes] == [second.pk, first.pk]
    assert (whole.cursor, whole.more) == (_last(), False)
    pages, cursor = [], start
    while True:
        page = read_page(cursor, 1, now=now, gap_wait=wait)
        pages.append([c.order_id for c in page.changes])
        cursor = page.cursor
        if not page.more:
            break
    assert pages == [[first.pk], [second.pk], [first.pk]], "the first order changed after both"


def test_a_hole_in_the_numbering_waits_for_a_slow_transaction(oscar_shop: Path) -> None:
    from django.utils import timezone

    from stationmaster.stores.oscar.changelog import read_page
    from stationmaster.stores.oscar.models import OrderChange

    start = _last()
    order = _placed("gap")
    before_hole = _last()
    now = timezone.now()
    OrderChange.objects.create(id=before_hole + 3, order_id=order.pk, what="late", changed_at=now)
    page = read_page(start, 10, now=now, gap_wait=timedelta(seconds=30))
    assert (page.cursor, page.more) == (before_hole, False), "stops before the hole"
    assert [c.order_id for c in page.changes] == [order.pk]
    wait = timedelta(seconds=30)
    later = read_page(page.cursor, 10, now=now + timedelta(seconds=31), gap_wait=wait)
    assert later.cursor == before_hole + 3, "a hole older than gap_wait is a rollback: passed"
    for seq in (before_hole + 1, before_hole + 2):  # the slow transaction commits after all
        OrderChange.objects.create(id=seq, order_id=order.pk, what="late", changed_at=now)
    filled = read_page(page.cursor, 10, now=now, gap_wait=wait)
    assert (filled.cursor, [c.seq for c in filled.changes]) == (before_hole + 3, [before_hole + 3])


@pytest.mark.anyio
async def test_a_deleted_order_leaves_the_feed_quietly(store: OscarStore) -> None:
    cursor = await in_shop(_last)
    kept = await in_shop(lambda: _placed("delete"))
    gone = await in_shop(lambda: _placed("delete"))
    await in_shop(lambda: gone.delete())
    batch = await store.changed_orders(cursor, 10)
    assert [o.source_id for o in batch.orders] == [str(kept.pk)]
    assert (batch.unreadable, batch.cursor) == ([], await in_shop(_last))


@pytest.mark.anyio
async def test_the_statuses_setting_hands_out_only_those(oscar_shop: Path, shop: Shop) -> None:
    from stationmaster.stores.oscar.connector import OscarStore
    from stationmaster.stores.oscar.kind import OscarSettings

    narrow = OscarStore(OscarSettings(statuses=frozenset({"Being processed"})))
    cursor = await in_shop(_last)
    pending, ready = await in_shop(
        lambda: shop.seed([plain_order(number=f"ST-{n}-{id(shop)}") for n in range(2)])
    )
    await narrow.set_status(ready, "Being processed")
    batch = await narrow.changed_orders(cursor, 10)
    assert [o.source_id for o in batch.orders] == [ready]
    await narrow.set_status(pending, "Being processed")
    assert [o.source_id for o in (await narrow.changed_orders(batch.cursor, 10)).orders] == [
        pending
    ]
