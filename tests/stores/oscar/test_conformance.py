"""The store conformance kit against the Oscar store, on orders placed through Oscar's checkout."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import pytest

from stationmaster.domain import Order, Shipment
from stationmaster.testing.store_conformance import CHECKS, Check, Subject
from tests.stores.oscar.conftest import STOCK_SKU, in_shop
from tests.stores.oscar.placing import Shop

if TYPE_CHECKING:
    from stationmaster.stores.oscar.connector import OscarStore

pytestmark = [pytest.mark.anyio, pytest.mark.filterwarnings("ignore:update is not implemented")]


@pytest.mark.parametrize("check", CHECKS, ids=lambda check: check.__name__)
async def test_the_oscar_store_passes_the_kit(check: Check, store: OscarStore, shop: Shop) -> None:
    async def seed(orders: Sequence[Order]) -> list[str]:
        return await in_shop(lambda: shop.seed(orders))

    async def break_order(source_id: str) -> None:
        await in_shop(lambda: shop.break_order(source_id))

    async def read_shipment(source_id: str) -> Shipment:
        return await store.shipment_of(source_id)

    await check(
        Subject(
            store,
            seed,
            read_shipment=read_shipment,
            stock_sku=STOCK_SKU,
            statuses=("Being processed", "Partially shipped", "Shipped"),
            break_order=break_order,
        )
    )
