"""``python manage.py stationmaster ...``: the stationmaster command inside the shop's process.

Everything after ``stationmaster`` goes to the ``stationmaster`` CLI (``run``, ``sync push``,
``sync pull``, ``status``, ``validate`` ...), which then finds Django already set up with the
shop's settings: an ``oscar`` connection needs no ``settings_module``. One command of its own:

``resync [--since YYYY-MM-DD]``
    Logs every order (placed on or after the date) as changed, so the next sync pass reads
    them again: the way to catch up after ``QuerySet.update()``, ``bulk_create`` or raw SQL,
    which the app's signals cannot see.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date, datetime, time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from stationmaster.errors import StationmasterError

#: Django's own options, already applied by ``manage.py`` before the command runs.
_DJANGO_OPTIONS = ("--settings", "--pythonpath")


class Command(BaseCommand):
    help = (
        "Run stationmaster inside this shop (run, sync push, sync pull, status, validate ...); "
        "'resync [--since YYYY-MM-DD]' logs every order as changed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "arguments",
            nargs=argparse.REMAINDER,
            help="a stationmaster command and its options, or resync [--since YYYY-MM-DD]",
        )

    def run_from_argv(self, argv: list[str]) -> None:
        """Hand the arguments over untouched: Django's parser would take the stationmaster
        options (``--config``, ``--help``) for its own."""
        try:
            self._dispatch(_without_django_options(argv[2:]))
        except CommandError as exc:
            self.stderr.write(f"CommandError: {exc}")
            sys.exit(exc.returncode)

    def handle(self, *args: Any, **options: Any) -> None:
        self._dispatch(list(options["arguments"]))

    def _dispatch(self, arguments: list[str]) -> None:
        if arguments[:1] == ["resync"]:
            self._resync(arguments[1:])
            return
        from cyclopts import CycloptsError

        from stationmaster.cli import app

        try:
            app(arguments, exit_on_error=False, print_error=False, result_action="return_value")
        except CycloptsError as exc:
            raise CommandError(str(exc).strip()) from None
        except StationmasterError as exc:
            raise CommandError(str(exc)) from None

    def _resync(self, arguments: list[str]) -> None:
        from stationmaster.stores.oscar.changelog import resync

        parser = argparse.ArgumentParser(prog="manage.py stationmaster resync", exit_on_error=False)
        parser.add_argument("--since", type=date.fromisoformat, default=None)
        try:
            given, unknown = parser.parse_known_args(arguments)
        except (argparse.ArgumentError, ValueError) as exc:
            raise CommandError(f"resync [--since YYYY-MM-DD]: {exc}") from None
        if unknown:
            raise CommandError(f"resync [--since YYYY-MM-DD]: unexpected {' '.join(unknown)}")
        since = None
        if given.since is not None:
            since = datetime.combine(given.since, time())
            if timezone.is_naive(since) and timezone.is_aware(timezone.now()):
                since = timezone.make_aware(since)
        count = resync(since)
        self.stdout.write(f"logged {count} orders as changed; the next sync pass reads them again")


def _without_django_options(arguments: list[str]) -> list[str]:
    kept: list[str] = []
    skip = False
    for argument in arguments:
        if skip:
            skip = False
        elif argument in _DJANGO_OPTIONS:
            skip = True
        elif not argument.startswith(tuple(f"{option}=" for option in _DJANGO_OPTIONS)):
            kept.append(argument)
    return kept
