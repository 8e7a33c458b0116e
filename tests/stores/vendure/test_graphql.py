"""The Admin API client: its login and session, and a clear StoreError for every failure."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import httpx2
import pytest

from stationmaster.stores import StoreError
from stationmaster.stores.vendure.graphql import (
    GraphQLClient,
    VendureAuthError,
    VendureGraphQLError,
    VendureHTTPError,
    VendureRefused,
    VendureTimeout,
    VendureUnavailable,
    refusal,
)
from tests.stores.support import raising
from tests.stores.vendure.fake_admin import URL, FakeVendure, raw_order

pytestmark = pytest.mark.anyio

PAGE = "query StationmasterOrderPage($options: OrderListOptions) { orders { items { id } } }"
OPTIONS = {"options": {"take": 5}}


def client_for(
    handler: Callable[[httpx2.Request], httpx2.Response], password: str = "secret"
) -> GraphQLClient:
    return GraphQLClient(
        URL, username="stationmaster", password=password, transport=httpx2.MockTransport(handler)
    )


async def test_it_logs_in_once_and_carries_the_token() -> None:
    fake = FakeVendure(orders=[raw_order(1, datetime(2026, 11, 22, tzinfo=UTC))])
    async with GraphQLClient(
        URL, username="stationmaster", password="secret", transport=fake.transport()
    ) as client:
        for _ in range(3):
            data = await client.execute(PAGE, OPTIONS)
            assert [order["id"] for order in data["orders"]["items"]] == ["T_1"]
    assert fake.logins == 1
    assert fake.calls == ["StationmasterLogin"] + ["StationmasterOrderPage"] * 3


async def test_an_expired_session_logs_in_again_once_and_repeats_the_request() -> None:
    fake = FakeVendure()
    async with GraphQLClient(
        URL, username="stationmaster", password="secret", transport=fake.transport()
    ) as client:
        await client.execute(PAGE, OPTIONS)
        fake.expire_next = True
        assert await client.execute(PAGE, OPTIONS) == {
            "activeChannel": {"pricesIncludeTax": False},
            "orders": {"items": []},
        }
    assert fake.logins == 2


async def test_a_permission_missing_after_a_fresh_login_is_one_clear_error() -> None:
    def handler(request: httpx2.Request) -> httpx2.Response:
        if b"StationmasterLogin" in request.content:
            return httpx2.Response(
                200,
                json={"data": {"login": {"__typename": "CurrentUser", "id": "1"}}},
                headers={"vendure-auth-token": "t"},
            )
        forbidden = {
            "message": "You are not currently authorized",
            "extensions": {"code": "FORBIDDEN"},
        }
        return httpx2.Response(200, json={"data": None, "errors": [forbidden]})

    async with client_for(handler) as client:
        with pytest.raises(VendureAuthError, match="does not let user 'stationmaster'"):
            await client.execute(PAGE, OPTIONS)


async def test_wrong_credentials_are_one_clear_message_without_the_password() -> None:
    fake = FakeVendure(password="right-one")
    async with GraphQLClient(
        URL, username="stationmaster", password="wrong-one", transport=fake.transport()
    ) as client:
        with pytest.raises(VendureAuthError) as caught:
            await client.execute(PAGE, OPTIONS)
    message = str(caught.value)
    assert "INVALID_CREDENTIALS_ERROR" in message and "'stationmaster'" in message
    assert URL in message
    assert "wrong-one" not in message and "right-one" not in message
    assert isinstance(caught.value, StoreError)


async def test_a_login_without_a_token_header_says_how_to_fix_the_server() -> None:
    def handler(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(200, json={"data": {"login": {"__typename": "CurrentUser"}}})

    async with client_for(handler) as client:
        with pytest.raises(VendureAuthError, match="tokenMethod includes 'bearer'"):
            await client.execute(PAGE, OPTIONS)


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        (httpx2.Response(502, text="<html>Bad Gateway</html>"), "HTTP 502"),
        (httpx2.Response(200, text="not json"), "not JSON"),
        (httpx2.Response(200, json=[1, 2]), "not a GraphQL response"),
    ],
)
async def test_http_failures_are_store_errors_quoting_the_body(
    response: httpx2.Response, expected: str
) -> None:
    async with client_for(lambda request: _logged_in(request, response)) as client:
        with pytest.raises(VendureHTTPError, match=expected):
            await client.execute(PAGE, OPTIONS)


async def test_graphql_errors_keep_their_paths() -> None:
    error = {
        "message": "Cannot return null for non-nullable field",
        "path": ["orders", "items", 3, "lines"],
        "extensions": {"code": "INTERNAL_SERVER_ERROR"},
    }
    reply = httpx2.Response(400, json={"data": None, "errors": [error]})
    async with client_for(lambda request: _logged_in(request, reply)) as client:
        with pytest.raises(VendureGraphQLError) as caught:
            await client.execute(PAGE, OPTIONS)
    assert caught.value.problems[0].path == ("orders", "items", 3, "lines")
    assert "at orders.items.3.lines" in str(caught.value)


@pytest.mark.parametrize(
    ("failure", "error", "expected"),
    [
        (httpx2.ConnectError("Connection refused"), VendureUnavailable, "cannot reach Vendure"),
        (httpx2.ReadTimeout("timed out"), VendureTimeout, "did not answer in time"),
        (httpx2.RemoteProtocolError("dropped"), VendureUnavailable, "RemoteProtocolError"),
    ],
)
async def test_transport_failures_are_store_errors(
    failure: Exception, error: type[StoreError], expected: str
) -> None:
    async with client_for(raising(failure)) as client:
        with pytest.raises(error, match=expected):
            await client.execute(PAGE, OPTIONS)


def test_an_error_result_is_a_refusal_with_its_code() -> None:
    result = {
        "__typename": "ItemsAlreadyFulfilledError",
        "errorCode": "ITEMS_ALREADY_FULFILLED_ERROR",
        "message": "Already",
    }
    refused = refusal(result, "fulfil a package")
    assert isinstance(refused, VendureRefused)
    assert refused.error_code == "ITEMS_ALREADY_FULFILLED_ERROR"
    assert (
        str(refused)
        == "Vendure refused to fulfil a package: ITEMS_ALREADY_FULFILLED_ERROR: Already"
    )
    assert refusal({"__typename": "Fulfillment", "id": "T_1"}, "fulfil") is None
    assert refusal(None, "fulfil") is None


def _logged_in(request: httpx2.Request, reply: httpx2.Response) -> httpx2.Response:
    if b"StationmasterLogin" in request.content:
        return httpx2.Response(
            200,
            json={"data": {"login": {"__typename": "CurrentUser", "id": "1"}}},
            headers={"vendure-auth-token": "t"},
        )
    return reply
