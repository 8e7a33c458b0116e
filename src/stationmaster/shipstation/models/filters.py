"""Query filters of the list endpoints, rendered into ShipStation's query parameters (api §6-§8).

Attribute names are the wire parameter names, so a paginator or a date-window splitter can
``model_copy(update={"page": 2})`` or ``{"modifyDateStart": ...}`` without a mapping table.
Datetimes are aware (naive ones are refused) and leave as Pacific ``yyyy-MM-dd HH:mm:ss``,
never with an offset; booleans leave as ``true``/``false``; unset filters are not sent.
Unknown filter names are refused: a misspelt filter would otherwise widen the query silently.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Final, Literal, Self

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from stationmaster.shipstation.models.vocabulary import SortDirection
from stationmaster.wiretime import render_v1_filter

MAX_PAGE_SIZE: Final = 500
"""ShipStation's largest page for every paged list."""


def _aware_utc(value: object) -> object:
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(
                f"naive datetime {value.isoformat()!r}: filters need aware datetimes; "
                "stationmaster never guesses a time zone"
            )
        return value.astimezone(UTC)
    raise ValueError(f"expected an aware datetime, got {type(value).__name__}")


FilterTime = Annotated[datetime, BeforeValidator(_aware_utc)]
"""An aware instant (kept in UTC) that a filter sends as Pacific wall time."""


def _render(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return render_v1_filter(value)
    return str(value)


class QueryFilter(BaseModel):
    """Paging shared by every list filter, and the rendering into query parameters."""

    model_config = ConfigDict(extra="forbid")

    page: int | None = Field(default=None, ge=1)
    pageSize: int | None = Field(default=None, ge=1, le=MAX_PAGE_SIZE)

    @model_validator(mode="after")
    def _windows_run_forwards(self) -> Self:
        for name in type(self).model_fields:
            if "Start" not in name and not name.startswith("start"):
                continue
            end_name = name.replace("Start", "End").replace("start", "end", 1)
            start, end = getattr(self, name), getattr(self, end_name, None)
            if isinstance(start, datetime) and isinstance(end, datetime) and end < start:
                raise ValueError(
                    f"{end_name} ({end.isoformat()}) is before {name} ({start.isoformat()})"
                )
        return self

    def to_params(self) -> dict[str, str]:
        """The wire query parameters, in declaration order, leaving out what is unset."""
        params: dict[str, str] = {}
        for name in type(self).model_fields:
            value = getattr(self, name)
            if value is not None:
                params[name] = _render(value)
        return params


class OrderFilter(QueryFilter):
    """``GET /orders``. ``orderNumber`` is a starts-with match; ``orderDateStart`` is
    exclusive per the doc text, the other bounds are described as inclusive."""

    customerName: str | None = None
    itemKeyword: str | None = None
    createDateStart: FilterTime | None = None
    createDateEnd: FilterTime | None = None
    modifyDateStart: FilterTime | None = None
    modifyDateEnd: FilterTime | None = None
    orderDateStart: FilterTime | None = None
    orderDateEnd: FilterTime | None = None
    paymentDateStart: FilterTime | None = None
    paymentDateEnd: FilterTime | None = None
    orderNumber: str | None = None
    orderStatus: str | None = None
    storeId: int | None = None
    sortBy: Literal["OrderDate", "ModifyDate", "CreateDate"] | None = None
    sortDir: SortDirection | None = None


class OrdersByTagFilter(QueryFilter):
    """``GET /orders/listbytag``: both the status and the tag are required."""

    orderStatus: str
    tagId: int


class ShipmentFilter(QueryFilter):
    """``GET /shipments``; without ``includeShipmentItems=true`` items come back null."""

    recipientName: str | None = None
    recipientCountryCode: str | None = None
    orderNumber: str | None = None
    orderId: int | None = None
    carrierCode: str | None = None
    serviceCode: str | None = None
    trackingNumber: str | None = None
    createDateStart: FilterTime | None = None
    createDateEnd: FilterTime | None = None
    shipDateStart: FilterTime | None = None
    shipDateEnd: FilterTime | None = None
    voidDateStart: FilterTime | None = None
    voidDateEnd: FilterTime | None = None
    storeId: int | None = None
    includeShipmentItems: bool | None = None
    sortBy: Literal["ShipDate", "CreateDate"] | None = None
    sortDir: SortDirection | None = None


class FulfillmentFilter(QueryFilter):
    """``GET /fulfillments``."""

    fulfillmentId: int | None = None
    orderId: int | None = None
    orderNumber: str | None = None
    trackingNumber: str | None = None
    recipientName: str | None = None
    createDateStart: FilterTime | None = None
    createDateEnd: FilterTime | None = None
    shipDateStart: FilterTime | None = None
    shipDateEnd: FilterTime | None = None
    sortBy: Literal["ShipDate", "CreateDate"] | None = None
    sortDir: SortDirection | None = None


class ProductFilter(QueryFilter):
    """``GET /products``; ``startDate``/``endDate`` bound the creation time."""

    sku: str | None = None
    name: str | None = None
    productCategoryId: int | None = None
    productTypeId: int | None = None
    tagId: int | None = None
    startDate: FilterTime | None = None
    endDate: FilterTime | None = None
    showInactive: bool | None = None
    sortBy: Literal["SKU", "ModifyDate", "CreateDate"] | None = None
    sortDir: SortDirection | None = None


class CustomerFilter(QueryFilter):
    """``GET /customers``."""

    stateCode: str | None = None
    countryCode: str | None = None
    marketplaceId: int | None = None
    tagId: int | None = None
    sortBy: Literal["Name", "ModifyDate", "CreateDate"] | None = None
    sortDir: SortDirection | None = None
