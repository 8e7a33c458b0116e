"""Running Django's synchronous ORM from async code: in a worker thread, one call at a time.

Django refuses ORM calls on a thread running an event loop, and its connections belong to
the thread that opened them. Each call therefore runs in a worker thread, and closes the
connections Django considers obsolete before and after (with the default ``CONN_MAX_AGE = 0``
that is every connection, so a long-running process never piles up connections in idle
threads). Calls go one at a time per event loop: the shop is one database, and a SQLite shop
allows one writer anyway.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import anyio
import anyio.to_thread
from anyio.lowlevel import RunVar

T = TypeVar("T")

_LIMITER: RunVar[anyio.CapacityLimiter] = RunVar("stationmaster_oscar_orm")


async def run_orm(work: Callable[[], T]) -> T:
    """``work()`` in a worker thread with fresh Django connections; its result."""
    try:
        limiter = _LIMITER.get()
    except LookupError:
        limiter = anyio.CapacityLimiter(1)
        _LIMITER.set(limiter)
    return await anyio.to_thread.run_sync(_fresh, work, limiter=limiter)


def _fresh(work: Callable[[], T]) -> T:
    from django.db import close_old_connections

    close_old_connections()
    try:
        return work()
    finally:
        close_old_connections()
