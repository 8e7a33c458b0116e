"""The v2 inventory client against the emulator (and a few hand-made servers for the odd cases)."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

import httpx2
import pydantic
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from structlog.testing import capture_logs

from stationmaster import errors
from stationmaster.db import get_audit_entry, record_exchange, redact_headers
from stationmaster.emulator import Emulator, EmulatorConfig, ManualClock
from stationmaster.shipstation import Budget, Credentials, RetryPolicy
from stationmaster.shipstation.client import Exchange
from stationmaster.shipstation.inventory import (
    InventoryClient,
    InventoryCredentials,
    safe_headers,
)
from stationmaster.shipstation.models.inventory import InventoryChange, InventoryPage
from stationmaster.testing.plugin import FAST_RETRY
from tests.emulator.helpers import START

pytestmark = pytest.mark.anyio

V2_KEY = "v2-key-SECRETVALUE-123"
MAIN_WH, MAIN_LOC = "se-100001", "se-200001"


class FakeTime:
    """A budget clock whose sleeps pass at once, move the emulator's clock, and are kept."""

    def __init__(self, emu: Emulator | None = None) -> None:
        self.now = 0.0
        self.slept: list[float] = []
        self.emu = emu

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds
        if self.emu is not None:
            self.emu.advance(seconds)


def emulator(**v2: object) -> Emulator:
    config = EmulatorConfig(api_key="K", api_secret="S", v2={"api_key": V2_KEY, **v2})
    return Emulator(config, clock=ManualClock(START))


def client_for(
    emu: Emulator,
    *,
    key: str = V2_KEY,
    budget: Budget | None = None,
    retry: RetryPolicy = FAST_RETRY,
    **options: Any,
) -> InventoryClient:
    return InventoryClient(
        InventoryCredentials(key),
        base_url=emu.base_url,
        transport=emu.transport(),
        budget=budget or Budget(10_000, 60.0),
        retry=retry,
        **options,
    )


def statuses(emu: Emulator) -> list[int | None]:
    return [call.status for call in emu.calls]


def places(emu: Emulator) -> tuple[str, str]:
    warehouse = emu.add_inventory_warehouse("Overflow")["inventory_warehouse_id"]
    return warehouse, emu.add_inventory_location(warehouse, "B-1")["inventory_location_id"]


# -- credentials -----------------------------------------------------------------------------


def test_credentials_show_only_a_fingerprint() -> None:
    credentials = InventoryCredentials(V2_KEY)
    for text in (repr(credentials), str(credentials), f"{credentials}", repr([credentials])):
        assert "SECRETVALUE" not in text
    assert credentials.key_id.startswith("v2key-") and len(credentials.key_id) == 16
    assert credentials.key_id == InventoryCredentials(V2_KEY).key_id
    assert credentials.key_id != InventoryCredentials(V2_KEY + "x").key_id
    client = InventoryClient(credentials)
    assert "SECRETVALUE" not in repr(client) and credentials.key_id in repr(client)


@pytest.mark.parametrize("key", ["", " key", "key\n", "ke y", "kéy", 42])
def test_credentials_refuse_keys_that_cannot_be_a_header(key: object) -> None:
    with pytest.raises(ValueError, match="v2 API key"):
        InventoryCredentials(key)  # type: ignore[arg-type]


def test_a_v1_key_pair_is_not_a_v2_credential() -> None:
    with pytest.raises(TypeError, match="not a v1 pair"):
        InventoryClient(Credentials("k", "s"))  # type: ignore[arg-type]


# -- listing ---------------------------------------------------------------------------------


