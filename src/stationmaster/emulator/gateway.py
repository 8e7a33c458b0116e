"""The path of one API request: credentials, faults, rate limit, handler, record.

Order of checks: bad credentials answer 401 first (no fault is used up on them); then a queued
answer fault may drop the request or answer 429/500; then the key pair's window may answer 429;
then the handler runs inside a transaction (:func:`run_handler`, which the v2 gateway shares),
so an error (or a crash) leaves the account as it was. Every answered request carries the
``X-Rate-Limit-*`` headers. 401 and 429 are not counted unless ``count_401_429`` is set. The
request is counted, and recorded, at the moment it arrived: a slow handler does not move it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import logging
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace

from pydantic import JsonValue

from stationmaster.emulator.backend import Backend
from stationmaster.emulator.calls import Arrival, RecordedCall
from stationmaster.emulator.faults import FaultSpec
from stationmaster.emulator.orderlogic import release_due_holds
from stationmaster.emulator.query import Query
from stationmaster.emulator.ratelimit import Budget, FixedWindowLimiter
from stationmaster.emulator.replies import (
    ApiError,
    Reply,
    invalid_request,
    server_error,
    too_many_requests,
    unauthorized,
)
from stationmaster.emulator.routing import ApiRequest, Handler, Router
from stationmaster.emulator.wire import loads

log = logging.getLogger("stationmaster.emulator")

#: Methods whose body, when present, must be JSON.
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


@dataclass(frozen=True)
class Answer:
    """What to do with the connection: send ``reply`` after ``delay`` seconds, or drop it."""

    reply: Reply | None
    delay: float = 0.0

    @property
    def dropped(self) -> bool:
        return self.reply is None


def _digest(key: str, secret: str) -> str:
    return hashlib.sha256(f"{key}\0{secret}".encode()).hexdigest()


def run_handler(
    transaction: AbstractContextManager[None],
    handle: Callable[[], Reply],
    crashed: Callable[[], Reply],
    what: str,
) -> Reply:
    """``handle()`` inside ``transaction``: what both gateways do with a request's handler.

    A refusal (:class:`ApiError`) answers its reply and a crash is logged and answers
    ``crashed()``; either way the transaction has undone every change the handler made.
    """
    try:
        with transaction:
            return handle()
    except ApiError as exc:
        return exc.reply
    except Exception:
        log.exception("emulator handler failed on %s; the request's changes were undone", what)
        return crashed()


def credentials(headers: dict[str, str]) -> tuple[str, str] | None:
    """The (key, secret) of a Basic ``Authorization`` header, if it has one."""
    header = headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "basic" or not token:
        return None
    try:
        decoded = base64.b64decode(token.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    key, colon, secret = decoded.partition(":")
    return (key, secret) if colon else None


class Gateway:
    """Answers API requests for one :class:`Backend`."""

    def __init__(
        self,
        backend: Backend,
        router: Router[Handler],
        limiter: FixedWindowLimiter | None,
        record: Callable[[RecordedCall], None],
    ) -> None:
        self.backend = backend
        self.router = router
        self.limiter = limiter
        self._record = record
        self._pairs = {_digest(k, s) for k, s in backend.config.key_pairs()}

    def _identity(self, headers: dict[str, str]) -> tuple[str, bool]:
        given = credentials(headers)
        if given is None:
            return "anonymous", False
        identity = _digest(*given)
        known = any(hmac.compare_digest(identity, pair) for pair in self._pairs)
        return identity, known

    def _budget(self, identity: str, arrived: float, *, spend: bool) -> Budget | None:
        if self.limiter is None:
            return None
        if spend:
            return self.limiter.spend(identity, arrived)
        return self.limiter.budget(identity, arrived)

    def answer(
        self, method: str, path: str, query_string: bytes, headers: dict[str, str], raw_body: bytes
    ) -> Answer:
        arrived = self.backend.clock.monotonic()
        query = Query(query_string)
        body, body_error = parse_body(raw_body)
        identity, known = self._identity(headers)
        call = Arrival(method, path, query, body, raw_body, arrived)
        if not known:
            budget = self._budget(identity, arrived, spend=self.backend.config.count_401_429)
            reply = _with_budget(unauthorized(self.backend.config), budget)
            self._keep(call, reply.status)
            return Answer(reply)
        fault = self.backend.faults.take_answer_fault(method, path)
        if fault is not None and fault.kind == "drop":
            self._keep(call, None)
            return Answer(None)
        reply = self._answer_known(method, path, query, body, body_error, identity, fault, arrived)
        self._keep(call, reply.status)
        delay = fault.seconds if fault is not None and fault.kind == "delay" else None
        return Answer(reply, delay or 0.0)

    def _answer_known(
        self,
        method: str,
        path: str,
        query: Query,
        body: JsonValue,
        body_error: str | None,
        identity: str,
        fault: FaultSpec | None,
        arrived: float,
    ) -> Reply:
        count_refusals = self.backend.config.count_401_429
        refusal = too_many_requests(self.backend.config)
        if fault is not None and fault.kind == "429":
            budget = self._budget(identity, arrived, spend=count_refusals)
            spent = replace(budget, remaining=0) if budget is not None else None
            return _with_budget(refusal, spent, reset=fault.reset_seconds)
        standing = self._budget(identity, arrived, spend=False)
        if standing is not None and standing.exhausted:
            budget = self._budget(identity, arrived, spend=count_refusals) or standing
            return _with_budget(refusal, replace(budget, remaining=0))
        budget = self._budget(identity, arrived, spend=True)
        if fault is not None and fault.kind == "500":
            return _with_budget(server_error(), budget)
        return _with_budget(self._dispatch(method, path, query, body, body_error), budget)

    def _dispatch(
        self, method: str, path: str, query: Query, body: JsonValue, body_error: str | None
    ) -> Reply:
        base = self.backend.base_url()
        url = f"{base}{path}" + (f"?{query.raw}" if query.raw else "")
        try:
            handler, params = self.router.resolve(method, path, url)
            if body_error is not None and method.upper() in BODY_METHODS:
                raise invalid_request({"request": [body_error]})
        except ApiError as exc:
            return exc.reply
        request = ApiRequest(method.upper(), path, url, query, body, body_error, params)
        account = self.backend.account

        def handle() -> Reply:
            release_due_holds(account, self.backend.now())
            return handler(self.backend, request)

        return run_handler(account.transaction(), handle, server_error, f"{method} {path}")

    def _keep(self, call: Arrival, status: int | None) -> None:
        keep_body = self.backend.config.record_call_bodies
        self._record(call.recorded(status, self.backend.now(), keep_body=keep_body))


def parse_body(raw: bytes) -> tuple[JsonValue, str | None]:
    """A request body as JSON (``None`` when empty), or why it is not JSON."""
    if not raw.strip():
        return None, None
    try:
        return loads(raw), None
    except ValueError as exc:
        return None, str(exc)


def _with_budget(reply: Reply, budget: Budget | None, *, reset: int | None = None) -> Reply:
    if budget is None:
        return reply
    return replace(reply, headers=reply.headers + budget.headers(reset_override=reset))
