"""Who may use the dashboard: a password login kept in a signed session cookie.

The session is a cookie ``<expiry>.<nonce>.<signature>``: HttpOnly, SameSite=Strict, signed
with HMAC-SHA256 under a key derived from the session secret *and* the password hash, so a
new password ends every session. Each session has its own CSRF token (an HMAC of its
nonce), which every action must send back; the login form has one too, bound to a cookie of
its own, so a page elsewhere cannot log a browser in behind its user's back.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
import time
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final

from stationmaster.config import WebConfig
from stationmaster.errors import ConfigError
from stationmaster.web.dashboard.passwords import PasswordHash, hash_password

SESSION_COOKIE: Final = "stationmaster_session"
LOGIN_COOKIE: Final = "stationmaster_login"
#: Shortest session secret accepted from the environment.
MIN_SECRET_LENGTH: Final = 32


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


@dataclass(frozen=True)
class PasswordLogin:
    """The dashboard's login: the password's hash and how sessions are signed and kept."""

    password: PasswordHash = field(repr=False)
    secret: bytes = field(repr=False)
    session_seconds: float = 12 * 3600
    secure_cookies: bool = False

    @property
    def signing_key(self) -> bytes:
        return hmac.new(self.secret, self.password.encode().encode(), hashlib.sha256).digest()

    def sign(self, purpose: str, value: str) -> str:
        message = f"{purpose}\n{value}".encode()
        return _b64(hmac.new(self.signing_key, message, hashlib.sha256).digest())


def login_from_config(
    web: WebConfig, environ: Mapping[str, str] | None = None
) -> PasswordLogin | None:
    """The login the configuration describes, or ``None`` when no password is set.

    A hash in the file wins over a password in the environment; a short password or a
    malformed hash is a :class:`ConfigError` naming the setting, never the value.
    """
    env = os.environ if environ is None else environ
    encoded = web.dashboard_password_hash
    if encoded is None:
        password = env.get(web.dashboard_password_env, "")
        if not password:
            return None
        try:
            encoded = hash_password(password)
        except ValueError as exc:
            raise ConfigError(f"{web.dashboard_password_env}: {exc}") from None
    try:
        parsed = PasswordHash.parse(encoded)
    except ValueError as exc:
        raise ConfigError(f"[web] dashboard_password_hash: {exc}") from None
    secret_text = env.get(web.session_secret_env, "")
    if secret_text and len(secret_text) < MIN_SECRET_LENGTH:
        raise ConfigError(
            f"{web.session_secret_env} must be at least {MIN_SECRET_LENGTH} characters"
        )
    secret = secret_text.encode() if secret_text else secrets.token_bytes(32)
    return PasswordLogin(parsed, secret, web.session_hours * 3600, web.secure_cookies)


def login_with_password(
    password: str, *, session_seconds: float = 12 * 3600, secure_cookies: bool = False
) -> PasswordLogin:
    """A login for ``password`` with a fresh random session secret (the demo's, tests')."""
    hashed = PasswordHash.parse(hash_password(password))
    return PasswordLogin(hashed, secrets.token_bytes(32), session_seconds, secure_cookies)


@dataclass(frozen=True, slots=True)
class Session:
    nonce: str
    expires: int


def issue_session(login: PasswordLogin, now: float | None = None) -> str:
    """A new session cookie value."""
    expires = int((time.time() if now is None else now) + login.session_seconds)
    body = f"{expires}.{secrets.token_urlsafe(18)}"
    return f"{body}.{login.sign('session', body)}"


def read_session(
    login: PasswordLogin, value: str | None, now: float | None = None
) -> Session | None:
    """The session a cookie value holds, if its signature is good and it has not expired."""
    if not value or value.count(".") != 2:
        return None
    body, _, signature = value.rpartition(".")
    if not hmac.compare_digest(signature, login.sign("session", body)):
        return None
    expires_text, _, nonce = body.partition(".")
    if not expires_text.isdigit():
        return None
    expires = int(expires_text)
    if expires <= (time.time() if now is None else now):
        return None
    return Session(nonce, expires)


def csrf_token(login: PasswordLogin, session: Session) -> str:
    """The session's CSRF token: whoever cannot read our pages cannot know it."""
    return login.sign("csrf", session.nonce)


def login_form_token(login: PasswordLogin, nonce: str) -> str:
    """The login form's CSRF token for the nonce in its cookie."""
    return login.sign("login", nonce)


class LoginThrottle:
    """At most ``limit`` wrong passwords per client in ``window`` seconds, then a pause.

    Kept in memory (per process): it slows guessing, the scrypt cost does the rest.
    """

    def __init__(self, limit: int = 10, window: float = 300.0, clients: int = 10_000) -> None:
        self.limit = limit
        self.window = window
        self.clients = clients
        self._failures: dict[str, deque[float]] = {}

    def wait(self, client: str, now: float | None = None) -> float:
        """Seconds ``client`` must wait before trying again (0: may try now)."""
        at = time.monotonic() if now is None else now
        failures = self._failures.get(client)
        if failures is None:
            return 0.0
        while failures and failures[0] <= at - self.window:
            failures.popleft()
        if not failures:
            del self._failures[client]
            return 0.0
        return failures[0] + self.window - at if len(failures) >= self.limit else 0.0

    def failed(self, client: str, now: float | None = None) -> None:
        if client not in self._failures and len(self._failures) >= self.clients:
            self._failures.pop(next(iter(self._failures)))
        self._failures.setdefault(client, deque()).append(time.monotonic() if now is None else now)

    def succeeded(self, client: str) -> None:
        self._failures.pop(client, None)