@pytest.mark.parametrize("paging", ["cursor", "page"])
async def test_levels_walk_every_page_and_yield_each_level_once(paging: str) -> None:
    emu = emulator(paging=paging)
    _, other = places(emu)
    emu.set_inventory(
        [{"sku": f"SKU-{i:05d}", "on_hand": i, "allocated": i % 2} for i in range(1_000)]
        + [
            {"sku": f"SKU-{i:05d}", "on_hand": 1, "inventory_location_id": other}
            for i in range(234)
        ]
    )
    async with client_for(emu) as client:
        levels = [level async for level in client.levels(page_size=100, group_by="location")]
    assert client.calls == 13 == len(emu.calls)
    assert len(levels) == 1_234 == len({level.place for level in levels})
    assert [
        (lv.sku, lv.inventory_warehouse_id, lv.inventory_location_id, lv.on_hand, lv.allocated)
        for lv in levels
    ] == [
        (
            r["sku"],
            r["inventory_warehouse_id"],
            r["inventory_location_id"],
            r["on_hand"],
            r["allocated"],
        )
        for r in emu.inventory()
    ]
    assert all(lv.available == lv.on_hand - lv.allocated for lv in levels)
    assert emu.calls[0].query == {"limit": "100", "group_by": "location"}


async def test_levels_without_group_by_take_the_servers_grouping() -> None:
    emu = emulator()
    _, other = places(emu)
    shelf = emu.add_inventory_location(MAIN_WH, "A-2")["inventory_location_id"]
    emu.set_inventory(
        [
            {"sku": "A", "on_hand": 2},
            {"sku": "A", "on_hand": 3, "inventory_location_id": shelf},
            {"sku": "A", "on_hand": 4, "inventory_location_id": other},
        ]
    )
    async with client_for(emu) as client:
        levels = [level async for level in client.levels()]
        by_warehouse = [level async for level in client.levels(group_by="warehouse")]
    assert [(lv.inventory_warehouse_id, lv.inventory_location_id, lv.on_hand) for lv in levels] == [
        (MAIN_WH, None, 5),
        ("se-100002", None, 4),
    ]
    assert by_warehouse == levels


async def test_filters_and_sku_batches() -> None:
    emu = emulator()
    warehouse, other = places(emu)
    emu.set_inventory(
        [{"sku": s, "on_hand": 1} for s in "ABCDE"]
        + [{"sku": "A", "on_hand": 9, "inventory_location_id": other}]
    )
    async with client_for(emu, sku_batch=2) as client:
        picked = [lv async for lv in client.levels(skus=["C", "A", "B", "A"], group_by="location")]
        assert [call.query["sku"] for call in emu.calls] == ["C,A", "B"]
        in_other = [lv async for lv in client.levels(warehouse_id=warehouse)]
        at_other = [lv async for lv in client.levels(location_id=other)]
        emu.clear_calls()
        nothing = [lv async for lv in client.levels(skus=[])]
    assert sorted((lv.sku, lv.inventory_location_id) for lv in picked) == [
        ("A", MAIN_LOC),
        ("A", other),
        ("B", MAIN_LOC),
        ("C", MAIN_LOC),
    ]
    assert [(lv.sku, lv.on_hand) for lv in in_other] == [("A", 9)]
    assert [(lv.sku, lv.inventory_location_id) for lv in at_other] == [("A", other)]
    assert nothing == [] and emu.calls == []


async def test_warehouses_and_locations_walk_their_pages() -> None:
    emu = emulator()
    warehouse, other = places(emu)
    extra = [
        emu.add_inventory_location(MAIN_WH, f"A-{i}")["inventory_location_id"] for i in range(100)
    ]
    async with client_for(emu) as client:
        warehouses = await client.warehouses()
        everything = await client.locations()
        calls = client.calls
        in_other = await client.locations(warehouse)
    assert [w.inventory_warehouse_id for w in warehouses] == [MAIN_WH, warehouse]
    assert warehouses[0].name == "Main Warehouse" and warehouses[0].created_at is not None
    assert calls == 1 + 2  # 102 locations at 100 a page
    assert {loc.inventory_location_id for loc in everything} == {MAIN_LOC, other, *extra}
    assert [loc.inventory_location_id for loc in in_other] == [other]
    assert emu.calls[-1].query["inventory_warehouse_id"] == warehouse


# -- changes ---------------------------------------------------------------------------------


