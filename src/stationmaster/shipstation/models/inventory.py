"""Wire models of ShipStation API v2's inventory subset: stock levels, changes, places, pages.

v2 speaks snake_case JSON with RFC 3339 times (``docs/reference/shipstation-v2-inventory.md``).
Answers are read tolerantly, like the v1 models: unknown fields are kept, lists drop ``null``
entries, and a missing ``available`` is worked out from ``on_hand - allocated``. A change is
checked strictly before it is sent, because a refused change costs a request out of the key's
200 per minute and a half-understood one could move stock nobody meant to move.
"""

from __future__ import annotations

from typing import Any, ClassVar, Final, Generic, Literal, Self, TypeVar

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    JsonValue,
    StrictInt,
    field_validator,
    model_validator,
)

from stationmaster.shipstation.models.fields import Money, NullDroppingList

TransactionType = Literal["increment", "decrement", "adjust", "modify"]
Condition = Literal["sellable", "damaged", "expired", "qa_hold"]
GroupBy = Literal["warehouse", "location"]

#: The least ``quantity`` each transaction type accepts (a live account refused 0 for modify).
MIN_QUANTITY: Final[dict[str, int]] = {"increment": 1, "decrement": 1, "adjust": 0, "modify": 1}
#: The fields that only ``modify`` uses; it needs at least one of them.
MODIFY_FIELDS: Final = ("new_inventory_location_id", "new_cost", "new_condition")


