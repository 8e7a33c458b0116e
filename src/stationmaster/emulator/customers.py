"""Customers and products that ShipStation derives from the orders it receives.

A customer profile is created when an order names a ``customerUsername`` (§12.1) and kept up
to date from later orders' ship-to address and e-mail; the order then carries its
``customerId``. A line whose SKU is new to the account creates a product, as an import does.
"""

from __future__ import annotations

from datetime import datetime

from stationmaster.emulator.builders import ADDRESS_VERIFIED, marketplace_name, product_row
from stationmaster.emulator.schemas import PRODUCT
from stationmaster.emulator.state import Account, clone
from stationmaster.emulator.wire import Wire, stamp


def _find_by_username(account: Account, username: str) -> Wire | None:
    customer_id = account.customer_usernames.get(username.lower())
    return account.customers.get(customer_id) if customer_id is not None else None


def store_customer(account: Account, row: Wire) -> None:
    """Keep a customer row and index its usernames, so orders find it without a scan."""
    account.customers[row["customerId"]] = row
    for user in row.get("marketplaceUsernames") or []:
        if user.get("username"):
            account.customer_usernames[user["username"].lower()] = row["customerId"]


def sync_customer(account: Account, order: Wire, now: datetime) -> int | None:
    """Create or refresh the customer behind ``order``; its id, or ``None`` without a username."""
    username = order["customerUsername"]
    if not username:
        return None
    ship_to = order["shipTo"] or {}
    store = account.stores.get(order["advancedOptions"]["storeId"]) or {}
    marketplace_id = store.get("marketplaceId", 0)
    found = _find_by_username(account, username)
    row = clone(found) if found else None
    customer_id = row["customerId"] if row else account.new_id("customer")
    address = {
        "name": ship_to.get("name"),
        "company": ship_to.get("company"),
        "street1": ship_to.get("street1"),
        "street2": ship_to.get("street2"),
        "city": ship_to.get("city"),
        "state": ship_to.get("state"),
        "postalCode": ship_to.get("postalCode"),
        "countryCode": ship_to.get("country"),
        "phone": ship_to.get("phone"),
        "email": order["customerEmail"],
    }
    if row is None:
        row = {
            "customerId": customer_id,
            "createDate": stamp(now),
            "modifyDate": stamp(now),
            **address,
            "addressVerified": ADDRESS_VERIFIED,
            "marketplaceUsernames": [
                {
                    "customerUserId": account.new_id("customerUser"),
                    "customerId": customer_id,
                    "createDate": stamp(now),
                    "modifyDate": stamp(now),
                    "marketplaceId": marketplace_id,
                    "marketplace": marketplace_name(account, marketplace_id),
                    "username": username,
                }
            ],
            "tags": [],
        }
    elif any(row[k] != v for k, v in address.items()):
        row.update(address)
        row["modifyDate"] = stamp(now)
    store_customer(account, row)
    return int(customer_id)


def create_missing_products(account: Account, items: list[Wire | None], now: datetime) -> None:
    """A product for every physical line whose SKU the account does not know yet."""
    known = {p.get("sku") for p in account.products.values()}
    for item in items:
        if item is None or not item["sku"] or item["adjustment"] or item["sku"] in known:
            continue
        weight = item["weight"] or {}
        ounces = weight.get("value") if weight.get("units") in (None, "ounces") else None
        values: Wire = {key: None for key in PRODUCT if key != "productId"}
        values.update(
            sku=item["sku"],
            name=item["name"],
            price=item["unitPrice"],
            weightOz=ounces,
            warehouseLocation=item["warehouseLocation"],
            fulfillmentSku=item["fulfillmentSku"],
            upc=item["upc"],
            thumbnailURL=item["imageUrl"],
        )
        product_id = account.new_id("product")
        account.products[product_id] = product_row(account, values, None, product_id, now)
        known.add(item["sku"])
