"""Reading a ``POST /v2/inventory`` body into a :class:`~stationmaster.emulator.inventory.Change`.

Every field is checked the way the v2 spec types it (``docs/reference/shipstation-v2-inventory.md``
§4), and a bad one is a 400 in v2's error shape naming the field. Fields the emulator does not
know are ignored, as a live account ignored them. Whether the location and the stock exist is
the book's business, not this module's.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Final, Literal, cast

from pydantic import JsonValue

from stationmaster.emulator.inventory import Change
from stationmaster.emulator.v2replies import bad_value, required

TRANSACTION_TYPES: Final = ("increment", "decrement", "adjust", "modify")
CONDITIONS: Final = ("sellable", "damaged", "expired", "qa_hold")
#: The least quantity per type (a live account refused 0 for modify; adjust may set 0).
MIN_QUANTITY: Final = {"increment": 1, "decrement": 1, "adjust": 0, "modify": 1}
DATE_FIELDS: Final = ("effective_at", "usable_start_date", "usable_end_date")
TEXT_FIELDS: Final = ("reason", "notes", "lot")

TransactionType = Literal["increment", "decrement", "adjust", "modify"]


def read_change(body: JsonValue, body_error: str | None) -> Change:
    """The checked transaction; a bad body raises ``ApiError`` with a v2 400."""
    if body_error is not None:
        raise bad_value(f"The request body is not valid JSON: {body_error}")
    if body is None:
        raise required("A request body is required.")
    if not isinstance(body, dict):
        raise bad_value("The request body must be a JSON object.")
    kind = _transaction_type(body.get("transaction_type"))
    sku = _needed_text(body, "sku")
    location = _needed_text(body, "inventory_location_id")
    quantity = _quantity(body.get("quantity"), kind)
    cost, currency = _cost(body, "cost")
    new_cost, new_currency = _cost(body, "new_cost")
    new_location = _text(body, "new_inventory_location_id")
    new_condition = _condition(body, "new_condition")
    _condition(body, "condition")
    for name in DATE_FIELDS:
        _date(body, name)
    for name in TEXT_FIELDS:
        _text(body, name)
    if kind == "modify" and new_location is None and new_cost is None and new_condition is None:
        raise required("A modify needs new_inventory_location_id, new_cost or new_condition.")
    return Change(
        transaction_type=kind,
        sku=sku,
        location_id=location,
        quantity=quantity,
        cost=cost,
        currency=currency,
        new_location_id=new_location if kind == "modify" else None,
        new_cost=new_cost if kind == "modify" else None,
        new_currency=new_currency if kind == "modify" else None,
    )


def _transaction_type(value: JsonValue) -> TransactionType:
    if value is None:
        raise required("transaction_type is required.")
    if value not in TRANSACTION_TYPES:
        raise bad_value(
            f"transaction_type must be one of {', '.join(TRANSACTION_TYPES)}; got {value!r}."
        )
    return cast(TransactionType, value)


def _text(body: dict[str, JsonValue], name: str) -> str | None:
    value = body.get(name)
    if value is not None and not isinstance(value, str):
        raise bad_value(f"{name} must be a string.")
    return value


def _needed_text(body: dict[str, JsonValue], name: str) -> str:
    value = _text(body, name)
    if value is None:
        raise required(f"{name} is required.")
    if not value.strip():
        raise required(f"{name} must not be empty.")
    return value


def _quantity(value: JsonValue, kind: str) -> int:
    if value is None:
        raise required("quantity is required.")
    if isinstance(value, bool) or not isinstance(value, int):
        raise bad_value(f"quantity must be an integer; got {value!r}.")
    least = MIN_QUANTITY[kind]
    if value < least:
        raise bad_value(f"quantity: Must be greater than or equal to {least}.")
    return value


def _cost(body: dict[str, JsonValue], name: str) -> tuple[Decimal | None, str | None]:
    value = body.get(name)
    if value is None:
        return None, None
    if not isinstance(value, dict):
        raise bad_value(f"{name} must be an object with amount and currency.")
    amount, currency = value.get("amount"), value.get("currency")
    if isinstance(amount, bool) or not isinstance(amount, int | float):
        raise bad_value(f"{name}.amount must be a number.")
    try:
        decimal = Decimal(str(amount))
    except InvalidOperation:  # pragma: no cover - str() of a JSON number always parses
        raise bad_value(f"{name}.amount must be a number.") from None
    if not decimal.is_finite() or decimal < 0:
        raise bad_value(f"{name}.amount must be 0 or more.")
    if not isinstance(currency, str) or not currency.strip():
        raise bad_value(f"{name}.currency must be a currency code.")
    return decimal, currency


def _condition(body: dict[str, JsonValue], name: str) -> str | None:
    value = body.get(name)
    if value is None:
        return None
    if value not in CONDITIONS:
        raise bad_value(f"{name} must be one of {', '.join(CONDITIONS)}; got {value!r}.")
    return str(value)


def _date(body: dict[str, JsonValue], name: str) -> None:
    value = body.get(name)
    if value is None:
        return
    problem = f"{name} must be an RFC 3339 date-time with an offset; got {value!r}."
    if not isinstance(value, str):
        raise bad_value(problem)
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise bad_value(problem) from None
    if parsed.tzinfo is None:
        raise bad_value(problem)


__all__ = ["read_change"]
