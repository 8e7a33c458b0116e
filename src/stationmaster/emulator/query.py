"""Query strings as ShipStation reads them: names in any case, typed values, clear refusals.

``storeID``, ``StoreId`` and ``storeid`` are one parameter. A value that cannot be read is a
400 with ASP.NET's ModelState shape naming the parameter, never a silent default.
"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import parse_qsl

from stationmaster.emulator.replies import invalid_field
from stationmaster.wiretime import OffsetMode, WireTimeError, parse_v1

#: Query parameters never recorded (credentials some clients put in URLs).
SECRET_PARAMETERS = frozenset(
    {
        "api_key",
        "apikey",
        "api_secret",
        "apisecret",
        "password",
        "secret",
        "ss-username",
        "ss-password",
        "token",
    }
)


class Query:
    """The parameters of one request; look-ups ignore the case of the name."""

    def __init__(self, raw: bytes | str) -> None:
        text = raw.decode("latin-1") if isinstance(raw, bytes) else raw
        #: The query string as received (for URLs in messages).
        self.raw = text
        self._values: dict[str, list[str]] = {}
        self._names: dict[str, str] = {}
        for name, value in parse_qsl(text, keep_blank_values=True):
            self._values.setdefault(name.lower(), []).append(value)
            self._names.setdefault(name.lower(), name)

    def text(self, name: str) -> str | None:
        """The first value, stripped; ``None`` when absent or blank."""
        values = self._values.get(name.lower())
        if not values or not values[0].strip():
            return None
        return values[0].strip()

    def integer(self, name: str) -> int | None:
        value = self.text(name)
        if value is None:
            return None
        try:
            return int(value)
        except ValueError:
            raise invalid_field(
                self._label(name), f"The value '{value}' is not valid for Int32."
            ) from None

    def boolean(self, name: str) -> bool | None:
        value = self.text(name)
        if value is None:
            return None
        if value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise invalid_field(self._label(name), f"The value '{value}' is not valid for Boolean.")

    def instant(self, name: str, offsets: OffsetMode) -> datetime | None:
        """A Pacific wall time (or date); a zone designator is handled per ``offsets``."""
        value = self.text(name)
        if value is None:
            return None
        try:
            return parse_v1(value, offsets=offsets)
        except WireTimeError as exc:
            raise invalid_field(
                self._label(name), f"The value '{value}' is not valid: {exc}"
            ) from None

    def choice(self, name: str, choices: dict[str, str]) -> str | None:
        """A value from ``choices`` (keys lower case), matched without regard to case."""
        value = self.text(name)
        if value is None:
            return None
        chosen = choices.get(value.lower())
        if chosen is None:
            allowed = ", ".join(sorted(set(choices.values())))
            raise invalid_field(
                self._label(name), f"The value '{value}' is not valid; use one of {allowed}."
            )
        return chosen

    def _label(self, name: str) -> str:
        return self._names.get(name.lower(), name)

    def public(self) -> dict[str, str | list[str]]:
        """The parameters as sent (first spelling of each name), without credentials."""
        return {
            self._names[key]: values[0] if len(values) == 1 else list(values)
            for key, values in self._values.items()
            if key not in SECRET_PARAMETERS
        }
