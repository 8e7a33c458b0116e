"""Account data endpoints: carriers, stores, warehouses, products, customers, tags, users, rates."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from pydantic import ValidationError as PydanticValidationError

from stationmaster.errors import NotFound
from stationmaster.shipstation.models import (
    Address,
    CreateLabelRequest,
    CreateWarehouseRequest,
    CustomerFilter,
    Order,
    ProductFilter,
    RateRequest,
    Weight,
)
from stationmaster.testing.plugin import EmulatedShipStation

pytestmark = pytest.mark.anyio


async def test_carriers_packages_services_and_funds(
    shipstation_emulator: EmulatedShipStation,
) -> None:
    client = shipstation_emulator.client
    carriers = await client.carriers.list()
    assert carriers and all(c.code for c in carriers)
    code = carriers[0].code
    assert code
    assert (await client.carriers.get(code)).code == code
    assert await client.carriers.list_packages(code)
    assert await client.carriers.list_services(code)
    before = (await client.carriers.get(code)).balance or Decimal(0)
    funded = await client.carriers.add_funds(code, Decimal("25.00"))
    assert funded.balance == before + Decimal("25.00")
    calls = len(shipstation_emulator.emulator.calls)
    with pytest.raises(PydanticValidationError, match="greater than or equal to 10"):
        await client.carriers.add_funds(code, Decimal("5"))  # below ShipStation's $10 minimum
    assert len(shipstation_emulator.emulator.calls) == calls  # refused before sending


async def test_stores_marketplaces_and_refresh(shipstation_emulator: EmulatedShipStation) -> None:
    client = shipstation_emulator.client
    stores = await client.stores.list()
    assert stores
    store_id = stores[0].storeId
    assert store_id is not None
    store = await client.stores.get(store_id)
    assert store.statusMappings is not None
    renamed = await client.stores.update(store.model_copy(update={"storeName": "Renamed"}))
    assert renamed.storeName == "Renamed"
    assert (await client.stores.refresh(store_id, datetime(2026, 11, 1, tzinfo=UTC))).success
    status = await client.stores.refresh_status(store_id)
    assert status.storeId == store_id
    assert await client.stores.marketplaces()
    assert (await client.stores.deactivate(store_id)).success
    assert store_id not in [s.storeId for s in await client.stores.list()]
    assert store_id in [s.storeId for s in await client.stores.list(show_inactive=True)]
    assert (await client.stores.reactivate(store_id)).success


async def test_warehouses_crud(shipstation_emulator: EmulatedShipStation) -> None:
    client = shipstation_emulator.client
    origin = Address(
        name="Dock",
        street1="5 Pier Rd",
        city="Oakland",
        state="CA",
        postalCode="94607",
        country="US",
    )
    created = await client.warehouses.create(
        CreateWarehouseRequest(warehouseName="West", originAddress=origin)
    )
    assert created.warehouseId is not None
    assert created.returnAddress is not None  # defaults to the origin
    updated = await client.warehouses.update(created.model_copy(update={"warehouseName": "West 2"}))
    assert updated.warehouseName == "West 2"
    assert (await client.warehouses.get(created.warehouseId)).warehouseName == "West 2"
    assert created.warehouseId in [w.warehouseId for w in await client.warehouses.list()]
    assert (await client.warehouses.delete(created.warehouseId)).success
    assert created.warehouseId not in [w.warehouseId for w in await client.warehouses.list()]


async def test_products_and_customers(shipstation_emulator: EmulatedShipStation) -> None:
    client = shipstation_emulator.client
    products = [p async for p in client.products.iterate(ProductFilter(pageSize=2))]
    assert products and len({p.productId for p in products}) == len(products)
    first = products[0]
    assert first.productId is not None
    assert (await client.products.get(first.productId)).sku == first.sku
    assert (await client.products.update(first.model_copy(update={"name": "Renamed"}))).success
    assert (await client.products.get(first.productId)).name == "Renamed"
    with pytest.raises(NotFound):
        await client.products.get(987654321)

    address = {
        "name": "Grace Hopper",
        "street1": "1 Navy Way",
        "city": "Arlington",
        "state": "VA",
        "postalCode": "22202",
        "country": "US",
    }
    await client.orders.create(
        Order.model_validate(
            {
                "orderNumber": "C-1",
                "orderKey": "shop:c1",
                "orderDate": "2026-11-20T10:00:00.0000000",
                "orderStatus": "awaiting_shipment",
                "customerUsername": "grace",
                "customerEmail": "grace@example.com",
                "billTo": address,
                "shipTo": address,
            }
        )
    )
    customers = [c async for c in client.customers.iterate(CustomerFilter(countryCode="US"))]
    grace = [c for c in customers if c.email == "grace@example.com"]
    assert grace and grace[0].customerId is not None
    assert (await client.customers.get(grace[0].customerId)).name == "Grace Hopper"


async def test_rates_and_labels_without_orders(shipstation_emulator: EmulatedShipStation) -> None:
    client = shipstation_emulator.client
    rates = await client.shipments.get_rates(
        RateRequest(
            carrierCode="stamps_com",
            fromPostalCode="78701",
            toCountry="US",
            toPostalCode="94607",
            weight=Weight(value=Decimal(12), units="ounces"),
        )
    )
    assert rates and all(r.shipmentCost is not None for r in rates)
    address = Address(
        name="A", street1="1 Main", city="Austin", state="TX", postalCode="78701", country="US"
    )
    shipment = await client.shipments.create_label(
        CreateLabelRequest(
            carrierCode="stamps_com",
            serviceCode="usps_priority_mail",
            packageCode="package",
            shipDate=date(2026, 11, 21),
            weight=Weight(value=Decimal(12), units="ounces"),
            shipFrom=address,
            shipTo=address,
            testLabel=True,
        )
    )
    assert shipment.shipmentId and shipment.trackingNumber and shipment.orderId is None
