"""Builders shared by the emulator tests: orders in ShipStation's wire shape, and the clock."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

#: 10:00 Pacific (PST) on a Monday: far from DST changes and from midnight.
START = datetime(2026, 3, 2, 18, 0, tzinfo=UTC)
KEY, SECRET = "K", "S"


def new_order(number: str = "ORD-1", key: str | None = "acme:1", **fields: Any) -> dict[str, Any]:
    """A valid order for ``createorder``; ``fields`` replace top-level fields."""
    order: dict[str, Any] = {
        "orderNumber": number,
        "orderKey": key,
        "orderDate": "2026-03-02T07:55:00.0000000",
        "paymentDate": "2026-03-02 07:56:00",
        "orderStatus": "awaiting_shipment",
        "customerUsername": "mkim",
        "customerEmail": "min.kim@example.com",
        "billTo": {"name": "Min Kim"},
        "shipTo": {
            "name": "Min Kim",
            "street1": "9 Harbor Way",
            "city": "Seattle",
            "state": "WA",
            "postalCode": "98101",
            "country": "US",
            "residential": True,
        },
        "items": [
            {
                "lineItemKey": "line-1",
                "sku": "TEAPOT-CER-1L",
                "name": "Ceramic Teapot 1 L",
                "quantity": 2,
                "unitPrice": 10.1,
                "weight": {"value": 8, "units": "ounces"},
                "options": [{"name": "Glaze", "value": "Celadon"}],
            },
            {
                "lineItemKey": "line-2",
                "sku": "TEA-SENCHA-100",
                "name": "Loose Leaf Sencha",
                "quantity": 3,
                "unitPrice": 0.2,
                "weight": {"value": 4, "units": "ounces"},
            },
        ],
        "amountPaid": 26.0,
        "taxAmount": 1.15,
        "shippingAmount": 4.05,
        "weight": {"value": 28, "units": "ounces"},
    }
    if key is None:
        del order["orderKey"]
    order.update(copy.deepcopy(fields))
    return order
