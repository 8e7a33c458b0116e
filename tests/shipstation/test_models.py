"""The wire models' contract: tolerant input, exact money, zone-safe times, clear refusals."""

from __future__ import annotations

import copy
import json
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError
from pydantic_core import PydanticSerializationError

from stationmaster.shipstation.models import (
    LOCKED_STATUSES,
    OFFSETS_CONTEXT_KEY,
    OPEN_STATUSES,
    AddFundsRequest,
    Address,
    CreateLabelForOrderRequest,
    CustomerFilter,
    CustomerList,
    FulfillmentFilter,
    FulfillmentList,
    HoldUntilRequest,
    MarkAsShippedRequest,
    Order,
    OrderFilter,
    OrderItem,
    OrderList,
    OrdersByTagFilter,
    PageEnvelope,
    ProductFilter,
    ProductList,
    QueryFilter,
    RefreshStoreRequest,
    Shipment,
    ShipmentFilter,
    ShipmentList,
    Store,
    StoreRefreshStatus,
    SubscribeRequest,
    SubscribeResponse,
    WebhookPayload,
    WireArray,
    to_wire,
)
from stationmaster.wiretime import PACIFIC
from tests.shipstation.samples import sample

# --- unknown fields ---------------------------------------------------------------------------


def test_unknown_fields_are_kept_and_sent_back() -> None:
    body = {
        "orderId": 7,
        "brandNewField": {"nested": [1, 2]},
        "shipTo": {"name": "Ada", "geoHash": "u4pruyd"},
    }
    order = Order.model_validate(body)

    assert order.model_extra == {"brandNewField": {"nested": [1, 2]}}
    assert order.shipTo is not None
    assert order.shipTo.model_extra == {"geoHash": "u4pruyd"}
    assert to_wire(order) == body


def test_unknown_order_status_is_stored_raw() -> None:
    order = Order.model_validate({"orderStatus": "awaiting_teleport"})
    assert order.orderStatus == "awaiting_teleport"
    assert order.orderStatus not in OPEN_STATUSES | LOCKED_STATUSES


def test_status_sets_are_disjoint_and_complete() -> None:
    assert OPEN_STATUSES.isdisjoint(LOCKED_STATUSES)
    assert {"awaiting_payment", "awaiting_shipment", "pending_fulfillment", "on_hold"} == (
        OPEN_STATUSES
    )
    assert {"shipped", "cancelled", "rejected_fulfillment"} == LOCKED_STATUSES


def test_undocumented_enum_values_parse() -> None:
    shipment = Shipment.model_validate({"advancedOptions": {"billToParty": "4"}})
    assert shipment.advancedOptions is not None
    assert shipment.advancedOptions.billToParty == "4"


def test_blank_strings_in_bool_and_list_fields_mean_not_given() -> None:
    assert Address.model_validate({"residential": ""}).residential is None
    assert Store.model_validate({"statusMappings": ""}).statusMappings is None


# --- money ------------------------------------------------------------------------------------


@pytest.mark.parametrize("amount", ["19.99", "0.01", "-20.55", "1234.5678", "99999999.99", "6.0"])
def test_money_leaves_as_a_json_number_and_comes_back_exact(amount: str) -> None:
    order = Order(amountPaid=Decimal(amount))

    as_json = order.model_dump(mode="json")["amountPaid"]
    text = order.model_dump_json(exclude_unset=True)

    assert isinstance(as_json, float)
    assert Decimal(repr(as_json)) == Decimal(amount)
    assert text == '{"amountPaid":' + repr(float(amount)) + "}"
    assert Order.model_validate_json(text).amountPaid == Decimal(amount)


def test_money_in_python_mode_stays_decimal() -> None:
    assert Order(taxAmount=Decimal("5.25")).model_dump()["taxAmount"] == Decimal("5.25")


def test_whole_amounts_leave_as_integers() -> None:
    assert json.loads(Order(shippingAmount=Decimal("10")).model_dump_json())["shippingAmount"] == 10
    assert Order(shippingAmount=Decimal("10")).model_dump(mode="json")["shippingAmount"] == 10


