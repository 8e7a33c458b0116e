"""From an order as a client sends it to the order as ShipStation stores and answers it.

Reading (:func:`read_order`) collects type errors; :func:`validation_problem` says which
required field is missing or which reference is unknown; :func:`build_order` makes the stored
row: every key of ShipStation's Order, read-only fields kept from the row it replaces (ids,
create date, store, split/merge marks, assigned user), ``orderItemId`` kept for lines whose
``lineItemKey`` matches, and ``orderTotal`` computed in ``Decimal``.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from stationmaster.emulator import catalog
from stationmaster.emulator.builders import address_row
from stationmaster.emulator.catalog import OUNCES
from stationmaster.emulator.checks import Problems, conform_object
from stationmaster.emulator.schemas import ORDER, ORDER_SEED
from stationmaster.emulator.state import Account
from stationmaster.emulator.wire import Wire, cents, money, number, short_stamp, stamp
from stationmaster.wiretime import OffsetMode

OPEN_STATUSES = frozenset(
    {"awaiting_payment", "awaiting_shipment", "pending_fulfillment", "on_hold"}
)
LOCKED_STATUSES = frozenset({"shipped", "cancelled", "rejected_fulfillment"})
ORDER_STATUSES = OPEN_STATUSES | LOCKED_STATUSES
WEIGHT_UNITS = frozenset({"pounds", "ounces", "grams"})
DIMENSION_UNITS = frozenset({"inches", "centimeters"})


def read_order(raw: object, offsets: OffsetMode, *, trusted: bool = False) -> tuple[Wire, Problems]:
    """``raw`` read as an Order (plus read-only history fields when ``trusted``)."""
    problems = Problems()
    if not isinstance(raw, dict):
        problems.add("order", f"An order must be a JSON object, got {type(raw).__name__}.")
        return {}, problems
    schema = ORDER_SEED if trusted else ORDER
    return conform_object(raw, schema, "", problems, offsets), problems


def _weight_problem(weight: Wire | None, where: str) -> str | None:
    if weight is not None and weight["units"] is not None and weight["units"] not in WEIGHT_UNITS:
        return f"{where}: weight units must be one of pounds, ounces, grams."
    return None


def validation_problem(account: Account, values: Wire) -> str | None:
    """Why ShipStation would refuse this order, or ``None``: required fields and references."""
    reasons: list[str] = []
    for name, label in (
        ("orderNumber", "Order Number"),
        ("orderDate", "Order Date"),
        ("orderStatus", "Order Status"),
    ):
        if values[name] in (None, ""):
            reasons.append(f"{label} is required.")
    status = values["orderStatus"]
    if status not in (None, "") and status not in ORDER_STATUSES:
        reasons.append(
            f"'{status}' is not a valid order status; "
            f"use one of {', '.join(sorted(ORDER_STATUSES))}."
        )
    for key, label in (("billTo", "Bill To"), ("shipTo", "Ship To")):
        address = values[key]
        if address is None:
            reasons.append(f"{label}: the address is required.")
        elif not address["name"]:
            reasons.append(f"{label}: name is missing.")
    ship_to = values["shipTo"]
    if ship_to is not None and not ship_to["postalCode"]:
        reasons.append("Ship To: postal code is missing.")
    for index, item in enumerate(values["items"] or [], start=1):
        if item is None:
            reasons.append(f"Item {index}: an item cannot be null.")
        elif not item["name"]:
            reasons.append(f"Item {index}: name is missing.")
        elif problem := _weight_problem(item["weight"], f"Item {index}"):
            reasons.append(problem)
    if problem := _weight_problem(values["weight"], "Order"):
        reasons.append(problem)
    dimensions = values["dimensions"]
    if dimensions is not None and dimensions["units"] not in (None, *DIMENSION_UNITS):
        reasons.append("Dimensions: units must be inches or centimeters.")
    for tag_id in values["tagIds"] or []:
        if tag_id not in account.tags:
            reasons.append(f"Tag {tag_id} does not exist in this account.")
    advanced = values["advancedOptions"] or {}
    store_id = advanced.get("storeId")
    if store_id is not None and store_id not in account.stores:
        reasons.append(f"Store {store_id} does not exist in this account.")
    warehouse_id = advanced.get("warehouseId")
    if warehouse_id is not None and (
        warehouse_id not in account.warehouses or warehouse_id in account.deleted_warehouses
    ):
        reasons.append(f"Warehouse {warehouse_id} does not exist in this account.")
    return " ".join(reasons) or None


def default_store_id(account: Account) -> int:
    """The first active manual store (ShipStation's default for new orders)."""
    manual = [s for s in account.stores.values() if s["marketplaceId"] == 0 and s["active"]]
    if manual:
        return int(min(manual, key=lambda s: s["storeId"])["storeId"])
    return min(account.stores) if account.stores else catalog.MANUAL_STORE_ID


def default_warehouse_id(account: Account) -> int | None:
    live = [w for i, w in account.warehouses.items() if i not in account.deleted_warehouses]
    default = next((w for w in live if w["isDefault"]), live[0] if live else None)
    return default["warehouseId"] if default else None


def weight_row(weight: Wire | None, *, fallback_zero: bool = True) -> Wire | None:
    """A weight as ShipStation answers it (``WeightUnits: 1`` alongside ``ounces``)."""
    if weight is None:
        return {"value": 0, "units": "ounces", "WeightUnits": 1} if fallback_zero else None
    row: Wire = {
        "value": weight["value"] if weight["value"] is not None else 0,
        "units": weight["units"] or "ounces",
    }
    if row["units"] == "ounces":
        row["WeightUnits"] = 1
    return row


def _items_weight(values: Wire) -> Wire | None:
    """The order's weight from its lines (ShipStation adds them up when none is given)."""
    total = Decimal(0)
    for item in values["items"] or []:
        weight = (item or {}).get("weight") or {}
        if weight.get("value") is None:
            continue
        factor = OUNCES.get(weight.get("units") or "ounces", Decimal(1))
        total += money(weight["value"]) * factor * money(item["quantity"])
    if not total:
        return None
    return {"value": number(total.quantize(Decimal("0.01"))), "units": "ounces"}


def order_total(values: Wire) -> int | float:
    lines = sum(
        (money(i["quantity"]) * money(i["unitPrice"]) for i in values["items"] or [] if i),
        Decimal(0),
    )
    return cents(lines + money(values["shippingAmount"]) + money(values["taxAmount"]))


def _items(account: Account, values: Wire, old: Wire | None, now: datetime) -> list[Wire]:
    previous = {i["lineItemKey"]: i for i in (old["items"] if old else []) if i["lineItemKey"]}
    by_id = {i["orderItemId"]: i for i in (old["items"] if old else [])}
    products = {p["sku"]: pid for pid, p in account.products.items() if p.get("sku")}
    rows: list[Wire] = []
    for item in values["items"] or []:
        match = previous.get(item["lineItemKey"]) if item["lineItemKey"] else None
        if match is None and item["orderItemId"] is not None:
            match = by_id.get(item["orderItemId"])
        item_id = match["orderItemId"] if match else account.new_id("orderItem")
        row: Wire = {"orderItemId": item_id}
        row.update({k: v for k, v in item.items() if k != "orderItemId"})
        row["weight"] = weight_row(item["weight"], fallback_zero=False)
        row["options"] = item["options"] if item["options"] is not None else []
        row["adjustment"] = bool(item["adjustment"])
        if row["productId"] is None and item["sku"] in products and not row["adjustment"]:
            row["productId"] = products[item["sku"]]
        row["createDate"] = match["createDate"] if match else short_stamp(now)
        row["modifyDate"] = short_stamp(now)
        rows.append(row)
    return rows


def _international(account: Account, values: Wire, old: Wire | None) -> Wire:
    given = values["internationalOptions"] or {
        "contents": None,
        "customsItems": None,
        "nonDelivery": None,
    }
    known = {
        c["customsItemId"]
        for c in ((old or {}).get("internationalOptions") or {}).get("customsItems") or []
    }
    customs = given["customsItems"]
    if customs is not None:
        customs = [
            {
                **c,
                "customsItemId": c["customsItemId"]
                if c["customsItemId"] in known
                else account.new_id("customsItem"),
            }
            for c in customs
            if c is not None
        ]
    return {**given, "customsItems": customs}


def _advanced(account: Account, values: Wire, old: Wire | None, trusted: bool) -> Wire:
    given = dict(values["advancedOptions"] or {})
    previous = old["advancedOptions"] if old else {}
    row: Wire = {
        "warehouseId": given.get("warehouseId") or default_warehouse_id(account),
        "nonMachinable": bool(given.get("nonMachinable")),
        "saturdayDelivery": bool(given.get("saturdayDelivery")),
        "containsAlcohol": bool(given.get("containsAlcohol")),
        "mergedOrSplit": previous.get("mergedOrSplit", False),
        "mergedIds": list(previous.get("mergedIds", [])),
        "parentId": previous.get("parentId"),
        "storeId": previous["storeId"]
        if old
        else (given.get("storeId") or default_store_id(account)),
    }
    for key in (
        "customField1",
        "customField2",
        "customField3",
        "source",
        "billToParty",
        "billToAccount",
        "billToPostalCode",
        "billToCountryCode",
        "billToMyOtherAccount",
    ):
        row[key] = given.get(key)
    if trusted:
        row.update({k: given[k] for k in _SPLIT_MARKS if given.get(k) is not None})
    return row


_SPLIT_MARKS = ("mergedOrSplit", "mergedIds", "parentId")


def build_order(
    account: Account,
    values: Wire,
    old: Wire | None,
    *,
    order_id: int,
    order_key: str,
    now: datetime,
    trusted: bool = False,
) -> Wire:
    """The stored order for ``values`` replacing ``old`` (``None`` for a new order)."""
    status = values["orderStatus"]
    hold = old["holdUntilDate"] if old and status == "on_hold" else None
    if trusted and values.get("holdUntilDate"):
        hold = values["holdUntilDate"]
    created = (values.get("createDate") if trusted else None) or (
        old["createDate"] if old else stamp(now)
    )
    modified = (values.get("modifyDate") if trusted else None) or (
        created if not old else stamp(now)
    )
    insurance = values["insuranceOptions"] or {
        "provider": None,
        "insureShipment": False,
        "insuredValue": 0,
    }
    return {
        "orderId": order_id,
        "orderNumber": values["orderNumber"],
        "orderKey": order_key,
        "orderDate": values["orderDate"],
        "createDate": created,
        "modifyDate": modified,
        "paymentDate": values["paymentDate"],
        "shipByDate": values["shipByDate"],
        "orderStatus": status,
        "customerId": old["customerId"] if old else None,
        "customerUsername": values["customerUsername"],
        "customerEmail": values["customerEmail"],
        "billTo": address_row(values["billTo"], verified=None),
        "shipTo": address_row(values["shipTo"]),
        "items": _items(account, values, old, now),
        "orderTotal": order_total(values),
        "amountPaid": values["amountPaid"] if values["amountPaid"] is not None else 0,
        "taxAmount": values["taxAmount"] if values["taxAmount"] is not None else 0,
        "shippingAmount": values["shippingAmount"] if values["shippingAmount"] is not None else 0,
        "customerNotes": values["customerNotes"],
        "internalNotes": values["internalNotes"],
        "gift": bool(values["gift"]),
        "giftMessage": values["giftMessage"],
        "paymentMethod": values["paymentMethod"],
        "requestedShippingService": values["requestedShippingService"],
        "carrierCode": values["carrierCode"],
        "serviceCode": values["serviceCode"],
        "packageCode": values["packageCode"],
        "confirmation": values["confirmation"],
        "shipDate": values["shipDate"],
        "holdUntilDate": hold,
        "weight": weight_row(values["weight"] or _items_weight(values)),
        "dimensions": values["dimensions"],
        "insuranceOptions": insurance,
        "internationalOptions": _international(account, values, old),
        "advancedOptions": _advanced(account, values, old, trusted),
        "tagIds": values["tagIds"],
        "userId": (values.get("userId") if trusted else None) or (old["userId"] if old else None),
        "externallyFulfilled": bool(
            (values.get("externallyFulfilled") if trusted else None)
            or (old["externallyFulfilled"] if old else False)
        ),
        "externallyFulfilledBy": (values.get("externallyFulfilledBy") if trusted else None)
        or (old["externallyFulfilledBy"] if old else None),
        "externallyFulfilledById": old["externallyFulfilledById"] if old else None,
        "externallyFulfilledByName": old["externallyFulfilledByName"] if old else None,
        "labelMessages": None,
    }
