"""The order-ingest JSON API: idempotent writes, and every bad request a clear 4xx that stores
nothing (checked in the database, on SQLite and PostgreSQL)."""

import json
import logging
from collections.abc import AsyncIterator

import httpx2
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine
from structlog.testing import capture_logs

from stationmaster import db
from stationmaster.db.tables import native_orders, native_stock
from stationmaster.domain import Order
from stationmaster.stores.native import NativeStore
from stationmaster.testing.factories import make_order, plain_order
from stationmaster.web.auth import bearer_dependency
from stationmaster.web.ingest import ingest_router

pytestmark = pytest.mark.anyio

TOKEN = "s3cret-token-for-tests-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
ORDERS = "/api/v1/connections/shop/orders"
CAP = 64 * 1024


@pytest.fixture
async def client(engine: AsyncEngine) -> AsyncIterator[httpx2.AsyncClient]:
    async with engine.begin() as conn:
        await db.ensure_connection(conn, "shop", mode="push", store_kind="native")
        await db.ensure_connection(conn, "oscar", mode="push", store_kind="oscar")
    app = FastAPI()
    stores = {"shop": NativeStore(engine, "shop", source="shop")}
    app.include_router(ingest_router(engine, stores=stores, token=TOKEN, max_body_bytes=CAP))
    transport = httpx2.ASGITransport(app=app)
    async with httpx2.AsyncClient(transport=transport, base_url="http://api.test") as http:
        yield http


def _body(order: Order, **changes: object) -> dict[str, object]:
    document = order.model_dump(mode="json")
    document.update(changes)
    return document


async def _count(engine: AsyncEngine, table: object = native_orders) -> int:
    async with engine.connect() as conn:
        query = select(func.count()).select_from(table)  # type: ignore[arg-type]  # a Table
        return int((await conn.execute(query)).scalar_one())


async def _put(client: httpx2.AsyncClient, order: Order, **changes: object) -> httpx2.Response:
    return await client.put(
        f"{ORDERS}/{order.source_id}", json=_body(order, **changes), headers=AUTH
    )


# --- auth -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong"},
        {"Authorization": f"Bearer {TOKEN}x"},
        {"Authorization": f"Basic {TOKEN}"},
        {"Authorization": TOKEN},
        {"Authorization": "Bearer "},
    ],
    ids=["missing", "wrong", "longer", "basic", "no-scheme", "empty"],
)
async def test_without_the_token_nothing_happens(
    client: httpx2.AsyncClient, engine: AsyncEngine, headers: dict[str, str]
) -> None:
    order = plain_order()
    responses = [
        await client.put(f"{ORDERS}/1001", json=_body(order), headers=headers),
        await client.get(f"{ORDERS}/1001", headers=headers),
        await client.delete(f"{ORDERS}/1001", headers=headers),
        await client.post(
            "/api/v1/connections/shop/stock/TEAPOT", json={"delta": 3}, headers=headers
        ),
        await client.put("/api/v1/connections/ghost/orders/1", json={}, headers=headers),
    ]
    for response in responses:
        assert response.status_code == 401
        assert response.headers["www-authenticate"].startswith("Bearer")
        assert TOKEN not in response.text
    assert await _count(engine) == 0
    assert await _count(engine, native_stock) == 0


