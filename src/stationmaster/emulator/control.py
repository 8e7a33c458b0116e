"""The control API under ``/_emulator/``: the emulator's levers over HTTP (no auth, no limit).

Control requests are never rate limited nor recorded as API calls. Bodies are JSON objects with
snake_case fields (the same names as the Python levers); anything unexpected is a 400 with a
``message`` saying what is wrong. ``docs/emulator.md`` lists every endpoint.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, TypeVar

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    JsonValue,
    NonNegativeFloat,
    PositiveInt,
)

from stationmaster.emulator.app import ControlHandler
from stationmaster.emulator.faults import FaultSpec
from stationmaster.emulator.refusals import Missing
from stationmaster.emulator.replies import ApiError, Reply, ok
from stationmaster.emulator.routing import Router
from stationmaster.emulator.wire import Wire, loads

if TYPE_CHECKING:
    from stationmaster.emulator.emulator import Emulator

log = logging.getLogger("stationmaster.emulator")

Params = dict[str, int]
ControlFn = Callable[["Emulator", Params, JsonValue], Awaitable[Reply]]
M = TypeVar("M", bound=BaseModel)


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ShipBody(_Body):
    carrier_code: str = "stamps_com"
    service_code: str | None = None
    package_code: str = "package"
    tracking_number: str | None = None
    items: list[dict[str, JsonValue]] | None = None
    ship_date: str | None = None
    weight: dict[str, JsonValue] | None = None
    confirmation: str | None = None


class MarkShippedBody(_Body):
    carrier_code: str = "stamps_com"
    ship_date: str | None = None
    tracking_number: str | None = None
    notify_sales_channel: bool = False


class SplitBody(_Body):
    items: list[dict[str, JsonValue]]


class MergeBody(_Body):
    absorbed_ids: list[PositiveInt]


class AdvanceBody(_Body):
    seconds: NonNegativeFloat


class DeliverBody(_Body):
    due_only: bool = False


class SeedBody(_Body):
    orders: list[dict[str, JsonValue]] = []
    products: list[dict[str, JsonValue]] = []
    customers: list[dict[str, JsonValue]] = []
    stores: list[dict[str, JsonValue]] = []
    warehouses: list[dict[str, JsonValue]] = []
    tags: list[dict[str, JsonValue]] = []
    users: list[dict[str, JsonValue]] = []
    custom_stores: list[dict[str, JsonValue]] = []
    notify: bool = False


class PullBody(_Body):
    start_date: AwareDatetime | None = None
    end_date: AwareDatetime | None = None


def _body(model: type[M], body: JsonValue) -> M:
    return model.model_validate({} if body is None else body)


def _message(status: int, text: str) -> Reply:
    return Reply(status, {"message": text})


def _clock(emu: Emulator) -> Wire:
    return {"now": emu.clock.now().isoformat(), "monotonic": emu.clock.monotonic()}


async def index(emu: Emulator, params: Params, body: JsonValue) -> Reply:
    return ok({"endpoints": [f"{method} {pattern}" for method, pattern, _ in ROUTES]})


async def reset(emu: Emulator, params: Params, body: JsonValue) -> Reply:
    emu.reset()
    return ok({"reset": True})


async def seed(emu: Emulator, params: Params, body: JsonValue) -> Reply:
    values = _body(SeedBody, body)
    created = emu.seed(
        orders=values.orders,
        products=values.products,
        customers=values.customers,
        stores=values.stores,
        warehouses=values.warehouses,
        tags=values.tags,
        users=values.users,
        custom_stores=values.custom_stores,
        notify=values.notify,
    )
    return ok({"created": created})


async def ship(emu: Emulator, params: Params, body: JsonValue) -> Reply:
    values = _body(ShipBody, body)
    shipment = emu.ship_order(
        params["orderId"],
        carrier_code=values.carrier_code,
        service_code=values.service_code,
        package_code=values.package_code,
        tracking_number=values.tracking_number,
        items=values.items,
        ship_date=values.ship_date,
        weight=values.weight,
        confirmation=values.confirmation,
    )
    return ok(shipment)


async def mark_shipped(emu: Emulator, params: Params, body: JsonValue) -> Reply:
    values = _body(MarkShippedBody, body)
    fulfillment = emu.mark_shipped(
        params["orderId"],
        carrier_code=values.carrier_code,
        ship_date=values.ship_date,
        tracking_number=values.tracking_number,
        notify_sales_channel=values.notify_sales_channel,
    )
    return ok(fulfillment)


async def void(emu: Emulator, params: Params, body: JsonValue) -> Reply:
    return ok(emu.void_label(params["shipmentId"]))


async def split(emu: Emulator, params: Params, body: JsonValue) -> Reply:
    return ok(emu.split_order(params["orderId"], _body(SplitBody, body).items))


async def merge(emu: Emulator, params: Params, body: JsonValue) -> Reply:
    return ok(emu.merge_orders(params["orderId"], _body(MergeBody, body).absorbed_ids))


async def list_faults(emu: Emulator, params: Params, body: JsonValue) -> Reply:
    return ok({"faults": [f.to_json() for f in emu.faults.pending()]})


async def add_fault(emu: Emulator, params: Params, body: JsonValue) -> Reply:
    fault = emu.faults.add(_body(FaultSpec, body))
    return ok({"fault": fault.to_json()}, 201)


async def clear_faults(emu: Emulator, params: Params, body: JsonValue) -> Reply:
    count = len(emu.faults.pending())
    emu.faults.clear()
    return ok({"cleared": count})


async def list_calls(emu: Emulator, params: Params, body: JsonValue) -> Reply:
    return ok({"calls": [c.to_json() for c in emu.calls]})


async def clear_calls(emu: Emulator, params: Params, body: JsonValue) -> Reply:
    count = len(emu.calls)
    emu.clear_calls()
    return ok({"cleared": count})


async def pending_webhooks(emu: Emulator, params: Params, body: JsonValue) -> Reply:
    pending = [
        {
            "delivery_id": d.id,
            "webhook_id": d.webhook_id,
            "target_url": d.target_url,
            "payload": d.payload(),
        }
        for d in emu.pending_webhooks
    ]
    return ok({"pending": pending})


async def deliver(emu: Emulator, params: Params, body: JsonValue) -> Reply:
    values = _body(DeliverBody, body)
    results = await emu.deliver_webhooks(due_only=values.due_only)
    return ok({"results": [r.to_json() for r in results]})


async def add_custom_store(emu: Emulator, params: Params, body: JsonValue) -> Reply:
    if not isinstance(body, dict):
        raise ValueError("The body must be a JSON object with url, username and password.")
    store = emu.seed(custom_stores=[body])["custom_stores"][0]
    link = emu.custom_store(store["storeId"])
    return ok({"store": store, "custom_store": link.public_dict()}, 201)


async def list_custom_stores(emu: Emulator, params: Params, body: JsonValue) -> Reply:
    stores = [
        {"store_id": store_id, **link.public_dict()}
        for store_id, link in sorted(emu.account.custom_stores.items())
    ]
    return ok({"custom_stores": stores})


async def pull(emu: Emulator, params: Params, body: JsonValue) -> Reply:
    values = _body(PullBody, body)
    result = await emu.pull_custom_store(params["storeId"], values.start_date, values.end_date)
    return ok(result.to_json())


async def list_pulls(emu: Emulator, params: Params, body: JsonValue) -> Reply:
    return ok({"pulls": [p.to_json() for p in emu.pulls]})


async def run_refreshes(emu: Emulator, params: Params, body: JsonValue) -> Reply:
    return ok({"pulls": [p.to_json() for p in await emu.run_refreshes()]})


async def list_shipnotices(emu: Emulator, params: Params, body: JsonValue) -> Reply:
    pending = [
        {
            "notice_id": n.id,
            "store_id": n.store_id,
            "order_number": n.order_number,
            "params": dict(n.params),
            "body": n.body.decode("utf-8"),
        }
        for n in emu.pending_shipnotices
    ]
    return ok({"pending": pending, "sent": [r.to_json() for r in emu.shipnotices]})


async def deliver_shipnotices(emu: Emulator, params: Params, body: JsonValue) -> Reply:
    values = _body(DeliverBody, body)
    results = await emu.deliver_shipnotices(due_only=values.due_only)
    return ok({"results": [r.to_json() for r in results]})


async def read_clock(emu: Emulator, params: Params, body: JsonValue) -> Reply:
    return ok(_clock(emu))


async def advance(emu: Emulator, params: Params, body: JsonValue) -> Reply:
    emu.advance(_body(AdvanceBody, body).seconds)
    return ok(_clock(emu))


async def read_config(emu: Emulator, params: Params, body: JsonValue) -> Reply:
    return ok(emu.config.public_dict())


ROUTES: tuple[tuple[str, str, ControlFn], ...] = (
    ("GET", "/_emulator", index),
    ("POST", "/_emulator/reset", reset),
    ("POST", "/_emulator/seed", seed),
    ("POST", "/_emulator/orders/{orderId}/ship", ship),
    ("POST", "/_emulator/orders/{orderId}/mark-shipped", mark_shipped),
    ("POST", "/_emulator/orders/{orderId}/split", split),
    ("POST", "/_emulator/orders/{orderId}/merge", merge),
    ("POST", "/_emulator/shipments/{shipmentId}/void", void),
    ("GET", "/_emulator/faults", list_faults),
    ("POST", "/_emulator/faults", add_fault),
    ("DELETE", "/_emulator/faults", clear_faults),
    ("GET", "/_emulator/calls", list_calls),
    ("DELETE", "/_emulator/calls", clear_calls),
    ("GET", "/_emulator/webhooks", pending_webhooks),
    ("POST", "/_emulator/webhooks/deliver", deliver),
    ("GET", "/_emulator/custom-stores", list_custom_stores),
    ("POST", "/_emulator/custom-stores", add_custom_store),
    ("POST", "/_emulator/custom-stores/{storeId}/pull", pull),
    ("GET", "/_emulator/custom-stores/pulls", list_pulls),
    ("POST", "/_emulator/custom-stores/refreshes", run_refreshes),
    ("GET", "/_emulator/shipnotices", list_shipnotices),
    ("POST", "/_emulator/shipnotices/deliver", deliver_shipnotices),
    ("GET", "/_emulator/clock", read_clock),
    ("POST", "/_emulator/clock/advance", advance),
    ("GET", "/_emulator/config", read_config),
)


def control_handler(emu: Emulator) -> ControlHandler:
    """The control API of ``emu`` as the app's control callable."""
    router: Router[ControlFn] = Router()
    for method, pattern, function in ROUTES:
        router.add(method, pattern, function)

    async def handle(method: str, path: str, query: bytes, raw: bytes) -> Reply:
        try:
            function, params = router.resolve(method, path, path)
            body = loads(raw) if raw.strip() else None
            return await function(emu, params, body)
        except ApiError as exc:
            return exc.reply
        except Missing as exc:
            return _message(404, str(exc))
        except ValueError as exc:
            return _message(400, str(exc))
        except Exception:
            log.exception("control request %s %s failed", method, path)
            return _message(500, "The control request failed inside the emulator; see its log.")

    return handle
