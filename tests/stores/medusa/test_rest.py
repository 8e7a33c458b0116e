"""The Admin API client: its login and token, and a clear StoreError for every failure."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal

import httpx2
import pytest

from stationmaster.stores import StoreError
from stationmaster.stores.medusa.rest import (
    AdminClient,
    MedusaAuthError,
    MedusaHTTPError,
    MedusaNotFound,
    MedusaTimeout,
    MedusaUnavailable,
)
from tests.stores.medusa.fake_admin import EMAIL, TOKEN, URL, FakeMedusa, raw_order
from tests.stores.support import raising

pytestmark = pytest.mark.anyio

AT = datetime(2026, 11, 22, tzinfo=UTC)


def client_for(
    handler: Callable[[httpx2.Request], httpx2.Response], password: str = "secret"
) -> AdminClient:
    return AdminClient(URL, email=EMAIL, password=password, transport=httpx2.MockTransport(handler))


def fake_client(fake: FakeMedusa, password: str = "secret") -> AdminClient:
    return AdminClient(URL, email=EMAIL, password=password, transport=fake.transport())


async def test_it_logs_in_once_and_carries_the_token() -> None:
    fake = FakeMedusa(orders=[raw_order(1, AT)])
    async with fake_client(fake) as client:
        for _ in range(3):
            answer = await client.get("/admin/orders", {"limit": 5})
            assert [order["id"] for order in answer["orders"]] == ["order_0001"]
    assert fake.logins == 1
    assert fake.calls == ["POST /auth/user/emailpass"] + ["GET /admin/orders"] * 3


async def test_amounts_with_a_fraction_are_read_as_decimals() -> None:
    fake = FakeMedusa(orders=[raw_order(1, AT, total=0.1, tax_total=7)])
    async with fake_client(fake) as client:
        (order,) = (await client.get("/admin/orders"))["orders"]
    assert order["total"] == Decimal("0.1") and isinstance(order["total"], Decimal)
    assert order["tax_total"] == 7 and isinstance(order["tax_total"], int)


async def test_an_expired_token_logs_in_again_once_and_repeats_the_request() -> None:
    fake = FakeMedusa(orders=[raw_order(1, AT)])
    async with fake_client(fake) as client:
        await client.get("/admin/orders")
        fake.expire_next = True
        assert len((await client.get("/admin/orders"))["orders"]) == 1
    assert fake.logins == 2


async def test_a_token_refused_right_after_a_fresh_login_is_one_clear_error() -> None:
    def handler(request: httpx2.Request) -> httpx2.Response:
        if request.url.path == "/auth/user/emailpass":
            return httpx2.Response(200, json={"token": TOKEN})
        return httpx2.Response(401, json={"type": "unauthorized", "message": "Unauthorized"})

    async with client_for(handler) as client:
        with pytest.raises(MedusaAuthError, match=f"refused a fresh token of '{EMAIL}'"):
            await client.get("/admin/orders")


async def test_wrong_credentials_are_one_clear_message_without_the_password() -> None:
    fake = FakeMedusa(password="right-one")
    async with fake_client(fake, password="wrong-one") as client:
        with pytest.raises(MedusaAuthError) as caught:
            await client.get("/admin/orders")
    message = str(caught.value)
    assert f"refused the login of admin user '{EMAIL}'" in message
    assert "Invalid email or password" in message and URL in message
    assert "wrong-one" not in message and "right-one" not in message
    assert isinstance(caught.value, StoreError)
    assert fake.logins == 1, "a refused login is not tried again"


async def test_a_login_answer_without_a_token_says_what_is_wrong() -> None:
    async with client_for(lambda request: httpx2.Response(200, json={"ok": True})) as client:
        with pytest.raises(MedusaAuthError, match="sent no token"):
            await client.get("/admin/orders")


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        (httpx2.Response(502, text="<html>Bad Gateway</html>"), "HTTP 502: .*Bad Gateway"),
        (httpx2.Response(200, text="not json"), "not a JSON object"),
        (httpx2.Response(200, json=[1, 2]), "not a JSON object"),
        (
            httpx2.Response(400, json={"type": "invalid_data", "message": "bad field"}),
            "HTTP 400: invalid_data: bad field",
        ),
    ],
)
async def test_http_failures_are_store_errors_quoting_the_answer(
    response: httpx2.Response, expected: str
) -> None:
    async with client_for(lambda request: _logged_in(request, response)) as client:
        with pytest.raises(MedusaHTTPError, match=expected):
            await client.get("/admin/orders")


async def test_an_unknown_record_is_not_found_with_medusas_type() -> None:
    fake = FakeMedusa()
    async with fake_client(fake) as client:
        with pytest.raises(MedusaNotFound) as caught:
            await client.get("/admin/orders/order_missing")
    assert (caught.value.status, caught.value.kind) == (404, "not_found")
    assert "GET /admin/orders/order_missing" in str(caught.value)


@pytest.mark.parametrize(
    ("failure", "error", "expected"),
    [
        (httpx2.ConnectError("Connection refused"), MedusaUnavailable, "cannot reach Medusa"),
        (httpx2.ReadTimeout("timed out"), MedusaTimeout, "did not answer POST .* in time"),
        (httpx2.RemoteProtocolError("dropped"), MedusaUnavailable, "RemoteProtocolError"),
    ],
)
async def test_transport_failures_are_store_errors(
    failure: Exception, error: type[StoreError], expected: str
) -> None:
    async with client_for(raising(failure)) as client:
        with pytest.raises(error, match=expected):
            await client.get("/admin/orders")


def _logged_in(request: httpx2.Request, reply: httpx2.Response) -> httpx2.Response:
    if request.url.path == "/auth/user/emailpass":
        return httpx2.Response(200, json={"token": TOKEN})
    return reply
