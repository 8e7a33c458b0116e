"""Reading a warehouse's items: every bad item an ``invalid`` result naming its field."""

from decimal import Decimal

import pytest

from stationmaster.stock.adjustments import DELTA_LIMIT, Adjustment, ItemResult, read_adjustment

GOOD = {"sku": "TEA-1", "delta": -3, "reason": "cycle count", "idempotency_key": "wh-1"}


def test_a_good_item_reads_as_given() -> None:
    assert read_adjustment(0, GOOD) == Adjustment("TEA-1", -3, "wh-1", "cycle count")
    assert read_adjustment(0, {**GOOD, "reason": None}) == Adjustment("TEA-1", -3, "wh-1")
    without_reason = {k: v for k, v in GOOD.items() if k != "reason"}
    assert read_adjustment(0, without_reason) == Adjustment("TEA-1", -3, "wh-1")
    assert read_adjustment(0, {**GOOD, "delta": DELTA_LIMIT}) == Adjustment(
        "TEA-1", DELTA_LIMIT, "wh-1", "cycle count"
    )


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"delta": 2.5}, "delta", "whole number"),
        ({"delta": Decimal("2.5")}, "delta", "whole number"),
        ({"delta": Decimal("2.0")}, "delta", "whole number"),
        ({"delta": "3"}, "delta", "whole number"),
        ({"delta": True}, "delta", "whole number"),
        ({"delta": None}, "delta", "required"),
        ({"delta": DELTA_LIMIT + 1}, "delta", "beyond"),
        ({"delta": -(10**40)}, "delta", "beyond"),
        ({"sku": ""}, "sku", "blank"),
        ({"sku": "   "}, "sku", "blank"),
        ({"sku": " TEA-1"}, "sku", "blanks around"),
        ({"sku": 7}, "sku", "text"),
        ({"sku": "x" * 256}, "sku", "256 characters"),
        ({"sku": "TEA\n1"}, "sku", "control character"),
        ({"idempotency_key": None}, "idempotency_key", "required"),
        ({"idempotency_key": ""}, "idempotency_key", "blank"),
        ({"idempotency_key": ["k"]}, "idempotency_key", "text"),
        ({"reason": 5}, "reason", "text"),
        ({"quantity": 3}, "quantity", "unknown field"),
    ],
)
def test_a_bad_field_is_named(change: dict[str, object], field: str, words: str) -> None:
    result = read_adjustment(4, {**GOOD, **change})
    assert isinstance(result, ItemResult)
    assert (result.index, result.status, result.field) == (4, "invalid", field)
    assert result.message is not None and words in result.message


def test_a_missing_sku_or_key_is_required() -> None:
    for missing in ("sku", "idempotency_key", "delta"):
        result = read_adjustment(0, {k: v for k, v in GOOD.items() if k != missing})
        assert isinstance(result, ItemResult)
        assert (result.field, result.message) == (missing, f"{missing} is required")


@pytest.mark.parametrize("raw", [None, 3, "TEA-1", ["TEA-1", 3]])
def test_an_item_that_is_not_an_object_is_invalid(raw: object) -> None:
    result = read_adjustment(2, raw)
    assert isinstance(result, ItemResult)
    assert result.status == "invalid" and result.message is not None
    assert result.message.startswith("an adjustment is an object")


def test_results_say_what_they_know_in_json() -> None:
    applied = ItemResult(0, "applied", "TEA-1", "k", on_hand=7)
    assert applied.to_json() == {
        "index": 0,
        "status": "applied",
        "sku": "TEA-1",
        "idempotency_key": "k",
        "on_hand": 7,
    }
    bad = ItemResult(1, "invalid", None, "k", field="sku", message="sku is required")
    assert bad.to_json()["error"] == "sku is required" and bad.to_json()["field"] == "sku"
