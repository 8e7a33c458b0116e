"""Bad input loses nothing: a broken order in the shop, an illegal status, an over-shipment."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from stationmaster import db
from stationmaster.domain import Order, Package, PackageItem, Shipment
from stationmaster.engine.runner import run_pass
from stationmaster.testing.factories import plain_order
from tests.stores.oscar.conftest import in_shop
from tests.stores.oscar.placing import Shop
from tests.stores.oscar.wiring import wired

if TYPE_CHECKING:
    from stationmaster.stores.oscar.connector import OscarStore

pytestmark = [pytest.mark.anyio, pytest.mark.filterwarnings("ignore:update is not implemented")]

ROOT = Path(__file__).resolve().parents[3]


def _orders(count: int, tag: str) -> list[Order]:
    return [plain_order(source_id=f"{tag}-{n}", number=f"{tag.upper()}-{n}") for n in range(count)]


def _line(source_id: str) -> Any:
    from oscar.core.loading import get_model

    lines = get_model("order", "Line")._default_manager
    return lines.filter(order_id=int(source_id)).order_by("pk").first()


async def test_a_broken_order_is_reported_while_the_others_are_pushed(
    engine: AsyncEngine, shop: Shop
) -> None:
    first, broken, last = await in_shop(lambda: shop.seed(_orders(3, f"brk{id(engine)}")))
    before = await in_shop(lambda: _line(broken))
    await in_shop(lambda: shop.break_order(broken))
    wire = await wired(engine)
    stats = await run_pass(wire.runtime)
    remote = wire.remote()
    assert f"oscar:{first}" in remote and f"oscar:{last}" in remote
    assert f"oscar:{broken}" not in remote
    assert stats.refused >= 1
    async with engine.connect() as conn:
        record = await db.get_sync_record(conn, "shop", f"oscar:{broken}")
    assert record is not None and record.last_error is not None
    assert f"line {before.pk}" in record.last_error and "no SKU and no product" in record.last_error

    def repair() -> None:
        line = _line(broken)
        line.partner_sku, line.product_id = before.partner_sku, before.product_id
        line.save()

    await in_shop(repair)  # the fix is a change like any other: the order comes back
    await run_pass(wire.runtime)
    assert f"oscar:{broken}" in wire.remote()


async def test_an_illegal_status_change_names_the_statuses(store: OscarStore, shop: Shop) -> None:
    from stationmaster.stores.oscar.errors import IllegalStatusChange

    (sid,) = await in_shop(lambda: shop.seed(_orders(1, f"ill{id(store)}")))
    with pytest.raises(IllegalStatusChange) as caught:
        await store.set_status(sid, "Teleported")
    message = str(caught.value)
    assert "'Pending'" in message and "'Teleported'" in message
    assert "'Being processed'" in message, "the message lists the statuses allowed instead"
    await store.set_status(sid, "Cancelled")
    with pytest.raises(IllegalStatusChange, match="allows none from 'Cancelled'"):
        await store.set_status(sid, "Shipped")
    assert (await store.orders_by_id([sid]))[sid].status == "Cancelled"


def _package(origin_id: str, items: list[tuple[str, int]]) -> Package:
    return Package(
        origin="shipment",
        origin_id=origin_id,
        tracking_number=f"TRK-{origin_id}",
        carrier="usps",
        ship_date=date(2026, 11, 21),
        items=[PackageItem(line_id=line_id, quantity=qty) for line_id, qty in items],
    )


def _event_count(source_id: str) -> int:
    from oscar.core.loading import get_model

    order = get_model("order", "Order")._default_manager.get(pk=int(source_id))
    count: int = order.shipping_events.count()
    return count


async def test_shipping_more_than_ordered_is_refused(store: OscarStore, shop: Shop) -> None:
    from stationmaster.stores.oscar.errors import ShipmentRefused

    (sid,) = await in_shop(lambda: shop.seed(_orders(1, f"ovr{id(store)}")))
    order = (await store.orders_by_id([sid]))[sid]
    teapot, sencha = (line.line_id for line in order.lines)  # 1 teapot, 3 packs of sencha

    def shipment(*packages: Package) -> Shipment:
        return Shipment(order_source_id=sid, packages=list(packages))

    with pytest.raises(ShipmentRefused, match=r"4 units of line .* but the order has 3"):
        await store.apply_shipment(shipment(_package("too-many", [(sencha, 4)])))
    with pytest.raises(ShipmentRefused, match="not a line of this order"):
        await store.apply_shipment(shipment(_package("stranger", [("999999", 1)])))
    assert await in_shop(lambda: _event_count(sid)) == 0, "nothing recorded"

    good = _package("good", [(sencha, 2)])
    too_late = _package("too-late", [(sencha, 2), (teapot, 1)])
    with pytest.raises(ShipmentRefused) as caught:
        await store.apply_shipment(shipment(good, too_late))
    assert "too-late" in str(caught.value) and "good" not in str(caught.value)
    assert "Oscar refused the shipping event" in str(caught.value)
    recorded = await store.shipment_of(sid)
    assert [package.key for package in recorded.packages] == [good.key]
    assert recorded.shipped_quantities(order) == {sencha: 2}
    assert await in_shop(lambda: _event_count(sid)) == 1


async def test_foreign_cursors_limits_and_ids_are_refused(store: OscarStore) -> None:
    from stationmaster.stores.oscar.errors import InvalidInput, UnknownOrder

    for cursor in ("5", -1, True, 1.5, {"seq": 1}):
        with pytest.raises(InvalidInput, match="cursor"):
            await store.changed_orders(cursor, 10)  # type: ignore[arg-type]  # wrong on purpose
    for limit in (0, -3, True):
        with pytest.raises(InvalidInput, match="limit"):
            await store.changed_orders(None, limit)
    assert await store.orders_by_id(["abc", "007", "-1", ""]) == {}
    with pytest.raises(UnknownOrder, match="'abc'"):
        await store.set_status("abc", "Shipped")
    with pytest.raises(UnknownOrder, match="'99999999'"):
        await store.apply_shipment(Shipment(order_source_id="99999999", packages=[]))
    with pytest.raises(InvalidInput, match="status"):
        await store.set_status("1", "  ")


_WITHOUT_DJANGO = """
import json, os
from stationmaster.stores.oscar.errors import DjangoNotReady
from stationmaster.stores.oscar.kind import OscarSettings, open_oscar
from stationmaster.stores.oscar.setup import configure
from stationmaster.stores.registry import StoreContext

found = {}
try:
    open_oscar(OscarSettings(), StoreContext("shop", "oscar", None))
except DjangoNotReady as exc:
    found["unconfigured"] = str(exc)
try:
    configure("tests.stores.oscar.no_such_settings")
except DjangoNotReady as exc:
    found["bad_module"] = str(exc)
found["env_after"] = os.environ.get("DJANGO_SETTINGS_MODULE")
print(json.dumps(found))
"""


def test_django_not_configured_is_one_clear_error() -> None:
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    done = subprocess.run(
        [sys.executable, "-c", _WITHOUT_DJANGO],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert "Django is not configured" in found["unconfigured"]
    assert "settings_module" in found["unconfigured"] and "manage.py" in found["unconfigured"]
    assert "'tests.stores.oscar.no_such_settings' cannot be imported" in found["bad_module"]
    assert found["env_after"] is None, "a failed set-up leaves the environment as it was"
