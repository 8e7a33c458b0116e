"""How ShipStation packages are recorded on a Vendure order, and read back.

A live package becomes a Vendure fulfillment (through the configured fulfillment handler)
holding the lines it ships, its tracking code, and a ``method`` text that ends with the
package's key in brackets (``UPS Ground [stationmaster shipment:300000001]``). The key is how a
package applied before is recognised, so applying the same shipment again creates nothing;
a voided package's fulfillment is moved to ``Cancelled`` and, being still there, is never
created again. Vendure needs at least one unfulfilled unit for a fulfillment, so a package
with nothing left to ship (a second box of an order already fulfilled) is recorded as a private
order note carrying the same key, and its void as a second note.

:func:`plan` is pure: it looks at what the order holds and says what to do.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Literal

from stationmaster.domain import Package, Shipment
from stationmaster.stores.packing import one_per_key, package_of, take_units

MARKER: Final = "stationmaster"
CANCELLED: Final = "Cancelled"
_KEY = r"(?P<key>(?:shipment|fulfillment|shipnotify):\S+)"
_IN_METHOD: Final = re.compile(rf"\[{MARKER} {_KEY}\]\s*$")
_NOTE: Final = re.compile(rf"^{MARKER} package {_KEY}(?P<void> voided)?(?::|$)")


def method_text(package: Package) -> str:
    """The fulfillment ``method``: carrier and service for people, the key for us."""
    label = " ".join(part for part in (package.carrier, package.service) if part) or "ShipStation"
    return f"{label} [{MARKER} {package.key}]"


def note_text(package: Package) -> str:
    """The private note that records a package which ships no unfulfilled unit."""
    if package.voided:
        return f"{MARKER} package {package.key} voided"
    tracking = package.tracking_number or "no tracking number"
    via = " ".join(part for part in (package.carrier, package.service) if part)
    return (
        f"{MARKER} package {package.key}: {tracking}"
        + (f" via {via}" if via else "")
        + " (every unit was already in another fulfillment)"
    )


def key_in_method(method: object) -> str | None:
    match = _IN_METHOD.search(method) if isinstance(method, str) else None
    return match["key"] if match else None


@dataclass(frozen=True, slots=True)
class Recorded:
    """What an order already holds: our fulfillments by key, and noted packages by key."""

    fulfillments: dict[str, list[Mapping[str, Any]]]
    notes: dict[str, bool]
    """Package key -> voided, for packages recorded as notes."""
    unfulfilled: dict[str, int]
    """Order line id -> units not in any live fulfillment (ours or anyone's)."""

    @classmethod
    def of(cls, order: Mapping[str, Any]) -> Recorded:
        fulfillments: dict[str, list[Mapping[str, Any]]] = {}
        unfulfilled = {str(line["id"]): int(line["quantity"]) for line in order.get("lines") or []}
        for fulfillment in order.get("fulfillments") or []:
            key = key_in_method(fulfillment.get("method"))
            if key is not None:
                fulfillments.setdefault(key, []).append(fulfillment)
            if fulfillment.get("state") == CANCELLED:
                continue
            for line in fulfillment.get("lines") or []:
                line_id = str(line.get("orderLineId"))
                if line_id in unfulfilled:
                    unfulfilled[line_id] -= int(line.get("quantity") or 0)
        notes: dict[str, bool] = {}
        history = order.get("history") or {}
        for entry in history.get("items") or []:
            data = entry.get("data") or {}
            match = _NOTE.match(str(data.get("note") or ""))
            if match:
                notes[match["key"]] = notes.get(match["key"], False) or bool(match["void"])
        return cls(fulfillments, notes, unfulfilled)


@dataclass(frozen=True, slots=True)
class Step:
    """One write: create a fulfillment, move one, or add a note."""

    action: Literal["fulfil", "transition", "note"]
    package: Package
    lines: dict[str, int] = field(default_factory=dict)
    fulfillment_id: str | None = None
    state: str | None = None


def plan(shipment: Shipment, recorded: Recorded, *, ship_states: Sequence[str]) -> list[Step]:
    """The writes that make the order hold ``shipment``'s packages; none when it does already.

    Voids go first, so the units of a voided label are free again for its replacement.
    ``ship_states`` are the fulfillment states a new fulfillment is moved through (``Shipped``,
    then ``Delivered`` where so configured); a fulfillment of ours left short of the last one
    (a crash between two writes) is moved on.
    """
    packages = one_per_key(shipment.packages)
    unfulfilled = dict(recorded.unfulfilled)
    steps: list[Step] = []
    for package in [p for p in packages if p.voided] + [p for p in packages if not p.voided]:
        existing = recorded.fulfillments.get(package.key, [])
        if package.voided:
            steps += [
                Step("transition", package, fulfillment_id=str(f["id"]), state=CANCELLED)
                for f in existing
                if f.get("state") != CANCELLED
            ]
            for fulfillment in existing:
                if fulfillment.get("state") != CANCELLED:
                    for line in fulfillment.get("lines") or []:
                        line_id = str(line.get("orderLineId"))
                        if line_id in unfulfilled:
                            unfulfilled[line_id] += int(line.get("quantity") or 0)
            if recorded.notes.get(package.key) is False:
                steps.append(Step("note", package))
            continue
        if existing:
            steps += _catch_up(package, existing, ship_states)
            continue
        if package.key in recorded.notes:
            continue
        lines = take_units(package, unfulfilled)
        steps.append(Step("fulfil", package, lines=lines) if lines else Step("note", package))
    return steps


def _catch_up(
    package: Package, existing: Sequence[Mapping[str, Any]], ship_states: Sequence[str]
) -> list[Step]:
    steps: list[Step] = []
    for fulfillment in existing:
        state = fulfillment.get("state")
        if state == CANCELLED or state in ship_states[-1:]:
            continue
        todo = list(ship_states)
        if state in todo:
            todo = todo[todo.index(state) + 1 :]
        steps += [
            Step("transition", package, fulfillment_id=str(fulfillment["id"]), state=target)
            for target in todo
        ]
    return steps


def read_back(source_id: str, number: str | None, recorded: Recorded) -> Shipment:
    """The packages an order holds, as :class:`Package` objects with their keys and voids."""
    packages: list[Package] = []
    for key, fulfillments in recorded.fulfillments.items():
        live = [f for f in fulfillments if f.get("state") != CANCELLED]
        shown = live[0] if live else fulfillments[0]
        packages.append(
            package_of(
                key,
                voided=not live,
                tracking=shown.get("trackingCode"),
                items={
                    str(line.get("orderLineId")): int(line.get("quantity") or 0)
                    for line in shown.get("lines") or []
                },
            )
        )
    for key, voided in recorded.notes.items():
        if key not in recorded.fulfillments:
            packages.append(package_of(key, voided=voided, tracking=None, items={}))
    return Shipment(order_source_id=source_id, order_number=number, packages=packages)
