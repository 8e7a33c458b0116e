"""Matching a request to its handler the way ShipStation does: paths in any letter case.

Routes are patterns such as ``/orders/{orderId}``; a ``{name}`` segment takes an integer. A
literal segment beats a parameter, so ``/orders/listbytag`` is never read as an order id. A path
no pattern fits is a 404; a path that fits with another method is a 405.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Generic, TypeVar

from pydantic import JsonValue

from stationmaster.emulator.faults import normalise_path
from stationmaster.emulator.query import Query
from stationmaster.emulator.replies import Reply, method_not_allowed, no_route

if TYPE_CHECKING:
    from stationmaster.emulator.backend import Backend


@dataclass(frozen=True)
class ApiRequest:
    """One API request, read: the parsed JSON body (``None`` when empty) and path ids."""

    method: str
    path: str
    url: str
    query: Query
    body: JsonValue = None
    #: Why the body could not be parsed, if it could not.
    body_error: str | None = None
    params: dict[str, int] = field(default_factory=dict)


Handler = Callable[["Backend", ApiRequest], Reply]
H = TypeVar("H")


@dataclass(frozen=True)
class Route(Generic[H]):
    method: str
    segments: tuple[str, ...]
    handler: H

    def bind(self, parts: list[str]) -> dict[str, int] | None:
        """The path ids if ``parts`` fit this route, else ``None``."""
        if len(parts) != len(self.segments):
            return None
        params: dict[str, int] = {}
        for pattern, part in zip(self.segments, parts, strict=True):
            if pattern.startswith("{"):
                try:
                    params[pattern[1:-1]] = int(part)
                except ValueError:
                    return None
            elif pattern != part:
                return None
        return params

    @property
    def literal_count(self) -> int:
        return sum(not s.startswith("{") for s in self.segments)


class Router(Generic[H]):
    """The table of routes; :meth:`resolve` finds the handler for a method and path."""

    def __init__(self) -> None:
        self._routes: list[Route[H]] = []

    def add(self, method: str, pattern: str, handler: H) -> None:
        segments = tuple(s.lower() if not s.startswith("{") else s for s in _split(pattern))
        self._routes.append(Route(method.upper(), segments, handler))

    def resolve(self, method: str, path: str, url: str) -> tuple[H, dict[str, int]]:
        parts = _split(normalise_path(path))
        fits = [
            (route, params) for route in self._routes if (params := route.bind(parts)) is not None
        ]
        if not fits:
            raise no_route(url)
        best = max(route.literal_count for route, _ in fits)
        fits = [(route, params) for route, params in fits if route.literal_count == best]
        for route, params in fits:
            if route.method == method.upper():
                return route.handler, params
        raise method_not_allowed(method.upper(), [route.method for route, _ in fits])


def _split(path: str) -> list[str]:
    return [part for part in path.split("/") if part]
