"""The shop's order processing: Oscar's, plus a dispatch e-mail per shipping event.

Oscar finds this class through ``get_class("order.processing", "EventHandler")``; the
connector must go through it, so the shop's own rules (here: the e-mail) run for every
package stationmaster records.
"""

from typing import Any

from django.core import mail
from oscar.apps.order import processing


class EventHandler(processing.EventHandler):
    def handle_shipping_event(
        self, order: Any, event_type: Any, lines: Any, line_quantities: Any, **kwargs: Any
    ) -> Any:
        event = super().handle_shipping_event(order, event_type, lines, line_quantities, **kwargs)
        mail.send_mail(
            subject=f"Order {order.number}: {event_type.name}",
            message=f"Your parcel is on its way: {kwargs.get('reference', '')}",
            from_email="shop@example.com",
            recipient_list=[order.email],
        )
        return event
