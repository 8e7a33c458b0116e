"""Reading untrusted JSON against a schema: full key sets out, type errors collected.

A schema is a table of field name to :class:`Spec`. :func:`conform` walks a value through it
and returns a new value in ShipStation's wire shape: every field of the schema present (``null``
when absent), unknown fields dropped, datetimes rewritten in the canonical wire form. What cannot
be read is recorded in :class:`Problems` with JSON.NET-style messages, never raised, so one pass
reports every problem and nothing is stored before the whole input has been read.

Conversions follow JSON.NET, which ShipStation uses: a number where text is expected becomes
text, numeric text where a number is expected becomes a number; anything else is a type error.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Literal

from stationmaster.emulator.replies import invalid_request
from stationmaster.emulator.wire import Wire
from stationmaster.wiretime import OffsetMode, WireTimeError, parse_v1, render_v1, render_v1_date

Kind = Literal["str", "int", "num", "bool", "datetime", "date", "object", "list", "json"]

_DOTNET = {
    "str": "System.String",
    "int": "System.Int32",
    "num": "System.Decimal",
    "bool": "System.Boolean",
    "datetime": "System.DateTime",
    "date": "System.DateTime",
    "list": "System.Collections.Generic.List",
    "json": "System.Object",
}
_NUMERIC_TEXT = re.compile(r"\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*")


@dataclass(frozen=True)
class Spec:
    """How one field is read: its kind, and for objects and lists what is inside."""

    kind: Kind
    schema: Schema | None = None
    item: Spec | None = None
    name: str = ""


Schema = dict[str, Spec]

STR = Spec("str")
INT = Spec("int")
NUM = Spec("num")
BOOL = Spec("bool")
DATETIME = Spec("datetime")
DATE = Spec("date")
JSON = Spec("json")


def obj(name: str, schema: Schema) -> Spec:
    return Spec("object", schema=schema, name=name)


def list_of(item: Spec) -> Spec:
    return Spec("list", item=item)


@dataclass
class Problems:
    """Everything wrong with one input, keyed by JSON path."""

    errors: dict[str, list[str]] = field(default_factory=dict)

    def add(self, path: str, message: str) -> None:
        self.errors.setdefault(path or "request", []).append(message)

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        return " ".join(message for messages in self.errors.values() for message in messages)

    def raise_if_any(self) -> None:
        if self.errors:
            raise invalid_request(self.errors)


def _show(value: object) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 60 else text[:57] + "..."


def _wrong(problems: Problems, path: str, value: object, target: str) -> None:
    problems.add(path, f"Error converting value {_show(value)} to type '{target}'. Path '{path}'.")


def _number(value: object) -> Decimal | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        try:
            return Decimal(str(value))
        except InvalidOperation:
            return None
    if isinstance(value, str) and _NUMERIC_TEXT.fullmatch(value):
        return Decimal(value.strip())
    return None


def _scalar(
    value: object, spec: Spec, path: str, problems: Problems, offsets: OffsetMode
) -> object:
    kind = spec.kind
    if kind == "json":
        return value
    if kind == "str":
        if isinstance(value, str):
            return value
        if isinstance(value, int | float) and not isinstance(value, bool):
            return str(value)
    elif kind == "bool":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in ("true", "false"):
            return value.strip().lower() == "true"
    elif kind in ("int", "num"):
        parsed = _number(value)
        if parsed is not None and parsed.is_finite():
            if kind == "num":
                return value if isinstance(value, int | float) else float(parsed)
            if parsed == parsed.to_integral_value() and abs(parsed) < 2**31:
                return int(parsed)
    elif kind in ("datetime", "date") and isinstance(value, str):
        try:
            moment = parse_v1(value, offsets=offsets)
        except WireTimeError:
            pass
        else:
            return render_v1(moment) if kind == "datetime" else render_v1_date(moment)
    _wrong(problems, path, value, _DOTNET[kind])
    return None


def conform(
    value: object, spec: Spec, path: str, problems: Problems, offsets: OffsetMode
) -> object:
    """``value`` read as ``spec``: canonical wire value, or ``None`` with a problem recorded."""
    if value is None:
        return None
    if spec.kind == "object":
        assert spec.schema is not None
        if not isinstance(value, dict):
            _wrong(problems, path, value, spec.name or "Object")
            return None
        return conform_object(value, spec.schema, path, problems, offsets)
    if spec.kind == "list":
        assert spec.item is not None
        if not isinstance(value, list):
            _wrong(problems, path, value, _DOTNET["list"])
            return None
        return [
            conform(element, spec.item, f"{path}[{index}]", problems, offsets)
            for index, element in enumerate(value)
        ]
    return _scalar(value, spec, path, problems, offsets)


def conform_object(
    value: Wire, schema: Schema, path: str, problems: Problems, offsets: OffsetMode
) -> Wire:
    prefix = f"{path}." if path else ""
    return {
        key: conform(value.get(key), spec, f"{prefix}{key}", problems, offsets)
        for key, spec in schema.items()
    }


def read_body(body: object, schema: Schema, offsets: OffsetMode, *, what: str = "request") -> Wire:
    """A request body that must be one object of ``schema``; 400 ModelState if it is not."""
    if not isinstance(body, dict):
        kind = "an array" if isinstance(body, list) else "empty" if body is None else _show(body)
        raise invalid_request({what: [f"The request body must be a JSON object, got {kind}."]})
    problems = Problems()
    values = conform_object(body, schema, "", problems, offsets)
    problems.raise_if_any()
    return values


def missing(values: Wire, *names: str) -> list[str]:
    """The names among ``names`` whose value is absent, ``null`` or blank text."""
    return [n for n in names if values.get(n) is None or values.get(n) == ""]
