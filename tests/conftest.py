"""Shared test settings: async tests on asyncio (anyio's plugin), and the database fixtures."""

import pytest

pytest_plugins = ["stationmaster.testing.databases"]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
