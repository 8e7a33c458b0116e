"""ShipStation v1 endpoints, one small namespace per resource (``client.orders.list(...)``)."""

from stationmaster.shipstation.resources.account import (
    Accounts,
    Carriers,
    Customers,
    Products,
    Stores,
    Users,
    Warehouses,
)
from stationmaster.shipstation.resources.orders import Orders
from stationmaster.shipstation.resources.shipments import Fulfillments, Shipments
from stationmaster.shipstation.resources.webhooks import Webhooks

__all__ = [
    "Accounts",
    "Carriers",
    "Customers",
    "Fulfillments",
    "Orders",
    "Products",
    "Shipments",
    "Stores",
    "Users",
    "Warehouses",
    "Webhooks",
]
