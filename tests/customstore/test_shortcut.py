"""The export's shortcut gives exactly what the full mapping gives, and is taken when it can be.

Every order is written twice, once through ``OrderShaper`` (the shortcut, falling back to the
full mapping) and once through ``shape_order`` (the full mapping alone), under many rules; the
two documents, refusals and repair counts must be identical.
"""

from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from stationmaster.customstore.export import (
    OrderShaper,
    export_rules,
    shape_order,
    write_order,
)
from stationmaster.domain import Order
from stationmaster.sync.mapping import Mapped, map_order
from stationmaster.sync.rules import TEMPLATE_FIELDS, Rules, load_rules
from stationmaster.testing.factories import make_order, make_orders, plain_order
from tests.customstore.support import SOURCE, assert_valid

NOW = datetime(2026, 11, 5, 12, 0, tzinfo=UTC)
WRITTEN_AT = datetime(2026, 11, 21, 8, 0, tzinfo=UTC)


def _address(**changes: object) -> dict[str, object]:
    base: dict[str, object] = {
        "name": "Min Kim",
        "street1": "9 Harbor Way",
        "city": "Seattle",
        "state": "WA",
        "postal_code": "98101",
        "country": "US",
        "phone": "206-555-0117",
    }
    return {**base, **changes}


def _line(**changes: object) -> dict[str, object]:
    base: dict[str, object] = {
        "line_id": "li-x",
        "sku": "TEA-SENCHA-100",
        "name": "Loose Leaf Sencha 100 g",
        "quantity": 2,
        "unit_price": "9.50",
        "weight": {"value": "100", "unit": "g"},
        "options": [{"name": "Grade", "value": "First flush"}],
        "customs": {"hs_code": "0902.10", "country_of_origin": "JP"},
    }
    return {**base, **changes}


def _only(*lines: dict[str, object], total: str, tax: str = "0") -> dict[str, object]:
    """Overrides that make ``lines`` the whole order: no discounts, no shipping."""
    return {
        "lines": list(lines),
        "discounts": [],
        "shipping_amount": "0",
        "shipping_tax": "0",
        "tax_amount": tax,
        "total": total,
    }


LONG = "Ünïcode 🚀 " * 40
ABROAD = _address(name="Harriet Patel", country="GB", state=None, postal_code="BS7 8AE")

