"""A small client for Vendure's Admin GraphQL API: one ``execute``, clear errors, its own login.

Vendure reports most refusals inside a successful response: GraphQL ``errors`` (a bad query,
a missing permission, a resolver that failed) or an ``ErrorResult`` member of a union (a state
transition that is not allowed, items already fulfilled). Each kind becomes its own
:class:`~stationmaster.stores.protocol.StoreError` subclass here, so callers catch one type and
still know what happened. The client logs in with the ``login`` mutation and carries the
session token Vendure returns in the ``vendure-auth-token`` header; when the session has
expired (Vendure answers ``FORBIDDEN``, or a proxy answers 401) it logs in again once and
repeats the request. The password is never part of a message or a log line.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

import httpx2

from stationmaster.httpclients import ClosesOnExit, json_client
from stationmaster.stores.protocol import StoreError

AUTH_TOKEN_HEADER: Final = "vendure-auth-token"
#: How much of an unexpected response body an error message quotes.
EXCERPT_CHARS: Final = 300

_LOGIN: Final = """
mutation StationmasterLogin($username: String!, $password: String!) {
  login(username: $username, password: $password) {
    __typename
    ... on CurrentUser { id identifier }
    ... on ErrorResult { errorCode message }
  }
}
"""


class VendureError(StoreError):
    """Something went wrong talking to Vendure; the subclass says what."""


class VendureUnavailable(VendureError):
    """No usable answer: the server could not be reached or the connection broke."""


class VendureTimeout(VendureUnavailable):
    """The server took longer than the configured timeout."""


class VendureHTTPError(VendureError):
    """The server answered with an HTTP status that is not a success."""

    def __init__(self, message: str, *, status: int) -> None:
        super().__init__(message)
        self.status = status


class VendureAuthError(VendureError):
    """The login was refused, or the user lacks a permission the connector needs."""


@dataclass(frozen=True, slots=True)
class GraphQLProblem:
    """One entry of a response's ``errors``: its message, code and the path it points at."""

    message: str
    code: str | None
    path: tuple[str | int, ...]


class VendureGraphQLError(VendureError):
    """The response carried GraphQL ``errors`` (``problems`` keeps each with its path)."""

    def __init__(self, message: str, *, problems: list[GraphQLProblem]) -> None:
        super().__init__(message)
        self.problems = problems


class VendureRefused(VendureError):
    """An operation answered with an ``ErrorResult``: Vendure's own refusal, with its code."""

    def __init__(self, message: str, *, error_code: str) -> None:
        super().__init__(message)
        self.error_code = error_code


def refusal(result: Any, what: str) -> VendureRefused | None:
    """The :class:`VendureRefused` an ``ErrorResult`` member of a union stands for, if it is one.

    Queries select ``__typename``, ``errorCode`` and ``message`` on every union they read, so
    any object carrying ``errorCode`` is a refusal.
    """
    if isinstance(result, dict) and isinstance(result.get("errorCode"), str):
        code = result["errorCode"]
        message = str(result.get("message") or code)
        return VendureRefused(f"Vendure refused to {what}: {code}: {message}", error_code=code)
    return None


