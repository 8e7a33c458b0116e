"""Webhook endpoints: list, subscribe, unsubscribe, and fetching what a delivery points at."""

from __future__ import annotations

from stationmaster.shipstation.models import (
    FulfillmentList,
    OrderList,
    ShipmentList,
    SubscribeRequest,
    SubscribeResponse,
    WebhookList,
    WebhookPayload,
    to_wire,
)
from stationmaster.shipstation.resources._base import Resource


class Webhooks(Resource):
    __slots__ = ()

    async def list(self) -> WebhookList:
        return await self._client.call(WebhookList, "GET", "/webhooks", idempotent=True)

    async def subscribe(self, request: SubscribeRequest) -> SubscribeResponse:
        """Not repeated blindly: a second attempt could leave two subscriptions."""
        return await self._client.call(
            SubscribeResponse,
            "POST",
            "/webhooks/subscribe",
            body=to_wire(request),
            idempotent=False,
        )

    async def unsubscribe(self, webhook_id: int) -> None:
        await self._client.send("DELETE", f"/webhooks/{int(webhook_id)}", idempotent=True)

    async def resource(self, payload: WebhookPayload) -> OrderList | ShipmentList | FulfillmentList:
        """The first page of records a delivery announces, fetched with our key pair.

        The URL is checked before credentials go anywhere; see
        :meth:`ShipStationClient.get_resource`. Later pages: add ``page=N`` to the URL.
        """
        if not payload.resource_url:
            raise ValueError("webhook payload has no resource_url")
        kind = (payload.resource_type or "").upper()
        model = RESOURCE_MODELS.get(kind)
        if model is None:
            raise ValueError(f"unknown webhook resource_type {payload.resource_type!r}")
        return await self._client.get_resource(payload.resource_url, model)


RESOURCE_MODELS: dict[str, type[OrderList] | type[ShipmentList] | type[FulfillmentList]] = {
    "ORDER_NOTIFY": OrderList,
    "ITEM_ORDER_NOTIFY": OrderList,
    "SHIP_NOTIFY": ShipmentList,
    "ITEM_SHIP_NOTIFY": ShipmentList,
    "FULFILLMENT_SHIPPED": FulfillmentList,
    "FULFILLMENT_REJECTED": FulfillmentList,
}
