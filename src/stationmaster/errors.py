"""What can go wrong talking to ShipStation, and what to do about each case.

Every failure is turned into data before anyone acts on it: :func:`classify` maps a response
or an exception to a :class:`Resolution` through one table (:data:`RULES`), so retry loops,
dead letters and the dashboard all agree on what a failure means.

The exception tree::

    StationmasterError
     ├── ConfigError                  bad configuration; nothing was sent
     └── ShipStationError             anything from talking to ShipStation (has .resolution)
          ├── TransportError          no usable answer: timeout, refused or dropped connection
          ├── ResponseError           an HTTP answer that is not a success (.status, .message)
          │    ├── AuthenticationError   401/403: wrong or revoked key pair
          │    ├── AccountError          v2 account_status: add-on off, plan, trial ended
          │    ├── RateLimited           429: wait .wait seconds, then send the same request
          │    ├── NotFound              404: unknown id
          │    ├── ValidationError       400/422, or 500 with ShipStation's validation envelope
          │    └── ServerError           other 5xx: ShipStation's side is unwell
          └── DecodeError             a 2xx whose body is not what the endpoint promises

Resolutions:

* ``retry``            transient; the same request may be sent again after a backoff.
* ``rate_limited``     the key's window is spent; wait ``wait`` seconds, then send it again.
* ``fail_record``      this record (order, shipment) is wrong; park it, carry on with others.
* ``fail_connection``  this connection cannot work (credentials, permissions); stop its sync.
* ``ignore``           nothing to do (a success, or a failure that changes nothing).

Credentials never reach these exceptions: they hold the status, ShipStation's message and a
short excerpt of the body, never request headers.

The same table reads API v2 answers (inventory): their body is ``{"request_id", "errors":
[{"error_source", "error_type", "error_code", "message"}]}`` and a 429 says how long to wait in
``Retry-After``; the rows marked "v2" use those, and never match a v1 answer that carries
``X-Rate-Limit-Reset``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Literal

import httpx2

ResolutionKind = Literal["retry", "rate_limited", "fail_record", "fail_connection", "ignore"]

#: When a 429 carries no usable ``X-Rate-Limit-Reset``, wait a whole window.
DEFAULT_RATE_LIMIT_WAIT = 60.0
#: How much of a failed response body an exception keeps (for logs and dead letters).
BODY_EXCERPT_CHARS = 2000
#: ``ExceptionType`` values with which ShipStation reports a bad request as a 500.
VALIDATION_EXCEPTION_TYPES = frozenset(
    {
        "System.Exception",
        "System.ArgumentException",
        "System.ArgumentNullException",
        "System.ArgumentOutOfRangeException",
        "System.FormatException",
        "System.InvalidOperationException",
        "Newtonsoft.Json.JsonReaderException",
        "Newtonsoft.Json.JsonSerializationException",
    }
)


@dataclass(frozen=True, slots=True)
class Resolution:
    """What to do about one failure (or success): a kind, a wait, and a reason for humans."""

    kind: ResolutionKind
    reason: str
    wait: float | None = None

    @property
    def retryable(self) -> bool:
        return self.kind in ("retry", "rate_limited")


class StationmasterError(Exception):
    """Base of every error stationmaster raises on purpose."""


class ConfigError(StationmasterError):
    """The configuration cannot work; nothing was sent anywhere."""


class ShipStationError(StationmasterError):
    """A call to ShipStation did not succeed; ``resolution`` says what to do about it."""

    def __init__(self, message: str, *, resolution: Resolution, endpoint: str = "") -> None:
        super().__init__(message)
        self.resolution = resolution
        self.endpoint = endpoint


class TransportError(ShipStationError):
    """No usable answer arrived: timeout, refused or dropped connection."""


class DecodeError(ShipStationError):
    """A successful status whose body does not fit the endpoint's model."""


class ResponseError(ShipStationError):
    """ShipStation answered with a status that is not a success."""

    def __init__(
        self,
        message: str,
        *,
        resolution: Resolution,
        status: int,
        body: str = "",
        endpoint: str = "",
    ) -> None:
        super().__init__(message, resolution=resolution, endpoint=endpoint)
        self.status = status
        self.body = body[:BODY_EXCERPT_CHARS]

    def __str__(self) -> str:
        where = f" {self.endpoint}" if self.endpoint else ""
        return f"HTTP {self.status}{where}: {self.args[0]}"


