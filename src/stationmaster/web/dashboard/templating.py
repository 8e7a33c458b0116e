"""Rendering the dashboard's pages: one Jinja environment, autoescaped, strict about names.

Times are shown in UTC with their age (``12:03:04 UTC · 3 min ago``) inside ``<time>``;
JSON documents pretty-printed; nothing is marked safe that came from the database.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Final

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from stationmaster.web.dashboard.static import static_url

TEMPLATE_DIR: Final = Path(__file__).parent.parent / "templates" / "dashboard"


def when(value: datetime | None) -> str:
    """``2026-11-20 17:00:03 UTC`` (or an em dash for nothing)."""
    return "—" if value is None else value.strftime("%Y-%m-%d %H:%M:%S UTC")


def duration(delta: timedelta) -> str:
    """A short human span: ``40 s``, ``12 min``, ``3 h 5 min``, ``2 d 4 h``."""
    seconds = int(abs(delta.total_seconds()))
    if seconds < 90:
        return f"{seconds} s"
    minutes = seconds // 60
    if minutes < 90:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"


def ago(value: datetime | None, now: datetime) -> str:
    """``3 min ago`` / ``in 40 s`` relative to ``now``; ``never`` for nothing."""
    if value is None:
        return "never"
    delta = now - value
    return f"{duration(delta)} ago" if delta >= timedelta(0) else f"in {duration(delta)}"


def pretty_json(value: object) -> str:
    """A document indented for reading; text that is not JSON comes back as it was."""
    document = value
    if isinstance(value, str):
        try:
            document = json.loads(value)
        except ValueError:
            return value
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False, default=str)


def number(value: float) -> str:
    """``400`` rather than ``400.0``; ``12.5`` stays."""
    return f"{value:g}"


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATE_DIR),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["when"] = when
    env.filters["ago"] = ago
    env.filters["duration"] = duration
    env.filters["number"] = number
    env.filters["pretty_json"] = pretty_json
    env.globals["static_url"] = static_url
    return env


ENVIRONMENT: Final = _environment()


def render_text(name: str, context: Mapping[str, Any]) -> str:
    return ENVIRONMENT.get_template(name).render(context)


def render(
    request: Request,
    name: str,
    context: Mapping[str, Any],
    *,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
) -> HTMLResponse:
    """The template ``name`` as an HTML response; ``request`` is in the context."""
    body = render_text(name, {"request": request, **context})
    return HTMLResponse(body, status_code=status_code, headers=dict(headers or {}))