async def test_each_transaction_type() -> None:
    emu = emulator()
    _, other = places(emu)

    def change(kind: str, quantity: int, **fields: Any) -> InventoryChange:
        return InventoryChange(transaction_type=kind, sku="TEA", quantity=quantity, **fields)  # type: ignore[arg-type]

    async with client_for(emu, default_location_id=MAIN_LOC) as client:
        await client.change(
            change("increment", 10, cost={"amount": Decimal("2.5"), "currency": "usd"})
        )
        await client.change(change("decrement", 4, reason="sold", notes="order 7"))
        await client.change(change("modify", 2, new_inventory_location_id=other))
        await client.change(change("adjust", 0, inventory_location_id=other))
        await client.change(change("adjust", 9))
        levels = [lv async for lv in client.levels(skus=["TEA"], group_by="location")]
    assert [(lv.inventory_location_id, lv.on_hand) for lv in levels] == [(MAIN_LOC, 9), (other, 0)]
    assert levels[0].average_cost is not None
    assert levels[0].average_cost.amount == Decimal("2.5")
    assert statuses(emu)[:5] == [204] * 5
    assert emu.calls[1].body == {
        "transaction_type": "decrement",
        "sku": "TEA",
        "quantity": 4,
        "reason": "sold",
        "notes": "order 7",
        "inventory_location_id": MAIN_LOC,
    }


async def test_a_200_with_an_empty_body_is_success_too() -> None:
    emu = emulator(change_status=200)
    async with client_for(emu) as client:
        await client.change(
            InventoryChange(
                transaction_type="increment", sku="A", quantity=1, inventory_location_id=MAIN_LOC
            )
        )
    assert emu.inventory()[0]["on_hand"] == 1


async def test_a_change_without_a_location_is_refused_before_sending() -> None:
    emu = emulator()
    async with client_for(emu) as client:
        with pytest.raises(ValueError, match="names no inventory_location_id"):
            await client.change(InventoryChange(transaction_type="increment", sku="A", quantity=1))
        with pytest.raises(TypeError, match="InventoryChange"):
            await client.change({"sku": "A"})  # type: ignore[arg-type]
    assert client.calls == 0 and emu.calls == []


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"sku": "GHOST", "transaction_type": "decrement"}, "has no inventory at location"),
        ({"sku": "A", "transaction_type": "decrement", "quantity": 99}, "only 5 on hand"),
        (
            {"sku": "A", "transaction_type": "increment", "inventory_location_id": "se-9"},
            "'se-9' was not found",
        ),
    ],
)
async def test_refused_changes_are_classified_records_and_change_nothing(
    fields: dict[str, Any], message: str
) -> None:
    emu = emulator()
    emu.set_inventory([{"sku": "A", "on_hand": 5}])
    change = InventoryChange.model_validate({"quantity": 1, **fields})
    async with client_for(emu, default_location_id=MAIN_LOC) as client:
        with pytest.raises(errors.ValidationError) as caught:
            await client.change(change)
    error = caught.value
    assert error.status == 400 and message in str(error)
    assert error.resolution.kind == "fail_record" and message in error.resolution.reason
    assert errors.classify(error) is error.resolution
    assert client.calls == 1  # a refusal is not sent again
    assert [(r["sku"], r["on_hand"]) for r in emu.inventory()] == [("A", 5)]


async def test_a_wrong_key_stops_the_connection_after_one_request() -> None:
    emu = emulator()
    async with client_for(emu, key="not-the-key") as client:
        with pytest.raises(errors.AuthenticationError) as caught:
            [lv async for lv in client.levels()]
    assert caught.value.resolution.kind == "fail_connection"
    assert caught.value.status == 401 and "API key is invalid" in str(caught.value)
    assert client.calls == 1


async def test_a_v1_key_used_as_v2_key_is_refused() -> None:
    emu = emulator()
    async with client_for(emu, key="K") as client:
        with pytest.raises(errors.AuthenticationError):
            await client.warehouses()


# -- rate limit, retries ---------------------------------------------------------------------


async def test_a_429_waits_retry_after_then_sends_the_same_request() -> None:
    emu = emulator()
    emu.set_inventory([{"sku": "A", "on_hand": 3}])
    emu.inject("429", path="/v2/inventory", reset_seconds=7)
    time = FakeTime()
    budget = Budget(200, 60.0, clock=time.clock, sleep=time.sleep)
    async with client_for(emu, budget=budget) as client:
        levels = [lv async for lv in client.levels(skus=["A"])]
    assert time.slept == [7.0]
    assert statuses(emu) == [429, 200]
    assert emu.calls[0].query == emu.calls[1].query
    assert [lv.on_hand for lv in levels] == [3]
    assert client.calls == 2


