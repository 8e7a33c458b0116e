"""The app's tables in the shop's database: the change log, packages, keyed stock changes.

``OrderChange`` is the change feed: one row per change of an order, written by the receivers
in :mod:`.signals` in the transaction of the change itself, numbered by the database. Its
``id`` is the connector's cursor, so changes at one instant keep their order and none is
skipped. ``order_id`` is a plain number, not a foreign key, so the row of a deleted order
stays and deleting an order is not slowed down by it.

``ShippedPackage`` remembers which ShipStation package (its key, such as
``shipment:300000001``) became which Oscar ``ShippingEvent``, so a package applied twice is
recorded once, and a voided one is found again to be re-typed as voided.

``StockAdjustment`` keeps the idempotency key of a keyed stock change in the transaction of
the change itself, so a delivery repeated (or sent twice at once) changes the level once.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from django.db import models
from django.utils import timezone


class OrderChange(models.Model):
    """One change of one Oscar order; ``id`` orders the feed."""

    id: models.BigAutoField[int, int] = models.BigAutoField(primary_key=True)
    order_id: models.BigIntegerField[int, int] = models.BigIntegerField(db_index=True)
    what: models.CharField[str, str] = models.CharField(max_length=40)
    """Which kind of record changed (``order``, ``line``, ``shipping_event``, ``resync`` ...)."""
    changed_at: models.DateTimeField[datetime, datetime] = models.DateTimeField(
        default=timezone.now
    )

    objects: ClassVar[models.Manager[OrderChange]] = models.Manager()

    class Meta:
        ordering = ("id",)
        verbose_name = "order change"

    def __str__(self) -> str:
        return f"#{self.id}: order {self.order_id} ({self.what})"


class ShippedPackage(models.Model):
    """A ShipStation package recorded on an Oscar order, and the event that records it."""

    order: models.ForeignKey[Any, Any] = models.ForeignKey(
        "order.Order", on_delete=models.CASCADE, related_name="stationmaster_packages"
    )
    key: models.CharField[str, str] = models.CharField(max_length=255)
    """The package's key (``origin:origin_id``)."""
    event: models.ForeignKey[Any, Any] = models.ForeignKey(
        "order.ShippingEvent", on_delete=models.SET_NULL, null=True, related_name="+"
    )
    package: models.JSONField[Any, Any] = models.JSONField()
    """The package as stationmaster knows it (tracking, carrier, items), without ``voided``."""
    voided: models.BooleanField[bool, bool] = models.BooleanField(default=False)
    recorded_at: models.DateTimeField[datetime, datetime] = models.DateTimeField(
        default=timezone.now
    )
    voided_at: models.DateTimeField[datetime | None, datetime | None] = models.DateTimeField(
        null=True, blank=True
    )

    objects: ClassVar[models.Manager[ShippedPackage]] = models.Manager()

    class Meta:
        ordering = ("id",)
        constraints = (
            models.UniqueConstraint(fields=("order", "key"), name="stationmaster_oscar_one_key"),
        )

    def __str__(self) -> str:
        state = "voided" if self.voided else "live"
        return f"{self.key} ({state})"


class StockAdjustment(models.Model):
    """A keyed change of a stock record's ``num_in_stock``, made once per key."""

    key: models.CharField[str, str] = models.CharField(max_length=255, unique=True)
    sku: models.CharField[str, str] = models.CharField(max_length=128)
    partner: models.CharField[str, str] = models.CharField(max_length=128, blank=True)
    delta: models.IntegerField[int, int] = models.IntegerField()
    on_hand: models.IntegerField[int, int] = models.IntegerField()
    """The level right after the change."""
    reason: models.TextField[str, str] = models.TextField(blank=True)
    applied_at: models.DateTimeField[datetime, datetime] = models.DateTimeField(
        default=timezone.now
    )

    objects: ClassVar[models.Manager[StockAdjustment]] = models.Manager()

    class Meta:
        ordering = ("id",)

    def __str__(self) -> str:
        return f"{self.key}: {self.delta:+d} of {self.sku}"
