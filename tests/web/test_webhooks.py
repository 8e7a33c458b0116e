"""The webhook receiver and its inbox: a genuine delivery is stored once; a wrong token, a
foreign resource URL, a bad body or a flood is refused with a 4xx, stores nothing and sends
nothing anywhere (checked in the database, on SQLite and PostgreSQL)."""

import json
import re
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import timedelta

import httpx2
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine
from structlog.testing import capture_logs

from stationmaster import db
from stationmaster.config import ConnectionConfig, ShipStationConfig
from stationmaster.db.inbox import INBOX_BACKOFF, dedupe_key
from stationmaster.db.tables import inbox
from stationmaster.emulator import Emulator, EmulatorConfig
from stationmaster.errors import ConfigError
from stationmaster.sync.subscriptions import sync_webhooks
from stationmaster.testing.plugin import make_client
from stationmaster.web.webhooks import (
    MAX_BODY_BYTES,
    WebhookTarget,
    webhook_targets,
    webhooks_router,
)
from tests.contract.test_orders import simple_order
from tests.db.support import T0, at

pytestmark = pytest.mark.anyio

TOKEN = "shop-webhook-token-0123456789abcdef"
OTHER_TOKEN = "eu-webhook-token-abcdef0123456789"
BASE = "http://ssapi.emulator"
HOOK = f"/webhooks/shipstation/shop/{TOKEN}"
SHIP_URL = f"{BASE}/shipments?storeID=310554&batchId=9f1c&includeShipmentItems=False"
GOOD = {"resource_url": SHIP_URL, "resource_type": "SHIP_NOTIFY"}
LIMIT = 5


@dataclass
class Clock:
    """The rate limit's clock, moved by hand."""

    seconds: float = 1000.0

    def __call__(self) -> float:
        return self.seconds


@dataclass
class Outbound:
    """Every request httpx2 would send over the network while a test runs."""

    requests: list[str] = field(default_factory=list)


@pytest.fixture(autouse=True)
def outbound(monkeypatch: pytest.MonkeyPatch) -> Iterator[Outbound]:
    """Fail any real outbound request (and record it, should the failure be swallowed)."""
    seen = Outbound()

    def refuse(request: httpx2.Request) -> httpx2.Response:
        seen.requests.append(str(request.url))
        raise AssertionError(f"the receiver sent a request to {request.url.host}")

    async def refuse_async(
        _transport: httpx2.AsyncHTTPTransport, request: httpx2.Request
    ) -> httpx2.Response:
        return refuse(request)

    monkeypatch.setattr(httpx2.AsyncHTTPTransport, "handle_async_request", refuse_async)
    monkeypatch.setattr(
        httpx2.HTTPTransport, "handle_request", lambda _transport, request: refuse(request)
    )
    yield seen
    assert seen.requests == []


@pytest.fixture
def clock() -> Clock:
    return Clock()


def receiver_app(
    engine: AsyncEngine, clock: Clock, base_url: str = BASE, rate_limit: int = LIMIT
) -> FastAPI:
    targets = {
        "shop": WebhookTarget("shop", TOKEN, base_url),
        "eu": WebhookTarget("eu", OTHER_TOKEN, base_url),
    }
    app = FastAPI()
    app.include_router(
        webhooks_router(
            engine,
            connections=targets,
            rate_limit=rate_limit,
            clock=clock,
            now=lambda: T0,
        )
    )
    return app


@pytest.fixture
async def client(engine: AsyncEngine, clock: Clock) -> AsyncIterator[httpx2.AsyncClient]:
    async with engine.begin() as conn:
        await db.ensure_connection(conn, "shop", mode="push", store_kind="native", now=T0)
        await db.ensure_connection(conn, "eu", mode="push", store_kind="native", now=T0)
    transport = httpx2.ASGITransport(app=receiver_app(engine, clock))
    async with httpx2.AsyncClient(transport=transport, base_url="http://receiver.test") as http:
        yield http


async def stored(engine: AsyncEngine) -> list[tuple[str, str, str]]:
    async with engine.connect() as conn:
        query = select(inbox.c.connection, inbox.c.resource_type, inbox.c.resource_url)
        return sorted(tuple(row) for row in await conn.execute(query))


# --- genuine deliveries -----------------------------------------------------------------------