async def test_the_emulators_window_is_waited_out_by_retry_after() -> None:
    emu = emulator(limit=3)
    time = FakeTime(emu)
    budget = Budget(200, 60.0, clock=time.clock, sleep=time.sleep)
    async with client_for(emu, budget=budget) as client:
        for _ in range(4):
            await client.warehouses()
    assert statuses(emu) == [200, 200, 200, 429, 200]
    assert time.slept == [60.0]


async def test_server_errors_are_retried_only_for_adjust() -> None:
    emu = emulator()
    emu.inject("500", path="/v2/inventory", method="POST")
    async with client_for(emu, default_location_id=MAIN_LOC) as client:
        with pytest.raises(errors.ServerError) as caught:
            await client.change(InventoryChange(transaction_type="increment", sku="A", quantity=2))
        assert caught.value.resolution.kind == "retry"
        assert client.calls == 1 and emu.inventory() == []
        emu.inject("500", path="/v2/inventory", method="POST")
        await client.change(InventoryChange(transaction_type="adjust", sku="A", quantity=2))
    assert statuses(emu) == [500, 500, 204]
    assert [r["on_hand"] for r in emu.inventory()] == [2]


async def test_a_dropped_listing_is_sent_again() -> None:
    emu = emulator()
    emu.inject("drop", path="/v2/inventory")
    async with client_for(emu) as client:
        assert [lv async for lv in client.levels()] == []
    assert statuses(emu) == [None, 200]


# -- secrets ---------------------------------------------------------------------------------


async def test_the_key_never_reaches_logs_audit_errors_or_recorded_calls(
    engine: AsyncEngine, caplog: pytest.LogCaptureFixture
) -> None:
    emu = emulator()
    emu.set_inventory([{"sku": "A", "on_hand": 1}])
    emu.inject("429", path="/v2/inventory", reset_seconds=0)
    exchanges: list[Exchange] = []
    caught: list[BaseException] = []
    caplog.set_level(logging.DEBUG)
    with capture_logs() as logs:
        async with client_for(emu, observer=exchanges.append) as client:
            [lv async for lv in client.levels()]
            try:
                await client.change(
                    InventoryChange(
                        transaction_type="decrement",
                        sku="A",
                        quantity=5,
                        inventory_location_id=MAIN_LOC,
                    )
                )
            except errors.ShipStationError as exc:
                caught.append(exc)
    assert len(exchanges) == 3 and len(caught) == 1
    ids = []
    async with engine.begin() as conn:
        for exchange in exchanges:
            ids.append(await record_exchange(conn, exchange, "shop"))
        stored = [await get_audit_entry(conn, audit_id) for audit_id in ids]
    texts = [
        repr(exchanges),
        repr(stored),
        repr(logs),
        caplog.text,
        repr(emu.calls),
        str(caught[0]),
        repr(caught[0].args),
        getattr(caught[0], "body", ""),
        repr(client),
    ]
    for text in texts:
        assert "SECRETVALUE" not in text
    assert exchanges[0].key_id == client.credentials.key_id and exchanges[0].status == 429


def test_api_key_headers_are_redacted_wherever_headers_are_kept() -> None:
    headers = {"API-Key": V2_KEY, "api-key": V2_KEY, "Retry-After": "3"}
    for redacted in (safe_headers(headers), redact_headers(headers)):
        assert redacted == {"API-Key": "[redacted]", "api-key": "[redacted]", "Retry-After": "3"}


