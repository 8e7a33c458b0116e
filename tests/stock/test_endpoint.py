"""The warehouse endpoint: per-item outcomes, each item whole or not at all, bad requests 4xx."""

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field

import httpx2
import pytest
from fastapi import FastAPI
from pydantic import JsonValue
from sqlalchemy.ext.asyncio import AsyncEngine

from stationmaster import db
from stationmaster.domain import Order, Shipment
from stationmaster.stores.native import NativeStore
from stationmaster.stores.protocol import Capability, ChangeBatch, Store, UnknownSku
from stationmaster.web.app import create_app
from stationmaster.web.inventory import inventory_router
from tests.stock.support import ledger_count, levels

pytestmark = pytest.mark.anyio

TOKEN = "s3cret-token-for-tests-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
URL = "/api/v1/connections/shop/inventory/adjustments"


@dataclass
class ApiStore:
    """A store reached over an API, that drops keys it has seen (as the protocol asks)."""

    kind: str = "api"
    capabilities: frozenset[Capability] = frozenset({"orders", "stock", "stock_keys"})
    level: int = 4
    calls: int = 0
    keys: set[str] = field(default_factory=set)

    async def adjust_stock(self, sku: str, delta: int, key: str | None = None) -> int:
        self.calls += 1
        if sku != "TEA":
            raise UnknownSku(f"no {sku!r} here")
        if key not in self.keys:
            self.keys.add(key or "")
            self.level += delta
        return self.level

    async def changed_orders(self, cursor: JsonValue, limit: int) -> ChangeBatch:
        return ChangeBatch([], cursor, False)

    async def orders_by_id(self, source_ids: Sequence[str]) -> dict[str, Order]:
        return {}

    async def set_status(self, source_id: str, status: str) -> None:
        raise NotImplementedError

    async def apply_shipment(self, shipment: Shipment) -> None:
        raise NotImplementedError


@pytest.fixture
async def client(store: NativeStore, engine: AsyncEngine) -> AsyncIterator[httpx2.AsyncClient]:
    async with engine.begin() as conn:
        await db.ensure_connection(conn, "elsewhere", mode="push", store_kind="oscar")
    await store.adjust_stock("TEA", 10)
    await store.adjust_stock("COFFEE", 1)
    app = FastAPI()
    router = inventory_router(
        engine, stores={"shop": store}, token=TOKEN, max_items=5, max_body_bytes=4096
    )
    app.include_router(router)
    transport = httpx2.ASGITransport(app=app)
    async with httpx2.AsyncClient(transport=transport, base_url="http://api.test") as http:
        yield http


def item(sku: str, delta: object, key: str, **extra: object) -> dict[str, object]:
    return {"sku": sku, "delta": delta, "idempotency_key": key, **extra}


async def test_each_item_gets_its_own_outcome(
    client: httpx2.AsyncClient, engine: AsyncEngine
) -> None:
    body = {
        "adjustments": [
            item("TEA", 5, "a", reason="delivery"),
            item("TEA", 5, "a"),
            item("GHOST", 1, "b"),
            item("TEA", 2.5, "c"),
            item("COFFEE", -2, "d"),
        ]
    }
    response = await client.post(URL, json=body, headers=AUTH)
    assert response.status_code == 200
    results = response.json()["results"]
    assert [(r["index"], r["status"]) for r in results] == [
        (0, "applied"),
        (1, "duplicate"),
        (2, "unknown_sku"),
        (3, "invalid"),
        (4, "refused"),
    ]
    assert results[0]["on_hand"] == 15 and results[1]["on_hand"] == 15
    assert results[3]["field"] == "delta" and "whole number" in results[3]["error"]
    assert results[4]["field"] == "delta" and "below zero" in results[4]["error"]
    assert await levels(engine) == {"TEA": 15, "COFFEE": 1}
    assert await ledger_count(engine) == 1


async def test_a_batch_sent_again_changes_nothing(
    client: httpx2.AsyncClient, engine: AsyncEngine
) -> None:
    body = {"adjustments": [item("TEA", -3, "x"), item("COFFEE", 4, "y")]}
    first = await client.post(URL, json=body, headers=AUTH)
    again = await client.post(URL, json=body, headers=AUTH)
    assert [r["status"] for r in first.json()["results"]] == ["applied", "applied"]
    assert [r["status"] for r in again.json()["results"]] == ["duplicate", "duplicate"]
    assert await levels(engine) == {"TEA": 7, "COFFEE": 5}


