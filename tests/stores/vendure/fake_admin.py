"""A fake Vendure Admin API for unit tests: an ``httpx2.MockTransport`` over a list of orders.

It answers the connector's own operations (recognised by their operation names) the way
Vendure does: ``login`` hands out a token in the ``vendure-auth-token`` header, the order list
applies the feed's filter (state, ``updatedAt`` after) and sort, and returns ties in whatever
order ``tie_order`` says, so tests can prove the feed does not depend on it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx2

from stationmaster.stores.vendure import VendureSettings, VendureStore

URL = "http://vendure.test/admin-api"
TOKEN = "session-token-1"


def raw_order(
    number: int, updated_at: datetime, *, state: str = "PaymentSettled", **fields: Any
) -> dict[str, Any]:
    """A Vendure order as the connector's query selects it: one teapot to Seattle."""
    order: dict[str, Any] = {
        "id": f"T_{number}",
        "code": f"CODE{number:04d}",
        "state": state,
        "currencyCode": "USD",
        "createdAt": "2026-11-20T17:00:00.000Z",
        "updatedAt": updated_at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "orderPlacedAt": "2026-11-20T17:00:00.000Z",
        "total": 4400,
        "totalWithTax": 4840,
        "customer": {"firstName": "Min", "lastName": "Kim", "emailAddress": "min@example.com"},
        "shippingAddress": {
            "fullName": "Min Kim",
            "company": None,
            "streetLine1": "9 Harbor Way",
            "streetLine2": "",
            "city": "Seattle",
            "province": "WA",
            "postalCode": "98101",
            "countryCode": "US",
            "phoneNumber": "206-555-0117",
        },
        "billingAddress": None,
        "lines": [
            {
                "id": f"L_{number}",
                "quantity": 1,
                "unitPrice": 3900,
                "unitPriceWithTax": 4290,
                "linePrice": 3900,
                "linePriceWithTax": 4290,
                "featuredAsset": None,
                "productVariant": {
                    "id": "T_1",
                    "sku": "TEAPOT-CER-1L",
                    "name": "Ceramic Teapot 1 L",
                    "productId": "T_1",
                    "options": [],
                },
            }
        ],
        "shippingLines": [
            {
                "price": 500,
                "priceWithTax": 550,
                "discountedPrice": 500,
                "discountedPriceWithTax": 550,
                "shippingMethod": {"code": "ups-ground", "name": "UPS Ground"},
            }
        ],
        "discounts": [],
        "payments": [
            {
                "method": "card",
                "amount": 4840,
                "state": "Settled",
                "createdAt": "2026-11-20T17:01:00.000Z",
            }
        ],
    }
    order.update(fields)
    return order


@dataclass
class FakeVendure:
    """The fake server's state, and what it was asked."""

    orders: list[dict[str, Any]] = field(default_factory=list)
    password: str = "secret"
    prices_include_tax: bool = False
    tie_order: Callable[[list[dict[str, Any]]], None] = lambda ties: ties.reverse()
    logins: int = 0
    calls: list[str] = field(default_factory=list)
    expire_next: bool = False
    """Answer the next authenticated call as Vendure does when the session has expired."""

    def transport(self) -> httpx2.MockTransport:
        return httpx2.MockTransport(self.handle)

    def store(self, **settings: Any) -> VendureStore:
        values: dict[str, Any] = {"admin_api_url": URL, "username": "stationmaster"}
        values.update(settings)
        return VendureStore(
            VendureSettings.model_validate(values),
            password=self.password,
            transport=self.transport(),
        )

    def handle(self, request: httpx2.Request) -> httpx2.Response:
        body = json.loads(request.content)
        query: str = body["query"]
        variables: dict[str, Any] = body.get("variables") or {}
        name = query.split("(")[0].split()[-1]
        self.calls.append(name)
        if name == "StationmasterLogin":
            return self._login(variables)
        if request.headers.get("Authorization") != f"Bearer {TOKEN}" or self.expire_next:
            self.expire_next = False
            return _graphql(
                errors=[
                    {
                        "message": "You are not currently authorized to perform this action",
                        "extensions": {"code": "FORBIDDEN"},
                        "path": [name],
                    }
                ]
            )
        if name == "StationmasterOrderPage":
            return _graphql(
                {
                    "activeChannel": {"pricesIncludeTax": self.prices_include_tax},
                    "orders": {"items": self._list(variables["options"])},
                }
            )
        raise AssertionError(f"the fake does not answer {name}")

    def _login(self, variables: dict[str, Any]) -> httpx2.Response:
        self.logins += 1
        if variables.get("password") != self.password:
            return _graphql(
                {
                    "login": {
                        "__typename": "InvalidCredentialsError",
                        "errorCode": "INVALID_CREDENTIALS_ERROR",
                        "message": "The provided credentials are invalid",
                    }
                }
            )
        return _graphql(
            {"login": {"__typename": "CurrentUser", "id": "T_1", "identifier": "stationmaster"}},
            headers={"vendure-auth-token": TOKEN},
        )

    def _list(self, options: dict[str, Any]) -> list[dict[str, Any]]:
        conditions = options.get("filter", {}).get("_and", [])
        found = [order for order in self.orders if all(_holds(c, order) for c in conditions)]
        found.sort(key=lambda order: _time(order["updatedAt"]))
        ordered: list[dict[str, Any]] = []
        for instant in sorted({_time(order["updatedAt"]) for order in found}):
            ties = [order for order in found if _time(order["updatedAt"]) == instant]
            self.tie_order(ties)
            ordered += ties
        return ordered[: options.get("take", 1000)]


def _holds(condition: dict[str, Any], order: dict[str, Any]) -> bool:
    if "state" in condition:
        return order["state"] in condition["state"]["in"]
    if "updatedAt" in condition:
        return _time(order["updatedAt"]) > _time(condition["updatedAt"]["after"])
    raise AssertionError(f"the fake does not filter on {condition}")


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _graphql(
    data: dict[str, Any] | None = None,
    *,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> httpx2.Response:
    body: dict[str, Any] = {"data": data}
    if errors:
        body["errors"] = errors
    return httpx2.Response(200, json=body, headers=headers)
