"""Writing back through a fake Admin API: shipments as fulfillments, once; statuses; no stock."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from stationmaster.config import ConnectionConfig
from stationmaster.domain import Package, PackageItem, Shipment
from stationmaster.errors import ConfigError
from stationmaster.stores import Store, StoreError
from stationmaster.stores.medusa import MedusaSettings, MedusaStore, open_medusa
from stationmaster.stores.medusa.connector import MedusaRefused, UnknownMedusaOrder
from stationmaster.stores.medusa.packages import LEDGER, tracking_url
from stationmaster.stores.registry import StoreContext, store_kinds, store_settings
from tests.stores.medusa.fake_admin import FakeMedusa, raw_order

pytestmark = pytest.mark.anyio

AT = datetime(2026, 11, 22, tzinfo=UTC)
ORDER = "order_0001"


def two_lines() -> dict[str, Any]:
    """Order 1: two teapots (line ordli_1) and one mug (line ordli_mug)."""
    raw = raw_order(1, AT)
    teapot = raw["items"][0]
    teapot["quantity"] = 2
    raw["items"].append({**teapot, "id": "ordli_mug", "variant_sku": "MUG", "quantity": 1})
    return raw


def package(number: int, *items: tuple[str, int], voided: bool = False) -> Package:
    return Package(
        origin="shipment",
        origin_id=str(300_000_000 + number),
        tracking_number=f"1Z{number:08d}",
        carrier="ups",
        service="ups_ground",
        items=[PackageItem(line_id=line, quantity=units) for line, units in items],
        voided=voided,
    )


def shipment(*packages: Package) -> Shipment:
    return Shipment(order_source_id=ORDER, packages=list(packages))


def writes(fake: FakeMedusa) -> list[str]:
    return [call for call in fake.calls if call.startswith("POST /admin")]


def fulfillments(fake: FakeMedusa) -> list[tuple[dict[str, int], str | None, bool, bool]]:
    """Each fulfillment as (units by line, tracking number, shipped, cancelled)."""
    return [
        (
            {item["line_item_id"]: item["quantity"] for item in f["items"]},
            f["labels"][0]["tracking_number"] if f["labels"] else None,
            f["shipped_at"] is not None,
            f["canceled_at"] is not None,
        )
        for f in fake.order(ORDER)["fulfillments"]
    ]


async def test_a_split_shipment_becomes_shipped_fulfillments_each_once() -> None:
    fake = FakeMedusa(orders=[two_lines()])
    store = fake.store()
    one, two = package(1, ("ordli_1", 1)), package(2, ("ordli_1", 1), ("ordli_mug", 1))
    await store.apply_shipment(shipment(one))
    await store.apply_shipment(shipment(one, two))
    assert fulfillments(fake) == [
        ({"ordli_1": 1}, "1Z00000001", True, False),
        ({"ordli_1": 1, "ordli_mug": 1}, "1Z00000002", True, False),
    ]
    (label,) = fake.order(ORDER)["fulfillments"][0]["labels"]
    assert label["tracking_url"] == "https://www.ups.com/track?tracknum=1Z00000001"
    done = len(writes(fake))
    await store.apply_shipment(shipment(one, two))
    assert len(writes(fake)) == done, "applying the same packages again writes nothing"
    recorded = await store.shipments_of(ORDER)
    assert {(p.key, p.tracking_number, p.voided) for p in recorded.packages} == {
        (one.key, "1Z00000001", False),
        (two.key, "1Z00000002", False),
    }
    await store.aclose()


async def test_a_package_without_items_fulfils_every_unit_left() -> None:
    fake = FakeMedusa(orders=[two_lines()])
    store = fake.store()
    await store.apply_shipment(shipment(package(1, ("ordli_1", 1))))
    await store.apply_shipment(shipment(package(1, ("ordli_1", 1)), package(2)))
    assert [units for units, *_ in fulfillments(fake)] == [
        {"ordli_1": 1},
        {"ordli_1": 1, "ordli_mug": 1},
    ]
    await store.aclose()


async def test_a_voided_shipped_package_is_kept_in_the_ledger_and_its_relabel_too() -> None:
    """Medusa cannot cancel a shipped fulfillment: the void, and the new label for the same
    units (which Medusa holds as fulfilled), go to the order's metadata, once each."""
    fake = FakeMedusa(orders=[two_lines()])
    fake.order(ORDER)["metadata"] = {"gift_wrap": "yes", "weight_kg": 1.25}
    store = fake.store()
    whole = package(1)
    await store.apply_shipment(shipment(whole))
    void, relabel = package(1, voided=True), package(2)
    await store.apply_shipment(shipment(void, relabel))
    done = len(writes(fake))
    await store.apply_shipment(shipment(void, relabel))
    await store.apply_shipment(shipment(whole, relabel))
    assert len(writes(fake)) == done
    metadata = fake.order(ORDER)["metadata"]
    assert (metadata["gift_wrap"], metadata["weight_kg"]) == ("yes", 1.25), "the merchant's own"
    assert metadata[LEDGER] == {
        whole.key: {"voided": True, "tracking_number": "1Z00000001"},
        relabel.key: {"voided": False, "tracking_number": "1Z00000002"},
    }
    recorded = await store.shipments_of(ORDER)
    assert {(p.key, p.tracking_number, p.voided) for p in recorded.packages} == {
        (whole.key, "1Z00000001", True),
        (relabel.key, "1Z00000002", False),
    }
    await store.aclose()


