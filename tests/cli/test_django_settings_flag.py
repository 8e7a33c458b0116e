"""``--django-settings``: taken off the command line before the command, or a clear error."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from stationmaster.cli import take_django_settings
from stationmaster.errors import StationmasterError


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["status"], (None, ["status"])),
        (["--django-settings", "shop.settings", "run"], ("shop.settings", ["run"])),
        (["--django-settings=shop.settings", "sync", "push"], ("shop.settings", ["sync", "push"])),
        (["sync", "push", "--django-settings", "s"], ("s", ["sync", "push"])),
    ],
)
def test_the_flag_is_taken_out_wherever_it_stands(
    argv: list[str], expected: tuple[str | None, list[str]]
) -> None:
    assert take_django_settings(argv) == expected


@pytest.mark.parametrize(
    "argv", [["--django-settings"], ["--django-settings", "--config", "x"], ["--django-settings="]]
)
def test_a_flag_without_a_module_is_refused(argv: list[str]) -> None:
    with pytest.raises(StationmasterError, match="needs a settings module"):
        take_django_settings(argv)


def test_a_settings_module_that_does_not_import_is_one_line_not_a_traceback(
    tmp_path: Path,
) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "stationmaster",
            "--django-settings",
            "no_such_shop.settings",
            "status",
        ],
        env=dict(os.environ),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    assert "no_such_shop.settings" in done.stderr
    assert "Traceback" not in done.stderr
