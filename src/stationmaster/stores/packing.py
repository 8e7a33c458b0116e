"""Planning ShipStation packages onto a store's order: the steps every connector's plan shares.

A shipment can carry a package more than once (a label and its void); an order has so many
units left to fulfil; a package read back from the store is rebuilt from its key. These are
the same for every store, whatever it records a package as.
"""

from __future__ import annotations

from collections.abc import Sequence

from stationmaster.domain import Package


def one_per_key(packages: Sequence[Package]) -> list[Package]:
    """Each key once: its last copy, or a voided one (a void sticks whatever follows it)."""
    by_key: dict[str, Package] = {}
    for package in packages:
        known = by_key.get(package.key)
        if known is None or not known.voided:
            by_key[package.key] = package
    return list(by_key.values())


def take_units(package: Package, unfulfilled: dict[str, int]) -> dict[str, int]:
    """The units ``package`` ships that no live fulfillment holds yet (taken from
    ``unfulfilled``); a package without items takes every unit left."""
    wanted: dict[str, int] = {} if package.items else dict(unfulfilled)
    for item in package.items:
        wanted[item.line_id] = wanted.get(item.line_id, 0) + item.quantity
    taken: dict[str, int] = {}
    for line_id, quantity in wanted.items():
        units = min(quantity, unfulfilled.get(line_id, 0))
        if units > 0:
            taken[line_id] = units
            unfulfilled[line_id] -= units
    return taken


def package_of(key: str, *, voided: bool, tracking: object, items: dict[str, int]) -> Package:
    """The package recorded under ``key`` (``origin:id``); ``tracking`` is kept when it is text."""
    origin, origin_id = key.split(":", 1)
    return Package.model_validate(
        {
            "origin": origin,
            "origin_id": origin_id,
            "tracking_number": tracking if isinstance(tracking, str) else None,
            "items": [
                {"line_id": line_id, "quantity": quantity}
                for line_id, quantity in items.items()
                if quantity > 0
            ],
            "voided": voided,
        }
    )
