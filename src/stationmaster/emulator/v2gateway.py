"""The path of one API v2 request (``/v2/...``): key, faults, rate limit, handler, record.

It mirrors the v1 :class:`~stationmaster.emulator.gateway.Gateway` with v2's rules: the key is
the ``API-Key`` header (a v1 Basic pair is no v2 key, so it gets a 401), errors use v2's body,
and a spent window answers 429 with ``Retry-After``. The fault queue and the call record are
the emulator's own, shared with v1, so ``emu.inject(...)`` and ``emu.calls`` cover both APIs,
and so is the way a handler runs (:func:`~stationmaster.emulator.gateway.run_handler`: inside
a transaction of the inventory book, so a failed request leaves the stock as it was).
``X-Rate-Limit-*`` headers are sent only when ``v2.rate_limit_headers`` is set.
"""

from __future__ import annotations

import hashlib
import hmac
import math
from collections.abc import Callable
from dataclasses import replace

from stationmaster.emulator.backend import Backend
from stationmaster.emulator.calls import Arrival, RecordedCall
from stationmaster.emulator.faults import FaultSpec, normalise_path
from stationmaster.emulator.gateway import Answer, parse_body, run_handler
from stationmaster.emulator.inventory import InventoryBook
from stationmaster.emulator.query import Query
from stationmaster.emulator.ratelimit import Budget, FixedWindowLimiter
from stationmaster.emulator.replies import Reply
from stationmaster.emulator.v2api import V2Context, V2Request, resolve
from stationmaster.emulator.v2replies import (
    bad_value,
    server_error,
    too_many_requests,
    unauthorized,
)

V2_PREFIX = "/v2"
KEY_HEADER = "api-key"


def is_v2(path: str) -> bool:
    normal = normalise_path(path)
    return normal == V2_PREFIX or normal.startswith(V2_PREFIX + "/")


def _digest(key: str) -> str:
    return hashlib.sha256(f"v2\0{key}".encode()).hexdigest()


class V2Gateway:
    """Answers ``/v2/...`` requests for one emulator."""

    def __init__(
        self, backend: Backend, book: InventoryBook, record: Callable[[RecordedCall], None]
    ) -> None:
        self.backend = backend
        self.book = book
        self._record = record
        v2 = backend.config.v2
        self.limiter = FixedWindowLimiter(v2.limit, v2.window_seconds) if v2.limit else None
        self._key = _digest(v2.api_key)

    def reset(self) -> None:
        """A fresh rate window (the book is reset by its owner)."""
        if self.limiter is not None:
            self.limiter.clear()

    def answer(
        self, method: str, path: str, query_string: bytes, headers: dict[str, str], raw_body: bytes
    ) -> Answer:
        arrived = self.backend.clock.monotonic()
        query = Query(query_string)
        body, body_error = parse_body(raw_body)
        call = Arrival(method, path, query, body, raw_body, arrived)
        given = headers.get(KEY_HEADER, "").strip()
        identity = _digest(given) if given else "anonymous"
        if not hmac.compare_digest(identity, self._key):
            budget = self._budget(identity, arrived, spend=self.backend.config.count_401_429)
            reply = self._with_budget(unauthorized(), budget)
            self._keep(call, reply.status)
            return Answer(reply)
        fault = self.backend.faults.take_answer_fault(method, path)
        if fault is not None and fault.kind == "drop":
            self._keep(call, None)
            return Answer(None)
        reply = self._answer_known(V2Request(method, path, query, body, body_error), fault, arrived)
        self._keep(call, reply.status)
        delay = fault.seconds if fault is not None and fault.kind == "delay" else None
        return Answer(reply, delay or 0.0)

    def _answer_known(self, request: V2Request, fault: FaultSpec | None, arrived: float) -> Reply:
        count_refusals = self.backend.config.count_401_429
        if fault is not None and fault.kind == "429":
            budget = self._budget(self._key, arrived, spend=count_refusals)
            wait = fault.reset_seconds if fault.reset_seconds is not None else self._wait(budget)
            spent = replace(budget, remaining=0) if budget is not None else None
            return self._with_budget(too_many_requests(wait), spent, reset=wait)
        standing = self._budget(self._key, arrived, spend=False)
        if standing is not None and standing.exhausted:
            budget = self._budget(self._key, arrived, spend=count_refusals) or standing
            wait = self._wait(budget)
            return self._with_budget(too_many_requests(wait), replace(budget, remaining=0))
        budget = self._budget(self._key, arrived, spend=True)
        if fault is not None and fault.kind == "500":
            return self._with_budget(server_error(), budget)
        return self._with_budget(self._dispatch(request), budget)

    def _dispatch(self, request: V2Request) -> Reply:
        ctx = V2Context(self.backend.config.v2, self.book, self.backend.base_url())

        def handle() -> Reply:
            handler = resolve(request.method, request.path)
            if request.body_error is not None and request.method.upper() == "GET":
                raise bad_value(f"The request body is not valid JSON: {request.body_error}")
            return handler(ctx, request)

        what = f"{request.method} {request.path}"
        return run_handler(self.book.transaction(), handle, server_error, what)

    def _budget(self, identity: str, arrived: float, *, spend: bool) -> Budget | None:
        if self.limiter is None:
            return None
        if spend:
            return self.limiter.spend(identity, arrived)
        return self.limiter.budget(identity, arrived)

    def _wait(self, budget: Budget | None) -> int:
        """Whole seconds until the key's window reopens (at least 1)."""
        if budget is None:
            return max(1, math.ceil(self.backend.config.v2.window_seconds))
        return max(1, budget.reset_seconds)

    def _with_budget(
        self, reply: Reply, budget: Budget | None, *, reset: int | None = None
    ) -> Reply:
        if budget is None or not self.backend.config.v2.rate_limit_headers:
            return reply
        return replace(reply, headers=reply.headers + budget.headers(reset_override=reset))

    def _keep(self, call: Arrival, status: int | None) -> None:
        keep_body = self.backend.config.record_call_bodies
        self._record(call.recorded(status, self.backend.now(), keep_body=keep_body))
