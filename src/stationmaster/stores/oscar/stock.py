"""Stock levels of Oscar stock records, changed by a delta under a row lock, once per key.

A SKU is a stock record's ``partner_sku``; with the ``partner`` setting only that partner's
records count, and without it a SKU several partners carry is refused as ambiguous. The
record is locked (``select_for_update``) and changed with an ``F()`` expression in one
transaction, so concurrent adjustments add up. An empty ``num_in_stock`` counts as zero; a
level below zero is refused and leaves the record as it was.

With an idempotency key the key is claimed first, in the same transaction (a
:class:`~stationmaster.stores.oscar.models.StockAdjustment` row, unique by key): a second
delivery of the key, even one racing the first, finds it taken and changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.db.models.functions import Coalesce
from oscar.core.loading import get_model  # type: ignore[import-untyped]

from stationmaster.stores.oscar.errors import AmbiguousSku, OutOfStock
from stationmaster.stores.oscar.models import StockAdjustment
from stationmaster.stores.protocol import StockKeyReused, UnknownSku


@dataclass(frozen=True, slots=True)
class Change:
    """One stock change: ``delta`` units of ``sku`` (of ``partner``, if set)."""

    sku: str
    delta: int
    partner: str | None = None
    key: str | None = None
    reason: str | None = None


def adjust_stock(change: Change) -> tuple[int, bool]:
    """The level after ``change``, and whether this call made it (``False``: a repeated key,
    nothing changed, the current level)."""
    with transaction.atomic():
        if change.key is not None and not _claim(change):
            return _repeat(change), False
        record = _record(change)
        on_hand = record.num_in_stock or 0
        if on_hand + change.delta < 0:
            raise OutOfStock(change.sku, on_hand, change.delta)
        type(record)._default_manager.filter(pk=record.pk).update(
            num_in_stock=Coalesce(F("num_in_stock"), 0) + change.delta
        )
        record.refresh_from_db(fields=["num_in_stock"])
        level: int = record.num_in_stock
        if change.key is not None:
            StockAdjustment.objects.filter(key=change.key).update(on_hand=level)
        return level, True


def _claim(change: Change) -> bool:
    """Take the key for this change; ``False`` when it was taken before."""
    try:
        with transaction.atomic():
            StockAdjustment.objects.create(
                key=change.key,
                sku=change.sku,
                partner=change.partner or "",
                delta=change.delta,
                on_hand=0,
                reason=change.reason or "",
            )
    except IntegrityError:
        return False
    return True


def _repeat(change: Change) -> int:
    done = StockAdjustment.objects.get(key=change.key)
    if (done.sku, done.delta, done.partner) != (change.sku, change.delta, change.partner or ""):
        raise StockKeyReused(
            f"idempotency key {change.key!r} was used for {done.delta:+d} of {done.sku!r}, "
            f"not {change.delta:+d} of {change.sku!r}"
        )
    level: int = _record(change).num_in_stock or 0
    return level


def _record(change: Change) -> Any:
    """The stock record of the change's SKU, locked."""
    records = get_model("partner", "StockRecord")._default_manager.filter(partner_sku=change.sku)
    if change.partner is not None:
        records = records.filter(partner__name=change.partner)
    found = list(records.select_for_update().select_related("partner")[:2])
    if not found:
        where = f" of partner {change.partner!r}" if change.partner is not None else ""
        raise UnknownSku(f"no Oscar stock record{where} has partner SKU {change.sku!r}")
    if len(found) > 1:
        partners = ", ".join(repr(record.partner.name) for record in found)
        raise AmbiguousSku(
            f"partner SKU {change.sku!r} has stock records of several partners ({partners}); "
            "name one with the oscar store's partner setting"
        )
    return found[0]
