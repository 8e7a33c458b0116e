"""What the dashboard is given: the engine's database and budgets, the login, and what this
process knows of each connection (its store, rules and order-key slug)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from stationmaster.shipstation import Budget
from stationmaster.stores.protocol import Store
from stationmaster.sync.rules import Rules
from stationmaster.web.dashboard.auth import LoginThrottle, PasswordLogin
from stationmaster.wiretime import utcnow


@dataclass(frozen=True)
class ConnectionSetup:
    """A connection as this process runs it: validation and settings pages need these.

    The database knows every connection; only the processes that run one hold its store and
    rules, so a connection without a setup here shows its numbers but not its rules.
    """

    store: Store
    rules: Rules
    source: str


@dataclass(frozen=True)
class DashboardOptions:
    """How the dashboard behaves; the defaults suit one operator on a big deployment."""

    #: ``None``: no password configured, so only the API token opens the dashboard.
    login: PasswordLogin | None = None
    connections: Mapping[str, ConnectionSetup] = field(default_factory=dict)
    #: Connections per overview page, and dead letters per list page.
    page_size: int = 50
    #: How often the overview refreshes itself.
    refresh_seconds: float = 5.0
    #: Most store orders one validation reads.
    validation_limit: int = 20_000
    #: A queued order due for longer than this makes its connection late.
    late_after: timedelta = timedelta(minutes=10)
    #: No successful tracking poll for this long makes a pushing connection late.
    poll_late_after: timedelta = timedelta(minutes=30)
    #: Longest wait for a store when the order page reads its live copy.
    store_timeout: float = 5.0
    #: Where the pages read the time (tests set it).
    clock: Callable[[], datetime] = utcnow

    def __post_init__(self) -> None:
        if self.page_size < 1 or self.validation_limit < 1:
            raise ValueError("page_size and validation_limit must be at least 1")
        if self.refresh_seconds <= 0 or self.store_timeout <= 0:
            raise ValueError("refresh_seconds and store_timeout must be positive")


@dataclass
class Dashboard:
    """The dashboard's state while it serves: its inputs plus the login throttle."""

    engine: AsyncEngine
    budgets: Mapping[str, Budget]
    options: DashboardOptions
    #: The JSON API's bearer token, which opens the dashboard too (for scripts and curl).
    api_token: str | None = field(default=None, repr=False)
    throttle: LoginThrottle = field(default_factory=LoginThrottle)

    def now(self) -> datetime:
        return self.options.clock()