def test_exact_money_example() -> None:
    assert Order(orderTotal=Decimal("19.99")).model_dump(mode="json")["orderTotal"] == 19.99
    assert '"orderTotal":19.99' in Order(orderTotal=Decimal("19.99")).model_dump_json()


def test_money_that_a_json_number_would_round_is_refused() -> None:
    order = Order(amountPaid=Decimal("0.12345678901234567890"))
    with pytest.raises(PydanticSerializationError, match="losing precision"):
        to_wire(order)


@pytest.mark.parametrize("bad", ["NaN", "Infinity", "twelve", [1]])
def test_bad_money_is_refused(bad: object) -> None:
    with pytest.raises(ValidationError):
        Order.model_validate({"amountPaid": bad})


# --- times ------------------------------------------------------------------------------------


def test_datetimes_are_utc_inside_and_pacific_on_the_wire() -> None:
    order = Order.model_validate({"orderDate": "2026-03-08T03:30:00.0000000"})

    assert order.orderDate == datetime(2026, 3, 8, 10, 30, tzinfo=UTC)
    assert order.model_dump()["orderDate"] == datetime(2026, 3, 8, 10, 30, tzinfo=UTC)
    assert to_wire(order) == {"orderDate": "2026-03-08T03:30:00.0000000"}


def test_aware_datetimes_from_python_are_accepted_in_any_zone() -> None:
    berlin = timezone(timedelta(hours=1))
    order = Order(orderDate=datetime(2026, 11, 21, 18, 40, 12, tzinfo=berlin))

    assert order.orderDate == datetime(2026, 11, 21, 17, 40, 12, tzinfo=UTC)
    assert order.orderDate is not None
    assert order.orderDate.tzinfo is UTC
    assert to_wire(order) == {"orderDate": "2026-11-21T09:40:12.0000000"}


@pytest.mark.parametrize(
    ("model", "field"),
    [(Order, "orderDate"), (Order, "shipDate"), (OrderItem, "createDate"), (Store, "refreshDate")],
)
def test_naive_datetimes_are_refused(model: type[Order | OrderItem | Store], field: str) -> None:
    with pytest.raises(ValidationError, match="naive datetime"):
        model.model_validate({field: datetime(2026, 11, 21, 9, 40)})


def test_a_plain_date_given_for_a_datetime_means_pacific_midnight() -> None:
    assert Order(orderDate=date(2026, 7, 1)).orderDate == datetime(2026, 7, 1, 7, tzinfo=UTC)


def test_short_style_times_render_with_milliseconds_at_most() -> None:
    item = OrderItem.model_validate({"createDate": "2024-03-19T08:09:13.9"})
    assert to_wire(item) == {"createDate": "2024-03-19T08:09:13.9"}
    store = Store.model_validate({"modifyDate": "2014-11-12T08:45:20.55"})
    assert to_wire(store) == {"modifyDate": "2014-11-12T08:45:20.55"}


def test_offsets_in_bodies_are_refused_unless_the_context_says_otherwise() -> None:
    body = {"orderDate": "2026-11-21T09:40:00Z"}
    with pytest.raises(ValidationError, match="carry no offset"):
        Order.model_validate(body)

    ignored = Order.model_validate(body, context={OFFSETS_CONTEXT_KEY: "ignore"})
    honoured = Order.model_validate(body, context={OFFSETS_CONTEXT_KEY: "honour"})

    assert ignored.orderDate == datetime(2026, 11, 21, 17, 40, tzinfo=UTC)
    assert honoured.orderDate == datetime(2026, 11, 21, 9, 40, tzinfo=UTC)


def test_unknown_offset_mode_in_context_is_refused() -> None:
    with pytest.raises(ValidationError, match=OFFSETS_CONTEXT_KEY):
        Order.model_validate({"orderDate": "2026-11-21"}, context={OFFSETS_CONTEXT_KEY: "guess"})


