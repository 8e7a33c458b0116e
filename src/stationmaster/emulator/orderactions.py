"""Order actions: holds, tags, user assignment, mark-as-shipped, labels for orders (§6).

These endpoints answer ``{"success", "message"}`` (or the shape §6 gives). An unknown order is a
404; a request that names something the account lacks or asks for an impossible change gets
``success: false`` (tags, users, holds) or the validation envelope (labels, mark-as-shipped).
"""

from __future__ import annotations

from stationmaster.emulator.backend import Backend
from stationmaster.emulator.checks import missing, read_body
from stationmaster.emulator.orderlogic import change_status, touch
from stationmaster.emulator.refusals import Missing, Refused
from stationmaster.emulator.replies import Reply, not_found, ok, success, validation_failure
from stationmaster.emulator.routing import ApiRequest
from stationmaster.emulator.schemas import (
    ASSIGN_USER,
    HOLD,
    LABEL_FOR_ORDER,
    MARK_SHIPPED,
    ORDER_ID,
    TAG_ON_ORDER,
    UNASSIGN_USER,
)
from stationmaster.emulator.shipping import label_for_order, mark_as_shipped
from stationmaster.emulator.webhooks import queue_order_notify
from stationmaster.emulator.wire import Wire

HOLDABLE = frozenset({"awaiting_shipment", "on_hold", "awaiting_payment"})


def _require(backend: Backend, values: Wire, *names: str) -> None:
    absent = missing(values, *names)
    if absent:
        raise validation_failure(backend.config, f"Required: {', '.join(absent)}.")


def _order(backend: Backend, order_id: int) -> Wire:
    order = backend.account.order(order_id)
    if order is None:
        raise not_found(backend.config)
    return order


def hold_until(backend: Backend, request: ApiRequest) -> Reply:
    values = read_body(request.body, HOLD, backend.config.filter_offset_mode)
    _require(backend, values, "orderId", "holdUntilDate")
    order = _order(backend, values["orderId"])
    if order["orderStatus"] not in HOLDABLE:
        return success(
            f"Order {order['orderId']} is {order['orderStatus']} and cannot be held.", False
        )
    fire = change_status(
        backend.account,
        order["orderId"],
        "on_hold",
        backend.now(),
        holdUntilDate=values["holdUntilDate"],
    )
    if fire:
        queue_order_notify(backend, [order["orderId"]])
    return success("Order held successfully.")


def restore_from_hold(backend: Backend, request: ApiRequest) -> Reply:
    values = read_body(request.body, ORDER_ID, backend.config.filter_offset_mode)
    _require(backend, values, "orderId")
    order = _order(backend, values["orderId"])
    if order["orderStatus"] != "on_hold":
        return success(f"Order {order['orderId']} is not on hold.", False)
    change_status(
        backend.account, order["orderId"], "awaiting_shipment", backend.now(), holdUntilDate=None
    )
    return success("The requested order has been restored")


def _tag_request(backend: Backend, request: ApiRequest) -> tuple[Wire, int] | Reply:
    values = read_body(request.body, TAG_ON_ORDER, backend.config.filter_offset_mode)
    _require(backend, values, "orderId", "tagId")
    order = _order(backend, values["orderId"])
    if values["tagId"] not in backend.account.tags:
        return success(f"Tag {values['tagId']} does not exist in this account.", False)
    return order, values["tagId"]


def add_tag(backend: Backend, request: ApiRequest) -> Reply:
    found = _tag_request(backend, request)
    if isinstance(found, Reply):
        return found
    order, tag_id = found
    tags = list(order["tagIds"] or [])
    if tag_id not in tags:
        touch(backend.account, order["orderId"], backend.now(), tagIds=[*tags, tag_id])
    return success("Tag added successfully.")


def remove_tag(backend: Backend, request: ApiRequest) -> Reply:
    found = _tag_request(backend, request)
    if isinstance(found, Reply):
        return found
    order, tag_id = found
    tags = list(order["tagIds"] or [])
    if tag_id in tags:
        remaining = [t for t in tags if t != tag_id]
        touch(backend.account, order["orderId"], backend.now(), tagIds=remaining or None)
    return success("Tag removed successfully.")


def _orders_all_known(backend: Backend, order_ids: list[int | None]) -> list[int] | Reply:
    unknown = [i for i in order_ids if i is None or backend.account.order(i) is None]
    if not order_ids:
        return success("No orders were given.", False)
    if unknown:
        listed = ", ".join(str(i) for i in unknown)
        return success(f"Order(s) not found: {listed}. No order was changed.", False)
    return [i for i in order_ids if i is not None]


def assign_user(backend: Backend, request: ApiRequest) -> Reply:
    values = read_body(request.body, ASSIGN_USER, backend.config.filter_offset_mode)
    _require(backend, values, "orderIds", "userId")
    user_id = values["userId"]
    if user_id not in backend.account.users or user_id in backend.account.inactive_users:
        return success(
            f"User {user_id} does not exist in this account. No order was changed.", False
        )
    known = _orders_all_known(backend, values["orderIds"])
    if isinstance(known, Reply):
        return known
    for order_id in known:
        touch(backend.account, order_id, backend.now(), userId=user_id)
    return success("User assigned successfully.")


def unassign_user(backend: Backend, request: ApiRequest) -> Reply:
    values = read_body(request.body, UNASSIGN_USER, backend.config.filter_offset_mode)
    _require(backend, values, "orderIds")
    known = _orders_all_known(backend, values["orderIds"])
    if isinstance(known, Reply):
        return known
    for order_id in known:
        touch(backend.account, order_id, backend.now(), userId=None)
    return success("User unassigned successfully.")


def mark_shipped(backend: Backend, request: ApiRequest) -> Reply:
    values = read_body(request.body, MARK_SHIPPED, backend.config.filter_offset_mode)
    _require(backend, values, "orderId", "carrierCode")
    order = _order(backend, values["orderId"])
    try:
        mark_as_shipped(
            backend,
            order["orderId"],
            carrier_code=values["carrierCode"],
            ship_date=values["shipDate"],
            tracking=values["trackingNumber"],
            notify_sales_channel=bool(values["notifySalesChannel"]),
        )
    except Refused as exc:
        raise validation_failure(backend.config, str(exc)) from None
    return ok({"orderId": order["orderId"], "orderNumber": order["orderNumber"]})


def create_label_for_order(backend: Backend, request: ApiRequest) -> Reply:
    values = read_body(request.body, LABEL_FOR_ORDER, backend.config.filter_offset_mode)
    _require(backend, values, "orderId", "carrierCode", "serviceCode", "packageCode", "shipDate")
    if values["testLabel"] is None:
        raise validation_failure(backend.config, "Required: testLabel.")
    try:
        shipment = label_for_order(backend, values["orderId"], values)
    except Missing:
        raise not_found(backend.config) from None
    except Refused as exc:
        raise validation_failure(backend.config, str(exc)) from None
    return ok(shipment)
