"""A ShipStation v1 key pair that cannot leak through a log line, a traceback or a repr."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Credentials:
    """API key and secret. Only ``key_id``, a short one-way fingerprint, is ever shown.

    The fingerprint names the key pair in logs, metrics and budgets (one budget per pair)
    without revealing either half.
    """

    api_key: str = field(repr=False)
    api_secret: str = field(repr=False)

    def __post_init__(self) -> None:
        for name in ("api_key", "api_secret"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value.strip():
                raise ValueError(f"ShipStation {name.replace('_', ' ')} must be a non-empty string")
            if ":" in value and name == "api_key":
                raise ValueError("ShipStation api key cannot contain ':' (HTTP Basic separator)")

    @property
    def key_id(self) -> str:
        digest = hashlib.sha256(f"{self.api_key}:{self.api_secret}".encode()).hexdigest()
        return f"key-{digest[:10]}"

    def authorization(self) -> str:
        """The ``Authorization`` header value: Basic, base64 on one line as ShipStation needs."""
        token = base64.b64encode(f"{self.api_key}:{self.api_secret}".encode()).decode("ascii")
        return f"Basic {token}"

    def __repr__(self) -> str:
        return f"Credentials(key_id={self.key_id!r})"

    __str__ = __repr__
