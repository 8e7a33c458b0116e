"""The connector against the fake Admin API: the whole store conformance kit, in milliseconds.

The same kit runs against a real Medusa server in ``test_conformance.py``; this run keeps the
connector's side of the contract checked where no server can be started.
"""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from stationmaster.domain import Order
from stationmaster.testing.store_conformance import CHECKS, Check, Seed, Subject
from tests.stores.medusa.fake_admin import FakeMedusa

pytestmark = pytest.mark.anyio


def seed_with(fake: FakeMedusa) -> Seed:
    """Places new orders in the fake; an order it placed before is edited instead."""

    async def seed(orders: Sequence[Order]) -> list[str]:
        ids: list[str] = []
        for order in orders:
            if any(raw["id"] == order.source_id for raw in fake.orders):
                fake.touch(order.source_id)
                ids.append(order.source_id)
            else:
                ids.append(fake.place(order))
        return ids

    return seed


@pytest.mark.parametrize("check", CHECKS, ids=lambda check: check.__name__)
async def test_the_connector_passes_the_kit_against_the_fake(check: Check) -> None:
    fake = FakeMedusa()
    store = fake.store()

    async def spoil(source_id: str) -> None:
        fake.spoil(source_id)

    subject = Subject(
        store,
        seed_with(fake),
        read_shipment=store.shipments_of,
        statuses=("completed", "archived"),
        break_order=spoil,
    )
    await check(subject)
    await store.aclose()
