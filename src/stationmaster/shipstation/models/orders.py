"""Orders on the wire: the order, its list page and the order endpoints' bodies (api §6, §12).

``Order`` is both what ShipStation returns and what ``createorder`` takes. An update replaces
the whole order, so a read-modify-write sends back every key it read (``to_wire`` keeps them,
unknown ones included); an order built in code sends only what its author set.
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import JsonValue

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
from stationmaster.shipstation.models.fields import (
    Money,
    NullDroppingList,
    V1Date,
    V1DateTime,
    V1ShortDateTime,
)


class OrderItem(LineFields):
    """One order line. Always send ``lineItemKey``: it is how lines are matched on update."""

    taxAmount: Money | None = None
    shippingAmount: Money | None = None
    adjustment: bool | None = None
    upc: str | None = None
    createDate: V1ShortDateTime | None = None
    modifyDate: V1ShortDateTime | None = None


class Order(WireModel):
    """A ShipStation order.

    ``orderStatus`` stays a plain string: ShipStation has added statuses over time; compare
    it with ``OPEN_STATUSES`` / ``LOCKED_STATUSES``. ``orderNumber`` is not unique: identify
    orders by ``orderId`` (theirs) and ``orderKey`` (ours).
    """

    orderId: int | None = None
    orderNumber: str | None = None
    orderKey: str | None = None
    orderDate: V1DateTime | None = None
    createDate: V1DateTime | None = None
    modifyDate: V1DateTime | None = None
    paymentDate: V1DateTime | None = None
    shipByDate: V1DateTime | None = None
    orderStatus: str | None = None
    customerId: int | None = None
    customerUsername: str | None = None
    customerEmail: str | None = None
    billTo: Address | None = None
    shipTo: Address | None = None
    items: list[OrderItem] | None = None
    orderTotal: Money | None = None
    amountPaid: Money | None = None
    taxAmount: Money | None = None
    shippingAmount: Money | None = None
    customerNotes: str | None = None
    internalNotes: str | None = None
    gift: bool | None = None
    giftMessage: str | None = None
    paymentMethod: str | None = None
    requestedShippingService: str | None = None
    carrierCode: str | None = None
    serviceCode: str | None = None
    packageCode: str | None = None
    confirmation: str | None = None
    shipDate: V1Date | None = None
    holdUntilDate: V1Date | None = None
    weight: Weight | None = None
    dimensions: Dimensions | None = None
    insuranceOptions: InsuranceOptions | None = None
    internationalOptions: InternationalOptions | None = None
    advancedOptions: AdvancedOptions | None = None
    tagIds: list[int] | None = None
    userId: str | None = None
    externallyFulfilled: bool | None = None
    externallyFulfilledBy: str | None = None
    # Only ever observed as null, so their type is unknown: kept as whatever JSON arrives.
    externallyFulfilledById: JsonValue = None
    externallyFulfilledByName: JsonValue = None
    labelMessages: JsonValue = None


class OrderList(PageEnvelope[Order]):
    """A page of ``GET /orders`` or ``GET /orders/listbytag``."""

    collection_key: ClassVar[str] = "orders"
    orders: NullDroppingList[Order] | None = None


class CreateOrderResult(WireModel):
    """One element's outcome in ``createorders``; match it to its order by ``orderKey``."""

    orderId: int | None = None
    orderNumber: str | None = None
    orderKey: str | None = None
    success: bool | None = None
    errorMessage: str | None = None


class CreateOrdersResponse(WireModel):
    """``createorders``: partial success is normal; ``hasErrors`` says whether any failed."""

    hasErrors: bool | None = None
    results: list[CreateOrderResult] | None = None


class HoldUntilRequest(WireModel):
    """``POST /orders/holduntil``: the order goes ``on_hold`` until that Pacific date."""

    orderId: int
    holdUntilDate: V1Date


class OrderIdRequest(WireModel):
    """``POST /orders/restorefromhold``."""

    orderId: int


class MarkAsShippedRequest(WireModel):
    """``POST /orders/markasshipped``: creates a fulfillment (not a shipment, no webhook)."""

    orderId: int
    carrierCode: str
    shipDate: V1Date | None = None
    trackingNumber: str | None = None
    notifyCustomer: bool | None = None
    notifySalesChannel: bool | None = None


class MarkAsShippedResponse(WireModel):
    orderId: int | None = None
    orderNumber: str | None = None


class TagRequest(WireModel):
    """``POST /orders/addtag`` and ``/orders/removetag``."""

    orderId: int
    tagId: int


class AssignUserRequest(WireModel):
    """``POST /orders/assignuser``: all or nothing, one unknown id and nobody is assigned."""

    orderIds: list[int]
    userId: str


class UnassignUserRequest(WireModel):
    """``POST /orders/unassignuser``: all or nothing, like assigning."""

    orderIds: list[int]


class CreateLabelForOrderRequest(WireModel):
    """``POST /orders/createlabelfororder``: buys a label and marks the order shipped.

    ``testLabel`` is required so that nobody buys a real label by leaving it out.
    """

    orderId: int
    carrierCode: str
    serviceCode: str
    packageCode: str
    confirmation: str | None = None
    shipDate: V1Date
    weight: Weight | None = None
    dimensions: Dimensions | None = None
    insuranceOptions: InsuranceOptions | None = None
    internationalOptions: InternationalOptions | None = None
    advancedOptions: AdvancedOptions | None = None
    testLabel: bool


class LabelResponse(WireModel):
    """What ``createlabelfororder`` answers; ``labelData`` is a base64 PDF."""

    shipmentId: int | None = None
    shipmentCost: Money | None = None
    insuranceCost: Money | None = None
    trackingNumber: str | None = None
    labelData: str | None = None
    formData: str | None = None
