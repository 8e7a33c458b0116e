"""Serving the emulator over real HTTP with uvicorn (``serve()``, ``stationmaster emulator``).

The served emulator also delivers webhooks by itself: a background task sends each queued
delivery once it is ``webhook_delay_seconds`` old, runs the Custom Store refreshes asked for
through the API, and sends shipnotify POSTs after the same delay. Its HTTP protocol lets a
``drop`` fault really cut the TCP connection. The log says where it serves, never the key pair.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Callable

import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from stationmaster.emulator.app import ABORT_KEY
from stationmaster.emulator.config import EmulatorConfig
from stationmaster.emulator.emulator import Emulator

log = logging.getLogger("stationmaster.emulator")

#: How often the background task looks for due webhook deliveries.
DELIVERY_POLL_SECONDS = 0.2
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8900


class AbortingH11Protocol(H11Protocol):
    """uvicorn's h11 protocol, plus a way for the app to cut the connection (``drop``)."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]  # uvicorn narrows BaseTransport the same way
        super().connection_made(transport)
        self.app_state = {**self.app_state, ABORT_KEY: transport.abort}


class _Server(uvicorn.Server):
    """uvicorn's server, telling us once its sockets are bound (the port is known then)."""

    def __init__(self, config: uvicorn.Config, on_started: Callable[[], None]) -> None:
        super().__init__(config)
        self._on_started = on_started

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        if self.started:
            self._on_started()


def _public_host(host: str) -> str:
    return "127.0.0.1" if host in ("0.0.0.0", "::", "") else host


class EmulatorServer:
    """An emulator behind uvicorn; :meth:`run` blocks, :meth:`stop` asks it to finish."""

    def __init__(
        self,
        config: EmulatorConfig | None = None,
        *,
        host: str = DEFAULT_HOST,
        port: int = DEFAULT_PORT,
        emulator: Emulator | None = None,
        log_level: str = "info",
        on_started: Callable[[EmulatorServer], None] | None = None,
    ) -> None:
        self.emulator = emulator if emulator is not None else Emulator(config)
        self.host = host
        self._on_started = on_started
        self._task: asyncio.Task[None] | None = None
        if port:
            self.emulator.base_url = f"http://{_public_host(host)}:{port}"
        self.server = _Server(
            uvicorn.Config(
                self.emulator.app,
                host=host,
                port=port,
                http=AbortingH11Protocol,
                lifespan="on",
                log_level=log_level,
                access_log=False,
            ),
            self._announce,
        )
        self.emulator.app.startup.append(self._start_background)
        self.emulator.app.shutdown.append(self._stop_background)

    @property
    def started(self) -> bool:
        return bool(self.server.started)

    @property
    def port(self) -> int | None:
        """The bound port (useful with ``port=0``), once started."""
        for server in self.server.servers:
            for sock in server.sockets:
                return int(sock.getsockname()[1])
        return None

    def run(self) -> None:
        """Serve until stopped (Ctrl-C, or :meth:`stop` from another thread)."""
        self.server.run()

    def stop(self) -> None:
        self.server.should_exit = True

    async def _start_background(self) -> None:
        self._task = asyncio.create_task(self._background())

    async def _stop_background(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def _announce(self) -> None:
        port = self.port
        if port is not None:
            self.emulator.base_url = f"http://{_public_host(self.host)}:{port}"
        config = self.emulator.config
        log.info(
            "ShipStation v1 emulator serving %s (HTTP Basic with the configured key pair; "
            "rate limit %s; control API at %s/_emulator/)",
            self.emulator.base_url,
            f"{config.limit} per {config.window_seconds:g} s" if config.limit else "off",
            self.emulator.base_url,
        )
        if self._on_started is not None:
            self._on_started(self)

    async def _background(self) -> None:
        while True:
            await asyncio.sleep(DELIVERY_POLL_SECONDS)
            try:
                await self.emulator.deliver_webhooks(due_only=True)
            except Exception:
                log.exception("webhook delivery failed")
            try:
                await self.emulator.run_refreshes()
                await self.emulator.deliver_shipnotices(due_only=True)
            except Exception:
                log.exception("Custom Store refresh or ship notice failed")


def serve(
    config: EmulatorConfig | None = None,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    *,
    on_started: Callable[[EmulatorServer], None] | None = None,
) -> None:
    """Run the emulator on ``host:port`` until interrupted (blocking).

    ``on_started`` is called with the running server once it listens (its ``port`` is then
    known, and its ``stop()`` ends ``serve`` from another thread).
    """
    EmulatorServer(config, host=host, port=port, on_started=on_started).run()
