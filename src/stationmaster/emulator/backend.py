"""What every endpoint handler works with: configuration, clock, account data and faults."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from stationmaster.emulator.clock import Clock
from stationmaster.emulator.config import EmulatorConfig
from stationmaster.emulator.faults import FaultQueue
from stationmaster.emulator.state import Account


@dataclass
class Backend:
    """One emulated account and the machinery around it; handlers take it as first argument."""

    config: EmulatorConfig
    clock: Clock
    account: Account
    faults: FaultQueue
    #: The emulator's public address (resource URLs in webhooks point here).
    base_url: Callable[[], str]

    def now(self) -> datetime:
        return self.clock.now()