class AuthenticationError(ResponseError):
    """401/403: the key pair is wrong, revoked, or a V2 key used on V1."""


class AccountError(ResponseError):
    """The account cannot do this at all (v2 ``account_status``: add-on off, plan, trial)."""


class RateLimited(ResponseError):
    """429: the key's window is spent."""

    @property
    def wait(self) -> float:
        return self.resolution.wait if self.resolution.wait is not None else DEFAULT_RATE_LIMIT_WAIT


class NotFound(ResponseError):
    """404: the id is unknown (or the order was deleted or merged away)."""


class ValidationError(ResponseError):
    """ShipStation refused the request's content; sending it again will not help."""


class ServerError(ResponseError):
    """ShipStation failed on its side; the same request may work later."""


# --------------------------------------------------------------------------------------------
# The table


@dataclass(frozen=True, slots=True)
class Facts:
    """What classification looks at, taken once from a response or an exception."""

    status: int | None = None
    message: str = ""
    exception_type: str = ""
    reset_seconds: float | None = None
    exception: BaseException | None = None
    #: v2: seconds from a ``Retry-After`` header (a number or an HTTP date).
    retry_after: float | None = None
    #: v2: ``error_type`` and ``error_code`` of the first entry of the body's ``errors``.
    error_type: str = ""
    error_code: str = ""


@dataclass(frozen=True, slots=True)
class Rule:
    """One row of the table: when ``matches`` holds, the failure resolves as ``kind``."""

    name: str
    matches: Callable[[Facts], bool]
    kind: ResolutionKind
    error: type[ShipStationError]
    #: Where a ``rate_limited`` row finds its wait (default: ``X-Rate-Limit-Reset``).
    wait: Callable[[Facts], float | None] | None = None


def _status_in(*statuses: int) -> Callable[[Facts], bool]:
    return lambda f: f.status in statuses


def _is_throttle(f: Facts) -> bool:
    # ShipStation throttles with 429; some proxies keep the body but change the status.
    return f.status == 429 or (f.status is not None and f.message == "Too Many Requests")


def _is_validation_500(f: Facts) -> bool:
    return f.status == 500 and f.exception_type in VALIDATION_EXCEPTION_TYPES


def _is_transient_exception(f: Facts) -> bool:
    return isinstance(f.exception, httpx2.TransportError)


def _is_decode_failure(f: Facts) -> bool:
    return isinstance(f.exception, ValueError)


def _is_v2_retry_after(f: Facts) -> bool:
    return f.status == 429 and f.reset_seconds is None and f.retry_after is not None


def _is_v2_error_type(error_type: str) -> Callable[[Facts], bool]:
    return lambda f: f.status is not None and f.status >= 400 and f.error_type == error_type


RULES: tuple[Rule, ...] = (
    Rule(
        "success",
        lambda f: f.status is not None and f.status < 400 and not _is_throttle(f),
        "ignore",
        ShipStationError,
    ),
    Rule(
        "throttled (v2 Retry-After)",
        _is_v2_retry_after,
        "rate_limited",
        RateLimited,
        wait=lambda f: f.retry_after,
    ),
    Rule("throttled", _is_throttle, "rate_limited", RateLimited),
    Rule(
        "throttled (v2 error code)",
        lambda f: f.status is not None and f.error_code == "rate_limit_exceeded",
        "rate_limited",
        RateLimited,
    ),
    Rule("account (v2)", _is_v2_error_type("account_status"), "fail_connection", AccountError),
    Rule("security (v2)", _is_v2_error_type("security"), "fail_connection", AuthenticationError),
    Rule("unauthorized", _status_in(401, 403), "fail_connection", AuthenticationError),
    Rule("not found", _status_in(404, 410), "fail_record", NotFound),
    Rule("validation envelope", _is_validation_500, "fail_record", ValidationError),
    Rule("server error", lambda f: f.status is not None and f.status >= 500, "retry", ServerError),
    Rule("timeout", _status_in(408), "retry", ServerError),
    Rule(
        "client error",
        lambda f: f.status is not None and f.status >= 400,
        "fail_record",
        ValidationError,
    ),
    Rule("network", _is_transient_exception, "retry", TransportError),
    Rule("undecodable body", _is_decode_failure, "fail_record", DecodeError),
)
_FALLBACK = Rule("unexpected", lambda f: True, "fail_connection", ShipStationError)


