"""Setting Django up, the kind in stationmaster's registry, and ``manage.py stationmaster``."""

from __future__ import annotations

from pathlib import Path

import pytest

from stationmaster.config import ConnectionConfig, StoreConfig
from stationmaster.db import create_engine
from stationmaster.errors import ConfigError
from stationmaster.stores.registry import open_store, store_settings
from stationmaster.testing.factories import plain_order
from tests.stores.oscar.conftest import SETTINGS_MODULE
from tests.stores.oscar.placing import place

pytestmark = pytest.mark.filterwarnings("ignore:update is not implemented")


def _manage(*arguments: str) -> int:
    """``manage.py`` with these arguments, in this process; its exit status."""
    from django.core.management import execute_from_command_line

    try:
        execute_from_command_line(["manage.py", *arguments])
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0


def _oscar(**store: object) -> ConnectionConfig:
    return ConnectionConfig(name="shop", store=StoreConfig(kind="oscar", **store))


def test_a_misspelt_setting_is_a_configuration_error_naming_it() -> None:
    with pytest.raises(ConfigError, match="shiped_event_type"):
        store_settings(_oscar(shiped_event_type="Dispatched"))
    with pytest.raises(ConfigError, match="gap_wait_seconds"):
        store_settings(_oscar(gap_wait_seconds=-1))


def test_the_registry_opens_the_shop_django_runs(oscar_shop: Path, tmp_path: Path) -> None:
    from stationmaster.stores.oscar.connector import OscarStore
    from stationmaster.stores.oscar.errors import DjangoNotReady
    from stationmaster.stores.oscar.setup import configure

    engine = create_engine(f"sqlite:///{tmp_path}/unused.db")
    store = open_store(
        _oscar(settings_module=SETTINGS_MODULE, voided_event_type="Cancelled"), engine
    )
    assert isinstance(store, OscarStore)
    assert store.event_types.voided == "Cancelled"
    configure(SETTINGS_MODULE)  # the same settings again: nothing to do
    with pytest.raises(DjangoNotReady, match="already set up"):
        configure("another_shop.settings")


def test_the_shipped_migrations_match_the_models(oscar_shop: Path) -> None:
    assert _manage("makemigrations", "stationmaster_oscar", "--check", "--dry-run") == 0


def test_resync_from_manage_py_logs_the_orders_since_a_date(
    oscar_shop: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from stationmaster.stores.oscar.models import OrderChange

    order = place(plain_order(number="CMD-1"))
    last = OrderChange.objects.order_by("-id").first()
    assert last is not None
    since = ["--since", "2026-11-20"]
    assert _manage("stationmaster", "resync", *since, f"--settings={SETTINGS_MODULE}") == 0
    logged = list(OrderChange.objects.filter(id__gt=last.id).values_list("order_id", "what"))
    assert (order.pk, "resync") in logged
    assert f"logged {len(logged)} orders as changed" in capsys.readouterr().out
    assert _manage("stationmaster", "resync", "--since", "soon") == 1
    assert "resync [--since YYYY-MM-DD]" in capsys.readouterr().err


def test_the_stationmaster_cli_runs_inside_the_shop(
    oscar_shop: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    place(plain_order(number="CMD-2"))
    config = tmp_path / "stationmaster.toml"
    config.write_text(
        f'[database]\nurl = "sqlite:///{tmp_path}/stationmaster.db"\n\n'
        '[[connections]]\nname = "shop"\nsource = "oscar"\nstore = { kind = "oscar" }\n',
        encoding="utf-8",
    )
    status = _manage("stationmaster", "validate", "--config", str(config))
    out = capsys.readouterr().out
    assert "shop: " in out and " checked: " in out, out
    checked = int(out.split("shop: ", 1)[1].split(" checked", 1)[0])
    assert checked >= 1
    assert status in (0, 1), "1 when an order of the shared test shop breaks a rule"
    assert _manage("stationmaster", "no-such-command") == 1
    assert "no-such-command" in capsys.readouterr().err
