"""``stationmaster stock``: a dry run prints the deltas and writes nothing; the real run and a
keyed adjustment change the store, against the emulator served over HTTP."""

import threading
from collections.abc import Iterator
from pathlib import Path

import anyio
import pytest

from stationmaster import db
from stationmaster.cli import _unkept_line, main
from stationmaster.emulator import EmulatorConfig, EmulatorServer
from stationmaster.emulator.v2config import V2Config
from stationmaster.stock.plan import Plan
from stationmaster.stock.reconcile import Reconciled
from stationmaster.stores.native import NativeStore

V2_KEY = "test-v2-key"


@pytest.fixture
def served() -> Iterator[EmulatorServer]:
    config = EmulatorConfig(v2=V2Config(api_key=V2_KEY, limit=None))
    started = threading.Event()
    server = EmulatorServer(
        config,
        host="127.0.0.1",
        port=0,
        log_level="warning",
        on_started=lambda _: started.set(),
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        assert started.wait(20), "the emulator did not start"
        yield server
    finally:
        server.stop()
        thread.join(timeout=10)


def cli(*args: str) -> int:
    """Run the command in this process; its exit code."""
    try:
        main(list(args))
    except SystemExit as done:
        return int(done.code or 0)
    return 0


def _config(tmp_path: Path, port: int) -> Path:
    path = tmp_path / "stationmaster.toml"
    path.write_text(
        f"""
[database]
url = "sqlite:///{tmp_path / "stock.db"}"

[[connections]]
name = "shop"
source = "shop"
store = {{ kind = "native" }}

[connections.stock]
inventory_api_key_env = "SM_TEST_V2_KEY"
inventory_base_url = "http://127.0.0.1:{port}"
""",
        encoding="utf-8",
    )
    return path


async def _seed(url: str) -> None:
    engine = db.create_engine(url)
    try:
        await db.upgrade_async(engine)
        async with engine.begin() as conn:
            await db.ensure_connection(conn, "shop", mode="push", store_kind="native")
        store = NativeStore(engine, "shop", source="shop")
        await store.adjust_stock("TEA", 2)
        await store.adjust_stock("MUG", 9)
    finally:
        await engine.dispose()


async def _levels(url: str) -> dict[str, int]:
    engine = db.create_engine(url)
    try:
        async with engine.connect() as conn:
            return {s.sku: s.on_hand for s in await db.list_native_stock(conn, "shop")}
    finally:
        await engine.dispose()


def test_dry_run_then_real_run_then_a_keyed_adjustment(
    served: EmulatorServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("SM_TEST_V2_KEY", V2_KEY)
    assert served.port is not None
    config = _config(tmp_path, served.port)
    url = f"sqlite:///{tmp_path / 'stock.db'}"
    anyio.run(_seed, url)
    served.emulator.set_inventory(
        [{"sku": "TEA", "on_hand": 12, "allocated": 2}, {"sku": "MUG", "on_hand": 9}]
    )

    assert cli("stock", "reconcile", "--dry-run", "--config", str(config)) == 0
    printed = capsys.readouterr().out
    assert "shop: 2 SKUs, would change 1 (0 new)" in printed
    assert "nothing written" in printed and "TEA" in printed and "+8" in printed
    assert anyio.run(_levels, url) == {"TEA": 2, "MUG": 9}

    assert cli("stock", "reconcile", "--config", str(config)) == 0
    assert "shop: 2 SKUs, changed 1 (0 new)" in capsys.readouterr().out
    assert anyio.run(_levels, url) == {"TEA": 10, "MUG": 9}

    for expected in ("TEA: applied, on hand 13", "TEA: duplicate, on hand 13"):
        assert cli("stock", "adjust", "TEA", "3", "--key", "k-1", "--config", str(config)) == 0
        assert expected in capsys.readouterr().out
    assert cli("stock", "adjust", "GHOST", "1", "--key", "k-2", "--config", str(config)) == 1
    assert "GHOST: unknown_sku" in capsys.readouterr().out


def test_a_connection_without_an_inventory_key_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "stationmaster.toml"
    config.write_text(
        f'[database]\nurl = "sqlite:///{tmp_path / "x.db"}"\n\n[[connections]]\nname = "shop"\n',
        encoding="utf-8",
    )
    assert cli("stock", "reconcile", "--config", str(config)) == 2
    assert "set stock.inventory_api_key_env" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("limit", "shown"),
    [(2, "A-1, B-2 and 1 more"), (0, "A-1, B-2, C-3")],
)
def test_skus_the_store_cannot_keep_are_named(limit: int, shown: str) -> None:
    result = Reconciled(
        connection="shop",
        run_id="r",
        dry_run=True,
        plan=Plan(unkept=["C-3", "A-1", "B-2"]),
        locked=0,
        moved=0,
        listed=3,
        calls=1,
        seconds=0.1,
    )
    assert _unkept_line(result, limit) == (
        f"shop: ShipStation counts 3 SKUs the store keeps no stock of, left alone: {shown}"
    )
