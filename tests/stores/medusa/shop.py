"""A real Medusa server made ready to sell, and canonical orders placed in it as a customer would.

:func:`set_up` does the one-time admin setup of a freshly migrated server through the Admin
API: a region in US dollars for every country the order factory ships to, with a 10 % tax in
the US; a second region (New Zealand) whose prices include its 15 % GST; a stock location
that fulfils manually, one flat-rate shipping option, a promotion code taking 5.00 off an
order, a publishable API key, and one published product per factory SKU (no inventory
management).

:class:`Shop` places orders through the Store API, the way a storefront does: a cart with the
order's lines and addresses (and a promotion code, if asked), the shipping option, a payment
session of the system provider (which authorises at once), then completion. Medusa sets
prices, taxes and totals itself; the canonical order only says what is bought, by whom, and
where it goes.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import httpx2
import psycopg
from psycopg import sql

from stationmaster.domain import Address, Order
from stationmaster.stores.medusa.rest import AdminClient
from stationmaster.testing.factories import _PRODUCTS

#: Every country the order factory ships to (one region holds them all).
COUNTRIES = ("us", "ca", "gb", "de", "fr", "jp", "au", "ie")
SHIPPING_PRICE = 5.95
TAX_RATE = 10
#: The region whose prices include tax, and its rate.
INCLUSIVE_COUNTRY = "nz"
GST_RATE = 15
#: A promotion code taking 5.00 off a whole order.
PROMOTION = "WELCOME5"
AUCKLAND = Address(
    name="Aroha Ngata", street1="1 Queen Street", city="Auckland", postal_code="1010", country="NZ"
)


class ShopError(AssertionError):
    """The test server refused a step of setting up or placing an order (the setup is wrong)."""


@dataclass(frozen=True)
class Catalogue:
    """What the setup made that placing orders needs."""

    region_id: str
    inclusive_region_id: str
    publishable_key: str
    variants: dict[str, str]
    """Variant id by SKU."""


async def set_up(admin: AdminClient) -> Catalogue:
    """The one-time setup of a fresh server (see the module docstring)."""
    (store,) = (await admin.get("/admin/stores"))["stores"]
    channel = store["default_sales_channel_id"]
    await admin.post(
        f"/admin/stores/{store['id']}",
        {"supported_currencies": [{"currency_code": "usd", "is_default": True}]},
    )
    region = await _region(admin, "Everywhere we ship", COUNTRIES, ("us", TAX_RATE))
    inclusive = await _region(
        admin, "New Zealand", (INCLUSIVE_COUNTRY,), ("nz", GST_RATE), inclusive=True
    )
    profile = (await admin.get("/admin/shipping-profiles"))["shipping_profiles"][0]["id"]
    await _shipping_option(admin, await _stock_location(admin, channel), profile, inclusive)
    await _promotion(admin)
    key = (await admin.post("/admin/api-keys", {"title": "shop", "type": "publishable"}))["api_key"]
    await admin.post(f"/admin/api-keys/{key['id']}/sales-channels", {"add": [channel]})
    variants = {sku: await _product(admin, sku, profile, channel, inclusive) for sku in _skus()}
    return Catalogue(region, inclusive, key["token"], variants)


async def _region(
    admin: AdminClient,
    name: str,
    countries: Sequence[str],
    tax: tuple[str, int],
    *,
    inclusive: bool = False,
) -> str:
    """A US-dollar region of ``countries`` with a tax (country, rate in %); ``inclusive``: its
    prices include tax (Medusa keeps that as the region's price preference)."""
    created = await admin.post(
        "/admin/regions",
        {
            "name": name,
            "currency_code": "usd",
            "countries": list(countries),
            "payment_providers": ["pp_system_default"],
            "is_tax_inclusive": inclusive,
        },
    )
    country, rate = tax
    await admin.post(
        "/admin/tax-regions",
        {
            "country_code": country,
            "provider_id": "tp_system",
            "default_tax_rate": {"rate": rate, "code": country.upper(), "name": f"{name} tax"},
        },
    )
    return str(created["region"]["id"])


async def _shipping_option(admin: AdminClient, zone: str, profile: str, inclusive: str) -> None:
    await admin.post(
        "/admin/shipping-options",
        {
            "name": "UPS Ground",
            "service_zone_id": zone,
            "shipping_profile_id": profile,
            "provider_id": "manual_manual",
            "price_type": "flat",
            "type": {"label": "Ground", "description": "3-5 days", "code": "ground"},
            "prices": [
                {"currency_code": "usd", "amount": SHIPPING_PRICE},
                {"region_id": inclusive, "amount": SHIPPING_PRICE},
            ],
            "rules": [
                {"attribute": "enabled_in_store", "value": "true", "operator": "eq"},
                {"attribute": "is_return", "value": "false", "operator": "eq"},
            ],
        },
    )


async def _promotion(admin: AdminClient) -> None:
    await admin.post(
        "/admin/promotions",
        {
            "code": PROMOTION,
            "type": "standard",
            "status": "active",
            "application_method": {
                "type": "fixed",
                "target_type": "order",
                "allocation": "across",
                "value": 5,
                "currency_code": "usd",
            },
        },
    )


async def _stock_location(admin: AdminClient, channel: str) -> str:
    """A stock location shipping to every country; the id of its service zone."""
    location = (await admin.post("/admin/stock-locations", {"name": "Warehouse"}))[
        "stock_location"
    ]["id"]
    await admin.post(
        f"/admin/stock-locations/{location}/fulfillment-providers", {"add": ["manual_manual"]}
    )
    await admin.post(f"/admin/stock-locations/{location}/sales-channels", {"add": [channel]})
    with_set = await admin.post(
        f"/admin/stock-locations/{location}/fulfillment-sets",
        {"name": "Shipping", "type": "shipping"},
        {"fields": "*fulfillment_sets"},
    )
    fulfillment_set = with_set["stock_location"]["fulfillment_sets"][0]["id"]
    countries = (*COUNTRIES, INCLUSIVE_COUNTRY)
    zones = [{"type": "country", "country_code": country} for country in countries]
    with_zone = await admin.post(
        f"/admin/fulfillment-sets/{fulfillment_set}/service-zones",
        {"name": "Everywhere", "geo_zones": zones},
    )
    return str(with_zone["fulfillment_set"]["service_zones"][0]["id"])


def _skus() -> dict[str, tuple[str, Decimal]]:
    return {product.sku: (product.name, Decimal(product.price)) for product in _PRODUCTS}


async def _product(admin: AdminClient, sku: str, profile: str, channel: str, inclusive: str) -> str:
    """A product with one variant; its price in the inclusive region is its own price, since
    Medusa applies a region's price preference only to prices bound to that region."""
    name, price = _skus()[sku]
    created = await admin.post(
        "/admin/products",
        {
            "title": name,
            "status": "published",
            "shipping_profile_id": profile,
            "options": [{"title": "Edition", "values": ["Standard"]}],
            "variants": [
                {
                    "title": "Standard",
                    "sku": sku,
                    "manage_inventory": False,
                    "options": {"Edition": "Standard"},
                    "prices": [
                        {"currency_code": "usd", "amount": float(price)},
                        {
                            "currency_code": "usd",
                            "amount": float(price),
                            "rules": {"region_id": inclusive},
                        },
                    ],
                }
            ],
            "sales_channels": [{"id": channel}],
        },
    )
    (variant,) = created["product"]["variants"]
    return str(variant["id"])


class Shop:
    """The test server's Store API for placing orders, and its Admin API for editing them."""

    def __init__(self, base_url: str, admin: AdminClient, catalogue: Catalogue, database: str):
        self.base_url = base_url
        self.admin = admin
        self.catalogue = catalogue
        self.database = database
        self._http = httpx2.AsyncClient(
            base_url=base_url,
            timeout=60,
            headers={"x-publishable-api-key": catalogue.publishable_key},
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    async def place_all(self, orders: Sequence[Order]) -> list[str]:
        return [await self.place(order) for order in orders]

    async def place(
        self, order: Order, *, promotion: str | None = None, inclusive: bool = False
    ) -> str:
        """Place ``order`` through the Store API; Medusa's id of the new order.

        ``promotion``: a code to apply; ``inclusive``: ship to the region whose prices include
        tax (Auckland) instead of the order's own addresses.
        """
        cart = await self._cart(order, inclusive)
        if promotion is not None:
            await self._call(f"/store/carts/{cart}/promotions", {"promo_codes": [promotion]})
        await self._choose_shipping(cart, order)
        await self._pay(cart)
        done = await self._call(f"/store/carts/{cart}/complete", {})
        if done.get("type") != "order":
            raise ShopError(f"completing the cart of {order.number} gave {done!r:.300}")
        return str(done["order"]["id"])

    async def _cart(self, order: Order, inclusive: bool) -> str:
        shipping = _address(AUCKLAND if inclusive else order.shipping, order)
        billing = _address(order.billing, order) if order.billing and not inclusive else shipping
        catalogue = self.catalogue
        body = {
            "region_id": catalogue.inclusive_region_id if inclusive else catalogue.region_id,
            "email": order.customer_email or f"{uuid.uuid4().hex[:10]}@example.com",
            "shipping_address": shipping,
            "billing_address": billing,
            "items": [
                self._item(line.sku, line.quantity) for line in order.lines if not line.adjustment
            ],
        }
        return str((await self._call("/store/carts", body))["cart"]["id"])

    def _item(self, sku: str | None, quantity: int) -> dict[str, object]:
        if sku not in self.catalogue.variants:
            raise ShopError(f"SKU {sku!r} is not in the catalogue")
        return {"variant_id": self.catalogue.variants[sku], "quantity": quantity}

    async def _choose_shipping(self, cart: str, order: Order) -> None:
        answer = await self._get("/store/shipping-options", {"cart_id": cart})
        options = answer["shipping_options"]
        if not options:
            raise ShopError(f"no shipping option is offered for {order.number}")
        body = {"option_id": options[0]["id"]}
        await self._call(f"/store/carts/{cart}/shipping-methods", body)

    async def _pay(self, cart: str) -> None:
        """A payment session of the system provider, which authorises on completion."""
        answer = await self._call("/store/payment-collections", {"cart_id": cart})
        collection = answer["payment_collection"]["id"]
        await self._call(
            f"/store/payment-collections/{collection}/payment-sessions",
            {"provider_id": "pp_system_default"},
        )

    async def touch(self, source_id: str) -> None:
        """Edit an order as an admin would: a new e-mail (and so a new ``updated_at``)."""
        email = f"edited-{uuid.uuid4().hex[:10]}@example.com"
        await self.admin.post(f"/admin/orders/{source_id}", {"email": email})

    async def spoil(self, source_id: str) -> None:
        """Give the order's first line an empty title, straight in the database (no API
        allows it, and no canonical line may be nameless)."""
        statement = sql.SQL(
            "UPDATE order_line_item SET title = '' WHERE id = "
            "(SELECT item_id FROM order_item WHERE order_id = %s ORDER BY item_id LIMIT 1)"
        )
        with psycopg.connect(self.database, autocommit=True) as conn:
            updated = conn.execute(statement, (source_id,)).rowcount
        if updated != 1:
            raise ShopError(f"spoiling {source_id} changed {updated} lines, not one")

    async def order(self, source_id: str, fields: str) -> dict[str, Any]:
        answer = await self.admin.get(f"/admin/orders/{source_id}", {"fields": fields})
        order: dict[str, Any] = answer["order"]
        return order

    async def _call(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        return _checked(await self._http.post(path, json=body), path)

    async def _get(self, path: str, params: dict[str, str]) -> dict[str, Any]:
        return _checked(await self._http.get(path, params=params), path)


def _checked(response: httpx2.Response, path: str) -> dict[str, Any]:
    if response.status_code >= 400:
        raise ShopError(f"{path}: HTTP {response.status_code}: {response.text[:500]}")
    body: dict[str, Any] = response.json()
    return body


def _address(address: Address | None, order: Order) -> dict[str, object]:
    """A Medusa address; an order without one ships to a fixed US address."""
    if address is None:
        address = Address(street1="9 Harbor Way", city="Seattle", state="WA", country="US")
    first, _, last = (address.name or order.customer_name or "Guest Customer").partition(" ")
    street = " ".join(part for part in (address.street2, address.street3) if part)
    return {
        "first_name": first,
        "last_name": last,
        "company": address.company or "",
        "address_1": address.street1 or "-",
        "address_2": street,
        "city": address.city or "",
        "province": address.state or "",
        "postal_code": address.postal_code or "",
        "country_code": (address.country or "US").lower(),
        "phone": address.phone or "",
    }
