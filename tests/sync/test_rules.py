"""The sync rules as data: defaults, loading from TOML, and every bad setting refused at load."""

from __future__ import annotations

import tomllib
from datetime import UTC, datetime
from decimal import Decimal
from typing import get_args

import pytest
from pydantic import ValidationError

from stationmaster.errors import ConfigError
from stationmaster.shipstation.models import (
    CUSTOMS_CONTENTS,
    NON_DELIVERY_OPTIONS,
    OPEN_STATUSES,
    ORDER_STATUSES,
)
from stationmaster.sync.rules import (
    DEFAULT_POSTCODE_OPTIONAL,
    SENDABLE_STATUSES,
    CustomsContents,
    NonDelivery,
    Rules,
    load_rules,
    normalize_status,
    parse_template,
    render_template,
)

# --- defaults ---------------------------------------------------------------------------------


def test_the_default_status_map() -> None:
    status = load_rules().status
    expected = {
        "unpaid": "awaiting_payment",
        "pending": "awaiting_payment",
        "paid": "awaiting_shipment",
        "ready": "awaiting_shipment",
        "processing": "awaiting_shipment",
        "shipped": "shipped",
        "cancelled": "cancelled",
        "canceled": "cancelled",
        "on hold": "on_hold",
        "ready to ship": "awaiting_shipment",
        "submitted": "awaiting_shipment",
        "failed to submit": "awaiting_shipment",
    }
    assert {store: status.resolve(store) for store in expected} == {
        store: (target, True) for store, target in expected.items()
    }
    assert status.unmapped == "on_hold"
    assert status.resolve("backordered") == ("on_hold", False)


def test_the_default_eligibility() -> None:
    eligibility = load_rules().eligibility
    assert eligibility.statuses == SENDABLE_STATUSES
    assert {
        "awaiting_payment",
        "awaiting_shipment",
        "on_hold",
        "shipped",
        "cancelled",
    } == SENDABLE_STATUSES
    assert eligibility.skip_on_hold is True
    assert eligibility.sync_start is None
    assert eligibility.ship_window_days is None


def test_the_default_address_rules() -> None:
    address = load_rules().address
    assert address.fallback == "both"
    assert address.state_required_countries == {"US", "CA"}
    assert address.postcode_optional_countries == DEFAULT_POSTCODE_OPTIONAL
    assert {"HK", "AE", "IE"} <= DEFAULT_POSTCODE_OPTIONAL
    assert not {"US", "GB", "DE", "CA"} & DEFAULT_POSTCODE_OPTIONAL


def test_the_other_defaults() -> None:
    rules = load_rules()
    assert rules.custom_fields.templates() == {}
    assert rules.sku_map == {}
    assert rules.tag_map == {}
    assert rules.money.account_currency == "USD"
    assert rules.money.rates == {}
    assert rules.international.domestic_countries == {"US"}
    assert rules.international.contents == "merchandise"
    assert rules.international.non_delivery == "return_to_sender"
    assert rules.international.incomplete_customs_tag_id is None
    assert rules.warehouses.route("MAIN", "US") is None
    assert rules.store_id is None
    assert rules.marketplace is None
    write_back = rules.write_back
    assert (write_back.enabled, write_back.trigger, write_back.submitted, write_back.failed) == (
        False,
        "ready to ship",
        "submitted",
        "failed to submit",
    )
    limits = rules.limits
    assert (limits.order_number, limits.name, limits.notes, limits.custom_field) == (
        50,
        100,
        1000,
        100,
    )


def test_load_rules_with_nothing_is_every_default() -> None:
    assert load_rules() == load_rules({}) == Rules()


def test_the_rule_vocabulary_matches_shipstations() -> None:
    assert SENDABLE_STATUSES <= ORDER_STATUSES
    assert OPEN_STATUSES - {"pending_fulfillment"} <= SENDABLE_STATUSES
    assert set(get_args(CustomsContents)) == CUSTOMS_CONTENTS
    assert set(get_args(NonDelivery)) == NON_DELIVERY_OPTIONS


# --- loading ----------------------------------------------------------------------------------

