"""The push sync end to end: native store -> outbox -> createorders on the emulator."""

from __future__ import annotations

import anyio
import httpx2
import pytest
from sqlalchemy import update

from stationmaster import db
from stationmaster.db.tables import native_orders
from stationmaster.emulator import Emulator, EmulatorConfig
from stationmaster.engine.lease import KeyLease, LeaseBusy
from stationmaster.engine.runner import LOOKAHEAD_PAUSE, drain, run_pass
from stationmaster.sync.push import ConnectionStopped
from stationmaster.testing.factories import make_order, make_orders
from tests.sync.conftest import Pushing, wire

pytestmark = pytest.mark.anyio


async def seed(pushing: Pushing, count: int, start: int = 0) -> None:
    for order in make_orders(count, start=start):
        await pushing.store.ingest(order)


def create_calls(emulator: Emulator) -> list[object]:
    return [c for c in emulator.calls if c.path.lower().endswith("/createorders")]


async def test_orders_arrive_once_in_batches_of_100(pushing: Pushing) -> None:
    await seed(pushing, 250)
    stats = await run_pass(pushing.runtime)
    keys = pushing.remote_keys()
    assert len(keys) == 250 == len(set(keys))
    assert stats.accepted == 250
    assert len(create_calls(pushing.emulator)) == 3
    async with pushing.engine.connect() as conn:
        assert await db.outbox_rows(conn, "shop") == []
        counters = (await db.connection_counters(conn))[0]
    assert (counters.pushed, counters.backlog, counters.failed) == (250, 0, 0)


async def test_only_changed_orders_are_sent_again(pushing: Pushing) -> None:
    await seed(pushing, 30)
    await run_pass(pushing.runtime)
    pushing.emulator.clear_calls()
    await run_pass(pushing.runtime)
    assert create_calls(pushing.emulator) == []
    changed = make_order(7).model_copy(update={"customer_notes": "Leave at the back door"})
    await pushing.store.ingest(changed)
    await run_pass(pushing.runtime)
    [call] = create_calls(pushing.emulator)
    assert [o["orderNumber"] for o in call.body] == [changed.number]
    remote = {o["orderNumber"]: o for o in pushing.emulator.orders()}
    assert remote[changed.number]["customerNotes"] == "Leave at the back door"


async def test_faults_end_in_the_same_state(pushing: Pushing) -> None:
    await seed(pushing, 120)
    emulator = pushing.emulator
    emulator.inject("429", count=2, reset_seconds=0)
    emulator.inject("500", count=2)
    emulator.inject("drop", count=1)
    await run_pass(pushing.runtime)
    keys = pushing.remote_keys()
    assert len(keys) == 120 == len(set(keys))


async def test_an_orders_own_failure_is_a_dead_letter_with_its_reason(pushing: Pushing) -> None:
    await seed(pushing, 5)
    bad_key = f"shop:{make_order(2).source_id}"
    pushing.emulator.inject("fail_orders", order_keys=(bad_key,), message="Ship-to is invalid")
    stats = await run_pass(pushing.runtime)
    assert stats.dead_lettered == 1 and stats.accepted == 4
    async with pushing.engine.connect() as conn:
        [letter] = await db.list_dead_letters(conn, connection="shop")
    assert letter.order_key == bad_key
    assert "Ship-to is invalid" in letter.reason
    assert letter.resolution == "fail_record"

    async with pushing.engine.begin() as conn:
        await db.replay(conn, [letter.id])
    async with pushing.engine.begin() as conn:
        await db.replay(conn, [letter.id])  # twice: harmless
    await run_pass(pushing.runtime)
    keys = pushing.remote_keys()
    assert sorted(keys) == sorted(set(keys)) and bad_key in keys and len(keys) == 5


async def test_orders_the_rules_refuse_are_never_sent_half_built(pushing: Pushing) -> None:
    good = make_order(1)
    assert good.shipping is not None
    broken = make_order(2).model_copy(
        update={"shipping": good.shipping.model_copy(update={"postal_code": None}), "billing": None}
    )
    await pushing.store.ingest(good)
    await pushing.store.ingest(broken)
    stats = await run_pass(pushing.runtime)
    assert stats.refused == 1
    assert pushing.remote_keys() == [f"shop:{good.source_id}"]
    async with pushing.engine.connect() as conn:
        record = await db.get_sync_record(conn, "shop", f"shop:{broken.source_id}")
    assert record is not None and record.last_error and "postal" in record.last_error


