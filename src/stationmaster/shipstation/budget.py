"""The request budget of one ShipStation API key pair: how many calls may go, and when.

ShipStation v1 allows a fixed number of requests (40) per 60-second window per key pair,
shared by every app that uses the pair, and answers 429 once the window is spent. Its window
is fixed, but nobody outside ShipStation knows where it starts. So the budget keeps a
*sliding* log of its own grant times and never lets more than ``limit - reserve`` requests
through in **any** interval of ``window`` seconds: whatever the alignment of the server's
window, it holds no more than that.

Other apps spending the same key show up only in the response headers
(``X-Rate-Limit-Remaining`` / ``-Reset`` / ``-Limit``) and in 429s. Those only ever *lower*
the budget: a header can add a restriction, never lift one, and garbage is ignored. A 429
blocks every request until the wait it asks for has passed.

One budget belongs to the single owner of a key (the lease holder). When the lease changes
hands, :meth:`Budget.snapshot` gives a :class:`BudgetState` of plain, JSON-friendly values
with every time relative to "now", so :meth:`Budget.restore` in another process (with
another clock origin) keeps every restriction.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

import anyio

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]

LIMIT_HEADER = "x-rate-limit-limit"
REMAINING_HEADER = "x-rate-limit-remaining"
RESET_HEADER = "x-rate-limit-reset"


@dataclass(frozen=True, slots=True)
class HeaderCap:
    """At most ``remaining`` more requests before ``resets_in`` seconds from now.

    What an ``X-Rate-Limit-Remaining`` / ``X-Rate-Limit-Reset`` pair taught the budget,
    already reduced by the reserve and by the requests granted since it was read.
    """

    remaining: int
    resets_in: float

    def __post_init__(self) -> None:
        _require_count("header cap remaining", self.remaining, minimum=0)
        _require_seconds("header cap resets_in", self.resets_in)


@dataclass(frozen=True, slots=True)
class BudgetState:
    """Everything a budget knows, as plain values; times are seconds relative to "now".

    Relative times survive a change of process (a monotonic clock has no shared origin), and
    a state restored later than it was taken is only stricter than needed, never looser.
    """

    limit: int
    window: float
    reserve: int
    #: How long ago each grant still inside the window was made, oldest first.
    grant_ages: tuple[float, ...] = ()
    #: Restrictions learned from response headers that have not expired yet.
    header_caps: tuple[HeaderCap, ...] = ()
    #: Seconds during which nothing may be sent (after a 429).
    blocked_for: float = 0.0

    def __post_init__(self) -> None:
        _validate_shape(self.limit, self.window, self.reserve)
        for age in self.grant_ages:
            _require_seconds("grant age", age)
        for cap in self.header_caps:
            if not isinstance(cap, HeaderCap):
                raise ValueError(f"header_caps must hold HeaderCap values, got {cap!r}")
            if cap.resets_in > self.window:
                # The server's window resets within one window; a longer cap is not a header's.
                raise ValueError(
                    f"header cap resets_in must not exceed the window ({self.window}), "
                    f"got {cap.resets_in}"
                )
        _require_seconds("blocked_for", self.blocked_for)

    def to_dict(self) -> dict[str, object]:
        """The state as JSON-ready builtins (what the lease row stores)."""
        return {
            "limit": self.limit,
            "window": self.window,
            "reserve": self.reserve,
            "grant_ages": list(self.grant_ages),
            "header_caps": [
                {"remaining": cap.remaining, "resets_in": cap.resets_in} for cap in self.header_caps
            ],
            "blocked_for": self.blocked_for,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> BudgetState:
        """Read :meth:`to_dict`'s output back; anything malformed raises a clear ``ValueError``.

        Unknown keys are refused rather than dropped: they mean a state written by something
        else, and guessing would risk a budget looser than the one that was saved.
        """
        if not isinstance(data, Mapping):
            raise ValueError(f"budget state must be a mapping, got {type(data).__name__}")
        _require_keys(
            "budget state",
            data,
            required={"limit", "window", "reserve"},
            optional={"grant_ages", "header_caps", "blocked_for"},
        )
        caps_raw = _require_list("header_caps", data.get("header_caps", []))
        caps = []
        for raw in caps_raw:
            if not isinstance(raw, Mapping):
                raise ValueError(f"each header cap must be a mapping, got {raw!r}")
            _require_keys("header cap", raw, required={"remaining", "resets_in"}, optional=set())
            caps.append(
                HeaderCap(
                    remaining=_require_count("header cap remaining", raw["remaining"], minimum=0),
                    resets_in=_require_seconds("header cap resets_in", raw["resets_in"]),
                )
            )
        return cls(
            limit=_require_count("limit", data["limit"], minimum=1),
            window=_require_seconds("window", data["window"]),
            reserve=_require_count("reserve", data["reserve"], minimum=0),
            grant_ages=tuple(
                _require_seconds("grant age", age)
                for age in _require_list("grant_ages", data.get("grant_ages", []))
            ),
            header_caps=tuple(caps),
            blocked_for=_require_seconds("blocked_for", data.get("blocked_for", 0.0)),
        )


@dataclass(slots=True)
class _Cap:
    """A live header restriction: ``remaining`` more grants before the clock reaches ``until``."""

    until: float
    remaining: int


class Budget:
    """The request budget of one key pair; consult :meth:`acquire` before every HTTP attempt.

    Retries go through :meth:`acquire` too: a retry is a request like any other, and the
    server counts it. Waiting callers are served one at a time in arrival order (an
    ``anyio.Lock`` is FIFO), so none starves behind later ones.
    """

    def __init__(
        self,
        limit: int = 40,
        window: float = 60.0,
        *,
        reserve: int = 0,
        clock: Clock = time.monotonic,
        sleep: Sleep = anyio.sleep,
    ) -> None:
        _validate_shape(limit, window, reserve)
        self._limit = limit
        self._window = float(window)
        self._reserve = reserve
        self._clock = clock
        self._sleep = sleep
        self._grants: deque[float] = deque()
        self._caps: list[_Cap] = []
        self._blocked_until = -math.inf
        self._lock = anyio.Lock()

    def __repr__(self) -> str:
        return f"Budget(limit={self._limit}, window={self._window}, reserve={self._reserve})"

    @property
    def limit(self) -> int:
        """The limit in force: the configured one, or a lower one the server announced."""
        return self._limit

    @property
    def window(self) -> float:
        return self._window

    @property
    def reserve(self) -> int:
        return self._reserve

    async def acquire(self) -> float:
        """Wait until one request may go, spend it, and return how many seconds that took.

        The wait is re-checked after every sleep: a 429 or a header seen by another task
        while this one slept can only push the grant later.
        """
        started = self._clock()
        async with self._lock:
            while (wait := self.delay()) > 0:
                await self._sleep(wait)
            now = self._clock()
            self._grant(now)
        return now - started

    def delay(self) -> float:
        """Seconds until :meth:`acquire` would grant a request now (``0.0`` if at once).

        It ignores callers already queued in :meth:`acquire`; they go first.
        """
        now = self._clock()
        self._forget(now)
        ready = self._blocked_until
        capacity = self._capacity()
        if len(self._grants) >= capacity:
            # The grant ``capacity`` places back must leave the window before another goes.
            ready = max(ready, self._grants[-capacity] + self._window)
        for cap in self._caps:
            if cap.remaining <= 0:
                ready = max(ready, cap.until)
        return max(0.0, ready - now)

    def observe(self, headers: Mapping[str, str]) -> None:
        """Learn from a response's ``X-Rate-Limit-*`` headers; they can only lower the budget.

        * ``Limit`` below the configured limit lowers it (never below ``reserve + 1``, so the
          reserve cannot starve the owner of its last request per window).
        * ``Remaining = r`` with ``Reset = t`` means at most ``r - reserve`` more grants in the
          next ``t`` seconds. The response already counts the request that produced it, so
          only grants made after this call are charged against it. A missing, unreadable or
          too-long ``Reset`` is read as a whole window: the server's window cannot run longer.
        * Values above the limit, garbage and missing headers change nothing.
        """
        now = self._clock()
        fields = _lowercase(headers)
        announced_limit = _parse_count(fields.get(LIMIT_HEADER))
        if announced_limit is not None and announced_limit >= 1:
            self._limit = min(self._limit, max(announced_limit, self._reserve + 1))
        remaining = _parse_count(fields.get(REMAINING_HEADER))
        if remaining is not None:
            reset = _parse_seconds(fields.get(RESET_HEADER))
            resets_in = self._window if reset is None else min(reset, self._window)
            self._add_cap(_Cap(until=now + resets_in, remaining=max(0, remaining - self._reserve)))
        self._forget(now)

    def penalize(self, wait: float) -> None:
        """After a 429: grant nothing before ``wait`` seconds from now.

        A 429 the budget did not predict means another app spends the same key; waiting out
        the server's window is the only way to learn how much is really left.
        """
        seconds = _require_seconds("penalize wait", wait)
        self._blocked_until = max(self._blocked_until, self._clock() + seconds)

    def snapshot(self) -> BudgetState:
        """The budget as plain values, to hand over with the key's lease."""
        now = self._clock()
        self._forget(now)
        return BudgetState(
            limit=self._limit,
            window=self._window,
            reserve=self._reserve,
            grant_ages=tuple(max(0.0, now - granted) for granted in self._grants),
            header_caps=tuple(
                # min(): ``until`` was at most a window away when read, but floats round.
                HeaderCap(remaining=cap.remaining, resets_in=min(cap.until - now, self._window))
                for cap in self._caps
            ),
            blocked_for=max(0.0, self._blocked_until - now),
        )

    @classmethod
    def restore(
        cls,
        state: BudgetState,
        *,
        clock: Clock = time.monotonic,
        sleep: Sleep = anyio.sleep,
    ) -> Budget:
        """A budget that keeps every restriction of ``state``, on this process's clock."""
        budget = cls(state.limit, state.window, reserve=state.reserve, clock=clock, sleep=sleep)
        now = clock()
        budget._grants.extend(sorted(now - age for age in state.grant_ages))
        for cap in state.header_caps:
            budget._add_cap(_Cap(until=now + cap.resets_in, remaining=cap.remaining))
        if state.blocked_for > 0:
            budget._blocked_until = now + state.blocked_for
        budget._forget(now)
        return budget

    def _capacity(self) -> int:
        return self._limit - self._reserve

    def _grant(self, now: float) -> None:
        self._grants.append(now)
        for cap in self._caps:
            cap.remaining -= 1
        self._forget(now)

    def _add_cap(self, new: _Cap) -> None:
        """Keep ``new`` unless a stricter cap already implies it; drop caps it implies.

        Cap A implies cap B when A allows no more grants than B and lasts at least as long,
        so the kept caps all differ in ``remaining`` and stay fewer than the capacity.
        """
        if any(old.until >= new.until and old.remaining <= new.remaining for old in self._caps):
            return
        self._caps = [
            old
            for old in self._caps
            if not (new.until >= old.until and new.remaining <= old.remaining)
        ]
        self._caps.append(new)

    def _forget(self, now: float) -> None:
        """Drop what can no longer restrict a grant at ``now`` or later."""
        while self._grants and self._grants[0] + self._window <= now:
            self._grants.popleft()
        capacity = self._capacity()
        # A cap allowing a whole capacity within at most one window adds nothing to the log.
        self._caps = [cap for cap in self._caps if cap.until > now and cap.remaining < capacity]


