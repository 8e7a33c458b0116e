"""The ``shipstation_emulator`` fixture works in a user's own test suite, as installed."""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]

USER_TESTS = """
import anyio
import pytest

from stationmaster.emulator import EmulatorConfig


@pytest.fixture
def shipstation_emulator_config():
    return EmulatorConfig(api_key="mine", api_secret="also-mine", limit=3, window_seconds=60)


def test_sync_use(shipstation_emulator):
    assert shipstation_emulator.emulator.config.limit == 3
    assert shipstation_emulator.credentials.api_key == "mine"


def test_async_use(shipstation_emulator):
    async def main():
        stores = await shipstation_emulator.client.stores.list()
        assert stores
        return stores
    assert anyio.run(main)
"""


def test_fixture_is_available_to_any_project(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_user=USER_TESTS)
    result = pytester.runpytest_subprocess("-q")
    result.assert_outcomes(passed=2)
