"""ShipStation REST v1: the async client, its wire models, rate budget, paging and retries.

Stock lives in API v2 instead: :mod:`.inventory` holds its client (``InventoryClient``).
"""

from stationmaster.shipstation.budget import Budget
from stationmaster.shipstation.client import (
    DEFAULT_BASE_URL,
    Exchange,
    ShipStationClient,
    Timeouts,
)
from stationmaster.shipstation.credentials import Credentials
from stationmaster.shipstation.inventory import (
    InventoryChange,
    InventoryClient,
    InventoryCredentials,
    InventoryLevel,
)
from stationmaster.shipstation.paging import SkippedRecord
from stationmaster.shipstation.retry import NO_RETRY, RetryPolicy

__all__ = [
    "DEFAULT_BASE_URL",
    "NO_RETRY",
    "Budget",
    "Credentials",
    "Exchange",
    "InventoryChange",
    "InventoryClient",
    "InventoryCredentials",
    "InventoryLevel",
    "RetryPolicy",
    "ShipStationClient",
    "SkippedRecord",
    "Timeouts",
]
