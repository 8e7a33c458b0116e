"""Paged lists: date-range filters, sorting, paging, and the faults that hit list pages.

Date bounds follow ``v1.filter_bounds``: ``documented`` reads the doc text literally (only the
orders' ``orderDateStart`` is exclusive), ``strict`` makes every start ``>`` and every end ``<``,
``inclusive`` makes both ends inclusive.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from stationmaster.emulator.backend import Backend
from stationmaster.emulator.replies import ApiError, Reply, invalid_field, ok, server_error
from stationmaster.emulator.routing import ApiRequest
from stationmaster.emulator.wire import Wire, instant

Predicate = Callable[[Wire], bool]


@dataclass(frozen=True)
class DateRange:
    """A pair of query parameters bounding one datetime field of the rows."""

    field: str
    start: str
    end: str
    #: The doc text calls this start exclusive (only ``orderDateStart`` so far).
    exclusive_start: bool = False


def _bound_ops(
    mode: str, exclusive_start: bool
) -> tuple[Callable[[datetime, datetime], bool], Callable[[datetime, datetime], bool]]:
    if mode == "strict":
        return operator.gt, operator.lt
    if mode == "inclusive":
        return operator.ge, operator.le
    return (operator.gt if exclusive_start else operator.ge), operator.le


def date_filters(
    backend: Backend, request: ApiRequest, ranges: Iterable[DateRange]
) -> list[Predicate]:
    config = backend.config
    predicates: list[Predicate] = []
    for spec in ranges:
        start = request.query.instant(spec.start, config.filter_offset_mode)
        end = request.query.instant(spec.end, config.filter_offset_mode)
        after, before = _bound_ops(config.filter_bounds, spec.exclusive_start)
        if start is not None:
            predicates.append(_bounded(spec.field, start, after))
        if end is not None:
            predicates.append(_bounded(spec.field, end, before))
    return predicates


def _bounded(
    field: str, limit: datetime, compare: Callable[[datetime, datetime], bool]
) -> Predicate:
    def check(row: Wire) -> bool:
        value = row.get(field)
        return value is not None and compare(instant(value), limit)

    return check


def page_request(backend: Backend, request: ApiRequest) -> tuple[int, int]:
    """``(page, pageSize)`` from the query, with the configured default and maximum."""
    config = backend.config
    page = request.query.integer("page")
    if page is None:
        page = 1
    if page < 1:
        raise invalid_field("page", "page must be 1 or more.")
    size = request.query.integer("pageSize")
    if size is None:
        size = config.default_page_size
    if size < 1:
        raise invalid_field("pageSize", "pageSize must be 1 or more.")
    if size > config.max_page_size:
        if config.max_page_size_mode == "error":
            raise invalid_field("pageSize", f"pageSize must be {config.max_page_size} or less.")
        size = config.max_page_size
    return page, size


def sort_key(field: str) -> Callable[[Wire], tuple[int, object]]:
    """Sort by a datetime (or text) field; rows without a value come first."""

    def key(row: Wire) -> tuple[int, object]:
        value = row.get(field)
        if value is None:
            return (0, "")
        if isinstance(value, str) and value[:4].isdigit() and value[4:5] == "-":
            return (1, instant(value))
        return (1, value.lower() if isinstance(value, str) else value)

    return key


def sorted_rows(
    rows: Iterable[Wire],
    id_field: str,
    key: Callable[[Wire], tuple[int, object]] | None,
    descending: bool,
) -> list[Wire]:
    """Rows by ``key`` (or id), ties broken by id, so pages are stable between requests."""
    ordered = sorted(rows, key=lambda r: r[id_field])
    if key is not None:
        ordered.sort(key=key)
    if descending:
        ordered.reverse()
    return ordered


def sort_direction(request: ApiRequest) -> bool:
    """``True`` for ``sortDir=DESC``."""
    return request.query.choice("sortDir", {"asc": "ASC", "desc": "DESC"}) == "DESC"


def page_of(
    backend: Backend,
    request: ApiRequest,
    rows: Sequence[Wire],
    collection: str,
    render: Callable[[Wire], Wire],
) -> Reply:
    """One page of ``rows`` in ShipStation's list envelope, after the list faults."""
    page, size = page_request(backend, request)
    total = len(rows)
    pages = math.ceil(total / size)
    start = (page - 1) * size
    stop = min(start + size, total)
    if start < total and backend.faults.take_page_500(request.method, request.path, start, stop):
        raise ApiError(server_error())
    chunk: list[Wire | None] = [render(row) for row in rows[start:stop]]
    nulls = backend.faults.take_null_elements(request.method, request.path)
    if nulls is not None:
        for position in sorted(nulls.positions):
            chunk.insert(min(position, len(chunk)), None)
    return ok({collection: chunk, "total": total, "page": page, "pages": pages})


def matches_all(row: Wire, predicates: Sequence[Predicate]) -> bool:
    return all(predicate(row) for predicate in predicates)


def contains(haystack: object, needle: str) -> bool:
    return isinstance(haystack, str) and needle.lower() in haystack.lower()


def starts_with(value: object, prefix: str) -> bool:
    return isinstance(value, str) and value.lower().startswith(prefix.lower())
