"""Canonical order -> ShipStation order: every rule, every repair, and never a half-built order."""

from __future__ import annotations

import json
import string
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import JsonValue

from stationmaster import domain
from stationmaster.emulator import catalog
from stationmaster.emulator.orderbuild import read_order, validation_problem
from stationmaster.emulator.state import Account
from stationmaster.shipstation.models import Order as WireOrder
from stationmaster.shipstation.models import to_wire
from stationmaster.sync.mapping import (
    KEY_MAX_LENGTH,
    Mapped,
    fingerprint,
    line_item_key,
    map_order,
    order_key,
)
from stationmaster.sync.rules import Rules, load_rules
from stationmaster.testing.factories import make_order, make_orders, plain_order

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
EXAMPLE = Path("/work/shared/reference/examples/createorders-request.json")


def run(order: domain.Order | None = None, rules: Rules | None = None, **table: object) -> Mapped:
    return map_order(order or plain_order(), rules or load_rules(table), source="acme", now=NOW)


def wire(mapped: Mapped) -> dict[str, Any]:
    """The payload as sent, typed loosely so that tests can index into it."""
    assert mapped.payload is not None, mapped.problems
    body: dict[str, Any] = json.loads(json.dumps(to_wire(mapped.payload), ensure_ascii=False))
    return body


def errors(mapped: Mapped) -> list[str]:
    return [problem.field for problem in mapped.errors]


def warnings(mapped: Mapped) -> list[str]:
    return [problem.field for problem in mapped.warnings]


def address(**changes: object) -> dict[str, object]:
    base: dict[str, object] = {
        "name": "Min Kim",
        "street1": "9 Harbor Way",
        "city": "Seattle",
        "state": "WA",
        "postal_code": "98101",
        "country": "US",
    }
    return {**base, **changes}


def abroad(**changes: object) -> dict[str, object]:
    return address(
        **{
            "name": "Harriet Patel",
            "street1": "Flat 2, 14 Gloucester Road",
            "city": "Bristol",
            "state": None,
            "postal_code": "BS7 8AE",
            "country": "GB",
            **changes,
        }
    )


# --- the whole payload ------------------------------------------------------------------------


def test_the_plain_order_maps_to_exactly_this_payload() -> None:
    mapped = run()
    assert mapped.problems == []
    assert (mapped.eligible, mapped.action, mapped.status, mapped.skip_reason) == (
        True,
        "upsert",
        "awaiting_shipment",
        None,
    )
    ship_to = {
        "name": "Min Kim",
        "street1": "9 Harbor Way",
        "street2": "Unit 4",
        "city": "Seattle",
        "state": "WA",
        "postalCode": "98101",
        "country": "US",
        "phone": "206-555-0117",
        "residential": True,
    }
    bill_to = {key: value for key, value in ship_to.items() if key != "street2"}
    assert wire(mapped) == {
        "orderNumber": "SM-1001",
        "orderKey": "acme:1001",
        "orderDate": "2026-11-20T09:00:00.0000000",
        "paymentDate": "2026-11-20T09:01:00.0000000",
        "orderStatus": "awaiting_shipment",
        "customerUsername": "mkim",
        "customerEmail": "min.kim@example.com",
        "billTo": bill_to,
        "shipTo": ship_to,
        "items": [
            {
                "lineItemKey": "li-1",
                "sku": "TEAPOT-CER-1L",
                "name": "Ceramic Teapot 1 L",
                "weight": {"value": 28, "units": "ounces"},
                "quantity": 1,
                "unitPrice": 39.0,
                "taxAmount": 4.0,
                "warehouseLocation": "C1-03",
                "options": [{"name": "Glaze", "value": "Celadon"}],
                "adjustment": False,
            },
            {
                "lineItemKey": "li-2",
                "sku": "TEA-SENCHA-100",
                "name": "Loose Leaf Sencha 100 g",
                "weight": {"value": 4, "units": "ounces"},
                "quantity": 3,
                "unitPrice": 9.5,
                "taxAmount": 2.92,
                "options": [],
                "adjustment": False,
            },
        ],
        "amountPaid": 82.92,
        "taxAmount": 6.92,
        "shippingAmount": 8.5,
        "gift": False,
        "paymentMethod": "Credit Card",
        "requestedShippingService": "UPS Ground",
        "weight": {"value": 40, "units": "ounces"},
        "advancedOptions": {"source": "acme"},
    }


def test_every_optional_order_field_is_filled_when_the_order_has_it() -> None:
    order = plain_order(
        ship_by=datetime(2026, 11, 24, 8, 0, tzinfo=UTC),
        customer_notes="Ring twice 🔔",
        internal_notes="Loyal customer",
        gift=True,
        gift_message="Happy housewarming! 🏡",
        tags=["VIP"],
        custom={"channel": "app"},
        warehouse="WEST",
        lines=[
            {
                "line_id": "li-1",
                "sku": "TEAPOT-1L",
                "name": "Ceramic Teapot 1 L",
                "quantity": 1,
                "unit_price": "39.00",
                "image_url": "https://shop.example.com/img/teapot.jpg",
                "product_id": "5001",
                "upc": "036000291452",
            }
        ],
        tax_amount="0",
        total="47.50",
        amount_paid="47.50",
    )
    body = wire(
        run(
            order,
            store_id=310554,
            marketplace="Acme Shop",
            sku_map={"TEAPOT-1L": "TEAPOT-CER-1L"},
            tag_map={"vip": 1201},
            warehouses={"by_location": {"WEST": 187651}},
            custom_fields={
                "custom_field1": "{number} / {customer_email}",
                "custom_field2": "{custom.channel}",
            },
        )
    )
    assert body["shipByDate"] == "2026-11-24T00:00:00.0000000"
    assert (body["customerNotes"], body["internalNotes"]) == ("Ring twice 🔔", "Loyal customer")
    assert (body["gift"], body["giftMessage"]) == (True, "Happy housewarming! 🏡")
    assert body["tagIds"] == [1201]
    assert body["advancedOptions"] == {
        "warehouseId": 187651,
        "storeId": 310554,
        "source": "Acme Shop",
        "customField1": "SM-1001 / min.kim@example.com",
        "customField2": "app",
    }
    item = body["items"][0]
    assert item == {
        "lineItemKey": "li-1",
        "sku": "TEAPOT-CER-1L",
        "name": "Ceramic Teapot 1 L",
        "imageUrl": "https://shop.example.com/img/teapot.jpg",
        "quantity": 1,
        "unitPrice": 39.0,
        "options": [],
        "productId": 5001,
        "adjustment": False,
        "upc": "036000291452",
    }


