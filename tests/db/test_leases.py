"""Leases: one owner at a time under contention, takeover after expiry, state handover."""

import anyio
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from stationmaster.db import (
    InvalidStateInput,
    Lease,
    acquire_lease,
    create_engine,
    get_lease,
    owner_id,
    release,
    renew,
)
from tests.db.support import T0, at

pytestmark = pytest.mark.anyio

KEY = "key:abc123"
CONTENDERS = 24


async def _race(engines: list[AsyncEngine], name: str, now_offset: float) -> list[Lease]:
    """Many owners try at once, spread over ``engines``; the leases they got."""
    won: list[Lease] = []

    async def contend(n: int) -> None:
        engine = engines[n % len(engines)]
        lease = await acquire_lease(engine, name, f"worker-{n}", 30, now=at(now_offset))
        if lease is not None:
            won.append(lease)

    async with anyio.create_task_group() as group:
        for n in range(CONTENDERS):
            group.start_soon(contend, n)
    return won


async def _engines(engine: AsyncEngine, db_url: str) -> list[AsyncEngine]:
    # On PostgreSQL, separate engines stand in for separate worker processes.
    if engine.dialect.name != "postgresql":
        return [engine]
    return [engine] + [create_engine(db_url) for _ in range(3)]


async def test_exactly_one_of_many_concurrent_owners_wins(engine: AsyncEngine, db_url: str) -> None:
    engines = await _engines(engine, db_url)
    try:
        won = await _race(engines, KEY, 0)
        async with engine.connect() as conn:
            holder = await get_lease(conn, KEY)
    finally:
        for extra in engines[1:]:
            await extra.dispose()
    assert len(won) == 1
    assert holder == won[0]
    assert (holder.acquired_at, holder.expires_at, holder.state) == (T0, at(30), None)


async def test_an_expired_lease_is_taken_over_by_exactly_one(
    engine: AsyncEngine, db_url: str
) -> None:
    first = await acquire_lease(engine, KEY, "crashed", 30, now=T0)
    assert first is not None
    assert await renew(engine, first, 30, state={"limit": 40}, now=at(10)) is not None
    engines = await _engines(engine, db_url)
    try:
        assert await _race(engines, KEY, 39) == []  # still held until 10 + 30
        won = await _race(engines, KEY, 41)
    finally:
        for extra in engines[1:]:
            await extra.dispose()
    assert len(won) == 1
    assert won[0].state == {"limit": 40}  # the crashed owner's last snapshot
    assert await renew(engine, first, 30, now=at(42)) is None  # the old owner lost it


async def test_state_passes_from_owner_to_owner(engine: AsyncEngine) -> None:
    lease = await acquire_lease(engine, KEY, "a", 30, now=T0)
    assert lease is not None
    renewed = await renew(engine, lease, 60, state={"grant_ages": [1.5]}, now=at(5))
    assert renewed is not None
    assert (renewed.expires_at, renewed.state) == (at(65), {"grant_ages": [1.5]})
    assert await acquire_lease(engine, KEY, "b", 30, now=at(6)) is None
    assert await release(engine, renewed, state={"grant_ages": [2.5]}, now=at(7))
    async with engine.connect() as conn:
        assert await get_lease(conn, KEY) is None
    successor = await acquire_lease(engine, KEY, "b", 30, now=at(8))
    assert successor is not None
    assert successor.state == {"grant_ages": [2.5]}
    assert not await release(engine, renewed, now=at(9))  # "a" no longer holds it


async def test_an_owner_can_reacquire_and_renew_its_own_lease(engine: AsyncEngine) -> None:
    lease = await acquire_lease(engine, KEY, "a", 30, now=T0)
    again = await acquire_lease(engine, KEY, "a", 30, now=at(10))
    assert lease is not None
    assert again is not None
    assert again.expires_at == at(40)
    # Expired but not taken over: renewing is still safe.
    assert await renew(engine, again, 30, now=at(100)) is not None


async def test_leases_are_independent_by_name(engine: AsyncEngine) -> None:
    assert await acquire_lease(engine, "key:1", "a", 30, now=T0) is not None
    assert await acquire_lease(engine, "key:2", "b", 30, now=T0) is not None


async def test_bad_lease_arguments_are_refused(engine: AsyncEngine) -> None:
    with pytest.raises(ValueError, match="ttl"):
        await acquire_lease(engine, KEY, "a", 0)
    with pytest.raises(InvalidStateInput):
        await acquire_lease(engine, "", "a", 30)
    with pytest.raises(InvalidStateInput):
        await acquire_lease(engine, KEY, "o" * 101, 30)
    lease = await acquire_lease(engine, KEY, "a", 30, now=T0)
    assert lease is not None
    with pytest.raises(InvalidStateInput, match="lease state"):
        await renew(engine, lease, 30, state={"at": T0})
    async with engine.connect() as conn:
        held = await get_lease(conn, KEY)
    assert held is not None
    assert held.state is None


def test_owner_ids_are_unique_per_call() -> None:
    assert owner_id() != owner_id()
    assert owner_id("web").startswith("web@")
