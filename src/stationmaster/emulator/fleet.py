"""Many emulated ShipStation accounts behind one address, told apart by their API key.

An agency's workers talk to hundreds of accounts, each with its own key pair and its own
limit of requests per window. The fleet holds one :class:`Emulator` per key pair and hands
every request to the one whose key is in its Basic header, so each account keeps its own
orders, calls and rate window exactly as a lone emulator would. ``GET /_fleet/summary``
reports, per account, what a scale-out test asserts: orders held, order keys held twice, and
requests refused for being over the limit. The order figures are counted from the account's
order-key index, without copying a row, so the summary can be read while the fleet works.

A throughput measurement counts bulk creates by when they *arrived* (what the rate window
counts), not by when their answers came back, which bunch up when the fleet is busy:
``GET /_fleet/clock`` reads the fleet's monotonic clock, and ``?from=&to=`` on the summary
(two such readings) adds each account's answered ``createorders`` calls that arrived between.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import math
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from urllib.parse import parse_qsl

import httpx2
import uvicorn
from starlette.types import Receive, Scope, Send

from stationmaster.emulator.calls import RecordedCall
from stationmaster.emulator.clock import Clock
from stationmaster.emulator.config import EmulatorConfig
from stationmaster.emulator.emulator import Emulator
from stationmaster.emulator.state import Account
from stationmaster.emulator.transport import EmulatorTransport

SUMMARY_PATH = "/_fleet/summary"
CLOCK_PATH = "/_fleet/clock"
CREATE_ORDERS_PATH = "/orders/createorders"

log = logging.getLogger("stationmaster.emulator")


@dataclass(frozen=True, slots=True)
class AccountSummary:
    """One account's figures; ``account`` is its position in the fleet (1-based), not its key."""

    account: int
    #: Distinct order keys among the active orders.
    orders: int
    #: Active orders beyond the first of each key (a create that should have been an update).
    duplicate_order_keys: int
    calls: int
    rate_limited: int
    #: The most answered calls (not 429, not dropped) that arrived within one window length.
    busiest_window: int
    #: Successful ``createorders`` calls that arrived in the asked interval (0 without one).
    created_between: int = 0


def fleet_key_pairs(count: int, key: str = "K", secret: str = "S") -> list[tuple[str, str]]:
    """The key pairs of a fleet of ``count``: ``K1:S1``, ``K2:S2``, ..."""
    if count < 1:
        raise ValueError(f"a fleet needs at least one account, got {count}")
    return [(f"{key}{n}", f"{secret}{n}") for n in range(1, count + 1)]


