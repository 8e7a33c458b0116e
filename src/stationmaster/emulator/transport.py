"""An httpx2 transport into the emulator app that fails the way a socket would.

``httpx2.ASGITransport`` has no socket, so it can neither time out nor lose a connection. This
wrapper adds both: a ``drop`` fault surfaces as ``httpx2.RemoteProtocolError`` and an answer
later than the request's read timeout as ``httpx2.ReadTimeout``, which is what a client talking
to a real server over TCP would see.
"""

from __future__ import annotations

import anyio
import httpx2
from starlette.types import ASGIApp

from stationmaster.emulator.app import ConnectionDropped


class EmulatorTransport(httpx2.AsyncBaseTransport):
    """In-process transport for one emulator app."""

    def __init__(self, app: ASGIApp) -> None:
        self._inner = httpx2.ASGITransport(app=app)

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        timeouts = request.extensions.get("timeout") or {}
        read = timeouts.get("read")
        try:
            if read is None:
                return await self._inner.handle_async_request(request)
            with anyio.fail_after(read):
                return await self._inner.handle_async_request(request)
        except TimeoutError:
            raise httpx2.ReadTimeout(
                f"the emulator did not answer within {read} s", request=request
            ) from None
        except ConnectionDropped:
            raise httpx2.RemoteProtocolError(
                "Server disconnected without sending a response.", request=request
            ) from None
