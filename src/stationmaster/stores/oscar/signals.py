"""Receivers that log every change of an Oscar order into the change log.

Oscar orders carry no reliable modification stamp, so the app listens to Django's model
signals instead: a save or delete of an order or of anything an order is made of (lines and
their options and discounts, addresses, status changes, shipping events and their line
quantities, notes, discounts, surcharges, payment sources) writes one
:class:`~stationmaster.stores.oscar.models.OrderChange` row on the same database connection,
so it commits or rolls back with the change itself whenever the change runs in a transaction
(Oscar's checkout, ``ATOMIC_REQUESTS``, any ``atomic`` block).

What signals cannot see: ``QuerySet.update()``, ``bulk_create``/``bulk_update`` and raw SQL
send no signals. Catch up after such a bulk change with ``python manage.py stationmaster
resync`` (see :func:`stationmaster.stores.oscar.changelog.resync`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete
from oscar.core.loading import get_model  # type: ignore[import-untyped]

from stationmaster.stores.oscar.changelog import log_changes

OrderIds = Callable[[Any, str], Iterable[int]]
"""The ids of the orders a saved or deleted instance belongs to (instance, database alias)."""

#: Models whose rows point at their order directly.
_DIRECT = (
    ("order", "Line"),
    ("order", "LinePrice"),
    ("order", "OrderNote"),
    ("order", "OrderStatusChange"),
    ("order", "ShippingEvent"),
    ("order", "OrderDiscount"),
    ("order", "Surcharge"),
    ("payment", "Source"),
)
#: Models whose rows point at an order line.
_VIA_LINE = (("order", "LineAttribute"), ("order", "OrderLineDiscount"))
#: Addresses an order points at (the address does not know its order).
_ADDRESSES = (("order", "ShippingAddress"), ("order", "BillingAddress"))


def _the_order(instance: Any, using: str) -> Iterable[int]:
    return [instance.pk]


def _direct(instance: Any, using: str) -> Iterable[int]:
    return [instance.order_id] if instance.order_id is not None else []


def _via_line(instance: Any, using: str) -> Iterable[int]:
    lines = get_model("order", "Line")._default_manager.using(using)
    ids: list[int] = list(lines.filter(pk=instance.line_id).values_list("order_id", flat=True))
    return ids


def _via_event(instance: Any, using: str) -> Iterable[int]:
    events = get_model("order", "ShippingEvent")._default_manager.using(using)
    ids: list[int] = list(events.filter(pk=instance.event_id).values_list("order_id", flat=True))
    return ids


def _via_address(field: str) -> OrderIds:
    def orders_of(instance: Any, using: str) -> Iterable[int]:
        orders = get_model("order", "Order")._default_manager.using(using)
        ids: list[int] = list(orders.filter(**{field: instance.pk}).values_list("pk", flat=True))
        return ids

    return orders_of


def _on_change(order_ids: OrderIds) -> Callable[..., None]:
    """A save/delete receiver logging a change of every order the instance belongs to."""

    def receiver(sender: Any, instance: Any, using: str, **kwargs: Any) -> None:
        log_changes(order_ids(instance, using), sender._meta.model_name, using=using)

    return receiver


def _on_event_lines(sender: Any, instance: Any, action: str, using: str, **kwargs: Any) -> None:
    """``ShippingEvent.lines`` changed through a related manager (``add``, ``remove``, ...).

    The instance is the event, or the line when changed from the line's side; both know their
    order.
    """
    if action.startswith("post_"):
        log_changes([instance.order_id], "shippingevent", using=using)


_SIGNALS = {post_save: "post_save", post_delete: "post_delete", pre_delete: "pre_delete"}


def connect() -> None:
    """Connect every receiver (idempotent: each has a ``dispatch_uid``)."""
    plan: list[tuple[Any, OrderIds, tuple[Any, ...]]] = [
        (get_model("order", "Order"), _the_order, (post_save, post_delete))
    ]
    plan += [(get_model(*name), _direct, (post_save, post_delete)) for name in _DIRECT]
    plan += [(get_model(*name), _via_line, (post_save, post_delete)) for name in _VIA_LINE]
    plan.append((get_model("order", "ShippingEventQuantity"), _via_event, (post_save, post_delete)))
    for name, field in zip(_ADDRESSES, ("shipping_address", "billing_address"), strict=True):
        # Before the delete: Django clears the orders' reference first, without a signal.
        plan.append((get_model(*name), _via_address(field), (post_save, pre_delete)))
    for model, order_ids, signals in plan:
        receiver = _on_change(order_ids)
        for signal in signals:
            uid = f"stationmaster_oscar:{model._meta.label}:{_SIGNALS[signal]}"
            signal.connect(receiver, sender=model, weak=False, dispatch_uid=uid)
    event_lines = get_model("order", "ShippingEvent").lines.through
    m2m_changed.connect(
        _on_event_lines, sender=event_lines, weak=False, dispatch_uid="stationmaster_oscar:lines"
    )