def _keys_within(actual: JsonValue, example: JsonValue, path: str) -> list[str]:
    """Paths of ``actual`` that the example payload does not have."""
    if isinstance(actual, dict) and isinstance(example, dict):
        stray = [f"{path}.{key}" for key in actual if key not in example]
        return stray + [
            found
            for key, value in actual.items()
            if key in example
            for found in _keys_within(value, example[key], f"{path}.{key}")
        ]
    if isinstance(actual, list) and isinstance(example, list) and example:
        return [found for item in actual for found in _keys_within(item, example[0], f"{path}[]")]
    return []


@pytest.mark.parametrize("n", range(40))
def test_payloads_have_the_shape_of_the_reference_example(n: int) -> None:
    examples = json.loads(EXAMPLE.read_text())
    reference = {**examples[1], "items": examples[0]["items"]}  # international order, all keys
    body = wire(run(make_order(n, seed=5)))
    assert _keys_within(body, reference, "order") == []
    for required in ("orderNumber", "orderKey", "orderDate", "orderStatus", "billTo", "shipTo"):
        assert body.get(required) not in (None, ""), required
    assert body["billTo"]["name"] and body["shipTo"]["name"]
    assert all(item["name"] for item in body["items"])


def _emulator_account() -> Account:
    account = Account()
    account.stores[catalog.MANUAL_STORE_ID] = {"storeId": catalog.MANUAL_STORE_ID}
    account.warehouses[catalog.DEFAULT_WAREHOUSE_ID] = {"warehouseId": catalog.DEFAULT_WAREHOUSE_ID}
    account.tags[1201] = {"tagId": 1201, "name": "VIP"}
    return account


def test_the_emulator_accepts_every_mapped_factory_order() -> None:
    rules = load_rules(
        {
            "store_id": catalog.MANUAL_STORE_ID,
            "warehouses": {"default": catalog.DEFAULT_WAREHOUSE_ID},
            "tag_map": {"vip": 1201},
        }
    )
    account = _emulator_account()
    for order in make_orders(300, seed=9):
        body = json.loads(json.dumps(wire(run(order, rules)), ensure_ascii=False))
        values, problems = read_order(body, "reject")
        assert problems.ok, problems.errors
        assert validation_problem(account, values) is None, order.number


# --- statuses and eligibility -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("store_status", "shipstation_status", "reported"),
    [
        ("paid", "awaiting_shipment", False),
        ("Ready", "awaiting_shipment", False),
        ("processing", "awaiting_shipment", False),
        ("Ready to ship", "awaiting_shipment", False),
        ("unpaid", "awaiting_payment", False),
        ("pending", "awaiting_payment", False),
        ("shipped", "shipped", False),
        ("Cancelled", "cancelled", False),
        ("canceled", "cancelled", False),
        ("On Hold", "on_hold", False),
        ("on-hold", "on_hold", False),
        ("backordered", "on_hold", True),
    ],
)
def test_status_mapping(store_status: str, shipstation_status: str, reported: bool) -> None:
    mapped = run(plain_order(status=store_status), eligibility={"skip_on_hold": False})
    assert wire(mapped)["orderStatus"] == shipstation_status
    assert mapped.status == shipstation_status
    assert ("status" in warnings(mapped)) is reported


def test_an_unmapped_status_is_held_skipped_and_reported_by_default() -> None:
    mapped = run(plain_order(status="backordered"))
    assert not mapped.eligible
    assert mapped.payload is None
    assert mapped.skip_reason is not None and "on hold" in mapped.skip_reason
    assert [(p.field, p.severity) for p in mapped.problems] == [("status", "warning")]
    assert "'backordered' is not in the status map" in mapped.problems[0].message


def test_the_unmapped_status_is_configurable() -> None:
    mapped = run(plain_order(status="backordered"), status={"unmapped": "awaiting_shipment"})
    assert wire(mapped)["orderStatus"] == "awaiting_shipment"
    assert warnings(mapped) == ["status"]


def test_on_hold_orders_are_skipped_by_default() -> None:
    mapped = run(plain_order(status="on hold"))
    assert (mapped.eligible, mapped.payload, mapped.problems) == (False, None, [])
    assert mapped.skip_reason is not None and "on-hold orders are skipped" in mapped.skip_reason


def test_only_the_statuses_that_sync_are_sent() -> None:
    rules = load_rules({"eligibility": {"statuses": ["awaiting_shipment"]}})
    assert run(plain_order(status="paid"), rules).eligible
    unpaid = run(plain_order(status="unpaid"), rules)
    assert not unpaid.eligible
    assert unpaid.skip_reason is not None and "awaiting_payment" in unpaid.skip_reason