async def test_a_delivery_is_stored_once_however_often_it_comes(
    client: httpx2.AsyncClient, engine: AsyncEngine
) -> None:
    first = await client.post(HOOK, json=GOOD)
    again = await client.post(HOOK, json=GOOD)
    assert first.status_code == again.status_code == 202
    assert first.json() == {"stored": True, "resource_type": "SHIP_NOTIFY"}
    assert again.json()["stored"] is False
    assert await stored(engine) == [("shop", "SHIP_NOTIFY", SHIP_URL)]
    async with engine.connect() as conn:
        [entry] = await db.inbox_due(conn, "shop", now=T0)
    assert entry.dedupe_key == dedupe_key("SHIP_NOTIFY", SHIP_URL)
    assert (entry.state, entry.attempts, entry.received_at) == ("pending", 0, T0)


async def test_same_url_other_event_or_other_connection_is_another_entry(
    client: httpx2.AsyncClient, engine: AsyncEngine
) -> None:
    item_ship = {**GOOD, "resource_type": "ITEM_SHIP_NOTIFY"}
    for path, body in [
        (HOOK, GOOD),
        (HOOK, item_ship),
        (f"/webhooks/shipstation/eu/{OTHER_TOKEN}", GOOD),
    ]:
        assert (await client.post(path, json=body)).status_code == 202
    assert await stored(engine) == [
        ("eu", "SHIP_NOTIFY", SHIP_URL),
        ("shop", "ITEM_SHIP_NOTIFY", SHIP_URL),
        ("shop", "SHIP_NOTIFY", SHIP_URL),
    ]


async def test_lenient_where_it_costs_nothing(
    client: httpx2.AsyncClient, engine: AsyncEngine
) -> None:
    """Lower-case event names, spare keys, the default port spelt out, an upper-case host."""
    body = {
        "resource_url": "HTTP://SSAPI.EMULATOR:80/orders?storeID=1&importBatch=abc",
        "resource_type": "order_notify",
        "extra": {"ignored": True},
    }
    answer = await client.post(HOOK, content=json.dumps(body))
    assert answer.status_code == 202, answer.text
    assert await stored(engine) == [("shop", "ORDER_NOTIFY", body["resource_url"])]


# --- who may deliver --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        f"/webhooks/shipstation/shop/{TOKEN}x",
        f"/webhooks/shipstation/shop/{TOKEN[:-1]}",
        f"/webhooks/shipstation/shop/{OTHER_TOKEN}",
        f"/webhooks/shipstation/SHOP/{TOKEN}",
        f"/webhooks/shipstation/nowhere/{TOKEN}",
        "/webhooks/shipstation/shop/%20",
    ],
)
async def test_wrong_token_or_unknown_connection_is_404_and_stores_nothing(
    client: httpx2.AsyncClient, engine: AsyncEngine, path: str
) -> None:
    with capture_logs() as logs:
        answer = await client.post(path, json=GOOD)
    assert answer.status_code == 404
    assert answer.json() == {"detail": "Not Found"}
    assert (await client.post("/no/such/route", json=GOOD)).json() == answer.json()
    assert await stored(engine) == []
    assert TOKEN not in repr(logs) and OTHER_TOKEN not in repr(logs)


async def test_a_configured_connection_without_state_is_503_and_stores_nothing(
    engine: AsyncEngine, clock: Clock
) -> None:
    transport = httpx2.ASGITransport(app=receiver_app(engine, clock))
    async with httpx2.AsyncClient(transport=transport, base_url="http://receiver.test") as http:
        answer = await http.post(HOOK, json=GOOD)
    assert answer.status_code == 503
    assert "no state in the database" in answer.json()["detail"]
    assert await stored(engine) == []


