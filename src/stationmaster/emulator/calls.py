"""The record of API calls the emulator answered (what a test asserts its client sent)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pydantic import JsonValue

from stationmaster.emulator.query import Query

#: How much of a body that is not JSON the record keeps.
RAW_BODY_KEPT = 2000


@dataclass(frozen=True)
class RecordedCall:
    """One API request: never its credentials (no headers are kept, secret-like parameters
    are dropped from the query)."""

    method: str
    path: str
    query: dict[str, str | list[str]]
    #: The answer's status; ``None`` when the connection was dropped without one.
    status: int | None
    #: The parsed JSON body (``None`` when empty; the text when it was not JSON).
    body: JsonValue
    #: When it was answered (the emulator's wall time).
    time: datetime
    #: When it arrived, on the emulator's monotonic clock: the reading its rate window counted
    #: it at, however long the answer then took.
    arrived: float

    def to_json(self) -> dict[str, JsonValue]:
        return {
            "method": self.method,
            "path": self.path,
            "query": {k: v if isinstance(v, str) else list(v) for k, v in self.query.items()},
            "status": self.status,
            "body": self.body,
            "time": self.time.isoformat(),
            "arrived": self.arrived,
        }


@dataclass(frozen=True)
class Arrival:
    """A request as it arrived, until its answer's status is known (both gateways record so)."""

    method: str
    path: str
    query: Query
    body: JsonValue
    raw_body: bytes
    #: The emulator's monotonic clock when the request arrived.
    at: float

    def recorded(
        self, status: int | None, answered: datetime, *, keep_body: bool = True
    ) -> RecordedCall:
        """The call as the record keeps it; ``keep_body=False`` drops the body (a fleet taking
        a million orders only needs to count its calls)."""
        kept = self.body if keep_body else None
        if keep_body and kept is None and self.raw_body.strip():
            kept = self.raw_body.decode("utf-8", "replace")[:RAW_BODY_KEPT]
        return RecordedCall(
            self.method.upper(), self.path, self.query.public(), status, kept, answered, self.at
        )
