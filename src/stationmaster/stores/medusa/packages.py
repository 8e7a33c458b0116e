"""How ShipStation packages are recorded on a Medusa order, and read back.

A live package becomes a Medusa fulfillment of the units it ships, marked shipped at once with
a label carrying its tracking number and a tracking link (Medusa then shows the order as
partially shipped or shipped). The fulfillment's ``metadata`` holds the package key
(``{"stationmaster_package": "shipment:300000001"}``): that is how a package applied before is
recognised, so applying the same shipment again creates nothing.

Medusa cancels only fulfillments that have not shipped, and refuses a fulfillment with nothing
left to fulfil. So what a fulfillment cannot say is kept in the order's ``metadata``, under
:data:`LEDGER`, as package key -> ``{"voided", "tracking_number"}``: the void of a package
whose fulfillment had shipped (the fulfillment stays, its units stay fulfilled), and a package
with no unfulfilled unit left to ship (a second box of an order already fulfilled, or a new
label for the units of a voided one). A fulfillment of ours that never shipped (a crash between
the two writes) is shipped on the next apply, or cancelled if its package was voided.

:func:`plan` is pure: it looks at what the order holds and says what to do.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Literal

from stationmaster.domain import Package, Shipment
from stationmaster.stores.packing import one_per_key, package_of, take_units

KEY_FIELD: Final = "stationmaster_package"
"""The fulfillment metadata field holding the package key."""
LEDGER: Final = "stationmaster_packages"
"""The order metadata field holding packages no fulfillment can record (see the docstring)."""

_TRACKING_LINKS: Final = {
    "ups": "https://www.ups.com/track?tracknum={}",
    "usps": "https://tools.usps.com/go/TrackConfirmAction?tLabels={}",
    "stamps_com": "https://tools.usps.com/go/TrackConfirmAction?tLabels={}",
    "fedex": "https://www.fedex.com/fedextrack/?trknbr={}",
    "dhl_express": "https://www.dhl.com/en/express/tracking.html?AWB={}",
}
"""Public tracking pages by ShipStation carrier code (carriers not listed get no link)."""


def tracking_url(package: Package) -> str:
    """A public tracking page of the package, or ``""`` when its carrier has none listed."""
    template = _TRACKING_LINKS.get((package.carrier or "").casefold())
    return template.format(package.tracking_number) if template and package.tracking_number else ""


def labels(package: Package) -> list[dict[str, str]]:
    """The shipment labels of a package: one with its tracking number, or none without."""
    if not package.tracking_number:
        return []
    return [
        {
            "tracking_number": package.tracking_number,
            "tracking_url": tracking_url(package),
            "label_url": "",
        }
    ]


@dataclass(frozen=True, slots=True)
class Fulfillment:
    """One of our fulfillments as the order holds it."""

    id: str
    items: dict[str, int]
    """Order line item id -> units."""
    shipped: bool
    canceled: bool
    tracking_number: str | None

    @classmethod
    def of(cls, raw: Mapping[str, Any]) -> Fulfillment:
        items: dict[str, int] = {}
        for item in raw.get("items") or []:
            line_id = str(item["line_item_id"])
            items[line_id] = items.get(line_id, 0) + int(item["quantity"])
        numbers = [label.get("tracking_number") for label in raw.get("labels") or []]
        tracking = next((n for n in numbers if isinstance(n, str) and n), None)
        return cls(
            id=str(raw["id"]),
            items=items,
            shipped=raw.get("shipped_at") is not None,
            canceled=raw.get("canceled_at") is not None,
            tracking_number=tracking,
        )


@dataclass(frozen=True, slots=True)
class Noted:
    """A package kept in the order's ledger: voided or not, and its tracking number."""

    voided: bool
    tracking_number: str | None

    def dump(self) -> dict[str, object]:
        return {"voided": self.voided, "tracking_number": self.tracking_number}


