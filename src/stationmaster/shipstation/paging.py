"""Walking ShipStation's paged lists as one stream of records, and long date ranges as chunks.

ShipStation pages are computed per request, so records move between pages while a walk is
under way; a single corrupt record can make a whole page answer 500. The walker therefore
de-duplicates by id, and narrows a failing page (smaller page sizes, down to one record) so
that only the bad position is skipped and reported, never the whole page.
"""

from __future__ import annotations

from collections.abc import (
    AsyncIterator,
    Awaitable,
    Callable,
    Hashable,
    Iterator,
    Mapping,
    Sequence,
)
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Generic, Protocol, Self, TypeVar

from stationmaster.errors import ServerError

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)


class Page(Protocol[T_co]):
    """What a list envelope offers a walker: its records and where it stands."""

    @property
    def pages(self) -> int | None: ...

    def records(self) -> Sequence[T_co]: ...


FetchPage = Callable[[int, int], Awaitable[Page[T]]]
"""Fetch one page: ``(page number, page size) -> envelope``."""


@dataclass(frozen=True, slots=True)
class SkippedRecord:
    """A position that failed even at page size 1: reported, never silently lost."""

    position: int
    error: ServerError


@dataclass(slots=True)
class PageWalk(Generic[T]):
    """One walk over a paged list: three verbs (``request``, ``advance``, ``done``) and a loop.

    Kept as a small explicit object so the page arithmetic can be tested without HTTP.
    """

    page_size: int
    page: int = 1
    finished: bool = False
    skipped: list[SkippedRecord] = field(default_factory=list)

    def request(self) -> tuple[int, int]:
        return self.page, self.page_size

    def advance(self, envelope: Page[T] | None, count: int) -> None:
        """Move past the page just read; ``envelope`` is None when the page had to be narrowed."""
        pages = envelope.pages if envelope is not None else None
        if count == 0:
            self.finished = True
        elif pages:  # trusted when positive; ShipStation's doc mock answers ``pages: 0``
            self.finished = self.page >= pages
        else:
            self.finished = count < self.page_size
        self.page += 1

    def done(self) -> bool:
        return self.finished


def smaller_page_size(size: int) -> int | None:
    """The largest divisor of ``size`` that is at most half of it (None at size 1).

    A divisor keeps every sub-page aligned with the failing page's first position.
    """
    return next((d for d in range(size // 2, 0, -1) if size % d == 0), None)


async def _narrow(
    fetch: FetchPage[T], offset: int, size: int, walk: PageWalk[T], error: ServerError
) -> AsyncIterator[Sequence[T]]:
    """Re-read ``size`` positions from ``offset`` with smaller pages; skip what still fails."""
    smaller = smaller_page_size(size)
    if smaller is None:
        walk.skipped.append(SkippedRecord(offset, error))
        return
    for sub_offset in range(offset, offset + size, smaller):
        try:
            envelope = await fetch(sub_offset // smaller + 1, smaller)
        except ServerError as exc:
            async for batch in _narrow(fetch, sub_offset, smaller, walk, exc):
                yield batch
            continue
        batch = envelope.records()
        yield batch
        if len(batch) < smaller:
            return


async def walk_pages(
    fetch: FetchPage[T],
    *,
    page_size: int,
    start_page: int = 1,
    walk: PageWalk[T] | None = None,
) -> AsyncIterator[T]:
    """Yield every record of a paged list. Pass your own ``walk`` to read its ``skipped``."""
    state = walk if walk is not None else PageWalk[T](page_size=page_size, page=start_page)
    while not state.done():
        page, size = state.request()
        skipped_before = len(state.skipped)
        try:
            envelope: Page[T] | None = await fetch(page, size)
            batches: AsyncIterator[Sequence[T]] | None = None
        except ServerError as exc:
            envelope = None
            batches = _narrow(fetch, (page - 1) * size, size, state, exc)
        count = 0
        async for batch in _batches(envelope, batches):
            count += len(batch)
            for record in batch:
                yield record
        # A skipped position still occupies its place on the page.
        state.advance(envelope, count + len(state.skipped) - skipped_before)


async def _batches(
    envelope: Page[T] | None, narrowed: AsyncIterator[Sequence[T]] | None
) -> AsyncIterator[Sequence[T]]:
    if envelope is not None:
        yield envelope.records()
    elif narrowed is not None:
        async for batch in narrowed:
            yield batch


async def unique(records: AsyncIterator[T], key: Callable[[T], Hashable]) -> AsyncIterator[T]:
    """Drop records already seen: pages shift during a walk and windows share boundaries."""
    seen: set[Hashable] = set()
    async for record in records:
        ident = key(record)
        if ident not in seen:
            seen.add(ident)
            yield record


def split_window(
    start: datetime, end: datetime, max_span: timedelta
) -> Iterator[tuple[datetime, datetime]]:
    """Cut ``[start, end]`` into consecutive chunks no longer than ``max_span``.

    Chunks share their boundary instant: ShipStation's date filters are inclusive, and the
    walker's de-duplication makes the overlap free while a gap would lose records.
    """
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("date windows need aware datetimes")
    if end < start:
        raise ValueError(f"window ends ({end.isoformat()}) before it starts ({start.isoformat()})")
    if max_span <= timedelta(0):
        raise ValueError("a window chunk must be longer than zero")
    cursor = start
    while True:
        upper = min(cursor + max_span, end)
        yield cursor, upper
        if upper >= end:
            return
        cursor = upper


class ListFilter(Protocol):
    """A list endpoint's query: pydantic model with ShipStation's paging fields."""

    page: int | None
    pageSize: int | None

    def model_copy(
        self, *, update: Mapping[str, Any] | None = None, deep: bool = False
    ) -> Self: ...


F = TypeVar("F", bound=ListFilter)

#: ShipStation's largest page; reading at that size spends the fewest requests.
MAX_PAGE_SIZE = 500


async def walk_filter(
    fetch: Callable[[F], Awaitable[Page[T]]],
    query: F,
    *,
    key: Callable[[T], Hashable],
    split_on: str | None = None,
    max_window: timedelta | None = None,
    skipped: list[SkippedRecord] | None = None,
) -> AsyncIterator[T]:
    """Every record a filtered list holds, each once, with long date ranges cut into chunks.

    ``split_on`` names a date filter pair (``"modifyDate"`` means ``modifyDateStart`` and
    ``modifyDateEnd``); both must be set, and each chunk is at most ``max_window`` long.
    Positions that fail even one by one are appended to ``skipped``.
    """
    page_size = query.pageSize or MAX_PAGE_SIZE
    chunks: list[F] = [query]
    if split_on is not None:
        lower, upper = f"{split_on}Start", f"{split_on}End"
        start, end = getattr(query, lower, None), getattr(query, upper, None)
        if not isinstance(start, datetime) or not isinstance(end, datetime) or max_window is None:
            raise ValueError(f"splitting on {split_on!r} needs {lower}, {upper} and max_window")
        chunks = [
            query.model_copy(update={lower: lo, upper: hi})
            for lo, hi in split_window(start, end, max_window)
        ]
    report = skipped if skipped is not None else []

    async def records() -> AsyncIterator[T]:
        for chunk in chunks:

            async def fetch_page(page: int, size: int, chunk: F = chunk) -> Page[T]:
                return await fetch(chunk.model_copy(update={"page": page, "pageSize": size}))

            walk = PageWalk[T](page_size=page_size, page=query.page or 1, skipped=report)
            async for record in walk_pages(fetch_page, page_size=page_size, walk=walk):
                yield record

    async for record in unique(records(), key):
        yield record
