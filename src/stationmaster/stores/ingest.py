"""JSON-lines import into the native store: one canonical order per line, bad lines reported.

Each line is checked and stored on its own, so a bad line (not JSON, not an order, a value the
store cannot hold) is reported with its line number and the field at fault, stores nothing of
itself, and stops nothing else. Importing the same file twice changes nothing the second time.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TextIO

from pydantic import ValidationError as PydanticValidationError

from stationmaster.domain import Order
from stationmaster.stores.native import InvalidStoreInput, NativeStore


class NotAJsonObject(ValueError):
    """The text is not one JSON object; the message says what it is instead."""


def _refuse_constant(name: str) -> object:
    raise NotAJsonObject(f"{name} is not a number JSON can carry")


def load_json_object(text: str | bytes) -> dict[str, Any]:
    """Parse one document (an order, a request body): a JSON object, every fraction exact.

    Numbers with a fraction become ``Decimal`` (a float would turn 0.1 into
    0.1000000000000000055...); ``NaN`` and ``Infinity`` are refused. Raises
    :class:`NotAJsonObject` with a message fit for the sender.
    """
    try:
        document = json.loads(text, parse_float=Decimal, parse_constant=_refuse_constant)
    except json.JSONDecodeError as exc:
        raise NotAJsonObject(
            f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from None
    except UnicodeDecodeError:
        raise NotAJsonObject("not valid JSON: the text is not UTF-8") from None
    except RecursionError:
        raise NotAJsonObject("not valid JSON: nested too deeply") from None
    except NotAJsonObject:
        raise
    except ValueError as exc:  # e.g. an integer longer than Python converts
        raise NotAJsonObject(f"not valid JSON: {exc}") from None
    if not isinstance(document, dict):
        raise NotAJsonObject(f"expected a JSON object, got {_json_kind(document)}")
    return document


def _json_kind(value: object) -> str:
    kinds = {list: "an array", str: "a string", bool: "a boolean", type(None): "null"}
    return kinds.get(type(value), "a number")


#: How many failures ``str(report)`` spells out before it only counts the rest.
SHOWN_FAILURES = 20


@dataclass(frozen=True, slots=True)
class ImportFailure:
    """A line that was not imported: where, which field (``None``: the line as a whole), why."""

    line: int
    field: str | None
    message: str

    def __str__(self) -> str:
        where = f"line {self.line}" + (f", {self.field}" if self.field else "")
        return f"{where}: {self.message}"


@dataclass
class ImportReport:
    """What an import did, line by line."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    failures: list[ImportFailure] = field(default_factory=list)

    @property
    def failed(self) -> int:
        return len(self.failures)

    @property
    def read(self) -> int:
        """Orders read (blank lines are not orders)."""
        return self.created + self.updated + self.unchanged + self.failed

    def summary(self) -> str:
        return (
            f"{self.read} orders: {self.created} created, {self.updated} updated, "
            f"{self.unchanged} unchanged, {self.failed} failed"
        )

    def __str__(self) -> str:
        lines = [self.summary()]
        lines += [f"  {failure}" for failure in self.failures[:SHOWN_FAILURES]]
        if self.failed > SHOWN_FAILURES:
            lines.append(f"  ... and {self.failed - SHOWN_FAILURES} more")
        return "\n".join(lines)


async def import_jsonl(
    store: NativeStore,
    lines: Iterable[str] | TextIO,
    *,
    on_progress: Callable[[ImportReport], None] | None = None,
) -> ImportReport:
    """Store every order in ``lines`` (strings or an open text file) in ``store``.

    Blank lines are skipped; line numbers count every line from 1. ``on_progress`` gets the
    report so far after each order.
    """
    report = ImportReport()
    for number, text in enumerate(lines, start=1):
        line = text.removeprefix("\ufeff") if number == 1 else text
        if not line.strip():
            continue
        failure = await _import_line(store, number, line, report)
        if failure is not None:
            report.failures.append(failure)
        if on_progress is not None:
            on_progress(report)
    return report


async def _import_line(
    store: NativeStore, number: int, line: str, report: ImportReport
) -> ImportFailure | None:
    try:
        document = load_json_object(line)
    except NotAJsonObject as exc:
        return ImportFailure(number, None, str(exc))
    try:
        order = Order.model_validate(document)
    except PydanticValidationError as exc:
        first, *rest = exc.errors(include_url=False)
        message = first["msg"]
        if rest:
            others = ", ".join(_dotted(error["loc"]) for error in rest)
            message += f" (also wrong: {others})"
        return ImportFailure(number, _dotted(first["loc"]), message)
    try:
        outcome = await store.put(order)
    except InvalidStoreInput as exc:
        return ImportFailure(number, exc.field, str(exc))
    if outcome == "created":
        report.created += 1
    elif outcome == "updated":
        report.updated += 1
    else:
        report.unchanged += 1
    return None


def _dotted(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in loc) or "order"
