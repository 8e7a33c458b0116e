"""Minor units, rounding and weight conversions: exact, and half to even."""

from __future__ import annotations

from decimal import Decimal

import pytest

from stationmaster import domain


@pytest.mark.parametrize(
    ("currency", "digits"), [("USD", 2), ("EUR", 2), ("JPY", 0), ("KWD", 3), ("XYZ", 2)]
)
def test_minor_units(currency: str, digits: int) -> None:
    assert domain.minor_units(currency) == digits


@pytest.mark.parametrize(
    ("amount", "currency", "rounded"),
    [
        ("1.005", "USD", "1.00"),
        ("1.015", "USD", "1.02"),
        ("1.0151", "USD", "1.02"),
        ("-2.345", "EUR", "-2.34"),
        ("1234.5", "JPY", "1234"),
        ("1235.5", "JPY", "1236"),
        ("0.0005", "KWD", "0.000"),
        ("10", "USD", "10.00"),
    ],
)
def test_round_to_minor_is_half_to_even(amount: str, currency: str, rounded: str) -> None:
    result = domain.round_to_minor(Decimal(amount), currency)
    assert result == Decimal(rounded)
    assert str(result) == rounded


@pytest.mark.parametrize(
    ("value", "unit", "grams"),
    [
        ("1", "g", "1"),
        ("1.5", "kg", "1500"),
        ("1", "oz", "28.349523125"),
        ("2", "lb", "907.18474"),
        ("16", "oz", "453.59237"),
    ],
)
def test_weights_convert_to_grams_exactly(value: str, unit: domain.WeightUnit, grams: str) -> None:
    assert domain.Weight(value=value, unit=unit).in_grams() == Decimal(grams)
