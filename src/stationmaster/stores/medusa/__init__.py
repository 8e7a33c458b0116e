"""The Medusa connector: orders, statuses and fulfillments through Medusa v2's Admin REST API.

Opened by the ``medusa`` store kind (:mod:`.kind`); :class:`MedusaStore` is the store.
"""

from stationmaster.stores.medusa.connector import MedusaStore
from stationmaster.stores.medusa.kind import MedusaSettings, open_medusa

__all__ = ["MedusaSettings", "MedusaStore", "open_medusa"]
