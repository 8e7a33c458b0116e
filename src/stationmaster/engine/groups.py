"""Task groups whose single failure surfaces as itself, not wrapped in an ExceptionGroup.

Callers of a sync pass catch ``ConnectionStopped`` or ``LeaseLost``; that the pass runs a
helper task beside its main work is its own business and must not change what they catch.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
from anyio.abc import TaskGroup


@asynccontextmanager
async def task_group() -> AsyncIterator[TaskGroup]:
    """``anyio.create_task_group()``, re-raising a lone exception unwrapped."""
    try:
        async with anyio.create_task_group() as group:
            yield group
    except BaseExceptionGroup as failure:
        if len(failure.exceptions) == 1:
            raise failure.exceptions[0] from failure.exceptions[0].__cause__
        raise
