"""The one FastAPI app: order ingest, dashboard, status JSON, health; mounts for the demo."""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.types import ASGIApp

from stationmaster.shipstation import Budget
from stationmaster.stores.native import NativeStore
from stationmaster.stores.protocol import Store
from stationmaster.web.customstore import CustomStoreTarget, customstore_router
from stationmaster.web.dashboard import DashboardOptions, dashboard_router
from stationmaster.web.ingest import ingest_router
from stationmaster.web.inventory import MAX_ITEMS, inventory_router
from stationmaster.web.status import status_router
from stationmaster.web.webhooks import WebhookTarget, webhooks_router


def create_app(
    engine: AsyncEngine,
    *,
    native_stores: Mapping[str, NativeStore],
    budgets: Mapping[str, Budget],
    api_token: str,
    webhook_targets: Mapping[str, WebhookTarget] | None = None,
    customstore_targets: Mapping[str, CustomStoreTarget] | None = None,
    mounts: Mapping[str, ASGIApp] | None = None,
    stock_stores: Mapping[str, Store] | None = None,
    max_stock_adjustments: int = MAX_ITEMS,
    dashboard: DashboardOptions | None = None,
) -> FastAPI:
    """Assemble the web face; every part takes what it needs explicitly, nothing global.

    ``stock_stores`` take warehouse stock deltas (default: the native stores).
    ``dashboard`` sets up the dashboard at ``/``; without it only the API token opens it.
    """
    app = FastAPI(title="stationmaster", docs_url="/api/docs", openapi_url="/api/openapi.json")
    app.include_router(status_router(engine, budgets, token=api_token))
    app.include_router(
        dashboard_router(engine, budgets, dashboard or DashboardOptions(), api_token=api_token)
    )
    app.include_router(ingest_router(engine, stores=native_stores, token=api_token))
    app.include_router(
        inventory_router(
            engine,
            stores=native_stores if stock_stores is None else stock_stores,
            token=api_token,
            max_items=max_stock_adjustments,
        )
    )
    if webhook_targets:
        app.include_router(webhooks_router(engine, connections=webhook_targets))
    if customstore_targets:
        app.include_router(customstore_router(engine, connections=customstore_targets))
    for path, mounted in (mounts or {}).items():
        app.mount(path, mounted)
    return app
