"""Every conversion between stationmaster's aware-UTC datetimes and the times on a wire.

ShipStation's REST v1 reads and writes Pacific wall time (America/Los_Angeles, PST or PDT)
with no offset; inside stationmaster every datetime is aware and in UTC. Keeping all of the
conversions here means nobody "fixes" one side into the other.

DST: a wall time in the spring-forward gap does not exist and one in the fall-back hour
exists twice. Both parse with ``fold=0`` (the gap lands an hour later, the repeated hour
takes its first occurrence), and rendering loses the fold just as ShipStation does, so a
window starting in the repeated hour must start an hour earlier (:func:`v1_filter_start`).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

PACIFIC = ZoneInfo("America/Los_Angeles")

OffsetMode = Literal["ignore", "honour", "reject"]

_V1 = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})"
    r"(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,7}))?)?)?"
    r"(Z|[+-]\d{2}:?\d{2})?$",
    re.ASCII,  # without it \d also matches other scripts' digits, which int() then accepts
)


_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)


class WireTimeError(ValueError):
    """A string is not a time ShipStation's v1 wire format allows."""


def utcnow() -> datetime:
    return datetime.now(UTC)


def _require_aware(dt: datetime) -> None:
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise WireTimeError(f"naive datetime {dt!r}: stationmaster only handles aware datetimes")


def _offset(designator: str) -> timedelta:
    if designator == "Z":
        return timedelta(0)
    sign = -1 if designator[0] == "-" else 1
    digits = designator[1:].replace(":", "")
    return sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))


def parse_v1(text: str, *, offsets: OffsetMode = "reject") -> datetime:
    """A v1 wall-clock string (0-7 fraction digits, ``T`` or space) as an aware UTC datetime.

    ``offsets`` says what to do with a trailing ``Z`` or ``±hh:mm``, which ShipStation never
    sends: ``reject`` it, ``ignore`` it (read the wall time as Pacific, as ShipStation is
    believed to), or ``honour`` it.
    """
    match = _V1.match(text.strip())
    if match is None:
        raise WireTimeError(f"not a ShipStation v1 timestamp: {text!r}")
    year, month, day, hour, minute, second, fraction, designator = match.groups()
    if designator and offsets == "reject":
        raise WireTimeError(f"ShipStation v1 times carry no offset: {text!r}")
    micros = int((fraction or "0").ljust(7, "0")[:6])
    try:
        wall = datetime(
            int(year),
            int(month),
            int(day),
            int(hour or 0),
            int(minute or 0),
            int(second or 0),
            micros,
        )
    except ValueError as exc:
        raise WireTimeError(f"not a real date or time: {text!r}") from exc
    try:
        if designator and offsets == "honour":
            return (wall - _offset(designator)).replace(tzinfo=UTC)
        # A naive wall time goes through PACIFIC with fold=0: gap times land an hour later.
        return wall.replace(tzinfo=PACIFIC, fold=0).astimezone(UTC)
    except OverflowError as exc:
        # Wall times at the very ends of datetime's range have no UTC instant.
        raise WireTimeError(f"time out of range: {text!r}") from exc


def parse_v1_date(text: str) -> date:
    """A ``yyyy-MM-dd`` Pacific calendar date."""
    stripped = text.strip()
    if not _DATE.fullmatch(stripped):
        raise WireTimeError(f"not a ShipStation v1 date: {text!r}")
    try:
        return date.fromisoformat(stripped)
    except ValueError as exc:
        raise WireTimeError(f"not a real date: {text!r}") from exc


def render_v1(dt: datetime) -> str:
    """Response style: Pacific wall time with seven fraction digits, no offset."""
    _require_aware(dt)
    return dt.astimezone(PACIFIC).strftime("%Y-%m-%dT%H:%M:%S.%f") + "0"


def render_v1_short(dt: datetime) -> str:
    """Response style for items, stores and warehouses: 0-3 fraction digits, zeros dropped."""
    _require_aware(dt)
    local = dt.astimezone(PACIFIC)
    millis = f"{local.microsecond // 1000:03d}".rstrip("0")
    return local.strftime("%Y-%m-%dT%H:%M:%S") + (f".{millis}" if millis else "")


