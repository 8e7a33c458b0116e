"""Field types for ShipStation's v1 wire: Pacific times, JSON-number decimals, lenient blanks.

Every type here validates into what stationmaster uses inside (aware UTC ``datetime``,
``date``, ``Decimal``) and serialises, in JSON mode only, back into what ShipStation writes.
Python-mode dumps keep the Python objects, so code that works on models never sees wire text.

Offsets: ShipStation never sends ``Z`` or ``±hh:mm``; a body that carries one is refused
unless the validation context says otherwise (``{OFFSETS_CONTEXT_KEY: "ignore"}``), which is
how the emulator applies its ``v1.filter_offset_mode`` switch to request bodies.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Annotated, Final, TypeVar, cast, get_args

from pydantic import BeforeValidator, PlainSerializer, ValidationInfo

from stationmaster.wiretime import (
    PACIFIC,
    OffsetMode,
    WireTimeError,
    pacific_midnight,
    parse_v1,
    parse_v1_date,
    render_v1,
    render_v1_date,
    render_v1_filter,
    render_v1_short,
)

OFFSETS_CONTEXT_KEY: Final = "v1_offsets"
"""Validation-context key choosing what a zone designator in a body does (default reject)."""

_OFFSET_MODES: Final = frozenset(get_args(OffsetMode))

# The store refresh-status call has been seen answering ``8-13-2014`` (M-d-yyyy).
_US_DATE = re.compile(r"(\d{1,2})-(\d{1,2})-(\d{4})", re.ASCII)


def _offset_mode(info: ValidationInfo) -> OffsetMode:
    context = info.context
    if not isinstance(context, Mapping) or OFFSETS_CONTEXT_KEY not in context:
        return "reject"
    mode = context[OFFSETS_CONTEXT_KEY]
    if mode not in _OFFSET_MODES:
        raise ValueError(
            f"{OFFSETS_CONTEXT_KEY} must be one of {sorted(_OFFSET_MODES)}, got {mode!r}"
        )
    return cast(OffsetMode, mode)


def _require_aware(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(
            f"naive datetime {value.isoformat()!r}: give an aware datetime (UTC, say); "
            "stationmaster never guesses a time zone"
        )
    return value


def _instant(value: object, info: ValidationInfo) -> datetime:
    """Wire text, an aware datetime or a Pacific calendar date, as an aware UTC datetime."""
    if isinstance(value, datetime):
        return _require_aware(value).astimezone(UTC)
    if isinstance(value, date):
        return pacific_midnight(value)
    if isinstance(value, str):
        return parse_v1(value, offsets=_offset_mode(info))
    raise ValueError(
        f"expected a ShipStation v1 time string or an aware datetime, got {type(value).__name__}"
    )


def _loose_instant(value: object, info: ValidationInfo) -> datetime:
    """Like ``_instant``, plus the ``M-d-yyyy`` form, read as midnight Pacific."""
    if isinstance(value, str) and (match := _US_DATE.fullmatch(value.strip())):
        month, day, year = (int(part) for part in match.groups())
        try:
            return pacific_midnight(date(year, month, day))
        except ValueError as exc:
            raise WireTimeError(f"not a real date: {value!r}") from exc
    return _instant(value, info)


def _calendar_date(value: object, info: ValidationInfo) -> date:
    """A Pacific calendar date from ``yyyy-MM-dd``, a midnight v1 time, a date or a datetime."""
    if isinstance(value, datetime):
        return _require_aware(value).astimezone(PACIFIC).date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        text = value.strip()
        if len(text) == len("yyyy-mm-dd"):
            return parse_v1_date(text)
        local = parse_v1(text, offsets=_offset_mode(info)).astimezone(PACIFIC)
        if local.time() != time(0):
            raise WireTimeError(f"a date field got a time of day: {value!r}")
        return local.date()
    raise ValueError(f"expected a yyyy-MM-dd string, a date or an aware datetime, got {value!r}")


def _json_number(value: Decimal) -> int | float:
    """A Decimal as a JSON number: an int when it has no fraction digits, else a float.

    ShipStation reads amounts as JSON numbers, not strings. A float carries every amount with
    up to 15 significant digits exactly; anything it would round is refused, never rounded.
    """
    if not value.is_finite():
        raise ValueError(f"{value} is not a number ShipStation accepts")
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent >= 0:
        return int(value)
    number = float(value)
    if Decimal(repr(number)) != value:
        raise ValueError(f"{value} cannot be sent as a JSON number without losing precision")
    return number


V1DateTime = Annotated[
    datetime,
    BeforeValidator(_instant),
    PlainSerializer(render_v1, return_type=str, when_used="json"),
]
"""A v1 datetime: Pacific wall time on the wire (``…T09:40:12.1230000``), aware UTC inside."""

V1ShortDateTime = Annotated[
    datetime,
    BeforeValidator(_instant),
    PlainSerializer(render_v1_short, return_type=str, when_used="json"),
]
"""A v1 datetime ShipStation writes with 0-3 fraction digits (order items, stores, products)."""

V1FilterDateTime = Annotated[
    datetime,
    BeforeValidator(_instant),
    PlainSerializer(render_v1_filter, return_type=str, when_used="json"),
]
"""A v1 datetime sent as ``yyyy-MM-dd HH:mm:ss`` (``refreshstore.refreshDate``)."""

V1LooseDateTime = Annotated[
    datetime,
    BeforeValidator(_loose_instant),
    PlainSerializer(render_v1, return_type=str, when_used="json"),
]
"""A v1 datetime that may also arrive as ``M-d-yyyy`` (store refresh status)."""

V1Date = Annotated[
    date,
    BeforeValidator(_calendar_date),
    PlainSerializer(render_v1_date, return_type=str, when_used="json"),
]
"""A Pacific calendar date, ``yyyy-MM-dd`` on the wire."""

Money = Annotated[Decimal, PlainSerializer(_json_number, return_type=int | float, when_used="json")]
"""An amount of money (account currency, customs in USD): ``Decimal`` inside, a JSON number out."""

Measure = Money
"""A weight or a length: the same exact decimal as money, named for what it measures."""

ItemT = TypeVar("ItemT")


def _blank_as_none(value: object) -> object:
    return None if value == "" else value


BlankAsNone = BeforeValidator(_blank_as_none)
"""Some responses put ``""`` where a bool or a list belongs; it means "not given"."""


def _drop_nulls(value: object) -> object:
    return [item for item in value if item is not None] if isinstance(value, list) else value


NullDroppingList = Annotated[list[ItemT], BeforeValidator(_drop_nulls)]
"""A list whose ``null`` elements are dropped: ShipStation's lists have been seen holding them."""
