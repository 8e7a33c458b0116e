"""When a failed ShipStation call is sent again, and how long to wait first: one policy, one place.

A 429 is always sent again (ShipStation did nothing with it); its wait is enforced by the key's
budget, which was told about the 429, so the backoff here only adds jitter. Server errors and
network failures are sent again only when the call is idempotent, because for a write they
leave the outcome unknown, and a second non-idempotent write could create a twin.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from stationmaster.errors import ShipStationError


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How persistent a client is. ``attempts`` counts the first try too."""

    attempts: int = 6
    wait_initial: float = 0.5
    wait_max: float = 30.0
    wait_jitter: float = 1.0
    #: Give up after this many seconds across all attempts (None: attempts decide alone).
    timeout: float | None = 900.0

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError("a retry policy needs at least one attempt")
        if min(self.wait_initial, self.wait_max, self.wait_jitter) < 0:
            raise ValueError("retry waits cannot be negative")
        if self.timeout is not None and self.timeout <= 0:
            raise ValueError("retry timeout must be positive (or None)")

    def backoff_hook(self, *, idempotent: bool) -> Callable[[Exception], bool | float]:
        """The stamina hook: False = give up, True = exponential backoff, float = that wait."""

        def hook(exc: Exception) -> bool | float:
            if not isinstance(exc, ShipStationError):
                return False
            kind = exc.resolution.kind
            if kind == "rate_limited":
                return random.uniform(0.0, self.wait_jitter)
            return kind == "retry" and idempotent

        return hook


#: Sends once: for callers that do their own retrying (and for tests of single attempts).
NO_RETRY = RetryPolicy(attempts=1)
