"""classify(): every row of the table, and the exceptions built from the same table."""

from __future__ import annotations

import email.utils
import json
from datetime import UTC, datetime, timedelta

import httpx2
import pytest

from stationmaster import errors
from stationmaster.errors import classify, error_for, error_for_exception


def response(status: int, body: object = None, **headers: str) -> httpx2.Response:
    content = b"" if body is None else json.dumps(body).encode()
    request = httpx2.Request("POST", "https://ssapi.shipstation.com/orders/createorders")
    return httpx2.Response(status, content=content, headers=headers, request=request)


ASP_VALIDATION = {
    "Message": "An error has occurred.",
    "ExceptionMessage": "shipTo.postalCode is required",
    "ExceptionType": "System.Exception",
    "StackTrace": "   at Fake.Frame()",
}


@pytest.mark.parametrize(
    ("subject", "kind", "error_type"),
    [
        (response(200, {"ok": True}), "ignore", None),
        (response(204), "ignore", None),
        (
            response(429, {"message": "Too Many Requests"}, **{"X-Rate-Limit-Reset": "17"}),
            "rate_limited",
            errors.RateLimited,
        ),
        (response(200, {"message": "Too Many Requests"}), "ignore", None),
        (response(503, {"message": "Too Many Requests"}), "rate_limited", errors.RateLimited),
        (
            response(401, {"Message": "Authorization has been denied for this request."}),
            "fail_connection",
            errors.AuthenticationError,
        ),
        (response(403), "fail_connection", errors.AuthenticationError),
        (response(404, {"message": "Not Found"}), "fail_record", errors.NotFound),
        (
            response(400, {"Message": "The request is invalid.", "ModelState": {}}),
            "fail_record",
            errors.ValidationError,
        ),
        (response(500, ASP_VALIDATION), "fail_record", errors.ValidationError),
        (response(500, {"Message": "An error has occurred."}), "retry", errors.ServerError),
        (response(502, None), "retry", errors.ServerError),
        (response(408), "retry", errors.ServerError),
        (response(418), "fail_record", errors.ValidationError),
    ],
)
def test_responses_resolve_by_the_table(
    subject: httpx2.Response, kind: str, error_type: type[errors.ResponseError] | None
) -> None:
    assert classify(subject).kind == kind
    if error_type is not None:
        error = error_for(subject, "POST /orders/createorders")
        assert type(error) is error_type
        assert error.resolution == classify(subject)
        assert error.status == subject.status_code


def test_rate_limit_wait_comes_from_reset_header_or_a_whole_window() -> None:
    assert classify(response(429, None, **{"X-Rate-Limit-Reset": "17"})).wait == 17.0
    assert classify(response(429, None)).wait == errors.DEFAULT_RATE_LIMIT_WAIT
    assert classify(response(429, None, **{"X-Rate-Limit-Reset": "soon"})).wait == 60.0
    assert classify(response(429, None, **{"X-Rate-Limit-Reset": "-3"})).wait == 60.0


@pytest.mark.parametrize(
    ("exc", "kind", "error_type"),
    [
        (httpx2.ReadTimeout("slow"), "retry", errors.TransportError),
        (httpx2.ConnectError("refused"), "retry", errors.TransportError),
        (httpx2.RemoteProtocolError("dropped"), "retry", errors.TransportError),
        (ValueError("bad json"), "fail_record", errors.DecodeError),
        (RuntimeError("surprise"), "fail_connection", errors.ShipStationError),
    ],
)
def test_exceptions_resolve_by_the_table(
    exc: BaseException, kind: str, error_type: type[errors.ShipStationError]
) -> None:
    assert classify(exc).kind == kind
    wrapped = error_for_exception(exc, "GET /orders")
    assert type(wrapped) is error_type
    assert classify(wrapped) is wrapped.resolution


def test_error_message_prefers_exception_message_and_keeps_a_bounded_body() -> None:
    big = dict(ASP_VALIDATION, StackTrace="x" * 10_000)
    error = error_for(response(500, big), "POST /orders/createorder")
    assert "shipTo.postalCode is required" in str(error)
    assert "HTTP 500 POST /orders/createorder" in str(error)
    assert len(error.body) == errors.BODY_EXCERPT_CHARS