# --- where the resource URL may point ---------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://evil.test/shipments?storeID=1", "host"),
        ("http://ssapi.emulator.evil.test/shipments", "host"),
        ("http://ssapi.emulator%2eevil.test/shipments", "host"),
        ("http://evil.test#@ssapi.emulator/shipments", "host"),
        ("https://ssapi.emulator/shipments", "scheme"),
        ("ftp://ssapi.emulator/shipments", "scheme"),
        ("//ssapi.emulator/shipments", "scheme"),
        ("/shipments?storeID=1", "scheme"),
        ("http://ssapi.emulator:8080/shipments", "port"),
        ("http://ssapi.emulator:0/shipments", "port"),
        ("http://ssapi.emulator:http/shipments", "port"),
        ("http://ssapi.emulator@evil.test/shipments", "userinfo"),
        ("http://user:pw@ssapi.emulator/shipments", "userinfo"),
        ("http://ssapi.emulator:80@evil.test/shipments", "userinfo"),
        ("http://ssapi.emulator\\@evil.test/shipments", "characters"),
        ("http://ssapi.emulator\t.evil.test/shipments", "characters"),
        ("http://ssapi.emulator /shipments", "characters"),
        ("http://ssäpi.emulator/shipments", "characters"),
    ],
)
async def test_a_foreign_resource_url_is_refused_logged_by_host_and_never_fetched(
    client: httpx2.AsyncClient, engine: AsyncEngine, outbound: Outbound, url: str, reason: str
) -> None:
    with capture_logs() as logs:
        answer = await client.post(HOOK, json={"resource_url": url, "resource_type": "SHIP_NOTIFY"})
    assert answer.status_code == 422, answer.text
    [problem] = answer.json()["detail"]
    assert problem["loc"] == ["body", "resource_url"]
    assert f"({reason})" in problem["msg"]
    assert await stored(engine) == []
    assert outbound.requests == []
    [refusal] = [entry for entry in logs if entry["event"] == "webhooks.foreign_resource_url"]
    assert refusal["connection"] == "shop" and refusal["reason"] == reason
    assert TOKEN not in repr(logs) and "/shipments" not in repr(logs)


@pytest.mark.parametrize(
    ("url", "accepted"),
    [
        ("https://ssapi.shipstation.com/shipments?batchId=1", True),
        ("https://ssapi3.shipstation.com/shipments?batchId=1", True),
        ("https://SSAPI12.shipstation.com:443/orders?importBatch=x", True),
        ("http://ssapi.shipstation.com/shipments", False),
        ("https://ssapi.shipstation.com:8443/shipments", False),
        ("https://xssapi.shipstation.com/shipments", False),
        ("https://ssapi-3.shipstation.com/shipments", False),
        ("https://ssapi3.shipstation.com.evil.test/shipments", False),
        ("https://shipstation.com/shipments", False),
        ("https://api.shipstation.com/shipments", False),
    ],
)
async def test_the_official_base_url_takes_its_numbered_hosts_only(
    engine: AsyncEngine, clock: Clock, url: str, accepted: bool
) -> None:
    async with engine.begin() as conn:
        await db.ensure_connection(conn, "shop", mode="push", store_kind="native", now=T0)
    app = receiver_app(engine, clock, base_url="https://ssapi.shipstation.com")
    transport = httpx2.ASGITransport(app=app)
    async with httpx2.AsyncClient(transport=transport, base_url="http://receiver.test") as http:
        answer = await http.post(HOOK, json={"resource_url": url, "resource_type": "SHIP_NOTIFY"})
    assert answer.status_code == (202 if accepted else 422)
    assert len(await stored(engine)) == (1 if accepted else 0)


async def test_a_base_url_with_a_path_takes_urls_under_it_only(
    engine: AsyncEngine, clock: Clock
) -> None:
    async with engine.begin() as conn:
        await db.ensure_connection(conn, "shop", mode="push", store_kind="native", now=T0)
    app = receiver_app(engine, clock, base_url="http://proxy.test:8900/shipstation/")
    transport = httpx2.ASGITransport(app=app)
    async with httpx2.AsyncClient(transport=transport, base_url="http://receiver.test") as http:
        inside = await http.post(
            HOOK, json={**GOOD, "resource_url": "http://proxy.test:8900/shipstation/shipments"}
        )
        outside = await http.post(
            HOOK, json={**GOOD, "resource_url": "http://proxy.test:8900/shipstationx/shipments"}
        )
    assert (inside.status_code, outside.status_code) == (202, 422)
    assert "(path)" in outside.json()["detail"][0]["msg"]


