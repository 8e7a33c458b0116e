"""ShipStation REST v1: the async client, its wire models, rate budget, paging and retries."""

from stationmaster.shipstation.budget import Budget
from stationmaster.shipstation.client import (
    DEFAULT_BASE_URL,
    Exchange,
    ShipStationClient,
    Timeouts,
)
from stationmaster.shipstation.credentials import Credentials
from stationmaster.shipstation.paging import SkippedRecord
from stationmaster.shipstation.retry import NO_RETRY, RetryPolicy

__all__ = [
    "DEFAULT_BASE_URL",
    "NO_RETRY",
    "Budget",
    "Credentials",
    "Exchange",
    "RetryPolicy",
    "ShipStationClient",
    "SkippedRecord",
    "Timeouts",
]
