"""Labels, rates, voids and fulfillments: what shipping an order does to the account.

Prices come from the carriers' table in :mod:`stationmaster.emulator.catalog` (base plus a rate
per ounce, plus confirmation and insurance), so every run answers the same numbers. Tracking
numbers are per-carrier sequences; label PDFs are tiny but real PDFs, base64-encoded.
"""

from __future__ import annotations

import base64
from datetime import datetime
from decimal import Decimal

from stationmaster.emulator import catalog
from stationmaster.emulator.backend import Backend
from stationmaster.emulator.orderbuild import weight_row
from stationmaster.emulator.refusals import Refused
from stationmaster.emulator.state import Account
from stationmaster.emulator.wire import Wire, cents, money, stamp
from stationmaster.wiretime import PACIFIC

DOMESTIC_COUNTRY = "US"


def ounces(weight: Wire | None) -> Decimal:
    if not weight or weight.get("value") is None:
        return Decimal(0)
    factor = catalog.OUNCES.get(weight.get("units") or "ounces", Decimal(1))
    return money(weight["value"]) * factor


def service_of(
    carrier_code: str | None, service_code: str | None
) -> tuple[catalog.Carrier, catalog.Service]:
    carrier = catalog.carrier(carrier_code or "")
    if carrier is None:
        raise Refused(f"Unknown carrier '{carrier_code}'.")
    service = next((s for s in carrier.services if s.code == service_code), None)
    if service is None:
        raise Refused(f"Carrier '{carrier.code}' has no service '{service_code}'.")
    return carrier, service


def check_package(account: Account, carrier_code: str, package_code: str | None) -> None:
    if package_code and not any(p["code"] == package_code for p in account.packages[carrier_code]):
        raise Refused(f"Carrier '{carrier_code}' has no package '{package_code}'.")


def price(
    service: catalog.Service, weight: Wire | None, confirmation: str | None
) -> tuple[Decimal, Decimal]:
    """(shipment cost, other cost) for one package."""
    base = service.base + service.per_ounce * ounces(weight)
    other = catalog.CONFIRMATION_COST.get(confirmation or "none", Decimal(0))
    return base, other


def rates(account: Account, values: Wire) -> list[Wire]:
    """What ``POST /shipments/getrates`` answers for checked ``values``."""
    carrier = catalog.carrier(values["carrierCode"] or "")
    if carrier is None:
        raise Refused(f"Unknown carrier '{values['carrierCode']}'.")
    if carrier.code == "ups" and not values["toState"] and values["toCountry"] == DOMESTIC_COUNTRY:
        raise Refused("toState is required for UPS rates.")
    check_package(account, carrier.code, values["packageCode"])
    domestic = (values["toCountry"] or "").upper() == DOMESTIC_COUNTRY
    answer: list[Wire] = []
    for service in carrier.services:
        if service.domestic != domestic:
            continue
        if values["serviceCode"] and service.code != values["serviceCode"]:
            continue
        cost, other = price(service, values["weight"], values["confirmation"])
        answer.append(
            {
                "serviceName": service.name,
                "serviceCode": service.code,
                "shipmentCost": cents(cost),
                "otherCost": cents(other),
            }
        )
    return answer


def tracking_number(account: Account, carrier: catalog.Carrier) -> str:
    serial = account.new_id("tracking")
    return f"{carrier.tracking_prefix}{serial:0{carrier.tracking_digits}d}"


def label_pdf(tracking: str) -> str:
    """A one-page PDF naming the tracking number, base64-encoded like ShipStation's labels."""
    text = f"BT /F1 18 Tf 36 380 Td (EMULATED LABEL {tracking}) Tj ET".encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 288 432] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(text), text),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return base64.b64encode(bytes(out)).decode("ascii")


def shipment_items(order: Wire, picks: list[tuple[Wire, int]] | None) -> list[Wire]:
    """The shipped lines: ``picks`` (line, quantity) or every physical line of ``order``."""
    lines = (
        picks
        if picks is not None
        else [(item, item["quantity"] or 0) for item in order["items"] if not item["adjustment"]]
    )
    return [
        {
            "orderItemId": item["orderItemId"],
            "lineItemKey": item["lineItemKey"],
            "sku": item["sku"],
            "name": item["name"],
            "imageUrl": item["imageUrl"],
            "weight": item["weight"],
            "quantity": quantity,
            "unitPrice": item["unitPrice"],
            "warehouseLocation": item["warehouseLocation"],
            "options": item["options"],
            "productId": item["productId"],
            "fulfillmentSku": item["fulfillmentSku"],
        }
        for item, quantity in lines
    ]


