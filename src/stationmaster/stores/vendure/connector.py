"""The Vendure connector: a :class:`~stationmaster.stores.protocol.Store` over the Admin API.

* Change feed: placed orders in the configured states, oldest ``updatedAt`` first, with the
  cursor of :mod:`.feed`. An order that cannot be mapped is reported as
  :class:`~stationmaster.stores.protocol.Unreadable` and the feed goes on. When Vendure
  cannot even serialise a page (one order's data breaks a resolver, which fails the whole
  list), the page is read again as ids only and each order on its own, so only the broken
  one is lost to the feed.
* Status: ``transitionOrderToState`` (``cancelOrder`` for ``Cancelled``); a refusal names
  the states Vendure would allow.
* Shipments: fulfillments keyed by package (see :mod:`.packages`).
* Stock: Vendure's Admin API only sets absolute levels (``updateProductVariants`` with
  ``stockLevels``; the server records the difference as a stock adjustment). So a delta is
  read, added and written: a sale that lands between the read and the write (milliseconds
  apart) is overwritten. The full stock reconcile cannot correct such a drift: the API has
  no way to lock a level, so a Vendure connection does not reconcile. Idempotency keys
  ride in the same write when a custom field is configured for them (:mod:`.stockkeys`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final

import httpx2
import structlog
from pydantic import JsonValue

from stationmaster.domain import Order, Shipment
from stationmaster.stores.protocol import (
    Capability,
    ChangeBatch,
    StockBelowZero,
    StockKeyReused,
    Unreadable,
)
from stationmaster.stores.protocol import UnknownSku as UnknownStoreSku
from stationmaster.stores.reading import Answers, change_batch, feed_limit, orders_in_chunks
from stationmaster.stores.vendure import queries
from stationmaster.stores.vendure.feed import (
    FeedCursor,
    Seen,
    digest_of,
    list_options,
)
from stationmaster.stores.vendure.graphql import (
    GraphQLClient,
    VendureError,
    VendureGraphQLError,
    VendureRefused,
    refusal,
)
from stationmaster.stores.vendure.mapping import UnmappableOrder, map_order
from stationmaster.stores.vendure.packages import (
    Recorded,
    Step,
    method_text,
    note_text,
    plan,
    read_back,
)
from stationmaster.stores.vendure.stockkeys import KeptKey, find, read_keys, with_key

if TYPE_CHECKING:
    from stationmaster.stores.vendure.kind import VendureSettings

log = structlog.get_logger("stationmaster.stores.vendure")

VENDURE_CAPABILITIES: Final[frozenset[Capability]] = frozenset(
    {"orders", "status", "shipments", "stock"}
)
SHIPPED: Final = "Shipped"
DELIVERED: Final = "Delivered"
CANCELLED: Final = "Cancelled"
#: Vendure's ``Int`` is 32-bit; a stock level beyond it cannot be written.
INT_LIMIT: Final = 2**31 - 1
ANSWERS: Final = Answers("Vendure", VendureError)


class InvalidVendureInput(VendureError, ValueError):
    """An argument the connector cannot send (a limit below one, a delta that is no integer)."""


class UnknownVendureOrder(VendureError, LookupError):
    """Vendure has no order with this id (in the connector's channel)."""

    def __init__(self, url: str, source_id: str) -> None:
        super().__init__(f"Vendure at {url} has no order with id {source_id!r}")
        self.source_id = source_id


class UnknownSku(VendureError, UnknownStoreSku):
    """No product variant, or more than one, has this SKU."""


class KeyReused(VendureError, StockKeyReused):
    """A stock key kept with another delta was sent again; nothing was changed."""


class OutOfStock(VendureError, StockBelowZero):
    """A stock adjustment would take a level below zero; the level was left as it was."""


class VendureStore:
    """One Vendure server (one channel) as a store; see the module docstring."""

    kind = "vendure"
    capabilities: frozenset[Capability] = VENDURE_CAPABILITIES

    def __init__(
        self,
        settings: VendureSettings,
        *,
        password: str,
        transport: httpx2.AsyncBaseTransport | None = None,
    ) -> None:
        self.settings = settings
        # Vendure keeps a stock key only in the custom field named for it.
        self.capabilities = (
            VENDURE_CAPABILITIES | {"stock_keys"}
            if settings.stock_keys_field
            else VENDURE_CAPABILITIES
        )
        self.client = GraphQLClient(
            settings.admin_api_url,
            username=settings.username,
            password=password,
            channel_token=settings.channel_token,
            channel_token_header=settings.channel_token_header,
            timeout=settings.timeout_seconds,
            transport=transport,
        )

    def __repr__(self) -> str:
        return f"VendureStore(url={self.settings.admin_api_url!r})"

    async def aclose(self) -> None:
        await self.client.aclose()

    # ------------------------------------------------------------------ reading orders

    async def changed_orders(self, cursor: JsonValue, limit: int) -> ChangeBatch:
        """Orders updated after ``cursor`` in the configured states, oldest first."""
        limit = feed_limit(limit, self.settings.page_size, InvalidVendureInput)
        position = FeedCursor.parse(cursor)
        options = list_options(position, self.settings.states, limit)
        items, inclusive = await self._page(options)
        after, fresh, more = position.walk([_seen(item) for item in items], limit)
        mapped = (self._map(items[index], inclusive) for index in fresh)
        return change_batch(mapped, after.dump(), more)

    async def orders_by_id(self, source_ids: Sequence[str]) -> dict[str, Order]:
        """The orders among ``source_ids`` Vendure knows (unmappable ones are left out)."""
        return await orders_in_chunks(source_ids, self.settings.page_size, self._orders_among)

    async def _orders_among(self, chunk: list[str]) -> list[Order | Unreadable]:
        items, inclusive = await self._page({"filter": {"id": {"in": chunk}}, "take": len(chunk)})
        return [self._map(item, inclusive) for item in items]

    async def _page(self, options: Mapping[str, Any]) -> tuple[list[Mapping[str, Any]], bool]:
        """The orders ``options`` select, with full data where it can be read.

        An order whose data breaks a resolver fails the whole list; then the page is read as
        ids alone and each order on its own. An order that still fails is returned with its
        ``error``, for the caller to report.
        """
        try:
            data = await self.client.execute(queries.ORDER_PAGE, {"options": options})
        except VendureGraphQLError as exc:
            if not any(problem.path[:2] == ("orders", "items") for problem in exc.problems):
                raise
            return await self._page_one_by_one(options)
        return _items(data), _inclusive(data)

    async def _page_one_by_one(
        self, options: Mapping[str, Any]
    ) -> tuple[list[Mapping[str, Any]], bool]:
        keys = _items(await self.client.execute(queries.ORDER_PAGE_KEYS, {"options": options}))
        inclusive = False
        items: list[Mapping[str, Any]] = []
        for key in keys:
            try:
                data = await self.client.execute(queries.ORDER_BY_ID, {"id": ANSWERS.order_id(key)})
            except VendureGraphQLError as exc:
                items.append({**key, "error": str(exc)})
                continue
            inclusive = _inclusive(data)
            order = data.get("order") if isinstance(data, dict) else None
            items.append(order if isinstance(order, dict) else {**key, "error": "gone"})
        return items, inclusive

    def _map(self, item: Mapping[str, Any], inclusive: bool) -> Order | Unreadable:
        source_id = ANSWERS.order_id(item)
        code = item.get("code")
        number = code if isinstance(code, str) else None
        error = item.get("error")
        if error is None:
            try:
                return map_order(
                    item, prices_include_tax=inclusive, decimals=self.settings.money_decimals
                )
            except UnmappableOrder as exc:
                error = str(exc)
        log.warning("vendure.unreadable_order", source_id=source_id, number=number, reason=error)
        return Unreadable(source_id, str(error), number)

    # ------------------------------------------------------------------ writing back

    async def set_status(self, source_id: str, status: str) -> None:
        """Move the order to Vendure state ``status`` (nothing to do when it is there).

        ``Cancelled`` goes through ``cancelOrder`` (every line and the shipping), the only way
        Vendure lets an order reach it; every other state is a plain state transition.
        """
        order = await self._order(queries.ORDER_STATE, source_id)
        if order.get("state") == status:
            return
        what = f"move order {order.get('code')!r} from {order.get('state')!r} to {status!r}"
        if status == CANCELLED:
            cancel = {"orderId": source_id, "cancelShipping": True, "reason": "stationmaster"}
            data = await self.client.execute(queries.CANCEL_ORDER, {"input": cancel})
            result = data.get("cancelOrder") if isinstance(data, dict) else None
        else:
            variables = {"id": source_id, "state": status}
            data = await self.client.execute(queries.TRANSITION_ORDER, variables)
            result = data.get("transitionOrderToState") if isinstance(data, dict) else None
        refused = refusal(result, what)
        if refused is None:
            return
        allowed = ", ".join(order.get("nextStates") or []) or "none"
        reason = result.get("transitionError") if isinstance(result, dict) else None
        raise VendureRefused(
            f"Vendure refused to {what}: {reason or refused}; states it allows from there: "
            f"{allowed}",
            error_code=refused.error_code,
        )

    async def apply_shipment(self, shipment: Shipment) -> None:
        """Record each package as a fulfillment (or a note), once; voids cancel theirs."""
        order = await self._order(queries.ORDER_FULFILLMENTS, shipment.order_source_id)
        ship_states = [SHIPPED, DELIVERED] if self.settings.mark_delivered else [SHIPPED]
        for step in plan(shipment, _recorded(order), ship_states=ship_states):
            await self._do(step, shipment.order_source_id, ship_states)

    async def shipments_of(self, source_id: str) -> Shipment:
        """The packages recorded on an order, with their keys and voided flags."""
        order = await self._order(queries.ORDER_FULFILLMENTS, source_id)
        code = order.get("code")
        return read_back(source_id, code if isinstance(code, str) else None, _recorded(order))

    async def _do(self, step: Step, source_id: str, ship_states: Sequence[str]) -> None:
        if step.action == "note":
            await self.client.execute(
                queries.ADD_NOTE,
                {"input": {"id": source_id, "note": note_text(step.package), "isPublic": False}},
            )
        elif step.action == "transition":
            assert step.fulfillment_id is not None and step.state is not None
            await self._transition(step.fulfillment_id, step.state, step.package.key)
        else:
            fulfillment_id = await self._fulfil(step, source_id)
            for state in ship_states:
                await self._transition(fulfillment_id, state, step.package.key)

    async def _fulfil(self, step: Step, source_id: str) -> str:
        settings = self.settings
        arguments = [
            {"name": settings.method_arg, "value": method_text(step.package)},
            {"name": settings.tracking_arg, "value": step.package.tracking_number or ""},
        ]
        lines = [{"orderLineId": line, "quantity": units} for line, units in step.lines.items()]
        data = await self.client.execute(
            queries.ADD_FULFILLMENT,
            {
                "input": {
                    "lines": lines,
                    "handler": {"code": settings.fulfillment_handler, "arguments": arguments},
                }
            },
        )
        result = data.get("addFulfillmentToOrder") if isinstance(data, dict) else None
        refused = refusal(result, f"fulfil package {step.package.key} of order {source_id!r}")
        if refused is not None:
            raise refused
        if not isinstance(result, dict) or not isinstance(result.get("id"), str):
            raise VendureError(f"Vendure answered addFulfillmentToOrder with {result!r}")
        return str(result["id"])

    async def _transition(self, fulfillment_id: str, state: str, key: str) -> None:
        data = await self.client.execute(
            queries.TRANSITION_FULFILLMENT, {"id": fulfillment_id, "state": state}
        )
        result = data.get("transitionFulfillmentToState") if isinstance(data, dict) else None
        refused = refusal(result, f"move fulfillment {fulfillment_id} ({key}) to {state!r}")
        if refused is not None:
            raise refused

    async def _order(self, query: str, source_id: str) -> Mapping[str, Any]:
        data = await self.client.execute(query, {"id": source_id})
        order = data.get("order") if isinstance(data, dict) else None
        # An id strategy may read a malformed id as another order's ("T_7-x" as 7): only the
        # order that answers to exactly this id is this order.
        if not isinstance(order, dict) or order.get("id") != source_id:
            raise UnknownVendureOrder(self.settings.admin_api_url, source_id)
        return order

    # ------------------------------------------------------------------ stock

    async def adjust_stock(self, sku: str, delta: int, key: str | None = None) -> int:
        """Add ``delta`` to the SKU's stock on hand; the new level (see the module docstring).

        With ``key`` and ``stock_keys_field`` configured, the key is written with the level
        (:mod:`.stockkeys`): a key already there changes nothing and returns the level, and
        one kept with another delta is refused. Without the field Vendure has nowhere to keep
        the key and a repeat changes the level again.
        """
        if isinstance(delta, bool) or not isinstance(delta, int):
            raise InvalidVendureInput(f"delta must be an integer, got {delta!r}")
        field = self.settings.stock_keys_field
        data = await self.client.execute(queries.variants_by_sku(field), {"sku": sku})
        variants = [item for item in _items(data, "productVariants") if item.get("sku") == sku]
        if len(variants) != 1:
            found = "no product variant" if not variants else f"{len(variants)} product variants"
            raise UnknownSku(f"Vendure has {found} with SKU {sku!r}")
        variant = variants[0]
        location, on_hand = self._stock_level(variant, sku)
        kept = read_keys((variant.get("customFields") or {}).get(field)) if field else []
        earlier = find(kept, key) if key is not None and field else None
        if earlier is not None:
            if earlier.delta != delta:
                raise KeyReused(
                    f"stock key {key!r} of {sku!r} was applied with delta {earlier.delta}, "
                    f"not {delta}; nothing was changed"
                )
            return on_hand
        level = on_hand + delta
        if level < 0:
            raise OutOfStock(
                f"stock of {sku!r} is {on_hand}; adjusting it by {delta} would go below zero"
            )
        if level > INT_LIMIT:
            raise InvalidVendureInput(f"stock of {sku!r} would exceed {INT_LIMIT}")
        update: dict[str, Any] = {
            "id": variant["id"],
            "stockLevels": [{"stockLocationId": location, "stockOnHand": level}],
        }
        if key is not None and field:
            update["customFields"] = {field: with_key(kept, KeptKey(key, delta, level))}
        written = await self.client.execute(queries.SET_STOCK, {"input": [update]})
        for item in written.get("updateProductVariants") or [] if isinstance(written, dict) else []:
            for stock in item.get("stockLevels") or []:
                if stock.get("stockLocationId") == location and isinstance(
                    stock.get("stockOnHand"), int
                ):
                    return int(stock["stockOnHand"])
        return level

    def _stock_level(self, variant: Mapping[str, Any], sku: str) -> tuple[str, int]:
        try:
            levels = {
                str(stock["stockLocationId"]): int(stock["stockOnHand"])
                for stock in variant.get("stockLevels") or []
            }
        except (KeyError, TypeError, ValueError):
            raise VendureError(
                f"Vendure answered the stock levels of {sku!r} with {variant!r:.200}"
            ) from None
        wanted = self.settings.stock_location_id
        if wanted is not None:
            return wanted, levels.get(wanted, 0)
        if len(levels) == 1:
            return next(iter(levels.items()))
        raise InvalidVendureInput(
            f"SKU {sku!r} is stocked in {len(levels)} locations ({', '.join(levels) or 'none'}): "
            "set stock_location_id in the connection's [store] settings"
        )


def _seen(item: Mapping[str, Any]) -> Seen:
    order_id = ANSWERS.order_id(item)
    return Seen(
        order_id,
        ANSWERS.change_stamp(item.get("updatedAt"), order_id, "updatedAt"),
        digest_of(item),
    )


def _recorded(order: Mapping[str, Any]) -> Recorded:
    """What an order holds; a :class:`VendureError` when Vendure's answer does not fit."""
    return ANSWERS.recorded(Recorded.of, order, "fulfillments or lines")


def _items(data: Any, field: str = "orders") -> list[Mapping[str, Any]]:
    listing = data.get(field) if isinstance(data, dict) else None
    items = listing.get("items") if isinstance(listing, dict) else None
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise VendureError(f"Vendure answered the {field} query with {data!r:.200}")
    return items


def _inclusive(data: Any) -> bool:
    channel = data.get("activeChannel") if isinstance(data, dict) else None
    return bool(channel.get("pricesIncludeTax")) if isinstance(channel, dict) else False
