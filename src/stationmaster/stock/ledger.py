"""stationmaster's side of exactly-once, for stores that cannot keep a key with their own change.

The native store claims a key in the same transaction as its ``UPDATE``, and a connector
whose store has transactions can do the same on its side (Oscar: a key row in the same
``transaction.atomic()`` as the ``F()`` update). Such stores have their own exactly-once. A
store without a place for the key in its own write (an API that only sets levels) goes
through this ledger instead, in stationmaster's database:

1. **claim**: ``INSERT`` a ``pending`` row for the key (unique per connection) and commit,
   before the store is asked. Of many deliveries of one key, exactly one claims it.
2. **apply**: ask the store. When it answers with the new level, mark the row ``applied``
   with that level: from then on every delivery of the key is a ``duplicate``.
3. **refused**: when the store refuses (unknown SKU, below zero, a bad value) nothing was
   applied; the row is deleted, so a corrected delivery can use the key again.
4. **lost answer**: when the store fails or times out, or the process dies, the outcome is
   unknown and the row stays ``pending``. A delivery of the same key meanwhile waits for it
   (up to ``wait`` seconds) and then reports it as not settled.
5. **re-check on restart**: a ``pending`` row older than ``stale_after`` has lost its
   claimer. If the store applies a key once by itself (``resend_safe``: the contract the
   store conformance kit checks), the row is taken over (one taker wins) and the change sent
   again with the same key, which the store drops if it already has it; :meth:`StockLedger.recheck`
   does this for every stale row, and a new delivery of the key does it for its own.
   If the store cannot (a raw level write), the row stays in doubt: sending it again could
   count the units twice, dropping it could lose them. The next full reconcile sets every
   level from ShipStation's count and then marks such rows ``reconciled``.

So for these stores an adjustment is applied at most once, and exactly once unless the
process dies between the store's write and step 2, a window the next reconcile closes.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

import anyio
import structlog
from sqlalchemy.ext.asyncio import AsyncEngine

from stationmaster import db
from stationmaster.stock.adjustments import Adjustment
from stationmaster.stores.protocol import StockBelowZero, StockKeyReused, StoreError, UnknownSku
from stationmaster.wiretime import utcnow

log = structlog.get_logger("stationmaster.stock.ledger")

Apply = Callable[[], Awaitable[int]]
"""Makes the change in the store and returns the level after it."""


class AdjustmentInDoubt(StoreError):
    """The store was asked for this key and its answer is not known (yet); send it again later."""


@dataclass(frozen=True, slots=True)
class LedgerOutcome:
    """What :meth:`StockLedger.once` did: the level (if known) and whether this call applied."""

    on_hand: int | None
    applied: bool


def is_refusal(exc: BaseException) -> bool:
    """Whether ``exc`` means the store changed nothing (as opposed to an unknown outcome)."""
    return isinstance(exc, (UnknownSku, StockBelowZero, StockKeyReused)) or (
        isinstance(exc, StoreError) and isinstance(exc, ValueError)
    )


@dataclass
class StockLedger:
    """The ledger of one connection; see the module docstring for the protocol."""

    engine: AsyncEngine
    connection: str
    #: A pending claim older than this is taken to have lost its claimer.
    stale_after: timedelta = timedelta(minutes=5)
    #: How long a repeat delivery waits for a claim in flight before reporting it unsettled.
    wait: float = 10.0
    poll: float = 0.05

    async def once(
        self, adjustment: Adjustment, apply: Apply, *, resend_safe: bool
    ) -> LedgerOutcome:
        """Apply ``adjustment`` through ``apply`` at most once per key.

        ``resend_safe``: the store itself drops a key it has seen (so sending again after a
        lost answer is harmless). Raises the store's refusal, :class:`StockKeyReused` for a
        key recorded with another change, or :class:`AdjustmentInDoubt`.
        """
        a = adjustment
        deadline = anyio.current_time() + self.wait
        while True:
            async with self.engine.begin() as conn:
                claimed = await db.claim_stock_key(
                    conn, self.connection, a.key, a.sku, a.delta, reason=a.reason, state="pending"
                )
                found = None if claimed else await db.get_stock_entry(conn, self.connection, a.key)
            if claimed is not None:
                return await self._apply(claimed, apply, resend_safe=resend_safe)
            if found is None:  # refused and forgotten meanwhile: claim it afresh
                continue
            if not found.same_change(a.sku, a.delta):
                raise StockKeyReused(
                    f"idempotency key {a.key!r} was used for {found.delta:+d} of "
                    f"{found.sku!r}, not {a.delta:+d} of {a.sku!r}"
                )
            if found.state != "pending":
                return LedgerOutcome(found.result, applied=False)
            if resend_safe and self._stale(found) and await self._take_over(found):
                return await self._apply(found, apply, resend_safe=resend_safe)
            if anyio.current_time() >= deadline:
                then = "send it again later" if resend_safe else "the next reconcile settles it"
                raise AdjustmentInDoubt(
                    f"adjustment {a.key!r} went to the store at "
                    f"{found.created_at:%Y-%m-%d %H:%M:%S} UTC and its answer is not in; {then}"
                )
            await anyio.sleep(self.poll)

    async def recheck(self, send: Callable[[db.StockEntry], Awaitable[int]]) -> int:
        """Send every stale pending change again with its key (stores that drop repeats
        only); how many were settled. Run at start-up: it finishes what a dead process began."""
        settled = 0
        async with self.engine.connect() as conn:
            stale = await db.pending_stock_entries(
                conn, self.connection, claimed_before=self._stale_before()
            )
        for entry in stale:
            if not await self._take_over(entry):
                continue
            try:
                await self._apply(entry, partial(send, entry), resend_safe=True)
            except StoreError as exc:
                log.warning(
                    "stock.recheck_failed",
                    connection=self.connection,
                    key=entry.key,
                    error=str(exc),
                )
                continue
            settled += 1
        return settled

    async def _apply(
        self, entry: db.StockEntry, apply: Apply, *, resend_safe: bool
    ) -> LedgerOutcome:
        try:
            on_hand = await apply()
        except BaseException as exc:
            if is_refusal(exc) or (resend_safe and isinstance(exc, Exception)):
                with anyio.CancelScope(shield=True):
                    async with self.engine.begin() as conn:
                        await db.forget_pending_stock(conn, entry.id)
            else:
                log.warning(
                    "stock.adjustment_in_doubt",
                    connection=self.connection,
                    key=entry.key,
                    error=repr(exc),
                )
            raise
        async with self.engine.begin() as conn:
            await db.mark_stock_applied(conn, entry.id, on_hand)
        return LedgerOutcome(on_hand, applied=True)

    async def _take_over(self, entry: db.StockEntry) -> bool:
        async with self.engine.begin() as conn:
            return await db.take_over_stock(conn, entry)

    def _stale(self, entry: db.StockEntry) -> bool:
        return entry.created_at < self._stale_before()

    def _stale_before(self) -> datetime:
        return utcnow() - self.stale_after
