"""Store kinds: built-in and installed ones, each with its settings checked up front."""

from importlib.metadata import EntryPoint
from typing import Any

import pytest
from pydantic import BaseModel, ConfigDict
from sqlalchemy.ext.asyncio import AsyncEngine

from stationmaster.config import ConnectionConfig
from stationmaster.errors import ConfigError
from stationmaster.stores import Store, registry
from stationmaster.stores.native import NativeStore
from stationmaster.stores.registry import StoreContext, StoreKind, open_store, store_kinds


def _connection(**store: Any) -> ConnectionConfig:
    return ConnectionConfig.model_validate({"name": "shop", "store": store})


def test_the_built_in_kinds_are_listed_with_what_they_offer() -> None:
    kinds = store_kinds()
    assert {"native", "oscar", "vendure"} <= set(kinds)
    assert kinds["native"].capabilities == {
        "orders", "status", "shipments", "stock", "stock_keys", "delete"
    }  # fmt: skip


def test_native_opens_and_its_capabilities_match_the_listing(engine: AsyncEngine) -> None:
    store = open_store(_connection(kind="native"), engine)
    assert isinstance(store, NativeStore)
    assert store.capabilities == store_kinds()["native"].capabilities


def test_an_unknown_kind_is_one_configuration_error_naming_the_known(engine: AsyncEngine) -> None:
    with pytest.raises(ConfigError, match=r"unknown store kind 'shopify'.*native.*oscar"):
        open_store(_connection(kind="shopify"), engine)


def test_a_setting_the_kind_does_not_take_is_refused_by_name(engine: AsyncEngine) -> None:
    with pytest.raises(ConfigError, match=r"\[store\] settings for kind 'native': colour"):
        open_store(_connection(kind="native", colour="blue"), engine)


class _ToySettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    greeting: str


def _open_toy(settings: Any, context: StoreContext) -> Store:
    assert isinstance(settings, _ToySettings)
    return NativeStore(context.engine, context.connection, source=settings.greeting)


TOY = StoreKind(
    name="toy",
    summary="a kind from an installed package",
    capabilities=frozenset({"orders"}),
    settings=lambda: _ToySettings,
    open=_open_toy,
)


def _entry_point(name: str, value: str) -> EntryPoint:
    return EntryPoint(name=name, value=value, group=registry.ENTRY_POINT_GROUP)


def test_an_installed_package_adds_a_kind_through_its_entry_point(
    monkeypatch: pytest.MonkeyPatch, engine: AsyncEngine
) -> None:
    monkeypatch.setattr(
        registry,
        "entry_points",
        lambda group: [_entry_point("toy", f"{__name__}:TOY")],
    )
    assert store_kinds()["toy"] is TOY
    store = open_store(_connection(kind="toy", greeting="hello"), engine)
    assert isinstance(store, NativeStore) and store.source == "hello"
    with pytest.raises(ConfigError, match="greeting: Field required"):
        open_store(_connection(kind="toy"), engine)


def test_an_entry_point_that_is_not_a_kind_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        registry,
        "entry_points",
        lambda group: [_entry_point("odd", f"{__name__}:_ToySettings")],
    )
    with pytest.raises(ConfigError, match=r"'odd'.*is not a StoreKind"):
        store_kinds()


def test_an_entry_point_cannot_replace_a_built_in_kind(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        registry,
        "entry_points",
        lambda group: [_entry_point("native", f"{__name__}:TOY")],
    )
    assert store_kinds()["native"].name == "native"
