"""The test shop: Django set up once per session on a fresh SQLite file, and its store.

Django is configured here, in a session fixture, so only a session that runs these tests
sets it up; tests of other packages never import Django.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import pytest

from stationmaster.stores.oscar.kind import OscarSettings
from stationmaster.stores.oscar.orm import run_orm
from tests.stores.oscar.placing import Shop

if TYPE_CHECKING:
    from stationmaster.stores.oscar.connector import OscarStore

T = TypeVar("T")

SETTINGS_MODULE = "tests.stores.oscar.shop.settings"
STOCK_SKU = "KIT-STOCK-1"


@pytest.fixture(scope="session")
def oscar_shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Django set up with the test shop's settings and its tables created; the DB file."""
    from stationmaster.stores.oscar.setup import configure

    database = tmp_path_factory.mktemp("oscar") / "shop.sqlite3"
    os.environ["STATIONMASTER_OSCAR_TEST_DB"] = str(database)
    configure(SETTINGS_MODULE)
    from django.core.management import call_command
    from django.db import connections

    call_command("migrate", run_syncdb=True, verbosity=0)
    _stock_record()
    connections.close_all()
    yield database
    connections.close_all()


def _stock_record() -> None:
    from decimal import Decimal

    from stationmaster.domain import Line
    from tests.stores.oscar.placing import product_for

    product_for(
        Line(line_id="stock", sku=STOCK_SKU, name="Stock item", quantity=1, unit_price=Decimal(5))
    )


@pytest.fixture
def store(oscar_shop: Path) -> OscarStore:
    """The test shop's store with default settings."""
    from stationmaster.stores.oscar.connector import OscarStore

    return OscarStore(OscarSettings(), connection="shop")


@pytest.fixture
def shop(oscar_shop: Path) -> Shop:
    """Ways into the test shop (place, update, break orders), for sync code."""
    return Shop()


async def in_shop(work: Callable[[], T]) -> T:
    """``work()`` against the shop's ORM from an async test (in a worker thread)."""
    return await run_orm(work)
