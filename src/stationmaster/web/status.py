"""The status page and its JSON twin: per connection backlog, pushed, failed, 429s and budget."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from sqlalchemy.ext.asyncio import AsyncEngine

from stationmaster import db
from stationmaster.shipstation import Budget
from stationmaster.web.auth import bearer_dependency

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))


@dataclass(frozen=True, slots=True)
class ConnectionStatus:
    name: str
    backlog: int
    pushed: int
    failed: int
    rate_limited: int
    tracked: int
    last_success: datetime | None
    budget_wait: float | None
    budget_limit: int | None


async def connection_statuses(
    engine: AsyncEngine, budgets: Mapping[str, Budget]
) -> list[ConnectionStatus]:
    async with engine.connect() as conn:
        counters = await db.connection_counters(conn)
    statuses = []
    for row in counters:
        budget = budgets.get(row.connection)
        statuses.append(
            ConnectionStatus(
                name=row.connection,
                backlog=row.backlog,
                pushed=row.pushed,
                failed=row.failed,
                rate_limited=row.rate_limited,
                tracked=row.tracked,
                last_success=row.last_success,
                budget_wait=round(budget.delay(), 1) if budget is not None else None,
                budget_limit=budget.limit if budget is not None else None,
            )
        )
    return statuses


def status_router(engine: AsyncEngine, budgets: Mapping[str, Budget], *, token: str) -> APIRouter:
    """``/`` (HTML, refreshes itself), ``/api/v1/status`` (JSON, bearer token) and ``/healthz``.

    ``budgets`` is read at request time, so a runner may swap a connection's budget (as a
    lease hands one over) and the page follows.
    """
    router = APIRouter()

    @router.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def page(request: Request) -> HTMLResponse:
        rows = await connection_statuses(engine, budgets)
        return TEMPLATES.TemplateResponse(request, "status.html", {"rows": rows})

    @router.get("/api/v1/status", dependencies=[Depends(bearer_dependency(token))])
    async def status_json() -> dict[str, Any]:
        rows = await connection_statuses(engine, budgets)
        return {"connections": [_jsonable(asdict(row)) for row in rows]}

    @router.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return router


def _jsonable(row: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in row.items()}