# --- bad bodies -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        (b"", 422, "empty"),
        (b"   ", 422, "empty"),
        (b"resource_url=x&resource_type=SHIP_NOTIFY", 422, "not JSON"),
        (b'{"resource_url": "x",', 422, "not JSON"),
        (b"\xff\xfe\x00garbage", 422, "not JSON"),
        (b"[]", 422, "must be a JSON object, got list"),
        (b'"SHIP_NOTIFY"', 422, "must be a JSON object, got str"),
        (b"null", 422, "must be a JSON object, got NoneType"),
        (json.dumps({"resource_type": "SHIP_NOTIFY"}).encode(), 422, "Field required"),
        (json.dumps({"resource_url": SHIP_URL}).encode(), 422, "Field required"),
        (json.dumps({**GOOD, "resource_url": 42}).encode(), 422, "valid string"),
        (json.dumps({**GOOD, "resource_url": [SHIP_URL]}).encode(), 422, "valid string"),
        (json.dumps({**GOOD, "resource_type": None}).encode(), 422, "valid string"),
        (json.dumps({**GOOD, "resource_type": 1}).encode(), 422, "valid string"),
        (json.dumps({**GOOD, "resource_url": ""}).encode(), 422, "at least 1 character"),
        (
            json.dumps({**GOOD, "resource_type": "LABEL_NOTIFY"}).encode(),
            422,
            "unknown resource_type",
        ),
        (
            json.dumps({**GOOD, "resource_url": BASE + "/" + "x" * 2000}).encode(),
            422,
            "at most 2000",
        ),
        (
            json.dumps({**GOOD, "pad": "x" * MAX_BODY_BYTES}).encode(),
            413,
            "larger than 16384 bytes",
        ),
    ],
)
async def test_a_bad_body_is_a_clear_4xx_and_stores_nothing(
    client: httpx2.AsyncClient, engine: AsyncEngine, body: bytes, status: int, message: str
) -> None:
    answer = await client.post(HOOK, content=body, headers={"content-type": "application/json"})
    assert answer.status_code == status, answer.text
    assert message in answer.text
    assert await stored(engine) == []


async def test_a_huge_body_without_a_declared_length_is_cut_off(
    client: httpx2.AsyncClient, engine: AsyncEngine
) -> None:
    sent: list[int] = []

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(1000):
            sent.append(1)
            yield b" " * 1024

    answer = await client.post(HOOK, content=chunks())
    assert answer.status_code == 413
    assert await stored(engine) == []


# --- rate limit -------------------------------------------------------------------------------


async def test_a_flood_is_429_per_connection_until_the_window_refills(
    client: httpx2.AsyncClient, engine: AsyncEngine, clock: Clock
) -> None:
    def body(n: int) -> dict[str, str]:
        return {**GOOD, "resource_url": f"{SHIP_URL}&n={n}"}

    for n in range(LIMIT):
        assert (await client.post(HOOK[:-1], json=body(n))).status_code == 404
        assert (await client.post(HOOK, json=body(n))).status_code == 202
    refused = await client.post(HOOK, json=body(99))
    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) >= 1
    eu = await client.post(f"/webhooks/shipstation/eu/{OTHER_TOKEN}", json=body(99))
    assert eu.status_code == 202
    assert len(await stored(engine)) == LIMIT + 1

    clock.seconds += 60 / LIMIT
    assert (await client.post(HOOK, json=body(99))).status_code == 202
    assert (await client.post(HOOK, json=body(100))).status_code == 429


# --- configuration ----------------------------------------------------------------------------


def test_targets_come_from_the_environment_and_hide_the_token() -> None:
    connections = [
        ConnectionConfig(name="shop", webhook_token_env="SHOP_HOOK"),
        ConnectionConfig(
            name="eu",
            webhook_token_env="EU_HOOK",
            shipstation=ShipStationConfig(base_url="http://127.0.0.1:8900"),
        ),
        ConnectionConfig(name="polling-only"),
    ]
    targets = webhook_targets(connections, {"SHOP_HOOK": TOKEN, "EU_HOOK": OTHER_TOKEN})
    assert sorted(targets) == ["eu", "shop"]
    assert targets["eu"].base_url == "http://127.0.0.1:8900"
    assert targets["shop"].token == TOKEN
    assert TOKEN not in repr(targets)

    with pytest.raises(ConfigError, match="set the environment variable SHOP_HOOK"):
        webhook_targets(connections, {"EU_HOOK": OTHER_TOKEN})
    with pytest.raises(ConfigError, match="SHOP_HOOK: a webhook token must be") as raised:
        webhook_targets(connections, {"SHOP_HOOK": "short-secret", "EU_HOOK": OTHER_TOKEN})
    assert "short-secret" not in str(raised.value)


