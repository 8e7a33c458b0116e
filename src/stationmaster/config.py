"""stationmaster's configuration: one typed object from ``stationmaster.toml`` and the environment.

Every value in the file can also be set by an environment variable, so a deployment can keep
secrets and per-host values out of the file: ``STATIONMASTER__DATABASE__URL`` sets
``[database] url``; ``STATIONMASTER__CONNECTIONS__MAIN__SHIPSTATION__STORE_ID`` sets
``store_id`` inside the connection named ``main``. Secrets themselves are never in the file:
the file names the environment variables that hold them.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from stationmaster.errors import ConfigError
from stationmaster.shipstation.credentials import Credentials

ENV_PREFIX = "STATIONMASTER__"
DEFAULT_FILE = "stationmaster.toml"


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DatabaseConfig(Section):
    url: str = "sqlite:///stationmaster.db"


class WebConfig(Section):
    host: str = "127.0.0.1"
    port: int = Field(8800, ge=0, le=65535)
    #: Environment variable holding the bearer token of the JSON API.
    api_token_env: str = "STATIONMASTER_API_TOKEN"
    #: Public base URL ShipStation can reach (for webhooks and the Custom Store endpoint).
    public_url: str | None = None
    #: Environment variable holding the dashboard's password (hashed as soon as it is read).
    dashboard_password_env: str = "STATIONMASTER_DASHBOARD_PASSWORD"
    #: Or the password's scrypt hash: ``python -m stationmaster.web.dashboard.passwords``.
    dashboard_password_hash: str | None = Field(None, pattern=r"^scrypt\$")
    #: Environment variable holding the key that signs dashboard sessions; without it each
    #: process draws its own, so a restart logs everyone out.
    session_secret_env: str = "STATIONMASTER_SESSION_SECRET"
    #: How long a dashboard login lasts.
    session_hours: float = Field(12.0, gt=0, le=24 * 30)
    #: Mark the session cookie Secure even on plain HTTP (set it behind a TLS proxy).
    secure_cookies: bool = False


class ShipStationConfig(Section):
    """Where and as whom a connection talks to ShipStation."""

    api_key_env: str = "SHIPSTATION_KEY"
    api_secret_env: str = "SHIPSTATION_SECRET"
    base_url: str = "https://ssapi.shipstation.com"
    store_id: int | None = None
    limit: int = Field(40, ge=1)
    window_seconds: float = Field(60.0, gt=0)
    #: Requests per window left for other apps that share the key pair.
    reserve: int = Field(0, ge=0)

    def credentials(self, environ: Mapping[str, str] | None = None) -> Credentials:
        env = os.environ if environ is None else environ
        key, secret = env.get(self.api_key_env), env.get(self.api_secret_env)
        if not key or not secret:
            raise ConfigError(
                f"ShipStation credentials missing: set the environment variables "
                f"{self.api_key_env} and {self.api_secret_env}"
            )
        try:
            return Credentials(key, secret)
        except ValueError as exc:
            raise ConfigError(str(exc)) from None


class StoreConfig(BaseModel):
    """Which store a connection syncs; the remaining keys belong to that store's connector."""

    model_config = ConfigDict(extra="allow")

    kind: str = "native"


class StockConfig(Section):
    """The connection's full stock reconcile against ShipStation's v2 inventory.

    Off until ``inventory_api_key_env`` names the variable holding a v2 API key. Then every
    ``reconcile_minutes`` (plus up to ``jitter_seconds`` at random, so many workers and
    connections do not all ask at once) the store's levels are set from ShipStation's
    ``available`` less the orders it has not taken yet; see ``docs/stock.md``.
    """

    reconcile_minutes: float = Field(60.0, gt=0)
    jitter_seconds: float = Field(300.0, ge=0)
    inventory_api_key_env: str | None = None
    inventory_base_url: str = "https://api.shipstation.com"
    #: Only this v2 inventory warehouse counts; without it, every warehouse's levels add up.
    warehouse_id: str | None = None
    #: SKUs locked and written per statement, and levels asked per page.
    chunk: int = Field(1000, ge=1, le=100_000)
    page_size: int = Field(500, ge=1, le=500)


