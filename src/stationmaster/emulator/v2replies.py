"""Every answer of the emulated v2 API that is not a success: v2's error body, not v1's.

v2 reports failures as ``{"request_id": "<uuid>", "errors": [{"error_source", "error_type",
"error_code", "message"}]}`` (``docs/reference/shipstation-v2-inventory.md`` §6). Handlers raise
:class:`~stationmaster.emulator.replies.ApiError` with one of these replies, like v1 handlers do.
"""

from __future__ import annotations

import uuid

from stationmaster.emulator.replies import ApiError, Reply

#: How the v2 spec spells the platform as an error source.
ERROR_SOURCE = "ShipStation"


def v2_error(
    status: int,
    error_type: str,
    error_code: str,
    message: str,
    headers: tuple[tuple[str, str], ...] = (),
) -> Reply:
    body = {
        "request_id": str(uuid.uuid4()),
        "errors": [
            {
                "error_source": ERROR_SOURCE,
                "error_type": error_type,
                "error_code": error_code,
                "message": message,
            }
        ],
    }
    return Reply(status, body, headers)


def bad_value(message: str) -> ApiError:
    """A field or parameter with a value v2 does not accept."""
    return ApiError(v2_error(400, "validation", "invalid_field_value", message))


def required(message: str) -> ApiError:
    return ApiError(v2_error(400, "validation", "field_value_required", message))


def unknown_id(message: str) -> ApiError:
    """An id (location, SKU at a location) that names nothing."""
    return ApiError(v2_error(400, "validation", "invalid_identifier", message))


def business_rule(message: str) -> ApiError:
    """A well-formed request the stock cannot satisfy (a decrement below zero)."""
    return ApiError(v2_error(400, "business_rules", "invalid_field_value", message))


def unauthorized() -> Reply:
    return v2_error(
        401, "security", "unauthorized", "The API key is invalid. Check the API-Key header."
    )


def too_many_requests(retry_after: int) -> Reply:
    return v2_error(
        429,
        "system",
        "rate_limit_exceeded",
        "You have exceeded the rate limit. Please see Retry-After for when to try again.",
        (("Retry-After", str(retry_after)),),
    )


def server_error() -> Reply:
    return v2_error(500, "system", "unspecified", "An unknown error occurred. Try again later.")


def no_route(path: str) -> ApiError:
    return ApiError(v2_error(404, "validation", "invalid_identifier", f"No endpoint at {path}."))


def method_not_allowed(method: str, allowed: list[str]) -> ApiError:
    reply = v2_error(405, "validation", "unspecified", f"{method} is not allowed here.")
    return ApiError(Reply(reply.status, reply.body, (("Allow", ", ".join(sorted(allowed))),)))
