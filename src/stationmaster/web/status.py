"""The status JSON and health check: per connection backlog, pushed, failed, 429s and budget.

The HTML view of the same numbers is the dashboard's overview (:mod:`stationmaster.web.dashboard`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends
from sqlalchemy.ext.asyncio import AsyncEngine

from stationmaster import db
from stationmaster.shipstation import Budget
from stationmaster.web.auth import bearer_dependency


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
    order_errors: int = 0
    problem: str | None = None
    problem_at: datetime | None = None


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
                order_errors=row.order_errors,
                problem=row.problem,
                problem_at=row.problem_at,
            )
        )
    return statuses


def status_router(engine: AsyncEngine, budgets: Mapping[str, Budget], *, token: str) -> APIRouter:
    """``/api/v1/status`` (JSON, bearer token) and ``/healthz``.

    ``budgets`` is read at request time, so a runner may swap a connection's budget (as a
    lease hands one over) and the answer follows.
    """
    router = APIRouter()

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
