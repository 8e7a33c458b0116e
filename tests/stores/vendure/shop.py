"""Canonical orders into the test Vendure server, the way a customer places them: the Shop API.

Each order is one anonymous session: its lines (factory SKUs mapped to Vendure variant ids),
the customer, the shipping and billing addresses, the first eligible shipping method, then
the test payment, which settles at once (the order ends in ``PaymentSettled``). Vendure sets
the prices, taxes and totals itself; the canonical order only says what is bought, by whom,
and where it goes.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

import httpx2

from stationmaster.domain import Address, Order
from stationmaster.stores.vendure.graphql import AUTH_TOKEN_HEADER, GraphQLClient

SUPERADMIN = ("superadmin", "superadmin")

_ERRORS = "... on ErrorResult { errorCode message }"
ADD_ITEM = f"""mutation($variant: ID!, $quantity: Int!) {{
  addItemToOrder(productVariantId: $variant, quantity: $quantity) {{
    ... on Order {{ id code }} {_ERRORS} }} }}"""
SET_CUSTOMER = f"""mutation($input: CreateCustomerInput!) {{
  setCustomerForOrder(input: $input) {{ ... on Order {{ id }} {_ERRORS} }} }}"""
SET_SHIPPING_ADDRESS = f"""mutation($input: CreateAddressInput!) {{
  setOrderShippingAddress(input: $input) {{ ... on Order {{ id }} {_ERRORS} }} }}"""
SET_BILLING_ADDRESS = f"""mutation($input: CreateAddressInput!) {{
  setOrderBillingAddress(input: $input) {{ ... on Order {{ id }} {_ERRORS} }} }}"""
SHIPPING_METHODS = "query { eligibleShippingMethods { id name } }"
SET_SHIPPING_METHOD = f"""mutation($id: [ID!]!) {{
  setOrderShippingMethod(shippingMethodId: $id) {{ ... on Order {{ id }} {_ERRORS} }} }}"""
TO_PAYMENT = """mutation {
  transitionOrderToState(state: "ArrangingPayment") {
    ... on Order { id state } ... on OrderStateTransitionError { errorCode message } } }"""
PAY = f"""mutation {{
  addPaymentToOrder(input: {{ method: "test-payment", metadata: {{}} }}) {{
    ... on Order {{ id code state }} {_ERRORS} }} }}"""
VARIANTS = "query { productVariants(options: { take: 1000 }) { items { id sku } } }"
CREATE_CUSTOMER = f"""mutation($input: CreateCustomerInput!) {{
  createCustomer(input: $input) {{ ... on Customer {{ id }} {_ERRORS} }} }}"""
SET_CUSTOMER_OF_ORDER = """mutation($input: SetOrderCustomerInput!) {
  setOrderCustomer(input: $input) { id updatedAt } }"""


class ShopError(AssertionError):
    """The test server refused a step of placing an order (the test setup is wrong)."""


class Shop:
    """The test server's Shop API for placing orders, and its Admin API for editing them."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.admin = GraphQLClient(
            f"{base_url}/admin-api", username=SUPERADMIN[0], password=SUPERADMIN[1]
        )
        self._http = httpx2.AsyncClient(timeout=30)
        self._variants: dict[str, str] | None = None

    async def aclose(self) -> None:
        await self.admin.aclose()
        await self._http.aclose()

    async def variant_ids(self) -> dict[str, str]:
        """Vendure variant id by SKU."""
        if self._variants is None:
            data = await self.admin.execute(VARIANTS)
            self._variants = {v["sku"]: v["id"] for v in data["productVariants"]["items"]}
        return self._variants

    async def place_all(self, orders: Sequence[Order]) -> list[str]:
        return [await self.place(order) for order in orders]

    async def place(self, order: Order) -> str:
        """Place ``order`` through the Shop API; Vendure's id of the new order."""
        variants = await self.variant_ids()
        session = _Session(self._http, f"{self.base_url}/shop-api")
        for line in order.lines:
            if line.adjustment:
                continue
            if line.sku not in variants:
                raise ShopError(f"SKU {line.sku!r} is not in products.csv")
            await session.call(
                "addItemToOrder", ADD_ITEM, variant=variants[line.sku], quantity=line.quantity
            )
        first, _, last = (order.customer_name or "Guest Customer").partition(" ")
        await session.call(
            "setCustomerForOrder",
            SET_CUSTOMER,
            input={
                "emailAddress": order.customer_email or f"{order.source_id}@example.com",
                "firstName": first,
                "lastName": last or "-",
            },
        )
        if order.shipping is not None:
            await session.call(
                "setOrderShippingAddress", SET_SHIPPING_ADDRESS, input=_address(order.shipping)
            )
        if order.billing is not None:
            await session.call(
                "setOrderBillingAddress", SET_BILLING_ADDRESS, input=_address(order.billing)
            )
        methods = (await session.call(None, SHIPPING_METHODS))["eligibleShippingMethods"]
        if not methods:
            raise ShopError(f"no shipping method is eligible for {order.number}")
        await session.call("setOrderShippingMethod", SET_SHIPPING_METHOD, id=[methods[0]["id"]])
        await session.call("transitionOrderToState", TO_PAYMENT)
        paid = await session.call("addPaymentToOrder", PAY)
        if paid["state"] != "PaymentSettled":
            raise ShopError(f"{order.number} ended in {paid['state']}, not PaymentSettled")
        return str(paid["id"])

    async def touch(self, source_id: str) -> None:
        """Edit an order in the store: hand it to a new customer (its email and name change)."""
        tag = uuid.uuid4().hex[:10]
        created = await self.admin.execute(
            CREATE_CUSTOMER,
            {
                "input": {
                    "emailAddress": f"edited-{tag}@example.com",
                    "firstName": "Edited",
                    "lastName": tag,
                }
            },
        )
        customer = created["createCustomer"]
        if "errorCode" in customer:
            raise ShopError(f"createCustomer: {customer['errorCode']}: {customer['message']}")
        moved = await self.admin.execute(
            SET_CUSTOMER_OF_ORDER, {"input": {"orderId": source_id, "customerId": customer["id"]}}
        )
        if moved["setOrderCustomer"] is None:
            raise ShopError(f"setOrderCustomer gave no order for {source_id}")

    async def spoil(self, source_id: str, how: str = "negative-price") -> None:
        """Spoil one order straight in the database (``negative-price`` or ``missing-variant``)."""
        response = await self._http.post(f"{self.base_url}/test-control/spoil/{how}/{source_id}")
        if response.status_code != 200:
            raise ShopError(f"spoiling {source_id} ({how}) failed: {response.text}")