def test_non_json_error_bodies_still_classify() -> None:
    request = httpx2.Request("GET", "https://ssapi.shipstation.com/orders")
    html = httpx2.Response(502, content=b"<html>Bad Gateway</html>", request=request)
    assert classify(html).kind == "retry"
    assert "Bad Gateway" in str(error_for(html))
    array = httpx2.Response(400, content=b"[1, 2]", request=request)
    assert classify(array).kind == "fail_record"


def test_resolution_retryable() -> None:
    assert errors.Resolution("retry", "x").retryable
    assert errors.Resolution("rate_limited", "x", 3.0).retryable
    assert not errors.Resolution("fail_record", "x").retryable


def v2_response(status: int, error_type: str, error_code: str, **headers: str) -> httpx2.Response:
    body = {
        "request_id": "6ba7b810-9dad-11d1-80b4-00c04fd430c8",
        "errors": [
            {
                "error_source": "ShipStation",
                "error_type": error_type,
                "error_code": error_code,
                "message": f"{error_code} happened",
            }
        ],
    }
    request = httpx2.Request("POST", "https://api.shipstation.com/v2/inventory")
    return httpx2.Response(status, json=body, headers=headers, request=request)


@pytest.mark.parametrize(
    ("subject", "kind", "error_type"),
    [
        (v2_response(429, "system", "rate_limit_exceeded"), "rate_limited", errors.RateLimited),
        (v2_response(503, "system", "rate_limit_exceeded"), "rate_limited", errors.RateLimited),
        (
            v2_response(400, "account_status", "subscription_inactive"),
            "fail_connection",
            errors.AccountError,
        ),
        (v2_response(400, "security", "forbidden"), "fail_connection", errors.AuthenticationError),
        (
            v2_response(401, "security", "unauthorized"),
            "fail_connection",
            errors.AuthenticationError,
        ),
        (
            v2_response(400, "validation", "invalid_field_value"),
            "fail_record",
            errors.ValidationError,
        ),
        (
            v2_response(400, "business_rules", "invalid_field_value"),
            "fail_record",
            errors.ValidationError,
        ),
        (v2_response(404, "validation", "invalid_identifier"), "fail_record", errors.NotFound),
        (v2_response(500, "system", "unspecified"), "retry", errors.ServerError),
    ],
)
def test_v2_answers_resolve_by_the_same_table(
    subject: httpx2.Response, kind: str, error_type: type[errors.ResponseError]
) -> None:
    assert classify(subject).kind == kind
    error = error_for(subject, "POST /v2/inventory")
    assert type(error) is error_type
    assert error.resolution == classify(subject)
    code = json.loads(subject.content)["errors"][0]["error_code"]
    assert f"{code} happened" in str(error)  # the message comes from errors[0].message


def test_v2_rate_limit_wait_comes_from_retry_after() -> None:
    assert (
        classify(v2_response(429, "system", "rate_limit_exceeded", **{"Retry-After": "7"})).wait
        == 7.0
    )
    assert classify(response(429, None, **{"Retry-After": "12"})).wait == 12.0
    in_30_s = email.utils.format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    assert 25 <= (classify(response(429, None, **{"Retry-After": in_30_s})).wait or 0) <= 30
    for unreadable in ("soon", "-4", "nan", "Mon, 99 Foo 2026"):
        wait = classify(response(429, None, **{"Retry-After": unreadable})).wait
        assert wait == errors.DEFAULT_RATE_LIMIT_WAIT
    assert classify(v2_response(429, "system", "rate_limit_exceeded")).wait == 60.0


def test_a_v1_reset_header_still_wins_over_retry_after() -> None:
    both = response(429, None, **{"X-Rate-Limit-Reset": "17", "Retry-After": "3"})
    assert classify(both).wait == 17.0
    assert classify(both).reason == "throttled"  # the v1 row, not the v2 one
