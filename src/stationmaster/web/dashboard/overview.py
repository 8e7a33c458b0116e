"""The overview: every connection's health and numbers (paged), and a throughput chart.

``/`` is the whole page; ``/overview/table`` and ``/overview/chart`` are its two parts,
which htmx fetches again every few seconds, so the page stays live without a reload.
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Any, Final
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from stationmaster import db
from stationmaster.customstore.export import EXPORT_STREAM
from stationmaster.customstore.mirror import MIRROR_STREAM
from stationmaster.db.dashboard import ConnectionSummary, connection_page, throughput
from stationmaster.sync.tracking import (
    FULFILLMENTS_STREAM,
    ORDERS_STREAM,
    SHIPMENTS_STREAM,
    VOIDS_STREAM,
)
from stationmaster.web.dashboard.chart import Chart, build_chart, ceiling_per_bucket
from stationmaster.web.dashboard.errors import Refusal
from stationmaster.web.dashboard.forms import query_int, query_text
from stationmaster.web.dashboard.guard import Viewer
from stationmaster.web.dashboard.health import BudgetView, Verdict, budget_view, verdict
from stationmaster.web.dashboard.setup import Dashboard
from stationmaster.web.dashboard.templating import render

#: Cursor streams whose last successful move is the connection's last pull.
PULL_STREAMS: Final = (
    ORDERS_STREAM,
    SHIPMENTS_STREAM,
    FULFILLMENTS_STREAM,
    VOIDS_STREAM,
    MIRROR_STREAM,
    EXPORT_STREAM,
)
CHART_HOURS: Final = 6
CHART_BUCKET: Final = timedelta(minutes=10)
#: ShipStation's documented limit, assumed for a key no worker here holds.
DEFAULT_LIMIT: Final = 40
DEFAULT_WINDOW: Final = 60.0


@dataclass(frozen=True, slots=True)
class OverviewRow:
    summary: ConnectionSummary
    verdict: Verdict
    budget: BudgetView | None


@dataclass(frozen=True, slots=True)
class Filters:
    page: int
    prefix: str | None
    attention: bool

    def query(self, **changes: Any) -> str:
        values = {"page": self.page, "q": self.prefix or "", "attention": int(self.attention)}
        values.update(changes)
        return urlencode({k: v for k, v in values.items() if v not in ("", 0, None)})


def _filters(request: Request) -> Filters:
    attention = query_text(request, "attention", max_length=5)
    if attention not in (None, "0", "1"):
        raise Refusal(400, "attention must be 0 or 1")
    return Filters(
        page=query_int(request, "page", default=1),
        prefix=query_text(request, "q", max_length=100),
        attention=attention == "1",
    )


async def _table(dashboard: Dashboard, filters: Filters) -> dict[str, Any]:
    now = dashboard.now()
    options = dashboard.options
    async with dashboard.engine.connect() as conn:
        page = await connection_page(
            conn,
            now=now,
            page=filters.page,
            page_size=options.page_size,
            prefix=filters.prefix,
            attention=filters.attention,
            pull_streams=PULL_STREAMS,
        )
    rows = [
        OverviewRow(
            summary,
            verdict(
                summary,
                now=now,
                late_after=options.late_after,
                poll_late_after=options.poll_late_after,
            ),
            budget_view(dashboard.budgets.get(summary.name)),
        )
        for summary in page.rows
    ]
    shown = Filters(page.page, filters.prefix, filters.attention)
    return {
        "rows": rows,
        "listing": page,
        "filters": shown,
        "now": now,
        "refresh": options.refresh_seconds,
    }


async def _chart(dashboard: Dashboard, name: str, known: bool) -> dict[str, Any]:
    now = dashboard.now()
    async with dashboard.engine.connect() as conn:
        if not known and await db.get_connection(conn, name) is None:
            raise Refusal(404, f"no connection named {name!r}")
        buckets = await throughput(conn, name, now=now, hours=CHART_HOURS, width=CHART_BUCKET)
    budget = dashboard.budgets.get(name)
    if budget is not None:
        ceiling = ceiling_per_bucket(budget.limit, budget.reserve, budget.window, CHART_BUCKET)
    else:
        ceiling = ceiling_per_bucket(DEFAULT_LIMIT, 0, DEFAULT_WINDOW, CHART_BUCKET)
    chart: Chart = build_chart(buckets, CHART_BUCKET, ceiling)
    return {
        "chart": chart,
        "chart_name": name,
        "assumed_ceiling": budget is None,
        "hours": CHART_HOURS,
        "refresh": dashboard.options.refresh_seconds * 6,
    }


def overview_routes(
    router: APIRouter, dashboard: Dashboard, viewer: Callable[[Request], Awaitable[Viewer]]
) -> None:
    @router.get("/", response_class=HTMLResponse)
    async def overview(request: Request, who: Annotated[Viewer, Depends(viewer)]) -> HTMLResponse:
        table = await _table(dashboard, _filters(request))
        rows: list[OverviewRow] = table["rows"]
        wanted = query_text(request, "chart", max_length=100)
        names = [row.summary.name for row in rows]
        name = wanted or (names[0] if names else None)
        chart = await _chart(dashboard, name, name in names) if name is not None else None
        context = {**table, "viewer": who, "section": "overview", "chart_part": chart}
        return render(request, "overview.html", context)

    @router.get("/overview/table", response_class=HTMLResponse)
    async def overview_table(
        request: Request, who: Annotated[Viewer, Depends(viewer)]
    ) -> HTMLResponse:
        table = await _table(dashboard, _filters(request))
        return render(request, "_overview_table.html", {**table, "viewer": who})

    @router.get("/overview/chart", response_class=HTMLResponse)
    async def overview_chart(
        request: Request, who: Annotated[Viewer, Depends(viewer)]
    ) -> HTMLResponse:
        name = query_text(request, "chart", max_length=100)
        if name is None:
            raise Refusal(400, "name the connection whose throughput to chart")
        chart = await _chart(dashboard, name, False)
        return render(request, "_chart.html", {"chart_part": chart, "viewer": who})
