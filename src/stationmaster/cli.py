"""The ``stationmaster`` command: thin wrappers over the library's entry points."""

from __future__ import annotations

import os
from typing import Annotated

from cyclopts import App, Parameter

app = App(
    name="stationmaster",
    help="Keep a store's orders, tracking and stock in step with ShipStation.",
)


@app.command
def emulator(
    *,
    host: str = "127.0.0.1",
    port: int = 8900,
    api_key: Annotated[str, Parameter(env_var="STATIONMASTER_EMULATOR_KEY")] = "K",
    api_secret: Annotated[str, Parameter(env_var="STATIONMASTER_EMULATOR_SECRET")] = "S",
    limit: int = 40,
    window_seconds: float = 60.0,
) -> None:
    """Serve a ShipStation v1 emulator (REST API plus a control API under /_emulator/).

    Parameters
    ----------
    host
        Interface to bind; keep it on loopback unless you mean to share the emulator.
    port
        TCP port.
    api_key
        Key half of the Basic credentials the emulator accepts.
    api_secret
        Secret half of the Basic credentials the emulator accepts.
    limit
        Requests allowed per window and key pair (ShipStation: 40).
    window_seconds
        Length of the rate-limit window (ShipStation: 60 s); shorten it to compress time.
    """
    from stationmaster.emulator import EmulatorConfig, serve

    config = EmulatorConfig(
        api_key=api_key, api_secret=api_secret, limit=limit, window_seconds=window_seconds
    )
    serve(config, host=host, port=port)


@app.command
def demo(*, host: str = "127.0.0.1", port: int = 8900) -> None:
    """Start a seeded ShipStation emulator and say what it serves.

    Parameters
    ----------
    host
        Interface to bind.
    port
        TCP port.
    """
    from stationmaster.emulator import EmulatorConfig, serve

    key = os.environ.get("STATIONMASTER_EMULATOR_KEY", "K")
    secret = os.environ.get("STATIONMASTER_EMULATOR_SECRET", "S")
    shown = "S" if secret == "S" else "<secret>"  # only the demo's own fake secret is printed
    print(f"ShipStation emulator on http://{host}:{port}")
    print(f"  try: curl -u {key}:{shown} http://{host}:{port}/stores")
    print(f"  control API: http://{host}:{port}/_emulator/  (see docs/emulator.md)")
    serve(EmulatorConfig(api_key=key, api_secret=secret), host=host, port=port)


def main() -> None:
    app()
