"""Undo for failed requests: every kind of table is put back exactly, and a request costs
what it touches, however many orders the account holds."""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractContextManager
from dataclasses import fields
from typing import Any

import httpx2
import pytest

from stationmaster.emulator import Emulator, EmulatorConfig, ManualClock
from stationmaster.emulator.backend import Backend
from stationmaster.emulator.inventory import Change
from stationmaster.emulator.orderlogic import upsert_order
from stationmaster.emulator.replies import Reply
from stationmaster.emulator.routing import ApiRequest
from stationmaster.emulator.state import Account, Delivery
from stationmaster.emulator.undo import Journal, UndoDict, UndoList, UndoSet
from stationmaster.emulator.v2api import ROUTES, V2Context, V2Request
from tests.emulator.helpers import KEY, SECRET, START, new_order

pytestmark = pytest.mark.anyio

V2_KEY = "undo-v2-key"


class Failed(Exception):
    """Raised on purpose at the end of a transaction under test."""


def changed_then_failed(
    transaction: Callable[[], AbstractContextManager[None]], *changes: Callable[[], object]
) -> None:
    """Make ``changes`` in one transaction, then fail it."""

    def run() -> None:
        with transaction():
            for change in changes:
                change()
            raise Failed

    with pytest.raises(Failed):
        run()


# -- each table kind, each way of changing it ---------------------------------------------------

DICT_CHANGES: dict[str, Callable[[dict[str, int]], object]] = {
    "set": lambda d: d.__setitem__("a", 10),
    "add": lambda d: d.__setitem__("z", 26),
    "del": lambda d: d.__delitem__("b"),
    "pop": lambda d: d.pop("a"),
    "pop-missing": lambda d: d.pop("missing", None),
    "popitem": lambda d: d.popitem(),
    "setdefault": lambda d: d.setdefault("y", 25),
    "update": lambda d: d.update({"a": 0, "x": 24}, c=30),
    "ior": lambda d: d.__ior__({"a": -1, "w": 23}),
    "clear": lambda d: d.clear(),
}
SET_CHANGES: dict[str, Callable[[set[int]], object]] = {
    "add": lambda s: s.add(9),
    "discard": lambda s: s.discard(1),
    "remove": lambda s: s.remove(2),
    "pop": lambda s: s.pop(),
    "clear": lambda s: s.clear(),
    "update": lambda s: s.update([7, 8], [1]),
    "difference_update": lambda s: s.difference_update([1, 5]),
    "intersection_update": lambda s: s.intersection_update([1, 2, 9]),
    "symmetric_difference_update": lambda s: s.symmetric_difference_update([1, 9]),
    "ior": lambda s: s.__ior__({4, 5}),
    "isub": lambda s: s.__isub__({3}),
    "iand": lambda s: s.__iand__({3}),
    "ixor": lambda s: s.__ixor__({3, 4}),
}
LIST_CHANGES: dict[str, Callable[[list[int]], object]] = {
    "append": lambda x: x.append(4),
    "extend": lambda x: x.extend([4, 5]),
    "iadd": lambda x: x.__iadd__([4]),
    "insert": lambda x: x.insert(0, 0),
    "pop": lambda x: x.pop(0),
    "remove": lambda x: x.remove(2),
    "clear": lambda x: x.clear(),
    "sort": lambda x: x.sort(reverse=True),
    "reverse": lambda x: x.reverse(),
    "setitem": lambda x: x.__setitem__(1, 20),
    "setslice": lambda x: x.__setitem__(slice(0, 2), [7]),
    "delitem": lambda x: x.__delitem__(0),
    "imul": lambda x: x.__imul__(2),
}


@pytest.mark.parametrize("change", list(DICT_CHANGES.values()), ids=list(DICT_CHANGES))
def test_a_dict_is_put_back_in_its_order(change: Callable[[dict[str, int]], object]) -> None:
    journal = Journal()
    table = UndoDict(journal, {"a": 1, "b": 2, "c": 3})
    table["d"] = 4  # outside a transaction: kept
    changed_then_failed(
        journal.transaction, lambda: table.__setitem__("b", 0), lambda: change(table)
    )
    assert list(table.items()) == [("a", 1), ("b", 2), ("c", 3), ("d", 4)]


@pytest.mark.parametrize("change", list(SET_CHANGES.values()), ids=list(SET_CHANGES))
def test_a_set_is_put_back(change: Callable[[set[int]], object]) -> None:
    journal = Journal()
    table = UndoSet(journal, {1, 2, 3})
    changed_then_failed(journal.transaction, lambda: table.discard(3), lambda: change(table))
    assert table == {1, 2, 3}