class GraphQLClient(ClosesOnExit):
    """The Admin API of one Vendure server, as one user, optionally in one channel.

    ``transport`` replaces the network (tests pass an ``httpx2.MockTransport`` or a fake);
    ``timeout`` bounds every request in seconds.
    """

    def __init__(
        self,
        url: str,
        *,
        username: str,
        password: str,
        channel_token: str | None = None,
        channel_token_header: str = "vendure-token",
        timeout: float = 30.0,
        transport: httpx2.AsyncBaseTransport | None = None,
    ) -> None:
        self.url = url
        self.username = username
        self._password = password
        self._token: str | None = None
        headers = {channel_token_header: channel_token} if channel_token else {}
        self._http = json_client(transport=transport, timeout=timeout, headers=headers)

    def __repr__(self) -> str:
        return f"GraphQLClient(url={self.url!r}, username={self.username!r})"

    async def execute(self, query: str, variables: Mapping[str, Any] | None = None) -> Any:
        """The ``data`` of ``query`` run with ``variables``; a :class:`VendureError` otherwise.

        Logs in first when there is no session yet, and once more when the session has
        expired, then repeats the request; a second refusal is a :class:`VendureAuthError`.
        """
        if self._token is None:
            await self.login()
        try:
            return await self._run(query, variables)
        except _SessionRejected:
            await self.login()
        try:
            return await self._run(query, variables)
        except _SessionRejected as exc:
            raise VendureAuthError(
                f"Vendure at {self.url} does not let user {self.username!r} do this even after "
                f"a fresh login ({exc}); give the user the permissions the connector needs"
            ) from None

    async def login(self) -> None:
        """Start a session as the configured user; :class:`VendureAuthError` if refused."""
        self._token = None
        variables = {"username": self.username, "password": self._password}
        response = await self._post(_LOGIN, variables)
        try:
            data = self._data(response)
        except _SessionRejected as exc:
            raise VendureAuthError(f"Vendure at {self.url} refused the login: {exc}") from None
        result = data.get("login") if isinstance(data, dict) else None
        refused = refusal(result, f"log in user {self.username!r}")
        if refused is not None:
            raise VendureAuthError(f"{refused} (at {self.url})")
        token = response.headers.get(AUTH_TOKEN_HEADER)
        if not token:
            raise VendureAuthError(
                f"Vendure at {self.url} accepted the login but sent no {AUTH_TOKEN_HEADER} "
                "header: enable bearer tokens (authOptions.tokenMethod includes 'bearer')"
            )
        self._token = token

    async def _run(self, query: str, variables: Mapping[str, Any] | None) -> Any:
        return self._data(await self._post(query, variables))

    async def _post(self, query: str, variables: Mapping[str, Any] | None) -> httpx2.Response:
        headers = {"Authorization": f"Bearer {self._token}"} if self._token else {}
        body = {"query": query, "variables": dict(variables or {})}
        try:
            response = await self._http.post(self.url, json=body, headers=headers)
        except httpx2.TimeoutException as exc:
            raise VendureTimeout(
                f"Vendure at {self.url} did not answer in time ({type(exc).__name__})"
            ) from None
        except httpx2.TransportError as exc:
            raise VendureUnavailable(
                f"cannot reach Vendure at {self.url}: {type(exc).__name__}: {exc}"
            ) from None
        renewed = response.headers.get(AUTH_TOKEN_HEADER)
        if renewed and self._token is not None:
            self._token = renewed
        return response

    def _data(self, response: httpx2.Response) -> Any:
        """The response's ``data``, or the error its status or ``errors`` stand for."""
        if response.status_code == 401:
            raise _SessionRejected(f"HTTP 401 {_excerpt(response.text)}")
        if response.status_code >= 400 and not _is_graphql_body(response):
            raise VendureHTTPError(
                f"Vendure at {self.url} answered HTTP {response.status_code}: "
                f"{_excerpt(response.text)}",
                status=response.status_code,
            )
        try:
            body = response.json()
        except ValueError:
            raise VendureHTTPError(
                f"Vendure at {self.url} answered HTTP {response.status_code} with a body that "
                f"is not JSON: {_excerpt(response.text)}",
                status=response.status_code,
            ) from None
        if not isinstance(body, dict):
            raise VendureHTTPError(
                f"Vendure at {self.url} answered with JSON that is not a GraphQL response: "
                f"{_excerpt(response.text)}",
                status=response.status_code,
            )
        problems = [_problem(entry) for entry in body.get("errors") or []]
        if problems:
            if any(problem.code == "FORBIDDEN" for problem in problems):
                raise _SessionRejected("; ".join(problem.message for problem in problems))
            described = "; ".join(_describe(problem) for problem in problems[:5])
            raise VendureGraphQLError(
                f"Vendure at {self.url} reported: {described}", problems=problems
            )
        return body.get("data")


class _SessionRejected(Exception):
    """The session is missing, expired or lacks a permission (logging in again may help)."""


def _is_graphql_body(response: httpx2.Response) -> bool:
    """True when an error status still carries a GraphQL answer (a 400 for a bad query)."""
    try:
        body = response.json()
    except ValueError:
        return False
    return isinstance(body, dict) and ("errors" in body or "data" in body)


def _problem(entry: object) -> GraphQLProblem:
    if not isinstance(entry, dict):
        return GraphQLProblem(str(entry), None, ())
    extensions = entry.get("extensions")
    code = extensions.get("code") if isinstance(extensions, dict) else None
    raw_path = entry.get("path")
    path = tuple(
        part for part in (raw_path if isinstance(raw_path, list) else []) if _is_path_part(part)
    )
    return GraphQLProblem(str(entry.get("message") or "unknown error"), _text(code), path)


def _is_path_part(part: object) -> bool:
    return isinstance(part, str | int) and not isinstance(part, bool)


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _describe(problem: GraphQLProblem) -> str:
    where = ".".join(str(part) for part in problem.path)
    code = f" [{problem.code}]" if problem.code else ""
    return f"{problem.message}{code}" + (f" at {where}" if where else "")


def _excerpt(text: str) -> str:
    flat = " ".join(text.split())
    if len(flat) > EXCERPT_CHARS:
        return json.dumps(flat[:EXCERPT_CHARS] + "…", ensure_ascii=False)
    return json.dumps(flat, ensure_ascii=False)