async def test_a_fulfillment_left_unshipped_is_shipped_or_cancelled_on_the_next_apply() -> None:
    """A crash between creating a fulfillment and shipping it leaves it unshipped: the next
    apply ships it, or cancels it when its package was voided meanwhile (freeing its units)."""
    fake = FakeMedusa(orders=[two_lines()])
    order = fake.order(ORDER)
    store = fake.store()
    one, two = package(1, ("ordli_1", 1)), package(2, ("ordli_mug", 1))
    for number, (line, key) in enumerate([("ordli_1", one.key), ("ordli_mug", two.key)], 1):
        order["fulfillments"].append(
            {
                "id": f"ful_{number}",
                "items": [{"line_item_id": line, "quantity": 1}],
                "labels": [],
                "shipped_at": None,
                "canceled_at": None,
                "metadata": {"stationmaster_package": key},
            }
        )
    relabel = package(3, ("ordli_mug", 1))
    await store.apply_shipment(shipment(one, two.model_copy(update={"voided": True}), relabel))
    assert fulfillments(fake) == [
        ({"ordli_1": 1}, "1Z00000001", True, False),
        ({"ordli_mug": 1}, None, False, True),
        ({"ordli_mug": 1}, "1Z00000003", True, False),
    ]
    await store.aclose()


async def test_a_package_with_no_tracking_number_ships_without_a_label() -> None:
    fake = FakeMedusa(orders=[two_lines()])
    store = fake.store()
    bare = package(1).model_copy(update={"tracking_number": None, "carrier": None})
    await store.apply_shipment(shipment(bare))
    assert fulfillments(fake) == [({"ordli_1": 2, "ordli_mug": 1}, None, True, False)]
    await store.aclose()


def test_tracking_links_are_made_for_known_carriers_only() -> None:
    assert tracking_url(package(1)) == "https://www.ups.com/track?tracknum=1Z00000001"
    assert tracking_url(package(1).model_copy(update={"carrier": "USPS"})).startswith(
        "https://tools.usps.com/"
    )
    assert tracking_url(package(1).model_copy(update={"carrier": "local_courier"})) == ""


async def test_shipping_to_an_unknown_order_is_refused() -> None:
    store = FakeMedusa(orders=[two_lines()]).store()
    with pytest.raises(UnknownMedusaOrder, match="no order with id 'order_9999'"):
        await store.apply_shipment(
            shipment(package(1)).model_copy(update={"order_source_id": "order_9999"})
        )
    await store.aclose()


async def test_statuses_with_a_medusa_operation_are_set_and_others_refused() -> None:
    fake = FakeMedusa(orders=[two_lines()])
    store = fake.store()
    with pytest.raises(MedusaRefused, match="no operation to move order #1 from 'pending' to"):
        await store.set_status(ORDER, "shipped")
    await store.apply_shipment(shipment(package(1)))
    with pytest.raises(MedusaRefused, match="All fulfillments must be canceled") as caught:
        await store.set_status(ORDER, "cancelled")
    assert "to 'canceled'" in str(caught.value)
    await store.set_status(ORDER, "completed")
    assert fake.order(ORDER)["status"] == "completed"
    done = len(writes(fake))
    await store.set_status(ORDER, "completed")
    assert len(writes(fake)) == done, "an order already there is left alone"
    with pytest.raises(UnknownMedusaOrder):
        await store.set_status("order_9999", "completed")
    await store.aclose()


async def test_stock_is_refused_and_not_claimed() -> None:
    store = FakeMedusa().store()
    assert isinstance(store, Store)
    assert store.capabilities == store_kinds()["medusa"].capabilities
    assert "stock" not in store.capabilities
    with pytest.raises(StoreError, match="does not adjust stock"):
        await store.adjust_stock("TEAPOT-CER-1L", 1)
    await store.aclose()


def test_the_credentials_come_from_the_environment_and_are_required() -> None:
    settings = MedusaSettings(base_url="http://medusa.test")
    environ = {"MEDUSA_EMAIL": "ops@example.com", "MEDUSA_PASSWORD": "pw"}
    assert (settings.admin_email(environ), settings.password(environ)) == ("ops@example.com", "pw")
    given = settings.model_copy(update={"email": "admin@example.com"})
    assert given.admin_email({}) == "admin@example.com"
    with pytest.raises(ConfigError, match="set the environment variable MEDUSA_PASSWORD"):
        settings.password({})
    with pytest.raises(ConfigError, match="set the environment variable MEDUSA_EMAIL"):
        settings.admin_email({})


def connection(**store: object) -> ConnectionConfig:
    settings = {
        "kind": "medusa",
        "base_url": "http://medusa.test",
        "email": "admin@example.com",
        "password_env": "SHOP_MEDUSA_PASSWORD",
        **store,
    }
    return ConnectionConfig.model_validate({"name": "shop", "store": settings})


def test_a_connection_opens_a_medusa_store_with_its_credentials_kept_out_of_reprs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SHOP_MEDUSA_PASSWORD", "pw-from-env")
    settings = store_settings(connection())
    assert isinstance(settings, MedusaSettings)
    store = open_medusa(settings, StoreContext("shop", "shop", engine=None))  # type: ignore[arg-type]
    assert isinstance(store, MedusaStore)
    assert "pw-from-env" not in f"{store!r} {store.client!r} {settings!r}"
    with pytest.raises(ConfigError, match=r"kind 'medusa': page_size"):
        store_settings(connection(page_size=0))
