"""Stored rows for account data (stores, warehouses, products, customers, tags, users).

Each builder takes input already read against its schema (every key present) plus the row it
replaces, if any, and returns the full wire-shaped row ShipStation would answer with, read-only
fields included. The default account is built with the same functions.
"""

from __future__ import annotations

from datetime import datetime

from stationmaster.emulator import catalog
from stationmaster.emulator.schemas import PRODUCT
from stationmaster.emulator.state import Account, clone
from stationmaster.emulator.wire import Wire, short_stamp, stamp

ADDRESS_VERIFIED = "Address not yet validated"


def address_row(values: Wire | None, *, verified: str | None = ADDRESS_VERIFIED) -> Wire | None:
    """An address as stored: the written fields plus read-only ``addressVerified``."""
    if values is None:
        return None
    return {**values, "addressVerified": values.get("addressVerified") or verified}


def marketplace_name(account: Account, marketplace_id: int | None) -> str | None:
    market = account.marketplaces.get(marketplace_id or 0)
    return market["name"] if market else None


def store_row(
    account: Account, values: Wire, old: Wire | None, store_id: int, now: datetime
) -> Wire:
    marketplace_id = values["marketplaceId"]
    if marketplace_id is None:
        marketplace_id = old["marketplaceId"] if old else 0
    mappings = values["statusMappings"]
    if mappings is None:
        mappings = old["statusMappings"] if old else [dict(m) for m in catalog.STATUS_MAPPINGS]
    return {
        "storeId": store_id,
        "storeName": values["storeName"],
        "marketplaceId": marketplace_id,
        "marketplaceName": marketplace_name(account, marketplace_id),
        "accountName": values["accountName"],
        "email": values["email"],
        "integrationUrl": values["integrationUrl"],
        "active": True if values["active"] is None else values["active"],
        "companyName": values["companyName"] or "",
        "phone": values["phone"] or "",
        "publicEmail": values["publicEmail"] or "",
        "website": values["website"] or "",
        "refreshDate": old["refreshDate"] if old else short_stamp(now),
        "lastRefreshAttempt": old["lastRefreshAttempt"] if old else short_stamp(now),
        "createDate": old["createDate"] if old else short_stamp(now),
        "modifyDate": short_stamp(now),
        "autoRefresh": bool(values["autoRefresh"]),
        "statusMappings": mappings,
    }


def warehouse_row(values: Wire, old: Wire | None, warehouse_id: int, now: datetime) -> Wire:
    origin = address_row(values["originAddress"])
    returns = address_row(values["returnAddress"]) or (dict(origin) if origin else None)
    return {
        "warehouseId": warehouse_id,
        "warehouseName": values["warehouseName"],
        "originAddress": origin,
        "returnAddress": returns,
        "createDate": old["createDate"] if old else stamp(now),
        "isDefault": bool(values["isDefault"]),
        "extInventoryIdentity": old["extInventoryIdentity"] if old else "",
        "registerFedexMeter": old["registerFedexMeter"] if old else "",
        "sellerIntegrationId": old["sellerIntegrationId"] if old else "",
    }


def put_warehouse(account: Account, row: Wire) -> None:
    """Store a warehouse; a new default takes the flag from every other warehouse."""
    if row["isDefault"]:
        for other_id, other in list(account.warehouses.items()):
            if other_id != row["warehouseId"] and other["isDefault"]:
                account.warehouses[other_id] = {**other, "isDefault": False}
    account.warehouses[row["warehouseId"]] = row


def product_row(
    account: Account, values: Wire, old: Wire | None, product_id: int, now: datetime
) -> Wire:
    row: Wire = {key: value for key, value in values.items() if key != "productId"}
    row["tags"] = [
        {"tagId": t["tagId"], "name": t["name"] or tag_name(account, t["tagId"])}
        for t in (values["tags"] or [])
        if t is not None
    ]
    row["active"] = True if values["active"] is None else values["active"]
    return {
        "productId": product_id,
        **row,
        "createDate": old["createDate"] if old else short_stamp(now),
        "modifyDate": short_stamp(now),
    }


