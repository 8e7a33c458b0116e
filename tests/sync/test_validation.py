"""The validation report: order counts by outcome, and a CSV of every problem that reads back."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from pathlib import Path

from stationmaster.stores import Unreadable
from stationmaster.sync import load_rules, validate_orders, write_csv
from stationmaster.sync.validation import CSV_COLUMNS, Report, ReportRow, add_unreadable
from stationmaster.testing.factories import plain_order

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
RULES = load_rules({"money": {"rates": {"EUR/USD": "1.08"}}})


def _mixed_report() -> Report:
    orders = [
        plain_order(source_id="1", number="SM-1"),
        plain_order(source_id="2", number="SM-2", billing=None),
        plain_order(
            source_id="3",
            number='SM-3, "quoted"',
            currency="GBP",
            shipping={"name": "Zoë 💫", "street1": "1 Main\nSt", "country": "US"},
        ),
        plain_order(source_id="4", number="SM-4", status="on hold"),
        plain_order(source_id="5", number="SM-5", status="backordered"),
        plain_order(source_id="6", number="SM-6", currency="EUR", deleted=True),
    ]
    return validate_orders(orders, RULES, source="acme", now=NOW)


def test_orders_are_counted_once_by_outcome() -> None:
    report = _mixed_report()
    assert (report.checked, report.ok, report.warnings, report.errors, report.skipped) == (
        6,
        2,
        1,
        1,
        2,
    )
    assert report.summary() == "6 checked: 2 ok, 1 with warnings, 1 with errors, 2 skipped"


def test_every_problem_is_a_row_naming_its_order() -> None:
    rows = _mixed_report().rows
    assert [(row.source_id, row.severity, row.field) for row in rows] == [
        ("2", "warning", "billing"),
        ("3", "error", "currency"),
        ("3", "error", "shipping.city"),
        ("3", "error", "shipping.postal_code"),
        ("3", "error", "shipping.state"),
        ("5", "warning", "status"),
    ]
    third = rows[1]
    assert (third.order_number, third.order_key) == ('SM-3, "quoted"', "acme:3")
    assert "GBP/USD" in third.message


def test_the_csv_reads_back_row_for_row(tmp_path: Path) -> None:
    report = _mixed_report()
    target = tmp_path / "failures.csv"
    write_csv(report, target)
    with target.open(encoding="utf-8", newline="") as handle:
        read = list(csv.DictReader(handle))
    assert tuple(read[0]) == CSV_COLUMNS
    assert read == [{column: getattr(row, column) for column in CSV_COLUMNS} for row in report.rows]


def test_the_csv_goes_to_an_open_file_too() -> None:
    report = Report(
        rows=[
            ReportRow(
                order_number="Nº 7",
                source_id="7",
                order_key="acme:7",
                severity="warning",
                field="gift_message",
                message='cut: "Für dich ❤️",\nthen more',
            )
        ]
    )
    buffer = io.StringIO(newline="")
    write_csv(report, buffer)
    buffer.seek(0)
    assert list(csv.reader(buffer)) == [
        list(CSV_COLUMNS),
        ["Nº 7", "7", "acme:7", "warning", "gift_message", 'cut: "Für dich ❤️",\nthen more'],
    ]


def test_an_empty_report_still_has_its_header(tmp_path: Path) -> None:
    target = tmp_path / "none.csv"
    write_csv(validate_orders([], RULES, source="acme", now=NOW), target)
    assert target.read_text(encoding="utf-8").splitlines() == [",".join(CSV_COLUMNS)]


def test_orders_the_store_could_not_hand_over_are_errors_in_the_report() -> None:
    report = add_unreadable(
        Report(), [Unreadable("17", "line 2 has no product", "#1017")], source="shop"
    )
    assert (report.checked, report.errors) == (1, 1)
    (row,) = report.rows
    assert (row.order_number, row.order_key, row.field, row.message) == (
        "#1017",
        "shop:17",
        "store",
        "line 2 has no product",
    )