class V2Model(BaseModel):
    """A v2 object read from an answer: wire names, unknown fields kept."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)


class Cost(V2Model):
    """An amount and its currency, as v2 writes costs (``average_cost``, ``cost``)."""

    amount: Money
    currency: str | None = None


class InventoryLevel(V2Model):
    """Stock of one SKU at one warehouse and location (either id ``None`` when aggregated)."""

    sku: str
    inventory_warehouse_id: str | None = None
    inventory_location_id: str | None = None
    on_hand: int
    allocated: int = 0
    available: int
    average_cost: Cost | None = None

    @model_validator(mode="before")
    @classmethod
    def _available_from_counts(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("available") is None:
            on_hand, allocated = data.get("on_hand"), data.get("allocated") or 0
            if isinstance(on_hand, int) and isinstance(allocated, int):
                return {**data, "available": on_hand - allocated}
        return data

    @property
    def place(self) -> tuple[str, str | None, str | None]:
        """What makes a row unique in one listing: SKU, warehouse, location."""
        return self.sku, self.inventory_warehouse_id, self.inventory_location_id


class InventoryWarehouse(V2Model):
    """An inventory warehouse (not v1's ship-from warehouse: separate ids)."""

    inventory_warehouse_id: str
    name: str | None = None
    created_at: AwareDatetime | None = None
    updated_at: AwareDatetime | None = None


class InventoryLocation(V2Model):
    """A place inside an inventory warehouse (area, unit, shelf, bin)."""

    inventory_location_id: str
    inventory_warehouse_id: str | None = None
    name: str | None = None
    created_at: AwareDatetime | None = None
    updated_at: AwareDatetime | None = None


class Link(V2Model):
    """One entry of a page's ``links``; v2 writes an absent link as ``{}``."""

    href: str | None = None


class Links(V2Model):
    first: Link | None = None
    last: Link | None = None
    prev: Link | None = None
    next: Link | None = None


RowT = TypeVar("RowT", bound=BaseModel)


class V2Page(V2Model, Generic[RowT]):
    """A page of a v2 list: ``{<collection_key>: [...], total, page, pages, links}``."""

    collection_key: ClassVar[str]

    total: int | None = None
    page: int | None = None
    pages: int | None = None
    links: Links | None = None

    def records(self) -> list[RowT]:
        found: list[RowT] | None = getattr(self, self.collection_key)
        return list(found or [])

    def next_href(self) -> str | None:
        """The next page's URL as given, or ``None`` when the answer names none."""
        link = self.links.next if self.links is not None else None
        href = (link.href or "").strip() if link is not None else ""
        return href or None

    def has_later_page(self) -> bool:
        """``page < pages``: the fallback when an answer has no ``next`` link."""
        return self.page is not None and self.pages is not None and self.page < self.pages


class InventoryPage(V2Page[InventoryLevel]):
    collection_key: ClassVar[str] = "inventory"
    inventory: NullDroppingList[InventoryLevel] | None = None


class WarehousePage(V2Page[InventoryWarehouse]):
    collection_key: ClassVar[str] = "inventory_warehouses"
    inventory_warehouses: NullDroppingList[InventoryWarehouse] | None = None


class LocationPage(V2Page[InventoryLocation]):
    collection_key: ClassVar[str] = "inventory_locations"
    inventory_locations: NullDroppingList[InventoryLocation] | None = None


class CostInput(BaseModel):
    """A cost we send: a non-negative amount and a currency code."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    amount: Money = Field(ge=0)
    currency: str = Field(min_length=1)


class InventoryChange(BaseModel):
    """One ``POST /v2/inventory`` transaction, checked before it is sent.

    ``inventory_location_id`` may be left out when the client has a default location.
    ``quantity`` must be a real integer (``True``, ``2.5`` and ``"3"`` are refused): at least 1
    for ``increment``, ``decrement`` and ``modify``, at least 0 for ``adjust``, which sets the
    on-hand count. ``modify`` needs one of the ``new_*`` fields, which only ``modify`` takes.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    transaction_type: TransactionType
    sku: str
    inventory_location_id: str | None = None
    quantity: StrictInt = Field(ge=0)
    reason: str | None = None
    notes: str | None = None
    cost: CostInput | None = None
    condition: Condition | None = None
    lot: str | None = None
    effective_at: AwareDatetime | None = None
    usable_start_date: AwareDatetime | None = None
    usable_end_date: AwareDatetime | None = None
    new_inventory_location_id: str | None = None
    new_cost: CostInput | None = None
    new_condition: Condition | None = None

    @field_validator("sku")
    @classmethod
    def _sku(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("sku must not be empty")
        if value != value.strip():
            raise ValueError(
                f"sku {value!r} has blanks around it; ShipStation matches SKUs exactly"
            )
        if any(ord(ch) < 32 for ch in value):
            raise ValueError(f"sku {value!r} holds a control character")
        return value

    @field_validator("inventory_location_id", "new_inventory_location_id", "lot")
    @classmethod
    def _not_blank(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            raise ValueError("must not be blank (leave it out instead)")
        return value

    @model_validator(mode="after")
    def _fits_its_type(self) -> Self:
        least = MIN_QUANTITY[self.transaction_type]
        if self.quantity < least:
            raise ValueError(
                f"quantity of a {self.transaction_type} must be at least {least}, "
                f"got {self.quantity}"
            )
        given = [name for name in MODIFY_FIELDS if getattr(self, name) is not None]
        if self.transaction_type == "modify" and not given:
            raise ValueError(f"a modify needs at least one of {', '.join(MODIFY_FIELDS)}")
        if self.transaction_type != "modify" and given:
            raise ValueError(f"{', '.join(given)} only go with transaction_type 'modify'")
        return self

    def body(self, location_id: str) -> dict[str, JsonValue]:
        """The JSON body, with ``location_id`` where the change names no location."""
        data = self.model_dump(mode="json", exclude_none=True)
        data["inventory_location_id"] = self.inventory_location_id or location_id
        return data


__all__ = [
    "MIN_QUANTITY",
    "MODIFY_FIELDS",
    "Condition",
    "Cost",
    "CostInput",
    "GroupBy",
    "InventoryChange",
    "InventoryLevel",
    "InventoryLocation",
    "InventoryPage",
    "InventoryWarehouse",
    "Link",
    "Links",
    "LocationPage",
    "TransactionType",
    "V2Model",
    "V2Page",
    "WarehousePage",
]
