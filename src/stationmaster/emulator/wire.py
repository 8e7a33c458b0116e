"""ShipStation's wire conventions inside the emulator: JSON bytes, money, timestamps, ids.

Stored objects are plain dicts in ShipStation's wire shape (``Wire``); their values are JSON
values that :mod:`stationmaster.emulator.checks` has already checked, which is why the alias
allows ``Any``: every value a handler reads from a stored object has passed a check on the way in.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from typing import Any

from pydantic import JsonValue

from stationmaster.wiretime import (
    pacific_midnight,
    parse_v1,
    parse_v1_date,
    render_v1,
    render_v1_short,
)

#: A JSON object in ShipStation's wire shape (values checked on the way in).
Wire = dict[str, Any]

CENT = Decimal("0.01")


def dumps(value: object) -> bytes:
    """JSON as ShipStation's clients expect it: UTF-8, default ``json.dumps`` spacing."""
    return json.dumps(value, ensure_ascii=False).encode("utf-8")


def loads(raw: bytes) -> JsonValue:
    """Parse a request body; raises ``ValueError`` with a readable reason."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"the body is not UTF-8 text ({exc.reason})") from exc
    try:
        value: JsonValue = json.loads(text, parse_constant=_no_constants)
    except json.JSONDecodeError as exc:
        raise ValueError(
            f"Unexpected character encountered while parsing value: line {exc.lineno}, "
            f"position {exc.colno} ({exc.msg})."
        ) from exc
    return value


def _no_constants(name: str) -> object:
    raise json.JSONDecodeError(f"{name} is not a JSON value", name, 0)


def money(value: object) -> Decimal:
    """A JSON number (or ``None``) as a ``Decimal``, read through its text to stay exact."""
    if value is None:
        return Decimal(0)
    return Decimal(str(value))


def number(value: Decimal) -> int | float:
    """A ``Decimal`` as a JSON number: an int when whole, else the shortest float."""
    if value == value.to_integral_value():
        return int(value)
    return float(value)


def cents(value: Decimal) -> int | float:
    """Money rounded half-up to cents, as a JSON number."""
    return number(value.quantize(CENT, rounding=ROUND_HALF_UP))


def stamp(moment: datetime) -> str:
    """A response datetime with seven fraction digits (orders, shipments, customers)."""
    return render_v1(moment)


def short_stamp(moment: datetime) -> str:
    """A response datetime with up to three fraction digits (items, stores, products)."""
    return render_v1_short(moment)


@lru_cache(maxsize=65536)
def instant(text: str) -> datetime:
    """A stored wire datetime (or date) as an aware UTC instant, for filters and sorting."""
    if len(text) == 10:
        return pacific_midnight(parse_v1_date(text))
    return parse_v1(text)


def new_key() -> str:
    """A generated ``orderKey``: 32 lowercase hex characters."""
    return uuid.uuid4().hex


def new_guid() -> str:
    """A GUID as ShipStation writes it (import batches, label batches, user ids)."""
    return str(uuid.uuid4())