# -- bad input -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"quantity": 1.5}, "quantity"),
        ({"quantity": "3"}, "quantity"),
        ({"quantity": True}, "quantity"),
        ({"quantity": -1}, "quantity"),
        ({"quantity": 0}, "quantity of a increment must be at least 1"),
        ({"transaction_type": "modify"}, "a modify needs at least one of"),
        ({"new_inventory_location_id": "se-2"}, "only go with transaction_type 'modify'"),
        ({"transaction_type": "restock"}, "transaction_type"),
        ({"sku": ""}, "sku must not be empty"),
        ({"sku": "   "}, "sku must not be empty"),
        ({"sku": " A"}, "has blanks around it"),
        ({"sku": "A\tB"}, "control character"),
        ({"inventory_location_id": ""}, "must not be blank"),
        ({"condition": "broken"}, "condition"),
        ({"effective_at": "2026-03-02T10:00:00"}, "effective_at"),
        ({"cost": {"amount": -1, "currency": "usd"}}, "cost.amount"),
        ({"cost": {"amount": 1}}, "cost.currency"),
        ({"quantity_on_hand": 3}, "quantity_on_hand"),
    ],
)
def test_bad_changes_are_refused_with_a_clear_error(fields: dict[str, Any], message: str) -> None:
    raw = {"transaction_type": "increment", "sku": "A", "quantity": 1, **fields}
    with pytest.raises(pydantic.ValidationError, match=message):
        InventoryChange.model_validate(raw)


def test_good_changes_render_their_body() -> None:
    adjust = InventoryChange(transaction_type="adjust", sku="A", quantity=0)
    assert adjust.body("se-1") == {
        "transaction_type": "adjust",
        "sku": "A",
        "quantity": 0,
        "inventory_location_id": "se-1",
    }
    moved = InventoryChange.model_validate(
        {
            "transaction_type": "modify",
            "sku": "A",
            "quantity": 2,
            "inventory_location_id": "se-1",
            "new_cost": {"amount": "1.10", "currency": "usd"},
            "effective_at": "2026-03-02T10:00:00+00:00",
        }
    )
    assert moved.body("ignored") == {
        "transaction_type": "modify",
        "sku": "A",
        "quantity": 2,
        "inventory_location_id": "se-1",
        "new_cost": {"amount": 1.1, "currency": "usd"},
        "effective_at": "2026-03-02T10:00:00Z",
    }


