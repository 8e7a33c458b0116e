"""JSON-lines import: good lines stored, bad lines reported by number and field, none half-built."""

import io
import json

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from stationmaster.db.tables import native_orders
from stationmaster.domain import Order
from stationmaster.stores.ingest import (
    SHOWN_FAILURES,
    ImportFailure,
    ImportReport,
    NotAJsonObject,
    import_jsonl,
    load_json_object,
)
from stationmaster.stores.native import NativeStore
from stationmaster.testing.factories import make_order, make_orders, plain_order

pytestmark = pytest.mark.anyio


def _line(order: Order, **changes: object) -> str:
    document = order.model_dump(mode="json")
    document.update(changes)
    return json.dumps(document, ensure_ascii=False)


def _without(order: Order, name: str) -> str:
    document = order.model_dump(mode="json")
    del document[name]
    return json.dumps(document)


async def _stored(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        return int(
            (await conn.execute(select(func.count()).select_from(native_orders))).scalar_one()
        )


async def test_bad_lines_are_reported_and_stop_nothing(
    native: NativeStore, engine: AsyncEngine
) -> None:
    good = make_orders(3)
    bad_quantity = json.loads(_line(make_order(10)))
    bad_quantity["lines"][0]["quantity"] = 0
    lines = [
        _line(good[0]),
        "",
        "{not json",
        _line(good[1]),
        "[1, 2]",
        _without(make_order(11), "total"),
        json.dumps(bad_quantity),
        _line(make_order(12), source_id="x" * 300),
        "   ",
        _line(good[2]) + "\n",
        _line(make_order(13), total="12.5", currency="dollars", gift="perhaps"),
    ]
    report = await import_jsonl(native, lines)
    assert (report.created, report.updated, report.unchanged, report.failed) == (3, 0, 0, 6)
    assert [(f.line, f.field) for f in report.failures] == [
        (3, None),
        (5, None),
        (6, "total"),
        (7, "lines.0.quantity"),
        (8, "source_id"),
        (11, "currency"),
    ]
    assert "not valid JSON" in report.failures[0].message
    assert "JSON object, got an array" in report.failures[1].message
    assert "Field required" in report.failures[2].message
    assert "greater than 0" in report.failures[3].message
    assert "also wrong: gift" in report.failures[5].message
    assert await _stored(engine) == 3
    assert await native.orders_by_id([o.source_id for o in good]) == {o.source_id: o for o in good}


async def test_importing_twice_changes_nothing_and_a_changed_line_updates(
    native: NativeStore,
) -> None:
    orders = make_orders(4, seed=3)
    text = "\n".join(_line(order) for order in orders) + "\n"
    first = await import_jsonl(native, io.StringIO(text))
    again = await import_jsonl(native, io.StringIO(text))
    assert (first.created, first.unchanged) == (4, 0)
    assert (again.created, again.updated, again.unchanged, again.failed) == (0, 0, 4, 0)
    edited = await import_jsonl(native, [_line(orders[0], customer_notes="Leave by the gate")])
    assert edited.updated == 1
    stored = await native.get(orders[0].source_id)
    assert stored is not None
    assert stored.customer_notes == "Leave by the gate"


async def test_a_file_with_a_byte_order_mark_reads_from_its_first_line(
    native: NativeStore,
) -> None:
    report = await import_jsonl(native, io.StringIO("\ufeff" + _line(plain_order()) + "\n"))
    assert report.created == 1
    assert await native.get("1001") == plain_order()


async def test_money_is_read_exactly(native: NativeStore) -> None:
    line = _line(plain_order()).replace('"82.92"', "82.92")
    assert '"total":82.92' in line.replace(" ", "")
    assert (await import_jsonl(native, [line])).created == 1
    stored = await native.get("1001")
    assert stored is not None
    assert str(stored.total) == "82.92"


async def test_progress_is_reported_after_each_order(native: NativeStore) -> None:
    seen: list[tuple[int, int]] = []
    lines = [_line(order) for order in make_orders(3)] + ["", "oops"]
    await import_jsonl(native, lines, on_progress=lambda r: seen.append((r.read, r.failed)))
    assert seen == [(1, 0), (2, 0), (3, 0), (4, 1)]


def test_the_report_reads_well() -> None:
    report = ImportReport(created=2, updated=1, unchanged=0)
    report.failures += [ImportFailure(n, "total", "Field required") for n in range(1, 25)]
    text = str(report)
    assert text.splitlines()[0] == "27 orders: 2 created, 1 updated, 0 unchanged, 24 failed"
    assert "  line 1, total: Field required" in text
    assert text.count("Field required") == SHOWN_FAILURES
    assert text.endswith(f"... and {24 - SHOWN_FAILURES} more")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "not valid JSON"),
        ("{", "not valid JSON"),
        ('{"total": NaN}', "NaN is not a number"),
        ('{"total": Infinity}', "Infinity is not a number"),
        ('"order"', "got a string"),
        ("null", "got null"),
        ("12", "got a number"),
        ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
        ('{"n": ' + "9" * 5000 + "}", "not valid JSON"),
    ],
)
def test_what_is_not_one_json_object_is_named(text: str, message: str) -> None:
    with pytest.raises(NotAJsonObject, match=message):
        load_json_object(text)
