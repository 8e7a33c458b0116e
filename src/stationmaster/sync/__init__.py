"""Joining stores and ShipStation: the sync rules, the order mapping and the validation report.

``Rules`` (loaded with ``load_rules``) says how a connection's orders are treated;
``map_order`` turns one canonical order into a ShipStation order or names what is wrong with
it; ``fingerprint`` tells whether a payload changed; ``validate_orders`` checks many orders
at once for ``stationmaster validate``.
"""

from stationmaster.sync.mapping import (
    KEY_MAX_LENGTH,
    Action,
    Mapped,
    Problem,
    Severity,
    fingerprint,
    line_item_key,
    map_order,
    order_key,
)
from stationmaster.sync.rules import Rules, load_rules
from stationmaster.sync.validation import Report, ReportRow, validate_orders, write_csv

__all__ = [
    "KEY_MAX_LENGTH",
    "Action",
    "Mapped",
    "Problem",
    "Report",
    "ReportRow",
    "Rules",
    "Severity",
    "fingerprint",
    "line_item_key",
    "load_rules",
    "map_order",
    "order_key",
    "validate_orders",
    "write_csv",
]
