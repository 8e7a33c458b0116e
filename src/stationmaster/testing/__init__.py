"""Test helpers for stationmaster users: an in-process ShipStation emulator as a pytest fixture."""