@pytest.mark.parametrize(
    ("wire", "expected"),
    [
        ("2015-07-02", date(2015, 7, 2)),
        (" 2015-07-02 ", date(2015, 7, 2)),
        ("2015-07-02T00:00:00.0000000", date(2015, 7, 2)),
        ("2015-07-02 00:00:00", date(2015, 7, 2)),
    ],
)
def test_date_fields_read_dates_and_midnights(wire: str, expected: date) -> None:
    order = Order.model_validate({"shipDate": wire})
    assert order.shipDate == expected
    assert to_wire(order) == {"shipDate": expected.isoformat()}


@pytest.mark.parametrize("wire", ["2015-07-02T10:00:00", "2015-02-30", "02-07-2015", "soon"])
def test_date_fields_refuse_times_of_day_and_non_dates(wire: str) -> None:
    with pytest.raises(ValidationError):
        Order.model_validate({"shipDate": wire})


def test_an_aware_datetime_given_for_a_date_becomes_its_pacific_calendar_day() -> None:
    late_evening_pacific = datetime(2026, 11, 22, 5, 0, tzinfo=UTC)
    request = HoldUntilRequest(orderId=1, holdUntilDate=late_evening_pacific)
    assert request.holdUntilDate == date(2026, 11, 21)


def test_refresh_status_reads_month_first_dates() -> None:
    status = StoreRefreshStatus.model_validate(sample("store_refreshstatus.json"))
    assert status.refreshDate == datetime(2014, 8, 13, 7, tzinfo=UTC)
    with pytest.raises(ValidationError, match="not a real date"):
        StoreRefreshStatus.model_validate({"refreshDate": "13-45-2014"})


def test_fulfillment_ship_dates_keep_their_time_of_day() -> None:
    page = FulfillmentList.model_validate(sample("fulfillments_list_page_b.json"))
    midnight, afternoon = (record.shipDate for record in page.records())
    assert midnight == datetime(2020, 6, 19, 7, tzinfo=UTC)
    assert afternoon == datetime(2020, 6, 24, 17, 32, 33, 687000, tzinfo=UTC)


# --- lists ------------------------------------------------------------------------------------

LISTS: list[type[PageEnvelope[Any]]] = [
    OrderList,
    ShipmentList,
    FulfillmentList,
    ProductList,
    CustomerList,
]


@pytest.mark.parametrize("envelope", LISTS)
def test_null_list_elements_are_dropped(envelope: type[PageEnvelope[Any]]) -> None:
    key = envelope.collection_key
    page = envelope.model_validate(
        {key: [None, {"extra": 1}, None, {"extra": 2}], "total": 2, "page": 1, "pages": 1}
    )
    assert [record.model_extra for record in page.records()] == [{"extra": 1}, {"extra": 2}]
    assert (page.total, page.page, page.pages) == (2, 1, 1)


@pytest.mark.parametrize("envelope", LISTS)
def test_a_page_without_its_collection_has_no_records(envelope: type[PageEnvelope[Any]]) -> None:
    assert envelope.collection_key in envelope.model_fields
    assert envelope.model_validate({"total": 0}).records() == []
    assert envelope.model_validate({envelope.collection_key: None}).records() == []


def test_plain_arrays_drop_nulls_too() -> None:
    stores = WireArray[Store].model_validate([None, {"storeId": 1}])
    assert [store.storeId for store in stores.records()] == [1]


# --- requests ---------------------------------------------------------------------------------


def test_a_request_built_in_code_sends_only_what_was_set() -> None:
    order = Order(
        orderNumber="ORD-1",
        orderKey="acme:1",
        orderDate=datetime(2026, 11, 21, 15, 55, tzinfo=UTC),
        orderStatus="awaiting_shipment",
        billTo=Address(name="Min Kim"),
        shipTo=Address(name="Min Kim", postalCode="98101"),
        customerNotes=None,
    )
    assert to_wire(order) == {
        "orderNumber": "ORD-1",
        "orderKey": "acme:1",
        "orderDate": "2026-11-21T07:55:00.0000000",
        "orderStatus": "awaiting_shipment",
        "billTo": {"name": "Min Kim"},
        "shipTo": {"name": "Min Kim", "postalCode": "98101"},
        "customerNotes": None,
    }


