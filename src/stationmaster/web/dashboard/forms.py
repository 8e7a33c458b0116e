"""Reading what a page sends: URL-encoded form bodies (size-capped) and query parameters.

Every malformed value is a :class:`Refusal` that says which field and why; nothing is
guessed. Forms are parsed here rather than by a multipart library: the dashboard only ever
posts ``application/x-www-form-urlencoded`` (HTML forms and htmx both do by default).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final
from urllib.parse import parse_qs

from fastapi import Request

from stationmaster.web.dashboard.errors import Refusal

FORM_TYPE: Final = "application/x-www-form-urlencoded"
MAX_FORM_BYTES: Final = 64 * 1024
MAX_FIELDS: Final = 1000


@dataclass(frozen=True, slots=True)
class Form:
    fields: Mapping[str, list[str]]

    def first(self, name: str) -> str | None:
        values = self.fields.get(name)
        return values[0] if values else None

    def all(self, name: str) -> list[str]:
        return list(self.fields.get(name, []))


async def read_form(request: Request) -> Form:
    """The request's form, parsed once (the CSRF check and the page both read it)."""
    cached = getattr(request.state, "dashboard_form", None)
    if isinstance(cached, Form):
        return cached
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_FORM_BYTES:
        raise Refusal(413, f"the form is larger than {MAX_FORM_BYTES} bytes")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            raise Refusal(413, f"the form is larger than {MAX_FORM_BYTES} bytes")
    if body and kind != FORM_TYPE:
        raise Refusal(415, f"send the form as {FORM_TYPE}, not {kind or 'an unnamed type'}")
    try:
        text = bytes(body).decode("utf-8")
        fields = parse_qs(text, keep_blank_values=True, max_num_fields=MAX_FIELDS)
    except UnicodeDecodeError:
        raise Refusal(400, "the form is not UTF-8") from None
    except ValueError:
        raise Refusal(413, f"the form has more than {MAX_FIELDS} fields") from None
    form = Form(fields)
    request.state.dashboard_form = form
    return form


def query_text(request: Request, name: str, *, max_length: int = 255) -> str | None:
    """A query parameter as text (blank: ``None``), refused when longer than ``max_length``."""
    value = request.query_params.get(name)
    if value is None or not value.strip():
        return None
    if len(value) > max_length:
        raise Refusal(400, f"{name} is longer than {max_length} characters")
    return value.strip()


def query_int(
    request: Request, name: str, *, default: int, minimum: int = 1, maximum: int = 2**31
) -> int:
    """A whole-number query parameter within bounds, or its default when absent."""
    value = query_text(request, name, max_length=20)
    return default if value is None else whole_number(name, value, minimum, maximum)


def whole_number(name: str, value: str, minimum: int = 1, maximum: int = 2**62) -> int:
    """``value`` as an int between the bounds, or a :class:`Refusal` naming ``name``."""
    text = value.strip()
    if not text.isdigit() or len(text) > 19:
        raise Refusal(400, f"{name} must be a whole number, got {value[:40]!r}")
    number = int(text)
    if not minimum <= number <= maximum:
        raise Refusal(400, f"{name} must be between {minimum} and {maximum}, got {number}")
    return number