def _validate_shape(limit: object, window: object, reserve: object) -> None:
    checked_limit = _require_count("limit", limit, minimum=1)
    if _require_seconds("window", window) <= 0:
        raise ValueError(f"window must be more than 0 seconds, got {window!r}")
    checked_reserve = _require_count("reserve", reserve, minimum=0)
    if checked_reserve >= checked_limit:
        raise ValueError(
            f"reserve must be less than limit (it keeps requests for other apps, and at "
            f"least one must stay for this one), got reserve={reserve}, limit={limit}"
        )


def _require_count(name: str, value: object, *, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{name} must be an integer, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {value}")
    return value


def _require_seconds(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{name} must be a number of seconds, got {value!r}")
    seconds = float(value)
    if not math.isfinite(seconds) or seconds < 0:
        raise ValueError(f"{name} must be a finite number of seconds >= 0, got {value!r}")
    return seconds


def _require_list(name: str, value: object) -> list[object]:
    if not isinstance(value, list | tuple):
        raise ValueError(f"{name} must be a list, got {type(value).__name__}")
    return list(value)


def _require_keys(
    what: str, data: Mapping[str, object], *, required: set[str], optional: set[str]
) -> None:
    missing = required - data.keys()
    if missing:
        raise ValueError(f"{what} is missing {', '.join(sorted(missing))}")
    unknown = set(data.keys()) - required - optional
    if unknown:
        raise ValueError(f"{what} has unknown keys: {', '.join(sorted(map(str, unknown)))}")


def _lowercase(headers: Mapping[str, str]) -> dict[str, object]:
    """Header names folded to lower case, so a plain ``dict`` reads like HTTP headers do."""
    try:
        return {str(name).lower(): value for name, value in headers.items()}
    except (AttributeError, TypeError):
        return {}


def _parse_count(raw: object) -> int | None:
    """A non-negative decimal integer header value, or ``None`` for anything else."""
    if not isinstance(raw, str):
        return None
    text = raw.strip()
    if not (text.isascii() and text.isdigit()):
        return None
    try:
        return int(text)
    except ValueError:  # more digits than int() agrees to read
        return None


def _parse_seconds(raw: object) -> float | None:
    """A finite, non-negative number of seconds, or ``None`` for anything else."""
    if not isinstance(raw, str):
        return None
    try:
        seconds = float(raw.strip())
    except ValueError:
        return None
    return seconds if math.isfinite(seconds) and seconds >= 0 else None