START = datetime(2026, 11, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("created_at", "eligible"),
    [
        (START, True),
        (START + timedelta(microseconds=1), True),
        (START - timedelta(microseconds=1), False),
        (START - timedelta(days=300), False),
    ],
)
def test_sync_start_edge(created_at: datetime, eligible: bool) -> None:
    order = plain_order(created_at=created_at, updated_at=created_at)
    mapped = run(order, eligibility={"sync_start": START})
    assert mapped.eligible is eligible
    assert (mapped.payload is not None) is eligible
    if not eligible:
        assert mapped.skip_reason is not None and "before the sync start" in mapped.skip_reason


SHIP_BY = NOW + timedelta(days=5)


@pytest.mark.parametrize(
    ("ship_by", "window", "eligible"),
    [
        (SHIP_BY, 5, True),
        (SHIP_BY + timedelta(microseconds=1), 5, False),
        (SHIP_BY, 6, True),
        (SHIP_BY, 4, False),
        (NOW - timedelta(days=1), 0, True),
        (None, 0, True),
        (NOW + timedelta(days=400), None, True),
    ],
)
def test_ship_window_edge(ship_by: datetime | None, window: int | None, eligible: bool) -> None:
    mapped = run(plain_order(ship_by=ship_by), eligibility={"ship_window_days": window})
    assert mapped.eligible is eligible
    if not eligible:
        assert mapped.skip_reason is not None and f"more than {window} days" in mapped.skip_reason


def test_a_deleted_order_is_deleted_not_upserted() -> None:
    mapped = run(plain_order(deleted=True, status="who knows", shipping=None))
    assert (mapped.action, mapped.eligible, mapped.payload, mapped.problems) == (
        "delete",
        True,
        None,
        [],
    )
    assert mapped.order_key == "acme:1001"


def test_a_deleted_order_from_before_the_sync_start_is_left_alone() -> None:
    old = datetime(2026, 1, 1, tzinfo=UTC)
    mapped = run(
        plain_order(deleted=True, created_at=old, updated_at=old),
        eligibility={"sync_start": START},
    )
    assert not mapped.eligible


def test_a_cancelled_order_is_sent_as_cancelled() -> None:
    assert wire(run(plain_order(status="cancelled")))["orderStatus"] == "cancelled"


# --- addresses --------------------------------------------------------------------------------

BILLING_STREET = "1 Billing Rd"


@pytest.mark.parametrize(
    ("mode", "has_billing", "has_shipping", "ship_street", "bill_street", "problem"),
    [
        ("both", True, False, BILLING_STREET, BILLING_STREET, ("shipping", "warning")),
        (
            "billing_to_shipping",
            True,
            False,
            BILLING_STREET,
            BILLING_STREET,
            ("shipping", "warning"),
        ),
        ("shipping_to_billing", True, False, None, BILLING_STREET, ("shipping", "error")),
        ("none", True, False, None, BILLING_STREET, ("shipping", "error")),
        ("both", False, True, "9 Harbor Way", "9 Harbor Way", ("billing", "warning")),
        (
            "shipping_to_billing",
            False,
            True,
            "9 Harbor Way",
            "9 Harbor Way",
            ("billing", "warning"),
        ),
        ("billing_to_shipping", False, True, "9 Harbor Way", None, None),
        ("none", False, True, "9 Harbor Way", None, None),
        ("both", False, False, None, None, ("shipping", "error")),
        ("both", True, True, "9 Harbor Way", BILLING_STREET, None),
    ],
)
def test_address_fallback_modes(
    mode: str,
    has_billing: bool,
    has_shipping: bool,
    ship_street: str | None,
    bill_street: str | None,
    problem: tuple[str, str] | None,
) -> None:
    order = plain_order(
        billing=address(street1=BILLING_STREET) if has_billing else None,
        shipping=address() if has_shipping else {},
    )
    mapped = run(order, address={"fallback": mode})
    assert [(p.field, p.severity) for p in mapped.problems] == ([problem] if problem else [])
    if ship_street is None:
        assert mapped.payload is None
        return
    body = wire(mapped)
    assert body["shipTo"]["street1"] == ship_street
    bill_to = body["billTo"]
    assert isinstance(bill_to, dict)
    assert bill_to.get("street1") == bill_street
    assert bill_to["name"] == "Min Kim"


@pytest.mark.parametrize(
    ("changes", "field", "fragment"),
    [
        ({"name": None}, "shipping.name", "no customer name"),
        ({"street1": None}, "shipping.street1", "missing"),
        ({"city": None}, "shipping.city", "missing"),
        ({"postal_code": None}, "shipping.postal_code", "US has postcodes"),
        ({"postal_code": "9" * 51}, "shipping.postal_code", "over the limit"),
        ({"country": None}, "shipping.country", "missing"),
        ({"country": "USA"}, "shipping.country", "not an ISO 3166-1 alpha-2"),
        ({"country": "U1"}, "shipping.country", "not an ISO 3166-1 alpha-2"),
        ({"state": None}, "shipping.state", "required for US"),
        ({"state": "Washington"}, "shipping.state", "two-letter state code"),
        ({"state": "Wá"}, "shipping.state", "two-letter state code"),
        ({"country": "CA", "state": None, "postal_code": "M5J 2X5"}, "shipping.state", "CA"),
        ({"country": "GB", "state": None, "postal_code": None}, "shipping.postal_code", "GB"),
    ],
)
def test_required_ship_to_parts(changes: dict[str, object], field: str, fragment: str) -> None:
    order = plain_order(shipping=address(**changes), customer_name=None)
    mapped = run(order)
    assert mapped.payload is None
    assert field in errors(mapped)
    assert any(fragment in p.message for p in mapped.errors if p.field == field)


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"state": "wa"}, {"state": "WA"}),
        ({"country": "hk", "state": None, "postal_code": None}, {"country": "HK"}),
        ({"country": "GB", "state": None, "postal_code": "BS7 8AE"}, {"country": "GB"}),
        ({"country": "DE", "state": "Berlin", "postal_code": "10119"}, {"state": "Berlin"}),
    ],
)
def test_addresses_that_pass(changes: dict[str, object], expected: dict[str, str]) -> None:
    body = wire(run(plain_order(shipping=address(**changes))))
    ship_to = body["shipTo"]
    assert isinstance(ship_to, dict)
    assert {key: ship_to.get(key) for key in expected} == expected


