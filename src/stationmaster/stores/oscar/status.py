"""Order statuses written through Oscar's own pipeline.

The status goes through the shop's ``EventHandler.handle_order_status_change``, so Oscar's
``OSCAR_ORDER_STATUS_PIPELINE`` decides what may follow what, its cascade moves the lines,
``order_status_changed`` fires and an ``OrderStatusChange`` row records the move. The status
names are the shop's own; stationmaster's rules name them (nothing is hard-coded here).
"""

from __future__ import annotations

from django.db import transaction
from oscar.core.loading import get_class, get_model  # type: ignore[import-untyped]

from stationmaster.stores.oscar.errors import IllegalStatusChange


def set_status(pk: int, status: str) -> bool:
    """Move order ``pk`` to ``status``; ``False`` when it already has it.

    :class:`IllegalStatusChange` (nothing changed) when the pipeline forbids the move;
    Oscar's ``Order.DoesNotExist`` when there is no such order.
    """
    invalid = get_class("order.exceptions", "InvalidOrderStatus")
    orders = get_model("order", "Order")._default_manager
    with transaction.atomic():
        order = orders.select_for_update().get(pk=pk)
        if order.status == status:
            return False
        handler = get_class("order.processing", "EventHandler")()
        try:
            handler.handle_order_status_change(order, status)
        except invalid:
            raise IllegalStatusChange(
                order.number, order.status, status, list(order.available_statuses())
            ) from None
    return True