@pytest.mark.parametrize("base_url", ["ssapi.emulator", "ftp://ssapi.emulator", "http://u@h.test"])
def test_a_target_needs_an_absolute_http_base_url(base_url: str) -> None:
    with pytest.raises(ValueError, match="absolute http"):
        WebhookTarget("shop", TOKEN, base_url)


def test_targets_must_be_filed_under_their_own_name(engine: AsyncEngine) -> None:
    with pytest.raises(ValueError, match="filed under 'eu'"):
        webhooks_router(engine, connections={"eu": WebhookTarget("shop", TOKEN, BASE)})


# --- end to end: the emulator delivers into the receiver --------------------------------------


@pytest.mark.parametrize("duplicate_rate", [0.0, 1.0])
async def test_the_emulator_delivers_real_notifications_into_the_inbox(
    engine: AsyncEngine, clock: Clock, duplicate_rate: float
) -> None:
    async with engine.begin() as conn:
        await db.ensure_connection(conn, "shop", mode="push", store_kind="native", now=T0)
    receiver = receiver_app(engine, clock, rate_limit=120)
    emulator = Emulator(
        EmulatorConfig(
            api_key="k",
            api_secret="s",
            limit=None,
            webhook_transport=httpx2.ASGITransport(app=receiver),
            webhook_duplicate_rate=duplicate_rate,
        )
    )
    shipstation = make_client(emulator)
    report = await sync_webhooks(
        shipstation,
        connection="shop",
        public_url="http://receiver.test",
        token=TOKEN,
        store_id=None,
    )
    assert len(report.added) == 3
    order = await shipstation.orders.create(simple_order("E2E-1", key="shop:e2e-1"))
    assert order.orderId is not None
    emulator.ship_order(order.orderId)
    results = await emulator.deliver_webhooks()

    assert {(r.outcome, r.status) for r in results} == {("delivered", 202)}
    assert len(results) == (6 if duplicate_rate else 3)
    entries = await stored(engine)
    assert sorted(kind for _, kind, _ in entries) == [
        "ITEM_SHIP_NOTIFY",
        "ORDER_NOTIFY",
        "SHIP_NOTIFY",
    ]
    assert all(url.startswith(f"{BASE}/") for _, _, url in entries)
    assert {url for _, _, url in entries} == {r.payload["resource_url"] for r in results}


# --- the inbox itself -------------------------------------------------------------------------


@pytest.fixture
async def shop(engine: AsyncEngine) -> str:
    async with engine.begin() as conn:
        await db.ensure_connection(conn, "shop", mode="push", store_kind="native", now=T0)
    return "shop"


async def test_inbox_put_is_new_once(engine: AsyncEngine, shop: str) -> None:
    async with engine.begin() as conn:
        assert await db.inbox_put(conn, shop, "SHIP_NOTIFY", SHIP_URL, now=T0) is True
        assert await db.inbox_put(conn, shop, "SHIP_NOTIFY", SHIP_URL, now=at(5)) is False
        [entry] = await db.inbox_due(conn, shop, now=T0)
        await db.inbox_done(conn, entry.id, now=at(1))
        assert await db.inbox_put(conn, shop, "SHIP_NOTIFY", SHIP_URL, now=at(9)) is False
        assert await db.inbox_due(conn, shop, now=at(10)) == []
        done = await db.get_inbox_entry(conn, entry.id)
    assert done is not None
    assert (done.state, done.done_at, done.received_at) == ("done", at(1), T0)
    async with engine.connect() as conn:
        assert await db.inbox_counts(conn, shop) == db.InboxCounts(pending=0, done=1, failed=0)


async def test_inbox_due_is_oldest_first_and_limited(engine: AsyncEngine, shop: str) -> None:
    async with engine.begin() as conn:
        for n in (3, 1, 2):
            await db.inbox_put(conn, shop, "ORDER_NOTIFY", f"{BASE}/orders?b={n}", now=at(n))
        due = await db.inbox_due(conn, shop, limit=2, now=at(10))
        assert [e.resource_url[-1] for e in due] == ["1", "2"]
        assert await db.inbox_due(conn, shop, now=at(1)) == due[:1]
        assert await db.inbox_due(conn, "elsewhere", now=at(10)) == []
        with pytest.raises(db.InvalidStateInput, match="limit"):
            await db.inbox_due(conn, shop, limit=0)


