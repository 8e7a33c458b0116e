"""Webhooks: subscriptions, deliveries into a receiver, and fetching what they announce."""

from __future__ import annotations

import httpx2
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from stationmaster.emulator import Emulator, EmulatorConfig
from stationmaster.shipstation.models import (
    OrderList,
    ShipmentList,
    SubscribeRequest,
    WebhookPayload,
)
from stationmaster.testing.plugin import make_client
from tests.contract.test_orders import simple_order

pytestmark = pytest.mark.anyio


def receiver() -> tuple[Starlette, list[dict[str, object]]]:
    received: list[dict[str, object]] = []

    async def hook(request: Request) -> Response:
        received.append(await request.json())
        return Response(status_code=200)

    return Starlette(routes=[Route("/hooks/{token}", hook, methods=["POST"])]), received


async def test_subscribe_deliver_and_fetch_the_resource() -> None:
    app, received = receiver()
    emulator = Emulator(
        EmulatorConfig(api_key="k", api_secret="s", webhook_transport=httpx2.ASGITransport(app=app))
    )
    async with make_client(emulator) as client:
        sub = await client.webhooks.subscribe(
            SubscribeRequest(target_url="http://receiver.test/hooks/t0ken", event="ORDER_NOTIFY")
        )
        ship_sub = await client.webhooks.subscribe(
            SubscribeRequest(target_url="http://receiver.test/hooks/t0ken", event="SHIP_NOTIFY")
        )
        assert sub.webhook_id and ship_sub.webhook_id
        listed = await client.webhooks.list()
        assert {w.WebHookID for w in listed.webhooks or []} == {sub.webhook_id, ship_sub.webhook_id}

        order = await client.orders.create(simple_order("WH-1", key="shop:wh1"))
        assert order.orderId
        emulator.ship_order(order.orderId)
        await emulator.deliver_webhooks()
        kinds = sorted(str(p["resource_type"]) for p in received)
        assert kinds == ["ORDER_NOTIFY", "SHIP_NOTIFY"]

        for body in received:
            payload = WebhookPayload.model_validate(body)
            page = await client.webhooks.resource(payload)
            if payload.resource_type == "ORDER_NOTIFY":
                assert isinstance(page, OrderList)
                assert [o.orderId for o in page.records()] == [order.orderId]
            else:
                assert isinstance(page, ShipmentList)
                assert [s.orderId for s in page.records()] == [order.orderId]

        await client.webhooks.unsubscribe(sub.webhook_id)
        remaining = await client.webhooks.list()
        assert [w.WebHookID for w in remaining.webhooks or []] == [ship_sub.webhook_id]


@pytest.mark.parametrize(
    "url",
    [
        "https://evil.example.com/orders?storeID=1",
        "https://ssapi.shipstation.com.evil.example/orders",
        "https://ssapi.shipstation.com@evil.example/orders",
        "http://ssapi.shipstation.com/orders",  # credentials never over plain http
    ],
)
async def test_resource_urls_off_shipstation_are_refused_before_sending(url: str) -> None:
    emulator = Emulator(EmulatorConfig(api_key="k", api_secret="s"))
    async with make_client(emulator) as client:
        with pytest.raises(ValueError, match="refusing"):
            await client.webhooks.resource(
                WebhookPayload(resource_url=url, resource_type="ORDER_NOTIFY")
            )
    assert emulator.calls == []


async def test_unknown_resource_type_is_refused() -> None:
    emulator = Emulator(EmulatorConfig(api_key="k", api_secret="s"))
    async with make_client(emulator) as client:
        with pytest.raises(ValueError, match="resource_type"):
            await client.webhooks.resource(
                WebhookPayload(
                    resource_url=f"{emulator.base_url}/orders", resource_type="SOMETHING_ELSE"
                )
            )
