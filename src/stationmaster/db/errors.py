"""The errors the state layer raises on purpose, each naming what was wrong and what is kept.

They all derive from :class:`stationmaster.errors.StationmasterError`, so a caller that handles
"anything stationmaster refused" catches these too, and from ``ValueError`` or ``LookupError``
where the failure is one of input, so generic code reads them right.
"""

from __future__ import annotations

from stationmaster.errors import StationmasterError


class StateError(StationmasterError):
    """The state layer refused an operation; nothing it would have written was kept."""


class NaiveDatetimeError(StateError, ValueError):
    """A datetime without a time zone reached the database; every stored time is aware UTC."""


class InvalidStateInput(StateError, ValueError):
    """A value cannot be stored as given (wrong kind, not JSON, empty key, ...)."""


class UnknownConnection(StateError, LookupError):
    """The named connection has no row; call ``ensure_connection`` first."""

    def __init__(self, name: str) -> None:
        super().__init__(f"unknown connection {name!r}: ensure_connection() must create it first")
        self.name = name


class SyncStartImmutable(StateError):
    """A connection's sync start is already set to another value and may never change."""

    def __init__(self, name: str, current: object, requested: object) -> None:
        super().__init__(
            f"connection {name!r} already has sync_start {current}; it cannot change to "
            f"{requested} (orders before the first value were deliberately never synced)"
        )
        self.name = name


class UnknownNativeOrder(StateError, LookupError):
    """No native order has this source id on this connection."""

    def __init__(self, connection: str, source_id: str) -> None:
        super().__init__(f"no native order {source_id!r} on connection {connection!r}")


class InsufficientStock(StateError, ValueError):
    """A stock adjustment would take ``on_hand`` below zero; the level is left as it was."""

    def __init__(self, connection: str, sku: str, on_hand: int, delta: int) -> None:
        super().__init__(
            f"stock of {sku!r} on connection {connection!r} is {on_hand}; adjusting by {delta} "
            "would go below zero (pass allow_negative=True to permit backorders)"
        )
        self.sku = sku
        self.on_hand = on_hand
        self.delta = delta
