"""Page walking and date windows, apart from HTTP: arithmetic, narrowing, de-duplication."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from stationmaster.errors import Resolution, ServerError
from stationmaster.shipstation.paging import (
    PageWalk,
    smaller_page_size,
    split_window,
    unique,
    walk_pages,
)

pytestmark = pytest.mark.anyio


@dataclass
class FakePage:
    page: int | None
    pages: int | None
    rows: list[int]

    def records(self) -> list[int]:
        return self.rows


def server(total: int, broken: frozenset[int] = frozenset(), pages_field: bool = True):
    """A list of ``total`` records; any page covering a position in ``broken`` fails with 500."""
    calls: list[tuple[int, int]] = []

    async def fetch(page: int, size: int) -> FakePage:
        calls.append((page, size))
        positions = range((page - 1) * size, min(page * size, total))
        if broken.intersection(positions):
            raise ServerError("boom", resolution=Resolution("retry", "boom"), status=500)
        pages = -(-total // size) if pages_field else None
        return FakePage(page, pages, list(positions))

    return fetch, calls


async def collect(source) -> list:
    return [item async for item in source]


async def test_walks_every_page_once() -> None:
    fetch, calls = server(1234)
    assert await collect(walk_pages(fetch, page_size=500)) == list(range(1234))
    assert calls == [(1, 500), (2, 500), (3, 500)]


async def test_stops_on_an_empty_page_when_pages_is_missing() -> None:
    fetch, calls = server(10, pages_field=False)
    assert await collect(walk_pages(fetch, page_size=5)) == list(range(10))
    assert calls[-1] == (3, 5)


async def test_a_broken_record_is_skipped_and_reported_not_the_whole_page() -> None:
    fetch, _ = server(1200, broken=frozenset({733}))
    walk = PageWalk[int](page_size=500)
    got = await collect(walk_pages(fetch, page_size=500, walk=walk))
    assert got == [n for n in range(1200) if n != 733]
    assert [s.position for s in walk.skipped] == [733]


async def test_a_broken_record_on_the_last_partial_page() -> None:
    fetch, _ = server(7, broken=frozenset({6}))
    walk = PageWalk[int](page_size=5)
    assert await collect(walk_pages(fetch, page_size=5, walk=walk)) == [0, 1, 2, 3, 4, 5]
    assert [s.position for s in walk.skipped] == [6]


def test_smaller_page_sizes_divide_the_failing_page() -> None:
    sizes = [500]
    while (nxt := smaller_page_size(sizes[-1])) is not None:
        assert sizes[-1] % nxt == 0
        sizes.append(nxt)
    assert sizes[-1] == 1
    assert smaller_page_size(1) is None


async def test_unique_drops_repeats() -> None:
    async def source():
        for n in [1, 2, 2, 3, 1]:
            yield n

    assert await collect(unique(source(), key=lambda n: n)) == [1, 2, 3]


def test_split_window_covers_the_range_with_shared_boundaries() -> None:
    start = datetime(2026, 11, 1, tzinfo=UTC)
    end = start + timedelta(days=2, hours=5)
    chunks = list(split_window(start, end, timedelta(days=1)))
    assert chunks[0][0] == start and chunks[-1][1] == end
    assert all(a[1] == b[0] for a, b in itertools.pairwise(chunks))
    assert all(hi - lo <= timedelta(days=1) for lo, hi in chunks)
    assert len(chunks) == 3
    assert list(split_window(start, start, timedelta(hours=1))) == [(start, start)]


@pytest.mark.parametrize(
    ("start", "end", "span", "message"),
    [
        (
            datetime(2026, 1, 2, tzinfo=UTC),
            datetime(2026, 1, 1, tzinfo=UTC),
            timedelta(1),
            "before",
        ),
        (datetime(2026, 1, 1), datetime(2026, 1, 2, tzinfo=UTC), timedelta(1), "aware"),
        (datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 2, tzinfo=UTC), timedelta(0), "zero"),
    ],
)
def test_split_window_refuses_bad_ranges(start, end, span, message) -> None:
    with pytest.raises(ValueError, match=message):
        list(split_window(start, end, span))


async def test_pages_zero_is_not_trusted_a_short_page_ends_the_walk() -> None:
    calls: list[int] = []

    async def fetch(page: int, size: int) -> FakePage:
        calls.append(page)
        rows = list(range((page - 1) * size, min(page * size, 7)))
        return FakePage(page, 0, rows)

    assert await collect(walk_pages(fetch, page_size=5)) == list(range(7))
    assert calls == [1, 2]