def test_countries_without_postcodes_are_configurable() -> None:
    order = plain_order(shipping=address(country="HK", state=None, postal_code=None))
    mapped = run(order, address={"postcode_optional_countries": []})
    assert errors(mapped) == ["shipping.postal_code"]


def test_a_missing_name_is_repaired_from_the_customer_name() -> None:
    order = plain_order(shipping=address(name=None), billing=address(name=None))
    mapped = run(order)
    assert warnings(mapped) == ["shipping.name", "billing.name"]
    body = wire(mapped)
    assert body["shipTo"]["name"] == body["billTo"]["name"] == "Min Kim"


def test_without_billing_and_without_fallback_the_bill_to_is_the_customer_name() -> None:
    order = plain_order(billing=None)
    assert wire(run(order, address={"fallback": "none"}))["billTo"] == {"name": "Min Kim"}
    nameless = run(plain_order(billing=None, customer_name=None), address={"fallback": "none"})
    assert errors(nameless) == ["billing"]


def test_a_bad_billing_country_is_an_error() -> None:
    assert errors(run(plain_order(billing=address(country="Deutschland")))) == ["billing.country"]


# --- templates, SKUs, tags, warehouses --------------------------------------------------------


def test_custom_fields_render_order_values() -> None:
    order = plain_order(custom={"channel": "web"}, tags=["vip", "gift"])
    body = wire(
        run(
            order,
            custom_fields={
                "custom_field1": "{order_key}",
                "custom_field2": "{source}/{source_id} {status} {currency} {total}",
                "custom_field3": "{tags} → {shipping_country} {custom.channel}",
            },
        )
    )
    assert body["advancedOptions"] == {
        "source": "acme",
        "customField1": "acme:1001",
        "customField2": "acme/1001 paid USD 82.92",
        "customField3": "vip, gift → US web",
    }


def test_a_missing_custom_value_renders_empty_with_a_warning() -> None:
    mapped = run(
        plain_order(),
        custom_fields={"custom_field1": "{custom.rep}", "custom_field2": "#{custom.rep}"},
    )
    assert warnings(mapped) == ["custom.rep", "custom.rep"]
    assert wire(mapped)["advancedOptions"] == {"source": "acme", "customField2": "#"}


def test_sku_mapping() -> None:
    body = wire(run(sku_map={"TEA-SENCHA-100": "SENCHA-100G"}))
    assert [item["sku"] for item in body["items"]] == ["TEAPOT-CER-1L", "SENCHA-100G"]


def test_tag_mapping_ignores_case_and_unknown_tags() -> None:
    order = plain_order(tags=["VIP", "Fragile", "vip", "unknown"])
    body = wire(run(order, tag_map={"vip": 1201, "fragile": 1203}))
    assert body["tagIds"] == [1201, 1203]
    assert "tagIds" not in wire(run(plain_order(tags=["unknown"]), tag_map={"vip": 1201}))


@pytest.mark.parametrize(
    ("location", "country", "expected", "warned"),
    [
        ("WEST", "US", 2, False),
        ("NORTH", "US", 9, True),
        ("NORTH", "CA", 3, True),
        (None, "CA", 3, False),
        (None, "US", 9, False),
    ],
)
def test_warehouse_routing(location: str | None, country: str, expected: int, warned: bool) -> None:
    shipping = address(country=country, state="ON" if country == "CA" else "WA")
    order = plain_order(warehouse=location, shipping=shipping)
    mapped = run(
        order,
        warehouses={"by_location": {"WEST": 2}, "by_country": {"CA": 3}, "default": 9},
        international={"domestic_countries": ["US", "CA"]},
    )
    assert wire(mapped)["advancedOptions"]["warehouseId"] == expected
    assert ("warehouse" in warnings(mapped)) is warned


def test_without_routing_no_warehouse_is_sent_and_nothing_is_reported() -> None:
    mapped = run(plain_order(warehouse="MAIN"))
    assert mapped.problems == []
    assert "warehouseId" not in wire(mapped)["advancedOptions"]


# --- money ------------------------------------------------------------------------------------


def test_discounts_become_negative_adjustment_lines() -> None:
    order = plain_order(
        discounts=[
            {"code": "WELCOME10", "amount": "6.75"},
            {"code": "BUNDLE", "amount": "2.00", "line_id": "li-2"},
            {"code": "WELCOME10", "amount": "1"},
        ],
        total="73.17",
        amount_paid="73.17",
    )
    mapped = run(order)
    assert mapped.problems == []
    items = wire(mapped)["items"]
    assert isinstance(items, list)
    assert items[2:] == [
        {
            "lineItemKey": "discount:WELCOME10",
            "name": "Discount WELCOME10",
            "quantity": 1,
            "unitPrice": -6.75,
            "adjustment": True,
        },
        {
            "lineItemKey": "discount:BUNDLE:li-2",
            "name": "Discount BUNDLE on Loose Leaf Sencha 100 g",
            "quantity": 1,
            "unitPrice": -2.0,
            "adjustment": True,
        },
        {
            "lineItemKey": "discount:WELCOME10#2",
            "name": "Discount WELCOME10",
            "quantity": 1,
            "unitPrice": -1,
            "adjustment": True,
        },
    ]


