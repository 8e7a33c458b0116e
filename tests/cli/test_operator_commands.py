"""Operator commands on a config file: init, import, validate --csv, sync push, status, replay."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import httpx2

from stationmaster.testing.factories import make_orders
from tests.served import served_emulator


def command(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "stationmaster", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_import_validate_push_status_replay(tmp_path: Path) -> None:
    with served_emulator() as port:
        _check_operator_commands(tmp_path, port)


def _check_operator_commands(tmp_path: Path, port: int) -> None:
    env = dict(
        os.environ,
        SHIPSTATION_KEY="K",
        SHIPSTATION_SECRET="S",
        STATIONMASTER__CONNECTIONS__MAIN__SHIPSTATION__BASE_URL=f"http://127.0.0.1:{port}",
        STATIONMASTER__CONNECTIONS__MAIN__SHIPSTATION__WINDOW_SECONDS="2",
    )
    init = command("init", env=env, cwd=tmp_path)
    assert init.returncode == 0, init.stderr
    assert (tmp_path / "stationmaster.toml").exists()

    orders = make_orders(12, seed=4)
    broken = orders[3].model_copy(update={"shipping": None, "billing": None})
    lines = [o.model_dump_json() for o in orders[:3]] + [broken.model_dump_json()]
    lines += [o.model_dump_json() for o in orders[4:]] + ["{not json", ""]
    (tmp_path / "orders.jsonl").write_text("\n".join(lines), encoding="utf-8")
    imported = command("import", "orders.jsonl", env=env, cwd=tmp_path)
    assert imported.returncode == 0, imported.stderr
    assert "12" in imported.stdout and "line 13" in imported.stdout

    checked = command("validate", "--csv", "problems.csv", env=env, cwd=tmp_path)
    assert checked.returncode == 1  # one order would be refused
    with (tmp_path / "problems.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert any(r["source_id"] == broken.source_id and r["severity"] == "error" for r in rows)

    pushed = command("sync", "push", env=env, cwd=tmp_path)
    assert pushed.returncode == 0, pushed.stderr
    assert "accepted 11" in pushed.stdout and "refused 1" in pushed.stdout

    status = command("status", env=env, cwd=tmp_path)
    assert status.returncode == 0 and "main" in status.stdout and "11" in status.stdout

    nothing = command("replay", env=env, cwd=tmp_path)
    assert nothing.returncode == 2 and "--all" in nothing.stderr
    replayed = command("replay", "--all", env=env, cwd=tmp_path)
    assert replayed.returncode == 0 and "replayed 0" in replayed.stdout

    listed = httpx2.get(
        f"http://127.0.0.1:{port}/orders", params={"pageSize": 500}, auth=("K", "S"), timeout=10
    )
    assert listed.json()["total"] == 11


def test_a_bad_config_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "stationmaster.toml").write_text("[database\nurl = 1", encoding="utf-8")
    result = command("status", env=dict(os.environ), cwd=tmp_path)
    assert result.returncode == 2
    assert "not valid TOML" in result.stderr
