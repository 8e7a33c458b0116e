"""Which connector serves a connection: store kinds by name, each with its settings schema.

A kind is data: its name, the pydantic model of the settings it reads from the connection's
``[store]`` table, the capabilities it offers, and a function that opens it. stationmaster's
own kinds are listed here; a third-party package adds its own through the
``stationmaster.stores`` entry-point group (the entry point names a :class:`StoreKind`), so
a connector ships as a plain package and needs no change here.

Settings are checked when the connection is opened, so a typo in ``[store]`` is one clear
configuration error naming the key, not a failure in the middle of a sync.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError
from sqlalchemy.ext.asyncio import AsyncEngine

from stationmaster.config import ConnectionConfig
from stationmaster.errors import ConfigError
from stationmaster.stores.protocol import Capability, Store

ENTRY_POINT_GROUP = "stationmaster.stores"


class NoSettings(BaseModel):
    """The settings of a kind that takes none: any key in ``[store]`` is a mistake."""

    model_config = ConfigDict(extra="forbid")


@dataclass(frozen=True, slots=True)
class StoreContext:
    """What every connector may use besides its own settings."""

    connection: str
    source: str
    engine: AsyncEngine


@dataclass(frozen=True, slots=True)
class StoreKind:
    """One kind of store: ``open(settings, context)`` gives the connection's :class:`Store`.

    ``module`` names the module that holds the connector, imported only when a connection
    uses the kind, so optional dependencies (Django, a GraphQL client) stay optional.
    """

    name: str
    summary: str
    capabilities: frozenset[Capability]
    settings: Callable[[], type[BaseModel]]
    open: Callable[[Any, StoreContext], Store]


def _native_settings() -> type[BaseModel]:
    return NoSettings


def _open_native(settings: Any, context: StoreContext) -> Store:
    from stationmaster.stores.native import NativeStore

    return NativeStore(context.engine, context.connection, source=context.source)


def _settings_of(module: str, attribute: str) -> Callable[[], type[BaseModel]]:
    """A loader of the settings model ``module.attribute``, imported when first needed."""

    def load() -> type[BaseModel]:
        model: type[BaseModel] = getattr(importlib.import_module(module), attribute)
        return model

    return load


def _opener_of(module: str, attribute: str) -> Callable[[Any, StoreContext], Store]:
    """The connector opener ``module.attribute``, imported when a connection uses it."""

    def open_kind(settings: Any, context: StoreContext) -> Store:
        opener: Callable[[Any, StoreContext], Store] = getattr(
            importlib.import_module(module), attribute
        )
        return opener(settings, context)

    return open_kind


BUILTIN: tuple[StoreKind, ...] = (
    StoreKind(
        name="native",
        summary="stationmaster's own order tables, fed by the JSON API, import or Python",
        capabilities=frozenset({"orders", "status", "shipments", "stock", "stock_keys", "delete"}),
        settings=_native_settings,
        open=_open_native,
    ),
    StoreKind(
        name="oscar",
        summary="a django-oscar shop, read and written through Oscar's own models (extra: oscar)",
        capabilities=frozenset({"orders", "status", "shipments", "stock", "stock_keys"}),
        settings=_settings_of("stationmaster.stores.oscar.kind", "OscarSettings"),
        open=_opener_of("stationmaster.stores.oscar.kind", "open_oscar"),
    ),
    StoreKind(
        name="vendure",
        summary="a Vendure server, through its Admin GraphQL API (extra: vendure)",
        # stock_keys too, once stock_keys_field names the custom field that keeps the keys
        capabilities=frozenset({"orders", "status", "shipments", "stock"}),
        settings=_settings_of("stationmaster.stores.vendure.kind", "VendureSettings"),
        open=_opener_of("stationmaster.stores.vendure.kind", "open_vendure"),
    ),
    StoreKind(
        name="medusa",
        summary="a Medusa v2 server, through its Admin REST API",
        capabilities=frozenset({"orders", "status", "shipments"}),
        settings=_settings_of("stationmaster.stores.medusa.kind", "MedusaSettings"),
        open=_opener_of("stationmaster.stores.medusa.kind", "open_medusa"),
    ),
)


def store_kinds() -> dict[str, StoreKind]:
    """Every known kind by name: the built-in ones, then those of installed packages."""
    kinds = {kind.name: kind for kind in BUILTIN}
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        if entry.name in kinds:
            continue
        loaded = entry.load()
        if not isinstance(loaded, StoreKind):
            raise ConfigError(
                f"entry point {entry.name!r} in {ENTRY_POINT_GROUP!r} is not a StoreKind"
            )
        kinds[entry.name] = loaded
    return kinds


def store_settings(connection: ConnectionConfig) -> BaseModel:
    """The connection's ``[store]`` table checked against its kind's settings schema."""
    kind = _kind_of(connection)
    given = connection.store.model_dump(exclude={"kind"})
    try:
        return kind.settings().model_validate(given)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in error['loc']) or '(store)'}: {error['msg']}"
            for error in exc.errors()
        )
        raise ConfigError(
            f"connection {connection.name!r}: [store] settings for kind {kind.name!r}: {problems}"
        ) from None


def open_store(connection: ConnectionConfig, engine: AsyncEngine) -> Store:
    """The store behind ``connection``; an unknown kind or bad settings are configuration errors."""
    kind = _kind_of(connection)
    settings = store_settings(connection)
    context = StoreContext(connection.name, connection.source_slug, engine)
    return kind.open(settings, context)


def _kind_of(connection: ConnectionConfig) -> StoreKind:
    kinds = store_kinds()
    kind = kinds.get(connection.store.kind)
    if kind is None:
        raise ConfigError(
            f"connection {connection.name!r}: unknown store kind {connection.store.kind!r} "
            f"(known: {', '.join(sorted(kinds))})"
        )
    return kind