async def test_the_token_is_never_logged(
    client: httpx2.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    with capture_logs() as logs:
        await client.put(f"{ORDERS}/1001", json=_body(plain_order()), headers=AUTH)
        await client.get(f"{ORDERS}/1001", headers={"Authorization": f"Bearer {TOKEN}x"})
    assert any(entry["event"] == "api.unauthorized" for entry in logs)
    assert any(entry["event"] == "ingest.order_stored" for entry in logs)
    assert TOKEN not in repr(logs)
    assert TOKEN not in caplog.text


def test_an_empty_token_is_refused_when_the_api_is_built() -> None:
    for token in ("", "   "):
        with pytest.raises(ValueError, match="empty"):
            bearer_dependency(token)


# --- put, get, delete -------------------------------------------------------------------------


async def test_put_is_idempotent(client: httpx2.AsyncClient, engine: AsyncEngine) -> None:
    order = plain_order()
    created = await _put(client, order)
    assert created.status_code == 201
    assert created.json() == {
        "connection": "shop",
        "source_id": "1001",
        "order_key": "shop:1001",
        "outcome": "created",
        "changed": True,
    }
    same = await _put(client, order)
    assert same.status_code == 200
    assert (same.json()["outcome"], same.json()["changed"]) == ("unchanged", False)
    updated = await _put(client, order, customer_notes="Leave it with the neighbour")
    assert (updated.status_code, updated.json()["outcome"]) == (200, "updated")
    async with engine.connect() as conn:
        stored = await db.get_native_order(conn, "shop", "1001")
    assert stored is not None
    assert (stored.version, stored.change_seq) == (2, 2)


async def test_get_returns_the_order_with_its_status(client: httpx2.AsyncClient) -> None:
    order = make_order(5)
    await _put(client, order)
    response = await client.get(f"{ORDERS}/{order.source_id}", headers=AUTH)
    assert response.status_code == 200
    assert Order.model_validate(response.json()) == order
    missing = await client.get(f"{ORDERS}/nope", headers=AUTH)
    assert missing.status_code == 404
    assert "nope" in missing.json()["detail"]


async def test_the_path_fills_a_missing_source_id(
    client: httpx2.AsyncClient, engine: AsyncEngine
) -> None:
    document = _body(plain_order())
    del document["source_id"]
    response = await client.put(f"{ORDERS}/A-9", json=document, headers=AUTH)
    assert response.status_code == 201
    async with engine.connect() as conn:
        assert await db.get_native_order(conn, "shop", "A-9") is not None


async def test_delete_marks_the_order_deleted(client: httpx2.AsyncClient) -> None:
    await _put(client, plain_order())
    response = await client.delete(f"{ORDERS}/1001", headers=AUTH)
    assert response.json() == {"source_id": "1001", "deleted": True, "changed": True}
    again = await client.delete(f"{ORDERS}/1001", headers=AUTH)
    assert again.json()["changed"] is False
    shown = await client.get(f"{ORDERS}/1001", headers=AUTH)
    assert shown.json()["deleted"] is True
    assert (await client.delete(f"{ORDERS}/nope", headers=AUTH)).status_code == 404


async def test_an_unreadable_stored_order_is_a_clear_server_error(
    client: httpx2.AsyncClient, engine: AsyncEngine
) -> None:
    await _put(client, plain_order())
    async with engine.begin() as conn:
        await conn.execute(update(native_orders).values(payload={"number": "SM-1001"}))
    response = await client.get(f"{ORDERS}/1001", headers=AUTH)
    assert response.status_code == 500
    assert "no longer a valid order" in response.json()["detail"]


# --- bad orders -------------------------------------------------------------------------------


def _locs(response: httpx2.Response) -> list[list[object]]:
    return [error["loc"] for error in response.json()["detail"]]


async def test_a_bad_order_gets_a_422_naming_each_field_and_is_not_stored(
    client: httpx2.AsyncClient, engine: AsyncEngine
) -> None:
    document = _body(plain_order())
    document["lines"][0]["quantity"] = "three"  # type: ignore[index]  # a JSON list of objects
    document["currency"] = 840
    del document["total"]
    response = await client.put(f"{ORDERS}/1001", json=document, headers=AUTH)
    assert response.status_code == 422
    assert sorted(map(str, _locs(response))) == sorted(
        map(
            str,
            [["body", "currency"], ["body", "lines", 0, "quantity"], ["body", "total"]],
        )
    )
    assert await _count(engine) == 0


async def test_a_rejected_update_leaves_the_stored_order_as_it_was(
    client: httpx2.AsyncClient,
) -> None:
    order = plain_order()
    await _put(client, order)
    response = await _put(client, order, total="-5", customer_notes="changed")
    assert response.status_code == 422
    assert _locs(response) == [["body", "total"]]
    stored = await client.get(f"{ORDERS}/1001", headers=AUTH)
    assert Order.model_validate(stored.json()) == order


@pytest.mark.parametrize(
    ("changes", "loc"),
    [
        ({"created_at": "2026-11-20T17:00:00"}, ["body", "created_at"]),
        ({"surprise": 1}, ["body", "surprise"]),
        ({"status": None}, ["body", "status"]),
        ({"source_id": "1002"}, ["body", "source_id"]),
        ({"source_id": 1001}, ["body", "source_id"]),
        ({"status": "s" * 41}, ["body", "status"]),
        ({"discounts": [{"code": "X", "amount": "1", "line_id": "li-9"}]}, ["body"]),
    ],
    ids=[
        "naive-time",
        "unknown-field",
        "null-status",
        "mismatched-id",
        "id-as-number",
        "status-too-long",
        "discount-to-no-line",
    ],
)
async def test_wrong_values_are_named(
    client: httpx2.AsyncClient, engine: AsyncEngine, changes: dict[str, object], loc: list[str]
) -> None:
    response = await _put(client, plain_order(), **changes)
    assert response.status_code == 422
    assert _locs(response) == [loc]
    assert await _count(engine) == 0


async def test_a_mismatched_id_says_which_ids(client: httpx2.AsyncClient) -> None:
    response = await client.put(f"{ORDERS}/1002", json=_body(plain_order()), headers=AUTH)
    assert response.status_code == 422
    assert "'1001' does not match the path's '1002'" in response.json()["detail"][0]["msg"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"{not json", "not valid JSON"),
        (b'{"total": NaN}', "NaN"),
        (b"[1, 2, 3]", "got an array"),
        (b"\xff\xfe\x00garbage", "not valid JSON"),
    ],
    ids=["empty", "malformed", "nan", "array", "not-utf8"],
)
async def test_a_body_that_is_not_a_json_object_is_a_clear_422(
    client: httpx2.AsyncClient, engine: AsyncEngine, content: bytes, message: str
) -> None:
    response = await client.put(
        f"{ORDERS}/1001",
        content=content,
        headers={**AUTH, "Content-Type": "application/json"},
    )
    assert response.status_code == 422
    (error,) = response.json()["detail"]
    assert error["loc"] == ["body"]
    assert message in error["msg"]
    assert await _count(engine) == 0


