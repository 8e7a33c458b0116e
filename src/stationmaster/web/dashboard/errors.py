"""The two ways a dashboard request ends early: it needs a login, or it is refused (and why)."""

from __future__ import annotations

from collections.abc import Mapping


class LoginNeeded(Exception):
    """Nobody is logged in: pages send the browser to the login form, actions are refused."""


class Refusal(Exception):
    """A request the dashboard will not serve, with the status and a sentence for its user."""

    def __init__(
        self, status: int, message: str, *, headers: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = dict(headers or {})
