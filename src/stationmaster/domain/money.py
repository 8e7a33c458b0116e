"""Exact money arithmetic the sync rules need: minor units and rounding to them.

Amounts stay ``Decimal`` end to end. Rounding happens only where a new amount is derived
(a converted price, a price with its tax taken out) and then to the currency's own minor
unit, half to even, so that repeated conversions do not drift one way.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal
from typing import Final

_MINOR_UNITS: Final[dict[str, int]] = {
    # ISO 4217 currencies whose minor unit is not the usual hundredth.
    "BHD": 3,
    "BIF": 0,
    "CLP": 0,
    "DJF": 0,
    "GNF": 0,
    "IQD": 3,
    "ISK": 0,
    "JOD": 3,
    "JPY": 0,
    "KMF": 0,
    "KRW": 0,
    "KWD": 3,
    "LYD": 3,
    "OMR": 3,
    "PYG": 0,
    "RWF": 0,
    "TND": 3,
    "UGX": 0,
    "VND": 0,
    "VUV": 0,
    "XAF": 0,
    "XOF": 0,
    "XPF": 0,
}


def minor_units(currency: str) -> int:
    """How many digits after the point the currency's smallest coin has (2 unless listed)."""
    return _MINOR_UNITS.get(currency, 2)


def round_to_minor(amount: Decimal, currency: str) -> Decimal:
    """``amount`` rounded half-to-even to the currency's minor unit."""
    return amount.quantize(Decimal(1).scaleb(-minor_units(currency)), rounding=ROUND_HALF_EVEN)
