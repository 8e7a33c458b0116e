"""The emulated v2 inventory endpoints: their route table, handlers, and v2's paged lists.

Lists answer ``{<rows>, total, page, pages, links}``. ``limit`` (or ``page_size``) sets the
page size; the next page is named by ``links.next.href``, which carries an opaque ``cursor``
(``v2.paging = "cursor"``: the last row given, so rows that come or go during a walk do not
shift later pages) or ``page=N+1`` (``"page"``). Both parameters are always accepted. Rows come
sorted (SKU, warehouse, location; or id), which is what makes a cursor a position.
"""

from __future__ import annotations

import base64
import binascii
import bisect
import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import parse_qsl, urlencode

from pydantic import JsonValue

from stationmaster.emulator.faults import normalise_path
from stationmaster.emulator.inventory import (
    Grouping,
    InventoryBook,
    LevelQuery,
    StockRefused,
    wire_row,
)
from stationmaster.emulator.query import Query
from stationmaster.emulator.replies import ApiError, Reply, ok
from stationmaster.emulator.v2changes import read_change
from stationmaster.emulator.v2config import V2Config
from stationmaster.emulator.v2replies import bad_value, method_not_allowed, no_route, v2_error

T = TypeVar("T")
#: Parameters a ``links`` href replaces rather than repeats.
POSITION_PARAMETERS = frozenset({"cursor", "page"})


@dataclass(frozen=True)
class V2Request:
    """One v2 API request, read."""

    method: str
    path: str
    query: Query
    body: JsonValue = None
    body_error: str | None = None


@dataclass(frozen=True)
class V2Context:
    """What a v2 handler works with."""

    config: V2Config
    book: InventoryBook
    base_url: str


Handler = Callable[[V2Context, V2Request], Reply]


# -- handlers -------------------------------------------------------------------------------


def list_levels(ctx: V2Context, request: V2Request) -> Reply:
    query = request.query
    warehouse_id = query.text("inventory_warehouse_id")
    location_id = query.text("inventory_location_id")
    rows = ctx.book.rows(
        LevelQuery(
            grouping=_grouping(query, ctx.config, location_id),
            skus=_skus(query, ctx.config),
            warehouse_id=warehouse_id,
            location_id=location_id,
        )
    )
    window, meta = paginate(ctx, request, rows, key=lambda row: row[:3])
    return ok({"inventory": [wire_row(row) for row in window], **meta})


def change_stock(ctx: V2Context, request: V2Request) -> Reply:
    change = read_change(request.body, request.body_error)
    try:
        ctx.book.apply(change)
    except StockRefused as exc:
        raise ApiError(v2_error(400, exc.error_type, exc.error_code, str(exc))) from None
    return Reply(ctx.config.change_status)


def list_warehouses(ctx: V2Context, request: V2Request) -> Reply:
    rows = ctx.book.warehouse_rows()
    window, meta = paginate(ctx, request, rows, key=lambda row: (row["inventory_warehouse_id"],))
    return ok({"inventory_warehouses": list(window), **meta})


def list_locations(ctx: V2Context, request: V2Request) -> Reply:
    rows = ctx.book.location_rows(request.query.text("inventory_warehouse_id"))
    window, meta = paginate(ctx, request, rows, key=lambda row: (row["inventory_location_id"],))
    return ok({"inventory_locations": list(window), **meta})


ROUTES: dict[str, dict[str, Handler]] = {
    "/v2/inventory": {"GET": list_levels, "POST": change_stock},
    "/v2/inventory_warehouses": {"GET": list_warehouses},
    "/v2/inventory_locations": {"GET": list_locations},
}


def resolve(method: str, path: str) -> Handler:
    """The handler of a v2 path (case-insensitive, trailing ``/`` ignored), or a 404/405."""
    methods = ROUTES.get(normalise_path(path))
    if methods is None:
        raise no_route(path)
    handler = methods.get(method.upper())
    if handler is None:
        raise method_not_allowed(method.upper(), list(methods))
    return handler


# -- query parameters -----------------------------------------------------------------------


def _grouping(query: Query, config: V2Config, location_id: str | None) -> Grouping:
    value = query.text("group_by")
    if value is None:
        return "location" if location_id is not None else config.default_group_by
    if value.lower() not in ("warehouse", "location"):
        raise bad_value(f"group_by must be warehouse or location; got {value!r}.")
    return "warehouse" if value.lower() == "warehouse" else "location"


