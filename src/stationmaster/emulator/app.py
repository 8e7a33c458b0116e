"""The ASGI application: control requests to the control API, everything else to the gateway.

Dropping a connection needs help from whoever runs the app: under :func:`serve` the HTTP
protocol puts an ``abort`` callable in the request scope's ``state`` (the socket is really cut);
in process there is no socket, so the app raises :class:`ConnectionDropped` and
:class:`~stationmaster.emulator.transport.EmulatorTransport` turns it into the error an HTTP
client sees.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

import anyio
from starlette.types import Receive, Scope, Send

from stationmaster.emulator.faults import normalise_path
from stationmaster.emulator.gateway import Gateway
from stationmaster.emulator.replies import Reply
from stationmaster.emulator.v2gateway import V2Gateway, is_v2
from stationmaster.emulator.wire import dumps

#: Key under which the served protocol puts its connection-abort callable (scope ``state``).
ABORT_KEY = "stationmaster.emulator.abort"
CONTROL_PREFIX = "/_emulator"

ControlHandler = Callable[[str, str, bytes, bytes], Awaitable[Reply]]
Hook = Callable[[], Awaitable[None]]


class ConnectionDropped(Exception):
    """The emulator chose to drop this connection without an answer (in-process only)."""


def is_control(path: str) -> bool:
    normal = normalise_path(path)
    return normal == CONTROL_PREFIX or normal.startswith(CONTROL_PREFIX + "/")


async def _read_body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


async def send_reply(send: Send, reply: Reply) -> None:
    content = b"" if reply.body is None else dumps(reply.body)
    headers = [(b"content-length", str(len(content)).encode())]
    if reply.body is not None:
        headers.append((b"content-type", b"application/json; charset=utf-8"))
    headers += [
        (name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in reply.headers
    ]
    await send({"type": "http.response.start", "status": reply.status, "headers": headers})
    await send({"type": "http.response.body", "body": content, "more_body": False})


class EmulatorApp:
    """ASGI 3 application of one emulator."""

    def __init__(
        self,
        gateway: Gateway,
        control: ControlHandler,
        *,
        startup: Sequence[Hook] = (),
        shutdown: Sequence[Hook] = (),
        v2: V2Gateway | None = None,
    ) -> None:
        self.gateway = gateway
        self.v2 = v2
        self.control = control
        self.startup = list(startup)
        self.shutdown = list(shutdown)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        raw = await _read_body(receive)
        method, path = scope["method"], _own_path(scope)
        query = scope.get("query_string", b"")
        if is_control(path):
            await send_reply(send, await self.control(method, path, query, raw))
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        api = self.v2 if self.v2 is not None and is_v2(path) else self.gateway
        answer = api.answer(method, path, query, headers, raw)
        if answer.reply is None:
            await _drop(scope, receive)
            return
        if answer.delay:
            await anyio.sleep(answer.delay)
        await send_reply(send, answer.reply)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                for hook in self.startup:
                    await hook()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                for hook in self.shutdown:
                    await hook()
                await send({"type": "lifespan.shutdown.complete"})
                return


async def _drop(scope: Scope, receive: Receive) -> None:
    abort = (scope.get("state") or {}).get(ABORT_KEY)
    if abort is None:
        raise ConnectionDropped("connection dropped by an injected fault")
    abort()
    while (await receive())["type"] != "http.disconnect":
        pass


def _own_path(scope: Scope) -> str:
    """The path below where the app is mounted (Starlette keeps the prefix in ``path``)."""
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    return path[len(root) :] or "/" if root and path.startswith(root) else path
