"""Shipment and fulfillment endpoints: lists, createlabel, getrates, voidlabel (§7).

``/shipments`` lists only labels bought in ShipStation (voided ones included, ``voided: true``);
``/fulfillments`` lists what was marked as shipped. ``shipmentItems`` is ``null`` unless
``includeShipmentItems=true``; ``labelData`` is always ``null`` in lists.
"""

from __future__ import annotations

from functools import partial

from stationmaster.emulator.backend import Backend
from stationmaster.emulator.checks import missing, read_body
from stationmaster.emulator.labels import rates
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
from stationmaster.emulator.refusals import Missing, Refused
from stationmaster.emulator.replies import Reply, not_found, ok, validation_failure
from stationmaster.emulator.routing import ApiRequest
from stationmaster.emulator.schemas import CREATE_LABEL, RATES, VOID_LABEL
from stationmaster.emulator.shipping import label_without_order, void_label
from stationmaster.emulator.wire import Wire

SHIPMENT_DATES = (
    DateRange("createDate", "createDateStart", "createDateEnd"),
    DateRange("shipDate", "shipDateStart", "shipDateEnd"),
    DateRange("voidDate", "voidDateStart", "voidDateEnd"),
)
FULFILLMENT_DATES = (
    DateRange("createDate", "createDateStart", "createDateEnd"),
    DateRange("shipDate", "shipDateStart", "shipDateEnd"),
)
SORTS = {"shipdate": "shipDate", "createdate": "createDate"}


def _common(
    backend: Backend, request: ApiRequest, ranges: tuple[DateRange, ...]
) -> list[Predicate]:
    query = request.query
    predicates = date_filters(backend, request, ranges)
    if (name := query.text("recipientName")) is not None:
        predicates.append(lambda r: contains((r["shipTo"] or {}).get("name"), name))
    if (number := query.text("orderNumber")) is not None:
        predicates.append(lambda r: starts_with(r["orderNumber"], number))
    if (order_id := query.integer("orderId")) is not None:
        predicates.append(lambda r: r["orderId"] == order_id)
    if (tracking := query.text("trackingNumber")) is not None:
        predicates.append(lambda r: r["trackingNumber"] == tracking)
    return predicates


def _render_shipment(row: Wire, *, items: bool) -> Wire:
    return {**row, "shipmentItems": row["shipmentItems"] if items else None, "labelData": None}


def list_shipments(backend: Backend, request: ApiRequest) -> Reply:
    query = request.query
    account = backend.account
    predicates = _common(backend, request, SHIPMENT_DATES)
    if (country := query.text("recipientCountryCode")) is not None:
        predicates.append(
            lambda r: ((r["shipTo"] or {}).get("country") or "").upper() == country.upper()
        )
    if (carrier := query.text("carrierCode")) is not None:
        predicates.append(lambda r: r["carrierCode"] == carrier)
    if (service := query.text("serviceCode")) is not None:
        predicates.append(lambda r: r["serviceCode"] == service)
    if (store_id := query.integer("storeId")) is not None:
        predicates.append(lambda r: r["advancedOptions"]["storeId"] == store_id)
    if (batch := query.text("batchId")) is not None:
        members = set(account.label_batches.get(batch, ()))
        predicates.append(lambda r: r["shipmentId"] in members)
    items = bool(query.boolean("includeShipmentItems"))
    rows = [s for s in account.shipments.values() if matches_all(s, predicates)]
    field = query.choice("sortBy", SORTS)
    ordered = sorted_rows(
        rows, "shipmentId", sort_key(field or "createDate"), sort_direction(request)
    )
    return page_of(backend, request, ordered, "shipments", partial(_render_shipment, items=items))


def list_fulfillments(backend: Backend, request: ApiRequest) -> Reply:
    query = request.query
    predicates = _common(backend, request, FULFILLMENT_DATES)
    if (fulfillment_id := query.integer("fulfillmentId")) is not None:
        predicates.append(lambda r: r["fulfillmentId"] == fulfillment_id)
    rows = [f for f in backend.account.fulfillments.values() if matches_all(f, predicates)]
    field = query.choice("sortBy", SORTS)
    ordered = sorted_rows(
        rows, "fulfillmentId", sort_key(field) if field else None, sort_direction(request)
    )
    return page_of(backend, request, ordered, "fulfillments", lambda r: r)


def create_label(backend: Backend, request: ApiRequest) -> Reply:
    values = read_body(request.body, CREATE_LABEL, backend.config.filter_offset_mode)
    absent = missing(
        values,
        "carrierCode",
        "serviceCode",
        "packageCode",
        "shipDate",
        "weight",
        "shipFrom",
        "shipTo",
    )
    if absent:
        raise validation_failure(backend.config, f"Required: {', '.join(absent)}.")
    try:
        return ok(label_without_order(backend, values))
    except Refused as exc:
        raise validation_failure(backend.config, str(exc)) from None


def get_rates(backend: Backend, request: ApiRequest) -> Reply:
    values = read_body(request.body, RATES, backend.config.filter_offset_mode)
    absent = missing(values, "carrierCode", "fromPostalCode", "toCountry", "toPostalCode", "weight")
    if absent:
        raise validation_failure(backend.config, f"Required: {', '.join(absent)}.")
    try:
        return ok(rates(backend.account, values))
    except Refused as exc:
        raise validation_failure(backend.config, str(exc)) from None


def void(backend: Backend, request: ApiRequest) -> Reply:
    values = read_body(request.body, VOID_LABEL, backend.config.filter_offset_mode)
    if values["shipmentId"] is None:
        raise validation_failure(backend.config, "Required: shipmentId.")
    try:
        approved, message, _ = void_label(backend, values["shipmentId"])
    except Missing:
        raise not_found(backend.config) from None
    return ok({"approved": approved, "message": message})