@pytest.mark.parametrize(
    ("arguments", "error", "message"),
    [
        ({"skus": "ABC"}, TypeError, "not one string"),
        ({"skus": ["A", "B,C"]}, ValueError, "holds a comma"),
        ({"skus": ["A", ""]}, ValueError, "non-empty string"),
        ({"skus": ["A", None]}, ValueError, "non-empty string"),
        ({"skus": [" A"]}, ValueError, "blanks around it"),
        ({"page_size": 0}, ValueError, "page_size must be a whole number"),
        ({"page_size": True}, ValueError, "page_size must be a whole number"),
        ({"warehouse_id": ""}, ValueError, "warehouse_id must be"),
        ({"location_id": " se-1"}, ValueError, "location_id must be"),
        ({"group_by": "sku"}, ValueError, "group_by must be"),
    ],
)
async def test_bad_listing_arguments_are_refused_before_sending(
    arguments: dict[str, Any], error: type[Exception], message: str
) -> None:
    emu = emulator()
    async with client_for(emu) as client:
        with pytest.raises(error, match=message):
            [lv async for lv in client.levels(**arguments)]
    assert client.calls == 0 and emu.calls == []


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"sku_batch": 0}, "sku_batch"),
        ({"default_location_id": " "}, "default_location_id"),
        ({"timeout": 0}, "timeout"),
    ],
)
def test_bad_client_options_are_refused(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        InventoryClient(InventoryCredentials(V2_KEY), **options)


# -- answers the emulator does not give ------------------------------------------------------


def page(rows: Sequence[dict[str, Any]], **fields: Any) -> dict[str, Any]:
    return {"inventory": list(rows), **fields}


def server(
    answer: Callable[[httpx2.Request], dict[str, Any]],
) -> tuple[httpx2.MockTransport, list[httpx2.Request]]:
    seen: list[httpx2.Request] = []

    def handle(request: httpx2.Request) -> httpx2.Response:
        seen.append(request)
        return httpx2.Response(200, json=answer(request))

    return httpx2.MockTransport(handle), seen


def mock_client(transport: httpx2.MockTransport) -> InventoryClient:
    return InventoryClient(
        InventoryCredentials(V2_KEY),
        base_url="https://api.example.test",
        transport=transport,
        budget=Budget(10_000, 60.0),
        retry=FAST_RETRY,
    )


async def test_without_links_the_walk_asks_for_the_next_page_number() -> None:
    def answer(request: httpx2.Request) -> dict[str, Any]:
        number = int(request.url.params.get("page", "1"))
        return page([{"sku": f"P{number}", "on_hand": 1}], page=number, pages=3)

    transport, seen = server(answer)
    async with mock_client(transport) as client:
        levels = [lv async for lv in client.levels(page_size=1)]
    assert [lv.sku for lv in levels] == ["P1", "P2", "P3"]
    assert [r.url.params.get("page") for r in seen] == [None, "2", "3"]
    assert levels[0].available == 1  # worked out from on_hand when the answer has none


async def test_a_next_link_to_another_host_is_followed_on_our_own_host() -> None:
    def answer(request: httpx2.Request) -> dict[str, Any]:
        if "cursor" in request.url.params:
            return page([{"sku": "B", "on_hand": 2, "available": 2, "last_updated_at": "x"}])
        nxt = {"href": "https://evil.example/v2/inventory?cursor=abc&limit=5"}
        return page([{"sku": "A", "on_hand": 1, "available": 1}, None], links={"next": nxt})

    transport, seen = server(answer)
    async with mock_client(transport) as client:
        levels = [lv async for lv in client.levels(page_size=5)]
    assert [lv.sku for lv in levels] == ["A", "B"]
    assert levels[1].model_extra == {"last_updated_at": "x"}  # unknown fields are kept
    assert {r.url.host for r in seen} == {"api.example.test"}
    assert str(seen[1].url) == "https://api.example.test/v2/inventory?cursor=abc&limit=5"
    assert all(r.headers.get("API-Key") is None for r in seen)  # removed once sent


async def test_a_relative_next_link_works_and_a_loop_is_reported() -> None:
    def answer(request: httpx2.Request) -> dict[str, Any]:
        if request.url.params.get("cursor") == "c2":
            return page(
                [{"sku": "B", "on_hand": 1}], links={"next": {"href": "/v2/inventory?cursor=c2"}}
            )
        return page(
            [{"sku": "A", "on_hand": 1}], links={"next": {"href": "/v2/inventory?cursor=c2"}}
        )

    transport, seen = server(answer)
    got: list[str] = []

    async def read_all(client: InventoryClient) -> None:
        async for level in client.levels():
            got.append(level.sku)

    async with mock_client(transport) as client:
        with pytest.raises(errors.DecodeError, match="already read"):
            await read_all(client)
    assert got == ["A", "B"] and len(seen) == 2


async def test_locations_are_filtered_even_when_the_server_ignores_the_filter() -> None:
    rows = [
        {"inventory_location_id": "L1", "inventory_warehouse_id": "W1"},
        {"inventory_location_id": "L2", "inventory_warehouse_id": "W2"},
    ]
    transport, _ = server(lambda request: {"inventory_locations": rows, "page": 1, "pages": 1})
    async with mock_client(transport) as client:
        assert [loc.inventory_location_id for loc in await client.locations("W2")] == ["L2"]


async def test_an_answer_that_does_not_fit_is_a_decode_error() -> None:
    transport, _ = server(lambda request: {"inventory": [{"sku": "A", "on_hand": "lots"}]})
    async with mock_client(transport) as client:
        with pytest.raises(errors.DecodeError) as caught:
            [lv async for lv in client.levels()]
    assert caught.value.resolution.kind == "fail_record"


def test_page_model_reads_v2_pages() -> None:
    parsed = InventoryPage.model_validate_json(
        json.dumps(
            {
                "inventory": [
                    {
                        "sku": "A",
                        "on_hand": 4,
                        "allocated": 1,
                        "average_cost": {"amount": 1.25, "currency": "usd"},
                    }
                ],
                "total": 1,
                "page": 1,
                "pages": 1,
                "links": {"first": {"href": "x"}, "next": {}, "prev": {"href": "  "}},
            }
        )
    )
    (level,) = parsed.records()
    assert (level.available, level.average_cost and level.average_cost.amount) == (
        3,
        Decimal("1.25"),
    )
    assert parsed.next_href() is None and not parsed.has_later_page()