def test_a_discount_key_never_collides_with_a_line_id() -> None:
    order = plain_order(
        lines=[{"line_id": "discount:X", "name": "Odd id", "quantity": 1, "unit_price": "10"}],
        discounts=[{"code": "X", "amount": "1"}],
        tax_amount="0",
        total="17.50",
    )
    keys = [item["lineItemKey"] for item in wire(run(order))["items"]]
    assert keys == ["discount:X", "discount:X#2"]


def _inclusive(**changes: object) -> domain.Order:
    fields: dict[str, object] = {
        "prices_include_tax": True,
        "lines": [
            {"line_id": "a", "name": "Kettle", "quantity": 1, "unit_price": "12.00", "tax": "2.00"},
            {"line_id": "b", "name": "Cups", "quantity": 4, "unit_price": "10.00", "tax": "6.00"},
        ],
        "shipping_amount": "6.00",
        "shipping_tax": "1.00",
        "discounts": [{"code": "SPRING", "amount": "2.40", "tax": "0.40"}],
        "tax_amount": "8.60",
        "total": "55.60",
        "amount_paid": "55.60",
    }
    return plain_order(**{**fields, **changes})


def test_tax_inclusive_prices_are_sent_tax_exclusive_exactly() -> None:
    mapped = run(_inclusive())
    assert mapped.problems == []
    payload = mapped.payload
    assert payload is not None and payload.items is not None
    assert [item.unitPrice for item in payload.items] == [
        Decimal("10.00"),
        Decimal("8.50"),
        Decimal("-2.00"),
    ]
    assert (payload.shippingAmount, payload.taxAmount, payload.amountPaid) == (
        Decimal("5.00"),
        Decimal("8.60"),
        Decimal("55.60"),
    )


def test_tax_that_units_cannot_split_is_rounded_and_reported() -> None:
    order = _inclusive(
        lines=[
            {"line_id": "a", "name": "Kettle", "quantity": 1, "unit_price": "12.00", "tax": "2.00"},
            {"line_id": "b", "name": "Cups", "quantity": 3, "unit_price": "10.00", "tax": "5.00"},
        ],
        tax_amount="7.60",
        total="45.60",
    )
    mapped = run(order)
    assert warnings(mapped) == ["lines.1.unit_price", "total"]
    assert "unit price 8.33, so the line shows 24.99" in mapped.warnings[0].message
    assert mapped.payload is not None and mapped.payload.items is not None
    assert mapped.payload.items[1].unitPrice == Decimal("8.33")


def test_converted_orders_use_the_rate_and_record_the_original() -> None:
    order = plain_order(currency="EUR", internal_notes="Fragile")
    mapped = run(order, money={"rates": {"EUR/USD": "1.08"}})
    assert mapped.problems == []
    payload = mapped.payload
    assert payload is not None and payload.items is not None
    assert [(i.unitPrice, i.taxAmount) for i in payload.items] == [
        (Decimal("42.12"), Decimal("4.32")),
        (Decimal("10.26"), Decimal("3.15")),
    ]
    assert (payload.shippingAmount, payload.taxAmount, payload.amountPaid) == (
        Decimal("9.18"),
        Decimal("7.47"),
        Decimal("89.55"),
    )
    assert payload.internalNotes == (
        "Converted from EUR: the store's total is 82.92 EUR; rate 1.08 USD per EUR.\nFragile"
    )


def test_the_inverse_rate_is_used_when_only_it_is_configured() -> None:
    mapped = run(plain_order(currency="EUR"), money={"rates": {"USD/EUR": "0.8"}})
    assert mapped.payload is not None and mapped.payload.items is not None
    assert mapped.payload.items[0].unitPrice == Decimal("48.75")


def test_a_missing_rate_refuses_the_order_with_the_reason() -> None:
    mapped = run(plain_order(currency="GBP"), money={"rates": {"EUR/USD": "1.08"}})
    assert mapped.payload is None
    assert errors(mapped) == ["currency"]
    assert "no GBP/USD rate is configured" in mapped.errors[0].message


def test_customs_values_are_converted_to_usd_separately() -> None:
    order = plain_order(currency="GBP", shipping=address(country="US"))
    rules: dict[str, Any] = {
        "money": {"account_currency": "EUR", "rates": {"GBP/EUR": "1.17", "GBP/USD": "1.27"}},
        "international": {"domestic_countries": ["DE"]},
    }
    mapped = run(order, **rules)
    assert mapped.problems == []
    payload = mapped.payload
    assert payload is not None and payload.items is not None
    assert payload.items[0].unitPrice == Decimal("45.63")
    customs = payload.internationalOptions
    assert customs is not None and customs.customsItems is not None
    assert [item.value for item in customs.customsItems] == [Decimal("49.53"), Decimal("12.06")]


def test_customs_without_a_usd_rate_refuse_the_order() -> None:
    order = plain_order(currency="GBP", shipping=abroad(country="DE", postal_code="10119"))
    mapped = run(order, money={"account_currency": "GBP"})
    assert errors(mapped) == ["currency"]
    assert "customs values must be in USD" in mapped.errors[0].message


def test_amount_paid_is_kept_apart_from_the_total() -> None:
    body = wire(run(plain_order(amount_paid="20.00")))
    assert body["amountPaid"] == 20.0
    assert "amountPaid" not in wire(run(plain_order(amount_paid=None)))


