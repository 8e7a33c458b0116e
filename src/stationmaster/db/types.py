"""Column types and value shapes shared by every table: aware-UTC times and JSON documents.

SQLite has no time zone type: it stores what it is given and hands back naive values. The
:class:`UTCDateTime` decorator makes both databases behave alike: a naive datetime is refused
before it is written (it is a bug upstream, and guessing its zone would corrupt ordering), and
every datetime read back is aware and in UTC.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any, TypeAlias

from sqlalchemy import JSON, DateTime, Dialect
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.types import TypeDecorator, TypeEngine

from stationmaster.db.errors import InvalidStateInput, NaiveDatetimeError

#: A JSON document as stored (an order payload, settings, a budget snapshot). Its shape belongs
#: to whoever wrote it, who validates it with their own model when reading it back; typing it
#: any tighter here would force a cast at every one of those readers.
JsonObject: TypeAlias = dict[str, Any]

#: Any JSON value (a cursor may be a number, a timestamp string or an object).
JsonValue: TypeAlias = "str | int | float | bool | list[JsonValue] | dict[str, JsonValue] | None"


def canonical_json(value: object, what: str = "payload") -> str:
    """One text per JSON value (sorted keys, no NaN), or :class:`InvalidStateInput` saying why.

    Fingerprints and comparisons use it, and checking with it before writing turns a value
    the database cannot store into a clear error instead of a driver's ``TypeError``.
    """
    try:
        return json.dumps(value, sort_keys=True, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise InvalidStateInput(f"{what} is not storable as JSON: {exc}") from None


def require_aware(value: datetime, name: str = "datetime") -> datetime:
    """``value`` in UTC, or :class:`NaiveDatetimeError` if it carries no time zone."""
    if not isinstance(value, datetime):
        raise NaiveDatetimeError(f"{name} must be an aware datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise NaiveDatetimeError(
            f"{name} {value!r} is naive: stationmaster stores only aware datetimes "
            "(use stationmaster.wiretime.utcnow() or attach a tzinfo)"
        )
    return value.astimezone(UTC)


def seconds(value: timedelta | float, name: str) -> timedelta:
    """A positive duration from a ``timedelta`` or a number of seconds."""
    duration = value if isinstance(value, timedelta) else timedelta(seconds=value)
    if duration <= timedelta(0):
        raise ValueError(f"{name} must be positive, got {value!r}")
    return duration


class UTCDateTime(TypeDecorator[datetime]):
    """``TIMESTAMP WITH TIME ZONE`` that only ever holds, and returns, aware UTC datetimes."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        utc = require_aware(value)
        # SQLite keeps the text as given; writing naive UTC keeps its strings sortable.
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def json_column_type() -> TypeEngine[Any]:
    """JSON everywhere, JSONB on PostgreSQL; Python ``None`` is stored as SQL ``NULL``."""
    return JSON(none_as_null=True).with_variant(JSONB(none_as_null=True), "postgresql")
