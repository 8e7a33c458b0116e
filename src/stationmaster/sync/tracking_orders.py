"""What ShipStation's orders tell tracking: splits, merges and cancellations, learnt and kept.

ShipStation tells no one when a person splits or merges orders; the only trace is in the
orders themselves (``advancedOptions.mergedOrSplit``, ``parentId``, ``mergedIds``). This module
reads those marks into :class:`OrderFacts`: which ShipStation orders carry which of our order
keys (kept as ``tracking_links`` and in the sync records' ``related_ids``), which records must
never be pushed again (``frozen``), and which orders ShipStation cancelled.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from pydantic import JsonValue

from stationmaster import db
from stationmaster.shipstation import models as ss


@dataclass
class OrderFacts:
    """What a batch of ShipStation orders says about our order keys."""

    links: list[tuple[int, str, db.LinkRelation]] = field(default_factory=list)
    frozen: set[str] = field(default_factory=set)
    statuses: dict[str, str] = field(default_factory=dict)
    """Our order key -> ShipStation's current status for it."""
    related: dict[str, dict[str, JsonValue]] = field(default_factory=dict)
    """Our order key -> what to merge into its ``related_ids``."""
    cancelled: list[str] = field(default_factory=list)
    unreadable: int = 0


@dataclass(frozen=True, slots=True)
class KnownKeys:
    """Our order keys as the database knows them, for one batch."""

    records: Mapping[str, db.SyncRecord]
    by_order_id: Mapping[int, str]
    links: Mapping[int, list[str]]

    def own(self, order: ss.Order) -> str | None:
        """The key we pushed this ShipStation order under, if it is one of ours."""
        if order.orderKey and order.orderKey in self.records:
            return order.orderKey
        return self.by_order_id.get(order.orderId) if order.orderId is not None else None

    def behind(self, order_id: int) -> list[str]:
        """Our keys whose lines ShipStation order ``order_id`` holds (itself or through links)."""
        direct = self.by_order_id.get(order_id)
        return [direct] if direct is not None else list(self.links.get(order_id, []))


def ids_mentioned(orders: Sequence[ss.Order | None]) -> list[int]:
    """Every ShipStation order id a batch names: the orders, their parents, what they absorbed."""
    ids: list[int] = []
    for order in orders:
        if order is None or order.orderId is None:
            continue
        ids.append(order.orderId)
        options = order.advancedOptions
        if options is not None:
            if options.parentId is not None:
                ids.append(options.parentId)
            ids.extend(i for i in options.mergedIds or [] if i is not None)
    return ids


def read_orders(orders: Sequence[ss.Order | None], known: KnownKeys) -> OrderFacts:
    """The facts a batch of orders holds; orders without an id are counted as unreadable."""
    facts = OrderFacts()
    for order in orders:
        if order is None or order.orderId is None:
            facts.unreadable += 1
            continue
        own = known.own(order)
        options = order.advancedOptions
        if options is not None and options.mergedOrSplit:
            _read_split_merge(order.orderId, own, options, known, facts)
        if own is not None and order.orderStatus:
            facts.statuses[own] = order.orderStatus
            if order.orderStatus == "cancelled":
                facts.cancelled.append(own)
    return facts


def _read_split_merge(
    order_id: int,
    own: str | None,
    options: ss.AdvancedOptions,
    known: KnownKeys,
    facts: OrderFacts,
) -> None:
    if own is not None:
        facts.frozen.add(own)
    if options.parentId is not None:
        for key in known.behind(options.parentId):
            facts.links.append((order_id, key, "split"))
            facts.frozen.add(key)
            _add_id(facts.related.setdefault(key, {}), "split", order_id)
    for absorbed_id in options.mergedIds or []:
        for key in known.behind(absorbed_id):
            if key == own:
                continue
            facts.links.append((order_id, key, "merge"))
            facts.frozen.add(key)
            facts.related.setdefault(key, {})["merged_into"] = order_id
        if own is not None:
            _add_id(facts.related.setdefault(own, {}), "merged", absorbed_id)


def _add_id(target: dict[str, JsonValue], name: str, order_id: int) -> None:
    current = target.get(name)
    ids = list(current) if isinstance(current, list) else []
    if order_id not in ids:
        ids.append(order_id)
    target[name] = ids


def merged_related(current: JsonValue, learnt: Mapping[str, JsonValue]) -> JsonValue:
    """``related_ids`` with what was learnt added (id lists are unions, in first-seen order)."""
    merged: dict[str, JsonValue] = dict(current) if isinstance(current, dict) else {}
    for name, value in learnt.items():
        if isinstance(value, list):
            for order_id in value:
                if isinstance(order_id, int):
                    _add_id(merged, name, order_id)
        else:
            merged[name] = value
    return merged