TOML = """
store_id = 310554
marketplace = "acme-shop"
sku_map = { "TEAPOT-1L" = "TEAPOT-CER-1L" }
tag_map = { "VIP" = 1201, "wholesale" = 1202 }

[status]
unmapped = "awaiting_shipment"
[status.map]
"Paid" = "awaiting_shipment"
"On-Hold" = "on_hold"
"Awaiting Payment" = "awaiting_payment"

[eligibility]
statuses = ["awaiting_shipment", "cancelled"]
skip_on_hold = false
sync_start = 2026-11-01T00:00:00Z
ship_window_days = 3

[address]
fallback = "shipping_to_billing"
postcode_optional_countries = ["hk", "AE"]

[custom_fields]
custom_field1 = "{number} / {customer_email}"
custom_field3 = "{custom.channel}"

[money]
account_currency = "EUR"
rates = { "usd/eur" = "0.92", "GBP/EUR" = 1.17 }

[warehouses]
by_location = { MAIN = 187650 }
by_country = { ca = 187651 }
default = 187650

[write_back]
enabled = true
trigger = "paid"
submitted = "awaiting payment"
failed = "on hold"

[limits]
notes = 500
"""


def test_rules_load_from_a_toml_table() -> None:
    rules = load_rules(tomllib.loads(TOML))
    assert rules.store_id == 310554
    assert rules.marketplace == "acme-shop"
    assert rules.status.map == {
        "paid": "awaiting_shipment",
        "on_hold": "on_hold",
        "awaiting_payment": "awaiting_payment",
    }
    assert rules.status.resolve("ON HOLD") == ("on_hold", True)
    assert rules.status.resolve("unpaid") == ("awaiting_shipment", False)
    assert rules.eligibility.statuses == {"awaiting_shipment", "cancelled"}
    assert rules.eligibility.sync_start == datetime(2026, 11, 1, tzinfo=UTC)
    assert rules.eligibility.ship_window_days == 3
    assert rules.address.postcode_optional_countries == {"HK", "AE"}
    assert rules.custom_fields.templates() == {
        "customField1": "{number} / {customer_email}",
        "customField3": "{custom.channel}",
    }
    assert rules.money.rates == {"USD/EUR": Decimal("0.92"), "GBP/EUR": Decimal("1.17")}
    assert rules.warehouses.route(None, "CA") == 187651
    assert rules.tag_id("vip") == 1201
    assert rules.sku_map["TEAPOT-1L"] == "TEAPOT-CER-1L"
    assert rules.limits.notes == 500
    assert rules.limits.name == 100


def test_rules_are_immutable() -> None:
    rules = load_rules()
    with pytest.raises(ValidationError):
        rules.store_id = 5  # type: ignore[misc]  # proving the model refuses it


@pytest.mark.parametrize(
    ("table", "path"),
    [
        ({"stor_id": 1}, "stor_id"),
        ({"status": {"map": {"paid": "awaiting_shipping"}}}, "status.map.paid"),
        ({"status": {"map": {"paid": "rejected_fulfillment"}}}, "status.map.paid"),
        ({"status": {"map": {"  ": "on_hold"}}}, "status.map"),
        ({"status": {"unmapped": "lost"}}, "status.unmapped"),
        ({"eligibility": {"statuses": ["paid"]}}, "eligibility.statuses"),
        ({"eligibility": {"ship_window_days": -1}}, "eligibility.ship_window_days"),
        ({"eligibility": {"sync_start": "2026-11-01T00:00:00"}}, "eligibility.sync_start"),
        ({"address": {"fallback": "always"}}, "address.fallback"),
        ({"address": {"state_required_countries": ["USA"]}}, "address.state_required_countries"),
        ({"custom_fields": {"custom_field4": "{number}"}}, "custom_fields.custom_field4"),
        ({"money": {"account_currency": "usd"}}, "money.account_currency"),
        ({"money": {"rates": {"EUR-USD": 1}}}, "money.rates"),
        ({"money": {"rates": {"EUR/EUR": 1}}}, "money.rates"),
        ({"money": {"rates": {"EUR/USD": 0}}}, "money.rates.EUR/USD"),
        ({"money": {"rates": {"EUR/USD": -1.08}}}, "money.rates.EUR/USD"),
        ({"money": {"rates": {"EUR/USD": "NaN"}}}, "money.rates.EUR/USD"),
        ({"international": {"contents": "stuff"}}, "international.contents"),
        ({"international": {"non_delivery": "burn"}}, "international.non_delivery"),
        ({"warehouses": {"by_country": {"Canada": 1}}}, "warehouses.by_country"),
        ({"warehouses": {"default": 0}}, "warehouses.default"),
        ({"tag_map": {"vip": 0}}, "tag_map.vip"),
        ({"sku_map": {"A": ""}}, "sku_map.A"),
        ({"limits": {"notes": 0}}, "limits.notes"),
        ({"store_id": "main"}, "store_id"),
    ],
)
def test_bad_settings_are_a_config_error_naming_the_setting(
    table: dict[str, object], path: str
) -> None:
    with pytest.raises(ConfigError, match=f"invalid sync rules: .*{path}"):
        load_rules(table)


