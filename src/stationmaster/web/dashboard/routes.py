"""The dashboard as one router: each page's routes, behind the guard, plus its static files."""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import APIRouter, Request, Response
from sqlalchemy.ext.asyncio import AsyncEngine

from stationmaster.shipstation import Budget
from stationmaster.web.dashboard.deadletters import dead_letter_routes
from stationmaster.web.dashboard.errors import Refusal
from stationmaster.web.dashboard.guard import (
    actor_dependency,
    guarded_route,
    is_htmx,
    viewer_dependency,
)
from stationmaster.web.dashboard.login import login_routes
from stationmaster.web.dashboard.orders import order_routes
from stationmaster.web.dashboard.overview import overview_routes
from stationmaster.web.dashboard.settings import settings_routes
from stationmaster.web.dashboard.setup import Dashboard, DashboardOptions
from stationmaster.web.dashboard.static import static_router
from stationmaster.web.dashboard.templating import render
from stationmaster.web.dashboard.validation import validation_routes

TITLES = {
    400: "That request is not right",
    401: "Log in first",
    403: "Refused",
    404: "Not found",
    409: "Not possible now",
    413: "Too large",
    415: "Wrong kind of form",
    422: "Check the form",
    429: "Slow down",
    503: "Not available",
}


def refusal_page(request: Request, refusal: Refusal) -> Response:
    """A refusal as a page, or for htmx as a message in the page's alert region."""
    if is_htmx(request):
        headers = {"HX-Retarget": "#flash", "HX-Reswap": "innerHTML"}
        return render(
            request,
            "_flash.html",
            {"message": refusal.message, "kind": "error"},
            status_code=refusal.status,
            headers=headers,
        )
    context = {
        "status": refusal.status,
        "title": TITLES.get(refusal.status, "Refused"),
        "message": refusal.message,
    }
    return render(request, "error.html", context, status_code=refusal.status)


def dashboard_router(
    engine: AsyncEngine,
    budgets: Mapping[str, Budget],
    options: DashboardOptions,
    *,
    api_token: str | None = None,
) -> APIRouter:
    """Every dashboard page; ``api_token`` (the JSON API's) opens them too, by bearer header."""
    dashboard = Dashboard(engine, budgets, options, api_token)
    router = APIRouter(route_class=guarded_route(refusal_page), include_in_schema=False)
    viewer, actor = viewer_dependency(dashboard), actor_dependency(dashboard)
    login_routes(router, dashboard, actor)
    overview_routes(router, dashboard, viewer)
    order_routes(router, dashboard, viewer)
    dead_letter_routes(router, dashboard, viewer, actor)
    validation_routes(router, dashboard, viewer)
    settings_routes(router, dashboard, viewer)
    router.include_router(static_router())
    return router
