"""HTTP clients to other systems: opened one way, closed by ``async with``.

Every client stationmaster opens (ShipStation's two APIs, a store's API) asks for JSON, names
itself, and never follows a redirect: a redirect is an answer to report, and following it
could carry the client's credentials to another host. Each takes an injected transport, the
seam through which tests run it against an emulator or a fake in process.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Self

import httpx2


def json_client(
    *,
    base_url: str = "",
    transport: httpx2.AsyncBaseTransport | None,
    timeout: float,
    headers: Mapping[str, str] | None = None,
) -> httpx2.AsyncClient:
    """A client for a JSON API; ``headers`` are added to (or replace) the standard ones."""
    return httpx2.AsyncClient(
        base_url=base_url,
        transport=transport,
        headers={"Accept": "application/json", "User-Agent": "stationmaster", **(headers or {})},
        timeout=timeout,
        follow_redirects=False,
    )


class ClosesOnExit:
    """For a class holding its :func:`json_client` as ``_http``: ``async with`` closes it,
    however the block ends, and so does :meth:`aclose`."""

    _http: httpx2.AsyncClient

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()
