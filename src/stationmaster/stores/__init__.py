"""Store connectors: the protocol every store implements, and the connectors themselves."""

from stationmaster.stores.protocol import Capability, ChangeBatch, Store, StoreError, Unreadable

__all__ = ["Capability", "ChangeBatch", "Store", "StoreError", "Unreadable"]
