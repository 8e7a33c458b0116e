"""Order endpoints: list, get, delete, createorder, createorders, listbytag (§6).

``createorder`` answers the stored order, or ShipStation's validation envelope for a refused one
(400 ModelState for one that cannot be read); ``createorders`` answers one result per element,
so one bad order never fails the rest. Orders created or newly paid in one call share one
ORDER_NOTIFY import batch.
"""

from __future__ import annotations

from collections.abc import Sequence

from stationmaster.emulator.backend import Backend
from stationmaster.emulator.faults import FaultSpec
from stationmaster.emulator.listing import (
    DateRange,
    Predicate,
    contains,
    date_filters,
    matches_all,
    page_of,
    sort_direction,
    sort_key,
    sorted_rows,
    starts_with,
)
from stationmaster.emulator.orderbuild import ORDER_STATUSES
from stationmaster.emulator.orderlogic import Upsert, upsert_order
from stationmaster.emulator.replies import (
    ApiError,
    Reply,
    invalid_field,
    invalid_request,
    not_found,
    ok,
    validation_failure,
)
from stationmaster.emulator.routing import ApiRequest
from stationmaster.emulator.webhooks import queue_order_notify
from stationmaster.emulator.wire import Wire

ORDER_DATES = (
    DateRange("createDate", "createDateStart", "createDateEnd"),
    DateRange("modifyDate", "modifyDateStart", "modifyDateEnd"),
    DateRange("orderDate", "orderDateStart", "orderDateEnd", exclusive_start=True),
    DateRange("paymentDate", "paymentDateStart", "paymentDateEnd"),
)
ORDER_SORTS = {"orderdate": "orderDate", "modifydate": "modifyDate", "createdate": "createDate"}


def _status_filter(request: ApiRequest, *, required: bool = False) -> str | None:
    status = request.query.text("orderStatus")
    if status is None:
        if required:
            raise invalid_field("orderStatus", "orderStatus is required.")
        return None
    if status not in ORDER_STATUSES:
        raise invalid_field(
            "orderStatus",
            f"'{status}' is not an order status; use one of {', '.join(sorted(ORDER_STATUSES))}.",
        )
    return status


def _item_matches(order: Wire, keyword: str) -> bool:
    for item in order["items"]:
        texts = [item["sku"], item["name"]]
        texts += [
            part for option in item["options"] or [] for part in (option["name"], option["value"])
        ]
        if any(contains(text, keyword) for text in texts):
            return True
    return False


def _order_filters(backend: Backend, request: ApiRequest) -> list[Predicate]:
    query = request.query
    account = backend.account
    predicates = date_filters(backend, request, ORDER_DATES)
    if (name := query.text("customerName")) is not None:
        predicates.append(
            lambda o: (
                contains((o["billTo"] or {}).get("name"), name)
                or contains((o["shipTo"] or {}).get("name"), name)
            )
        )
    if (keyword := query.text("itemKeyword")) is not None:
        predicates.append(lambda o: _item_matches(o, keyword))
    if (number := query.text("orderNumber")) is not None:
        predicates.append(lambda o: starts_with(o["orderNumber"], number))
    if (status := _status_filter(request)) is not None:
        predicates.append(lambda o: o["orderStatus"] == status)
    if (store_id := query.integer("storeId")) is not None:
        predicates.append(lambda o: o["advancedOptions"]["storeId"] == store_id)
    if (batch := query.text("importBatch")) is not None:
        members = set(account.import_batches.get(batch, ()))
        predicates.append(lambda o: o["orderId"] in members)
    return predicates


def _render(order: Wire) -> Wire:
    return order


def _page(backend: Backend, request: ApiRequest, predicates: list[Predicate]) -> Reply:
    rows = [o for o in backend.account.active_orders() if matches_all(o, predicates)]
    field = request.query.choice("sortBy", ORDER_SORTS)
    ordered = sorted_rows(
        rows, "orderId", sort_key(field) if field else None, sort_direction(request)
    )
    return page_of(backend, request, ordered, "orders", _render)


def list_orders(backend: Backend, request: ApiRequest) -> Reply:
    return _page(backend, request, _order_filters(backend, request))


def list_by_tag(backend: Backend, request: ApiRequest) -> Reply:
    status = _status_filter(request, required=True)
    tag_id = request.query.integer("tagId")
    if tag_id is None:
        raise invalid_field("tagId", "tagId is required.")
    predicates: list[Predicate] = [
        lambda o: o["orderStatus"] == status,
        lambda o: tag_id in (o["tagIds"] or []),
    ]
    return _page(backend, request, predicates)


def get_order(backend: Backend, request: ApiRequest) -> Reply:
    order = backend.account.order(request.params["orderId"])
    if order is None:
        raise not_found(backend.config)
    return ok(order)


def delete_order(backend: Backend, request: ApiRequest) -> Reply:
    order_id = request.params["orderId"]
    if backend.account.order(order_id) is None:
        raise not_found(backend.config)
    backend.account.inactive_orders.add(order_id)
    return ok({"success": True, "message": "The requested order has been deleted."})


def _keys_of(elements: Sequence[object]) -> set[str]:
    return {
        key for e in elements if isinstance(e, dict) and isinstance(key := e.get("orderKey"), str)
    }


def _failing(backend: Backend, request: ApiRequest, elements: Sequence[object]) -> FaultSpec | None:
    return backend.faults.take_failed_orders(request.method, request.path, _keys_of(elements))


def _upsert_all(
    backend: Backend, elements: Sequence[object], fault: FaultSpec | None
) -> list[Upsert]:
    keys = frozenset(fault.order_keys) if fault else frozenset()
    message = fault.message if fault else ""
    results = [upsert_order(backend, e, failing_keys=keys, fail_message=message) for e in elements]
    if backend.config.order_notify_on_api_create:
        queue_order_notify(backend, [r.order["orderId"] for r in results if r.notify and r.order])
    return results


def create_order(backend: Backend, request: ApiRequest) -> Reply:
    body = request.body
    if not isinstance(body, dict):
        kind = (
            "an array" if isinstance(body, list) else "empty" if body is None else "not an object"
        )
        raise invalid_request(
            {"order": [f"The body must be one order (a JSON object); it is {kind}."]}
        )
    (result,) = _upsert_all(backend, [body], _failing(backend, request, [body]))
    if result.outcome == "invalid":
        raise invalid_request(result.errors)
    if result.outcome == "refused":
        raise validation_failure(backend.config, result.reason)
    return ok(result.order)


def create_orders(backend: Backend, request: ApiRequest) -> Reply:
    body = request.body
    config = backend.config
    if not isinstance(body, list):
        kind = (
            "an object" if isinstance(body, dict) else "empty" if body is None else "not an array"
        )
        raise invalid_request(
            {"orders": [f"The body must be a JSON array of orders; it is {kind}."]}
        )
    if len(body) > config.createorders_max:
        raise ApiError(
            Reply(
                config.createorders_over_limit_status,
                {
                    "Message": f"The request is invalid: at most {config.createorders_max} orders "
                    f"per call, got {len(body)}."
                },
            )
        )
    results = _upsert_all(backend, body, _failing(backend, request, body))
    answer = [
        {
            "orderId": r.order["orderId"] if r.order else config.failed_result_order_id,
            "orderNumber": r.order_number,
            "orderKey": r.order_key,
            "success": r.succeeded,
            "errorMessage": None if r.succeeded else r.reason,
        }
        for r in results
    ]
    return ok({"hasErrors": not all(r.succeeded for r in results), "results": answer})
