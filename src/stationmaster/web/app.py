"""The one FastAPI app: order ingest, status page and JSON, health; mounts for the demo."""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.types import ASGIApp

from stationmaster.shipstation import Budget
from stationmaster.stores.native import NativeStore
from stationmaster.web.customstore import CustomStoreTarget, customstore_router
from stationmaster.web.ingest import ingest_router
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
) -> FastAPI:
    """Assemble the web face; every part takes what it needs explicitly, nothing global."""
    app = FastAPI(title="stationmaster", docs_url="/api/docs", openapi_url="/api/openapi.json")
    app.include_router(status_router(engine, budgets, token=api_token))
    app.include_router(ingest_router(engine, stores=native_stores, token=api_token))
    if webhook_targets:
        app.include_router(webhooks_router(engine, connections=webhook_targets))
    if customstore_targets:
        app.include_router(customstore_router(engine, connections=customstore_targets))
    for path, mounted in (mounts or {}).items():
        app.mount(path, mounted)
    return app
