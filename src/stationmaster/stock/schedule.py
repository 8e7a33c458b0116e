"""The periodic reconcile: every ``interval`` after the last one ended, plus random jitter.

The time of the last run lives in the reconcile lease, so a restart does not reset the
clock and several worker processes share one schedule: each looks at when the last run
(by anyone) ended, sleeps until it is due, and tries the lease; whoever gets it runs, the
others find it busy and look again later. The jitter is drawn once per finished run, so
connections (and processes) spread out instead of all asking ShipStation at the same minute.
A never-run connection is due within the jitter after start-up.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

import anyio
import structlog

from stationmaster.stock.lease import ReconcileBusy
from stationmaster.stock.runs import Reconciler
from stationmaster.wiretime import utcnow

log = structlog.get_logger("stationmaster.stock.schedule")

#: How long to look away after finding the lease busy or a run failing.
RETRY_SECONDS = 60.0


async def reconcile_periodically(
    reconciler: Reconciler,
    *,
    stop: anyio.Event,
    rng: random.Random | None = None,
    retry: float = RETRY_SECONDS,
) -> None:
    """Run ``reconciler`` whenever due until ``stop`` is set; a failed run is logged and
    tried again after ``retry`` seconds, never allowed to end the loop."""
    draw = rng or random.Random()
    planned: tuple[datetime | None, datetime] | None = None
    while not stop.is_set():
        last = await reconciler.last_finished()
        if planned is None or planned[0] != last:
            jitter = timedelta(seconds=draw.uniform(0, reconciler.jitter))
            base = utcnow() if last is None else last + timedelta(seconds=reconciler.interval)
            planned = (last, base + jitter)
        pause = (planned[1] - utcnow()).total_seconds()
        if pause > 0:
            with anyio.move_on_after(pause):
                await stop.wait()
            continue
        try:
            await reconciler.run()
        except ReconcileBusy:
            log.info("stock.reconcile_busy", connection=reconciler.connection)
        except Exception as exc:  # the loop outlives a bad run; the log says why
            log.exception(
                "stock.reconcile_failed", connection=reconciler.connection, error=str(exc)
            )
        else:
            continue
        with anyio.move_on_after(retry):
            await stop.wait()
