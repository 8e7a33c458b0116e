"""The emulator as a Python object: an ASGI app plus the levers a test pulls.

``Emulator`` owns one emulated account and everything around it. Tests talk to ``emu.app``
over HTTP (through :meth:`Emulator.transport`) exactly like a client talks to ShipStation, and
use the methods here to do what only ShipStation's users or ShipStation itself can do: seed
data, ship, split and merge orders, break things on purpose, and move time.

Every lever checks its input before it changes anything; a refused call raises ``ValueError``
(:class:`~stationmaster.emulator.refusals.Refused`) or ``KeyError``
(:class:`~stationmaster.emulator.refusals.Missing`) and leaves the account as it was. Levers
are not thread-safe: under :func:`~stationmaster.emulator.server.serve`, use the control API.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta

import httpx2

from stationmaster.emulator import catalog
from stationmaster.emulator.api import api_router
from stationmaster.emulator.app import EmulatorApp
from stationmaster.emulator.backend import Backend
from stationmaster.emulator.builders import (
    customer_row,
    product_row,
    put_warehouse,
    seed_catalog,
    seed_default_account,
    store_row,
    warehouse_row,
)
from stationmaster.emulator.calls import RecordedCall
from stationmaster.emulator.checks import Problems, Schema, conform_object, missing
from stationmaster.emulator.clock import Clock, SystemClock
from stationmaster.emulator.config import EmulatorConfig
from stationmaster.emulator.control import control_handler
from stationmaster.emulator.customers import store_customer
from stationmaster.emulator.customstore import (
    NoticeResult,
    PullFailed,
    PullResult,
    client,
    failed_pull,
    fetch_export,
    import_pages,
    post_notice,
    record_notice,
)
from stationmaster.emulator.delivery import DeliveryResult, send
from stationmaster.emulator.faults import ActiveFault, FaultKind, FaultQueue, FaultSpec
from stationmaster.emulator.gateway import Gateway
from stationmaster.emulator.inventory import InventoryBook
from stationmaster.emulator.orderlogic import release_due_holds, upsert_order
from stationmaster.emulator.ratelimit import FixedWindowLimiter
from stationmaster.emulator.refusals import Missing, Refused
from stationmaster.emulator.schemas import CUSTOMER, PRODUCT, STORE, TAG, USER, WAREHOUSE
from stationmaster.emulator.shipping import (
    Pick,
    label_for_order,
    mark_as_shipped,
    order_or_missing,
    void_label,
)
from stationmaster.emulator.splitmerge import merge_orders, split_order
from stationmaster.emulator.state import Account, Delivery, PendingNotice, clone
from stationmaster.emulator.storelink import CustomStoreLink
from stationmaster.emulator.transport import EmulatorTransport
from stationmaster.emulator.v2gateway import V2Gateway
from stationmaster.emulator.webhooks import queue_order_notify
from stationmaster.emulator.wire import Wire, new_guid

#: What :meth:`Emulator.seed` accepts, in the order it stores them (references point backwards).
SEED_KINDS = (
    "tags",
    "users",
    "stores",
    "custom_stores",
    "warehouses",
    "products",
    "customers",
    "orders",
)
CUSTOM_STORE_MARKETPLACE = 46


class Emulator:
    """One emulated ShipStation account with its API (``app``) and test levers."""

    def __init__(self, config: EmulatorConfig | None = None, *, clock: Clock | None = None) -> None:
        self.config = config if config is not None else EmulatorConfig()
        self.clock: Clock = clock if clock is not None else SystemClock()
        self._base_url = self.config.base_url
        self.faults = FaultQueue()
        self._calls: list[RecordedCall] = []
        #: Every webhook POST sent so far (newest last).
        self.deliveries: list[DeliveryResult] = []
        #: Every Custom Store pull so far (newest last).
        self.pulls: list[PullResult] = []
        #: Every shipnotify POST sent so far (newest last).
        self.shipnotices: list[NoticeResult] = []
        self._rng = random.Random(self.config.webhook_random_seed)
        self.backend = Backend(
            self.config, self.clock, Account(), self.faults, lambda: self._base_url
        )
        limit = self.config.limit
        self.limiter = FixedWindowLimiter(limit, self.config.window_seconds) if limit else None
        gateway = Gateway(self.backend, api_router(), self.limiter, self._calls.append)
        #: The v2 inventory subset's stock (``/v2/...``); see ``set_inventory``.
        self.inventory_book = InventoryBook(self.clock)
        self.v2 = V2Gateway(self.backend, self.inventory_book, self._calls.append)
        self.app = EmulatorApp(gateway, control_handler(self), v2=self.v2)
        self._fresh()

    # -- setup ------------------------------------------------------------------------------

    def _fresh(self) -> None:
        account = Account()
        now = self.clock.now()
        seed_catalog(account, now)
        if self.config.seed_account:
            seed_default_account(account, now)
        self.backend.account = account
        self.faults.clear()
        self.faults.extend(self.config.faults)
        if self.limiter is not None:
            self.limiter.clear()
        self.inventory_book.reset(seed=self.config.v2.seed_inventory)
        self.v2.reset()
        self._calls.clear()
        self.deliveries.clear()
        self.pulls.clear()
        self.shipnotices.clear()
        self._rng.seed(self.config.webhook_random_seed)

    def reset(self) -> None:
        """Back to the freshly seeded account; calls, rate windows, webhooks and faults cleared."""
        self._fresh()

    @property
    def account(self) -> Account:
        """The account's tables (read them; change them only through the levers)."""
        return self.backend.account

    @property
    def base_url(self) -> str:
        """Where the API is reached; webhook resource URLs point here."""
        return self._base_url

    @base_url.setter
    def base_url(self, value: str) -> None:
        if not value.startswith(("http://", "https://")):
            raise ValueError(f"base_url must start with http:// or https://, got {value!r}")
        self._base_url = value.rstrip("/")

    def transport(self) -> httpx2.AsyncBaseTransport:
        """An httpx2 transport into this emulator (drops and timeouts behave like a socket's)."""
        return EmulatorTransport(self.app)

    @contextmanager
    def _change(self) -> Iterator[Account]:
        account = self.backend.account
        with account.transaction():
            release_due_holds(account, self.clock.now())
            yield account

    # -- time -------------------------------------------------------------------------------

    def advance(self, seconds: float) -> None:
        """Move the emulator's clock forward (timestamps, holds, rate windows, webhook delays)."""
        self.clock.advance(seconds)

    # -- data -------------------------------------------------------------------------------

    def seed(
        self,
        *,
        orders: Sequence[Wire] = (),
        products: Sequence[Wire] = (),
        customers: Sequence[Wire] = (),
        stores: Sequence[Wire] = (),
        warehouses: Sequence[Wire] = (),
        tags: Sequence[Wire] = (),
        users: Sequence[Wire] = (),
        custom_stores: Sequence[Wire] = (),
        notify: bool = False,
    ) -> dict[str, list[Wire]]:
        """Add data in ShipStation's wire shape; returns the stored objects per kind.

        Partial objects are completed as ShipStation would (ids, dates, read-only fields).
        Seeded orders may carry read-only history (``orderId``, ``createDate``, ``modifyDate``,
        ``holdUntilDate``, ``userId``, split/merge marks) and skip the locked-status rule.
        ``notify=True`` treats the orders as a store import and queues ORDER_NOTIFY.
        ``custom_stores`` take the arguments of :meth:`add_custom_store` (snake_case).
        """
        given = {
            "custom_stores": custom_stores,
            "tags": tags,
            "users": users,
            "stores": stores,
            "warehouses": warehouses,
            "products": products,
            "customers": customers,
            "orders": orders,
        }
        created: dict[str, list[Wire]] = {kind: [] for kind in SEED_KINDS}
        with self._change() as account:
            notify_ids: list[int] = []
            for kind in SEED_KINDS:
                for index, raw in enumerate(given[kind]):
                    where = f"{kind}[{index}]"
                    if kind == "orders":
                        result = upsert_order(self.backend, raw, trusted=True)
                        if not result.succeeded or result.order is None:
                            raise Refused(f"{where}: {result.reason}")
                        created[kind].append(clone(result.order))
                        if result.notify:
                            notify_ids.append(result.order["orderId"])
                    elif kind == "custom_stores":
                        created[kind].append(clone(self._link_store(account, raw, where)))
                    else:
                        created[kind].append(clone(self._seed_one(account, kind, raw, where)))
            if notify:
                queue_order_notify(self.backend, notify_ids)
        return created

    def _link_store(self, account: Account, raw: object, where: str) -> Wire:
        if not isinstance(raw, Mapping):
            raise Refused(f"{where}: expected an object, got {type(raw).__name__}.")
        values = dict(raw)
        store_id = values.pop("store_id", None)
        store_name = values.pop("store_name", "Custom Store")
        try:
            link = CustomStoreLink.model_validate(values)
        except ValueError as exc:
            raise Refused(f"{where}: {exc}") from None
        if store_id is None:
            created = self._seed_one(
                account,
                "stores",
                {"storeName": store_name, "marketplaceId": CUSTOM_STORE_MARKETPLACE},
                where,
            )
            store_id = created["storeId"]
        store = account.stores.get(store_id) if isinstance(store_id, int) else None
        if store is None:
            raise Refused(f"{where}: store {store_id!r} does not exist.")
        if store["marketplaceId"] != CUSTOM_STORE_MARKETPLACE:
            raise Refused(f"{where}: store {store_id} is not a Custom Store (marketplace 46).")
        account.custom_stores[store_id] = link
        row = {**store, "integrationUrl": link.url, "statusMappings": link.status_mappings()}
        account.stores[store_id] = row
        return row

    def _seed_one(self, account: Account, kind: str, raw: object, where: str) -> Wire:
        now = self.clock.now()
        if kind == "tags":
            values = _read(raw, TAG, where, "name")
            tag_id = values["tagId"] or account.new_id("tag")
            account.reserve_id("tag", tag_id)
            row = {"tagId": tag_id, "name": values["name"], "color": values["color"] or "#808080"}
            account.tags[tag_id] = row
            return row
        if kind == "users":
            values = _read(raw, USER, where, "userName")
            user_id = values["userId"] or new_guid()
            row = {"userId": user_id, "userName": values["userName"], "name": values["name"]}
            account.users[user_id] = row
            if values["active"] is False:
                account.inactive_users.add(user_id)
            return row
        if kind == "stores":
            values = _read(raw, STORE, where, "storeName")
            if (
                values["marketplaceId"] is not None
                and values["marketplaceId"] not in account.marketplaces
            ):
                raise Refused(f"{where}: unknown marketplaceId {values['marketplaceId']}.")
            store_id = values["storeId"] or account.new_id("store")
            account.reserve_id("store", store_id)
            row = store_row(account, values, account.stores.get(store_id), store_id, now)
            account.stores[store_id] = row
            return row
        if kind == "warehouses":
            values = _read(raw, WAREHOUSE, where, "warehouseName", "originAddress")
            warehouse_id = values["warehouseId"] or account.new_id("warehouse")
            account.reserve_id("warehouse", warehouse_id)
            row = warehouse_row(values, account.warehouses.get(warehouse_id), warehouse_id, now)
            put_warehouse(account, row)
            account.deleted_warehouses.discard(warehouse_id)
            return row
        if kind == "products":
            values = _read(raw, PRODUCT, where, "sku", "name")
            product_id = values["productId"] or account.new_id("product")
            account.reserve_id("product", product_id)
            _known_tags(account, values["tags"], where)
            row = product_row(account, values, account.products.get(product_id), product_id, now)
            account.products[product_id] = row
            return row
        values = _read(raw, CUSTOMER, where, "name")
        customer_id = values["customerId"] or account.new_id("customer")
        account.reserve_id("customer", customer_id)
        _known_tags(account, values["tags"], where)
        row = customer_row(account, values, account.customers.get(customer_id), customer_id, now)
        store_customer(account, row)
        return row

    # -- Custom Store ---------------------------------------------------------------------

    def add_custom_store(
        self,
        *,
        url: str,
        username: str,
        password: str,
        store_id: int | None = None,
        store_name: str = "Custom Store",
        **options: object,
    ) -> Wire:
        """Set up a Custom Store as ShipStation's store-setup form does; the store row.

        Without ``store_id`` a new store of marketplace 46 is created; with one, that store
        (which must be a Custom Store, like the default ``310555``) gets the setup. ``options``
        are the other :class:`CustomStoreLink` fields (``paid_status="paid,processing"``,
        ``credentials="query"``, ...).
        """
        raw = {"url": url, "username": username, "password": password, **options}
        raw.update(store_id=store_id, store_name=store_name)
        with self._change() as account:
            return clone(self._link_store(account, raw, "custom store"))

    def custom_store(self, store_id: int) -> CustomStoreLink:
        """The Custom Store setup of a store (``Missing`` if it has none)."""
        link = self.backend.account.custom_stores.get(store_id)
        if link is None:
            raise Missing(f"Store {store_id} is not set up as a Custom Store.")
        return link

    async def pull_custom_store(
        self,
        store_id: int,
        start: datetime | None = None,
        end: datetime | None = None,
        *,
        transport: httpx2.AsyncBaseTransport | None = None,
    ) -> PullResult:
        """Refresh a Custom Store: fetch every export page of the window, then import.

        The window defaults to [end of the last successful window, now] (the first one looks
        back ``lookback_minutes``). A failed pull imports nothing and does not move the window.
        """
        link = self.custom_store(store_id)
        now = self.clock.now()
        end = end if end is not None else now
        if start is None:
            last = self.backend.account.custom_store_windows.get(store_id)
            start = last if last is not None else end - timedelta(minutes=link.lookback_minutes)
        if start.tzinfo is None or end.tzinfo is None:
            raise Refused("start and end must be aware datetimes (UTC).")
        if start > end:
            raise Refused(f"start {start.isoformat()} is after end {end.isoformat()}.")
        async with client(self.backend, transport or self.config.customstore_transport) as http:
            try:
                pages, fetches = await fetch_export(http, link, start, end)
            except PullFailed as exc:
                result = failed_pull(store_id, start, end, exc)
            else:
                with self._change():
                    result = import_pages(self.backend, store_id, link, pages, start, end, fetches)
        self.pulls.append(result)
        return result

    async def run_refreshes(self) -> list[PullResult]:
        """Pull every Custom Store whose refresh was asked for through ``/stores/refreshstore``."""
        account = self.backend.account
        asked = list(dict.fromkeys(account.refresh_requests))
        account.refresh_requests = []
        return [
            await self.pull_custom_store(store_id)
            for store_id in asked
            if store_id in account.custom_stores
        ]

    @property
    def pending_shipnotices(self) -> list[PendingNotice]:
        return list(self.backend.account.notice_outbox)

    async def deliver_shipnotices(
        self, transport: httpx2.AsyncBaseTransport | None = None, *, due_only: bool = False
    ) -> list[NoticeResult]:
        """Send queued shipnotify POSTs (``due_only``: those ``webhook_delay_seconds`` old)."""
        account = self.backend.account
        due = list(account.notice_outbox)
        if due_only:
            cutoff = self.clock.monotonic() - self.config.webhook_delay_seconds
            due = [n for n in due if n.queued_at <= cutoff]
        taken = {n.id for n in due}
        account.notice_outbox = [n for n in account.notice_outbox if n.id not in taken]
        results: list[NoticeResult] = []
        if not due:
            return results
        async with client(self.backend, transport or self.config.customstore_transport) as http:
            for notice in due:
                link = self.backend.account.custom_stores.get(notice.store_id)
                result = await post_notice(http, link, notice, self.config.shipnotify_attempts)
                with self._change():
                    record_notice(self.backend, result)
                results.append(result)
        self.shipnotices.extend(results)
        return results

    # -- reading ----------------------------------------------------------------------------

    def get_order(self, order_id: int) -> Wire | None:
        """An active order as the API would answer it, or ``None``."""
        with self._change() as account:
            order = account.order(order_id)
        return clone(order) if order is not None else None

    def orders(self) -> list[Wire]:
        """Every active order, by id."""
        with self._change() as account:
            return [clone(o) for o in sorted(account.active_orders(), key=lambda o: o["orderId"])]

    def shipments(self) -> list[Wire]:
        return [clone(s) for _, s in sorted(self.backend.account.shipments.items())]

    def fulfillments(self) -> list[Wire]:
        return [clone(f) for _, f in sorted(self.backend.account.fulfillments.items())]

    # -- v2 inventory -------------------------------------------------------------------------

    def set_inventory(self, levels: Iterable[object], *, keep_others: bool = False) -> int:
        """Seed stock levels (mappings or ``InventoryLevel``-like objects); how many were set.

        Other levels are dropped unless ``keep_others``; see :meth:`InventoryBook.set_levels`.
        """
        return self.inventory_book.set_levels(levels, keep_others=keep_others)

    def inventory(self) -> list[Wire]:
        """Every stock level per (SKU, location), sorted, as ``GET /v2/inventory`` writes them."""
        return self.inventory_book.levels()

    def add_inventory_warehouse(self, name: str, *, warehouse_id: str | None = None) -> Wire:
        return self.inventory_book.add_warehouse(name, warehouse_id)

    def add_inventory_location(
        self, warehouse_id: str, name: str, *, location_id: str | None = None
    ) -> Wire:
        return self.inventory_book.add_location(warehouse_id, name, location_id)

    # -- what ShipStation's users do --------------------------------------------------------

    def ship_order(
        self,
        order_id: int,
        *,
        carrier_code: str = "stamps_com",
        service_code: str | None = None,
        package_code: str = "package",
        tracking_number: str | None = None,
        items: Sequence[Pick] | None = None,
        ship_date: str | None = None,
        weight: Wire | None = None,
        confirmation: str | None = None,
    ) -> Wire:
        """Buy a label for an order, as ``createlabelfororder`` does (SHIP_NOTIFY queued).

        ``items`` ships part of the order: each a ``lineItemKey``, an ``orderItemId`` or
        ``{"lineItemKey" | "orderItemId": ..., "quantity": n}``; by default every physical
        line ships. ``service_code`` defaults to the carrier's first domestic or international
        service, after the ship-to country. ``weight`` defaults to the order's, or one pound
        when the order has none (a user buying a label would weigh the parcel).
        """
        with self._change():
            order = order_or_missing(self.backend, order_id)
            options: Wire = {
                "carrierCode": carrier_code,
                "serviceCode": service_code or _default_service(carrier_code, order),
                "packageCode": package_code,
                "confirmation": confirmation,
                "shipDate": ship_date,
                "weight": weight or _parcel_weight(order),
                "dimensions": None,
                "insuranceOptions": None,
                "internationalOptions": None,
                "advancedOptions": None,
                "testLabel": False,
            }
            picks = list(items) if items is not None else None
            return label_for_order(
                self.backend, order_id, options, picks=picks, tracking=tracking_number
            )

    def mark_shipped(
        self,
        order_id: int,
        *,
        carrier_code: str = "stamps_com",
        ship_date: str | None = None,
        tracking_number: str | None = None,
        notify_sales_channel: bool = False,
    ) -> Wire:
        """Mark an order shipped, as ``markasshipped`` does: a fulfillment, no SHIP_NOTIFY."""
        with self._change():
            return mark_as_shipped(
                self.backend,
                order_id,
                carrier_code=carrier_code,
                ship_date=ship_date,
                tracking=tracking_number,
                notify_sales_channel=notify_sales_channel,
            )

    def void_label(self, shipment_id: int) -> Wire:
        """Void a label; the shipment (now ``voided``) is returned and stays listed."""
        with self._change():
            approved, message, shipment = void_label(self.backend, shipment_id)
            if not approved:
                raise Refused(f"Shipment {shipment_id}: {message}")
            return shipment

    def split_order(self, order_id: int, items: Sequence[Pick]) -> Wire:
        """Move lines to a new child order: each a ``lineItemKey``, an ``orderItemId`` or
        ``{"lineItemKey" | "orderItemId": ..., "quantity": n}`` (default: the whole line)."""
        with self._change():
            return split_order(self.backend, order_id, list(items))

    def merge_orders(self, survivor_id: int, absorbed_ids: Sequence[int]) -> Wire:
        """Merge orders into ``survivor_id``; the absorbed ones become 404 and leave lists."""
        with self._change():
            return merge_orders(self.backend, survivor_id, list(absorbed_ids))

    # -- faults, calls, webhooks ------------------------------------------------------------

    def inject(
        self,
        kind: FaultKind | int,
        *,
        count: int = 1,
        method: str | None = None,
        path: str | None = None,
        seconds: float | None = None,
        reset_seconds: int | None = None,
        order_keys: Sequence[str] = (),
        message: str | None = None,
        positions: Sequence[int] = (0,),
        position: int | None = None,
    ) -> ActiveFault:
        """Queue a fault for the next ``count`` matching API requests (see ``faults``)."""
        options: dict[str, object] = {
            "kind": kind,
            "count": count,
            "method": method,
            "path": path,
            "seconds": seconds,
            "reset_seconds": reset_seconds,
            "order_keys": tuple(order_keys),
            "positions": tuple(positions),
            "position": position,
        }
        if message is not None:
            options["message"] = message
        return self.faults.add(FaultSpec.model_validate(options))

    @property
    def calls(self) -> list[RecordedCall]:
        """The API calls answered so far (oldest first); control requests are not in it."""
        return list(self._calls)

    def clear_calls(self) -> None:
        self._calls.clear()

    @property
    def pending_webhooks(self) -> list[Delivery]:
        return list(self.backend.account.outbox)

    async def deliver_webhooks(
        self, transport: httpx2.AsyncBaseTransport | None = None, *, due_only: bool = False
    ) -> list[DeliveryResult]:
        """Send queued webhook deliveries now (``due_only``: those past the configured delay).

        ``transport`` (or ``config.webhook_transport``) lets a test deliver into an in-process
        app; without one, deliveries go over the network.
        """
        account = self.backend.account
        if due_only:
            cutoff = self.clock.monotonic() - self.config.webhook_delay_seconds
            due = [d for d in account.outbox if d.queued_at <= cutoff]
        else:
            due = list(account.outbox)
        taken = {d.id for d in due}
        account.outbox = [d for d in account.outbox if d.id not in taken]
        results = await send(
            due, self.config, self._rng, transport or self.config.webhook_transport
        )
        self.deliveries.extend(results)
        return results


