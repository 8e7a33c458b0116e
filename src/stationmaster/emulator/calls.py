"""The record of API calls the emulator answered (what a test asserts its client sent)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pydantic import JsonValue


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
    time: datetime

    def to_json(self) -> dict[str, JsonValue]:
        return {
            "method": self.method,
            "path": self.path,
            "query": {k: v if isinstance(v, str) else list(v) for k, v in self.query.items()},
            "status": self.status,
            "body": self.body,
            "time": self.time.isoformat(),
        }
