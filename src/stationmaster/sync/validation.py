"""Checking many orders against the sync rules at once: counts, and a CSV of every problem.

This is what ``stationmaster validate`` runs before anything is sent: each order is mapped
exactly as the push would map it, so the report shows what a push would refuse (errors),
what it would repair (warnings) and what the rules hold back (skipped).
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Final, TextIO

from stationmaster import domain
from stationmaster.stores.protocol import Unreadable
from stationmaster.sync.mapping import Severity, map_order, order_key
from stationmaster.sync.rules import Rules

CSV_COLUMNS: Final = ("order_number", "source_id", "order_key", "severity", "field", "message")


@dataclass(frozen=True, slots=True)
class ReportRow:
    """One problem of one order."""

    order_number: str
    source_id: str
    order_key: str
    severity: Severity
    field: str
    message: str


@dataclass
class Report:
    """Counts of orders by outcome, and every problem found.

    Each checked order is counted once: ``skipped`` (held back by the rules), ``errors``
    (would be refused), ``warnings`` (would be sent, with repairs or doubts) or ``ok``.
    ``rows`` also holds the warnings of skipped orders (an unmapped status, say).
    """

    checked: int = 0
    ok: int = 0
    warnings: int = 0
    errors: int = 0
    skipped: int = 0
    rows: list[ReportRow] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"{self.checked} checked: {self.ok} ok, {self.warnings} with warnings, "
            f"{self.errors} with errors, {self.skipped} skipped"
        )


def validate_orders(
    orders: Iterable[domain.Order], rules: Rules, *, source: str, now: datetime
) -> Report:
    """Map every order under ``rules`` and report the outcome (see ``map_order``)."""
    report = Report()
    for order in orders:
        mapped = map_order(order, rules, source=source, now=now)
        report.checked += 1
        if not mapped.eligible:
            report.skipped += 1
        elif mapped.errors:
            report.errors += 1
        elif mapped.warnings:
            report.warnings += 1
        else:
            report.ok += 1
        report.rows.extend(
            ReportRow(
                order_number=order.number,
                source_id=order.source_id,
                order_key=mapped.order_key,
                severity=problem.severity,
                field=problem.field,
                message=problem.message,
            )
            for problem in mapped.problems
        )
    return report


def add_unreadable(report: Report, unreadable: Iterable[Unreadable], *, source: str) -> Report:
    """Count the orders the store could not hand over as errors, each with its reason."""
    for bad in unreadable:
        report.checked += 1
        report.errors += 1
        report.rows.append(
            ReportRow(
                order_number=bad.number or "",
                source_id=bad.source_id,
                order_key=order_key(source, bad.source_id),
                severity="error",
                field="store",
                message=bad.reason,
            )
        )
    return report


def write_csv(report: Report, path_or_file: str | os.PathLike[str] | TextIO) -> None:
    """One row per problem under a header row (written even when there is no problem).

    A path is written as UTF-8; an open file must have been opened with ``newline=""``.
    """
    if isinstance(path_or_file, str | os.PathLike):
        with open(path_or_file, "w", encoding="utf-8", newline="") as handle:
            _write_rows(report, handle)
    else:
        _write_rows(report, path_or_file)


def _write_rows(report: Report, handle: TextIO) -> None:
    writer = csv.writer(handle)
    writer.writerow(CSV_COLUMNS)
    writer.writerows(
        (row.order_number, row.source_id, row.order_key, row.severity, row.field, row.message)
        for row in report.rows
    )
