"""An in-memory ShipStation REST v1 emulator (ASGI), with a control API for tests.

::

    from stationmaster.emulator import Emulator, EmulatorConfig

    emu = Emulator(EmulatorConfig(api_key="K", api_secret="S"))
    async with httpx2.AsyncClient(transport=emu.transport(), base_url=emu.base_url,
                                  auth=("K", "S")) as client:
        stores = (await client.get("/stores")).json()

``serve()`` runs it over real HTTP. ``docs/emulator.md`` documents the control API and every
configuration key.
"""

from stationmaster.emulator.calls import RecordedCall
from stationmaster.emulator.clock import Clock, ManualClock, SystemClock
from stationmaster.emulator.config import EmulatorConfig
from stationmaster.emulator.delivery import DeliveryResult
from stationmaster.emulator.emulator import Emulator
from stationmaster.emulator.faults import ActiveFault, FaultKind, FaultSpec
from stationmaster.emulator.refusals import Missing, Refused
from stationmaster.emulator.server import EmulatorServer, serve
from stationmaster.emulator.transport import EmulatorTransport

__all__ = [
    "ActiveFault",
    "Clock",
    "DeliveryResult",
    "Emulator",
    "EmulatorConfig",
    "EmulatorServer",
    "EmulatorTransport",
    "FaultKind",
    "FaultSpec",
    "ManualClock",
    "Missing",
    "RecordedCall",
    "Refused",
    "SystemClock",
    "serve",
]
