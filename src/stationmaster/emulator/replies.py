"""Every answer the emulator can give, and the exception handlers raise to give an error.

Bodies follow what ShipStation (an ASP.NET Web API service) is known or believed to send
(``shipstation-v1-api.md`` §5): the exception envelope for validation failures, the ModelState
shape for malformed requests, the configured bodies for 401, 404 and 429. No body ever holds a
real stack trace.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pydantic import JsonValue

from stationmaster.emulator.config import EmulatorConfig

#: The fake ``StackTrace`` in validation envelopes: shaped like .NET's, never a real one.
FAKE_STACK_TRACE = "   at ShipStation.Api.Validation.Validate(Object request)"


@dataclass(frozen=True)
class Reply:
    """An HTTP answer before encoding: status, JSON body (``None`` = empty), extra headers."""

    status: int
    body: object = None
    headers: tuple[tuple[str, str], ...] = field(default=())


class ApiError(Exception):
    """Raised by a handler to answer with ``reply``; the request's changes are rolled back."""

    def __init__(self, reply: Reply) -> None:
        super().__init__(f"HTTP {reply.status}")
        self.reply = reply


def ok(body: object, status: int = 200) -> Reply:
    return Reply(status, body)


def validation_failure(config: EmulatorConfig, reason: str) -> ApiError:
    """A request ShipStation understood but refused (missing field, wrong state)."""
    envelope: dict[str, JsonValue] = {
        "Message": "An error has occurred.",
        "ExceptionMessage": reason,
        "ExceptionType": "System.Exception",
        "StackTrace": FAKE_STACK_TRACE,
    }
    return ApiError(Reply(config.validation_status, envelope))


def invalid_request(errors: dict[str, list[str]]) -> ApiError:
    """A request that could not be read (bad JSON, wrong types): ASP.NET's ModelState shape."""
    return ApiError(Reply(400, {"Message": "The request is invalid.", "ModelState": errors}))


def invalid_field(name: str, reason: str) -> ApiError:
    return invalid_request({name: [reason]})


def not_found(config: EmulatorConfig) -> ApiError:
    return ApiError(Reply(404, dict(config.not_found_body)))


def no_route(url: str) -> ApiError:
    return ApiError(
        Reply(404, {"Message": f"No HTTP resource was found that matches the request URI '{url}'."})
    )


def method_not_allowed(method: str, allowed: list[str]) -> ApiError:
    return ApiError(
        Reply(
            405,
            {"Message": f"The requested resource does not support http method '{method}'."},
            (("Allow", ", ".join(sorted(allowed))),),
        )
    )


def server_error() -> Reply:
    """A transient failure on ShipStation's side (injected, or an emulator bug)."""
    return Reply(500, {"Message": "An error has occurred."})


def unauthorized(config: EmulatorConfig) -> Reply:
    return Reply(401, dict(config.unauthorized_body), (("WWW-Authenticate", 'Basic realm="api"'),))


def too_many_requests(config: EmulatorConfig) -> Reply:
    return Reply(429, dict(config.rate_limit_body))


def success(message: str, succeeded: bool = True) -> Reply:
    """The ``{"success", "message"}`` answer of ShipStation's action endpoints."""
    return Reply(200, {"success": succeeded, "message": message})