class _Session:
    """One anonymous shopper: the token Vendure hands out on the first call, carried on."""

    def __init__(self, http: httpx2.AsyncClient, url: str) -> None:
        self.http = http
        self.url = url
        self.token: str | None = None

    async def call(self, field: str | None, query: str, **variables: Any) -> Any:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        response = await self.http.post(
            self.url, json={"query": query, "variables": variables}, headers=headers
        )
        self.token = response.headers.get(AUTH_TOKEN_HEADER) or self.token
        body = response.json()
        if body.get("errors"):
            raise ShopError(f"{field or 'query'}: {body['errors']}")
        data = body["data"]
        if field is None:
            return data
        result = data[field]
        if isinstance(result, dict) and "errorCode" in result:
            raise ShopError(f"{field}: {result['errorCode']}: {result['message']}")
        return result


def _address(address: Address) -> dict[str, object]:
    """A Vendure address input; Vendure's address table wants text, never null, in each part."""
    street = " ".join(part for part in (address.street2, address.street3) if part)
    return {
        "fullName": address.name or "",
        "company": address.company or "",
        "streetLine1": address.street1 or "-",
        "streetLine2": street,
        "city": address.city or "",
        "province": address.state or "",
        "postalCode": address.postal_code or "",
        "countryCode": address.country or "US",
        "phoneNumber": address.phone or "",
    }