@pytest.mark.parametrize("change", list(LIST_CHANGES.values()), ids=list(LIST_CHANGES))
def test_a_list_is_put_back(change: Callable[[list[int]], object]) -> None:
    journal = Journal()
    table = UndoList(journal, [1, 2, 3])
    changed_then_failed(journal.transaction, lambda: table.append(9), lambda: change(table))
    assert table == [1, 2, 3]


def test_a_transaction_that_succeeds_keeps_its_changes() -> None:
    journal = Journal()
    table = UndoDict(journal, {"a": 1})
    with journal.transaction():
        table["a"] = 2
    changed_then_failed(journal.transaction, lambda: table.__setitem__("a", 3))
    assert table == {"a": 2}


def test_a_failed_inner_transaction_undoes_only_its_own_changes() -> None:
    journal = Journal()
    table = UndoDict(journal, {"a": 1})

    def inner_fails() -> None:
        changed_then_failed(journal.transaction, lambda: table.__setitem__("a", 3))
        assert table == {"a": 2}

    changed_then_failed(journal.transaction, lambda: table.__setitem__("a", 2), inner_fails)
    assert table == {"a": 1}


def test_a_field_put_in_whole_joins_the_journal_and_is_put_back() -> None:
    account = Account()
    original = account.refresh_requests

    def replace_then_grow() -> None:
        account.refresh_requests = [7]
        account.refresh_requests.append(8)
        account.seller_id = 1

    changed_then_failed(account.transaction, replace_then_grow)
    assert account.refresh_requests is original and original == []
    assert account.seller_id == 100_000
    account.outbox = []
    assert isinstance(account.outbox, UndoList)


# -- a failed request, over HTTP ----------------------------------------------------------------


def state_of(account: Account) -> dict[str, Any]:
    """Every table's contents (dicts with their order), as a deep copy."""
    state: dict[str, Any] = {}
    for item in fields(account):
        value = getattr(account, item.name)
        if isinstance(value, dict):
            value = list(value.items())
        state[item.name] = copy.deepcopy(value)
    return state


@pytest.fixture
def emu() -> Emulator:
    config = EmulatorConfig(api_key=KEY, api_secret=SECRET, v2={"api_key": V2_KEY})
    return Emulator(config, clock=ManualClock(START))


@pytest.fixture
async def client(emu: Emulator) -> AsyncIterator[httpx2.AsyncClient]:
    async with httpx2.AsyncClient(
        transport=emu.transport(),
        base_url=emu.base_url,
        auth=(KEY, SECRET),
        headers={"API-Key": V2_KEY},
    ) as http:
        yield http


async def test_a_request_that_fails_after_many_changes_leaves_every_table_as_it_was(
    emu: Emulator, client: httpx2.AsyncClient
) -> None:
    for n in range(3):
        assert (
            await client.post("/orders/createorder", json=new_order(f"O-{n}", f"o:{n}"))
        ).is_success
    hook = {"target_url": "https://hooks.example/x", "event": "ORDER_NOTIFY"}
    assert (await client.post("/webhooks/subscribe", json=hook)).is_success
    emu.account.refresh_requests.append(310555)
    before = state_of(emu.account)
    changes = 200

    def change_everything_then_crash(backend: Backend, request: ApiRequest) -> Reply:
        account = backend.account
        for n in range(changes):
            order = new_order(f"N-{n}", f"n:{n}", customerUsername=f"user-{n}")
            order["items"][0]["sku"] = f"NEW-SKU-{n}"
            assert upsert_order(backend, order).succeeded
        hold = new_order("O-0", "o:0", orderStatus="on_hold", holdUntilDate="2026-03-09")
        assert upsert_order(backend, hold).succeeded
        account.inactive_orders.add(100_000_002)
        account.merged_into[100_000_002] = 100_000_001
        del account.webhooks[next(iter(account.webhooks))]
        account.tags.pop(8362)
        account.inactive_users.add("4f1c2a9e-7b3d-4e55-9a0c-2d6b8e1f3a77")
        account.deleted_warehouses.add(187651)
        account.outbox.append(Delivery(1, 2, "https://x", "https://y", "ORDER_NOTIFY", 0.0))
        account.refresh_requests = []
        account.custom_store_windows[310555] = START
        account.new_id("tag")
        account.seller_id += 1
        raise RuntimeError("crashed half-way")

    emu.app.gateway.router.add("POST", "/test/crash", change_everything_then_crash)
    response = await client.post("/test/crash", json={})
    assert response.status_code == 500
    assert state_of(emu.account) == before
    again = await client.post("/orders/createorder", json=new_order("N-0", "n:0"))
    assert again.json()["orderId"] == 100_000_004  # no id was used up


