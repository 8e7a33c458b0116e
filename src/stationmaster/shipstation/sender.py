"""The HTTP seam both ShipStation APIs share: budget, retries, error mapping and the audit trail.

REST v1 (orders, shipments, ...) and API v2 (inventory) differ on the wire only in where they
live and how the key travels (``Authorization: Basic`` against ``API-Key``). What a call
costs, when it is sent again, how an answer becomes an exception of :mod:`stationmaster.errors`
(whose table reads both error bodies) and what the audit log is shown are the same, so
:class:`Sender` does all of that once and each client passes in only what is its own.

The secret is put on a request just for the attempt and taken off again, so a request kept
for a retry, a log line or an :class:`Exchange` never holds it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx2
import stamina
from structlog.typing import FilteringBoundLogger

from stationmaster.errors import RateLimited, classify, error_for, error_for_exception
from stationmaster.httpclients import ClosesOnExit, json_client
from stationmaster.shipstation.budget import Budget
from stationmaster.shipstation.retry import RetryPolicy


@dataclass(frozen=True, slots=True)
class Exchange:
    """One HTTP attempt as an audit log sees it: no credentials, bodies as text."""

    key_id: str
    method: str
    url: str
    request_body: str | None
    status: int | None
    response_body: str | None
    response_headers: Mapping[str, str]
    attempt: int
    seconds: float
    error: str | None = None


ExchangeObserver = Callable[[Exchange], Awaitable[None] | None]
#: Headers that carry a credential in either API (v2's key travels as ``API-Key``).
REDACTED_HEADERS = frozenset(
    {"authorization", "api-key", "cookie", "set-cookie", "proxy-authorization"}
)


def redact_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """The headers with every credential replaced, so they can be stored or shown."""
    return {k: ("[redacted]" if k.lower() in REDACTED_HEADERS else v) for k, v in headers.items()}


def dumps(body: Any) -> bytes:
    """Request JSON: UTF-8 without ASCII escaping, so names with emoji go through as sent."""
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


class Sender(ClosesOnExit):
    """Sends the calls of one ShipStation key: every attempt spends and teaches ``budget``.

    ``budget``, ``retry`` and ``observer`` are read at every call, so whoever holds the key's
    lease may swap them on a live client. ``calls`` counts HTTP requests sent (every attempt,
    retries included). ``auth_header`` is the header the key goes in and ``auth_value`` gives
    its value; ``events`` prefixes the names of ``log``'s events, so each API's calls can be
    told apart in the logs.
    """

    def __init__(
        self,
        *,
        key_id: str,
        auth_header: str,
        auth_value: Callable[[], str],
        base_url: str,
        transport: httpx2.AsyncBaseTransport | None,
        budget: Budget,
        retry: RetryPolicy | None,
        timeout: float,
        observer: ExchangeObserver | None,
        headers: Mapping[str, str] | None,
        log: FilteringBoundLogger,
        events: str,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.budget = budget
        self.retry = retry if retry is not None else RetryPolicy()
        self.observer = observer
        self.calls = 0
        self._key_id = key_id
        self._auth_header = auth_header
        self._auth_value = auth_value
        self._log = log
        self._events = events
        self._http = json_client(
            base_url=self.base_url, transport=transport, timeout=timeout, headers=headers
        )

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.base_url!r}, key_id={self._key_id!r})"

    def _request(
        self,
        method: str,
        target: str,
        *,
        params: Mapping[str, str] | None = None,
        body: Any = None,
        timeout: float | None = None,
    ) -> httpx2.Request:
        """A request to send (and send again, unchanged); ``timeout`` None: the client's."""
        content = dumps(body) if body is not None else None
        return self._http.build_request(
            method,
            target,
            params=dict(params) if params else None,
            content=content,
            headers={"Content-Type": "application/json"} if content is not None else None,
            timeout=httpx2.USE_CLIENT_DEFAULT if timeout is None else timeout,
        )

    async def _send(self, request: httpx2.Request, *, idempotent: bool) -> httpx2.Response:
        """Send with budget and retries; a successful response, or a ShipStationError.

        The error's ``resolution`` says what to do next.
        """
        attempt_no = 0
        async for attempt in stamina.retry_context(
            on=self.retry.backoff_hook(idempotent=idempotent),
            attempts=self.retry.attempts,
            timeout=self.retry.timeout,
            wait_initial=self.retry.wait_initial,
            wait_max=self.retry.wait_max,
            wait_jitter=self.retry.wait_jitter,
        ):
            with attempt:
                attempt_no += 1
                return await self._attempt(request, attempt_no)
        raise AssertionError("unreachable: stamina re-raises the last failure")  # pragma: no cover

    async def _attempt(self, request: httpx2.Request, attempt_no: int) -> httpx2.Response:
        endpoint = f"{request.method} {request.url.path}"
        await self.budget.acquire()
        self.calls += 1
        started = time.perf_counter()
        request.headers[self._auth_header] = self._auth_value()
        try:
            response = await self._http.send(request)
        except httpx2.TransportError as exc:
            error = error_for_exception(exc, endpoint)
            await self._observe(request, None, attempt_no, started, str(error))
            self._log.warning(
                f"{self._events}.transport_error",
                endpoint=endpoint,
                attempt=attempt_no,
                error=type(exc).__name__,
            )
            raise error from None
        finally:
            del request.headers[self._auth_header]
        self.budget.observe(response.headers)
        resolution = classify(response)
        failure = None if resolution.kind == "ignore" else error_for(response, endpoint)
        await self._observe(
            request, response, attempt_no, started, str(failure) if failure else None
        )
        if failure is None:
            self._log.debug(
                f"{self._events}.call",
                endpoint=endpoint,
                status=response.status_code,
                attempt=attempt_no,
            )
            return response
        if isinstance(failure, RateLimited):
            self.budget.penalize(failure.wait)
        self._log.warning(
            f"{self._events}.call_failed",
            endpoint=endpoint,
            status=response.status_code,
            attempt=attempt_no,
            resolution=failure.resolution.kind,
            wait=failure.resolution.wait,
        )
        raise failure

    async def _observe(
        self,
        request: httpx2.Request,
        response: httpx2.Response | None,
        attempt_no: int,
        started: float,
        error: str | None,
    ) -> None:
        if self.observer is None:
            return
        exchange = Exchange(
            key_id=self._key_id,
            method=request.method,
            url=str(request.url),
            request_body=request.content.decode("utf-8", "replace") if request.content else None,
            status=response.status_code if response is not None else None,
            response_body=response.text if response is not None else None,
            response_headers=redact_headers(response.headers) if response is not None else {},
            attempt=attempt_no,
            seconds=time.perf_counter() - started,
            error=error,
        )
        outcome = self.observer(exchange)
        if outcome is not None:
            await outcome


__all__ = [
    "REDACTED_HEADERS",
    "Exchange",
    "ExchangeObserver",
    "Sender",
    "dumps",
    "redact_headers",
]
