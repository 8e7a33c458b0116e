"""Removing secrets from what the audit log keeps: headers, URL query strings, JSON bodies.

A secret is anything under a sensitive name: the credential headers (authorization,
cookies), and any query parameter or JSON key whose name contains ``api_key``/``apikey``,
``secret``, ``password`` or ``token`` (so ``SS-Password``, ``access_token``,
``client_secret`` too). Its value becomes ``[redacted]``; everything else is kept as it was.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote_plus, urlsplit, urlunsplit

from stationmaster.shipstation.client import redact_headers as redact_credential_headers

REDACTED = "[redacted]"
SENSITIVE_NAME = re.compile(r"api[_-]?key|apikey|secret|password|passwd|token", re.IGNORECASE)
_URL_IN_TEXT = re.compile(r"https?://[^\s\"'<>]+")
_USERINFO = re.compile(r"://[^\s/\"'<>@]*@")


def is_sensitive(name: str) -> bool:
    return SENSITIVE_NAME.search(name) is not None


def redact_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """Credential headers and any header with a sensitive name, redacted."""
    kept = redact_credential_headers(headers)
    return {k: (REDACTED if is_sensitive(k) else v) for k, v in kept.items()}


def redact_url(url: str) -> str:
    """``url`` with sensitive query values and any password in its user info redacted.

    Parameters are rewritten one by one, so the untouched ones keep their exact encoding.
    """
    try:
        parts = urlsplit(url)
        password = parts.password
    except ValueError:
        return url
    netloc = parts.netloc
    if password is not None:
        userinfo, _, host = netloc.rpartition("@")
        user = userinfo.split(":", 1)[0]
        netloc = f"{user}:{REDACTED}@{host}"
    query = "&".join(_redact_parameter(p) for p in parts.query.split("&")) if parts.query else ""
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def _redact_parameter(parameter: str) -> str:
    name, separator, _ = parameter.partition("=")
    if separator and is_sensitive(unquote_plus(name)):
        return f"{name}={REDACTED}"
    return parameter


def redact_text(text: str) -> str:
    """Free text (an error message, an HTML page) with every URL in it redacted."""
    return _URL_IN_TEXT.sub(lambda m: redact_url(m.group(0)), text)


def redact_json_text(text: str) -> str:
    """A JSON body with the values of sensitive keys redacted, at any depth.

    Text that is not JSON is treated as free text (:func:`redact_text`). A body with nothing
    to redact comes back exactly as given; one with something is re-serialized.
    """
    if _nothing_to_redact(text):
        return text
    try:
        document = json.loads(text)
    except ValueError:
        return redact_text(text)
    redacted, changed = _redact_value(document)
    if not changed:
        return text
    return json.dumps(redacted, ensure_ascii=False, separators=(",", ":"))


# Every spelling SENSITIVE_NAME matches, in ASCII, holds one of these once lowercased. Searching
# the lowercased UTF-8 bytes for them is several times faster than the case-insensitive pattern
# on a 100-order body.
_SENSITIVE_FRAGMENTS = (b"apikey", b"api_key", b"api-key", b"secret", b"passw", b"token")
#: The characters outside ASCII that the pattern takes for an ASCII letter (İ ı ſ K): a body
#: holding one is left to the pattern itself.
_ASCII_LOOKALIKES = ("\u0130", "\u0131", "\u017f", "\u212a")


def _nothing_to_redact(text: str) -> bool:
    """A fast, exact "no": no sensitive name, no user info in a URL, nothing escaped that could
    spell one (``\\u`` in JSON, ``%`` in a query). Most order bodies pass it untouched."""
    if "\\u" in text or "%" in text:
        return False
    if any(lookalike in text for lookalike in _ASCII_LOOKALIKES):
        if SENSITIVE_NAME.search(text) is not None:
            return False
    else:
        lowered = text.encode("utf-8").lower()  # bytes.lower() changes ASCII letters only
        if any(fragment in lowered for fragment in _SENSITIVE_FRAGMENTS):
            return False
    return "://" not in text or _USERINFO.search(text) is None


def _redact_value(value: Any) -> tuple[Any, bool]:
    if isinstance(value, dict):
        changed = False
        result: dict[str, Any] = {}
        for key, item in value.items():
            if is_sensitive(key) and item is not None:
                result[key], changed = REDACTED, True
                continue
            result[key], item_changed = _redact_value(item)
            changed = changed or item_changed
        return result, changed
    if isinstance(value, list):
        pairs = [_redact_value(item) for item in value]
        return [item for item, _ in pairs], any(changed for _, changed in pairs)
    if isinstance(value, str) and "://" in value:
        redacted = redact_text(value)
        return redacted, redacted != value
    return value, False


def cap_text(text: str, cap: int) -> str:
    """``text`` cut to at most ``cap`` UTF-8 bytes (on a character boundary), with a marker."""
    data = text.encode("utf-8")
    if len(data) <= cap:
        return text
    kept = data[:cap].decode("utf-8", "ignore")
    dropped = len(data) - len(kept.encode("utf-8"))
    return f"{kept}…[truncated {dropped} bytes]"
