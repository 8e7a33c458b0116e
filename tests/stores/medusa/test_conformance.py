"""The Medusa connector against a real Medusa v2 server: the whole conformance kit, and the
server's own answers to what the fake Admin API imitates."""

from __future__ import annotations

import pytest

from stationmaster.domain import Package, Shipment
from stationmaster.stores.medusa import MedusaStore
from stationmaster.stores.medusa.connector import MedusaRefused
from stationmaster.stores.medusa.rest import MedusaAuthError
from stationmaster.testing.factories import make_order
from stationmaster.testing.store_conformance import CHECKS, Check, Subject
from tests.stores.medusa.conftest import MedusaServer
from tests.stores.medusa.shop import Shop
from tests.stores.support import seed_with

#: The first test also waits for the run's server: an install, migrations and a start.
pytestmark = [pytest.mark.anyio, pytest.mark.timeout(1200)]

#: A walk Medusa allows from a freshly placed (pending, unfulfilled) order.
STATUSES = ("completed", "archived", "canceled")


@pytest.mark.parametrize("check", CHECKS, ids=lambda check: check.__name__)
async def test_the_medusa_store_passes_the_kit(
    check: Check, medusa: MedusaStore, shop: Shop
) -> None:
    subject = Subject(
        medusa,
        seed_with(shop),
        read_shipment=medusa.shipments_of,
        statuses=STATUSES,
        break_order=shop.spoil,
    )
    await check(subject)


async def test_orders_placed_in_the_shop_map_with_medusas_own_totals(
    medusa: MedusaStore, shop: Shop
) -> None:
    canonical = [make_order(n, seed=23) for n in range(4)]
    ids = await shop.place_all(canonical)
    found = await medusa.orders_by_id(ids)
    for source_id, placed in zip(ids, canonical, strict=True):
        order = found[source_id]
        assert sorted((line.sku, line.quantity) for line in order.lines) == sorted(
            (line.sku, line.quantity) for line in placed.lines if not line.adjustment
        )
        lines = sum(line.unit_price * line.quantity for line in order.lines)
        assert lines + order.shipping_amount + order.tax_amount == order.total
        assert order.status == "pending" and order.currency == "USD"
        assert order.shipping is not None and placed.shipping is not None
        assert order.shipping.country == placed.shipping.country


async def test_wrong_credentials_are_one_clear_error(medusa_server: MedusaServer) -> None:
    store = MedusaStore(
        medusa_server.settings(), email="stationmaster@example.com", password="not-the-password"
    )
    with pytest.raises(MedusaAuthError) as caught:
        await store.changed_orders(None, 10)
    assert "refused the login of admin user 'stationmaster@example.com'" in str(caught.value)
    assert "not-the-password" not in str(caught.value)
    await store.aclose()


async def test_cancelling_a_shipped_order_is_refused_with_medusas_reason(
    medusa: MedusaStore, shop: Shop
) -> None:
    (source_id,) = await shop.place_all([make_order(5, seed=29)])
    package = Package(origin="shipment", origin_id="cancel-1", tracking_number="1ZCANCEL")
    await medusa.apply_shipment(Shipment(order_source_id=source_id, packages=[package]))
    with pytest.raises(MedusaRefused, match="to 'canceled'"):
        await medusa.set_status(source_id, "canceled")
