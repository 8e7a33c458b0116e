"""The v2 inventory subset over raw HTTP: auth, listing and paging, changes, limits, faults."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx2
import pydantic
import pytest

from stationmaster.emulator import Emulator, EmulatorConfig, ManualClock, Refused
from tests.emulator.helpers import KEY, SECRET, START

pytestmark = pytest.mark.anyio

V2_KEY = "v2-secret-key-XYZ"
MAIN_WH, MAIN_LOC = "se-100001", "se-200001"


def make(**v2: object) -> Emulator:
    config = EmulatorConfig(api_key=KEY, api_secret=SECRET, v2={"api_key": V2_KEY, **v2})
    return Emulator(config, clock=ManualClock(START))


@pytest.fixture
def emu() -> Emulator:
    return make()


@pytest.fixture
async def v2(emu: Emulator) -> AsyncIterator[httpx2.AsyncClient]:
    async with httpx2.AsyncClient(
        transport=emu.transport(), base_url=emu.base_url, headers={"API-Key": V2_KEY}
    ) as http:
        yield http


def error_of(response: httpx2.Response) -> dict[str, Any]:
    """The single entry of a v2 error body, after checking the envelope around it."""
    body = response.json()
    assert set(body) == {"request_id", "errors"}
    assert len(body["request_id"]) == 36
    (entry,) = body["errors"]
    assert set(entry) == {"error_source", "error_type", "error_code", "message"}
    assert entry["error_source"] == "ShipStation"
    return dict(entry)


def two_places(emu: Emulator) -> tuple[str, str]:
    """A second warehouse with one location: (warehouse id, location id)."""
    warehouse = emu.add_inventory_warehouse("Overflow")["inventory_warehouse_id"]
    location = emu.add_inventory_location(warehouse, "B-1")["inventory_location_id"]
    return warehouse, location


async def walk(http: httpx2.AsyncClient, url: str) -> tuple[list[dict[str, Any]], int]:
    """Follow ``links.next`` from ``url``; every row seen, and how many pages it took."""
    rows: list[dict[str, Any]] = []
    pages = 0
    while url:
        response = await http.get(url)
        assert response.status_code == 200, response.text
        body = response.json()
        rows += body["inventory"]
        pages += 1
        url = body["links"]["next"].get("href")
    return rows, pages


# -- seeding ---------------------------------------------------------------------------------


def test_set_inventory_seeds_100000_skus(emu: Emulator) -> None:
    levels = [
        {"sku": f"SKU-{i:06d}", "on_hand": i % 40, "allocated": i % 3} for i in range(100_000)
    ]
    assert emu.set_inventory(levels) == 100_000
    stock = emu.inventory()
    assert len(stock) == 100_000
    assert stock[7] == {
        "sku": "SKU-000007",
        "on_hand": 7,
        "allocated": 1,
        "available": 6,
        "average_cost": None,
        "inventory_warehouse_id": MAIN_WH,
        "inventory_location_id": MAIN_LOC,
    }


def test_set_inventory_takes_objects_places_and_costs(emu: Emulator) -> None:
    warehouse, location = two_places(emu)

    @dataclass
    class Level:
        sku: str
        on_hand: int
        inventory_warehouse_id: str
        average_cost: dict[str, str]
        allocated: int | None = None
        inventory_location_id: str | None = None

    level = Level("OBJ-1", 4, warehouse, {"amount": "2.50", "currency": "usd"})
    emu.set_inventory([level, {"sku": "A", "on_hand": 1, "inventory_location_id": location}])
    assert [(r["sku"], r["inventory_location_id"], r["average_cost"]) for r in emu.inventory()] == [
        ("A", location, None),
        ("OBJ-1", location, {"amount": 2.5, "currency": "usd"}),
    ]


def test_set_inventory_replaces_unless_told_to_keep(emu: Emulator) -> None:
    emu.set_inventory([{"sku": "A", "on_hand": 1}])
    emu.set_inventory([{"sku": "B", "on_hand": 2}], keep_others=True)
    assert [r["sku"] for r in emu.inventory()] == ["A", "B"]
    emu.set_inventory([{"sku": "C", "on_hand": 3}])
    assert [r["sku"] for r in emu.inventory()] == ["C"]


@pytest.mark.parametrize(
    ("level", "message"),
    [
        ({"sku": "", "on_hand": 1}, "sku must be a non-empty string"),
        ({"on_hand": 1}, "sku must be a non-empty string"),
        ({"sku": "A", "on_hand": -1}, "on_hand must be a whole number"),
        ({"sku": "A", "on_hand": 1.5}, "on_hand must be a whole number"),
        ({"sku": "A", "on_hand": True}, "on_hand must be a whole number"),
        ({"sku": "A", "on_hand": 1, "allocated": -2}, "allocated must be a whole number"),
        ({"sku": "A", "on_hand": 1, "inventory_location_id": "se-9"}, "unknown inventory_loc"),
        ({"sku": "A", "on_hand": 1, "inventory_warehouse_id": "se-9"}, "unknown inventory_war"),
        (
            {"sku": "A", "on_hand": 1, "average_cost": {"amount": "x", "currency": "usd"}},
            "amount must be a number",
        ),
        ({"sku": "A", "on_hand": 1, "average_cost": {"amount": -1}}, "finite number of 0"),
    ],
)
def test_set_inventory_refuses_bad_levels_and_keeps_what_it_had(
    emu: Emulator, level: dict[str, object], message: str
) -> None:
    emu.set_inventory([{"sku": "KEEP", "on_hand": 9}])
    with pytest.raises(Refused, match=message):
        emu.set_inventory([{"sku": "NEW", "on_hand": 1}, level])
    assert [(r["sku"], r["on_hand"]) for r in emu.inventory()] == [("KEEP", 9)]


def test_set_inventory_refuses_twins_and_mismatched_places(emu: Emulator) -> None:
    _, location = two_places(emu)
    with pytest.raises(Refused, match="given twice"):
        emu.set_inventory([{"sku": "A", "on_hand": 1}, {"sku": "A", "on_hand": 2}])
    with pytest.raises(Refused, match="is not in warehouse"):
        emu.set_inventory(
            [
                {
                    "sku": "A",
                    "on_hand": 1,
                    "inventory_location_id": location,
                    "inventory_warehouse_id": MAIN_WH,
                }
            ]
        )
    assert emu.inventory() == []


def test_places_levers_check_their_input(emu: Emulator) -> None:
    with pytest.raises(KeyError, match="does not exist"):
        emu.add_inventory_location("se-nope", "X")
    with pytest.raises(Refused, match="already exists"):
        emu.add_inventory_warehouse("Again", warehouse_id=MAIN_WH)
    with pytest.raises(Refused, match="name must be"):
        emu.add_inventory_warehouse("  ")
    assert (
        emu.add_inventory_warehouse("Mine", warehouse_id="wh-x")["inventory_warehouse_id"] == "wh-x"
    )


def test_reset_restores_the_seeded_stock(emu: Emulator) -> None:
    emu.set_inventory([{"sku": "A", "on_hand": 1}])
    two_places(emu)
    emu.reset()
    assert emu.inventory() == []
    assert [w["inventory_warehouse_id"] for w in emu.inventory_book.warehouse_rows()] == [MAIN_WH]


def test_no_seeded_places_when_switched_off() -> None:
    emu = make(seed_inventory=False)
    assert emu.inventory_book.warehouse_rows() == []
    with pytest.raises(Refused, match="no inventory location"):
        emu.set_inventory([{"sku": "A", "on_hand": 1}])


# -- auth ------------------------------------------------------------------------------------


async def test_v2_needs_its_own_key(emu: Emulator) -> None:
    async with httpx2.AsyncClient(transport=emu.transport(), base_url=emu.base_url) as http:
        missing = await http.get("/v2/inventory")
        wrong = await http.get("/v2/inventory", headers={"API-Key": "nope"})
        v1_pair = await http.get("/v2/inventory", auth=(KEY, SECRET))
        v1_key_as_v2 = await http.get("/v2/inventory", headers={"API-Key": KEY})
        lower_case = await http.get("/v2/inventory", headers={"api-key": V2_KEY})
    for refused in (missing, wrong, v1_pair, v1_key_as_v2):
        assert refused.status_code == 401
        assert error_of(refused)["error_type"] == "security"
        assert error_of(refused)["error_code"] == "unauthorized"
    assert lower_case.status_code == 200


async def test_v1_refuses_the_v2_key(emu: Emulator) -> None:
    async with httpx2.AsyncClient(transport=emu.transport(), base_url=emu.base_url) as http:
        refused = await http.get("/stores", headers={"API-Key": V2_KEY})
        accepted = await http.get("/stores", auth=(KEY, SECRET))
    assert refused.status_code == 401
    assert refused.json() == {"Message": "Authorization has been denied for this request."}
    assert accepted.status_code == 200


async def test_calls_are_recorded_without_the_key(emu: Emulator, v2: httpx2.AsyncClient) -> None:
    await v2.get("/v2/inventory", params={"sku": "A", "api_key": V2_KEY})
    await v2.post(
        "/v2/inventory",
        json={
            "transaction_type": "increment",
            "sku": "A",
            "inventory_location_id": MAIN_LOC,
            "quantity": 2,
        },
    )
    calls = emu.calls
    assert [(c.method, c.path, c.status) for c in calls] == [
        ("GET", "/v2/inventory", 200),
        ("POST", "/v2/inventory", 204),
    ]
    assert calls[0].query == {"sku": "A"}
    assert calls[1].body == {
        "transaction_type": "increment",
        "sku": "A",
        "inventory_location_id": MAIN_LOC,
        "quantity": 2,
    }
    assert V2_KEY not in repr(calls) and V2_KEY not in str([c.to_json() for c in calls])


def test_the_v2_key_stays_out_of_the_config_repr_and_public_dict(emu: Emulator) -> None:
    config = emu.config
    assert config.v2.api_key == V2_KEY
    for text in (repr(config), str(config), str(config.public_dict()), repr(config.v2)):
        assert "XYZ" not in text
    assert config.public_dict()["v2"]["limit"] == 200  # type: ignore[index,call-overload]
    assert EmulatorConfig(v2={"limit": "off"}).v2.limit is None
    with pytest.raises(pydantic.ValidationError):
        EmulatorConfig(v2={"paging": "offset"})


# -- listing ---------------------------------------------------------------------------------


async def test_listing_shape_and_default_grouping(emu: Emulator, v2: httpx2.AsyncClient) -> None:
    warehouse, location = two_places(emu)
    shelf = emu.add_inventory_location(MAIN_WH, "A-2")["inventory_location_id"]
    emu.set_inventory(
        [
            {"sku": "TEA", "on_hand": 10, "allocated": 2},
            {"sku": "TEA", "on_hand": 5, "inventory_location_id": shelf},
            {"sku": "TEA", "on_hand": 7, "inventory_location_id": location},
            {"sku": "CUP", "on_hand": 1, "allocated": 3},
        ]
    )
    body = (await v2.get("/v2/inventory")).json()
    assert set(body) == {"inventory", "total", "page", "pages", "links"}
    assert (body["total"], body["page"], body["pages"]) == (3, 1, 1)
    assert [
        (
            r["sku"],
            r["inventory_warehouse_id"],
            r["inventory_location_id"],
            r["on_hand"],
            r["allocated"],
            r["available"],
        )
        for r in body["inventory"]
    ] == [
        ("CUP", MAIN_WH, None, 1, 3, -2),
        ("TEA", MAIN_WH, None, 15, 2, 13),
        ("TEA", warehouse, None, 7, 0, 7),
    ]
    assert body["links"]["next"] == {} and body["links"]["prev"] == {}
    by_location = (await v2.get("/v2/inventory", params={"group_by": "location"})).json()
    assert [(r["sku"], r["inventory_location_id"]) for r in by_location["inventory"]] == [
        ("CUP", MAIN_LOC),
        ("TEA", MAIN_LOC),
        ("TEA", shelf),
        ("TEA", location),
    ]
    by_warehouse = (await v2.get("/v2/inventory", params={"group_by": "Warehouse"})).json()
    assert by_warehouse["inventory"] == body["inventory"]


@pytest.mark.parametrize(
    ("grouping", "expected"),
    [
        ("sku", [("A", None, None, 3)]),
        ("location", [("A", MAIN_WH, MAIN_LOC, 1), ("A", "se-100002", "se-200002", 2)]),
    ],
)
async def test_default_grouping_is_a_switch(
    grouping: str, expected: list[tuple[object, ...]]
) -> None:
    emu = make(default_group_by=grouping)
    _, location = two_places(emu)
    emu.set_inventory(
        [{"sku": "A", "on_hand": 1}, {"sku": "A", "on_hand": 2, "inventory_location_id": location}]
    )
    async with httpx2.AsyncClient(
        transport=emu.transport(), base_url=emu.base_url, headers={"API-Key": V2_KEY}
    ) as http:
        rows = (await http.get("/v2/inventory")).json()["inventory"]
    assert [
        (r["sku"], r["inventory_warehouse_id"], r["inventory_location_id"], r["on_hand"])
        for r in rows
    ] == expected


async def test_filters(emu: Emulator, v2: httpx2.AsyncClient) -> None:
    warehouse, location = two_places(emu)
    emu.set_inventory(
        [{"sku": s, "on_hand": 1} for s in ("A", "B", "C")]
        + [{"sku": "A", "on_hand": 4, "inventory_location_id": location}]
    )

    async def skus(**params: str) -> list[tuple[str, str | None]]:
        rows = (await v2.get("/v2/inventory", params=params)).json()["inventory"]
        return [(r["sku"], r["inventory_location_id"]) for r in rows]

    assert await skus(sku="A, C ,,") == [("A", None), ("A", None), ("C", None)]
    assert await skus(sku="A", group_by="location") == [("A", MAIN_LOC), ("A", location)]
    assert await skus(inventory_warehouse_id=warehouse) == [("A", None)]
    assert await skus(inventory_location_id=location) == [("A", location)]
    assert await skus(inventory_location_id="se-unknown") == []
    assert await skus(sku="Z") == []


async def test_a_single_sku_filter_is_a_switch() -> None:
    emu = make(sku_filter="single")
    emu.set_inventory([{"sku": "A,B", "on_hand": 1}, {"sku": "A", "on_hand": 1}])
    async with httpx2.AsyncClient(
        transport=emu.transport(), base_url=emu.base_url, headers={"API-Key": V2_KEY}
    ) as http:
        rows = (await http.get("/v2/inventory", params={"sku": "A,B"})).json()["inventory"]
    assert [r["sku"] for r in rows] == ["A,B"]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"group_by": "sku"}, "group_by must be warehouse or location"),
        ({"limit": "0"}, "limit must be 1 or more"),
        ({"limit": "ten"}, "limit must be a whole number"),
        ({"page": "-1"}, "page must be 1 or more"),
        ({"cursor": "not-a-cursor"}, "cursor 'not-a-cursor' is not valid"),
        ({"cursor": "WzEsImEiXQ"}, "is not valid"),  # [1,"a"]: page 1 is never a cursor
    ],
)
async def test_bad_list_parameters_are_400s(
    v2: httpx2.AsyncClient, params: dict[str, str], message: str
) -> None:
    response = await v2.get("/v2/inventory", params=params)
    assert response.status_code == 400
    entry = error_of(response)
    assert (entry["error_type"], entry["error_code"]) == ("validation", "invalid_field_value")
    assert message in entry["message"]


async def test_page_size_above_the_maximum_is_clamped_or_refused() -> None:
    for mode, status in (("clamp", 200), ("error", 400)):
        emu = make(max_page_size=2, max_page_size_mode=mode)
        emu.set_inventory([{"sku": f"S{i}", "on_hand": 1} for i in range(3)])
        async with httpx2.AsyncClient(
            transport=emu.transport(), base_url=emu.base_url, headers={"API-Key": V2_KEY}
        ) as http:
            response = await http.get("/v2/inventory", params={"limit": "50"})
        assert response.status_code == status
        if status == 200:
            assert len(response.json()["inventory"]) == 2


@pytest.mark.parametrize("paging", ["cursor", "page"])
async def test_next_links_walk_every_row_once(paging: str) -> None:
    emu = make(paging=paging)
    emu.set_inventory([{"sku": f"SKU-{i:04d}", "on_hand": i} for i in range(1_001)])
    async with httpx2.AsyncClient(
        transport=emu.transport(), base_url=emu.base_url, headers={"API-Key": V2_KEY}
    ) as http:
        first = (await http.get("/v2/inventory", params={"limit": "100", "sku": ""})).json()
        rows, pages = await walk(http, "/v2/inventory?limit=100")
    assert pages == 11 == first["pages"]
    assert [r["sku"] for r in rows] == [f"SKU-{i:04d}" for i in range(1_001)]
    next_href = first["links"]["next"]["href"]
    assert next_href.startswith(f"{emu.base_url}/v2/inventory?")
    query = parse_qs(urlsplit(next_href).query)
    assert query["limit"] == ["100"]
    assert ("cursor" in query) == (paging == "cursor") and ("page" in query) == (paging == "page")
    last = parse_qs(urlsplit(first["links"]["last"]["href"]).query)
    assert last.get("page", ["11"]) == ["11"]


async def test_links_repeat_the_filters(emu: Emulator, v2: httpx2.AsyncClient) -> None:
    emu.set_inventory([{"sku": f"S{i}", "on_hand": 1} for i in range(5)])
    body = (await v2.get("/v2/inventory", params={"sku": "S1,S2,S3", "limit": "2"})).json()
    assert body["total"] == 3
    query = parse_qs(urlsplit(body["links"]["next"]["href"]).query)
    assert query["sku"] == ["S1,S2,S3"]
    second = (await v2.get(body["links"]["next"]["href"])).json()
    assert [r["sku"] for r in second["inventory"]] == ["S3"]
    assert second["page"] == 2 and second["links"]["prev"]["href"]


async def test_a_cursor_walk_is_not_shifted_by_rows_added_before_it(
    emu: Emulator, v2: httpx2.AsyncClient
) -> None:
    emu.set_inventory([{"sku": f"M{i}", "on_hand": 1} for i in range(6)])
    first = (await v2.get("/v2/inventory", params={"limit": "3"})).json()
    await v2.post(
        "/v2/inventory",
        json={
            "transaction_type": "increment",
            "sku": "A-NEW",
            "inventory_location_id": MAIN_LOC,
            "quantity": 1,
        },
    )
    second = (await v2.get(first["links"]["next"]["href"])).json()
    assert [r["sku"] for r in first["inventory"] + second["inventory"]] == [
        f"M{i}" for i in range(6)
    ]


async def test_warehouse_and_location_lists(emu: Emulator, v2: httpx2.AsyncClient) -> None:
    warehouse, location = two_places(emu)
    warehouses = (await v2.get("/v2/inventory_warehouses")).json()
    assert [w["inventory_warehouse_id"] for w in warehouses["inventory_warehouses"]] == [
        MAIN_WH,
        warehouse,
    ]
    first = warehouses["inventory_warehouses"][0]
    assert set(first) == {"inventory_warehouse_id", "name", "created_at", "updated_at"}
    assert first["created_at"] == "2026-03-02T18:00:00Z"
    everywhere = (await v2.get("/v2/inventory_locations", params={"limit": "1"})).json()
    assert (everywhere["total"], everywhere["pages"]) == (2, 2)
    rest = (await v2.get(everywhere["links"]["next"]["href"])).json()
    assert [
        loc["inventory_location_id"]
        for loc in everywhere["inventory_locations"] + rest["inventory_locations"]
    ] == [MAIN_LOC, location]
    only = (
        await v2.get("/v2/inventory_locations", params={"inventory_warehouse_id": warehouse})
    ).json()
    assert [loc["inventory_warehouse_id"] for loc in only["inventory_locations"]] == [warehouse]


async def test_unknown_paths_and_methods(v2: httpx2.AsyncClient) -> None:
    missing = await v2.get("/v2/labels")
    assert (
        missing.status_code == 404 and error_of(missing)["message"] == "No endpoint at /v2/labels."
    )
    wrong = await v2.delete("/v2/inventory")
    assert wrong.status_code == 405 and wrong.headers["Allow"] == "GET, POST"
    assert (await v2.get("/V2/Inventory/")).status_code == 200


# -- changes ---------------------------------------------------------------------------------


async def post(http: httpx2.AsyncClient, **body: object) -> httpx2.Response:
    return await http.post("/v2/inventory", json={"inventory_location_id": MAIN_LOC, **body})


def stock(emu: Emulator) -> dict[tuple[str, str], tuple[int, object]]:
    return {
        (r["sku"], r["inventory_location_id"]): (r["on_hand"], r["average_cost"])
        for r in emu.inventory()
    }


async def test_the_four_transaction_types(emu: Emulator, v2: httpx2.AsyncClient) -> None:
    _, other = two_places(emu)
    cost = {"amount": 2, "currency": "usd"}
    answers = [
        await post(v2, transaction_type="increment", sku="A", quantity=10, cost=cost),
        await post(
            v2,
            transaction_type="increment",
            sku="A",
            quantity=10,
            cost={"amount": 4, "currency": "usd"},
            reason="restock",
            notes="n",
            condition="sellable",
            effective_at="2026-03-02T10:00:00Z",
            unknown="ignored",
        ),
        await post(v2, transaction_type="decrement", sku="A", quantity=5),
        await post(
            v2, transaction_type="modify", sku="A", quantity=3, new_inventory_location_id=other
        ),
        await post(v2, transaction_type="adjust", sku="B", quantity=0),
        await post(v2, transaction_type="adjust", sku="A", quantity=12),
    ]
    assert [(a.status_code, a.content) for a in answers] == [(204, b"")] * 6
    assert stock(emu) == {
        ("A", MAIN_LOC): (12, {"amount": 3, "currency": "usd"}),
        ("A", other): (3, {"amount": 3, "currency": "usd"}),
        ("B", MAIN_LOC): (0, None),
    }
    await post(
        v2,
        transaction_type="modify",
        sku="A",
        quantity=6,
        new_cost={"amount": 5, "currency": "usd"},
    )
    await post(v2, transaction_type="decrement", sku="A", quantity=12)
    assert stock(emu)[("A", MAIN_LOC)] == (0, {"amount": 4, "currency": "usd"})


async def test_a_200_with_an_empty_body_is_a_switch() -> None:
    emu = make(change_status=200)
    async with httpx2.AsyncClient(
        transport=emu.transport(), base_url=emu.base_url, headers={"API-Key": V2_KEY}
    ) as http:
        answer = await post(http, transaction_type="increment", sku="A", quantity=1)
    assert (answer.status_code, answer.content) == (200, b"")


@pytest.mark.parametrize(
    ("body", "error_type", "error_code", "message"),
    [
        (
            {"transaction_type": "decrement", "sku": "GHOST", "quantity": 1},
            "validation",
            "invalid_identifier",
            "SKU 'GHOST' has no inventory at location",
        ),
        (
            {"transaction_type": "decrement", "sku": "A", "quantity": 6},
            "business_rules",
            "invalid_field_value",
            "only 5 on hand",
        ),
        (
            {"transaction_type": "modify", "sku": "A", "quantity": 9, "new_condition": "damaged"},
            "business_rules",
            "invalid_field_value",
            "only 5 on hand",
        ),
        (
            {"transaction_type": "restock", "sku": "A", "quantity": 1},
            "validation",
            "invalid_field_value",
            "transaction_type must be one of",
        ),
        ({"sku": "A", "quantity": 1}, "validation", "field_value_required", "transaction_type"),
        (
            {"transaction_type": "increment", "sku": "A", "quantity": 1.5},
            "validation",
            "invalid_field_value",
            "quantity must be an integer",
        ),
        (
            {"transaction_type": "increment", "sku": "A", "quantity": "3"},
            "validation",
            "invalid_field_value",
            "quantity must be an integer",
        ),
        (
            {"transaction_type": "increment", "sku": "A", "quantity": True},
            "validation",
            "invalid_field_value",
            "quantity must be an integer",
        ),
        (
            {"transaction_type": "increment", "sku": "A"},
            "validation",
            "field_value_required",
            "quantity is required",
        ),
        (
            {"transaction_type": "increment", "sku": "A", "quantity": 0},
            "validation",
            "invalid_field_value",
            "greater than or equal to 1",
        ),
        (
            {"transaction_type": "adjust", "sku": "A", "quantity": -1},
            "validation",
            "invalid_field_value",
            "greater than or equal to 0",
        ),
        (
            {"transaction_type": "increment", "sku": "", "quantity": 1},
            "validation",
            "field_value_required",
            "sku must not be empty",
        ),
        (
            {"transaction_type": "increment", "sku": 7, "quantity": 1},
            "validation",
            "invalid_field_value",
            "sku must be a string",
        ),
        (
            {
                "transaction_type": "increment",
                "sku": "A",
                "quantity": 1,
                "inventory_location_id": "se-404",
            },
            "validation",
            "invalid_identifier",
            "inventory_location_id 'se-404' was not found",
        ),
        (
            {"transaction_type": "modify", "sku": "A", "quantity": 1},
            "validation",
            "field_value_required",
            "A modify needs",
        ),
        (
            {
                "transaction_type": "modify",
                "sku": "A",
                "quantity": 1,
                "new_inventory_location_id": "se-404",
            },
            "validation",
            "invalid_identifier",
            "new_inventory_location_id 'se-404'",
        ),
        (
            {"transaction_type": "increment", "sku": "A", "quantity": 1, "condition": "broken"},
            "validation",
            "invalid_field_value",
            "condition must be one of",
        ),
        (
            {
                "transaction_type": "increment",
                "sku": "A",
                "quantity": 1,
                "effective_at": "2026-03-02T10:00:00",
            },
            "validation",
            "invalid_field_value",
            "effective_at must be an RFC 3339",
        ),
        (
            {
                "transaction_type": "increment",
                "sku": "A",
                "quantity": 1,
                "cost": {"amount": -1, "currency": "usd"},
            },
            "validation",
            "invalid_field_value",
            "cost.amount must be 0",
        ),
        (
            {"transaction_type": "increment", "sku": "A", "quantity": 1, "cost": {"amount": 1}},
            "validation",
            "invalid_field_value",
            "cost.currency must be",
        ),
    ],
)
async def test_refused_changes_answer_v2_errors_and_change_nothing(
    emu: Emulator,
    v2: httpx2.AsyncClient,
    body: dict[str, object],
    error_type: str,
    error_code: str,
    message: str,
) -> None:
    emu.set_inventory([{"sku": "A", "on_hand": 5}])
    before = emu.inventory()
    answer = await post(v2, **body)
    assert answer.status_code == 400
    entry = error_of(answer)
    assert (entry["error_type"], entry["error_code"]) == (error_type, error_code)
    assert message in entry["message"]
    assert emu.inventory() == before


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"{not json", "not valid JSON"),
        (b"[1, 2]", "must be a JSON object"),
        (b"", "A request body is required"),
    ],
)
async def test_unreadable_bodies_are_400s(
    v2: httpx2.AsyncClient, content: bytes, message: str
) -> None:
    answer = await v2.post(
        "/v2/inventory", content=content, headers={"Content-Type": "application/json"}
    )
    assert answer.status_code == 400
    assert message in error_of(answer)["message"]


# -- rate limit and faults -------------------------------------------------------------------


async def test_the_window_answers_429_with_retry_after_then_reopens() -> None:
    emu = make(limit=3)
    async with httpx2.AsyncClient(transport=emu.transport(), base_url=emu.base_url) as http:
        assert (await http.get("/v2/inventory")).status_code == 401  # not counted
        keyed = {"API-Key": V2_KEY}
        statuses = [(await http.get("/v2/inventory", headers=keyed)).status_code for _ in range(3)]
        assert (await http.get("/stores", auth=(KEY, SECRET))).status_code == 200  # own window
        emu.advance(20.4)
        refused = await http.get("/v2/inventory", headers=keyed)
        emu.advance(40)
        reopened = await http.get("/v2/inventory", headers=keyed)
    assert statuses == [200, 200, 200]
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "40"
    assert "X-Rate-Limit-Remaining" not in refused.headers
    entry = error_of(refused)
    assert (entry["error_type"], entry["error_code"]) == ("system", "rate_limit_exceeded")
    assert reopened.status_code == 200


async def test_rate_limit_headers_are_a_switch() -> None:
    emu = make(limit=5, rate_limit_headers=True)
    async with httpx2.AsyncClient(
        transport=emu.transport(), base_url=emu.base_url, headers={"API-Key": V2_KEY}
    ) as http:
        answer = await http.get("/v2/inventory")
    assert (answer.headers["X-Rate-Limit-Limit"], answer.headers["X-Rate-Limit-Remaining"]) == (
        "5",
        "4",
    )


async def test_answer_faults_hit_v2_with_v2_bodies(emu: Emulator, v2: httpx2.AsyncClient) -> None:
    emu.inject("429", path="/v2/inventory", reset_seconds=7)
    emu.inject("500", path="/v2/inventory", method="POST")
    limited = await v2.get("/v2/inventory")
    assert (limited.status_code, limited.headers["Retry-After"]) == (429, "7")
    failed = await post(v2, transaction_type="increment", sku="A", quantity=1)
    assert failed.status_code == 500
    assert (error_of(failed)["error_type"], error_of(failed)["error_code"]) == (
        "system",
        "unspecified",
    )
    assert emu.inventory() == []  # the faulted change never ran
    emu.inject("drop", path="/v2/inventory")
    with pytest.raises(httpx2.RemoteProtocolError):
        await v2.get("/v2/inventory")
    assert [c.status for c in emu.calls] == [429, 500, None]


async def test_a_fault_aimed_at_v1_leaves_v2_alone(emu: Emulator, v2: httpx2.AsyncClient) -> None:
    emu.inject("500", path="/stores")
    assert (await v2.get("/v2/inventory")).status_code == 200
    assert len(emu.faults.pending()) == 1