def _skus(query: Query, config: V2Config) -> frozenset[str] | None:
    value = query.text("sku")
    if value is None:
        return None
    if config.sku_filter == "single":
        return frozenset({value})
    return frozenset(part.strip() for part in value.split(",") if part.strip())


def _whole(query: Query, name: str) -> int | None:
    value = query.text(name)
    if value is None:
        return None
    try:
        number = int(value)
    except ValueError:
        raise bad_value(f"{name} must be a whole number; got {value!r}.") from None
    if number < 1:
        raise bad_value(f"{name} must be 1 or more; got {number}.")
    return number


def _page_size(query: Query, config: V2Config) -> int:
    size = _whole(query, "limit") or _whole(query, "page_size") or config.default_page_size
    if size > config.max_page_size:
        if config.max_page_size_mode == "error":
            raise bad_value(f"limit must be at most {config.max_page_size}; got {size}.")
        size = config.max_page_size
    return size


# -- paging ---------------------------------------------------------------------------------


def paginate(
    ctx: V2Context, request: V2Request, rows: Sequence[T], *, key: Callable[[T], tuple[Any, ...]]
) -> tuple[Sequence[T], dict[str, JsonValue]]:
    """This request's page of ``rows`` (sorted by ``key``) and the page's paging fields."""
    size = _page_size(request.query, ctx.config)
    total = len(rows)
    cursor = request.query.text("cursor")
    if cursor is not None:
        page, after = _read_cursor(cursor)
        start = bisect.bisect_right(rows, after, key=key)
    else:
        page = _whole(request.query, "page") or 1
        start = (page - 1) * size
    stop = min(start + size, total)
    pages = math.ceil(total / size)
    links = _Links(ctx, request, size)

    def at(first: int, number: int) -> dict[str, JsonValue]:
        """A link to the page that starts at row ``first`` (page ``number``)."""
        if first <= 0:
            return links.href(page=1, cursor=None)
        if ctx.config.paging == "page":
            return links.href(page=number, cursor=None)
        return links.href(page=None, cursor=_write_cursor(number, key(rows[first - 1])))

    meta: dict[str, JsonValue] = {
        "total": total,
        "page": page,
        "pages": pages,
        "links": {
            "first": at(0, 1),
            "last": at((pages - 1) * size, pages) if pages > 1 else at(0, 1),
            "prev": at(max(0, start - size), page - 1) if start > 0 and page > 1 else {},
            "next": at(stop, page + 1) if stop < total else {},
        },
    }
    return rows[start:stop], meta


class _Links:
    """Builds hrefs that repeat the request's parameters with a new position."""

    def __init__(self, ctx: V2Context, request: V2Request, size: int) -> None:
        kept = [
            (name, value)
            for name, value in parse_qsl(request.query.raw, keep_blank_values=True)
            if name.lower() not in POSITION_PARAMETERS | {"limit", "page_size"}
        ]
        self._base = f"{ctx.base_url}{normalise_path(request.path)}"
        self._kept = [*kept, ("limit", str(size))]

    def href(self, *, page: int | None, cursor: str | None) -> dict[str, JsonValue]:
        position = [("cursor", cursor)] if cursor is not None else []
        if page is not None and cursor is None:
            position = [("page", str(page))]
        return {"href": f"{self._base}?{urlencode([*self._kept, *position])}"}


def _write_cursor(page: int, after: tuple[Any, ...]) -> str:
    raw = json.dumps([page, *after], separators=(",", ":")).encode("utf-8")
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def _read_cursor(cursor: str) -> tuple[int, tuple[Any, ...]]:
    problem = bad_value(f"cursor {cursor!r} is not valid; take it from links.next.href.")
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        value = json.loads(raw.decode("utf-8"))
    except (binascii.Error, ValueError):
        raise problem from None
    if (
        not isinstance(value, list)
        or len(value) < 2
        or isinstance(value[0], bool)
        or not isinstance(value[0], int)
        or value[0] < 2
        or not all(isinstance(part, str) for part in value[1:])
    ):
        raise problem
    return value[0], tuple(value[1:])
