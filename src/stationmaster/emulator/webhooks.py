"""Webhook subscriptions (§11.1) and the events that queue deliveries for them (§11.2).

An event becomes one queued delivery per matching subscription and store: the payload's
``resource_url`` points back at this emulator (``/orders?storeID=…&importBatch=…`` or
``/shipments?storeID=…&batchId=…&includeShipmentItems=…``) and that URL answers with exactly
the orders or shipments of that batch. Sending happens in :mod:`stationmaster.emulator.delivery`.
"""

from __future__ import annotations

from collections.abc import Iterable

from stationmaster.emulator.backend import Backend
from stationmaster.emulator.checks import missing, read_body
from stationmaster.emulator.replies import Reply, not_found, ok, validation_failure
from stationmaster.emulator.routing import ApiRequest
from stationmaster.emulator.schemas import SUBSCRIBE
from stationmaster.emulator.state import Delivery
from stationmaster.emulator.wire import new_guid

EVENTS = (
    "ORDER_NOTIFY",
    "ITEM_ORDER_NOTIFY",
    "SHIP_NOTIFY",
    "ITEM_SHIP_NOTIFY",
    "FULFILLMENT_SHIPPED",
    "FULFILLMENT_REJECTED",
)
ORDER_EVENTS = ("ORDER_NOTIFY", "ITEM_ORDER_NOTIFY")
SHIP_EVENTS = ("SHIP_NOTIFY", "ITEM_SHIP_NOTIFY")


def _queue(backend: Backend, events: Iterable[str], store_id: int, url_for: dict[str, str]) -> None:
    account = backend.account
    for hook in sorted(account.webhooks.values(), key=lambda h: h["WebHookID"]):
        if hook["HookType"] not in events or not hook["Active"]:
            continue
        if hook["StoreID"] is not None and hook["StoreID"] != store_id:
            continue
        account.outbox.append(
            Delivery(
                id=account.new_id("delivery"),
                webhook_id=hook["WebHookID"],
                target_url=hook["Url"],
                resource_url=url_for[hook["HookType"]],
                resource_type=hook["HookType"],
                queued_at=backend.clock.monotonic(),
            )
        )


def _by_store(pairs: Iterable[tuple[int, int]]) -> dict[int, list[int]]:
    groups: dict[int, list[int]] = {}
    for store_id, row_id in pairs:
        groups.setdefault(store_id, []).append(row_id)
    return groups


def queue_order_notify(backend: Backend, order_ids: list[int]) -> str | None:
    """One import batch for ``order_ids``; ORDER_NOTIFY deliveries per store. The batch GUID."""
    if not order_ids:
        return None
    account = backend.account
    batch = new_guid()
    account.import_batches[batch] = tuple(order_ids)
    stores = _by_store((account.orders[i]["advancedOptions"]["storeId"], i) for i in order_ids)
    for store_id in stores:
        url = f"{backend.base_url()}/orders?storeID={store_id}&importBatch={batch}"
        _queue(backend, ORDER_EVENTS, store_id, dict.fromkeys(ORDER_EVENTS, url))
    return batch


def queue_ship_notify(backend: Backend, shipment_ids: list[int]) -> str | None:
    """One label batch for ``shipment_ids``; SHIP_NOTIFY deliveries per store. The batch GUID."""
    if not shipment_ids:
        return None
    account = backend.account
    batch = new_guid()
    account.label_batches[batch] = tuple(shipment_ids)
    stores = _by_store(
        (account.shipments[i]["advancedOptions"]["storeId"], i) for i in shipment_ids
    )
    for store_id in stores:
        base = f"{backend.base_url()}/shipments?storeID={store_id}&batchId={batch}"
        urls = {
            "SHIP_NOTIFY": f"{base}&includeShipmentItems=False",
            "ITEM_SHIP_NOTIFY": f"{base}&includeShipmentItems=True",
        }
        _queue(backend, SHIP_EVENTS, store_id, urls)
    return batch


def subscribe(backend: Backend, request: ApiRequest) -> Reply:
    values = read_body(request.body, SUBSCRIBE, backend.config.filter_offset_mode)
    account = backend.account
    absent = missing(values, "target_url", "event")
    if absent:
        raise validation_failure(backend.config, f"{' and '.join(absent)} required.")
    url, event = values["target_url"], values["event"]
    if not url.startswith(("http://", "https://")):
        raise validation_failure(backend.config, f"target_url must be an http(s) URL, got {url!r}.")
    if event not in EVENTS:
        raise validation_failure(
            backend.config, f"Unknown event {event!r}; use one of {', '.join(EVENTS)}."
        )
    store_id = values["store_id"]
    if store_id is not None and store_id not in account.stores:
        raise validation_failure(
            backend.config, f"Store {store_id} does not exist in this account."
        )
    hook_id = account.new_id("webhook")
    account.webhooks[hook_id] = {
        "IsLabelAPIHook": False,
        "WebHookID": hook_id,
        "SellerID": account.seller_id,
        "StoreID": store_id,
        "HookType": event,
        "MessageFormat": "Json",
        "Url": url,
        "Name": values["friendly_name"],
        "BulkCopyBatchID": None,
        "BulkCopyRecordID": None,
        "Active": True,
        "WebhookLogs": [],
        "Seller": None,
        "Store": None,
    }
    if backend.config.webhook_subscribe_response == "openapi":
        body = {
            "WebHookID": hook_id,
            "HookType": event,
            "Url": url,
            "Name": values["friendly_name"],
        }
        return ok(body, 201)
    return ok({"id": hook_id}, 201)


def list_webhooks(backend: Backend, request: ApiRequest) -> Reply:
    hooks = sorted(backend.account.webhooks.values(), key=lambda h: h["WebHookID"])
    return ok({"webhooks": hooks})


def delete_webhook(backend: Backend, request: ApiRequest) -> Reply:
    hook_id = request.params["webhookId"]
    if hook_id not in backend.account.webhooks:
        raise not_found(backend.config)
    del backend.account.webhooks[hook_id]
    return Reply(200, None)