class EmulatorFleet:
    """One emulator per key pair, as one ASGI app (see the module docstring)."""

    def __init__(
        self,
        key_pairs: Sequence[tuple[str, str]],
        *,
        config: EmulatorConfig | None = None,
        clock: Clock | None = None,
    ) -> None:
        base = config or EmulatorConfig()
        keys = [key for key, _ in key_pairs]
        if len(set(keys)) != len(keys):
            raise ValueError("every account of a fleet needs its own API key")
        self.emulators: dict[str, Emulator] = {
            key: Emulator(
                base.model_copy(update={"api_key": key, "api_secret": secret}), clock=clock
            )
            for key, secret in key_pairs
        }
        first = next(iter(self.emulators.values()))
        self._refusal = first.config.unauthorized_body
        self.clock = first.clock

    def __repr__(self) -> str:
        return f"EmulatorFleet(accounts={len(self.emulators)})"

    def transport(self) -> httpx2.AsyncBaseTransport:
        """An in-process transport to the whole fleet."""
        return EmulatorTransport(self)

    def summary(self, between: tuple[float, float] | None = None) -> list[AccountSummary]:
        """Every account's figures, in fleet order; ``between`` two readings of
        :attr:`clock`'s monotonic time also counts the bulk creates that arrived in it."""
        return [
            _summarise(position, emulator, between)
            for position, emulator in enumerate(self.emulators.values(), start=1)
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        if scope["path"] == SUMMARY_PATH and scope["method"] == "GET":
            try:
                between = _interval(scope["query_string"])
            except ValueError as exc:
                await _send_json(send, 400, {"message": str(exc)})
                return
            await _send_json(send, 200, [asdict(row) for row in self.summary(between)])
            return
        if scope["path"] == CLOCK_PATH and scope["method"] == "GET":
            await _send_json(send, 200, {"monotonic": self.clock.monotonic()})
            return
        emulator = self.emulators.get(_basic_user(scope["headers"]) or "")
        if emulator is None:
            await _send_json(send, 401, self._refusal, [(b"www-authenticate", b"Basic")])
            return
        await emulator.app(scope, receive, send)


def _interval(query_string: bytes) -> tuple[float, float] | None:
    """The summary's ``from``/``to`` clock readings, both or neither, ``from`` not after ``to``."""
    asked = dict(parse_qsl(query_string.decode("latin-1")))
    if "from" not in asked and "to" not in asked:
        return None
    try:
        start, end = float(asked["from"]), float(asked["to"])
    except (KeyError, ValueError):
        raise ValueError("from and to must both be readings of GET /_fleet/clock") from None
    if not (math.isfinite(start) and math.isfinite(end)) or start > end:
        raise ValueError("from must be a finite reading not after to")
    return start, end


def _summarise(
    position: int, emulator: Emulator, between: tuple[float, float] | None = None
) -> AccountSummary:
    keys, duplicates = _order_key_counts(emulator.account)
    calls = emulator.calls
    arrivals = sorted(call.arrived for call in calls if call.status not in (None, 429))
    window = emulator.config.window_seconds
    busiest, start = 0, 0
    for end, at in enumerate(arrivals):
        while arrivals[start] <= at - window:
            start += 1
        busiest = max(busiest, end - start + 1)
    return AccountSummary(
        account=position,
        orders=keys,
        duplicate_order_keys=duplicates,
        calls=len(calls),
        rate_limited=sum(1 for call in calls if call.status == 429),
        busiest_window=busiest,
        created_between=0 if between is None else _creates_between(calls, *between),
    )


def _creates_between(calls: Iterable[RecordedCall], start: float, end: float) -> int:
    return sum(
        1
        for call in calls
        if start <= call.arrived < end
        and call.status is not None
        and 200 <= call.status < 300
        and call.method == "POST"
        and call.path.lower().rstrip("/") == CREATE_ORDERS_PATH
    )


def _order_key_counts(account: Account) -> tuple[int, int]:
    """How many keys the active orders carry, and how many active orders repeat a key."""
    inactive = account.inactive_orders
    keys = duplicates = 0
    for ids in account.order_keys.values():
        active = sum(1 for order_id in ids if order_id not in inactive)
        if active:
            keys += 1
            duplicates += active - 1
    return keys, duplicates


def _basic_user(headers: Iterable[tuple[bytes, bytes]]) -> str | None:
    for name, value in headers:
        if name.lower() != b"authorization":
            continue
        scheme, _, token = value.decode("latin-1").partition(" ")
        if scheme.lower() != "basic":
            return None
        try:
            decoded = base64.b64decode(token.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None
        return decoded.partition(":")[0]
    return None


async def _send_json(
    send: Send, status: int, body: object, extra: Sequence[tuple[bytes, bytes]] = ()
) -> None:
    content = json.dumps(body).encode()
    headers = [
        (b"content-type", b"application/json; charset=utf-8"),
        (b"content-length", str(len(content)).encode()),
        *extra,
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": content, "more_body": False})


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


def serve_fleet(fleet: EmulatorFleet, host: str = "127.0.0.1", port: int = 8900) -> None:
    """Serve ``fleet`` over HTTP until interrupted (blocking); the log never shows a key."""
    log.info(
        "ShipStation emulator fleet of %d accounts serving http://%s:%d (summary at %s)",
        len(fleet.emulators),
        host,
        port,
        SUMMARY_PATH,
    )
    uvicorn.run(fleet, host=host, port=port, log_level="warning", access_log=False)