def test_request_bodies_render_their_dates() -> None:
    hold = HoldUntilRequest(orderId=5, holdUntilDate=date(2026, 11, 27))
    shipped = MarkAsShippedRequest(orderId=5, carrierCode="ups", notifyCustomer=False)
    refresh = RefreshStoreRequest(storeId=3, refreshDate=datetime(2026, 7, 1, 16, tzinfo=UTC))

    assert to_wire(hold) == {"orderId": 5, "holdUntilDate": "2026-11-27"}
    assert to_wire(shipped) == {"orderId": 5, "carrierCode": "ups", "notifyCustomer": False}
    assert to_wire(refresh) == {"storeId": 3, "refreshDate": "2026-07-01 09:00:00"}


def test_label_requests_must_say_whether_the_label_is_a_test() -> None:
    fields = {"orderId": 1, "carrierCode": "ups", "serviceCode": "ups_ground"}
    with pytest.raises(ValidationError) as error:
        CreateLabelForOrderRequest.model_validate({**fields, "packageCode": "package"})
    missing = {entry["loc"][0] for entry in error.value.errors()}
    assert missing == {"shipDate", "testLabel"}


@pytest.mark.parametrize("amount", ["9.99", "10000.01"])
def test_add_funds_outside_shipstations_limits_is_refused(amount: str) -> None:
    with pytest.raises(ValidationError):
        AddFundsRequest(carrierCode="stamps_com", amount=Decimal(amount))


def test_subscribe_request_only_takes_known_events() -> None:
    SubscribeRequest(target_url="https://hooks.example/x", event="SHIP_NOTIFY")
    with pytest.raises(ValidationError):
        SubscribeRequest.model_validate({"target_url": "https://x", "event": "SHIP_NOTIFIED"})


# --- webhooks ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        {"id": 123456},
        {"WebHookID": 123456, "HookType": "SHIP_NOTIFY", "Url": "https://x/y", "Name": "n"},
    ],
)
def test_subscribe_response_accepts_both_documented_shapes(body: dict[str, object]) -> None:
    response = SubscribeResponse.model_validate(body)
    assert response.webhook_id == 123456
    assert to_wire(response) == body


def test_subscribe_response_without_an_id_is_refused() -> None:
    with pytest.raises(ValidationError, match="'id' or 'WebHookID'"):
        SubscribeResponse.model_validate({"HookType": "SHIP_NOTIFY"})


def test_webhook_payload_keeps_unknown_event_types() -> None:
    body = {"resource_url": "https://ssapi.shipstation.com/x", "resource_type": "NEW_EVENT"}
    assert WebhookPayload.model_validate(body).resource_type == "NEW_EVENT"
    with pytest.raises(ValidationError):
        WebhookPayload.model_validate({"resource_type": "ORDER_NOTIFY"})


# --- bad input --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "location"),
    [
        ({"orderId": "abc"}, ("orderId",)),
        ({"gift": "maybe"}, ("gift",)),
        ({"items": [{"quantity": "many"}]}, ("items", 0, "quantity")),
        ({"shipTo": "Main Street 1"}, ("shipTo",)),
        ({"tagIds": ["vip"]}, ("tagIds", 0)),
        ({"orderDate": 20261121}, ("orderDate",)),
        ({"orderDate": "21/11/2026"}, ("orderDate",)),
    ],
)
def test_bad_input_is_refused_where_it_is_and_left_untouched(
    body: dict[str, Any], location: tuple[object, ...]
) -> None:
    before = copy.deepcopy(body)
    with pytest.raises(ValidationError) as error:
        Order.model_validate(body)
    assert [entry["loc"] for entry in error.value.errors()] == [location]
    assert body == before