def _read(raw: object, schema: Schema, where: str, *required: str) -> Wire:
    if not isinstance(raw, dict):
        raise Refused(f"{where}: expected a JSON object, got {type(raw).__name__}.")
    problems = Problems()
    values = conform_object(raw, schema, "", problems, "reject")
    if not problems.ok:
        raise Refused(f"{where}: {problems.summary()}")
    absent = missing(values, *required)
    if absent:
        raise Refused(f"{where}: required: {', '.join(absent)}.")
    return values


def _known_tags(account: Account, tags: list[Wire] | None, where: str) -> None:
    unknown = [t["tagId"] for t in tags or [] if t is None or t["tagId"] not in account.tags]
    if unknown:
        raise Refused(f"{where}: unknown tag id(s) {unknown}; seed the tags first.")


def _parcel_weight(order: Wire) -> Wire:
    weight = order["weight"] or {}
    if weight.get("value"):
        return dict(weight)
    return {"value": 16, "units": "ounces"}


def _default_service(carrier_code: str, order: Wire) -> str:
    carrier = catalog.carrier(carrier_code)
    if carrier is None:
        raise Refused(f"Unknown carrier '{carrier_code}'.")
    domestic = ((order["shipTo"] or {}).get("country") or "US").upper() == "US"
    service = next((s for s in carrier.services if s.domestic == domestic), carrier.services[0])
    return service.code
