"""Reconcilers from configuration: which connections reconcile stock, and with what.

A connection reconciles when its ``[connections.stock]`` table names the environment
variable holding a ShipStation v2 API key (``inventory_api_key_env``). A reconcile holds the
store's levels locked while it counts and writes, so only stores whose levels can be locked
in one transaction take part: the native store and a django-oscar shop (its stock records,
with Django set up as the Oscar connector needs). Any other store kind with the key set is
a configuration error, said at start-up rather than at the first run.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

import httpx2
from sqlalchemy.ext.asyncio import AsyncEngine

from stationmaster import db
from stationmaster.config import ConnectionConfig, Settings
from stationmaster.errors import ConfigError
from stationmaster.shipstation.inventory import InventoryClient, InventoryCredentials
from stationmaster.stock.book import StockBook
from stationmaster.stock.native_book import NativeBook
from stationmaster.stock.runs import Reconciler
from stationmaster.stores.registry import open_store
from stationmaster.sync.push import AuditTrail
from stationmaster.sync.rules import Rules, load_rules

SECONDS_PER_MINUTE = 60.0
#: Store kinds whose levels a reconcile can hold locked (see :mod:`stationmaster.stock.book`).
HELD_KINDS = ("native", "oscar")


def inventory_credentials(
    config: ConnectionConfig, environ: Mapping[str, str] | None = None
) -> InventoryCredentials:
    """The connection's v2 key from the variable its stock settings name, or ``ConfigError``."""
    variable = config.stock.inventory_api_key_env
    if variable is None:
        raise ConfigError(
            f"connection {config.name!r} does not reconcile stock: set "
            "stock.inventory_api_key_env to the variable holding its ShipStation v2 API key"
        )
    key = (os.environ if environ is None else environ).get(variable, "")
    if not key:
        raise ConfigError(f"set {variable} to connection {config.name!r}'s ShipStation v2 API key")
    try:
        return InventoryCredentials(key)
    except ValueError as exc:
        raise ConfigError(f"{variable}: {exc}") from None


async def open_reconciler(
    config: ConnectionConfig,
    engine: AsyncEngine,
    *,
    owner: str,
    transport: httpx2.AsyncBaseTransport | None = None,
    environ: Mapping[str, str] | None = None,
) -> Reconciler:
    """The connection's reconciler; records the connection in the database if it is new.

    The rules are the push's own, with the connection's fixed sync start, so the demand
    counts exactly the orders the push would send.
    """
    kind = config.store.kind
    if kind not in HELD_KINDS:
        raise ConfigError(
            f"connection {config.name!r}: the {kind!r} store cannot be held for a stock "
            "reconcile: it cannot lock its levels for the length of one (the "
            f"{' and '.join(HELD_KINDS)} stores can)"
        )
    credentials = inventory_credentials(config, environ)
    rules = load_rules(config.rules)
    async with engine.begin() as conn:
        await db.ensure_connection(conn, config.name, mode=config.mode, store_kind=kind)
        row = await db.get_connection(conn, config.name)
    if rules.eligibility.sync_start is None and row is not None and row.sync_start is not None:
        eligibility = rules.eligibility.model_copy(update={"sync_start": row.sync_start})
        rules = rules.model_copy(update={"eligibility": eligibility})
    stock = config.stock
    audit = AuditTrail(engine, config.name)

    def open_source() -> InventoryClient:
        return InventoryClient(
            credentials, base_url=stock.inventory_base_url, transport=transport, observer=audit
        )

    return Reconciler(
        engine,
        _book(config, engine, rules),
        open_source,
        owner,
        warehouse_id=stock.warehouse_id,
        chunk=stock.chunk,
        page_size=stock.page_size,
        interval=stock.reconcile_minutes * SECONDS_PER_MINUTE,
        jitter=stock.jitter_seconds,
    )


def _book(config: ConnectionConfig, engine: AsyncEngine, rules: Rules) -> StockBook:
    """The connection's store as a book; opening an Oscar store sets Django up first (or
    says, as a ``ConfigError``, what is missing)."""
    if config.store.kind == "native":
        return NativeBook(engine, config.name, rules, config.source_slug)
    store = open_store(config, engine)
    from stationmaster.stores.oscar.book import OscarBook  # needs Django set up
    from stationmaster.stores.oscar.connector import OscarStore

    if not isinstance(store, OscarStore):
        raise ConfigError(
            f"connection {config.name!r}: the store of kind 'oscar' is not stationmaster's "
            "Oscar connector, whose stock records a reconcile knows how to hold"
        )
    return OscarBook(store, engine, rules, config.source_slug)


async def open_reconcilers(
    settings: Settings,
    engine: AsyncEngine,
    *,
    owner: str,
    transport: httpx2.AsyncBaseTransport | None = None,
) -> list[Reconciler]:
    """A reconciler for every connection whose stock settings name an inventory key."""
    return [
        await open_reconciler(config, engine, owner=owner, transport=transport)
        for config in settings.connections
        if config.stock.inventory_api_key_env is not None
    ]
