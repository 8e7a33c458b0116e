"""ShipStation's rate limit: a fixed window of N requests per key pair, and its headers.

The window opens with the first counted request and closes ``window`` seconds later; the next
counted request after that opens a new one. Times come from the emulator's monotonic clock, so
tests advance the clock instead of sleeping.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass
class _Window:
    opened: float
    used: int


@dataclass(frozen=True)
class Budget:
    """One key pair's standing at one moment, as the three ``X-Rate-Limit-*`` headers say it."""

    limit: int
    remaining: int
    reset_seconds: int

    @property
    def exhausted(self) -> bool:
        return self.remaining <= 0

    def headers(self, *, reset_override: int | None = None) -> tuple[tuple[str, str], ...]:
        reset = self.reset_seconds if reset_override is None else reset_override
        return (
            ("X-Rate-Limit-Limit", str(self.limit)),
            ("X-Rate-Limit-Remaining", str(max(self.remaining, 0))),
            ("X-Rate-Limit-Reset", str(reset)),
        )


class FixedWindowLimiter:
    """Counts requests per identity (a key pair's digest) in fixed windows."""

    def __init__(self, limit: int, window_seconds: float) -> None:
        self.limit = limit
        self.window_seconds = window_seconds
        self._windows: dict[str, _Window] = {}

    def _current(self, identity: str, now: float) -> _Window | None:
        window = self._windows.get(identity)
        if window is not None and now >= window.opened + self.window_seconds:
            del self._windows[identity]
            return None
        return window

    def budget(self, identity: str, now: float) -> Budget:
        window = self._current(identity, now)
        if window is None:
            return Budget(self.limit, self.limit, math.ceil(self.window_seconds))
        left = window.opened + self.window_seconds - now
        return Budget(self.limit, self.limit - window.used, max(math.ceil(left), 0))

    def spend(self, identity: str, now: float) -> Budget:
        """Count one request and return the standing after it."""
        window = self._current(identity, now)
        if window is None:
            window = self._windows[identity] = _Window(opened=now, used=0)
        window.used += 1
        return self.budget(identity, now)

    def clear(self) -> None:
        self._windows.clear()
