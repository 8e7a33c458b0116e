"""Shipping an order: labels, voids and mark-as-shipped, for endpoints and the Python API alike.

Each function checks everything first and raises :class:`Refused` or :class:`Missing` before it
changes anything; then it stores the result, moves the order to ``shipped`` and queues the
webhooks ShipStation would send (SHIP_NOTIFY for labels; nothing for mark-as-shipped or voids),
plus the shipnotify POST when the order belongs to a Custom Store (labels and mark-as-shipped).
"""

from __future__ import annotations

from collections.abc import Sequence

from stationmaster.emulator.backend import Backend
from stationmaster.emulator.labels import new_fulfillment, new_shipment, shipment_items
from stationmaster.emulator.orderbuild import default_store_id, default_warehouse_id
from stationmaster.emulator.orderlogic import change_status
from stationmaster.emulator.refusals import Missing, Refused
from stationmaster.emulator.shipnotice import queue_fulfillment_notice, queue_label_notice
from stationmaster.emulator.state import clone
from stationmaster.emulator.webhooks import queue_order_notify, queue_ship_notify
from stationmaster.emulator.wire import Wire, stamp
from stationmaster.wiretime import PACIFIC

UNSHIPPABLE = frozenset({"cancelled", "rejected_fulfillment"})


def order_or_missing(backend: Backend, order_id: int) -> Wire:
    order = backend.account.order(order_id)
    if order is None:
        raise Missing(f"Order {order_id} was not found.")
    return order


Pick = Wire | str | int


def _as_pick(pick: object) -> Wire:
    """A pick as ``{"lineItemKey" | "orderItemId", "quantity"?}``; a bare key or id means the
    whole line."""
    if isinstance(pick, str):
        return {"lineItemKey": pick}
    if isinstance(pick, int) and not isinstance(pick, bool):
        return {"orderItemId": pick}
    if isinstance(pick, dict) and ("lineItemKey" in pick or "orderItemId" in pick):
        return pick
    raise Refused(
        f"Name a line by lineItemKey (text), orderItemId (number) or an object holding one "
        f"of them and an optional quantity; got {pick!r}."
    )


def pick_lines(order: Wire, picks: Sequence[object]) -> list[tuple[Wire, int]]:
    """``picks`` (see :func:`_as_pick`) as (line, quantity) pairs of ``order``."""
    chosen: list[tuple[Wire, int]] = []
    for raw in picks:
        pick = _as_pick(raw)
        line = next(
            (
                item
                for item in order["items"]
                if (
                    pick.get("lineItemKey") is not None
                    and item["lineItemKey"] == pick["lineItemKey"]
                )
                or (
                    pick.get("orderItemId") is not None
                    and item["orderItemId"] == pick["orderItemId"]
                )
            ),
            None,
        )
        if line is None:
            raise Refused(f"Order {order['orderId']} has no line matching {raw!r}.")
        available = line["quantity"] or 0
        quantity = pick.get("quantity", available)
        if (
            not isinstance(quantity, int)
            or isinstance(quantity, bool)
            or not 0 < quantity <= available
        ):
            raise Refused(
                f"Quantity for line {line['lineItemKey'] or line['orderItemId']} must be a whole "
                f"number from 1 to {available}, got {quantity!r}."
            )
        chosen.append((line, quantity))
    return chosen


def _mark_shipped(backend: Backend, order: Wire, ship_date: str) -> None:
    if order["orderStatus"] == "shipped":
        return
    account = backend.account
    if change_status(account, order["orderId"], "shipped", backend.now(), shipDate=ship_date):
        queue_order_notify(backend, [order["orderId"]])


