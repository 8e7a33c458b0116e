"""Contract tests: the real client against the in-process emulator, through the pytest plugin."""

from __future__ import annotations

import pytest

from stationmaster.emulator import EmulatorConfig


@pytest.fixture
def shipstation_emulator_config() -> EmulatorConfig:
    return EmulatorConfig(api_key="contract-key", api_secret="contract-secret-value")
