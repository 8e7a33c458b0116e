"""The Vendure connector against a real Vendure server: the whole conformance kit."""

from __future__ import annotations

import pytest

from stationmaster.stores import Store
from stationmaster.stores.protocol import StockBelowZero, UnknownSku
from stationmaster.stores.vendure import VendureStore
from stationmaster.stores.vendure.graphql import VendureRefused
from stationmaster.stores.vendure.stockkeys import KEPT, KeptKey, find, read_keys, with_key
from stationmaster.testing.factories import _PRODUCTS, make_order
from stationmaster.testing.store_conformance import CHECKS, Check, Subject
from tests.stores.support import seed_with
from tests.stores.vendure.conftest import SERVER_DIR, VendureServer
from tests.stores.vendure.shop import SUPERADMIN, Shop

pytestmark = pytest.mark.anyio

#: A legal walk from a freshly placed (PaymentSettled) order: into modification and back,
#: then cancelled (which Vendure reaches only through cancelOrder).
STATUSES = ("Modifying", "PaymentSettled", "Cancelled")


def subject(vendure: VendureStore, shop: Shop) -> Subject:
    return Subject(
        vendure,
        seed_with(shop),
        read_shipment=vendure.shipments_of,
        stock_sku="MATCHA-30",
        statuses=STATUSES,
        break_order=shop.spoil,
    )


@pytest.mark.parametrize("check", CHECKS, ids=lambda check: check.__name__)
async def test_the_vendure_store_passes_the_kit(
    check: Check, vendure: VendureStore, shop: Shop
) -> None:
    await check(subject(vendure, shop))


async def test_the_first_call_logs_in_and_carries_the_session_token(
    vendure_server: VendureServer, shop: Shop
) -> None:
    """The login mutation's vendure-auth-token header is the session for every later call."""
    await shop.admin.login()
    token = shop.admin._token
    data = await shop.admin.execute("query { me { identifier } }")
    assert data == {"me": {"identifier": "superadmin"}}
    assert token is not None and shop.admin._token == token


async def test_it_is_a_store_with_orders_status_shipments_and_keyed_stock(
    vendure: VendureStore,
) -> None:
    assert isinstance(vendure, Store)
    assert vendure.kind == "vendure"
    assert vendure.capabilities == {"orders", "status", "shipments", "stock", "stock_keys"}


def test_the_catalogue_holds_every_factory_sku() -> None:
    """Every order make_order builds can be placed: products.csv has all its SKUs."""
    text = (SERVER_DIR / "products.csv").read_text(encoding="utf-8")
    skus = {line.split(",")[7] for line in text.splitlines()[1:] if line}
    assert {product.sku for product in _PRODUCTS} <= skus


async def test_stock_refusals_leave_the_level_as_it_was(vendure: VendureStore) -> None:
    level = await vendure.adjust_stock("WHISK-CHASEN", 0)
    with pytest.raises(StockBelowZero, match="below zero"):
        await vendure.adjust_stock("WHISK-CHASEN", -(level + 1))
    with pytest.raises(UnknownSku, match="'NO-SUCH-SKU'"):
        await vendure.adjust_stock("NO-SUCH-SKU", 1)
    assert await vendure.adjust_stock("WHISK-CHASEN", 0) == level


async def test_a_refused_transition_says_why_and_what_is_allowed(
    vendure: VendureStore, shop: Shop
) -> None:
    (source_id,) = await shop.place_all([make_order(4, seed=11)])
    with pytest.raises(VendureRefused) as caught:
        await vendure.set_status(source_id, "Shipped")
    message = str(caught.value)
    assert "from 'PaymentSettled' to 'Shipped'" in message
    assert "unless all OrderItems are shipped" in message
    assert "states it allows from there:" in message and "Cancelled" in message
    assert caught.value.error_code == "ORDER_STATE_TRANSITION_ERROR"
    await vendure.set_status(source_id, "PaymentSettled")  # already there: nothing to do
    assert (await vendure.orders_by_id([source_id]))[source_id].status == "PaymentSettled"


async def test_without_a_keys_field_a_repeated_key_changes_the_level_again(
    vendure_server: VendureServer,
) -> None:
    """Vendure itself keeps no key: without stock_keys_field the key is not remembered (and
    stationmaster's ledger is what stands between a repeat and a second change)."""
    store = VendureStore(vendure_server.settings(stock_keys_field=None), password=SUPERADMIN[1])
    assert "stock_keys" not in store.capabilities, "so the ledger never sends a key twice"
    first = await store.adjust_stock("NOTEBOOK-A5", 2, "no-field-key")
    assert await store.adjust_stock("NOTEBOOK-A5", 2, "no-field-key") == first + 2
    await store.aclose()


def test_a_variant_remembers_its_most_recent_keys() -> None:
    kept: list[KeptKey] = []
    for n in range(KEPT + 5):
        kept = read_keys(with_key(kept, KeptKey(f"k{n}", 1, n)))
    assert len(kept) == KEPT
    assert find(kept, "k4") is None and find(kept, f"k{KEPT + 4}") == KeptKey(
        f"k{KEPT + 4}", 1, KEPT + 4
    )
    assert read_keys("not json") == read_keys(None) == read_keys('[["k", "x", 1]]') == []
