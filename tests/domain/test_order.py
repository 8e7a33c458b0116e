"""The canonical order's invariants: clean text, exact money, aware times, named failures."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from pydantic import ValidationError

from stationmaster import domain
from stationmaster.testing.factories import plain_order


def _locations(error: ValidationError) -> list[str]:
    return [".".join(str(part) for part in item["loc"]) for item in error.errors()]


def _line(**changes: object) -> dict[str, object]:
    line: dict[str, object] = {
        "line_id": "li-9",
        "name": "Bamboo Whisk",
        "quantity": 1,
        "unit_price": "18.75",
    }
    return {**line, **changes}


# --- each bad value is refused, and the error names its field ---------------------------------


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"lines": [_line(quantity=0)]}, "lines.0.quantity"),
        ({"lines": [_line(quantity=-2)]}, "lines.0.quantity"),
        ({"lines": [_line(quantity=2**31)]}, "lines.0.quantity"),
        ({"lines": [_line(quantity=1.5)]}, "lines.0.quantity"),
        ({"lines": [_line(unit_price="NaN")]}, "lines.0.unit_price"),
        ({"lines": [_line(unit_price=float("inf"))]}, "lines.0.unit_price"),
        ({"lines": [_line(unit_price="-Infinity", adjustment=True)]}, "lines.0.unit_price"),
        ({"lines": [_line(unit_price="1234567890123456")]}, "lines.0.unit_price"),
        ({"lines": [_line(unit_price="0.1234567")]}, "lines.0.unit_price"),
        ({"lines": [_line(tax="-0.01")]}, "lines.0.tax"),
        ({"lines": [_line(name="   ")]}, "lines.0.name"),
        ({"lines": [_line(weight={"value": "-1", "unit": "g"})]}, "lines.0.weight.value"),
        ({"lines": [_line(weight={"value": "1", "unit": "stone"})]}, "lines.0.weight.unit"),
        ({"total": "NaN"}, "total"),
        ({"total": "-1"}, "total"),
        ({"shipping_amount": "Infinity"}, "shipping_amount"),
        ({"amount_paid": "-5"}, "amount_paid"),
        ({"currency": "EURO"}, "currency"),
        ({"currency": "€"}, "currency"),
        ({"currency": ""}, "currency"),
        ({"created_at": datetime(2026, 11, 20, 9, 0)}, "created_at"),
        ({"paid_at": "2026-11-20T09:00:00"}, "paid_at"),
        ({"ship_by": datetime(2026, 11, 24)}, "ship_by"),
        ({"number": ""}, "number"),
        ({"source_id": " "}, "source_id"),
        ({"discounts": [{"code": "X", "amount": "0"}]}, "discounts.0.amount"),
        ({"discounts": [{"code": "X", "amount": "-5"}]}, "discounts.0.amount"),
        ({"customer_name": "broken \ud800 text"}, "customer_name"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_values_are_refused_naming_the_field(overrides: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        plain_order(**overrides)
    assert field in _locations(caught.value)


def test_a_naive_datetime_is_refused_with_a_clear_message() -> None:
    with pytest.raises(ValidationError) as caught:
        plain_order(created_at=datetime(2026, 11, 20, 9, 0))
    assert "timezone" in str(caught.value)


@pytest.mark.parametrize(
    ("overrides", "fragment"),
    [
        ({"lines": [_line(), _line()]}, "line_id must be unique"),
        ({"discounts": [{"code": "X", "amount": "1", "line_id": "nope"}]}, "no line has"),
        ({"lines": [_line(unit_price="-1")]}, "negative on a product line"),
        ({"lines": [_line(unit_price="-1", adjustment=True, tax="0.10")]}, "cannot carry tax"),
        (
            {"prices_include_tax": True, "lines": [_line(unit_price="1.00", tax="1.01")]},
            "lines.0.tax",
        ),
        (
            {"prices_include_tax": True, "shipping_amount": "5", "shipping_tax": "6"},
            "shipping_tax",
        ),
        (
            {"prices_include_tax": True, "discounts": [{"code": "X", "amount": "1", "tax": "2"}]},
            "discounts.0.tax",
        ),
    ],
)
def test_inconsistent_orders_are_refused(overrides: dict[str, object], fragment: str) -> None:
    with pytest.raises(ValidationError, match=fragment):
        plain_order(**overrides)


# --- what is accepted, and how it is cleaned --------------------------------------------------


def test_times_are_kept_as_utc_whatever_zone_they_came_in() -> None:
    tokyo = timezone(timedelta(hours=9))
    order = plain_order(created_at=datetime(2026, 11, 21, 2, 0, tzinfo=tokyo))
    assert order.created_at == datetime(2026, 11, 20, 17, 0, tzinfo=UTC)
    assert order.created_at.tzinfo is UTC


def test_text_is_stripped_and_blank_optional_text_is_absent() -> None:
    order = plain_order(customer_name="  Zoë Müller ", customer_notes="   ", currency=" eur ")
    assert order.customer_name == "Zoë Müller"
    assert order.customer_notes is None
    assert order.currency == "EUR"


def test_unicode_and_emoji_are_kept_exactly() -> None:
    name = "Chloé 💫 Martin — 山田"
    order = plain_order(customer_name=name, gift_message="Für dich ❤️ 🎁")
    assert order.customer_name == name
    assert json.loads(order.model_dump_json())["gift_message"] == "Für dich ❤️ 🎁"


def test_address_parts_are_optional_and_countries_upper_cased() -> None:
    address = domain.Address(name="Ada", country=" gb ", postal_code="")
    assert address.country == "GB"
    assert address.postal_code is None
    assert not address.is_empty
    assert domain.Address().is_empty
    assert domain.Address(street1="  ").is_empty


def test_adjustment_lines_may_be_negative_and_money_is_exact() -> None:
    line = domain.Line(
        line_id="fee", name="Store credit", quantity=1, unit_price="-5.10", adjustment=True
    )
    assert line.unit_price == Decimal("-5.10")
    product = domain.Line(line_id="a", name="Mug", quantity=3, unit_price=0.1)
    assert product.gross == Decimal("0.3")


def test_amounts_given_as_floats_keep_their_decimal_spelling() -> None:
    order = plain_order(total=82.92)
    assert order.total == Decimal("82.92")


def test_models_are_immutable() -> None:
    order = plain_order()
    with pytest.raises(ValidationError):
        order.number = "changed"  # type: ignore[misc]  # proving the model refuses it


def test_line_lookup_by_id() -> None:
    order = plain_order()
    found = order.line("li-2")
    assert found is not None
    assert found.sku == "TEA-SENCHA-100"
    assert order.line("nope") is None


def test_an_order_survives_a_json_round_trip_unchanged() -> None:
    order = plain_order(
        discounts=[{"code": "WELCOME10", "amount": "6.75", "line_id": "li-1"}],
        tags=["vip"],
        custom={"channel": "web"},
        gift=True,
        gift_message="Happy housewarming! 🏡",
    )
    assert domain.Order.model_validate_json(order.model_dump_json()) == order