TWEAKS: dict[str, dict[str, object]] = {
    "tax-inclusive prices": {
        "prices_include_tax": True,
        **_only(_line(unit_price="10.00", tax="2.00"), tax="2.50", total="25.00"),
        "shipping_amount": "5.00",
        "shipping_tax": "0.50",
    },
    "tax that units cannot split": {
        "prices_include_tax": True,
        **_only(_line(quantity=3, unit_price="10.00", tax="1.00"), tax="1.00", total="30.01"),
    },
    "no billing address": {"billing": None},
    "no shipping address": {"shipping": None},
    "empty billing address": {"billing": {}},
    "empty shipping address": {"shipping": {"residential": None}},
    "nameless shipping address": {"shipping": _address(name=None)},
    "nameless billing address": {"billing": _address(name=None)},
    "lower-case state": {"shipping": _address(state="wa")},
    "state spelled out": {"shipping": _address(state="Washington")},
    "no street": {"shipping": _address(street1=None)},
    "no postcode": {"shipping": _address(postal_code=None)},
    "no postcode where none is used": {
        "shipping": _address(country="IE", state=None, postal_code=None)
    },
    "long postcode": {"shipping": _address(postal_code="9" * 60)},
    "not a country code": {"shipping": _address(country="USA")},
    "bad billing country": {"billing": _address(country="Atlantis")},
    "unmapped status": {"status": "mystery"},
    "on hold": {"status": "on hold"},
    "another currency": {"currency": "EUR"},
    "long number": {"number": "N" * 60},
    "long customer notes": {"customer_notes": LONG * 3},
    "long internal notes": {"internal_notes": LONG * 3},
    "long gift message": {"gift": True, "gift_message": LONG * 3},
    "long payment method": {"payment_method": LONG},
    "long shipping service": {"requested_service": LONG},
    "long e-mail": {"customer_email": "x" * 200 + "@example.com"},
    "long username": {"customer_username": "u" * 150},
    "long name": {"shipping": _address(name=LONG)},
    "long company": {"billing": _address(company=LONG)},
    "long street": {"shipping": _address(street2="s" * 250)},
    "long third street line": {"billing": _address(street3="s" * 250)},
    "long city": {"shipping": _address(city="c" * 150)},
    "long state": {"billing": _address(state="s" * 150)},
    "long phone": {"shipping": _address(phone="5" * 80)},
    "long item name": _only(_line(name="n" * 250), total="19.00"),
    "long option": _only(_line(options=[{"name": "Grade", "value": "v" * 150}]), total="19.00"),
    "adjustments only": _only(_line(adjustment=True, weight=None, customs=None), total="19.00"),
    "a negative adjustment": _only(
        _line(),
        _line(
            line_id="fee",
            name="Store credit",
            unit_price="-5.00",
            quantity=1,
            adjustment=True,
            weight=None,
            customs=None,
            options=[],
        ),
        total="14.00",
    ),
    "too heavy for JSON": _only(
        _line(
            quantity=1_999_999_999,
            unit_price="0.01",
            weight={"value": "999999.123457", "unit": "kg"},
        ),
        total="19999999.99",
    ),
    "mixed weight units": _only(
        _line(),
        _line(line_id="li-y", weight={"value": "1.5", "unit": "lb"}),
        _line(line_id="li-z", weight={"value": "0.25", "unit": "kg"}, quantity=1),
        total="47.50",
    ),
    "a euro order shipped abroad": {
        "currency": "EUR",
        "shipping": ABROAD,
        **_only(_line(quantity=1, unit_price="987654321.123457"), total="987654321.123457"),
    },
    "discounts on a line": {
        **_only(_line(line_id="discount:SAVE:li-x"), total="17.50"),
        "discounts": [
            {"code": "SAVE", "amount": "1.00", "line_id": "discount:SAVE:li-x"},
            {"code": "SAVE", "amount": "0.50", "line_id": "discount:SAVE:li-x"},
        ],
    },
    "discounts with long keys": {
        **_only(_line(line_id="L" * 45), total="17.50"),
        "discounts": [
            {"code": "SAVE", "amount": "1.00", "line_id": "L" * 45},
            {"code": "SAVE", "amount": "0.50", "line_id": "L" * 45},
        ],
    },
    "long discount code": {
        **_only(_line(), total="18.00"),
        "discounts": [{"code": "D" * 240, "amount": "1.00"}],
    },
    "total that does not add up": {"total": "1.00"},
    "unknown warehouse": {"warehouse": "ELSEWHERE"},
    "known warehouse": {"warehouse": "WEST"},
    "far ship-by": {"ship_by": datetime(2027, 6, 1, tzinfo=UTC)},
    "placed long ago": {"created_at": datetime(1, 1, 1, 3, 0, tzinfo=UTC)},
    "no customs data": {"shipping": ABROAD, **_only(_line(customs=None), total="19.00")},
    "bad origin": {
        "shipping": ABROAD,
        **_only(_line(customs={"hs_code": "0902.10", "country_of_origin": "Japan"}), total="19.00"),
    },
    "shipping abroad": {
        "shipping": ABROAD,
        **_only(
            _line(customs={"hs_code": "0902.10", "country_of_origin": "JP", "value": "3"}),
            total="19.00",
        ),
    },
    "no custom values": {"custom": {}},
    "tagged": {"tags": ["VIP", "wholesale"]},
    "hostile text": {"customer_notes": "a]]>b\x01 & <x> \r\n ]", "internal_notes": "]"},
}

TAKEN = {
    "no billing address",
    "no shipping address",
    "empty billing address",
    "empty shipping address",
    "tax-inclusive prices",
    "lower-case state",
    "no postcode where none is used",
    "on hold",
    "a negative adjustment",
    "mixed weight units",
    "discounts on a line",
    "discounts with long keys",
    "known warehouse",
    "unknown warehouse",
    "far ship-by",
    "shipping abroad",
    "no custom values",
    "tagged",
    "hostile text",
}
"""Tweaks the full mapping has nothing to report on under the default rules but a missing
address filled from the other: the shortcut must take them. Every other tweak makes the
mapping report something else, so the shortcut must not."""