async def test_a_key_reused_for_another_change_is_invalid(client: httpx2.AsyncClient) -> None:
    await client.post(URL, json={"adjustments": [item("TEA", 1, "k")]}, headers=AUTH)
    response = await client.post(URL, json={"adjustments": [item("TEA", 2, "k")]}, headers=AUTH)
    (result,) = response.json()["results"]
    assert (result["status"], result["field"]) == ("invalid", "idempotency_key")


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {TOKEN}"}],
    ids=["missing", "wrong", "basic"],
)
async def test_without_the_token_nothing_happens(
    client: httpx2.AsyncClient, engine: AsyncEngine, headers: dict[str, str]
) -> None:
    response = await client.post(URL, json={"adjustments": [item("TEA", 1, "k")]}, headers=headers)
    assert response.status_code == 401
    assert await levels(engine) == {"TEA": 10, "COFFEE": 1}


async def test_unknown_and_unserved_connections(client: httpx2.AsyncClient) -> None:
    body = {"adjustments": [item("TEA", 1, "k")]}
    missing = await client.post(URL.replace("shop", "nope"), json=body, headers=AUTH)
    assert missing.status_code == 404
    elsewhere = await client.post(URL.replace("shop", "elsewhere"), json=body, headers=AUTH)
    assert elsewhere.status_code == 409 and "'oscar'" in elsewhere.json()["detail"]


@pytest.mark.parametrize(
    ("content", "loc", "words"),
    [
        (b"", ["body"], "empty"),
        (b"{not json", ["body"], "not valid JSON"),
        (b"[1, 2]", ["body"], "expected a JSON object"),
        (b"{}", ["body", "adjustments"], "missing"),
        (b'{"adjustments": {"sku": "TEA"}}', ["body", "adjustments"], "must be a list"),
        (b'{"adjustments": [], "dry": true}', ["body", "dry"], "unknown field"),
        (b'{"adjustments": [1, 2, 3, 4, 5, 6]}', ["body", "adjustments"], "at most 5"),
    ],
    ids=["empty", "not-json", "array", "missing", "not-list", "extra", "too-many"],
)
async def test_a_malformed_body_is_422_and_nothing_happens(
    client: httpx2.AsyncClient,
    engine: AsyncEngine,
    content: bytes,
    loc: list[str],
    words: str,
) -> None:
    response = await client.post(
        URL, content=content, headers={**AUTH, "Content-Type": "application/json"}
    )
    assert response.status_code == 422
    (detail,) = response.json()["detail"]
    assert detail["loc"] == loc and words in detail["msg"]
    assert await ledger_count(engine) == 0


async def test_a_body_over_the_cap_is_413(client: httpx2.AsyncClient) -> None:
    body = {"adjustments": [item("TEA", 1, "k" * 200, reason="r" * 200) for _ in range(5)] * 3}
    response = await client.post(URL, json=body, headers=AUTH)
    assert response.status_code == 413


async def test_an_empty_list_is_fine(client: httpx2.AsyncClient) -> None:
    response = await client.post(URL, json={"adjustments": []}, headers=AUTH)
    assert response.status_code == 200 and response.json()["results"] == []


async def test_a_store_without_receipts_goes_through_the_ledger(
    store: NativeStore, engine: AsyncEngine
) -> None:
    api = ApiStore()
    stores: dict[str, Store] = {"shop": api}
    app = create_app(engine, native_stores={}, budgets={}, api_token=TOKEN, stock_stores=stores)
    transport = httpx2.ASGITransport(app=app)
    body = {"adjustments": [item("TEA", 3, "k"), item("TEA", 3, "k"), item("GHOST", 1, "g")]}
    async with httpx2.AsyncClient(transport=transport, base_url="http://api.test") as http:
        response = await http.post(URL, json=body, headers=AUTH)
    results = response.json()["results"]
    assert [(r["status"], r.get("on_hand")) for r in results] == [
        ("applied", 7),
        ("duplicate", 7),
        ("unknown_sku", None),
    ]
    assert (api.calls, api.level) == (2, 7)
    assert await ledger_count(engine, state="applied") == 1
    assert await ledger_count(engine) == 1


async def test_the_app_serves_the_native_stores_by_default(
    store: NativeStore, engine: AsyncEngine
) -> None:
    await store.adjust_stock("TEA", 1)
    app = create_app(engine, native_stores={"shop": store}, budgets={}, api_token=TOKEN)
    transport = httpx2.ASGITransport(app=app)
    async with httpx2.AsyncClient(transport=transport, base_url="http://api.test") as http:
        response = await http.post(URL, json={"adjustments": [item("TEA", 2, "k")]}, headers=AUTH)
    assert response.json()["results"][0]["on_hand"] == 3
