"""Building blocks shared by orders, shipments, labels and warehouses (api §12.3-12.6)."""

from __future__ import annotations

from typing import Annotated

from stationmaster.shipstation.models.base import WireModel
from stationmaster.shipstation.models.fields import BlankAsNone, Measure, Money


class Address(WireModel):
    """A postal address; ``country`` is ISO 3166-1 alpha-2, ``addressVerified`` read-only."""

    name: str | None = None
    company: str | None = None
    street1: str | None = None
    street2: str | None = None
    street3: str | None = None
    city: str | None = None
    state: str | None = None
    postalCode: str | None = None
    country: str | None = None
    phone: str | None = None
    residential: Annotated[bool | None, BlankAsNone] = None
    addressVerified: str | None = None


class Weight(WireModel):
    """``units``: see ``WEIGHT_UNITS``. ``WeightUnits`` is a read-only code (1 = ounces)."""

    value: Measure | None = None
    units: str | None = None
    WeightUnits: int | None = None


class Dimensions(WireModel):
    """``units``: see ``DIMENSION_UNITS``."""

    length: Measure | None = None
    width: Measure | None = None
    height: Measure | None = None
    units: str | None = None


class InsuranceOptions(WireModel):
    """``provider``: see ``INSURANCE_PROVIDERS``."""

    provider: str | None = None
    insureShipment: bool | None = None
    insuredValue: Money | None = None


class CustomsItem(WireModel):
    """One customs line; ``value`` is in USD. Omit ``customsItemId`` to add a line."""

    customsItemId: int | None = None
    description: str | None = None
    quantity: int | None = None
    value: Money | None = None
    harmonizedTariffCode: str | None = None
    countryOfOrigin: str | None = None


class InternationalOptions(WireModel):
    """``contents``: see ``CUSTOMS_CONTENTS``; ``nonDelivery``: ``NON_DELIVERY_OPTIONS``."""

    contents: str | None = None
    customsItems: list[CustomsItem] | None = None
    nonDelivery: str | None = None


class AdvancedOptions(WireModel):
    """Order and label extras. ``mergedOrSplit``, ``mergedIds`` and ``parentId`` are read-only
    (split/merge done inside ShipStation); ``storeId`` only counts when an order is created."""

    warehouseId: int | None = None
    nonMachinable: bool | None = None
    saturdayDelivery: bool | None = None
    containsAlcohol: bool | None = None
    storeId: int | None = None
    customField1: str | None = None
    customField2: str | None = None
    customField3: str | None = None
    source: str | None = None
    mergedOrSplit: bool | None = None
    mergedIds: list[int] | None = None
    parentId: int | None = None
    billToParty: str | None = None
    billToAccount: str | None = None
    billToPostalCode: str | None = None
    billToCountryCode: str | None = None
    billToMyOtherAccount: int | None = None


class ItemOption(WireModel):
    """A line item's option, such as ``{"name": "Size", "value": "Large"}``."""

    name: str | None = None
    value: str | None = None


class Tag(WireModel):
    """An account tag (``color`` is ``#RRGGBB``); products and customers carry it too."""

    tagId: int | None = None
    name: str | None = None
    color: str | None = None


class SuccessResponse(WireModel):
    """The ``{"success", "message"}`` answer of most write calls."""

    success: bool | None = None
    message: str | None = None


class LineFields(WireModel):
    """The fields an order line and a shipped line share (ShipStation copies one to the other)."""

    orderItemId: int | None = None
    lineItemKey: str | None = None
    sku: str | None = None
    name: str | None = None
    imageUrl: str | None = None
    weight: Weight | None = None
    quantity: int | None = None
    unitPrice: Money | None = None
    warehouseLocation: str | None = None
    options: list[ItemOption] | None = None
    productId: int | None = None
    fulfillmentSku: str | None = None
