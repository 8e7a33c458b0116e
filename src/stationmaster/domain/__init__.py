"""The canonical model: orders, addresses, shipments and stock as stationmaster sees them.

Pure data with its invariants, no I/O and nothing else of stationmaster: store connectors
build these, the sync rules map them to ShipStation and back. Money is ``Decimal``, times are
aware UTC, text is Unicode as given (stripped).
"""

from stationmaster.domain.address import Address
from stationmaster.domain.measures import GRAMS_PER_UNIT, Weight, WeightUnit
from stationmaster.domain.money import minor_units, round_to_minor
from stationmaster.domain.order import Customs, Discount, Line, LineOption, Order
from stationmaster.domain.shipment import Package, PackageItem, PackageOrigin, Shipment
from stationmaster.domain.stock import StockLevel
from stationmaster.domain.values import (
    CountryCode,
    CurrencyCode,
    DomainModel,
    FreeText,
    Instant,
    Money,
    NonNegativeMoney,
    OptionalText,
    PositiveMoney,
    Quantity,
    Text,
)

__all__ = [
    "GRAMS_PER_UNIT",
    "Address",
    "CountryCode",
    "CurrencyCode",
    "Customs",
    "Discount",
    "DomainModel",
    "FreeText",
    "Instant",
    "Line",
    "LineOption",
    "Money",
    "NonNegativeMoney",
    "OptionalText",
    "Order",
    "Package",
    "PackageItem",
    "PackageOrigin",
    "PositiveMoney",
    "Quantity",
    "Shipment",
    "StockLevel",
    "Text",
    "Weight",
    "WeightUnit",
    "minor_units",
    "round_to_minor",
]