def test_two_spellings_of_one_status_must_agree() -> None:
    with pytest.raises(ConfigError, match="same status as another key"):
        load_rules({"status": {"map": {"On Hold": "on_hold", "on-hold": "awaiting_shipment"}}})
    agreeing = load_rules({"status": {"map": {"On Hold": "on_hold", "on-hold": "on_hold"}}})
    assert agreeing.status.map == {"on_hold": "on_hold"}


def test_tags_differing_only_in_case_must_agree() -> None:
    with pytest.raises(ConfigError, match="only in case"):
        load_rules({"tag_map": {"VIP": 1, "vip": 2}})


def test_write_back_statuses_must_be_in_the_status_map() -> None:
    with pytest.raises(ConfigError, match="status map has no entry"):
        load_rules({"write_back": {"enabled": True, "submitted": "sent to warehouse"}})
    assert load_rules({"write_back": {"enabled": True}}).write_back.enabled
    off = load_rules({"write_back": {"enabled": False, "submitted": "sent to warehouse"}})
    assert off.write_back.submitted == "sent to warehouse"


@pytest.mark.parametrize(
    ("given", "normalized"),
    [
        ("On Hold", "on_hold"),
        ("on-hold", "on_hold"),
        ("  ON_HOLD ", "on_hold"),
        ("Ready  to -- ship", "ready_to_ship"),
        ("Straße", "strasse"),
        ("paid", "paid"),
    ],
)
def test_status_names_are_normalized(given: str, normalized: str) -> None:
    assert normalize_status(given) == normalized


# --- templates --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "template",
    [
        "{number} / {customer_email}",
        "{custom.channel}-{source_id}",
        "{{literal braces}} {order_key}",
        "no placeholder at all",
        "{tags} {shipping_country} {total} {currency}",
    ],
)
def test_good_templates_load(template: str) -> None:
    rules = load_rules({"custom_fields": {"custom_field2": template}})
    assert rules.custom_fields.templates() == {"customField2": template}


@pytest.mark.parametrize(
    ("template", "reason"),
    [
        ("{nope}", "unknown placeholder"),
        ("{}", "unknown placeholder"),
        ("{0}", "unknown placeholder"),
        ("{number.__class__}", "unknown placeholder"),
        ("{custom[x]}", "unknown placeholder"),
        ("{custom.}", "unknown placeholder"),
        ("{custom.a.b}", "unknown placeholder"),
        ("{number:>20}", "format or a conversion"),
        ("{number!r}", "format or a conversion"),
        ("{number", "template"),
        ("number}", "template"),
    ],
)
def test_bad_templates_are_refused_at_load(template: str, reason: str) -> None:
    with pytest.raises(ConfigError, match=reason):
        load_rules({"custom_fields": {"custom_field1": template}})
    with pytest.raises(ValueError, match=reason):
        parse_template(template)


def test_templates_render_values_and_report_missing_custom_keys() -> None:
    values = {"number": "SM-1", "customer_email": None}
    text, missing = render_template(
        "{number} / {customer_email} / {custom.channel} / {custom.rep} {{x}}",
        values,
        {"channel": "web 🌐"},
    )
    assert text == "SM-1 /  / web 🌐 /  {x}"
    assert missing == ["custom.rep"]


# --- money and routing ------------------------------------------------------------------------


def test_rates_are_looked_up_directly_or_inverted() -> None:
    money = load_rules({"money": {"rates": {"EUR/USD": "1.25"}}}).money
    assert money.rate("EUR", "USD") == Decimal("1.25")
    assert money.rate("USD", "EUR") == Decimal("0.8")
    assert money.rate("USD", "USD") == Decimal(1)
    assert money.rate("GBP", "USD") is None


@pytest.mark.parametrize(
    ("location", "country", "expected"),
    [
        ("WEST", "US", 2),
        ("WEST", "CA", 2),
        ("EAST", "CA", 3),
        (None, "CA", 3),
        ("EAST", "US", 9),
        (None, None, 9),
    ],
)
def test_warehouse_routing_order(location: str | None, country: str | None, expected: int) -> None:
    warehouses = load_rules(
        {"warehouses": {"by_location": {"WEST": 2}, "by_country": {"CA": 3}, "default": 9}}
    ).warehouses
    assert warehouses.route(location, country) == expected
