"""Webhooks on the wire: subscriptions (PascalCase), subscribe bodies, deliveries (api §11).

A delivery only names a URL to fetch; it carries no signature and no data of its own.
"""

from __future__ import annotations

from typing import Self

from pydantic import JsonValue, model_validator

from stationmaster.shipstation.models.base import WireModel
from stationmaster.shipstation.models.fields import NullDroppingList
from stationmaster.shipstation.models.vocabulary import WebhookEvent


class Webhook(WireModel):
    """One subscription as ``GET /webhooks`` lists it (ShipStation's PascalCase)."""

    IsLabelAPIHook: bool | None = None
    WebHookID: int | None = None
    SellerID: int | None = None
    StoreID: int | None = None
    HookType: str | None = None
    MessageFormat: str | None = None
    Url: str | None = None
    Name: str | None = None
    BulkCopyBatchID: JsonValue = None
    BulkCopyRecordID: JsonValue = None
    Active: bool | None = None
    WebhookLogs: JsonValue = None
    Seller: JsonValue = None
    Store: JsonValue = None


class WebhookList(WireModel):
    """``GET /webhooks``: ``{"webhooks": [...]}``, never paged."""

    webhooks: NullDroppingList[Webhook] | None = None


class SubscribeRequest(WireModel):
    """``POST /webhooks/subscribe``; without ``store_id`` the hook fires for every store."""

    target_url: str
    event: WebhookEvent
    store_id: int | None = None
    friendly_name: str | None = None


class SubscribeResponse(WireModel):
    """Documents disagree on the answer: ``{"id": N}`` (old model) or ``{"WebHookID": N,
    "HookType", "Url", "Name"}`` (current OpenAPI). Both parse; ``webhook_id`` gives N."""

    id: int | None = None
    WebHookID: int | None = None
    HookType: str | None = None
    Url: str | None = None
    Name: str | None = None

    @model_validator(mode="after")
    def _names_the_webhook(self) -> Self:
        if self.id is None and self.WebHookID is None:
            raise ValueError("a subscribe response must carry 'id' or 'WebHookID'")
        return self

    @property
    def webhook_id(self) -> int:
        found = self.id if self.id is not None else self.WebHookID
        if found is None:  # only reachable when built with model_construct()
            raise ValueError("this subscribe response names no webhook")
        return found


class WebhookPayload(WireModel):
    """What ShipStation POSTs to a subscribed URL: fetch ``resource_url`` with our own key.

    ``resource_type`` stays a string: an event type added later must still reach the handler.
    """

    resource_url: str
    resource_type: str
