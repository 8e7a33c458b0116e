"""Shipment and fulfillment endpoints: labels bought in ShipStation, and orders marked shipped."""

from __future__ import annotations

import builtins
from collections.abc import AsyncIterator
from datetime import timedelta

from stationmaster.shipstation.models import (
    CreateLabelRequest,
    Fulfillment,
    FulfillmentFilter,
    FulfillmentList,
    Rate,
    RateRequest,
    Shipment,
    ShipmentFilter,
    ShipmentList,
    VoidLabelRequest,
    VoidLabelResponse,
    to_wire,
)
from stationmaster.shipstation.paging import SkippedRecord, walk_filter
from stationmaster.shipstation.resources._base import Resource


def _shipment_id(shipment: Shipment) -> object:
    return shipment.shipmentId


def _fulfillment_id(fulfillment: Fulfillment) -> object:
    return fulfillment.fulfillmentId


class Shipments(Resource):
    __slots__ = ()

    async def list(self, query: ShipmentFilter | None = None) -> ShipmentList:
        params = (query or ShipmentFilter()).to_params()
        return await self._client.call(
            ShipmentList, "GET", "/shipments", params=params, idempotent=True
        )

    def iterate(
        self,
        query: ShipmentFilter | None = None,
        *,
        split_on: str | None = None,
        max_window: timedelta | None = None,
        skipped: builtins.list[SkippedRecord] | None = None,
    ) -> AsyncIterator[Shipment]:
        return walk_filter(
            self.list,
            query or ShipmentFilter(),
            key=_shipment_id,
            split_on=split_on,
            max_window=max_window,
            skipped=skipped,
        )

    async def create_label(self, request: CreateLabelRequest) -> Shipment:
        """Buys a label not tied to an order: never repeated blindly."""
        return await self._client.call(
            Shipment, "POST", "/shipments/createlabel", body=to_wire(request), idempotent=False
        )

    async def get_rates(self, request: RateRequest) -> builtins.list[Rate]:
        return await self._client.call_list(
            Rate, "/shipments/getrates", method="POST", body=to_wire(request)
        )

    async def void_label(self, shipment_id: int) -> VoidLabelResponse:
        body = VoidLabelRequest(shipmentId=shipment_id)
        return await self._client.call(
            VoidLabelResponse, "POST", "/shipments/voidlabel", body=to_wire(body), idempotent=True
        )


class Fulfillments(Resource):
    __slots__ = ()

    async def list(self, query: FulfillmentFilter | None = None) -> FulfillmentList:
        params = (query or FulfillmentFilter()).to_params()
        return await self._client.call(
            FulfillmentList, "GET", "/fulfillments", params=params, idempotent=True
        )

    def iterate(
        self,
        query: FulfillmentFilter | None = None,
        *,
        split_on: str | None = None,
        max_window: timedelta | None = None,
        skipped: builtins.list[SkippedRecord] | None = None,
    ) -> AsyncIterator[Fulfillment]:
        return walk_filter(
            self.list,
            query or FulfillmentFilter(),
            key=_fulfillment_id,
            split_on=split_on,
            max_window=max_window,
            skipped=skipped,
        )