class ConnectionConfig(Section):
    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$")
    mode: Literal["push", "pull"] = "push"
    #: Slug that prefixes every orderKey; frozen once the first order is pushed.
    source: str | None = Field(None, pattern=r"^[a-z0-9][a-z0-9_-]{0,19}$")
    store: StoreConfig = Field(default_factory=StoreConfig)
    shipstation: ShipStationConfig = Field(default_factory=ShipStationConfig)
    #: The sync rules (see :mod:`stationmaster.sync.rules`), kept as data until used.
    rules: dict[str, Any] = Field(default_factory=dict)
    poll_seconds: float = Field(5.0, gt=0)
    #: Environment variable holding the secret token in this connection's webhook URL;
    #: without one the connection takes no webhooks (polling alone brings tracking back).
    webhook_token_env: str | None = None
    #: Environment variables holding the user name and password ShipStation sends to this
    #: connection's Custom Store URL (``mode = "pull"``); without both the URL refuses everyone.
    customstore_user_env: str | None = None
    customstore_password_env: str | None = None
    stock: StockConfig = Field(default_factory=StockConfig)

    @property
    def source_slug(self) -> str:
        return self.source or self.store.kind


class WorkerConfig(Section):
    """How a worker shares keys with the others (see :mod:`stationmaster.engine.scheduler`)."""

    #: Keys one worker process serves at the same time.
    concurrency: int = Field(4, ge=1, le=10_000)
    #: Longest turn on one key before it goes to the back of the queue.
    turn_seconds: float = Field(60.0, gt=0)
    #: A lease not renewed for this long is taken over (a dead worker's keys move on).
    lease_seconds: float = Field(15.0, ge=1)


class Settings(Section):
    database: DatabaseConfig = Field(default_factory=DatabaseConfig)
    web: WebConfig = Field(default_factory=WebConfig)
    worker: WorkerConfig = Field(default_factory=WorkerConfig)
    connections: list[ConnectionConfig] = Field(default_factory=list)

    @field_validator("connections")
    @classmethod
    def _unique_names(cls, value: list[ConnectionConfig]) -> list[ConnectionConfig]:
        names = [c.name for c in value]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"connection names must be unique; repeated: {', '.join(duplicates)}")
        return value

    def connection(self, name: str) -> ConnectionConfig:
        for connection in self.connections:
            if connection.name == name:
                return connection
        known = ", ".join(c.name for c in self.connections) or "none"
        raise ConfigError(f"no connection named {name!r} (configured: {known})")


def _apply_env(data: dict[str, Any], environ: Mapping[str, str]) -> None:
    """Overlay ``STATIONMASTER__A__B=value`` onto the parsed file, connections by name."""
    for variable, value in sorted(environ.items()):
        if not variable.startswith(ENV_PREFIX):
            continue
        path = [part.lower() for part in variable[len(ENV_PREFIX) :].split("__") if part]
        if not path:
            continue
        target: dict[str, Any] = data
        if path[0] == "connections":
            if len(path) < 3:
                raise ConfigError(f"{variable}: name a connection and a key")
            connections = data.setdefault("connections", [])
            match = next(
                (c for c in connections if str(c.get("name", "")).lower() == path[1]), None
            )
            if match is None:
                match = {"name": path[1]}
                connections.append(match)
            target, path = match, path[2:]
        for key in path[:-1]:
            nested = target.setdefault(key, {})
            if not isinstance(nested, dict):
                raise ConfigError(f"{variable}: {key!r} is not a table")
            target = nested
        target[path[-1]] = value


def load_settings(
    path: str | Path | None = None, *, environ: Mapping[str, str] | None = None
) -> Settings:
    """Read the file (if it exists), overlay the environment, validate; errors name the key."""
    env = os.environ if environ is None else environ
    file = Path(path) if path is not None else Path(env.get("STATIONMASTER_CONFIG", DEFAULT_FILE))
    data: dict[str, Any] = {}
    if file.exists():
        try:
            data = tomllib.loads(file.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{file}: not valid TOML: {exc}") from None
    elif path is not None:
        raise ConfigError(f"configuration file {file} does not exist")
    _apply_env(data, env)
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
        )
        raise ConfigError(f"{file}: {problems}") from None
