"""The Vendure connector: orders, statuses, fulfillments and stock through the Admin GraphQL API.

Opened by the ``vendure`` store kind (:mod:`.kind`); :class:`VendureStore` is the store.
"""

from stationmaster.stores.vendure.connector import VendureStore
from stationmaster.stores.vendure.kind import VendureSettings, open_vendure

__all__ = ["VendureSettings", "VendureStore", "open_vendure"]
