"""Splitting and merging orders, as ShipStation users do in its UI (§13).

The API never splits or merges; it only shows the result through read-only fields. These
functions produce exactly those results so clients can be tested against them: a split child is
a new order with the parent's number and ``parentId``; a merge survivor lists ``mergedIds`` and
the absorbed orders vanish (404, out of lists).
"""

from __future__ import annotations

from collections.abc import Sequence

from stationmaster.emulator.backend import Backend
from stationmaster.emulator.orderbuild import LOCKED_STATUSES, order_total
from stationmaster.emulator.refusals import Refused
from stationmaster.emulator.shipping import order_or_missing, pick_lines
from stationmaster.emulator.state import clone
from stationmaster.emulator.wire import Wire, money, new_key, number, short_stamp, stamp


def _open_or_refuse(order: Wire, action: str) -> None:
    if order["orderStatus"] in LOCKED_STATUSES:
        raise Refused(f"Order {order['orderId']} is {order['orderStatus']}; it cannot be {action}.")


def split_order(backend: Backend, order_id: int, picks: Sequence[object]) -> Wire:
    """Move ``picks`` (lines and quantities) from an order to a new child order; the child."""
    account, config, now = backend.account, backend.config, backend.now()
    parent = order_or_missing(backend, order_id)
    _open_or_refuse(parent, "split")
    if not picks:
        raise Refused("Name at least one line to move to the new order.")
    moving = pick_lines(parent, picks)
    taken: dict[int, int] = {}
    for line, quantity in moving:
        taken[line["orderItemId"]] = taken.get(line["orderItemId"], 0) + quantity
    left = [
        (item, (item["quantity"] or 0) - taken.get(item["orderItemId"], 0))
        for item in parent["items"]
    ]
    for item, quantity in left:
        if quantity < 0:
            raise Refused(f"Line {item['orderItemId']} does not have that many units to move.")
    if not any(quantity > 0 and not item["adjustment"] for item, quantity in left):
        raise Refused("A split must leave at least one line on the original order.")
    serial = account.split_counts.get(order_id, 0) + 1
    child_id = account.new_id("order")
    child_items = [
        {
            **clone(line),
            "orderItemId": account.new_id("orderItem"),
            "quantity": quantity,
            "createDate": short_stamp(now),
            "modifyDate": short_stamp(now),
        }
        for line, quantity in moving
    ]
    child = clone(parent)
    child.update(
        orderId=child_id,
        orderKey=f"{parent['orderKey']}-split-{serial}"
        if config.split_child_key == "suffix"
        else new_key(),
        orderNumber=parent["orderNumber"]
        if config.split_child_number == "same"
        else f"{parent['orderNumber']}-{serial}",
        createDate=stamp(now),
        modifyDate=stamp(now),
        items=child_items,
        amountPaid=0,
        taxAmount=0,
        shippingAmount=0,
    )
    child["advancedOptions"].update(mergedOrSplit=True, mergedIds=[], parentId=order_id)
    child["orderTotal"] = order_total(child)
    updated = clone(parent)
    updated["items"] = [
        {**clone(item), "quantity": quantity, "modifyDate": short_stamp(now)}
        if item["orderItemId"] in taken
        else clone(item)
        for item, quantity in left
        if quantity > 0
    ]
    updated["advancedOptions"]["mergedOrSplit"] = True
    updated["modifyDate"] = stamp(now)
    updated["orderTotal"] = order_total(updated)
    account.add_order(updated)
    account.add_order(child)
    account.split_counts[order_id] = serial
    return clone(child)


def merge_orders(backend: Backend, survivor_id: int, absorbed_ids: list[int]) -> Wire:
    """Move every line of ``absorbed_ids`` onto the survivor; the absorbed orders go away."""
    account, now = backend.account, backend.now()
    survivor = order_or_missing(backend, survivor_id)
    if not absorbed_ids:
        raise Refused("Name at least one order to merge into the survivor.")
    if survivor_id in absorbed_ids or len(set(absorbed_ids)) != len(absorbed_ids):
        raise Refused("The orders to merge must be distinct and must not include the survivor.")
    absorbed = [order_or_missing(backend, i) for i in absorbed_ids]
    for order in (survivor, *absorbed):
        _open_or_refuse(order, "merged")
    merged = clone(survivor)
    for order in absorbed:
        merged["items"].extend(clone(order["items"]))
        for field in ("amountPaid", "taxAmount", "shippingAmount"):
            merged[field] = number(money(merged[field]) + money(order[field]))
    options = merged["advancedOptions"]
    options["mergedOrSplit"] = True
    options["mergedIds"] = [*options.get("mergedIds", []), *absorbed_ids]
    merged["modifyDate"] = stamp(now)
    merged["orderTotal"] = order_total(merged)
    account.add_order(merged)
    for order_id in absorbed_ids:
        account.inactive_orders.add(order_id)
        account.merged_into[order_id] = survivor_id
    return clone(merged)
