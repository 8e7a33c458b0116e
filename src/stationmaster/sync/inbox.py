"""Working off the webhook inbox: fetch what each delivery announces and apply it.

A delivery is only a hint ("look at this batch"), so the work is the same as polling's:
fetch the records with the connection's own key and hand them to the tracker. A failure
leaves the entry for later (with a growing wait); polling covers anything lost meanwhile.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import structlog
from sqlalchemy.ext.asyncio import AsyncEngine

from stationmaster import db
from stationmaster.errors import ShipStationError
from stationmaster.shipstation import ShipStationClient
from stationmaster.shipstation.models import (
    FulfillmentList,
    OrderList,
    ShipmentList,
    WebhookPayload,
)
from stationmaster.stores import StoreError
from stationmaster.sync.tracking import Tracker, TrackStats

log = structlog.get_logger("stationmaster.inbox")

#: How many pages of one delivery's batch are followed (500 records each at most).
MAX_PAGES = 20


def page_url(resource_url: str, page: int) -> str:
    """The delivery's URL asking for ``page`` (and the largest page size).

    Shipments are always fetched with their items: a SHIP_NOTIFY's URL leaves them out, and
    a label without items would read as covering the whole order, which a partial one does not.
    """
    parts = urlsplit(resource_url)
    replaced = ("page", "pagesize", "includeshipmentitems")
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if k.lower() not in replaced
    ]
    if parts.path.rstrip("/").lower().endswith("/shipments"):
        query.append(("includeShipmentItems", "True"))
    query += [("page", str(page)), ("pageSize", "500")]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), parts.fragment))


async def process_inbox(
    engine: AsyncEngine,
    connection: str,
    client: ShipStationClient,
    tracker: Tracker,
    *,
    limit: int = 50,
) -> TrackStats:
    """Work off the due deliveries of ``connection``; returns what applying them did."""
    async with engine.connect() as conn:
        entries = await db.inbox_due(conn, connection, limit)
    total = TrackStats()
    for entry in entries:
        try:
            stats = await _work(entry, client, tracker)
        except (ShipStationError, StoreError, ValueError) as exc:
            async with engine.begin() as conn:
                await db.inbox_failed(conn, entry.id, str(exc))
            log.warning("inbox.failed", connection=connection, entry=entry.id, error=str(exc))
            continue
        async with engine.begin() as conn:
            await db.inbox_done(conn, entry.id)
        total.add(stats)
    return total


async def _work(entry: db.InboxEntry, client: ShipStationClient, tracker: Tracker) -> TrackStats:
    total = TrackStats()
    page = 1
    while page <= MAX_PAGES:
        payload = WebhookPayload(
            resource_url=page_url(entry.resource_url, page), resource_type=entry.resource_type
        )
        listed = await client.webhooks.resource(payload)
        records = listed.records()
        if isinstance(listed, ShipmentList):
            total.add(await tracker.apply_shipments(listed.records()))
        elif isinstance(listed, FulfillmentList):
            total.add(await tracker.apply_fulfillments(listed.records()))
        elif isinstance(listed, OrderList):
            total.add(await tracker.apply_orders(listed.records()))
        if not records or not listed.pages or page >= listed.pages:
            break
        page += 1
    return total