async def test_a_v2_request_that_fails_half_way_leaves_the_stock_as_it_was(
    emu: Emulator, client: httpx2.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    emu.set_inventory([{"sku": "TEA", "on_hand": 5}])
    listing = (await client.get("/v2/inventory", params={"group_by": "location"})).json()

    def move_then_crash(ctx: V2Context, request: V2Request) -> Reply:
        ctx.book.apply(Change("increment", "NEW", "se-200001", 3))
        warehouse = ctx.book.add_warehouse("Overflow")["inventory_warehouse_id"]
        location = ctx.book.add_location(warehouse, "B-1")["inventory_location_id"]
        ctx.book.apply(Change("modify", "TEA", "se-200001", 2, new_location_id=location))
        assert len(ctx.book.levels()) == 3  # the listing cache sees the change...
        raise RuntimeError("crashed half-way")

    monkeypatch.setitem(ROUTES["/v2/inventory"], "POST", move_then_crash)
    assert (await client.post("/v2/inventory", json={})).status_code == 500
    # ... and forgets it with the change
    assert (await client.get("/v2/inventory", params={"group_by": "location"})).json() == listing
    assert [w["name"] for w in emu.inventory_book.warehouse_rows()] == ["Main Warehouse"]
    assert emu.add_inventory_warehouse("Next")["inventory_warehouse_id"] == "se-100002"


# -- cost ---------------------------------------------------------------------------------------


class CountingTable(UndoDict[Any, Any]):
    """An account table that counts the entries read from it, one by one or by a walk."""

    __slots__ = ("reads",)

    def __init__(self, table: dict[Any, Any]) -> None:
        assert isinstance(table, UndoDict)
        super().__init__(table.journal, table)
        self.reads = 0

    def __getitem__(self, key: Any) -> Any:
        self.reads += 1
        return super().__getitem__(key)

    def get(self, key: Any, default: Any = None) -> Any:
        self.reads += 1
        return super().get(key, default)

    def __contains__(self, key: object) -> bool:
        self.reads += 1
        return super().__contains__(key)

    def __iter__(self) -> Any:
        for key in super().__iter__():
            self.reads += 1
            yield key

    def keys(self) -> Any:
        return iter(self)

    def items(self) -> Any:
        return ((key, super(CountingTable, self).__getitem__(key)) for key in self)

    def values(self) -> Any:
        return (value for _, value in self.items())


async def reads_per_request(stored: int) -> list[int]:
    """Entries of the order tables read by each of a few requests, with ``stored`` orders."""
    emu = Emulator(EmulatorConfig(api_key=KEY, api_secret=SECRET), clock=ManualClock(START))
    emu.seed(orders=[new_order(f"S-{n}", f"stored:{n}") for n in range(stored)])
    first = emu.seed(orders=[new_order("MINE", "mine")])["orders"][0]["orderId"]
    account = emu.account
    account.orders = orders = CountingTable(account.orders)
    account.order_keys = keys = CountingTable(account.order_keys)
    batch = [new_order(f"B-{n}", f"batch:{n}") for n in range(3)] + [new_order("MINE", "mine")]
    requests = [
        ("POST", "/orders/createorders", batch),
        ("POST", "/orders/createorder", new_order("ONE", "one")),
        ("GET", f"/orders/{first}", None),
        ("POST", "/orders/holduntil", {"orderId": first, "holdUntilDate": "2026-03-03"}),
        ("POST", "/orders/addtag", {"orderId": first, "tagId": 8363}),
        ("DELETE", f"/orders/{first}", None),
    ]
    counts = []
    async with httpx2.AsyncClient(
        transport=emu.transport(), base_url=emu.base_url, auth=(KEY, SECRET)
    ) as http:
        for method, path, body in requests:
            orders.reads = keys.reads = 0
            response = await http.request(method, path, json=body)
            assert response.status_code == 200, (path, response.text)
            counts.append(orders.reads + keys.reads)
    assert account.orders is orders
    return counts


async def test_a_requests_cost_does_not_grow_with_the_orders_stored() -> None:
    few, many = await reads_per_request(2), await reads_per_request(600)
    assert few == many
    assert max(many) < 40  # entries it touched, never a walk over (or a copy of) the 600