async def test_inbox_failed_retries_later_then_keeps_the_error(
    engine: AsyncEngine, shop: str
) -> None:
    async with engine.begin() as conn:
        await db.inbox_put(conn, shop, "SHIP_NOTIFY", SHIP_URL, now=T0)
        [entry] = await db.inbox_due(conn, shop, now=T0)
        now = T0
        for attempt in (1, 2):
            state = await db.inbox_failed(
                conn, entry.id, f"503 #{attempt}", now=now, max_attempts=3
            )
            assert state == "pending"
            wait = INBOX_BACKOFF.delay(attempt)
            assert await db.inbox_due(conn, shop, now=now + wait - timedelta(seconds=1)) == []
            now += wait
            [again] = await db.inbox_due(conn, shop, now=now)
            assert (again.attempts, again.last_error) == (attempt, f"503 #{attempt}")
        assert await db.inbox_failed(conn, entry.id, "503 #3", now=now, max_attempts=3) == "failed"
        assert await db.inbox_due(conn, shop, now=now + timedelta(days=30)) == []
        kept = await db.get_inbox_entry(conn, entry.id)
        assert kept is not None
        assert (kept.state, kept.attempts, kept.last_error) == ("failed", 3, "503 #3")
        assert await db.inbox_counts(conn, shop) == db.InboxCounts(failed=1)
        # A late report about an entry that is finished changes nothing.
        assert await db.inbox_failed(conn, entry.id, "late", now=now) == "failed"


async def test_a_late_failure_does_not_undo_a_success(engine: AsyncEngine, shop: str) -> None:
    async with engine.begin() as conn:
        await db.inbox_put(conn, shop, "SHIP_NOTIFY", SHIP_URL, now=T0)
        [entry] = await db.inbox_due(conn, shop, now=T0)
        await db.inbox_done(conn, entry.id, now=at(1))
        assert await db.inbox_failed(conn, entry.id, "timeout", now=at(2)) == "done"
        assert await db.inbox_counts(conn, shop) == db.InboxCounts(done=1)


async def test_inbox_refuses_bad_input_and_keeps_nothing(engine: AsyncEngine, shop: str) -> None:
    async with engine.begin() as conn:
        with pytest.raises(db.UnknownConnection):
            await db.inbox_put(conn, "nowhere", "SHIP_NOTIFY", SHIP_URL, now=T0)
        with pytest.raises(db.InvalidStateInput, match="resource_url"):
            await db.inbox_put(conn, shop, "SHIP_NOTIFY", " ", now=T0)
        with pytest.raises(db.InvalidStateInput, match="longer than 2000"):
            await db.inbox_put(conn, shop, "SHIP_NOTIFY", BASE + "/" + "x" * 2000, now=T0)
        with pytest.raises(db.InvalidStateInput, match="resource_type"):
            await db.inbox_put(conn, shop, "", SHIP_URL, now=T0)
        with pytest.raises(db.NaiveDatetimeError):
            await db.inbox_put(conn, shop, "SHIP_NOTIFY", SHIP_URL, now=T0.replace(tzinfo=None))
        with pytest.raises(db.UnknownInboxEntry):
            await db.inbox_done(conn, 424242, now=T0)
        with pytest.raises(db.UnknownInboxEntry):
            await db.inbox_failed(conn, 424242, "x", now=T0)
        await db.inbox_put(conn, shop, "SHIP_NOTIFY", SHIP_URL, now=T0)
        [entry] = await db.inbox_due(conn, shop, now=T0)
        with pytest.raises(db.InvalidStateInput, match="reason"):
            await db.inbox_failed(conn, entry.id, "  ", now=T0)
    async with engine.connect() as conn:
        total = (await conn.execute(select(func.count()).select_from(inbox))).scalar_one()
        assert total == 1
        assert await db.inbox_counts(conn, shop) == db.InboxCounts(pending=1)


def test_dedupe_keys_keep_type_and_url_apart() -> None:
    assert dedupe_key("SHIP_NOTIFY", SHIP_URL) == dedupe_key("SHIP_NOTIFY", SHIP_URL)
    assert dedupe_key("A", "B\nC") != dedupe_key("A\nB", "C")
    assert re.fullmatch(r"[0-9a-f]{64}", dedupe_key("SHIP_NOTIFY", SHIP_URL))
