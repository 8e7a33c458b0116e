"""The dashboard's static files (htmx, the stylesheet), served from the package itself.

Only the files listed here are served, read once at import, with an ETag and a day of
caching (the URL carries a digest, so a new version is a new URL): no CDN, no directory
walking, nothing outside the package reachable.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from fastapi import APIRouter, Request, Response

STATIC_DIR: Final = Path(__file__).parent.parent / "static"
STATIC_PATH: Final = "/static"


@dataclass(frozen=True, slots=True)
class StaticFile:
    body: bytes
    media_type: str
    etag: str


def _load(name: str, media_type: str) -> StaticFile:
    body = (STATIC_DIR / name).read_bytes()
    return StaticFile(body, media_type, hashlib.sha256(body).hexdigest()[:16])


FILES: Final = {
    "htmx.min.js": _load("htmx.min.js", "text/javascript; charset=utf-8"),
    "dashboard.css": _load("dashboard.css", "text/css; charset=utf-8"),
}


def static_url(name: str) -> str:
    """The URL of a static file, versioned by its content."""
    return f"{STATIC_PATH}/{name}?v={FILES[name].etag}"


def static_router() -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get(f"{STATIC_PATH}/{{name}}")
    async def static_file(name: str, request: Request) -> Response:
        found = FILES.get(name)
        if found is None:
            return Response("no such file", status_code=404, media_type="text/plain")
        headers = {
            "ETag": f'"{found.etag}"',
            "Cache-Control": "public, max-age=86400",
            "X-Content-Type-Options": "nosniff",
        }
        if request.headers.get("if-none-match") == f'"{found.etag}"':
            return Response(status_code=304, headers=headers)
        return Response(found.body, media_type=found.media_type, headers=headers)

    return router
