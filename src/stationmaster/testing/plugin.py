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

from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from stationmaster.emulator import Emulator, EmulatorConfig
from stationmaster.shipstation import Budget, Credentials, RetryPolicy, ShipStationClient

#: Retries in tests should not wait seconds between attempts.
FAST_RETRY = RetryPolicy(attempts=6, wait_initial=0.0, wait_max=0.05, wait_jitter=0.01)


@dataclass
class EmulatedShipStation:
    """An emulator and a client bound to it through the in-process transport."""

    emulator: Emulator
    client: ShipStationClient
    credentials: Credentials
    _extra: list[ShipStationClient] = field(default_factory=list)

    def new_client(self, **overrides: object) -> ShipStationClient:
        """Another client on the same emulator (e.g. with other credentials or budget)."""
        client = make_client(self.emulator, **overrides)
        self._extra.append(client)
        return client


def make_client(emulator: Emulator, **overrides: object) -> ShipStationClient:
    """A client wired to ``emulator`` in-process, with a budget matching its rate limit."""
    config = emulator.config
    options: dict[str, object] = {
        "base_url": emulator.base_url,
        "transport": emulator.transport(),
        "budget": Budget(limit=config.limit or 10_000, window=config.window_seconds),
        "retry": FAST_RETRY,
    }
    options.update(overrides)
    credentials = options.pop("credentials", None) or Credentials(config.api_key, config.api_secret)
    return ShipStationClient(credentials, **options)  # type: ignore[arg-type]


@pytest.fixture
def shipstation_emulator_config() -> EmulatorConfig:
    """The emulator's configuration; override this fixture to change its switches."""
    return EmulatorConfig(api_key="test-key", api_secret="test-secret")


@pytest.fixture
def shipstation_emulator(
    shipstation_emulator_config: EmulatorConfig,
) -> Iterator[EmulatedShipStation]:
    """A fresh emulator (seeded with a default account) and a client bound to it."""
    emulator = Emulator(shipstation_emulator_config)
    config = shipstation_emulator_config
    credentials = Credentials(config.api_key, config.api_secret)
    yield EmulatedShipStation(emulator, make_client(emulator), credentials)