def _reset_seconds(response: httpx2.Response) -> float | None:
    raw = response.headers.get("X-Rate-Limit-Reset")
    try:
        value = float(raw) if raw is not None else None
    except ValueError:
        return None
    return value if value is not None and value >= 0 else None


def _retry_after(response: httpx2.Response) -> float | None:
    """Seconds a v2 ``Retry-After`` asks for: a number, or an HTTP date (seconds from now)."""
    raw = (response.headers.get("Retry-After") or "").strip()
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        try:
            when = parsedate_to_datetime(raw)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            return None
        value = max(0.0, (when - datetime.now(UTC)).total_seconds())
    return value if math.isfinite(value) and value >= 0 else None


def _v2_envelope(response: httpx2.Response) -> tuple[str, str, str]:
    """Message, ``error_type`` and ``error_code`` of a v2 error body's first entry, if any."""
    try:
        body = json.loads(response.content or b"null")
    except ValueError:
        return "", "", ""
    entries = body.get("errors") if isinstance(body, dict) else None
    first = entries[0] if isinstance(entries, list) and entries else None
    if not isinstance(first, dict):
        return "", "", ""
    return (
        str(first.get("message") or ""),
        str(first.get("error_type") or ""),
        str(first.get("error_code") or ""),
    )


def _envelope(response: httpx2.Response) -> tuple[str, str]:
    """ShipStation's message and exception type from an error body, whatever its shape."""
    try:
        body = json.loads(response.content or b"null")
    except ValueError:
        return response.text[:200].strip(), ""
    if not isinstance(body, dict):
        return "", ""
    message = next(
        (str(body[k]) for k in ("ExceptionMessage", "Message", "message") if body.get(k)), ""
    )
    return message, str(body.get("ExceptionType") or "")


def facts_of(subject: httpx2.Response | BaseException) -> Facts:
    if isinstance(subject, httpx2.Response):
        failed = subject.status_code >= 400
        message, exception_type = _envelope(subject) if failed else ("", "")
        v2_message, error_type, error_code = _v2_envelope(subject) if failed else ("", "", "")
        return Facts(
            status=subject.status_code,
            message=message or v2_message,
            exception_type=exception_type,
            reset_seconds=_reset_seconds(subject),
            retry_after=_retry_after(subject),
            error_type=error_type,
            error_code=error_code,
        )
    if isinstance(subject, ResponseError):
        return Facts(status=subject.status, message=str(subject.args[0]))
    return Facts(exception=subject, message=f"{type(subject).__name__}: {subject}")


def match(facts: Facts) -> Rule:
    return next((rule for rule in RULES if rule.matches(facts)), _FALLBACK)


def classify(subject: httpx2.Response | BaseException) -> Resolution:
    """Turn a response or an exception into what to do about it, by the table above."""
    if isinstance(subject, ShipStationError):
        return subject.resolution
    facts = facts_of(subject)
    rule = match(facts)
    wait = None
    if rule.kind == "rate_limited":
        found = rule.wait(facts) if rule.wait is not None else facts.reset_seconds
        wait = found if found is not None else DEFAULT_RATE_LIMIT_WAIT
    reason = f"{rule.name}: {facts.message}" if facts.message else rule.name
    return Resolution(rule.kind, reason, wait)


def error_for(response: httpx2.Response, endpoint: str = "") -> ResponseError:
    """The exception a failed response becomes; its resolution comes from the same table."""
    facts = facts_of(response)
    rule = match(facts)
    resolution = classify(response)
    error_type = rule.error if issubclass(rule.error, ResponseError) else ResponseError
    return error_type(
        facts.message or response.reason_phrase or "request failed",
        resolution=resolution,
        status=response.status_code,
        body=response.text,
        endpoint=endpoint,
    )


def error_for_exception(exc: BaseException, endpoint: str = "") -> ShipStationError:
    """Wrap a transport or decoding failure so callers only ever catch ShipStationError."""
    rule = match(facts_of(exc))
    error_type = rule.error if not issubclass(rule.error, ResponseError) else ShipStationError
    return error_type(f"{type(exc).__name__}: {exc}", resolution=classify(exc), endpoint=endpoint)