async def test_a_huge_body_is_refused_before_it_is_parsed(
    client: httpx2.AsyncClient, engine: AsyncEngine
) -> None:
    notes = "x" * (CAP + 1)
    declared = await _put(client, plain_order(), customer_notes=notes)
    assert declared.status_code == 413

    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"source_id": "1001", "customer_notes": "'
        for _ in range(CAP // 1024 + 1):
            yield b"y" * 1024
        yield b'"}'

    streamed = await client.put(f"{ORDERS}/1001", content=chunks(), headers=AUTH)
    assert streamed.status_code == 413
    assert "larger than" in streamed.json()["detail"]
    assert await _count(engine) == 0


@pytest.mark.parametrize(
    ("path", "loc"),
    [(f"{ORDERS}/{'9' * 256}", ["path", "source_id"]), (f"{ORDERS}/%20", ["path", "source_id"])],
    ids=["too-long", "blank"],
)
async def test_a_bad_id_in_the_path_is_named(
    client: httpx2.AsyncClient, engine: AsyncEngine, path: str, loc: list[str]
) -> None:
    response = await client.put(path, json=_body(plain_order()), headers=AUTH)
    assert response.status_code == 422
    assert _locs(response) == [loc]
    assert await _count(engine) == 0


# --- connections ------------------------------------------------------------------------------


async def test_an_unknown_connection_is_404_and_a_foreign_one_409(
    client: httpx2.AsyncClient, engine: AsyncEngine
) -> None:
    body = _body(plain_order())
    unknown = await client.put("/api/v1/connections/ghost/orders/1001", json=body, headers=AUTH)
    assert unknown.status_code == 404
    assert "ghost" in unknown.json()["detail"]
    foreign = await client.put("/api/v1/connections/oscar/orders/1001", json=body, headers=AUTH)
    assert foreign.status_code == 409
    assert "'oscar'" in foreign.json()["detail"]
    stock = await client.post(
        "/api/v1/connections/oscar/stock/TEAPOT", json={"delta": 1}, headers=AUTH
    )
    assert stock.status_code == 409
    assert await _count(engine) == 0
    assert await _count(engine, native_stock) == 0


# --- stock ------------------------------------------------------------------------------------


async def test_stock_adjusts_and_refuses_to_go_negative(
    client: httpx2.AsyncClient, engine: AsyncEngine
) -> None:
    url = "/api/v1/connections/shop/stock/TEAPOT-CER-1L"
    added = await client.post(url, json={"delta": 5}, headers=AUTH)
    assert added.json() == {"sku": "TEAPOT-CER-1L", "on_hand": 5}
    taken = await client.post(url, json={"delta": -2}, headers=AUTH)
    assert taken.json()["on_hand"] == 3
    refused = await client.post(url, json={"delta": -4}, headers=AUTH)
    assert refused.status_code == 409
    assert "below zero" in refused.json()["detail"]
    async with engine.connect() as conn:
        level = await db.get_native_stock(conn, "shop", "TEAPOT-CER-1L")
    assert level is not None
    assert level.on_hand == 3


@pytest.mark.parametrize(
    ("content", "loc"),
    [
        (json.dumps({"delta": "5"}), ["body", "delta"]),
        (json.dumps({"delta": 1.5}), ["body", "delta"]),
        (json.dumps({"delta": True}), ["body", "delta"]),
        (json.dumps({"delta": 2**40}), ["body", "delta"]),
        (json.dumps({}), ["body", "delta"]),
        (json.dumps({"delta": 1, "sku": "X"}), ["body", "sku"]),
        ("delta=5", ["body"]),
    ],
    ids=["string", "fraction", "bool", "huge", "missing", "extra", "form"],
)
async def test_a_bad_stock_body_is_named(
    client: httpx2.AsyncClient, engine: AsyncEngine, content: str, loc: list[str]
) -> None:
    response = await client.post(
        "/api/v1/connections/shop/stock/TEAPOT", content=content, headers=AUTH
    )
    assert response.status_code == 422
    assert _locs(response) == [loc]
    assert await _count(engine, native_stock) == 0
