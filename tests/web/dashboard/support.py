"""Helpers for the dashboard's tests: an app with a logged-in client, seeded state, query counts."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

import httpx2
from fastapi import FastAPI
from sqlalchemy import event, insert
from sqlalchemy.ext.asyncio import AsyncEngine

from stationmaster import db
from stationmaster.db.tables import connections
from stationmaster.errors import Resolution
from stationmaster.shipstation import Budget
from stationmaster.shipstation.client import Exchange
from stationmaster.web.dashboard import (
    DashboardOptions,
    PasswordLogin,
    dashboard_router,
    login_with_password,
)

PASSWORD = "correct horse battery"
TOKEN = "api-token-for-dashboard-tests-0123"
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')


@cache
def shared_login() -> PasswordLogin:
    """One login for the whole run: hashing a password costs about 50 ms."""
    return login_with_password(PASSWORD)


def make_app(
    engine: AsyncEngine,
    *,
    options: DashboardOptions | None = None,
    budgets: Mapping[str, Budget] | None = None,
    now: datetime | None = None,
) -> FastAPI:
    """A bare app serving the dashboard (by default: the shared login, the clock at ``now``)."""
    chosen = options if options is not None else DashboardOptions(login=shared_login())
    if now is not None:
        chosen = replace(chosen, clock=lambda: now)
    app = FastAPI()
    app.include_router(dashboard_router(engine, budgets or {}, chosen, api_token=TOKEN))
    return app


def client_for(app: FastAPI, base_url: str = "http://dash.test") -> httpx2.AsyncClient:
    return httpx2.AsyncClient(transport=httpx2.ASGITransport(app=app), base_url=base_url)


def text_of(answer: httpx2.Response) -> str:
    """The answer's HTML with entities decoded, for looking for sentences in it."""
    return html.unescape(answer.text)


def csrf_of(html: str) -> str:
    found = CSRF_INPUT.search(html)
    assert found is not None, "no CSRF token in the page"
    return found.group(1)


async def log_in(client: httpx2.AsyncClient, password: str = PASSWORD) -> httpx2.Response:
    form = await client.get("/login")
    return await client.post(
        "/login", data={"csrf_token": csrf_of(form.text), "password": password, "next": "/"}
    )


async def session_csrf(client: httpx2.AsyncClient) -> str:
    """The logged-in session's CSRF token, as the pages carry it."""
    page = await client.get("/dead-letters")
    assert page.status_code == 200, page.text
    return csrf_of(page.text)


HTMX = {"HX-Request": "true"}


@dataclass
class QueryCounter:
    statements: list[str] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.statements)


QUERY_VERBS = frozenset({"SELECT", "INSERT", "UPDATE", "DELETE", "WITH"})


@contextmanager
def counting_queries(engine: AsyncEngine) -> Iterator[QueryCounter]:
    """Every query the engine sends while the block runs."""
    counter = QueryCounter()

    def seen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        # Transaction control (SQLite's BEGIN IMMEDIATE) is not a query.
        if statement.lstrip().split(None, 1)[0].upper() in QUERY_VERBS:
            counter.statements.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", seen)
    try:
        yield counter
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", seen)


# --- seeding ---------------------------------------------------------------------------------


async def add_connections(
    engine: AsyncEngine, names: Sequence[str], *, mode: str = "push", store_kind: str = "native"
) -> None:
    """Many connection rows in one statement (ensure_connection does one at a time)."""
    rows = [
        {
            "name": name,
            "mode": mode,
            "store_kind": store_kind,
            "settings": {},
            "sync_start": None,
            "native_change_seq": 0,
            "created_at": NOW,
            "updated_at": NOW,
        }
        for name in names
    ]
    async with engine.begin() as conn:
        await conn.execute(insert(connections), rows)


def payload(key: str, number: str = "SM-1", **extra: Any) -> dict[str, Any]:
    return {"orderKey": key, "orderNumber": number, "orderStatus": "awaiting_shipment", **extra}


async def push_accepted(
    engine: AsyncEngine, connection: str, keys: Sequence[str], at: datetime, order_id: int = 7
) -> None:
    """Queue ``keys`` and record ShipStation's acceptance of them at ``at``."""
    async with engine.begin() as conn:
        items = [db.OutboxItem.of(key, payload(key)) for key in keys]
        await db.enqueue(conn, connection, items, now=at)
        rows = await db.claim(conn, connection, len(keys) + 10, now=at)
        accepted = [(row, order_id + i, "awaiting_shipment") for i, row in enumerate(rows)]
        await db.record_successes(conn, accepted, now=at)


async def park_letter(
    engine: AsyncEngine,
    connection: str,
    key: str,
    at: datetime,
    *,
    reason: str = "ShipStation refused: bad postal code",
    audit_id: int | None = None,
) -> int:
    """A dead letter for ``key``, parked at ``at`` as the push would park it."""
    async with engine.begin() as conn:
        await db.enqueue(conn, connection, [db.OutboxItem.of(key, payload(key))], now=at)
        rows = [r for r in await db.claim(conn, connection, 500, now=at) if r.order_key == key]
        outcome = await db.record_failure(
            conn, rows[0], Resolution("fail_record", reason), reason, audit_id, now=at
        )
    assert outcome.dead_letter_id is not None
    return outcome.dead_letter_id


async def record_call(
    engine: AsyncEngine,
    connection: str,
    at: datetime,
    *,
    status: int = 200,
    method: str = "POST",
    url: str = "https://ssapi.shipstation.com/orders/createorders",
    request: object = None,
    response: object = None,
    headers: Mapping[str, str] | None = None,
) -> int:
    body = None if request is None else json.dumps(request)
    answer = None if response is None else json.dumps(response)
    exchange = Exchange("key-1", method, url, body, status, answer, dict(headers or {}), 1, 0.1)
    async with engine.begin() as conn:
        return await db.record_exchange(conn, exchange, connection, now=at)


def minutes_ago(minutes: float, now: datetime = NOW) -> datetime:
    return now - timedelta(minutes=minutes)
