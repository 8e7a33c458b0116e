"""Stock through Oscar's stock records, and packages first seen already voided."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

import anyio
import pytest

from stationmaster.domain import Line, Package, Shipment
from stationmaster.testing.factories import plain_order
from tests.stores.oscar.conftest import in_shop
from tests.stores.oscar.placing import Shop, product_for

if TYPE_CHECKING:
    from stationmaster.stores.oscar.connector import OscarStore

pytestmark = [pytest.mark.anyio, pytest.mark.filterwarnings("ignore:update is not implemented")]


def _stocked(sku: str, *, partner: str | None = None, level: int | None = 10) -> Any:
    """A product with a stock record of ``sku`` (``level`` None: Oscar's "not counted")."""
    from oscar.test.factories import create_stockrecord

    product = product_for(
        Line(line_id="x", sku=f"{sku}-base", name=sku, quantity=1, unit_price=Decimal(1))
    )
    return create_stockrecord(
        product, price=Decimal(1), num_in_stock=level, partner_sku=sku, partner_name=partner
    )


def _level(sku: str, partner: str) -> int | None:
    from oscar.core.loading import get_model

    records = get_model("partner", "StockRecord")._default_manager
    level: int | None = records.get(partner_sku=sku, partner__name=partner).num_in_stock
    return level


async def test_stock_moves_by_deltas_and_never_below_zero(store: OscarStore) -> None:
    from stationmaster.stores.oscar.errors import OutOfStock
    from stationmaster.stores.protocol import StockBelowZero, UnknownSku

    await in_shop(lambda: _stocked("ST-ONE", partner="North"))
    assert await store.adjust_stock("ST-ONE", -4) == 6
    with pytest.raises(OutOfStock, match="is 6; adjusting it by -7") as caught:
        await store.adjust_stock("ST-ONE", -7)
    assert (caught.value.on_hand, caught.value.delta) == (6, -7)
    assert isinstance(caught.value, StockBelowZero)
    assert await in_shop(lambda: _level("ST-ONE", "North")) == 6, "left as it was"

    async with anyio.create_task_group() as group:
        for _ in range(12):
            group.start_soon(store.adjust_stock, "ST-ONE", 1)
    assert await in_shop(lambda: _level("ST-ONE", "North")) == 18
    with pytest.raises(UnknownSku, match="'ST-NONE'"):
        await store.adjust_stock("ST-NONE", 1)


async def test_a_keyed_change_is_made_once_and_kept_with_its_reason(store: OscarStore) -> None:
    from stationmaster.stores.oscar.errors import InvalidInput
    from stationmaster.stores.oscar.models import StockAdjustment
    from stationmaster.stores.protocol import StockBelowZero, StockKeyReused, StockReceipts

    assert isinstance(store, StockReceipts)
    await in_shop(lambda: _stocked("ST-KEY", partner="North"))
    first = await store.adjust_stock_once("ST-KEY", -3, "wh-1", reason="picked")
    again = await store.adjust_stock_once("ST-KEY", -3, "wh-1", reason="picked")
    assert (first.on_hand, first.applied, again.on_hand, again.applied) == (7, True, 7, False)
    with pytest.raises(StockKeyReused, match="'wh-1' was used for -3"):
        await store.adjust_stock_once("ST-KEY", -2, "wh-1")
    with pytest.raises(StockBelowZero):
        await store.adjust_stock_once("ST-KEY", -8, "wh-2")
    assert (await store.adjust_stock_once("ST-KEY", -7, "wh-2")).applied, "the refusal kept no key"
    kept = await in_shop(lambda: list(StockAdjustment.objects.filter(sku="ST-KEY").values()))
    assert [(k["key"], k["delta"], k["on_hand"], k["reason"]) for k in kept] == [
        ("wh-1", -3, 7, "picked"),
        ("wh-2", -7, 0, ""),
    ]
    with pytest.raises(InvalidInput, match="idempotency key"):
        await store.adjust_stock("ST-KEY", 1, " ")


async def test_an_uncounted_record_starts_from_zero(store: OscarStore) -> None:
    await in_shop(lambda: _stocked("ST-OPEN", partner="North", level=None))
    assert await store.adjust_stock("ST-OPEN", 3) == 3


async def test_a_sku_of_several_partners_needs_the_partner_setting(store: OscarStore) -> None:
    from stationmaster.stores.oscar.connector import OscarStore
    from stationmaster.stores.oscar.errors import AmbiguousSku
    from stationmaster.stores.oscar.kind import OscarSettings

    await in_shop(lambda: _stocked("ST-TWO", partner="North"))
    await in_shop(lambda: _stocked("ST-TWO", partner="South"))
    with pytest.raises(AmbiguousSku, match=r"'North', 'South'|'South', 'North'"):
        await store.adjust_stock("ST-TWO", 1)
    south = OscarStore(OscarSettings(partner="South"))
    assert await south.adjust_stock("ST-TWO", 5) == 15
    assert await in_shop(lambda: _level("ST-TWO", "North")) == 10


def _shipping_events(source_id: str) -> list[tuple[str, int]]:
    from oscar.core.loading import get_model

    order = get_model("order", "Order")._default_manager.get(pk=int(source_id))
    return [(e.event_type.name, e.line_quantities.count()) for e in order.shipping_events.all()]


async def test_a_package_first_seen_voided_is_recorded_voided(
    store: OscarStore, shop: Shop
) -> None:
    (sid,) = await in_shop(lambda: shop.seed([plain_order(number=f"VOID-{id(store)}")]))
    package = Package(origin="shipment", origin_id=f"void-{sid}", tracking_number="GONE-1")
    voided = package.model_copy(update={"voided": True})
    await store.apply_shipment(Shipment(order_source_id=sid, packages=[voided]))
    await store.apply_shipment(Shipment(order_source_id=sid, packages=[package]))
    assert await in_shop(lambda: _shipping_events(sid)) == [("Voided", 0)]
    recorded = await store.shipment_of(sid)
    assert [(p.key, p.tracking_number, p.voided) for p in recorded.packages] == [
        (package.key, "GONE-1", True)
    ]


async def test_each_orm_call_closes_the_connection_it_opened(oscar_shop: object) -> None:
    """Worker threads outlive calls; their Django connections must not."""
    from stationmaster.stores.oscar.orm import run_orm

    def query() -> Any:
        from django.db import connections
        from oscar.core.loading import get_model

        get_model("order", "Order")._default_manager.exists()
        wrapper = connections["default"]
        assert wrapper.connection is not None, "the query opened a connection"
        return wrapper

    used = await run_orm(query)
    assert used.connection is None
