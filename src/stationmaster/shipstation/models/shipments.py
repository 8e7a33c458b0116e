"""Shipments, labels, rates and fulfillments on the wire (api §7, §12.7, §12.8).

Shipments are labels bought in ShipStation (voided ones stay, ``voided: true``); fulfillments
are everything marked shipped without a label. Tracking comes from both.
"""

from __future__ import annotations

from typing import ClassVar

from stationmaster.shipstation.models.base import PageEnvelope, WireModel
from stationmaster.shipstation.models.common import (
    Address,
    AdvancedOptions,
    Dimensions,
    InsuranceOptions,
    InternationalOptions,
    LineFields,
    Weight,
)
from stationmaster.shipstation.models.fields import Money, NullDroppingList, V1Date, V1DateTime


class ShipmentItem(LineFields):
    """A line in a shipment; only listed with ``includeShipmentItems=true``."""


class Shipment(WireModel):
    """A label. ``isReturnLabel`` ones are not outbound tracking; ``labelData`` is only set on
    create calls."""

    shipmentId: int | None = None
    orderId: int | None = None
    orderKey: str | None = None
    userId: str | None = None
    customerEmail: str | None = None
    orderNumber: str | None = None
    createDate: V1DateTime | None = None
    shipDate: V1Date | None = None
    shipmentCost: Money | None = None
    insuranceCost: Money | None = None
    trackingNumber: str | None = None
    isReturnLabel: bool | None = None
    batchNumber: str | None = None
    carrierCode: str | None = None
    serviceCode: str | None = None
    packageCode: str | None = None
    confirmation: str | None = None
    warehouseId: int | None = None
    voided: bool | None = None
    voidDate: V1DateTime | None = None
    marketplaceNotified: bool | None = None
    notifyErrorMessage: str | None = None
    shipTo: Address | None = None
    weight: Weight | None = None
    dimensions: Dimensions | None = None
    insuranceOptions: InsuranceOptions | None = None
    advancedOptions: AdvancedOptions | None = None
    shipmentItems: list[ShipmentItem] | None = None
    labelData: str | None = None
    formData: str | None = None


class ShipmentList(PageEnvelope[Shipment]):
    """A page of ``GET /shipments``."""

    collection_key: ClassVar[str] = "shipments"
    shipments: NullDroppingList[Shipment] | None = None


class CreateLabelRequest(WireModel):
    """``POST /shipments/createlabel``: a label not tied to an order."""

    carrierCode: str
    serviceCode: str
    packageCode: str
    confirmation: str | None = None
    shipDate: V1Date
    weight: Weight
    dimensions: Dimensions | None = None
    shipFrom: Address
    shipTo: Address
    returnTo: Address | None = None
    insuranceOptions: InsuranceOptions | None = None
    internationalOptions: InternationalOptions | None = None
    advancedOptions: AdvancedOptions | None = None
    testLabel: bool | None = None


class RateRequest(WireModel):
    """``POST /shipments/getrates``; ``toState`` is required for UPS."""

    carrierCode: str
    serviceCode: str | None = None
    packageCode: str | None = None
    fromPostalCode: str
    fromCity: str | None = None
    fromState: str | None = None
    fromWarehouseId: int | None = None
    toState: str | None = None
    toCountry: str
    toPostalCode: str
    toCity: str | None = None
    weight: Weight
    dimensions: Dimensions | None = None
    confirmation: str | None = None
    residential: bool | None = None


class Rate(WireModel):
    serviceName: str | None = None
    serviceCode: str | None = None
    shipmentCost: Money | None = None
    otherCost: Money | None = None


class VoidLabelRequest(WireModel):
    """``POST /shipments/voidlabel``."""

    shipmentId: int


class VoidLabelResponse(WireModel):
    approved: bool | None = None
    message: str | None = None


class Fulfillment(WireModel):
    """A shipment made outside ShipStation's label flow (Mark as Shipped, FBA, a 3PL).

    ``shipDate`` is a datetime here (usually midnight, not always), unlike a shipment's date.
    ``carrierCode`` is free text (``"UPS"``, ``"FedEx"``) or null; tracking may be empty.
    """

    fulfillmentId: int | None = None
    orderId: int | None = None
    orderNumber: str | None = None
    userId: str | None = None
    customerEmail: str | None = None
    trackingNumber: str | None = None
    createDate: V1DateTime | None = None
    shipDate: V1DateTime | None = None
    voidDate: V1DateTime | None = None
    deliveryDate: V1DateTime | None = None
    carrierCode: str | None = None
    sellerFillProviderId: int | None = None
    sellerFillProviderName: str | None = None
    fulfillmentProviderCode: str | None = None
    fulfillmentServiceCode: str | None = None
    fulfillmentFee: Money | None = None
    voidRequested: bool | None = None
    voided: bool | None = None
    marketplaceNotified: bool | None = None
    notifyErrorMessage: str | None = None
    shipTo: Address | None = None


class FulfillmentList(PageEnvelope[Fulfillment]):
    """A page of ``GET /fulfillments``."""

    collection_key: ClassVar[str] = "fulfillments"
    fulfillments: NullDroppingList[Fulfillment] | None = None
