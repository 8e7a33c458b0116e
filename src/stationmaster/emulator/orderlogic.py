"""ShipStation's order rules: upsert by key, locked statuses, holds, and status changes (§6, §9).

:func:`upsert_order` is the one path every created or updated order takes (``createorder``,
each element of ``createorders``, and seeding). It never raises for a bad order: it returns an
:class:`Upsert` saying what happened, so a batch can carry on with the next element. It checks
everything before it stores anything.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from stationmaster.emulator.backend import Backend
from stationmaster.emulator.customers import create_missing_products, sync_customer
from stationmaster.emulator.orderbuild import (
    LOCKED_STATUSES,
    build_order,
    default_store_id,
    read_order,
    validation_problem,
)
from stationmaster.emulator.state import Account, clone
from stationmaster.emulator.wire import Wire, instant, new_key, stamp
from stationmaster.wiretime import PACIFIC, pacific_midnight, parse_v1_date


@dataclass
class Upsert:
    """The outcome for one order: stored, refused (with a reason) or unreadable (type errors)."""

    outcome: Literal["stored", "unchanged", "refused", "invalid"]
    order: Wire | None = None
    reason: str = ""
    errors: dict[str, list[str]] = field(default_factory=dict)
    #: The order left ``awaiting_payment`` or was created in another status (ORDER_NOTIFY).
    notify: bool = False
    order_key: str | None = None
    order_number: str | None = None

    @property
    def succeeded(self) -> bool:
        return self.outcome in ("stored", "unchanged")


def notifies(before: str | None, after: str) -> bool:
    """Whether a status change fires ORDER_NOTIFY (§11.2): new and paid, or newly paid."""
    if before is None:
        return after != "awaiting_payment"
    return before == "awaiting_payment" and after not in ("awaiting_payment", "cancelled")


def _text(raw: object, key: str) -> str | None:
    value = raw.get(key) if isinstance(raw, dict) else None
    return value if isinstance(value, str) else None


def _find_by_key(account: Account, key: str, store_id: int | None) -> int | None:
    """The order with ``key`` (an active one first) within the configured key scope."""
    found: int | None = None
    for order_id in account.order_keys.get(key, ()):
        order = account.orders[order_id]
        if store_id is not None and order["advancedOptions"]["storeId"] != store_id:
            continue
        if order_id not in account.inactive_orders:
            return order_id
        found = order_id if found is None else max(found, order_id)
    return found


def _target(backend: Backend, values: Wire) -> tuple[int | None, str | None]:
    """Which stored order these values update (``None`` = create), or why they cannot."""
    account, config = backend.account, backend.config
    key, order_id = values["orderKey"], values["orderId"]
    if key:
        scope = None
        if config.order_key_scope == "store":
            scope = (values["advancedOptions"] or {}).get("storeId") or default_store_id(account)
        found = _find_by_key(account, key, scope)
        if found is not None and found in account.merged_into:
            return None, (
                f"Order {found} (orderKey '{key}') was merged into order "
                f"{account.merged_into[found]} and can no longer be updated."
            )
        if (
            found is not None
            and found in account.inactive_orders
            and (config.deleted_key_repost == "new")
        ):
            found = None
        if found is not None:
            if order_id is not None and order_id != found:
                return None, f"orderId {order_id} does not match orderKey '{key}' (order {found})."
            return found, None
        if order_id is not None:
            owner = account.order(order_id)
            if owner is not None:
                return None, (
                    f"orderId {order_id} belongs to orderKey '{owner['orderKey']}', not '{key}'."
                )
            return None, f"Order {order_id} was not found."
        return None, None
    if order_id is not None:
        if account.order(order_id) is None:
            return None, f"Order {order_id} was not found."
        return order_id, None
    return None, None


def upsert_order(
    backend: Backend,
    raw: object,
    *,
    trusted: bool = False,
    failing_keys: frozenset[str] = frozenset(),
    fail_message: str = "",
) -> Upsert:
    """Create or update one order from client JSON ``raw``; see the module docstring."""
    account, config, now = backend.account, backend.config, backend.now()
    key, number = _text(raw, "orderKey"), _text(raw, "orderNumber")
    values, problems = read_order(raw, config.filter_offset_mode, trusted=trusted)
    if not problems.ok:
        return Upsert(
            "invalid",
            reason=problems.summary(),
            errors=problems.errors,
            order_key=key,
            order_number=number,
        )
    refused = validation_problem(account, values)
    if refused is None and key is not None and key in failing_keys:
        refused = fail_message
    target, mismatch = _target(backend, values)
    refused = refused or mismatch
    if refused:
        return Upsert("refused", reason=refused, order_key=key, order_number=number)
    old = account.orders[target] if target is not None else None
    if old is not None and not trusted and old["orderStatus"] in LOCKED_STATUSES:
        if config.locked_update == "error":
            return Upsert(
                "refused",
                reason=(f"Order {target} is {old['orderStatus']} and can no longer be updated."),
                order_key=key,
                order_number=number,
            )
        if target not in account.inactive_orders:
            return Upsert(
                "unchanged", order=old, order_key=old["orderKey"], order_number=old["orderNumber"]
            )
    status = values["orderStatus"]
    if (
        not trusted
        and status == "shipped"
        and config.createorder_to_shipped == "reject"
        and (old is None or old["orderStatus"] != "shipped")
    ):
        return Upsert(
            "refused",
            reason=(
                "An order cannot be set to shipped through createorder; "
                "create a label or mark it as shipped."
            ),
            order_key=key,
            order_number=number,
        )
    create_missing_products(account, values["items"] or [], now)
    order_id = target if target is not None else _new_order_id(account, values, trusted)
    order_key = old["orderKey"] if old else (key or new_key())
    row = build_order(
        account, values, old, order_id=order_id, order_key=order_key, now=now, trusted=trusted
    )
    row["customerId"] = sync_customer(account, row, now)
    revived = order_id in account.inactive_orders
    account.inactive_orders.discard(order_id)
    account.add_order(row)
    before = None if old is None or revived else old["orderStatus"]
    return Upsert(
        "stored",
        order=row,
        notify=notifies(before, status),
        order_key=order_key,
        order_number=row["orderNumber"],
    )


def _new_order_id(account: Account, values: Wire, trusted: bool) -> int:
    wanted = values["orderId"]
    if trusted and wanted is not None and wanted not in account.orders:
        account.reserve_id("order", wanted)
        return int(wanted)
    return account.new_id("order")


def change_status(
    account: Account, order_id: int, status: str, now: datetime, **fields: object
) -> bool:
    """Set an order's status (and fields); whether that change fires ORDER_NOTIFY."""
    row = clone(account.orders[order_id])
    before = row["orderStatus"]
    row.update(fields)
    row["orderStatus"] = status
    row["modifyDate"] = stamp(now)
    account.add_order(row)
    return notifies(before, status)


def touch(account: Account, order_id: int, now: datetime, **fields: object) -> Wire:
    """Change some fields of an order (not its status) and its modify date."""
    row = clone(account.orders[order_id])
    row.update(fields)
    row["modifyDate"] = stamp(now)
    account.add_order(row)
    return row


def release_due_holds(account: Account, now: datetime) -> None:
    """Orders whose hold date has come go back to ``awaiting_shipment`` (evaluated lazily).

    The change is dated when ShipStation would have made it: the start of the hold date in
    Pacific time (or the last change, if the hold was set later than that). Only the orders on
    hold are looked at, so a request does not cost more as the account fills up.
    """
    today = now.astimezone(PACIFIC).date()
    for order_id in sorted(account.held_orders):
        if order_id in account.inactive_orders:
            continue
        order = account.orders[order_id]
        day = parse_v1_date(order["holdUntilDate"])
        if day > today:
            continue
        released = max(pacific_midnight(day), instant(order["modifyDate"]))
        row = clone(order)
        row.update(orderStatus="awaiting_shipment", holdUntilDate=None, modifyDate=stamp(released))
        account.add_order(row)