def tag_name(account: Account, tag_id: int | None) -> str | None:
    tag = account.tags.get(tag_id) if tag_id is not None else None
    return tag["name"] if tag else None


def customer_row(
    account: Account, values: Wire, old: Wire | None, customer_id: int, now: datetime
) -> Wire:
    """A customer from seed input (a name, an address, a username, tags)."""
    usernames = list(old["marketplaceUsernames"]) if old else []
    if values["username"] and not any(u["username"] == values["username"] for u in usernames):
        marketplace_id = values["marketplaceId"] or 0
        usernames.append(
            {
                "customerUserId": account.new_id("customerUser"),
                "customerId": customer_id,
                "createDate": stamp(now),
                "modifyDate": stamp(now),
                "marketplaceId": marketplace_id,
                "marketplace": marketplace_name(account, marketplace_id),
                "username": values["username"],
            }
        )
    tags = values["tags"] if values["tags"] is not None else (old["tags"] if old else [])
    return {
        "customerId": customer_id,
        "createDate": old["createDate"] if old else stamp(now),
        "modifyDate": stamp(now),
        "name": values["name"],
        "company": values["company"],
        "street1": values["street1"],
        "street2": values["street2"],
        "city": values["city"],
        "state": values["state"],
        "postalCode": values["postalCode"],
        "countryCode": values["countryCode"],
        "phone": values["phone"],
        "email": values["email"],
        "addressVerified": old["addressVerified"] if old else ADDRESS_VERIFIED,
        "marketplaceUsernames": usernames,
        "tags": [
            {"tagId": t["tagId"], "name": t["name"] or tag_name(account, t["tagId"])}
            for t in tags
            if t is not None
        ],
    }


def carrier_row(spec: catalog.Carrier) -> Wire:
    return {
        "name": spec.name,
        "code": spec.code,
        "accountNumber": spec.account_number,
        "requiresFundedAccount": spec.funded,
        "balance": float(spec.balance),
        "nickname": None,
        "shippingProviderId": spec.provider_id,
        "primary": spec.primary,
    }


def seed_catalog(account: Account, now: datetime) -> None:
    """Marketplaces and carriers: the part of an account every emulator has."""
    account.marketplaces = {m["marketplaceId"]: clone(m) for m in catalog.MARKETPLACES}
    for spec in catalog.CARRIERS:
        account.carriers[spec.code] = carrier_row(spec)
        account.services[spec.code] = tuple(
            {
                "carrierCode": spec.code,
                "code": s.code,
                "name": s.name,
                "domestic": s.domestic,
                "international": not s.domestic,
            }
            for s in spec.services
        )
        account.packages[spec.code] = tuple(
            {
                "carrierCode": spec.code,
                "code": code,
                "name": name,
                "domestic": domestic,
                "international": international,
            }
            for code, name, domestic, international in spec.packages
        )


def seed_default_account(account: Account, now: datetime) -> None:
    """The stores, warehouses, tags, users and products of a fresh emulator."""
    for store_id, name, market, active, auto, url in catalog.STORES:
        values: Wire = {
            "storeName": name,
            "marketplaceId": market,
            "accountName": None,
            "email": None,
            "integrationUrl": url,
            "active": active,
            "companyName": "Acme Tea Co",
            "phone": "206-555-0100",
            "publicEmail": "hello@acme.example",
            "website": "https://acme.example",
            "autoRefresh": auto,
            "statusMappings": None,
        }
        account.stores[store_id] = store_row(account, values, None, store_id, now)
    for warehouse_id, name, origin, default in catalog.WAREHOUSES:
        values = {
            "warehouseName": name,
            "originAddress": dict(origin),
            "returnAddress": None,
            "isDefault": default,
        }
        account.warehouses[warehouse_id] = warehouse_row(values, None, warehouse_id, now)
    for tag in catalog.TAGS:
        account.tags[tag["tagId"]] = dict(tag)
    for user in catalog.USERS:
        account.users[user["userId"]] = dict(user)
    for product in catalog.PRODUCTS:
        product_id = account.new_id("product")
        values = {**{key: None for key in PRODUCT if key != "productId"}, **clone(product)}
        account.products[product_id] = product_row(account, values, None, product_id, now)
