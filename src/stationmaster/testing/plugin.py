"""pytest plugin (``pytest11`` entry point): a running in-process ShipStation emulator per test.

Installed with stationmaster, so any project's tests can ask for ``shipstation_emulator``::

    async def test_my_sync(shipstation_emulator):
        emulator, client = shipstation_emulator.emulator, shipstation_emulator.client
        emulator.seed(orders=[...])
        orders = await client.orders.list()

Override ``shipstation_emulator_config`` to change the emulator's switches (rate limit,
locked-update behaviour, ...). The fixture is synchronous, so it works with any async test
runner (anyio, pytest-asyncio) and in plain synchronous tests that drive the emulator directly.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from stationmaster.emulator import Emulator, EmulatorConfig
from stationmaster.shipstation import Budget, Credentials, RetryPolicy, ShipStationClient, Timeouts
from stationmaster.shipstation.client import ExchangeObserver

#: Retries in tests should not wait seconds between attempts.
FAST_RETRY = RetryPolicy(attempts=6, wait_initial=0.0, wait_max=0.05, wait_jitter=0.01)


@dataclass
class EmulatedShipStation:
    """An emulator and a client bound to it through the in-process transport."""

    emulator: Emulator
    client: ShipStationClient
    credentials: Credentials


def make_client(
    emulator: Emulator,
    *,
    credentials: Credentials | None = None,
    budget: Budget | None = None,
    retry: RetryPolicy = FAST_RETRY,
    timeouts: Timeouts | None = None,
    observer: ExchangeObserver | None = None,
) -> ShipStationClient:
    """A client wired to ``emulator`` in-process, with a budget matching its rate limit.

    The in-process transport holds no sockets, so a client needs no closing in tests.
    """
    config = emulator.config
    return ShipStationClient(
        credentials or Credentials(config.api_key, config.api_secret),
        base_url=emulator.base_url,
        transport=emulator.transport(),
        budget=budget or Budget(limit=config.limit or 10_000, window=config.window_seconds),
        retry=retry,
        timeouts=timeouts,
        observer=observer,
    )


@pytest.fixture
def shipstation_emulator_config() -> EmulatorConfig:
    """The emulator's configuration; override this fixture to change its switches."""
    return EmulatorConfig(api_key="test-key", api_secret="test-secret")


@pytest.fixture
def shipstation_emulator(shipstation_emulator_config: EmulatorConfig) -> EmulatedShipStation:
    """A fresh emulator (seeded with a default account) and a client bound to it."""
    emulator = Emulator(shipstation_emulator_config)
    config = shipstation_emulator_config
    credentials = Credentials(config.api_key, config.api_secret)
    return EmulatedShipStation(
        emulator, make_client(emulator, credentials=credentials), credentials
    )
