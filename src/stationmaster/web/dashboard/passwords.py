"""The dashboard password, kept only as an scrypt hash: hashing, checking, and a hashing command.

A configuration holds ``scrypt$<n>$<r>$<p>$<salt>$<hash>`` (salt and hash in URL-safe
base64), never the password; a password given through the environment is hashed as soon as
it is read. Run ``python -m stationmaster.web.dashboard.passwords`` to hash one for the
configuration's ``[web] dashboard_password_hash``.
"""

from __future__ import annotations

import base64
import binascii
import getpass
import hashlib
import hmac
import secrets
import sys
from dataclasses import dataclass
from typing import Final

SCHEME: Final = "scrypt"
#: scrypt cost: 16 MiB of memory and about 50 ms per check, which also slows guessing.
DEFAULT_N: Final = 2**14
DEFAULT_R: Final = 8
DEFAULT_P: Final = 1
KEY_BYTES: Final = 32
SALT_BYTES: Final = 16
#: Largest cost accepted from a configuration (a typo must not exhaust memory).
MAX_N: Final = 2**20
MIN_PASSWORD_LENGTH: Final = 8


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True, slots=True)
class PasswordHash:
    """A parsed ``scrypt$...`` string."""

    n: int
    r: int
    p: int
    salt: bytes
    key: bytes

    @classmethod
    def parse(cls, encoded: str) -> PasswordHash:
        """Read a hash; a malformed one raises ``ValueError`` that never repeats the value."""
        parts = encoded.strip().split("$")
        if len(parts) != 6 or parts[0] != SCHEME:
            raise ValueError("a password hash reads scrypt$<n>$<r>$<p>$<salt>$<hash>")
        try:
            n, r, p = (int(part) for part in parts[1:4])
            salt, key = _unb64(parts[4]), _unb64(parts[5])
        except (ValueError, binascii.Error):
            raise ValueError("the password hash has a non-numeric cost or bad base64") from None
        if n < 2 or n > MAX_N or n & (n - 1) or not 1 <= r <= 64 or not 1 <= p <= 16:
            raise ValueError(
                f"the password hash's cost is out of range (n a power of 2 <= {MAX_N})"
            )
        if len(salt) < 8 or len(key) < 16:
            raise ValueError("the password hash's salt or key is too short")
        return cls(n, r, p, salt, key)

    def encode(self) -> str:
        return f"{SCHEME}${self.n}${self.r}${self.p}${_b64(self.salt)}${_b64(self.key)}"

    def matches(self, password: str) -> bool:
        """Whether ``password`` is the one hashed, compared in constant time."""
        candidate = _derive(password, self.salt, self.n, self.r, self.p, len(self.key))
        return hmac.compare_digest(candidate, self.key)


def _derive(password: str, salt: bytes, n: int, r: int, p: int, length: int) -> bytes:
    return hashlib.scrypt(
        password.encode("utf-8", "surrogatepass"),
        salt=salt,
        n=n,
        r=r,
        p=p,
        maxmem=256 * n * r + 1024 * 1024,
        dklen=length,
    )


def hash_password(password: str, *, n: int = DEFAULT_N) -> str:
    """The ``scrypt$...`` string of ``password`` with a new random salt."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"the dashboard password needs at least {MIN_PASSWORD_LENGTH} characters")
    salt = secrets.token_bytes(SALT_BYTES)
    key = _derive(password, salt, n, DEFAULT_R, DEFAULT_P, KEY_BYTES)
    return PasswordHash(n, DEFAULT_R, DEFAULT_P, salt, key).encode()


def main() -> None:
    """Ask for a password twice (not echoed) and print its hash."""
    first = getpass.getpass("dashboard password: ")
    if getpass.getpass("again: ") != first:
        sys.exit("the two passwords differ")
    try:
        print(hash_password(first))
    except ValueError as exc:
        sys.exit(str(exc))


if __name__ == "__main__":
    main()
