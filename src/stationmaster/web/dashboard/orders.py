"""Finding an order by number or key, and its whole story on one page.

The story is what stationmaster holds (record, stored copy, queued payload, dead letters,
packages, exchanges with ShipStation), read in a handful of indexed queries; for a store
that is not native, the store's current copy is read live when this process runs the
connection, within ``store_timeout``.
"""

from collections.abc import Awaitable, Callable
from typing import Annotated, Any
from urllib.parse import urlencode

import anyio
from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from stationmaster.db.dashboard import OrderStory, connection_names, find_orders, order_story
from stationmaster.errors import StationmasterError
from stationmaster.stores.native import NativeStore
from stationmaster.web.dashboard.errors import Refusal
from stationmaster.web.dashboard.forms import query_text
from stationmaster.web.dashboard.guard import Viewer
from stationmaster.web.dashboard.setup import Dashboard
from stationmaster.web.dashboard.story import sent_payloads
from stationmaster.web.dashboard.templating import render


def order_url(connection: str, order_key: str) -> str:
    return "/order?" + urlencode({"connection": connection, "key": order_key})


async def _live_copy(dashboard: Dashboard, story: OrderStory) -> dict[str, Any]:
    """The store's own copy, for stores whose orders are not in our tables."""
    setup = dashboard.options.connections.get(story.connection)
    source_id = story.source_id
    if setup is None or isinstance(setup.store, NativeStore) or source_id is None:
        return {"order": None, "error": None, "read": False}
    try:
        with anyio.fail_after(dashboard.options.store_timeout):
            found = await setup.store.orders_by_id([source_id])
    except TimeoutError:
        return {"order": None, "error": "the store did not answer in time", "read": True}
    except (StationmasterError, OSError) as exc:
        return {"order": None, "error": f"the store failed: {exc}", "read": True}
    order = found.get(source_id)
    document = order.model_dump(mode="json") if order is not None else None
    return {"order": document, "error": None, "read": True}


def order_routes(
    router: APIRouter, dashboard: Dashboard, viewer: Callable[[Request], Awaitable[Viewer]]
) -> None:
    @router.get("/orders", response_class=HTMLResponse)
    async def search(request: Request, who: Annotated[Viewer, Depends(viewer)]) -> Response:
        text = query_text(request, "q", max_length=255)
        connection = query_text(request, "connection", max_length=100)
        async with dashboard.engine.connect() as conn:
            names = await connection_names(conn)
            hits = await find_orders(conn, text, connection=connection) if text else []
        if len(hits) == 1:
            return RedirectResponse(order_url(hits[0].connection, hits[0].order_key), 303)
        context = {
            "viewer": who,
            "section": "orders",
            "text": text,
            "connection": connection,
            "names": names,
            "hits": hits,
            "order_url": order_url,
        }
        return render(request, "orders.html", context)

    @router.get("/order", response_class=HTMLResponse)
    async def story(request: Request, who: Annotated[Viewer, Depends(viewer)]) -> Response:
        connection = query_text(request, "connection", max_length=100)
        key = query_text(request, "key", max_length=255)
        if connection is None or key is None:
            raise Refusal(400, "an order page needs both connection and key")
        now = dashboard.now()
        async with dashboard.engine.connect() as conn:
            found = await order_story(conn, connection, key, now=now)
        if not found.found:
            raise Refusal(404, f"no order with key {key!r} in connection {connection!r}")
        accepted = found.record.fingerprint if found.record is not None else None
        context = {
            "viewer": who,
            "section": "orders",
            "story": found,
            "sent": sent_payloads(found.audit, key, accepted),
            "live": await _live_copy(dashboard, found),
            "now": now,
        }
        return render(request, "order.html", context)