# --- filters ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("instant", "wall"),
    [
        (datetime(2026, 3, 8, 9, 59, 59, tzinfo=UTC), "2026-03-08 01:59:59"),  # last PST second
        (datetime(2026, 3, 8, 10, 0, tzinfo=UTC), "2026-03-08 03:00:00"),  # PDT starts
        (datetime(2026, 3, 8, 10, 30, tzinfo=UTC), "2026-03-08 03:30:00"),
        (datetime(2026, 11, 1, 8, 30, tzinfo=UTC), "2026-11-01 01:30:00"),  # 01:30 PDT
        (datetime(2026, 11, 1, 9, 30, tzinfo=UTC), "2026-11-01 01:30:00"),  # 01:30 PST again
        (datetime(2026, 11, 1, 10, 30, tzinfo=UTC), "2026-11-01 02:30:00"),
        (datetime(2026, 7, 1, 6, 59, 59, 999999, tzinfo=UTC), "2026-06-30 23:59:59"),
    ],
)
def test_filter_times_render_as_pacific_wall_time(instant: datetime, wall: str) -> None:
    assert OrderFilter(modifyDateStart=instant).to_params() == {"modifyDateStart": wall}


def test_filter_times_are_kept_in_utc() -> None:
    query = ShipmentFilter(createDateStart=datetime(2026, 11, 21, 9, 40, tzinfo=PACIFIC))
    assert query.createDateStart == datetime(2026, 11, 21, 17, 40, tzinfo=UTC)


def test_filters_render_bools_ints_and_leave_out_unset() -> None:
    query = ShipmentFilter(
        orderId=42, includeShipmentItems=True, sortBy="ShipDate", sortDir="DESC", page=2
    )
    assert query.to_params() == {
        "page": "2",
        "orderId": "42",
        "includeShipmentItems": "true",
        "sortBy": "ShipDate",
        "sortDir": "DESC",
    }
    assert ProductFilter(showInactive=False).to_params() == {"showInactive": "false"}
    assert CustomerFilter().to_params() == {}


def test_filters_are_copied_with_new_windows_and_pages() -> None:
    query = FulfillmentFilter(pageSize=500)
    later = query.model_copy(
        update={"page": 3, "createDateStart": datetime(2026, 1, 1, 8, tzinfo=UTC)}
    )
    assert later.to_params() == {
        "page": "3",
        "pageSize": "500",
        "createDateStart": "2026-01-01 00:00:00",
    }
    assert query.page is None


@pytest.mark.parametrize(
    ("size", "complaint"),
    [
        (0, "greater than or equal to 1"),
        (-1, "greater than or equal to 1"),
        (501, "less than or equal to 500"),
        (10_000, "less than or equal to 500"),
    ],
)
@pytest.mark.parametrize("model", [OrderFilter, ShipmentFilter, FulfillmentFilter, ProductFilter])
def test_page_size_outside_one_to_five_hundred_is_refused(
    model: type[QueryFilter], size: int, complaint: str
) -> None:
    with pytest.raises(ValidationError) as error:
        model(pageSize=size)
    (problem,) = error.value.errors()
    assert problem["loc"] == ("pageSize",)
    assert complaint in problem["msg"]


@pytest.mark.parametrize("size", [1, 500])
def test_page_size_limits_are_inclusive(size: int) -> None:
    assert CustomerFilter(pageSize=size).to_params() == {"pageSize": str(size)}


def test_filters_refuse_naive_times_unknown_names_and_backward_windows() -> None:
    with pytest.raises(ValidationError, match="naive datetime"):
        OrderFilter(modifyDateStart=datetime(2026, 11, 21, 9, 40))
    with pytest.raises(ValidationError, match="modifiedDateStart"):
        OrderFilter.model_validate({"modifiedDateStart": datetime(2026, 1, 1, tzinfo=UTC)})
    with pytest.raises(ValidationError, match="endDate"):
        ProductFilter(
            startDate=datetime(2026, 2, 1, tzinfo=UTC), endDate=datetime(2026, 1, 1, tzinfo=UTC)
        )
    with pytest.raises(ValidationError):
        OrderFilter.model_validate({"sortBy": "orderdate"})


def test_orders_by_tag_needs_status_and_tag() -> None:
    with pytest.raises(ValidationError):
        OrdersByTagFilter.model_validate({"tagId": 831})
    query = OrdersByTagFilter(orderStatus="awaiting_shipment", tagId=831, pageSize=100)
    assert query.to_params() == {
        "pageSize": "100",
        "orderStatus": "awaiting_shipment",
        "tagId": "831",
    }
