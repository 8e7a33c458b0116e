"""Fixtures for the emulator tests: a fresh emulator on a manual clock and a raw HTTP client."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx2
import pytest

from stationmaster.emulator import Emulator, EmulatorConfig, ManualClock
from tests.emulator.helpers import KEY, SECRET, START


@pytest.fixture
def config() -> EmulatorConfig:
    """Override per test module (or use ``make_emulator``) to change switches."""
    return EmulatorConfig(api_key=KEY, api_secret=SECRET)


@pytest.fixture
def emu(config: EmulatorConfig) -> Emulator:
    return Emulator(config, clock=ManualClock(START))


@pytest.fixture
async def client(emu: Emulator) -> AsyncIterator[httpx2.AsyncClient]:
    async with httpx2.AsyncClient(
        transport=emu.transport(), base_url=emu.base_url, auth=(KEY, SECRET)
    ) as http:
        yield http


@pytest.fixture
def shared() -> Path:
    """The shared reference folder; its absence is a failure, not a skip."""
    path = Path(__file__).resolve().parents[3] / "shared"
    assert path.is_dir(), f"shared reference folder missing: {path}"
    return path
