"""The emulated account's stock (API v2 inventory): places, levels, and the four transactions.

Stock is kept per (SKU, location); a location belongs to one inventory warehouse. Listings group
it per location, per warehouse or per SKU (``docs/reference/shipstation-v2-inventory.md`` §3).
Every change here is checked completely before anything moves, so a refused change leaves the
book as it was; the tables also belong to the book's own undo journal, so a v2 request runs in
a transaction (:meth:`InventoryBook.transaction`) like a v1 request does on the account. Sorted
listings are cached until the next change, so walking the pages of a large book costs one
sort, not one per page. A level is a plain tuple (:data:`Stock`), which keeps seeding 100,000
SKUs fast and gives the garbage collector nothing to walk.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Literal

from stationmaster.emulator.clock import Clock
from stationmaster.emulator.refusals import Missing, Refused
from stationmaster.emulator.undo import Journal, UndoDict
from stationmaster.emulator.wire import Wire

Grouping = Literal["sku", "warehouse", "location"]
Stock = tuple[int, int, Decimal | None, str | None]
"""What one SKU has at one location: on hand, allocated, average unit cost, its currency."""
NO_STOCK: Stock = (0, 0, None, None)
#: One listing row: sku, warehouse id, location id ("" when grouped away), then a Stock.
#: Rows sort by their first three values, which are unique within one listing.
Row = tuple[str, str, str, int, int, Decimal | None, str | None]
Key = tuple[str, str]
"""(SKU, location id)."""

FIRST_WAREHOUSE, FIRST_LOCATION = 100_001, 200_001
DEFAULT_WAREHOUSE_NAME, DEFAULT_LOCATION_NAME = "Main Warehouse", "A-1-1-1"
COST_PLACES = Decimal("0.0001")


@dataclass(frozen=True)
class Change:
    """One checked ``POST /v2/inventory`` transaction."""

    transaction_type: Literal["increment", "decrement", "adjust", "modify"]
    sku: str
    location_id: str
    quantity: int
    cost: Decimal | None = None
    currency: str | None = None
    new_location_id: str | None = None
    new_cost: Decimal | None = None
    new_currency: str | None = None


@dataclass(frozen=True)
class LevelQuery:
    """Which rows a listing wants, and how grouped."""

    grouping: Grouping
    skus: frozenset[str] | None = None
    warehouse_id: str | None = None
    location_id: str | None = None


class StockRefused(Refused):
    """ShipStation would refuse this change; carries the v2 ``error_type`` and ``error_code``."""

    def __init__(
        self,
        message: str,
        *,
        error_type: str = "validation",
        error_code: str = "invalid_identifier",
    ) -> None:
        super().__init__(message)
        self.error_type = error_type
        self.error_code = error_code


class InventoryBook:
    """Inventory warehouses, locations and stock levels of one emulated account."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._journal = Journal()
        self.reset(seed=False)

    def reset(self, *, seed: bool) -> None:
        """Empty the book; ``seed`` adds one warehouse holding one location."""
        journal = self._journal
        self._warehouses: dict[str, Wire] = UndoDict(journal)
        self._locations: dict[str, Wire] = UndoDict(journal)
        self._location_warehouse: dict[str, str] = UndoDict(journal)
        self._stock: dict[Key, Stock] = UndoDict(journal)
        #: SKU -> its locations; each set is replaced whole, never changed in place.
        self._by_sku: dict[str, set[str]] = UndoDict(journal)
        self._next: dict[str, int] = UndoDict(
            journal, {"warehouse": FIRST_WAREHOUSE, "location": FIRST_LOCATION}
        )
        #: Bumped by every change, and by every undo (the undone change may be in the cache).
        self._version = 0
        self._cache: dict[tuple[object, ...], list[Row]] = {}
        self._cache_version = 0
        if seed:
            warehouse = self.add_warehouse(DEFAULT_WAREHOUSE_NAME)
            self.add_location(warehouse["inventory_warehouse_id"], DEFAULT_LOCATION_NAME)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Undo every change made inside the block if it raises."""
        try:
            with self._journal.transaction():
                yield
        except BaseException:
            self._version += 1
            raise

    # -- places -----------------------------------------------------------------------------

    def add_warehouse(self, name: str, warehouse_id: str | None = None) -> Wire:
        """A new inventory warehouse (id ``se-<n>`` unless given); its row."""
        _require_text("name", name)
        new_id = self._new_id("warehouse", warehouse_id, self._warehouses)
        now = self._timestamp()
        row = {"inventory_warehouse_id": new_id, "name": name, "created_at": now, "updated_at": now}
        self._warehouses[new_id] = row
        return dict(row)

    def add_location(self, warehouse_id: str, name: str, location_id: str | None = None) -> Wire:
        """A new location in ``warehouse_id`` (id ``se-<n>`` unless given); its row."""
        _require_text("name", name)
        if warehouse_id not in self._warehouses:
            raise Missing(f"Inventory warehouse {warehouse_id!r} does not exist.")
        new_id = self._new_id("location", location_id, self._locations)
        now = self._timestamp()
        row = {
            "inventory_location_id": new_id,
            "inventory_warehouse_id": warehouse_id,
            "name": name,
            "created_at": now,
            "updated_at": now,
        }
        self._locations[new_id] = row
        self._location_warehouse[new_id] = warehouse_id
        return dict(row)

    def warehouse_rows(self) -> list[Wire]:
        return [dict(self._warehouses[k]) for k in sorted(self._warehouses)]

    def location_rows(self, warehouse_id: str | None = None) -> list[Wire]:
        return [
            dict(self._locations[k])
            for k in sorted(self._locations)
            if warehouse_id is None or self._location_warehouse[k] == warehouse_id
        ]

    # -- levels -----------------------------------------------------------------------------

    def set_levels(self, levels: Iterable[object], *, keep_others: bool = False) -> int:
        """Store stock levels as given; every other level is dropped unless ``keep_others``.

        Each level is a mapping or an object (an ``InventoryLevel`` will do) with ``sku``,
        ``on_hand``, optional ``allocated`` (0), ``inventory_location_id``,
        ``inventory_warehouse_id`` and ``average_cost`` (``{amount, currency}``). Without a
        location, the first location of the given warehouse is used, or else the first
        location of all. Everything is checked before the book changes; returns the count.
        """
        given: dict[Key, Stock] = {}
        first_location = next(iter(self._locations), None)
        for index, item in enumerate(levels):
            if type(item) is dict:  # the common case, read without a call per field
                get = item.get
                sku, on_hand, allocated = get("sku"), get("on_hand"), get("allocated")
                location_id = get("inventory_location_id")
                warehouse_id = get("inventory_warehouse_id")
                cost_raw = get("average_cost")
            else:
                sku, on_hand, allocated, location_id, warehouse_id, cost_raw = _level_fields(item)
            if type(sku) is not str or not sku.strip() or type(on_hand) is not int or on_hand < 0:
                raise Refused(_bad_level(f"levels[{index}]", sku, on_hand))
            if allocated is None:
                allocated = 0
            elif type(allocated) is not int or allocated < 0:
                raise Refused(
                    f"levels[{index}].allocated must be a whole number of 0 or more, "
                    f"got {allocated!r}."
                )
            if location_id is None and warehouse_id is None and first_location is not None:
                location = first_location
            else:
                location = self._place(warehouse_id, location_id, f"levels[{index}]")
            key = (sku, location)
            if key in given:
                raise Refused(f"levels[{index}]: {sku!r} at {location!r} is given twice.")
            if cost_raw is None:
                given[key] = (on_hand, allocated, None, None)
            else:
                cost, currency = _cost(cost_raw, f"levels[{index}].average_cost")
                given[key] = (on_hand, allocated, cost, currency)
        stock, by_sku = self._stock, self._by_sku
        if not keep_others:
            stock.clear()
            by_sku.clear()
        added: dict[str, set[str]] = {}
        for sku_key, location_key in [key for key in given if key not in stock]:
            added.setdefault(sku_key, set()).add(location_key)
        for sku_key, locations in added.items():
            if sku_key in by_sku:
                added[sku_key] = by_sku[sku_key] | locations
        stock.update(given)
        by_sku.update(added)
        self._version += 1
        return len(given)

    def levels(self) -> list[Wire]:
        """Every level, one per (SKU, location), sorted, as the API would write them."""
        return [wire_row(row) for row in self.rows(LevelQuery("location"))]

    def rows(self, query: LevelQuery) -> list[Row]:
        """The sorted rows of a listing (cached until the next change when no SKU filter)."""
        if query.skus is not None:
            keys = [(sku, location) for sku in query.skus for location in self._by_sku.get(sku, ())]
            return self._collect([(key, self._stock[key]) for key in keys], query)
        if self._cache_version != self._version:
            self._cache.clear()
            self._cache_version = self._version
        cache_key = (query.grouping, query.warehouse_id, query.location_id)
        found = self._cache.get(cache_key)
        if found is None:
            found = self._cache[cache_key] = self._collect(self._stock.items(), query)
        return found

    # -- transactions -----------------------------------------------------------------------

    def apply(self, change: Change) -> None:
        """Apply one transaction, or raise :class:`StockRefused` and change nothing."""
        location = change.location_id
        if location not in self._locations:
            raise StockRefused(f"inventory_location_id '{location}' was not found.")
        key = (change.sku, location)
        quantity = change.quantity
        on_hand, allocated, cost, currency = self._stock.get(key, NO_STOCK)
        if change.transaction_type == "increment":
            cost, currency = _blend(on_hand, cost, currency, quantity, change.cost, change.currency)
            self._put(key, (on_hand + quantity, allocated, cost, currency))
        elif change.transaction_type == "adjust":
            added = quantity - on_hand
            cost, currency = _blend(on_hand, cost, currency, added, change.cost, change.currency)
            self._put(key, (quantity, allocated, cost, currency))
        elif change.transaction_type == "decrement":
            self._require_units(change, key)
            self._put(key, (on_hand - quantity, allocated, cost, currency))
        else:
            self._require_units(change, key)
            self._modify(change, key)
        self._version += 1

    def _require_units(self, change: Change, key: Key) -> None:
        """Refuse a decrement or modify of stock that is not there, or not enough of it."""
        stock = self._stock.get(key)
        if stock is None:
            raise StockRefused(
                f"SKU '{change.sku}' has no inventory at location '{change.location_id}'."
            )
        if stock[0] < change.quantity:
            raise StockRefused(
                f"Cannot {change.transaction_type} {change.quantity} of SKU '{change.sku}' at "
                f"location '{change.location_id}': only {stock[0]} on hand.",
                error_type="business_rules",
                error_code="invalid_field_value",
            )

    def _modify(self, change: Change, key: Key) -> None:
        """Move ``quantity`` units to another location, and/or give them a new cost."""
        on_hand, allocated, cost, currency = self._stock[key]
        target_id = change.new_location_id
        if target_id is not None and target_id not in self._locations:
            raise StockRefused(f"new_inventory_location_id '{target_id}' was not found.")
        units = change.quantity
        unit_cost = change.new_cost if change.new_cost is not None else cost
        unit_currency = change.new_currency or currency
        if target_id is None or target_id == change.location_id:
            kept = on_hand - units
            cost, currency = _blend(kept, cost, currency, units, unit_cost, unit_currency)
            self._put(key, (on_hand, allocated, cost, currency))
            return
        target = (change.sku, target_id)
        t_on_hand, t_allocated, t_cost, t_currency = self._stock.get(target, NO_STOCK)
        t_cost, t_currency = _blend(t_on_hand, t_cost, t_currency, units, unit_cost, unit_currency)
        self._put(key, (on_hand - units, allocated, cost, currency))
        self._put(target, (t_on_hand + units, t_allocated, t_cost, t_currency))

    # -- internals --------------------------------------------------------------------------

    def _put(self, key: Key, stock: Stock) -> None:
        if key not in self._stock:
            sku, location = key
            self._by_sku[sku] = {*self._by_sku.get(sku, ()), location}
        self._stock[key] = stock

    def _collect(self, items: Iterable[tuple[Key, Stock]], query: LevelQuery) -> list[Row]:
        warehouse_of = self._location_warehouse
        wanted_warehouse, wanted_location = query.warehouse_id, query.location_id
        rows: list[Row]
        if query.grouping == "location":
            rows = [
                (sku, warehouse_of[location], location, *stock)
                for (sku, location), stock in items
                if (wanted_location is None or location == wanted_location)
                and (wanted_warehouse is None or warehouse_of[location] == wanted_warehouse)
            ]
            rows.sort()
            return rows
        totals: dict[tuple[str, str], _Total] = {}
        for (sku, location), stock in items:
            warehouse = warehouse_of[location]
            if wanted_location is not None and location != wanted_location:
                continue
            if wanted_warehouse is not None and warehouse != wanted_warehouse:
                continue
            group = (sku, warehouse if query.grouping == "warehouse" else "")
            total = totals.get(group)
            if total is None:
                total = totals[group] = _Total()
            total.add(stock)
        rows = [(sku, warehouse, "", *total.values()) for (sku, warehouse), total in totals.items()]
        rows.sort()
        return rows

    def _place(self, warehouse_id: object, location_id: object, where: str) -> str:
        """The location a seeded level goes to (see :meth:`set_levels`)."""
        if location_id is not None:
            if not isinstance(location_id, str) or location_id not in self._locations:
                raise Refused(f"{where}: unknown inventory_location_id {location_id!r}.")
            if warehouse_id is not None and self._location_warehouse[location_id] != warehouse_id:
                raise Refused(
                    f"{where}: location {location_id!r} is not in warehouse {warehouse_id!r}."
                )
            return location_id
        if warehouse_id is not None:
            if not isinstance(warehouse_id, str) or warehouse_id not in self._warehouses:
                raise Refused(f"{where}: unknown inventory_warehouse_id {warehouse_id!r}.")
            first = next(
                (k for k, w in self._location_warehouse.items() if w == warehouse_id), None
            )
            if first is None:
                raise Refused(f"{where}: warehouse {warehouse_id!r} has no location yet.")
            return first
        raise Refused(f"{where}: there is no inventory location; add one first.")

    def _new_id(self, kind: str, given: str | None, taken: Mapping[str, Wire]) -> str:
        if given is not None:
            _require_text(f"{kind} id", given)
            if given in taken:
                raise Refused(f"Inventory {kind} {given!r} already exists.")
            return given
        while True:
            candidate = f"se-{self._next[kind]}"
            self._next[kind] += 1
            if candidate not in taken:
                return candidate

    def _timestamp(self) -> str:
        return self._clock.now().isoformat().replace("+00:00", "Z")


class _Total:
    """Sums of several stock rows grouped into one listing row (cost weighted by units)."""

    __slots__ = ("allocated", "cost_sum", "cost_units", "currency", "first_cost", "on_hand")

    def __init__(self) -> None:
        self.on_hand = 0
        self.allocated = 0
        self.cost_sum = Decimal(0)
        self.cost_units = 0
        self.first_cost: Decimal | None = None
        self.currency: str | None = None

    def add(self, stock: Stock) -> None:
        on_hand, allocated, cost, currency = stock
        self.on_hand += on_hand
        self.allocated += allocated
        if cost is not None:
            self.first_cost = self.first_cost if self.first_cost is not None else cost
            self.cost_sum += cost * on_hand
            self.cost_units += on_hand
            self.currency = self.currency or currency

    def values(self) -> Stock:
        cost = (
            (self.cost_sum / self.cost_units).quantize(COST_PLACES)
            if self.cost_units > 0
            else self.first_cost
        )
        return self.on_hand, self.allocated, cost, self.currency


def wire_row(row: Row) -> Wire:
    """A listing row as ``GET /v2/inventory`` writes it."""
    sku, warehouse, location, on_hand, allocated, cost, currency = row
    return {
        "sku": sku,
        "on_hand": on_hand,
        "allocated": allocated,
        "available": on_hand - allocated,
        "average_cost": None if cost is None else {"amount": number(cost), "currency": currency},
        "inventory_warehouse_id": warehouse or None,
        "inventory_location_id": location or None,
    }


def number(value: Decimal) -> int | float:
    """A Decimal as a JSON number (an int when whole)."""
    return int(value) if value == value.to_integral_value() else float(value)


def _blend(
    on_hand: int,
    cost: Decimal | None,
    currency: str | None,
    units: int,
    unit_cost: Decimal | None,
    unit_currency: str | None,
) -> tuple[Decimal | None, str | None]:
    """The average cost once ``units`` more at ``unit_cost`` join ``on_hand`` at ``cost``."""
    if unit_cost is None or units <= 0:
        return cost, currency
    if cost is None or on_hand <= 0:
        return unit_cost, unit_currency or currency
    total = cost * on_hand + unit_cost * units
    return (total / (on_hand + units)).quantize(COST_PLACES), unit_currency or currency


def _bad_level(where: str, sku: object, on_hand: object) -> str:
    if type(sku) is not str or not sku.strip():
        return f"{where}: sku must be a non-empty string, got {sku!r}."
    return f"{where}.on_hand must be a whole number of 0 or more, got {on_hand!r}."


def _get(item: object, name: str) -> object:
    if isinstance(item, Mapping):
        return item.get(name)
    return getattr(item, name, None)


def _level_fields(item: object) -> tuple[object, ...]:
    """A level's fields from a mapping or an object (an ``InventoryLevel``, say)."""
    names = (
        "sku",
        "on_hand",
        "allocated",
        "inventory_location_id",
        "inventory_warehouse_id",
        "average_cost",
    )
    return tuple(_get(item, name) for name in names)


def _cost(value: object, where: str) -> tuple[Decimal | None, str | None]:
    amount, currency = _get(value, "amount"), _get(value, "currency")
    if isinstance(amount, bool) or not isinstance(amount, int | float | Decimal | str):
        raise Refused(f"{where}.amount must be a number, got {amount!r}.")
    try:
        cost = Decimal(str(amount))
    except InvalidOperation:
        raise Refused(f"{where}.amount must be a number, got {amount!r}.") from None
    if not cost.is_finite() or cost < 0:
        raise Refused(f"{where}.amount must be a finite number of 0 or more, got {amount!r}.")
    if currency is not None and not isinstance(currency, str):
        raise Refused(f"{where}.currency must be text, got {currency!r}.")
    return cost, currency


def _require_text(name: str, value: object) -> None:
    if not isinstance(value, str) or not value.strip():
        raise Refused(f"{name} must be a non-empty string, got {value!r}.")
