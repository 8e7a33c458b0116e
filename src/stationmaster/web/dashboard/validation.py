"""The ``validate`` report of a connection on a page, and as a CSV download.

The same report as ``stationmaster validate``: the store's orders mapped under the
connection's rules exactly as the push maps them. It reads the store, so it is offered for
connections this process runs, and reads at most ``validation_limit`` orders (the page says
when it stopped short).
"""

import io
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Final

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import HTMLResponse
from pydantic import JsonValue

from stationmaster.domain import Order
from stationmaster.errors import StationmasterError
from stationmaster.sync.validation import Report, validate_orders, write_csv
from stationmaster.web.dashboard.errors import Refusal
from stationmaster.web.dashboard.forms import query_text
from stationmaster.web.dashboard.guard import Viewer
from stationmaster.web.dashboard.setup import ConnectionSetup, Dashboard
from stationmaster.web.dashboard.templating import render

STORE_PAGE: Final = 500
#: Problems listed on the page; the CSV has them all.
ROWS_SHOWN: Final = 500


@dataclass(frozen=True, slots=True)
class Validation:
    report: Report
    #: Whether the store has more orders than were read.
    truncated: bool


async def validate_connection(setup: ConnectionSetup, limit: int, now: datetime) -> Validation:
    """Read up to ``limit`` orders from the store and map each one under the rules."""
    orders: list[Order] = []
    cursor: JsonValue = None
    read, more = 0, False
    while read < limit:
        batch = await setup.store.changed_orders(cursor, min(STORE_PAGE, limit - read))
        orders.extend(batch.orders)
        read += len(batch.orders) + len(batch.unreadable)
        cursor, more = batch.cursor, batch.more
        if not batch.more or not (batch.orders or batch.unreadable):
            break
    report = validate_orders(orders, setup.rules, source=setup.source, now=now)
    return Validation(report, more and read >= limit)


def _setup(dashboard: Dashboard, request: Request) -> tuple[str, ConnectionSetup]:
    name = query_text(request, "connection", max_length=100)
    if name is None:
        raise Refusal(400, "name the connection to validate")
    setup = dashboard.options.connections.get(name)
    if setup is None:
        raise Refusal(
            404,
            f"connection {name!r} does not run in this process, so its store cannot be read "
            f"here: run `stationmaster validate --connection {name}` where it is configured",
        )
    return name, setup


async def _validate(dashboard: Dashboard, setup: ConnectionSetup) -> Validation:
    try:
        return await validate_connection(setup, dashboard.options.validation_limit, dashboard.now())
    except StationmasterError as exc:
        raise Refusal(502, f"the store could not be read: {exc}") from None


def validation_routes(
    router: APIRouter, dashboard: Dashboard, viewer: Callable[[Request], Awaitable[Viewer]]
) -> None:
    @router.get("/validation", response_class=HTMLResponse)
    async def validation_page(
        request: Request, who: Annotated[Viewer, Depends(viewer)]
    ) -> Response:
        context: dict[str, object] = {
            "viewer": who,
            "section": "validation",
            "names": sorted(dashboard.options.connections),
            "connection": None,
            "result": None,
            "limit": dashboard.options.validation_limit,
            "shown": ROWS_SHOWN,
        }
        if query_text(request, "connection", max_length=100) is not None:
            name, setup = _setup(dashboard, request)
            context |= {"connection": name, "result": await _validate(dashboard, setup)}
        return render(request, "validation.html", context)

    @router.get("/validation.csv")
    async def validation_csv(request: Request, who: Annotated[Viewer, Depends(viewer)]) -> Response:
        name, setup = _setup(dashboard, request)
        result = await _validate(dashboard, setup)
        text = io.StringIO(newline="")
        write_csv(result.report, text)
        return Response(
            text.getvalue().encode("utf-8"),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="validation-{name}.csv"'},
        )