def test_a_store_total_that_does_not_add_up_is_reported() -> None:
    mapped = run(plain_order(total="90.00"))
    assert warnings(mapped) == ["total"]
    assert "82.92" in mapped.warnings[0].message and "90.00" in mapped.warnings[0].message
    assert mapped.payload is not None


# --- international ----------------------------------------------------------------------------


def test_international_orders_carry_customs_lines() -> None:
    body = wire(run(plain_order(shipping=abroad(), billing=abroad())))
    assert body["internationalOptions"] == {
        "contents": "merchandise",
        "nonDelivery": "return_to_sender",
        "customsItems": [
            {
                "description": "Ceramic teapot",
                "quantity": 1,
                "value": 39.0,
                "harmonizedTariffCode": "6912.00",
                "countryOfOrigin": "PT",
            },
            {
                "description": "Loose Leaf Sencha 100 g",
                "quantity": 3,
                "value": 9.5,
                "harmonizedTariffCode": "0902.10",
                "countryOfOrigin": "JP",
            },
        ],
    }


def test_domestic_orders_have_no_customs() -> None:
    assert "internationalOptions" not in wire(run())


def test_customs_contents_and_non_delivery_are_configurable() -> None:
    body = wire(
        run(
            plain_order(shipping=abroad()),
            international={"contents": "gift", "non_delivery": "treat_as_abandoned"},
        )
    )
    options = body["internationalOptions"]
    assert isinstance(options, dict)
    assert (options["contents"], options["nonDelivery"]) == ("gift", "treat_as_abandoned")


def test_incomplete_customs_are_sent_tagged_and_reported() -> None:
    lines = [
        {"line_id": "a", "name": "Mug", "quantity": 2, "unit_price": "12.50",
         "customs": {"value": "11.00"}},
        {"line_id": "fee", "name": "Handling", "quantity": 1, "unit_price": "1.00",
         "adjustment": True},
    ]  # fmt: skip
    order = plain_order(
        shipping=abroad(), lines=lines, tax_amount="0", total="34.50", amount_paid="34.50"
    )
    mapped = run(order, international={"incomplete_customs_tag_id": 77})
    assert warnings(mapped) == ["lines.0.customs"]
    body = wire(mapped)
    assert body["tagIds"] == [77]
    options = body["internationalOptions"]
    assert isinstance(options, dict)
    assert options["customsItems"] == [{"description": "Mug", "quantity": 2, "value": 11.0}]


def test_a_bad_country_of_origin_is_an_error() -> None:
    lines = [{"line_id": "a", "name": "Mug", "quantity": 1, "unit_price": "12.50",
              "customs": {"hs_code": "6912.00", "country_of_origin": "Portugal"}}]  # fmt: skip
    order = plain_order(shipping=abroad(), lines=lines, tax_amount="0", total="21.00")
    assert errors(run(order)) == ["lines.0.customs.country_of_origin"]


# --- weights ----------------------------------------------------------------------------------


def test_mixed_weight_units_sum_in_grams() -> None:
    lines = [
        {"line_id": "a", "name": "Teapot", "quantity": 1, "unit_price": "39",
         "weight": {"value": "28", "unit": "oz"}},
        {"line_id": "b", "name": "Tea", "quantity": 3, "unit_price": "9.5",
         "weight": {"value": "100", "unit": "g"}},
        {"line_id": "c", "name": "Kettle", "quantity": 1, "unit_price": "0",
         "weight": {"value": "1.5", "unit": "kg"}},
    ]  # fmt: skip
    body = wire(run(plain_order(lines=lines, tax_amount="0", total="76.00")))
    assert body["weight"] == {"value": 2593.79, "units": "grams"}
    assert [item["weight"] for item in body["items"]] == [
        {"value": 28, "units": "ounces"},
        {"value": 100, "units": "grams"},
        {"value": 1500, "units": "grams"},
    ]


def test_no_order_weight_when_a_line_has_none() -> None:
    lines = [{"line_id": "a", "name": "Teapot", "quantity": 1, "unit_price": "39"}]
    body = wire(run(plain_order(lines=lines, tax_amount="0", total="47.50")))
    assert "weight" not in body


# --- limits -----------------------------------------------------------------------------------


def test_long_free_text_is_cut_by_characters_with_a_warning() -> None:
    notes = "é🙂" * 2500
    order = plain_order(
        customer_notes=notes,
        gift_message="🎁" * 1500,
        shipping=address(name="Zoë " * 40),
        payment_method="P" * 60,
    )
    mapped = run(order)
    assert set(warnings(mapped)) == {
        "customer_notes",
        "gift_message",
        "shipping.name",
        "payment_method",
    }
    payload = mapped.payload
    assert payload is not None and payload.shipTo is not None
    assert payload.customerNotes == notes[:1000]
    assert payload.giftMessage == "🎁" * 1000
    assert payload.shipTo.name is not None and len(payload.shipTo.name) == 100
    assert payload.paymentMethod == "P" * 50


def test_limits_are_configurable_and_the_currency_record_survives_cutting() -> None:
    order = plain_order(currency="EUR", internal_notes="x" * 500)
    mapped = run(order, money={"rates": {"EUR/USD": "1"}}, limits={"notes": 90})
    assert mapped.payload is not None and mapped.payload.internalNotes is not None
    assert len(mapped.payload.internalNotes) == 90
    assert mapped.payload.internalNotes.startswith("Converted from EUR")
    assert warnings(mapped) == ["internal_notes"]


