"""A connection's reconcile as one runnable thing: its book, its ShipStation source, its lease.

:meth:`Reconciler.run` takes the connection's reconcile lease (so two never overlap, in any
process), opens the inventory client for the run, reconciles, and leaves the time it
finished in the lease for the scheduler of whichever process looks next.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime

import structlog
from sqlalchemy.ext.asyncio import AsyncEngine

from stationmaster.stock.book import StockBook
from stationmaster.stock.lease import last_state, reconcile_lease
from stationmaster.stock.levels import LevelSource
from stationmaster.stock.reconcile import Progress, Reconciled, reconcile
from stationmaster.wiretime import utcnow

log = structlog.get_logger("stationmaster.stock")

OpenSource = Callable[[], AbstractAsyncContextManager[LevelSource]]
"""Opens ShipStation's level source for one run (an inventory client), closed after it."""


@dataclass
class Reconciler:
    """Everything one connection's reconcile needs, and when it is due."""

    engine: AsyncEngine
    book: StockBook
    open_source: OpenSource
    owner: str
    warehouse_id: str | None = None
    chunk: int = 1000
    page_size: int = 500
    #: Seconds between the end of one run and the start of the next, plus up to ``jitter``.
    interval: float = 3600.0
    jitter: float = 300.0

    @property
    def connection(self) -> str:
        return self.book.connection

    async def run(
        self, *, dry_run: bool = False, wait: float = 0.0, progress: Progress | None = None
    ) -> Reconciled:
        """Reconcile now, under the lease (waiting up to ``wait`` s for it, then
        :class:`~stationmaster.stock.lease.ReconcileBusy`)."""
        async with reconcile_lease(self.engine, self.connection, self.owner, wait=wait) as lease:
            async with self.open_source() as source:
                done = await reconcile(
                    self.book,
                    source,
                    warehouse_id=self.warehouse_id,
                    dry_run=dry_run,
                    chunk=self.chunk,
                    page_size=self.page_size,
                    progress=progress,
                )
            if not dry_run:
                lease.leave = {"finished_at": utcnow().isoformat(), "run_id": done.run_id}
        log.info(
            "stock.reconciled",
            connection=self.connection,
            dry_run=dry_run,
            changed=sum(1 for change in done.plan.changes if change.delta),
            oversold=len(done.plan.oversold),
            calls=done.calls,
            seconds=round(done.seconds, 3),
        )
        return done

    async def last_finished(self) -> datetime | None:
        """When the last real run ended, in any process; ``None`` if none ever did."""
        finished = (await last_state(self.engine, self.connection)).get("finished_at")
        if not isinstance(finished, str):
            return None
        try:
            return datetime.fromisoformat(finished)
        except ValueError:
            return None
