"""A small client for Medusa v2's Admin REST API: JSON in and out, clear errors, its own login.

Medusa answers a refusal with an HTTP status and a body ``{"type", "message"}`` (``not_found``,
``invalid_data``, ``not_allowed``, ...). Each failure becomes its own
:class:`~stationmaster.stores.protocol.StoreError` subclass here, so callers catch one type and
still know what happened. The client logs in with ``POST /auth/user/emailpass`` and carries the
token Medusa returns as a bearer token; when Medusa answers 401 (the token expired) it logs in
again once and repeats the request. The password is never part of a message or a log line.

Bodies are decoded with every JSON number that has a fraction read as a ``Decimal``: Medusa v2
sends some amounts as numbers in major units (``39.5`` is 39.50), and a float would blur them;
a decimal read so goes back out as the number it was (in metadata kept as it was, say).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, Final

import httpx2

from stationmaster.httpclients import ClosesOnExit, json_client
from stationmaster.stores.protocol import StoreError

LOGIN_PATH: Final = "/auth/user/emailpass"
#: How much of an unexpected response body an error message quotes.
EXCERPT_CHARS: Final = 300

Query = Mapping[str, str | int | list[str]]
"""Query parameters; a list repeats its name (``{"status[]": ["a", "b"]}``)."""


class MedusaError(StoreError):
    """Something went wrong talking to Medusa; the subclass says what."""


class MedusaUnavailable(MedusaError):
    """No usable answer: the server could not be reached or the connection broke."""


class MedusaTimeout(MedusaUnavailable):
    """The server took longer than the configured timeout."""


class MedusaAuthError(MedusaError):
    """The login was refused, or a fresh token was refused too."""


class MedusaHTTPError(MedusaError):
    """Medusa answered with a status that is not a success; ``kind`` is its error ``type``."""

    def __init__(self, message: str, *, status: int, kind: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.kind = kind


class MedusaNotFound(MedusaHTTPError, LookupError):
    """404: Medusa has no such record."""


class AdminClient(ClosesOnExit):
    """The Admin API of one Medusa server, as one admin user.

    ``base_url`` is the server's root (``https://shop.example.com``, no ``/admin``);
    ``transport`` replaces the network (tests pass an ``httpx2.MockTransport``); ``timeout``
    bounds every request in seconds.
    """

    def __init__(
        self,
        base_url: str,
        *,
        email: str,
        password: str,
        timeout: float = 30.0,
        transport: httpx2.AsyncBaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.email = email
        self._password = password
        self._token: str | None = None
        self._http = json_client(base_url=self.base_url, transport=transport, timeout=timeout)

    def __repr__(self) -> str:
        return f"AdminClient(base_url={self.base_url!r}, email={self.email!r})"

    async def get(self, path: str, params: Query | None = None) -> dict[str, Any]:
        """The JSON object ``GET path`` answers; a :class:`MedusaError` otherwise."""
        return await self.request("GET", path, params=params)

    async def post(
        self, path: str, body: Mapping[str, Any] | None = None, params: Query | None = None
    ) -> dict[str, Any]:
        """The JSON object ``POST path`` answers; a :class:`MedusaError` otherwise."""
        return await self.request("POST", path, body=body or {}, params=params)

    async def request(
        self,
        method: str,
        path: str,
        *,
        body: Mapping[str, Any] | None = None,
        params: Query | None = None,
    ) -> dict[str, Any]:
        """Send one request, logged in; once more after a fresh login if the token is refused."""
        if self._token is None:
            await self.login()
        response = await self._send(method, path, body, params)
        if response.status_code == 401:
            await self.login()
            response = await self._send(method, path, body, params)
            if response.status_code == 401:
                raise MedusaAuthError(
                    f"Medusa at {self.base_url} refused a fresh token of {self.email!r} for "
                    f"{method} {path}: {_message(response)}"
                )
        return self._decode(response, f"{method} {path}")

    async def login(self) -> None:
        """Get a token for the configured admin; :class:`MedusaAuthError` if refused."""
        self._token = None
        credentials = {"email": self.email, "password": self._password}
        response = await self._send("POST", LOGIN_PATH, credentials, None)
        if response.status_code in (400, 401, 403):
            raise MedusaAuthError(
                f"Medusa at {self.base_url} refused the login of admin user {self.email!r}: "
                f"{_message(response)}; check the e-mail and the password variable"
            )
        token = self._decode(response, f"POST {LOGIN_PATH}").get("token")
        if not isinstance(token, str) or not token:
            raise MedusaAuthError(
                f"Medusa at {self.base_url} accepted the login of {self.email!r} but sent no "
                "token: is this the emailpass provider of a Medusa v2 server?"
            )
        self._token = token

    async def _send(
        self, method: str, path: str, body: Mapping[str, Any] | None, params: Query | None
    ) -> httpx2.Response:
        headers = {"Authorization": f"Bearer {self._token}"} if self._token else {}
        content = None
        if body is not None:
            headers["Content-Type"] = "application/json"
            content = json.dumps(body, default=_number, ensure_ascii=False).encode()
        try:
            return await self._http.request(
                method, path, content=content, params=dict(params or {}), headers=headers
            )
        except httpx2.TimeoutException as exc:
            raise MedusaTimeout(
                f"Medusa at {self.base_url} did not answer {method} {path} in time "
                f"({type(exc).__name__})"
            ) from None
        except httpx2.TransportError as exc:
            raise MedusaUnavailable(
                f"cannot reach Medusa at {self.base_url}: {type(exc).__name__}: {exc}"
            ) from None

    def _decode(self, response: httpx2.Response, what: str) -> dict[str, Any]:
        """The response's JSON object, or the error its status stands for."""
        status = response.status_code
        if status >= 400:
            error = MedusaNotFound if status == 404 else MedusaHTTPError
            raise error(
                f"Medusa at {self.base_url} answered {what} with HTTP {status}: "
                f"{_message(response)}",
                status=status,
                kind=_kind(response),
            )
        try:
            body = json.loads(response.content, parse_float=Decimal)
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise MedusaHTTPError(
                f"Medusa at {self.base_url} answered {what} with a body that is not a JSON "
                f"object: {_excerpt(response.text)}",
                status=status,
            )
        return body


def _number(value: object) -> float:
    """A decimal read from Medusa (see the module docstring) as the JSON number it was."""
    if isinstance(value, Decimal):
        return float(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def _error_body(response: httpx2.Response) -> dict[str, Any]:
    try:
        body = json.loads(response.content)
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _kind(response: httpx2.Response) -> str | None:
    kind = _error_body(response).get("type")
    return kind if isinstance(kind, str) else None


def _message(response: httpx2.Response) -> str:
    """Medusa's own ``type: message`` when the body has one, else an excerpt of the body."""
    body = _error_body(response)
    message = body.get("message")
    if isinstance(message, str) and message:
        kind = body.get("type")
        return f"{kind}: {message}" if isinstance(kind, str) and kind else message
    return _excerpt(response.text)


def _excerpt(text: str) -> str:
    flat = " ".join(text.split())
    if len(flat) > EXCERPT_CHARS:
        return json.dumps(flat[:EXCERPT_CHARS] + "…", ensure_ascii=False)
    return json.dumps(flat, ensure_ascii=False)
