"""The path of one API request: credentials, faults, rate limit, handler, record.

Order of checks: bad credentials answer 401 first (no fault is used up on them); then a queued
answer fault may drop the request or answer 429/500; then the key pair's window may answer 429;
then the handler runs inside a transaction, so an error (or a crash) leaves the account as it
was. Every answered request carries the ``X-Rate-Limit-*`` headers. 401 and 429 are not counted
unless ``count_401_429`` is set.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import logging
from collections.abc import Callable
from dataclasses import dataclass, replace

from pydantic import JsonValue

from stationmaster.emulator.backend import Backend
from stationmaster.emulator.calls import RecordedCall
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
from stationmaster.emulator.routing import ApiRequest, Router
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
        router: Router,
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

    def _budget(self, identity: str, *, spend: bool) -> Budget | None:
        if self.limiter is None:
            return None
        now = self.backend.clock.monotonic()
        return self.limiter.spend(identity, now) if spend else self.limiter.budget(identity, now)

    def answer(
        self, method: str, path: str, query_string: bytes, headers: dict[str, str], raw_body: bytes
    ) -> Answer:
        query = Query(query_string)
        body, body_error = _parse(raw_body)
        config = self.backend.config
        identity, known = self._identity(headers)
        count_refusals = config.count_401_429
        fault: FaultSpec | None = None
        if not known:
            budget = self._budget(identity, spend=count_refusals)
            reply = _with_budget(unauthorized(config), budget)
        else:
            fault = self.backend.faults.take_answer_fault(method, path)
            reply, budget = self._answer_known(method, path, query, body, body_error, identity, fault)
        if fault is not None and fault.kind == "drop":
            self._keep(method, path, query, body, raw_body, None)
            return Answer(None)
        self._keep(method, path, query, body, raw_body, reply.status)
        delay = fault.seconds or 0.0 if fault is not None and fault.kind == "delay" else 0.0
        return Answer(reply, delay)

    def _answer_known(
        self,
        method: str,
        path: str,
        query: Query,
        body: object,
        body_error: str | None,
        identity: str,
        fault: FaultSpec | None,
    ) -> tuple[Reply, Budget | None]:
        config = self.backend.config
        if fault is not None and fault.kind == "drop":
            return server_error(), None
        if fault is not None and fault.kind == "429":
            budget = self._budget(identity, spend=config.count_401_429)
            if budget is not None:
                budget = replace(budget, remaining=0)
            reply = too_many_requests(config)
            return _with_budget(reply, budget, reset=fault.reset_seconds), budget
        standing = self._budget(identity, spend=False)
        if standing is not None and standing.exhausted:
            budget = self._budget(identity, spend=config.count_401_429) or standing
            return _with_budget(too_many_requests(config), replace(budget, remaining=0)), budget
        budget = self._budget(identity, spend=True)
        if fault is not None and fault.kind == "500":
            return _with_budget(server_error(), budget), budget
        reply = self._dispatch(method, path, query, body, body_error)
        return _with_budget(reply, budget), budget

    def _dispatch(
        self, method: str, path: str, query: Query, body: object, body_error: str | None
    ) -> Reply:
        base = self.backend.base_url()
        qs = query.raw
        url = f"{base}{path}" + (f"?{qs}" if qs else "")
        try:
            handler, params = self.router.resolve(method, path, url)
            if body_error is not None and method.upper() in BODY_METHODS:
                raise invalid_request({"request": [body_error]})
        except ApiError as exc:
            return exc.reply
        request = ApiRequest(method.upper(), path, url, query, body, body_error, params)
        account = self.backend.account
        try:
            with account.transaction():
                release_due_holds(account, self.backend.now())
                return handler(self.backend, request)
        except ApiError as exc:
            return exc.reply
        except Exception:
            log.exception("emulator handler failed on %s %s; the request's changes were undone", method, path)
            return server_error()

    def _keep(
        self, method: str, path: str, query: Query, body: object, raw_body: bytes, status: int | None
    ) -> None:
        recorded: JsonValue
        if body is None and raw_body.strip():
            recorded = raw_body.decode("utf-8", "replace")[:2000]
        else:
            recorded = body  # type: ignore[assignment]  # json.loads output is a JSON value
        self._record(
            RecordedCall(method.upper(), path, query.public(), status, recorded, self.backend.now())
        )


def _parse(raw: bytes) -> tuple[object, str | None]:
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
