"""A fake Medusa v2 Admin API for unit tests: an ``httpx2.MockTransport`` over a list of orders.

It answers the routes the connector uses the way Medusa does: ``/auth/user/emailpass`` hands
out a token, the order list applies the ``status[]``, ``id[]`` and ``updated_at[$gte]``
filters and sorts by ``updated_at`` (ties in whatever order ``tie_order`` says, so tests can
prove the feed does not depend on it), fulfillments are created, shipped and cancelled (a
shipped one cannot be), and refusals are ``{"type", "message"}`` bodies with their status.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx2

from stationmaster.domain import Order
from stationmaster.stores.medusa import MedusaSettings, MedusaStore

URL = "http://medusa.test"
EMAIL = "admin@medusa.test"
TOKEN = "jwt-token-1"


def raw_order(
    number: int, updated_at: datetime, *, status: str = "pending", **fields: Any
) -> dict[str, Any]:
    """A Medusa order as the connector's fields select it: one teapot (39 + 10 % tax) to
    Seattle, shipping 5 + tax, tax-exclusive prices."""
    order: dict[str, Any] = {
        "id": f"order_{number:04d}",
        "display_id": number,
        "status": status,
        "email": "min@example.com",
        "currency_code": "usd",
        "created_at": "2026-11-20T17:00:00.000Z",
        "updated_at": updated_at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "total": 48.4,
        "tax_total": 4.4,
        "customer": {"first_name": "Min", "last_name": "Kim", "email": "min@example.com"},
        "shipping_address": {
            "first_name": "Min",
            "last_name": "Kim",
            "company": None,
            "address_1": "9 Harbor Way",
            "address_2": "",
            "city": "Seattle",
            "province": "WA",
            "postal_code": "98101",
            "country_code": "us",
            "phone": "206-555-0117",
        },
        "billing_address": None,
        "items": [
            {
                "id": f"ordli_{number}",
                "title": "Ceramic Teapot 1 L",
                "variant_sku": "TEAPOT-CER-1L",
                "product_id": "prod_1",
                "thumbnail": None,
                "variant_option_values": None,
                "quantity": 1,
                "unit_price": 39,
                "is_tax_inclusive": False,
                "subtotal": 39,
                "original_tax_total": 3.9,
                "tax_total": 3.9,
                "discount_subtotal": 0,
                "discount_tax_total": 0,
                "adjustments": [],
            }
        ],
        "shipping_methods": [
            {
                "name": "UPS Ground",
                "amount": 5,
                "is_tax_inclusive": False,
                "subtotal": 5,
                "original_total": 5.5,
                "original_tax_total": 0.5,
                "discount_subtotal": 0,
                "discount_tax_total": 0,
                "adjustments": [],
            }
        ],
        "payment_collections": [
            {
                "status": "completed",
                "payments": [
                    {
                        "provider_id": "pp_system_default",
                        "amount": 48.4,
                        "captured_at": "2026-11-20T17:01:00.000Z",
                    }
                ],
            }
        ],
        "metadata": None,
        "fulfillments": [],
    }
    order.update(fields)
    return order


@dataclass
class FakeMedusa:
    """The fake server's state, and what it was asked."""

    orders: list[dict[str, Any]] = field(default_factory=list)
    password: str = "secret"
    tie_order: Callable[[list[dict[str, Any]]], None] = lambda ties: ties.reverse()
    logins: int = 0
    calls: list[str] = field(default_factory=list)
    expire_next: bool = False
    """Answer the next authenticated call as Medusa does when the token has expired."""
    clock: datetime = datetime(2026, 11, 22, tzinfo=UTC)
    """The fake's time: every order it places or edits is stamped one millisecond later."""

    def transport(self) -> httpx2.MockTransport:
        return httpx2.MockTransport(self.handle)

    def store(self, password: str | None = None, **settings: Any) -> MedusaStore:
        values: dict[str, Any] = {"base_url": URL, "email": EMAIL}
        values.update(settings)
        return MedusaStore(
            MedusaSettings.model_validate(values),
            email=EMAIL,
            password=self.password if password is None else password,
            transport=self.transport(),
        )

    def order(self, source_id: str) -> dict[str, Any]:
        return next(order for order in self.orders if order["id"] == source_id)

    def place(self, order: Order) -> str:
        """A new order holding ``order``'s product lines (no tax, free shipping); its id."""
        number = len(self.orders) + 1
        template = raw_order(number, self.clock)["items"][0]
        items = [
            {
                **template,
                "id": f"ordli_{number}_{index}",
                "title": line.name,
                "variant_sku": line.sku,
                "quantity": line.quantity,
                "unit_price": float(line.unit_price),
                "original_tax_total": 0,
            }
            for index, line in enumerate(order.lines)
            if not line.adjustment
        ]
        total = sum(item["unit_price"] * item["quantity"] for item in items)
        raw = raw_order(number, self._tick(), items=items, total=total, tax_total=0)
        raw["shipping_methods"][0].update(subtotal=0, original_tax_total=0)
        self.orders.append(raw)
        return str(raw["id"])

    def touch(self, source_id: str) -> None:
        """Edit an order as an admin would: a new e-mail, and so a new ``updated_at``."""
        order = self.order(source_id)
        order.update(email=f"edited-{source_id}@example.com", updated_at=self._tick_text())

    def spoil(self, source_id: str) -> None:
        """Give the order's first line an empty title, which no canonical line may have."""
        self.order(source_id)["items"][0]["title"] = ""

    def _tick(self) -> datetime:
        self.clock += timedelta(milliseconds=1)
        return self.clock

    def _tick_text(self) -> str:
        return self._tick().isoformat().replace("+00:00", "Z")

    def handle(self, request: httpx2.Request) -> httpx2.Response:
        path = request.url.path
        self.calls.append(f"{request.method} {path}")
        if path == "/auth/user/emailpass":
            return self._login(json.loads(request.content))
        if request.headers.get("Authorization") != f"Bearer {TOKEN}" or self.expire_next:
            self.expire_next = False
            return _refusal(401, "unauthorized", "Unauthorized")
        if request.method == "GET" and path == "/admin/orders":
            return httpx2.Response(200, json={"orders": self._list(request.url.params)})
        parts = path.strip("/").split("/")
        if parts[:2] != ["admin", "orders"] or not any(o["id"] == parts[2] for o in self.orders):
            return _refusal(404, "not_found", f"Order with id: {parts[-1]} was not found")
        order = self.order(parts[2])
        if request.method == "GET":
            return httpx2.Response(200, json={"order": order})
        body = json.loads(request.content or b"{}")
        return self._write(order, parts[3:], body)

    def _login(self, body: dict[str, Any]) -> httpx2.Response:
        self.logins += 1
        if body != {"email": EMAIL, "password": self.password}:
            return _refusal(401, "unauthorized", "Invalid email or password")
        return httpx2.Response(200, json={"token": TOKEN})

    def _list(self, params: httpx2.QueryParams) -> list[dict[str, Any]]:
        found = list(self.orders)
        if statuses := params.get_list("status[]"):
            found = [order for order in found if order["status"] in statuses]
        if ids := params.get_list("id[]"):
            found = [order for order in found if order["id"] in ids]
        if since := params.get("updated_at[$gte]"):
            found = [order for order in found if _time(order["updated_at"]) >= _time(since)]
        ordered: list[dict[str, Any]] = []
        for instant in sorted({_time(order["updated_at"]) for order in found}):
            ties = [order for order in found if _time(order["updated_at"]) == instant]
            self.tie_order(ties)
            ordered += ties
        offset = int(params.get("offset") or 0)
        return ordered[offset : offset + int(params.get("limit") or 15)]

    def _write(self, order: dict[str, Any], rest: list[str], body: Any) -> httpx2.Response:
        if rest in (["cancel"], ["complete"], ["archive"]):
            status = {"cancel": "canceled", "complete": "completed", "archive": "archived"}
            if rest == ["cancel"] and any(not f["canceled_at"] for f in order["fulfillments"]):
                return _refusal(
                    400, "not_allowed", "All fulfillments must be canceled before canceling"
                )
            order["status"] = status[rest[0]]
        elif rest == []:
            order["metadata"] = body["metadata"]
        elif rest == ["fulfillments"]:
            return self._fulfil(order, body)
        elif len(rest) == 3 and rest[0] == "fulfillments":
            return self._on_fulfillment(order, rest[1], rest[2], body)
        return httpx2.Response(200, json={"order": {"id": order["id"]}})

    def _fulfil(self, order: dict[str, Any], body: dict[str, Any]) -> httpx2.Response:
        left = {item["id"]: item["quantity"] for item in order["items"]}
        for fulfillment in order["fulfillments"]:
            if not fulfillment["canceled_at"]:
                for item in fulfillment["items"]:
                    left[item["line_item_id"]] -= item["quantity"]
        for item in body["items"]:
            if item["quantity"] > left.get(item["id"], 0):
                return _refusal(400, "invalid_data", f"Cannot fulfill item {item['id']}")
        order["fulfillments"].append(
            {
                "id": f"ful_{len(order['fulfillments']) + 1}",
                "items": [
                    {"line_item_id": item["id"], "quantity": item["quantity"]}
                    for item in body["items"]
                ],
                "labels": [],
                "shipped_at": None,
                "canceled_at": None,
                "metadata": body.get("metadata"),
            }
        )
        return httpx2.Response(200, json={"order": {"id": order["id"]}})

    def _on_fulfillment(
        self, order: dict[str, Any], fulfillment_id: str, action: str, body: dict[str, Any]
    ) -> httpx2.Response:
        fulfillment = next(f for f in order["fulfillments"] if f["id"] == fulfillment_id)
        if action == "shipments":
            fulfillment["labels"] = body.get("labels") or []
            fulfillment["shipped_at"] = "2026-11-21T10:00:00.000Z"
        elif fulfillment["shipped_at"]:
            return _refusal(
                400,
                "not_allowed",
                "The fulfillment has already been shipped. Shipped fulfillments cannot be canceled",
            )
        else:
            fulfillment["canceled_at"] = "2026-11-21T10:00:00.000Z"
        return httpx2.Response(200, json={"order": {"id": order["id"]}})


def decoded(raw: dict[str, Any]) -> dict[str, Any]:
    """``raw`` as the client hands it over: through JSON, fractions read as decimals."""
    result: dict[str, Any] = json.loads(json.dumps(raw), parse_float=Decimal)
    return result


def _time(text: str) -> datetime:
    """A stamp as the database compares it (one written without a zone is taken as UTC)."""
    instant = datetime.fromisoformat(text)
    return instant if instant.tzinfo else instant.replace(tzinfo=UTC)


def _refusal(status: int, kind: str, message: str) -> httpx2.Response:
    return httpx2.Response(status, json={"type": kind, "message": message})