async def test_an_order_the_store_cannot_hand_over_is_noted_and_the_rest_go(
    pushing: Pushing,
) -> None:
    orders = make_orders(3)
    for order in orders:
        await pushing.store.ingest(order)
    broken = orders[1].source_id
    async with pushing.engine.begin() as conn:
        await conn.execute(
            update(native_orders)
            .where(native_orders.c.source_id == broken)
            .values(payload={"number": orders[1].number, "total": "-1"})
        )
    stats = await run_pass(pushing.runtime)
    assert stats.refused == 1 and stats.accepted == 2
    assert sorted(pushing.remote_keys()) == sorted(
        f"shop:{o.source_id}" for o in (orders[0], orders[2])
    )
    async with pushing.engine.connect() as conn:
        record = await db.get_sync_record(conn, "shop", f"shop:{broken}")
        cursor = await db.get_cursor(conn, "shop", "orders")
    assert record is not None and record.last_error
    assert record.last_error.startswith("store: ") and "total" in record.last_error
    assert cursor is not None, "the feed moved past the broken order"
    await pushing.store.ingest(orders[1].model_copy(update={"customer_notes": "fixed"}))
    await run_pass(pushing.runtime)
    assert f"shop:{broken}" in pushing.remote_keys(), "a fix in the store brings it back"


async def test_cancelled_orders_are_sent_cancelled_then_left_alone(pushing: Pushing) -> None:
    order = make_order(3)
    await pushing.store.ingest(order)
    await run_pass(pushing.runtime)
    await pushing.store.ingest(order.model_copy(update={"status": "cancelled"}))
    await run_pass(pushing.runtime)
    [remote] = pushing.emulator.orders()
    assert remote["orderStatus"] == "cancelled"
    pushing.emulator.clear_calls()
    await pushing.store.ingest(
        order.model_copy(update={"status": "cancelled", "customer_notes": "too late"})
    )
    await run_pass(pushing.runtime)
    assert create_calls(pushing.emulator) == []


async def test_orders_deleted_in_the_store_are_deleted_in_shipstation(pushing: Pushing) -> None:
    await seed(pushing, 3)
    await run_pass(pushing.runtime)
    gone = make_order(1)
    await pushing.store.delete(gone.source_id)
    stats = await run_pass(pushing.runtime)
    assert stats.deleted == 1
    assert f"shop:{gone.source_id}" not in pushing.remote_keys()
    assert len(pushing.remote_keys()) == 2


async def test_a_batch_refused_as_a_whole_is_halved_to_the_culprit(engine: object) -> None:
    emulator = Emulator(EmulatorConfig(api_key="k", api_secret="s"))
    poison = make_order(4)
    inner = emulator.transport()

    class RefusePoison(httpx2.AsyncBaseTransport):
        async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
            if b"createorders" in request.url.path.encode() and poison.number.encode() in (
                request.content
            ):
                return httpx2.Response(400, json={"Message": "The request is invalid."})
            return await inner.handle_async_request(request)

    pushing = await wire(engine, emulator)  # type: ignore[arg-type]
    pushing.runtime.push.client._http._transport = RefusePoison()
    await seed(pushing, 8)
    stats = await run_pass(pushing.runtime)
    assert stats.accepted == 7 and stats.dead_lettered == 1
    assert f"shop:{poison.source_id}" not in pushing.remote_keys()


async def test_wrong_credentials_stop_the_connection_and_keep_the_orders(engine: object) -> None:
    emulator = Emulator(EmulatorConfig(api_key="k", api_secret="other"))
    pushing = await wire(engine, emulator)  # type: ignore[arg-type]
    await seed(pushing, 3)
    with pytest.raises(ConnectionStopped):
        await run_pass(pushing.runtime)
    async with pushing.engine.connect() as conn:
        assert len(await db.outbox_rows(conn, "shop")) == 3


