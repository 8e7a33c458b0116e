"""The ``stationmaster`` command: thin wrappers over the library's entry points."""

from __future__ import annotations

from cyclopts import App

app = App(name="stationmaster", help="Keep a store's orders, tracking and stock in step with ShipStation.")


def main() -> None:
    app()
