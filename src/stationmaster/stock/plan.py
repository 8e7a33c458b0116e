"""What a reconcile changes: from both sides' counts to one delta per SKU, nothing else.

For every SKU ShipStation lists, the store should offer what ShipStation has available less
the units of orders ShipStation has not taken yet (they are sold, but not yet allocated
there): ``target = max(0, available - demand)``, and the change is ``target - current``.
A target below zero is held at zero (the SKU is *oversold*: orders wait for more than the
warehouse has) and reported. A SKU only the store has is not ShipStation's to count and is
left as it is (reported as ``store_only``); a SKU only ShipStation has is added to the store
(``created``) when the store keeps levels of its own, like the native store, and is reported
as ``unkept`` (and left alone) when the store cannot add it: an Oscar stock record needs a
product, which only the shop can make.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class StockChange:
    """One SKU's reckoning; ``delta`` is what the reconcile adds to the store's level."""

    sku: str
    current: int
    available: int
    demand: int
    target: int
    delta: int
    created: bool = False

    @property
    def oversold(self) -> bool:
        return self.available - self.demand < 0


@dataclass(frozen=True)
class Plan:
    """Every SKU of both sides, accounted for: changed, unchanged, the store's alone, or
    ShipStation's alone and not kept by the store."""

    changes: list[StockChange] = field(default_factory=list)
    unchanged: int = 0
    store_only: int = 0
    oversold: list[str] = field(default_factory=list)
    #: SKUs ShipStation counts that the store keeps no level of and could not add.
    unkept: list[str] = field(default_factory=list)

    @property
    def created(self) -> int:
        return sum(1 for change in self.changes if change.created)

    @property
    def skus(self) -> int:
        return len(self.changes) + self.unchanged + self.store_only + len(self.unkept)


def make_plan(
    current: Mapping[str, int],
    available: Mapping[str, int],
    demand: Mapping[str, int],
    *,
    created: Collection[str] = (),
) -> Plan:
    """The plan for store levels ``current`` against ShipStation's ``available``.

    ``created`` names SKUs the store has only because this reconcile added them (at zero,
    unless ``current`` says otherwise); a SKU of ``available`` that is in neither is one the
    store does not keep, reported ``unkept`` and never changed. ``demand`` may name SKUs of
    either side or neither.
    """
    changes: list[StockChange] = []
    oversold: list[str] = []
    unkept: list[str] = []
    unchanged = 0
    new = set(created)
    for sku in sorted(available):
        if sku not in current and sku not in new:
            unkept.append(sku)
            continue
        have, units = current.get(sku, 0), demand.get(sku, 0)
        target = max(0, available[sku] - units)
        change = StockChange(
            sku, have, available[sku], units, target, target - have, created=sku in new
        )
        if change.oversold:
            oversold.append(sku)
        if change.delta or change.created:
            changes.append(change)
        else:
            unchanged += 1
    store_only = sum(1 for sku in current if sku not in available)
    return Plan(changes, unchanged, store_only, oversold, unkept)