def test_an_order_number_too_long_is_refused_not_cut() -> None:
    mapped = run(plain_order(number="N" * 51))
    assert errors(mapped) == ["number"]
    assert mapped.payload is None


def test_unusable_long_contact_details_are_left_out() -> None:
    order = plain_order(
        customer_email=("a" * 95) + "@example.com", shipping=address(phone="1" * 60)
    )
    mapped = run(order)
    assert warnings(mapped) == ["shipping.phone", "customer_email"]
    body = wire(mapped)
    assert "customerEmail" not in body
    assert "phone" not in body["shipTo"]


def test_custom_fields_are_cut_to_their_limit() -> None:
    order = plain_order(custom={"note": "ß" * 150})
    mapped = run(order, custom_fields={"custom_field1": "{custom.note}"})
    assert warnings(mapped) == ["advancedOptions.customField1"]
    assert wire(mapped)["advancedOptions"]["customField1"] == "ß" * 100


# --- bad data: refused or repaired, never half-built ------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "error_fields"),
    [
        ({"shipping": address(street1=None, city=None)}, ["shipping.street1", "shipping.city"]),
        ({"shipping": None, "billing": None}, ["shipping"]),
        ({"shipping": None, "billing": None, "customer_name": None}, ["shipping", "billing"]),
        ({"currency": "XYZ"}, ["currency"]),
        ({"lines": []}, ["lines"]),
        (
            {"lines": [{"line_id": "fee", "name": "Fee", "quantity": 1, "unit_price": "2",
                        "adjustment": True}]},
            ["lines"],
        ),
        (
            {"number": "9" * 60, "shipping": address(country="Atlantis")},
            ["number", "shipping.country"],
        ),
    ],
)  # fmt: skip
def test_bad_orders_are_refused_with_every_reason(
    overrides: dict[str, object], error_fields: list[str]
) -> None:
    mapped = run(plain_order(**overrides))
    assert mapped.payload is None
    assert errors(mapped) == error_fields
    assert all(problem.message for problem in mapped.problems)


def test_unicode_and_emoji_reach_the_wire_intact() -> None:
    order = plain_order(
        shipping=address(name="Chloé 💫 Martin", street1="Rue de l’Église 3"),
        gift=True,
        gift_message="Für dich ❤️ — 誕生日おめでとう 🎂",
    )
    text = json.dumps(wire(run(order)), ensure_ascii=False)
    decoded = json.loads(text.encode("utf-8"))
    assert decoded["shipTo"]["name"] == "Chloé 💫 Martin"
    assert decoded["shipTo"]["street1"] == "Rue de l’Église 3"
    assert decoded["giftMessage"] == "Für dich ❤️ — 誕生日おめでとう 🎂"


CORRUPTIONS: dict[str, dict[str, object]] = {
    "no street": {"shipping": address(street1=None)},
    "no postcode": {"shipping": address(postal_code=None)},
    "bad country": {"shipping": address(country="XX1")},
    "no state": {"shipping": address(state=None)},
    "foreign currency": {"currency": "CHF"},
    "long number": {"number": "#" * 70},
    "no lines": {"lines": []},
    "no names": {"shipping": address(name=None), "customer_name": None},
    "huge notes": {"customer_notes": "🙂" * 5000},
    "bad total": {"total": "1.00"},
    "no billing": {"billing": None},
    "unmapped status": {"status": "mystery"},
    "long email": {"customer_email": "x" * 200},
}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    picked=st.lists(st.sampled_from(sorted(CORRUPTIONS)), unique=True, max_size=5),
    rates=st.booleans(),
)
def test_never_a_half_built_payload(picked: list[str], rates: bool) -> None:
    overrides: dict[str, object] = {}
    for name in picked:
        overrides.update(CORRUPTIONS[name])
    table: dict[str, Any] = {"eligibility": {"skip_on_hold": False}}
    if rates:
        table["money"] = {"rates": {"CHF/USD": "1.13"}}
    mapped = run(plain_order(**overrides), **table)
    if mapped.errors:
        assert mapped.payload is None
    else:
        assert mapped.payload is not None
        body = to_wire(mapped.payload)
        assert WireOrder.model_validate(body) == WireOrder.model_validate(body)
        assert body["orderKey"] == "acme:1001"
        assert body["billTo"] and body["shipTo"] and body["items"]


def test_an_amount_json_cannot_carry_exactly_is_an_error_not_a_crash() -> None:
    line = {"line_id": "a", "name": "Gold bar", "quantity": 1, "unit_price": "987654321.123457"}
    order = plain_order(currency="EUR", lines=[line], tax_amount="0", total="987654329.62")
    mapped = run(order, money={"rates": {"EUR/USD": "1234567.891"}})
    assert mapped.payload is None
    assert "order" in errors(mapped)
    assert any("without losing precision" in p.message for p in mapped.errors)


def test_now_must_be_aware_and_the_source_a_slug() -> None:
    with pytest.raises(ValueError, match="aware"):
        map_order(plain_order(), load_rules(), source="acme", now=datetime(2026, 11, 21))
    with pytest.raises(ValueError, match="slug"):
        map_order(plain_order(), load_rules(), source="Acme Shop", now=NOW)


# --- keys -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "source_id", "key"),
    [
        ("acme", "983", "acme:983"),
        ("shop-2.eu_1", "gid://shopify/Order/5", "shop-2.eu_1:gid://shopify/Order/5"),
        ("a", "x" * 48, "a:" + "x" * 48),
    ],
)
def test_order_keys(source: str, source_id: str, key: str) -> None:
    assert order_key(source, source_id) == key