@dataclass(frozen=True, slots=True)
class Recorded:
    """What an order already holds: our fulfillments and ledger entries, by package key."""

    fulfillments: dict[str, list[Fulfillment]]
    ledger: dict[str, Noted]
    unfulfilled: dict[str, int]
    """Order line item id -> units in no live fulfillment (ours or anyone's)."""

    @classmethod
    def of(cls, order: Mapping[str, Any]) -> Recorded:
        unfulfilled = {str(item["id"]): int(item["quantity"]) for item in order.get("items") or []}
        fulfillments: dict[str, list[Fulfillment]] = {}
        for raw in order.get("fulfillments") or []:
            fulfillment = Fulfillment.of(raw)
            key = (raw.get("metadata") or {}).get(KEY_FIELD)
            if isinstance(key, str):
                fulfillments.setdefault(key, []).append(fulfillment)
            if fulfillment.canceled:
                continue
            for line_id, units in fulfillment.items.items():
                if line_id in unfulfilled:
                    unfulfilled[line_id] -= units
        return cls(fulfillments, read_ledger(order.get("metadata")), unfulfilled)


def read_ledger(metadata: object) -> dict[str, Noted]:
    """The ledger in an order's metadata (entries that do not fit are ignored)."""
    entries = metadata.get(LEDGER) if isinstance(metadata, dict) else None
    ledger: dict[str, Noted] = {}
    for key, entry in (entries if isinstance(entries, dict) else {}).items():
        if isinstance(entry, dict) and isinstance(entry.get("voided"), bool):
            tracking = entry.get("tracking_number")
            ledger[key] = Noted(entry["voided"], tracking if isinstance(tracking, str) else None)
    return ledger


@dataclass(frozen=True, slots=True)
class Step:
    """One write: fulfil and ship, ship one left unshipped, cancel one, or note in the ledger."""

    action: Literal["fulfil", "ship", "cancel", "note"]
    package: Package
    items: dict[str, int] = field(default_factory=dict)
    fulfillment_id: str | None = None


def plan(shipment: Shipment, recorded: Recorded) -> list[Step]:
    """The writes that make the order hold ``shipment``'s packages; none when it does already.

    Voids go first, so the units of a voided package whose fulfillment can still be cancelled
    are free again for its replacement.
    """
    packages = one_per_key(shipment.packages)
    unfulfilled = dict(recorded.unfulfilled)
    steps: list[Step] = []
    for package in [p for p in packages if p.voided]:
        steps += _void(package, recorded, unfulfilled)
    for package in [p for p in packages if not p.voided]:
        steps += _keep(package, recorded, unfulfilled)
    return steps


def _void(package: Package, recorded: Recorded, unfulfilled: dict[str, int]) -> list[Step]:
    steps: list[Step] = []
    live = [f for f in recorded.fulfillments.get(package.key, []) if not f.canceled]
    for fulfillment in live:
        if fulfillment.shipped:
            continue
        steps.append(Step("cancel", package, fulfillment_id=fulfillment.id))
        for line_id, units in fulfillment.items.items():
            if line_id in unfulfilled:
                unfulfilled[line_id] += units
    entry = recorded.ledger.get(package.key)
    kept = any(f.shipped for f in live) or entry is not None
    if kept and not (entry is not None and entry.voided):
        steps.append(Step("note", package))
    return steps


def _keep(package: Package, recorded: Recorded, unfulfilled: dict[str, int]) -> list[Step]:
    existing = recorded.fulfillments.get(package.key, [])
    if existing or package.key in recorded.ledger:
        return [
            Step("ship", package, items=f.items, fulfillment_id=f.id)
            for f in existing
            if not f.shipped and not f.canceled
        ]
    items = take_units(package, unfulfilled)
    return [Step("fulfil", package, items=items) if items else Step("note", package)]


def noted(package: Package) -> Noted:
    """The ledger entry a ``note`` step writes for ``package``."""
    return Noted(package.voided, package.tracking_number)


def read_back(source_id: str, number: str | None, recorded: Recorded) -> Shipment:
    """The packages an order holds, as :class:`Package` objects with their keys and voids."""
    packages: list[Package] = []
    for key, fulfillments in recorded.fulfillments.items():
        live = [f for f in fulfillments if not f.canceled]
        shown = live[0] if live else fulfillments[0]
        entry = recorded.ledger.get(key)
        voided = not live or (entry is not None and entry.voided)
        packages.append(
            package_of(key, voided=voided, tracking=shown.tracking_number, items=shown.items)
        )
    for key, entry in recorded.ledger.items():
        if key not in recorded.fulfillments:
            packages.append(
                package_of(key, voided=entry.voided, tracking=entry.tracking_number, items={})
            )
    return Shipment(order_source_id=source_id, order_number=number, packages=packages)
