"""Account data on the wire: carriers, stores, warehouses, products, customers (api §8, §12.9)."""

from __future__ import annotations

from typing import Annotated, ClassVar

from pydantic import Field, JsonValue

from stationmaster.shipstation.models.base import PageEnvelope, WireModel
from stationmaster.shipstation.models.common import Address, Tag
from stationmaster.shipstation.models.fields import (
    BlankAsNone,
    Measure,
    Money,
    NullDroppingList,
    V1DateTime,
    V1FilterDateTime,
    V1LooseDateTime,
    V1ShortDateTime,
)


class Carrier(WireModel):
    """A carrier account; also what ``addfunds`` answers (with the new ``balance``)."""

    name: str | None = None
    code: str | None = None
    accountNumber: str | None = None
    requiresFundedAccount: bool | None = None
    balance: Money | None = None
    nickname: str | None = None
    shippingProviderId: int | None = None
    primary: bool | None = None


class CarrierPackage(WireModel):
    carrierCode: str | None = None
    code: str | None = None
    name: str | None = None
    domestic: bool | None = None
    international: bool | None = None


class CarrierService(WireModel):
    carrierCode: str | None = None
    code: str | None = None
    name: str | None = None
    domestic: bool | None = None
    international: bool | None = None


class AddFundsRequest(WireModel):
    """``POST /carriers/addfunds``: ShipStation takes $10 to $10,000 per call."""

    carrierCode: str
    amount: Money = Field(ge=10, le=10_000)


class StatusMapping(WireModel):
    """How a store's own status maps to a ShipStation ``orderStatus``."""

    orderStatus: str | None = None
    statusKey: str | None = None


class Store(WireModel):
    """A selling channel connected to the account. ``statusMappings`` only comes with a
    single-store GET (lists have shown ``""`` there, read as "not given")."""

    storeId: int | None = None
    storeName: str | None = None
    marketplaceId: int | None = None
    marketplaceName: str | None = None
    accountName: str | None = None
    email: str | None = None
    integrationUrl: str | None = None
    active: bool | None = None
    companyName: str | None = None
    phone: str | None = None
    publicEmail: str | None = None
    website: str | None = None
    refreshDate: V1ShortDateTime | None = None
    lastRefreshAttempt: V1ShortDateTime | None = None
    createDate: V1ShortDateTime | None = None
    modifyDate: V1ShortDateTime | None = None
    autoRefresh: bool | None = None
    statusMappings: Annotated[list[StatusMapping] | None, BlankAsNone] = None


class StoreRefreshStatus(WireModel):
    """``GET /stores/getrefreshstatus``; its dates have been seen as ``M-d-yyyy``."""

    storeId: int | None = None
    refreshStatusId: int | None = None
    refreshStatus: str | None = None
    lastRefreshAttempt: V1LooseDateTime | None = None
    refreshDate: V1LooseDateTime | None = None


class RefreshStoreRequest(WireModel):
    """``POST /stores/refreshstore``: no ``storeId`` means every store; no ``refreshDate``
    means since the last recorded refresh."""

    storeId: int | None = None
    refreshDate: V1FilterDateTime | None = None


class Marketplace(WireModel):
    name: str | None = None
    marketplaceId: int | None = None
    canRefresh: bool | None = None
    supportsCustomMappings: bool | None = None
    supportsCustomStatuses: bool | None = None
    canConfirmShipments: bool | None = None


class StoreIdRequest(WireModel):
    """``POST /stores/deactivate`` and ``/stores/reactivate``."""

    storeId: int


class Warehouse(WireModel):
    """A ship-from location. Fields seen only in some accounts (``extInventoryIdentity``,
    ``registerFedexMeter``, ``sellerIntegrationId``) ride along as extras, untyped."""

    warehouseId: int | None = None
    warehouseName: str | None = None
    originAddress: Address | None = None
    returnAddress: Address | None = None
    createDate: V1DateTime | None = None
    isDefault: bool | None = None


class CreateWarehouseRequest(WireModel):
    """``POST /warehouses/createwarehouse``; ``returnAddress`` defaults to the origin."""

    warehouseName: str | None = None
    originAddress: Address
    returnAddress: Address | None = None
    isDefault: bool | None = None


class ProductCategory(WireModel):
    categoryId: int | None = None
    name: str | None = None


class Product(WireModel):
    """A product in ShipStation's catalogue. There is no stock quantity in v1."""

    productId: int | None = None
    sku: str | None = None
    name: str | None = None
    price: Money | None = None
    defaultCost: Money | None = None
    length: Measure | None = None
    width: Measure | None = None
    height: Measure | None = None
    weightOz: Measure | None = None
    internalNotes: str | None = None
    fulfillmentSku: str | None = None
    createDate: V1ShortDateTime | None = None
    modifyDate: V1ShortDateTime | None = None
    active: bool | None = None
    productCategory: ProductCategory | None = None
    # Only ever observed as null: its shape is unknown, so it is kept as whatever JSON arrives.
    productType: JsonValue = None
    warehouseLocation: str | None = None
    defaultCarrierCode: str | None = None
    defaultServiceCode: str | None = None
    defaultPackageCode: str | None = None
    defaultIntlCarrierCode: str | None = None
    defaultIntlServiceCode: str | None = None
    defaultIntlPackageCode: str | None = None
    defaultConfirmation: str | None = None
    defaultIntlConfirmation: str | None = None
    customsDescription: str | None = None
    customsValue: Money | None = None
    customsTariffNo: str | None = None
    customsCountryCode: str | None = None
    noCustoms: bool | None = None
    tags: list[Tag] | None = None
    # Documented without a shape.
    aliases: JsonValue = None
    upc: str | None = None
    thumbnailURL: str | None = None


class ProductList(PageEnvelope[Product]):
    """A page of ``GET /products``."""

    collection_key: ClassVar[str] = "products"
    products: NullDroppingList[Product] | None = None


class MarketplaceUsername(WireModel):
    """A customer's user name in one selling channel."""

    customerUserId: int | None = None
    customerId: int | None = None
    createDate: V1DateTime | None = None
    modifyDate: V1DateTime | None = None
    marketplaceId: int | None = None
    marketplace: str | None = None
    username: str | None = None


class Customer(WireModel):
    """A customer profile (read only in v1)."""

    customerId: int | None = None
    createDate: V1DateTime | None = None
    modifyDate: V1DateTime | None = None
    name: str | None = None
    company: str | None = None
    street1: str | None = None
    street2: str | None = None
    city: str | None = None
    state: str | None = None
    postalCode: str | None = None
    countryCode: str | None = None
    phone: str | None = None
    email: str | None = None
    addressVerified: str | None = None
    marketplaceUsernames: list[MarketplaceUsername] | None = None
    tags: list[Tag] | None = None


class CustomerList(PageEnvelope[Customer]):
    """A page of ``GET /customers``."""

    collection_key: ClassVar[str] = "customers"
    customers: NullDroppingList[Customer] | None = None


class User(WireModel):
    """A ShipStation user; ``userId`` is a GUID."""

    userId: str | None = None
    userName: str | None = None
    name: str | None = None