def new_shipment(
    backend: Backend,
    *,
    order: Wire | None,
    options: Wire,
    ship_to: Wire | None,
    store_id: int,
    warehouse_id: int | None,
    items: list[Wire] | None,
    tracking: str | None = None,
) -> tuple[Wire, str]:
    """A shipment row and its label PDF; nothing is stored here."""
    account, now = backend.account, backend.now()
    carrier, service = service_of(options["carrierCode"], options["serviceCode"])
    check_package(account, carrier.code, options["packageCode"])
    weight = options["weight"] or (order["weight"] if order else None)
    if weight is None or ounces(weight) <= 0:
        raise Refused("A weight greater than zero is required to create a label.")
    cost, other = price(service, weight, options["confirmation"])
    insurance = (
        options["insuranceOptions"]
        or (order["insuranceOptions"] if order else None)
        or {"provider": None, "insureShipment": False, "insuredValue": 0}
    )
    insurance_cost = (
        money(insurance["insuredValue"]) * catalog.INSURANCE_RATE
        if insurance.get("insureShipment")
        else Decimal(0)
    )
    shipment_id = account.new_id("shipment")
    number = tracking or tracking_number(account, carrier)
    advanced = options["advancedOptions"] or {}
    row: Wire = {
        "shipmentId": shipment_id,
        "orderId": order["orderId"] if order else None,
        "orderKey": order["orderKey"] if order else None,
        "userId": next(iter(account.users), None),
        "customerEmail": order["customerEmail"] if order else None,
        "orderNumber": order["orderNumber"] if order else None,
        "createDate": stamp(now),
        "shipDate": options["shipDate"] or now.astimezone(PACIFIC).date().isoformat(),
        "shipmentCost": cents(cost + other),
        "insuranceCost": cents(insurance_cost),
        "trackingNumber": number,
        "isReturnLabel": False,
        "batchNumber": None,
        "carrierCode": carrier.code,
        "serviceCode": service.code,
        "packageCode": options["packageCode"],
        "confirmation": options["confirmation"],
        "warehouseId": warehouse_id,
        "voided": False,
        "voidDate": None,
        "marketplaceNotified": False,
        "notifyErrorMessage": None,
        "shipTo": ship_to,
        "weight": weight_row(weight),
        "dimensions": options["dimensions"] or (order["dimensions"] if order else None),
        "insuranceOptions": insurance,
        "advancedOptions": {
            "billToParty": advanced.get("billToParty"),
            "billToAccount": advanced.get("billToAccount"),
            "billToPostalCode": advanced.get("billToPostalCode"),
            "billToCountryCode": advanced.get("billToCountryCode"),
            "storeId": store_id,
        },
        "shipmentItems": items,
        "labelData": None,
        "formData": None,
    }
    return row, label_pdf(number)


def new_fulfillment(
    account: Account,
    order: Wire,
    *,
    carrier_code: str,
    ship_date: str,
    tracking: str | None,
    notify_sales_channel: bool,
    now: datetime,
) -> Wire:
    return {
        "fulfillmentId": account.new_id("fulfillment"),
        "orderId": order["orderId"],
        "orderNumber": order["orderNumber"],
        "userId": next(iter(account.users), None),
        "customerEmail": order["customerEmail"],
        "trackingNumber": tracking,
        "createDate": stamp(now),
        "shipDate": f"{ship_date}T00:00:00.0000000",
        "voidDate": None,
        "deliveryDate": None,
        "carrierCode": carrier_code,
        "sellerFillProviderId": None,
        "sellerFillProviderName": None,
        "fulfillmentProviderCode": None,
        "fulfillmentServiceCode": None,
        "fulfillmentFee": 0,
        "voidRequested": False,
        "voided": False,
        "marketplaceNotified": notify_sales_channel,
        "notifyErrorMessage": None,
        "shipTo": order["shipTo"],
    }
