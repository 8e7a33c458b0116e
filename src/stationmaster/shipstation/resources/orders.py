"""Order endpoints: list, get, upsert (one or up to 100), delete, holds, tags, users, labels."""

from __future__ import annotations

import builtins
from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import date, timedelta

from pydantic import JsonValue

from stationmaster.shipstation.models import (
    AssignUserRequest,
    CreateLabelForOrderRequest,
    CreateOrdersResponse,
    HoldUntilRequest,
    LabelResponse,
    MarkAsShippedRequest,
    MarkAsShippedResponse,
    Order,
    OrderFilter,
    OrderIdRequest,
    OrderList,
    OrdersByTagFilter,
    SuccessResponse,
    TagRequest,
    UnassignUserRequest,
    to_wire,
)
from stationmaster.shipstation.paging import SkippedRecord, walk_filter
from stationmaster.shipstation.resources._base import Resource

#: ``createorders`` takes at most this many orders per call.
MAX_BATCH = 100


def _order_id(order: Order) -> object:
    return order.orderId


def _key_of(order: Order | Mapping[str, JsonValue]) -> object:
    return order.orderKey if isinstance(order, Order) else order.get("orderKey")


class Orders(Resource):
    __slots__ = ()

    async def list(self, query: OrderFilter | None = None) -> OrderList:
        params = (query or OrderFilter()).to_params()
        return await self._client.call(OrderList, "GET", "/orders", params=params, idempotent=True)

    def iterate(
        self,
        query: OrderFilter | None = None,
        *,
        split_on: str | None = None,
        max_window: timedelta | None = None,
        skipped: builtins.list[SkippedRecord] | None = None,
    ) -> AsyncIterator[Order]:
        """Every matching order once, across pages (and date chunks with ``split_on``)."""
        return walk_filter(
            self.list,
            query or OrderFilter(),
            key=_order_id,
            split_on=split_on,
            max_window=max_window,
            skipped=skipped,
        )

    async def list_by_tag(self, query: OrdersByTagFilter) -> OrderList:
        return await self._client.call(
            OrderList, "GET", "/orders/listbytag", params=query.to_params(), idempotent=True
        )

    def iterate_by_tag(self, query: OrdersByTagFilter) -> AsyncIterator[Order]:
        return walk_filter(self.list_by_tag, query, key=_order_id)

    async def get(self, order_id: int) -> Order:
        return await self._client.call(Order, "GET", f"/orders/{int(order_id)}", idempotent=True)

    async def delete(self, order_id: int) -> SuccessResponse:
        return await self._client.call(
            SuccessResponse, "DELETE", f"/orders/{int(order_id)}", idempotent=True
        )

    async def create(self, order: Order) -> Order:
        """Create or update one order; retried on transient failures only if it has an orderKey."""
        return await self._client.call(
            Order,
            "POST",
            "/orders/createorder",
            body=to_wire(order),
            idempotent=bool(order.orderKey),
        )

    async def create_many(
        self, orders: Sequence[Order | Mapping[str, JsonValue]]
    ) -> CreateOrdersResponse:
        """Create or update up to 100 orders in one call; each gets its own result.

        An order may be given as its wire body (what ``to_wire`` made of it, say from a
        queue), which is sent as it is. Retried on transient failures only when every order
        carries an ``orderKey`` (then a repeat is an update, never a twin).
        """
        if not orders:
            raise ValueError("createorders needs at least one order")
        if len(orders) > MAX_BATCH:
            raise ValueError(f"createorders takes at most {MAX_BATCH} orders, got {len(orders)}")
        return await self._client.call(
            CreateOrdersResponse,
            "POST",
            "/orders/createorders",
            body=[to_wire(o) if isinstance(o, Order) else dict(o) for o in orders],
            idempotent=all(_key_of(order) for order in orders),
            bulk=True,
        )

    async def hold_until(self, order_id: int, until: date) -> SuccessResponse:
        body = HoldUntilRequest(orderId=order_id, holdUntilDate=until)
        return await self._client.call(
            SuccessResponse, "POST", "/orders/holduntil", body=to_wire(body), idempotent=True
        )

    async def restore_from_hold(self, order_id: int) -> SuccessResponse:
        body = OrderIdRequest(orderId=order_id)
        return await self._client.call(
            SuccessResponse, "POST", "/orders/restorefromhold", body=to_wire(body), idempotent=True
        )

    async def mark_as_shipped(self, request: MarkAsShippedRequest) -> MarkAsShippedResponse:
        """Creates a fulfillment; not retried blindly, as a repeat would add a second one."""
        return await self._client.call(
            MarkAsShippedResponse,
            "POST",
            "/orders/markasshipped",
            body=to_wire(request),
            idempotent=False,
        )

    async def add_tag(self, order_id: int, tag_id: int) -> SuccessResponse:
        body = TagRequest(orderId=order_id, tagId=tag_id)
        return await self._client.call(
            SuccessResponse, "POST", "/orders/addtag", body=to_wire(body), idempotent=True
        )

    async def remove_tag(self, order_id: int, tag_id: int) -> SuccessResponse:
        body = TagRequest(orderId=order_id, tagId=tag_id)
        return await self._client.call(
            SuccessResponse, "POST", "/orders/removetag", body=to_wire(body), idempotent=True
        )

    async def assign_user(self, order_ids: Sequence[int], user_id: str) -> SuccessResponse:
        body = AssignUserRequest(orderIds=list(order_ids), userId=user_id)
        return await self._client.call(
            SuccessResponse, "POST", "/orders/assignuser", body=to_wire(body), idempotent=True
        )

    async def unassign_user(self, order_ids: Sequence[int]) -> SuccessResponse:
        body = UnassignUserRequest(orderIds=list(order_ids))
        return await self._client.call(
            SuccessResponse, "POST", "/orders/unassignuser", body=to_wire(body), idempotent=True
        )

    async def create_label(self, request: CreateLabelForOrderRequest) -> LabelResponse:
        """Buys a label: never sent twice without a look at what the first attempt did."""
        return await self._client.call(
            LabelResponse,
            "POST",
            "/orders/createlabelfororder",
            body=to_wire(request),
            idempotent=False,
        )