RULES: dict[str, dict[str, Any]] = {
    "templates": {
        "custom_fields": {
            "custom_field1": "{number} / {customer_email}",
            "custom_field2": "{custom.channel}",
            "custom_field3": "{tags}{warehouse}{order_key}{shipping_country}{total}",
        }
    },
    "maps": {"sku_map": {"TEA-SENCHA-100": "SEN-1"}, "tag_map": {"vip": 7}},
    "tight limits": {
        "limits": {
            "name": 12,
            "street": 14,
            "item_name": 16,
            "option": 4,
            "custom_field": 8,
            "notes": 30,
            "phone": 10,
            "state": 1,
        }
    },
    "templates cut short": {
        "custom_fields": {"custom_field1": "{number}", "custom_field2": "{customer_email}"},
        "limits": {"custom_field": 8},
    },
    "long marketplace": {"marketplace": "M" * 60},
    "marketplace": {"marketplace": "Teahouse"},
    "warehouses": {"warehouses": {"by_location": {"WEST": 3}, "by_country": {"GB": 4}}},
    "sync start": {"eligibility": {"sync_start": "2026-11-03T00:00:00Z"}},
    "ship window": {"eligibility": {"ship_window_days": 2}},
    "customs": {
        "international": {"domestic_countries": ["US", "CA"], "incomplete_customs_tag_id": 9}
    },
    "euro account": {"money": {"account_currency": "EUR", "rates": {"EUR/USD": "1.08"}}},
    "euro account without rates": {"money": {"account_currency": "EUR"}},
    "euro rates only": {"money": {"rates": {"EUR/USD": "1.0833333"}}},
    "huge euro rate": {"money": {"account_currency": "EUR", "rates": {"EUR/USD": "1234567.891"}}},
    "no fallback": {"address": {"fallback": "none"}},
    "billing fills shipping": {"address": {"fallback": "billing_to_shipping"}},
    "shipping fills billing": {"address": {"fallback": "shipping_to_billing"}},
    "addresses": {
        "address": {"postcode_optional_countries": ["US"], "state_required_countries": ["GB"]}
    },
    "status map": {"status": {"map": {"paid": "awaiting_shipment"}, "unmapped": "cancelled"}},
}


def _both(order: Order, rules: Rules, now: datetime = NOW) -> tuple[object, object]:
    """What the shaper and the full mapping each write for ``order``: the element, or
    ``None``, and the repair count."""
    shaped = OrderShaper(rules, SOURCE).shape(order, now)
    full = shape_order(order, rules, source=SOURCE, now=now)
    mine = None if shaped is None else (write_order(order, WRITTEN_AT, None, shaped[0]), shaped[1])
    theirs = None if full is None else (write_order(order, WRITTEN_AT, None, full[0]), full[1])
    return mine, theirs


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    n=st.integers(0, 5000),
    seed=st.integers(0, 3),
    tweaks=st.lists(st.sampled_from(sorted(TWEAKS)), unique=True, max_size=3),
    tables=st.lists(st.sampled_from(sorted(RULES)), unique=True, max_size=3),
)
def test_the_shortcut_writes_what_the_full_mapping_writes(
    n: int, seed: int, tweaks: list[str], tables: list[str]
) -> None:
    overrides: dict[str, object] = {}
    for name in tweaks:
        overrides.update(TWEAKS[name])
    table: dict[str, Any] = {}
    for name in tables:
        table.update(RULES[name])
    try:
        order = make_order(n, seed=seed, **overrides)
    except ValidationError:
        return  # tweaks that together make no valid order
    mine, theirs = _both(order, export_rules(load_rules(table)))
    assert mine == theirs


@pytest.mark.parametrize("tweak", sorted(TWEAKS))
def test_each_tweak_alone_writes_the_same_under_every_rule_table(tweak: str) -> None:
    order = plain_order(**TWEAKS[tweak])
    for table in [{}, *RULES.values()]:
        mine, theirs = _both(order, export_rules(load_rules(table)))
        assert mine == theirs, (tweak, table)


def _fallbacks_only(mapped: Mapped) -> bool:
    """Whether the mapping sends the order reporting nothing but filled-in addresses."""
    return mapped.payload is not None and all(
        problem.severity == "warning" and problem.field in ("billing", "shipping")
        for problem in mapped.problems
    )


