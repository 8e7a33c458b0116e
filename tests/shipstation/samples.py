"""Where the shared ShipStation samples live, how to load one, and which model parses each.

Other suites (the emulator's key check, contract tests) import ``SHARED``, ``sample`` and
``SAMPLE_MODELS`` from here so that every suite agrees on one mapping.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from stationmaster.shipstation.models import (
    Carrier,
    CarrierPackage,
    CarrierService,
    CreateOrdersResponse,
    Customer,
    CustomerList,
    FulfillmentList,
    LabelResponse,
    MarkAsShippedResponse,
    Marketplace,
    Order,
    OrderList,
    Product,
    ProductList,
    Rate,
    ShipmentList,
    Store,
    StoreRefreshStatus,
    SubscribeRequest,
    SubscribeResponse,
    SuccessResponse,
    Tag,
    VoidLabelResponse,
    Warehouse,
    WebhookList,
    WebhookPayload,
    WireArray,
)

SHARED: Path = Path(__file__).resolve().parents[2].parent / "shared"
"""The shared folder beside the checkout (``/work/main`` -> ``/work/shared``)."""

SAMPLE_DIRS: tuple[Path, ...] = (
    SHARED / "reference" / "samples" / "rest",
    SHARED / "reference" / "examples",
)
"""Real payloads (``samples/rest``) and synthetic ones (``examples``); file names are unique."""

SAMPLE_MODELS: dict[str, type] = {
    # samples/rest: real ShipStation payloads (see samples/SOURCES.md)
    "addtag_response.json": SuccessResponse,
    "carrier_addfunds_response.json": Carrier,
    "carrier_get.json": Carrier,
    "carrier_packages_list.json": WireArray[CarrierPackage],
    "carrier_services_list.json": WireArray[CarrierService],
    "carriers_list.json": WireArray[Carrier],
    "createlabelfororder_response.json": LabelResponse,
    "createorder_response.json": Order,
    "createorders_response.json": CreateOrdersResponse,
    "customer_get.json": Customer,
    "customers_list_page.json": CustomerList,
    "fulfillments_list_page.json": FulfillmentList,
    "fulfillments_list_page_b.json": FulfillmentList,
    "getrates_response.json": WireArray[Rate],
    "holduntil_response.json": SuccessResponse,
    "markasshipped_response.json": MarkAsShippedResponse,
    "marketplaces_list.json": WireArray[Marketplace],
    "order_delete_response.json": SuccessResponse,
    "order_get.json": Order,
    "order_get_international_ch.json": Order,
    "orders_list_page.json": OrderList,
    "orders_list_page_split.json": OrderList,
    "orders_listbytag_page.json": OrderList,
    "product_get.json": Product,
    "products_list_page.json": ProductList,
    "restorefromhold_response.json": SuccessResponse,
    "shipments_list_page.json": ShipmentList,
    "shipments_list_page_b.json": ShipmentList,
    "shipments_list_page_voided.json": ShipmentList,
    "store_get.json": Store,
    "store_refreshstatus.json": StoreRefreshStatus,
    "stores_list.json": WireArray[Store],
    "stores_list_b.json": WireArray[Store],
    "tags_list.json": WireArray[Tag],
    "voidlabel_response.json": VoidLabelResponse,
    "warehouse_create_response.json": Warehouse,
    "warehouse_get.json": Warehouse,
    "warehouses_list.json": WireArray[Warehouse],
    "warehouses_list_b.json": WireArray[Warehouse],
    "webhook_payload_order_notify.json": WebhookPayload,
    "webhook_payload_ship_notify.json": WebhookPayload,
    "webhook_subscribe_request.json": SubscribeRequest,
    "webhook_subscribe_response.json": SubscribeResponse,
    "webhooks_list.json": WebhookList,
    # examples: synthetic payloads composed for stationmaster's tests
    "createorders-request.json": WireArray[Order],
    "createorders-response.json": CreateOrdersResponse,
    "shipments-list-page1.json": ShipmentList,
    "webhook-order-notify.json": WebhookPayload,
    "webhook-ship-notify.json": WebhookPayload,
}


def sample_files() -> list[Path]:
    """Every JSON sample on disk, sorted; empty when the shared folder is missing."""
    return sorted(path for folder in SAMPLE_DIRS for path in folder.glob("*.json"))


def sample_path(name: str) -> Path:
    """The one file called ``name`` in the sample folders."""
    found = [folder / name for folder in SAMPLE_DIRS if (folder / name).is_file()]
    if len(found) != 1:
        raise FileNotFoundError(f"expected exactly one sample named {name!r} under {SHARED}")
    return found[0]


def sample(name: str) -> Any:
    """A sample's parsed JSON (``Any``: samples are objects or arrays of any shape)."""
    return json.loads(sample_path(name).read_text(encoding="utf-8"))
