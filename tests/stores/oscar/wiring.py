"""An Oscar connection wired to an in-process ShipStation emulator, as the runner builds it."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine

from stationmaster.config import ConnectionConfig, ShipStationConfig, StoreConfig
from stationmaster.emulator import Emulator, EmulatorConfig
from stationmaster.engine.runner import Runtime, build_runtime
from stationmaster.shipstation import Credentials
from stationmaster.testing.plugin import FAST_RETRY

#: The shop's statuses, as the connection's rules name them.
RULES: dict[str, object] = {
    "status": {
        "map": {
            "Pending": "awaiting_shipment",
            "Being processed": "awaiting_shipment",
            "Partially shipped": "awaiting_shipment",
            "Shipped": "shipped",
            "Cancelled": "cancelled",
        }
    },
    "tracking": {"shipped": "Shipped", "partially_shipped": "Partially shipped"},
}


@dataclass
class Wired:
    """The emulator and the connection's runtime (push, tracker, lease)."""

    emulator: Emulator
    runtime: Runtime

    def remote(self) -> dict[str, dict[str, object]]:
        """The emulator's orders by orderKey."""
        return {order["orderKey"]: order for order in self.emulator.orders()}


async def wired(engine: AsyncEngine) -> Wired:
    """A connection ``shop`` (source ``oscar``) on the test shop, pushing to a new emulator."""
    emulator = Emulator(EmulatorConfig(api_key="k", api_secret="s", limit=None))
    config = ConnectionConfig(
        name="shop",
        source="oscar",
        store=StoreConfig(kind="oscar"),
        shipstation=ShipStationConfig(base_url=emulator.base_url),
        rules=RULES,
    )
    runtime = await build_runtime(
        config,
        engine,
        owner="test",
        credentials=Credentials("k", "s"),
        transport=emulator.transport(),
    )
    runtime.push.client.retry = FAST_RETRY
    return Wired(emulator, runtime)
