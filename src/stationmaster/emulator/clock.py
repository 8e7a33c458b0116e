"""The emulator's sense of time: wall time for timestamps, a monotonic reading for windows.

Everything time-dependent in the emulator (create/modify dates, hold dates, rate-limit windows,
webhook delays) reads one clock, so a test can move time forward instead of sleeping.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Protocol

from stationmaster.wiretime import utcnow


class Clock(Protocol):
    """What the emulator needs from a clock."""

    def now(self) -> datetime:
        """The current instant, aware and in UTC."""
        ...

    def monotonic(self) -> float:
        """Seconds on a clock that never goes back (for windows and delays)."""
        ...

    def advance(self, seconds: float) -> None:
        """Move time forward by ``seconds``."""
        ...


def _forward(seconds: float) -> float:
    if seconds < 0:
        raise ValueError(f"time only moves forward; got {seconds} seconds")
    return seconds


class SystemClock:
    """Real time plus however far tests have advanced it (the default clock)."""

    def __init__(self) -> None:
        self._offset = 0.0

    def now(self) -> datetime:
        return utcnow() + timedelta(seconds=self._offset)

    def monotonic(self) -> float:
        return time.monotonic() + self._offset

    def advance(self, seconds: float) -> None:
        self._offset += _forward(seconds)


class ManualClock:
    """A clock that stands still until advanced: exact, repeatable timestamps and windows."""

    def __init__(self, start: datetime | None = None) -> None:
        begin = start if start is not None else utcnow()
        if begin.tzinfo is None:
            raise ValueError("ManualClock needs an aware start time")
        self._now = begin.astimezone(UTC)
        self._elapsed = 0.0

    def now(self) -> datetime:
        return self._now

    def monotonic(self) -> float:
        return self._elapsed

    def advance(self, seconds: float) -> None:
        step = _forward(seconds)
        self._now += timedelta(seconds=step)
        self._elapsed += step
