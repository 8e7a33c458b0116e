"""Reading a store's JSON answers: typed values, checked order ids, change stamps, orders.

A connector maps JSON it did not write. Every read here names the field (or the order) when a
value does not fit, and raises the connector's own error, so a connector keeps its error
classes and messages while the checks themselves are written once.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from pydantic import JsonValue, ValidationError

from stationmaster.domain import Order
from stationmaster.stores.protocol import ChangeBatch, StoreError, Unreadable

T = TypeVar("T")


class JsonReader:
    """Typed reads of raw JSON, each raising ``error`` naming the field when a value does not
    fit; a connector adds its own reads (its amounts) to a subclass."""

    def __init__(self, error: Callable[[str], Exception]) -> None:
        self.error = error

    def text(self, value: object, where: str) -> str:
        if not isinstance(value, str):
            raise self.error(f"{where} is {value!r}, not text")
        return value

    def optional_text(self, value: object, where: str) -> str | None:
        return None if value is None else self.text(value, where)

    def optional_texts(
        self, raw: Mapping[str, Any], fields: Mapping[str, str]
    ) -> dict[str, object]:
        """The optional texts of ``raw`` under our names (``fields``: ours -> theirs)."""
        return {
            ours: self.optional_text(raw.get(theirs), theirs) for ours, theirs in fields.items()
        }

    def instant(self, value: object, where: str) -> datetime:
        if not isinstance(value, str):
            raise self.error(f"{where} is {value!r}, not a date-time")
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            raise self.error(f"{where} is {value!r}, not an ISO date-time") from None

    def items(self, value: object, where: str) -> list[Mapping[str, Any]]:
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
            raise self.error(f"{where} is not a list of objects")
        return value

    def obj(self, value: object, where: str) -> Mapping[str, Any] | None:
        if value is None:
            return None
        if not isinstance(value, dict):
            raise self.error(f"{where} is {value!r}, not an object")
        return value


def validated_order(
    document: Callable[[], Mapping[str, object]], label: str, error: type[ValueError]
) -> Order:
    """The canonical order ``document`` builds; ``error`` naming the order (by ``label``) and
    what does not fit, so the feed can report that order and go on. ``error`` is a
    :class:`ValueError`, so one the reads raise is named with the order too."""
    try:
        return Order.model_validate(document())
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in problem['loc']) or 'order'}: {problem['msg']}"
            for problem in exc.errors()[:5]
        )
        raise error(f"order {label} does not fit the order model: {problems}") from None
    except (TypeError, ValueError, KeyError) as exc:
        raise error(f"order {label}: {exc}") from None


def feed_limit(limit: int, page_size: int, error: Callable[[str], Exception]) -> int:
    """How many orders a feed page asks for: ``limit``, at most ``page_size``; ``error`` when
    ``limit`` is no positive integer."""
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise error(f"limit must be a positive integer, got {limit!r}")
    return min(limit, page_size)


def change_batch(
    mapped: Iterable[Order | Unreadable], cursor: JsonValue, more: bool
) -> ChangeBatch:
    """The batch of a feed page's orders, in their order, apart from those it cannot read."""
    orders: list[Order] = []
    unreadable: list[Unreadable] = []
    for item in mapped:
        if isinstance(item, Order):
            orders.append(item)
        else:
            unreadable.append(item)
    return ChangeBatch(orders, cursor, more, unreadable)


async def orders_in_chunks(
    source_ids: Sequence[str],
    size: int,
    fetch: Callable[[list[str]], Awaitable[Iterable[Order | Unreadable]]],
) -> dict[str, Order]:
    """The orders among ``source_ids`` that ``fetch`` finds when asked for ``size`` ids at a
    time (each id once); unreadable orders, and any it was not asked for, are left out."""
    wanted = list(dict.fromkeys(source_ids))
    found: dict[str, Order] = {}
    for start in range(0, len(wanted), size):
        chunk = wanted[start : start + size]
        for mapped in await fetch(chunk):
            if isinstance(mapped, Order) and mapped.source_id in chunk:
                found[mapped.source_id] = mapped
    return found


@dataclass(frozen=True, slots=True)
class Answers:
    """Checks on what one store (``store``, as people name it) answers about its orders;
    an answer that does not fit is its connector's ``error``."""

    store: str
    error: Callable[[str], StoreError]

    def order_id(self, item: Mapping[str, Any]) -> str:
        """The order's id; an order without one cannot be fed, written or reported."""
        order_id = item.get("id")
        if not isinstance(order_id, str) or not order_id:
            raise self.error(f"{self.store} returned an order without an id: {dict(item)!r:.200}")
        return order_id

    def change_stamp(self, value: object, order_id: str, field: str) -> datetime:
        """An order's last change (its ``field``), in UTC; a :class:`StoreError` when the
        server sent something else, since the feed cannot place such an order."""
        if isinstance(value, str):
            try:
                instant = datetime.fromisoformat(value)
            except ValueError:
                instant = None
            if instant is not None and instant.tzinfo is not None:
                return instant.astimezone(UTC)
        raise StoreError(
            f"{self.store} returned order {order_id!r} with {field} {value!r}: the feed cannot "
            "place it, so it stops here rather than skip it"
        )

    def recorded(
        self, read: Callable[[Mapping[str, Any]], T], order: Mapping[str, Any], parts: str
    ) -> T:
        """What ``read`` makes of an order's shipments; ``error`` when the answer's ``parts``
        (fulfillments and lines, say) do not fit."""
        try:
            return read(order)
        except (KeyError, TypeError, ValueError, AttributeError):
            raise self.error(
                f"{self.store} answered order {order.get('id')!r} with {parts} the connector "
                f"cannot read: {order!r:.200}"
            ) from None
