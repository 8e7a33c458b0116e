"""Which connector serves a connection: store kinds by name, opened from configuration."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine

from stationmaster.config import ConnectionConfig
from stationmaster.errors import ConfigError
from stationmaster.stores.native import NativeStore
from stationmaster.stores.protocol import Store

KINDS = ("native",)


def open_store(connection: ConnectionConfig, engine: AsyncEngine) -> Store:
    """The store behind ``connection``; an unknown kind is a configuration error."""
    kind = connection.store.kind
    if kind == "native":
        return NativeStore(engine, connection.name, source=connection.source_slug)
    raise ConfigError(
        f"connection {connection.name!r}: unknown store kind {kind!r} (known: {', '.join(KINDS)})"
    )