def v1_filter_start(earliest: datetime) -> datetime:
    """The instant to ask a v1 list for so that nothing at or after ``earliest`` is missed.

    A filter is rendered as Pacific wall time and loses the fold: in the hour that repeats each
    autumn, ShipStation may read the later of the two instants. Only then is the window moved
    back, by an hour at a time, to a wall time that happens once, so every other window
    overlaps the previous one by no more than it asks for.
    """
    _require_aware(earliest)
    start = earliest
    while _repeats(start):
        start -= timedelta(hours=1)
    return start


def _repeats(dt: datetime) -> bool:
    """Whether ``dt``'s Pacific wall time happens twice (the autumn fold)."""
    local = dt.astimezone(PACIFIC)
    return local.replace(fold=1 - local.fold).utcoffset() != local.utcoffset()


def render_v1_filter(dt: datetime) -> str:
    """Query-string style: ``yyyy-MM-dd HH:mm:ss`` in Pacific wall time (seconds truncated)."""
    _require_aware(dt)
    return dt.astimezone(PACIFIC).strftime("%Y-%m-%d %H:%M:%S")


def render_v1_date(value: datetime | date) -> str:
    """A Pacific calendar date: a datetime is first moved to Pacific, never cut in UTC."""
    if isinstance(value, datetime):
        _require_aware(value)
        return value.astimezone(PACIFIC).date().isoformat()
    return value.isoformat()


def pacific_midnight(day: date) -> datetime:
    """The UTC instant at which a Pacific calendar day starts."""
    return datetime(day.year, day.month, day.day, tzinfo=PACIFIC).astimezone(UTC)


# --- Custom Store XML: UTC, never Pacific -------------------------------------------------------
# The Custom Store protocol (export windows, OrderDate, LastModified, LabelCreateDate) speaks
# UTC wall time; only REST v1 speaks Pacific. The two must never be "fixed" into each other.

_CUSTOMSTORE = re.compile(
    r"(\d{1,2})/(\d{1,2})/(\d{4})\s+(\d{1,2}):(\d{2})(?::(\d{2}))?(?:\s*([AaPp])[Mm])?",
    re.ASCII,
)
_CUSTOMSTORE_COMPACT = re.compile(r"(\d{2})(\d{2})(\d{4})[^0-9](\d{2})(\d{2})", re.ASCII)
_CUSTOMSTORE_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})", re.ASCII)


def parse_customstore(text: str) -> datetime:
    """A Custom Store time (UTC wall time) as an aware UTC datetime.

    Accepts ``MM/dd/yyyy HH:mm`` and the looser forms seen from ShipStation and its plugins:
    one-digit month, day or hour, optional ``:ss``, optional ``AM``/``PM``, and the compact
    ``MMDDYYYYxHHMM`` (any one non-digit as ``x``).
    """
    stripped = text.strip()
    match = _CUSTOMSTORE.fullmatch(stripped)
    meridiem: str | None = None
    if match is not None:
        month, day, year, hour, minute, second, meridiem = match.groups()
    elif (compact := _CUSTOMSTORE_COMPACT.fullmatch(stripped)) is not None:
        month, day, year, hour, minute = compact.groups()
        second = None
    else:
        raise WireTimeError(f"not a Custom Store time (MM/dd/yyyy HH:mm): {text!r}")
    hours = int(hour)
    if meridiem is not None:
        if not 1 <= hours <= 12:
            raise WireTimeError(f"not a 12-hour time: {text!r}")
        hours = hours % 12 + (12 if meridiem in "Pp" else 0)
    try:
        return datetime(
            int(year), int(month), int(day), hours, int(minute), int(second or 0), tzinfo=UTC
        )
    except ValueError as exc:
        raise WireTimeError(f"not a real date or time: {text!r}") from exc


def parse_customstore_date(text: str) -> date:
    """A Custom Store calendar date, ``MM/dd/yyyy`` (a ShipNotice's ``ShipDate``)."""
    match = _CUSTOMSTORE_DATE.fullmatch(text.strip())
    if match is None:
        raise WireTimeError(f"not a Custom Store date (MM/dd/yyyy): {text!r}")
    month, day, year = match.groups()
    try:
        return date(int(year), int(month), int(day))
    except ValueError as exc:
        raise WireTimeError(f"not a real date: {text!r}") from exc


def render_customstore(dt: datetime) -> str:
    """``MM/dd/yyyy HH:mm`` in UTC, 24-hour: what the Custom Store export writes and asks with."""
    _require_aware(dt)
    return dt.astimezone(UTC).strftime("%m/%d/%Y %H:%M")
