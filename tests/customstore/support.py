"""Shared helpers for the Custom Store tests: the schema, and orders stored at chosen times."""

from datetime import datetime
from functools import cache
from pathlib import Path

from lxml import etree
from sqlalchemy.ext.asyncio import AsyncEngine

from stationmaster import db
from stationmaster.domain import Order
from stationmaster.sync.mapping import order_key

XSD = Path("/work/shared/reference/shipstation-custom-store.xsd")
SOURCE = "shop"


@cache
def schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(XSD)))


def assert_valid(document: bytes) -> etree._Element:
    """Parse ``document`` strictly and validate it against the published XSD."""
    root = etree.fromstring(document, etree.XMLParser(resolve_entities=False))
    xsd = schema()
    assert xsd.validate(root), xsd.error_log
    return root


async def store_at(engine: AsyncEngine, connection: str, order: Order, at: datetime) -> None:
    """Store ``order`` as the native store does, modified at ``at``."""
    document = order.model_dump(mode="json", exclude={"status", "deleted"})
    async with engine.begin() as conn:
        await db.upsert_native_order(
            conn,
            connection,
            order.source_id,
            order_key(SOURCE, order.source_id),
            document,
            order.status,
            now=at,
        )
