"""Applying a warehouse's adjustments to a store, each on its own, each with a named outcome.

A store that keeps the key with its own change (the native store; see
:class:`~stationmaster.stores.protocol.StockReceipts`) is asked directly and says whether the
key was new. Any other store is asked through stationmaster's ledger
(:mod:`stationmaster.stock.ledger`), which tells a first delivery from a repeat. The store gets
the key too: one offering ``stock_keys`` drops a key it has seen, so a change whose answer was
lost may safely be sent again; for any other, such a change stays in doubt until a reconcile.

Store refusals become per-item outcomes; anything else (the database gone) propagates, and
the sender's retry is harmless because every item carries its key.
"""

from __future__ import annotations

from collections.abc import Sequence

import anyio
import structlog

from stationmaster import db
from stationmaster.stock.adjustments import Adjustment, ItemResult, ItemStatus
from stationmaster.stock.ledger import AdjustmentInDoubt, StockLedger
from stationmaster.stores.protocol import (
    StockBelowZero,
    StockKeyReused,
    StockReceipts,
    Store,
    StoreError,
    UnknownSku,
)

log = structlog.get_logger("stationmaster.stock.apply")

#: How often a worker settles adjustments whose claimer died (see :func:`settle_periodically`).
SETTLE_SECONDS = 60.0


async def apply_adjustments(
    store: Store, ledger: StockLedger, items: Sequence[Adjustment | ItemResult]
) -> list[ItemResult]:
    """One result per item, in order; items already judged (invalid) pass through as they are."""
    results: list[ItemResult] = []
    for index, item in enumerate(items):
        if isinstance(item, ItemResult):
            results.append(item)
        else:
            results.append(await apply_adjustment(store, ledger, index, item))
    return results


async def apply_adjustment(
    store: Store, ledger: StockLedger, index: int, adjustment: Adjustment
) -> ItemResult:
    """Apply one adjustment; its outcome, never a store exception."""
    a = adjustment

    def result(
        status: ItemStatus,
        *,
        on_hand: int | None = None,
        field: str | None = None,
        message: str | None = None,
    ) -> ItemResult:
        return ItemResult(index, status, a.sku, a.key, on_hand, field, message)

    try:
        if isinstance(store, StockReceipts):
            receipt = await store.adjust_stock_once(a.sku, a.delta, a.key, reason=a.reason)
            return result("applied" if receipt.applied else "duplicate", on_hand=receipt.on_hand)

        async def change() -> int:
            return await store.adjust_stock(a.sku, a.delta, a.key)

        outcome = await ledger.once(a, change, resend_safe=keeps_stock_keys(store))
        return result("applied" if outcome.applied else "duplicate", on_hand=outcome.on_hand)
    except UnknownSku as exc:
        return result("unknown_sku", field="sku", message=str(exc))
    except StockBelowZero as exc:
        return result("refused", field="delta", message=str(exc))
    except StockKeyReused as exc:
        return result("invalid", field="idempotency_key", message=str(exc))
    except AdjustmentInDoubt as exc:
        return result("failed", message=str(exc))
    except StoreError as exc:
        if isinstance(exc, ValueError):
            field = getattr(exc, "field", None)
            return result(
                "invalid", field=field if isinstance(field, str) else None, message=str(exc)
            )
        return result("failed", message=str(exc))


def keeps_stock_keys(store: Store) -> bool:
    """Whether ``store`` drops a keyed adjustment it has applied (so sending one again after a
    lost answer is harmless)."""
    return "stock_keys" in store.capabilities


async def settle_stale_adjustments(store: Store, ledger: StockLedger) -> int:
    """Send again, with their keys, the adjustments a dead process left pending; how many
    settled. A store keeping its own keys (:class:`StockReceipts`) never leaves any; one that
    cannot drop a repeat leaves them in doubt, for the next full reconcile."""
    if isinstance(store, StockReceipts) or not keeps_stock_keys(store):
        return 0

    async def send(entry: db.StockEntry) -> int:
        return await store.adjust_stock(entry.sku, entry.delta, entry.key)

    return await ledger.recheck(send)


async def settle_periodically(
    stores: Sequence[tuple[Store, StockLedger]],
    *,
    stop: anyio.Event,
    every: float = SETTLE_SECONDS,
) -> None:
    """Settle every ledger at once and then every ``every`` seconds until ``stop``: a
    delivery lost with its process is finished even if the warehouse never sends it again.
    One store's failure (logged) never keeps the others waiting."""
    while not stop.is_set():
        for store, ledger in stores:
            try:
                settled = await settle_stale_adjustments(store, ledger)
            except Exception as exc:  # the loop outlives a bad round; the log says why
                log.exception("stock.settle_failed", connection=ledger.connection, error=str(exc))
                continue
            if settled:
                log.info("stock.settled", connection=ledger.connection, settled=settled)
        with anyio.move_on_after(every):
            await stop.wait()