async def test_a_stopped_connection_lets_the_detector_finish_its_page(
    engine: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The sender's failure must not cancel the detector inside its database work."""
    emulator = Emulator(EmulatorConfig(api_key="k", api_secret="other"))
    pushing = await wire(engine, emulator)  # type: ignore[arg-type]
    await seed(pushing, 3)
    read_page = pushing.store.changed_orders
    pages = {"started": 0, "finished": 0}

    async def slow_page(*args: object, **kwargs: object) -> object:
        pages["started"] += 1
        await anyio.sleep(0.3)  # the sender's 401 arrives meanwhile
        page = await read_page(*args, **kwargs)  # type: ignore[arg-type]
        pages["finished"] += 1
        return page

    monkeypatch.setattr(pushing.store, "changed_orders", slow_page)
    with pytest.raises(ConnectionStopped):
        await run_pass(pushing.runtime)
    assert pages["started"] >= 1
    assert pages["finished"] == pages["started"]


async def test_the_detector_stays_a_bounded_way_ahead_of_the_sender(
    pushing: Pushing, monkeypatch: pytest.MonkeyPatch
) -> None:
    await seed(pushing, 1000)
    push = pushing.runtime.push

    stop = anyio.Event()
    full_at: float | None = None

    async def stalled_sender() -> int:
        """Sends nothing (the budget is spent). Once the queue holds the lookahead, it gives
        the detector a few of its pauses to run further ahead, then ends the drain: counted
        from when the queue filled, not from the start, so a slow machine cannot fail it."""
        nonlocal full_at
        if full_at is None and await push.queue_is_full(150):
            full_at = anyio.current_time()
        if full_at is not None and anyio.current_time() - full_at > 3 * LOOKAHEAD_PAUSE:
            stop.set()
        return 0

    monkeypatch.setattr(push, "push_batch", stalled_sender)
    give_up = anyio.current_time() + 60.0
    assert await drain(push, page=100, lookahead=150, until=give_up, stop=stop)
    assert stop.is_set(), "the detector never filled the lookahead"
    async with pushing.engine.connect() as conn:
        queued = len(await db.outbox_rows(conn, "shop"))
    assert 150 <= queued <= 250, "paused within a page of the lookahead"


async def test_write_back_moves_trigger_orders_to_submitted(engine: object) -> None:
    rules = {"write_back": {"enabled": True}}
    pushing = await wire(
        engine,
        Emulator(EmulatorConfig(api_key="k", api_secret="s")),  # type: ignore[arg-type]
        rules=rules,
    )
    ready = make_order(5).model_copy(update={"status": "ready to ship"})
    await pushing.store.ingest(ready)
    await run_pass(pushing.runtime)
    [stored] = (await pushing.store.orders_by_id([ready.source_id])).values()
    assert stored.status == "submitted"
    pushing.emulator.clear_calls()
    await run_pass(pushing.runtime)  # the write-back maps to the same payload: nothing to send
    assert create_calls(pushing.emulator) == []


async def test_two_passes_on_one_key_never_overlap(pushing: Pushing) -> None:
    await seed(pushing, 5)
    other = KeyLease(pushing.engine, pushing.runtime.lease.key_id, owner="another-worker")
    async with other.hold(pushing.runtime.push.client.budget):
        with pytest.raises(LeaseBusy):
            await run_pass(pushing.runtime)
    await run_pass(pushing.runtime)
    assert len(pushing.remote_keys()) == 5


async def test_a_backfill_rereads_the_store_and_still_sends_only_changes(pushing: Pushing) -> None:
    orders = make_orders(10)
    await seed(pushing, 10)
    await run_pass(pushing.runtime)
    pushing.emulator.clear_calls()
    since = sorted(o.created_at for o in orders)[5]
    stats = await run_pass(pushing.runtime, backfill=True, backfill_since=since)
    assert stats.detected == 10 + 5  # the first pass read ten; the backfill five of them again
    assert create_calls(pushing.emulator) == []  # unchanged: nothing to send


async def test_the_sync_start_date_is_set_once(engine: object) -> None:
    emulator = Emulator(EmulatorConfig(api_key="k", api_secret="s"))
    first = {"eligibility": {"sync_start": "2026-01-01T00:00:00Z"}}
    pushing = await wire(engine, emulator, rules=first)  # type: ignore[arg-type]
    assert pushing.runtime.push.rules.eligibility.sync_start is not None
    kept = await wire(engine, emulator)  # type: ignore[arg-type]
    assert kept.runtime.push.rules.eligibility.sync_start == (
        pushing.runtime.push.rules.eligibility.sync_start
    )
    with pytest.raises(db.SyncStartImmutable):
        await wire(engine, emulator, rules={"eligibility": {"sync_start": "2025-06-01T00:00:00Z"}})  # type: ignore[arg-type]