@pytest.mark.parametrize(
    ("source", "source_id"),
    [("", "1"), ("Acme", "1"), ("ac:me", "1"), ("-acme", "1"), ("a" * 33, "1"), ("acme", " ")],
)
def test_bad_key_parts_are_refused(source: str, source_id: str) -> None:
    with pytest.raises(ValueError, match=r"slug|blank"):
        order_key(source, source_id)


def test_long_keys_are_hashed_to_fifty_characters_stably() -> None:
    long_id = "order-" + "7" * 80
    key = order_key("acme", long_id)
    assert len(key) == KEY_MAX_LENGTH
    assert key.startswith("acme:order-777")
    assert key == order_key("acme", long_id)
    assert key != order_key("acme", long_id + "8")


def test_a_natural_key_can_never_equal_a_hashed_one() -> None:
    hashed = order_key("acme", "z" * 60)
    lookalike_id = hashed.removeprefix("acme:")
    assert order_key("acme", lookalike_id) != hashed
    assert len(order_key("acme", lookalike_id)) == KEY_MAX_LENGTH


@given(
    source=st.from_regex(r"[a-z0-9][a-z0-9._-]{0,31}", fullmatch=True),
    source_id=st.text(min_size=1, max_size=120).filter(str.strip),
)
def test_order_keys_are_bounded_deterministic_and_keep_the_source(
    source: str, source_id: str
) -> None:
    key = order_key(source, source_id)
    assert len(key) <= KEY_MAX_LENGTH
    assert key.startswith(f"{source}:")
    assert key == order_key(source, source_id)
    natural = f"{source}:{source_id}"
    if len(natural) < KEY_MAX_LENGTH:
        assert key == natural
    elif len(natural) > KEY_MAX_LENGTH:
        assert len(key) == KEY_MAX_LENGTH
        assert key != natural


def test_line_item_keys_are_bounded_like_order_keys() -> None:
    assert line_item_key("li-1") == "li-1"
    long_key = line_item_key("line/" + "9" * 70)
    assert len(long_key) == KEY_MAX_LENGTH
    assert long_key == line_item_key("line/" + "9" * 70)


# --- fingerprints -----------------------------------------------------------------------------


def test_equal_payloads_have_equal_fingerprints() -> None:
    first, second = run(), run()
    assert first.payload is not None and second.payload is not None
    assert fingerprint(first.payload) == fingerprint(second.payload)
    round_tripped = WireOrder.model_validate(to_wire(first.payload))
    assert fingerprint(round_tripped) == fingerprint(first.payload)


def test_the_spelling_of_an_amount_does_not_change_the_fingerprint() -> None:
    a = run(plain_order(shipping_amount="8.5", total="82.92"))
    b = run(plain_order(shipping_amount="8.500", total="82.920"))
    c = run(plain_order(lines=[{"line_id": "a", "name": "x", "quantity": 1, "unit_price": "39"}],
                        tax_amount="0", total="47.5"))  # fmt: skip
    d = run(plain_order(lines=[{"line_id": "a", "name": "x", "quantity": 1, "unit_price": "39.00"}],
                        tax_amount="0", total="47.5"))  # fmt: skip
    assert a.payload is not None and b.payload is not None
    assert c.payload is not None and d.payload is not None
    assert fingerprint(a.payload) == fingerprint(b.payload)
    assert fingerprint(c.payload) == fingerprint(d.payload)


def test_a_fingerprint_is_a_sha256_hex_digest() -> None:
    payload = run().payload
    assert payload is not None
    digest = fingerprint(payload)
    assert len(digest) == 64 and set(digest) <= set(string.hexdigits.lower())


def _leaves(value: JsonValue, path: tuple[str | int, ...] = ()) -> list[tuple[str | int, ...]]:
    if isinstance(value, dict):
        return [leaf for key, item in value.items() for leaf in _leaves(item, (*path, key))]
    if isinstance(value, list):
        return [leaf for index, item in enumerate(value) for leaf in _leaves(item, (*path, index))]
    return [path]


def _changed(value: JsonValue) -> JsonValue:
    if isinstance(value, bool):
        return not value
    if isinstance(value, int | float):
        return value + 1
    if isinstance(value, str) and value[:4].isdigit():  # a date: a year later
        return f"{int(value[:4]) + 1}{value[4:]}"
    if isinstance(value, str):
        return value + "·"
    raise AssertionError(f"unexpected leaf {value!r}")


def _with(body: JsonValue, path: tuple[str | int, ...], leaf: JsonValue) -> JsonValue:
    if not path:
        return leaf
    head, rest = path[0], path[1:]
    if isinstance(body, dict):
        assert isinstance(head, str)
        return {**body, head: _with(body[head], rest, leaf)}
    assert isinstance(body, list) and isinstance(head, int)
    return [_with(item, rest, leaf) if index == head else item for index, item in enumerate(body)]


def _at(body: Any, path: tuple[str | int, ...]) -> Any:
    for part in path:
        body = body[part]
    return body


@settings(max_examples=120, deadline=None)
@given(n=st.integers(0, 5000), seed=st.integers(0, 3), data=st.data())
def test_changing_any_one_sent_field_changes_the_fingerprint(
    n: int, seed: int, data: st.DataObject
) -> None:
    order = make_order(n, seed=seed)
    mapped = run(order)
    assert mapped.payload is not None
    again = run(order)
    assert again.payload is not None
    assert fingerprint(again.payload) == fingerprint(mapped.payload)
    body = to_wire(mapped.payload)
    path = data.draw(st.sampled_from(_leaves(body)))
    changed = WireOrder.model_validate(_with(body, path, _changed(_at(body, path))))
    assert fingerprint(changed) != fingerprint(mapped.payload), path