def label_for_order(
    backend: Backend,
    order_id: int,
    options: Wire,
    *,
    picks: Sequence[object] | None = None,
    tracking: str | None = None,
) -> Wire:
    """Buy a label for an order (``createlabelfororder``): the shipment with its ``labelData``."""
    account = backend.account
    order = order_or_missing(backend, order_id)
    if order["orderStatus"] in UNSHIPPABLE:
        raise Refused(f"Order {order_id} is {order['orderStatus']}; no label can be created.")
    lines = pick_lines(order, picks) if picks is not None else None
    advanced = order["advancedOptions"]
    row, pdf = new_shipment(
        backend,
        order=order,
        options=options,
        ship_to=order["shipTo"],
        store_id=advanced["storeId"],
        warehouse_id=(options["advancedOptions"] or {}).get("warehouseId")
        or advanced["warehouseId"],
        items=shipment_items(order, lines),
        tracking=tracking,
    )
    account.shipments[row["shipmentId"]] = row
    account.label_data[row["shipmentId"]] = pdf
    _mark_shipped(backend, order, row["shipDate"])
    queue_ship_notify(backend, [row["shipmentId"]])
    queue_label_notice(backend, order, row)
    return {**clone(row), "labelData": pdf}


def label_without_order(backend: Backend, options: Wire) -> Wire:
    """Buy a label not tied to an order (``createlabel``)."""
    account = backend.account
    advanced = options["advancedOptions"] or {}
    store_id = advanced.get("storeId") or default_store_id(account)
    if store_id not in account.stores:
        raise Refused(f"Store {store_id} does not exist in this account.")
    row, pdf = new_shipment(
        backend,
        order=None,
        options=options,
        ship_to=options["shipTo"],
        store_id=store_id,
        warehouse_id=advanced.get("warehouseId") or default_warehouse_id(account),
        items=None,
    )
    account.shipments[row["shipmentId"]] = row
    account.label_data[row["shipmentId"]] = pdf
    queue_ship_notify(backend, [row["shipmentId"]])
    return {**clone(row), "labelData": pdf}


def void_label(backend: Backend, shipment_id: int) -> tuple[bool, str, Wire]:
    """Void a label: ``(approved, message, shipment)``. The shipment stays listed."""
    account = backend.account
    shipment = account.shipments.get(shipment_id)
    if shipment is None:
        raise Missing(f"Shipment {shipment_id} was not found.")
    if shipment["voided"]:
        return False, "Label has already been voided.", clone(shipment)
    now = backend.now()
    row = clone(shipment)
    row.update(voided=True, voidDate=stamp(now))
    account.shipments[shipment_id] = row
    order_id = row["orderId"]
    order = account.order(order_id) if order_id is not None else None
    if (
        order is not None
        and backend.config.void_restores_status
        and order["orderStatus"] == "shipped"
    ):
        live = any(s["orderId"] == order_id and not s["voided"] for s in account.shipments.values())
        fulfilled = any(f["orderId"] == order_id for f in account.fulfillments.values())
        if not live and not fulfilled:
            change_status(account, order_id, "awaiting_shipment", now, shipDate=None)
    return True, "Label voided successfully.", clone(row)


def mark_as_shipped(
    backend: Backend,
    order_id: int,
    *,
    carrier_code: str,
    ship_date: str | None = None,
    tracking: str | None = None,
    notify_sales_channel: bool = False,
) -> Wire:
    """Mark an order shipped (``markasshipped``): a fulfillment, and no SHIP_NOTIFY."""
    account = backend.account
    order = order_or_missing(backend, order_id)
    if order["orderStatus"] in UNSHIPPABLE:
        raise Refused(
            f"Order {order_id} is {order['orderStatus']}; it cannot be marked as shipped."
        )
    if not carrier_code:
        raise Refused("carrierCode is required.")
    now = backend.now()
    day = ship_date or now.astimezone(PACIFIC).date().isoformat()
    row = new_fulfillment(
        account,
        order,
        carrier_code=carrier_code,
        ship_date=day,
        tracking=tracking,
        notify_sales_channel=notify_sales_channel,
        now=now,
    )
    account.fulfillments[row["fulfillmentId"]] = row
    _mark_shipped(backend, order, day)
    queue_fulfillment_notice(backend, order, row)
    return clone(row)