@pytest.mark.parametrize("tweak", sorted(TWEAKS))
def test_the_shortcut_takes_exactly_the_orders_the_mapping_has_nothing_else_on(
    tweak: str,
) -> None:
    order = plain_order(**TWEAKS[tweak])
    rules = export_rules(load_rules())
    mapped = map_order(order, rules, source=SOURCE, now=NOW)
    assert _fallbacks_only(mapped) == (tweak in TAKEN), mapped.problems
    shortcut = OrderShaper(rules, SOURCE).shortcut(order, NOW)
    assert (shortcut is not None) == (tweak in TAKEN)
    if shortcut is not None:
        assert shortcut[1] == len(mapped.problems)


def test_customs_values_json_cannot_carry_refuse_the_order_either_way() -> None:
    order = plain_order(**TWEAKS["a euro order shipped abroad"])
    for table in ("huge euro rate", "euro account"):
        rules = export_rules(load_rules(RULES[table]))
        mine, theirs = _both(order, rules)
        assert mine == theirs
    assert _both(order, export_rules(load_rules(RULES["huge euro rate"])))[0] is None
    assert _both(order, export_rules(load_rules(RULES["euro account"])))[0] is not None


def test_the_shortcut_takes_the_generated_orders_the_mapping_has_nothing_else_on() -> None:
    rules = export_rules(load_rules(RULES["templates"]))
    shaper = OrderShaper(rules, SOURCE)
    for order in make_orders(300, seed=5):
        mapped = map_order(order, rules, source=SOURCE, now=NOW)
        shortcut = shaper.shortcut(order, NOW)
        assert (shortcut is not None) == _fallbacks_only(mapped), mapped.problems
        if shortcut is not None:
            assert shortcut[1] == len(mapped.problems)


def test_the_shortcut_is_taken_for_a_plain_order_and_writes_a_valid_document() -> None:
    order = plain_order(tags=["vip"], gift=True, gift_message="Für dich ❤️")
    shaper = OrderShaper(export_rules(load_rules()), SOURCE)
    shaped = shaper.shortcut(order, NOW)
    assert shaped is not None and shaped[1] == 0
    written = write_order(order, WRITTEN_AT, "cancelled", shaped[0])
    assert written is not None
    root = assert_valid(b'<Orders pages="1">' + written + b"</Orders>")
    assert root.findtext("Order/OrderStatus") == "cancelled"
    assert root.findtext("Order/OrderTotal") == f"{order.total:.2f}"


@pytest.mark.parametrize(
    "table",
    [{"eligibility": {"skip_on_hold": True}}, {"marketplace": "M" * 60}],
)
def test_rules_the_shortcut_cannot_follow_switch_it_off(table: dict[str, Any]) -> None:
    shaper = OrderShaper(load_rules(table), SOURCE)
    assert not shaper.enabled
    assert shaper.shortcut(plain_order(), NOW) is None


def test_a_naive_clock_or_a_bad_source_fail_as_the_full_mapping_does() -> None:
    rules = export_rules(load_rules())
    with pytest.raises(ValueError, match="aware"):
        OrderShaper(rules, SOURCE).shape(plain_order(), datetime(2026, 11, 5, 12, 0))
    bad = OrderShaper(rules, "Not A Slug")
    assert not bad.enabled
    with pytest.raises(ValueError, match="slug"):
        bad.shape(plain_order(), NOW)


def test_templates_may_use_every_placeholder_the_mapping_offers() -> None:
    every = "|".join(f"{{{name}}}" for name in sorted(TEMPLATE_FIELDS))
    table = {"custom_fields": {"custom_field1": every}, "limits": {"custom_field": 2000}}
    rules = export_rules(load_rules(table))
    shaper = OrderShaper(rules, SOURCE)
    assert shaper.enabled
    order = plain_order(tags=["vip", "gift"], warehouse="WEST")
    shortcut = shaper.shortcut(order, NOW)
    assert shortcut is not None
    assert shortcut[0].custom_fields[0] == (
        "USD|min.kim@example.com|Min Kim|mkim|SM-1001|shop:1001|Credit Card|UPS Ground|US|"
        "shop|1001|paid|vip, gift|82.92|WEST"
    )
    mine, theirs = _both(order, rules)
    assert mine == theirs
