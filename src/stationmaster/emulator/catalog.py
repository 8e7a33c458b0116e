"""The default account a fresh emulator starts with, and the carriers' price list.

Ids, names and prices here are the emulator's own data (marketplace ids 0, 2, 23 and 36 are the
ones ShipStation's samples show); tests can rely on them, since they only change on purpose.
The manual store and warehouse ids match ``reference/examples/createorders-request.json``, so
that example posts cleanly against a fresh emulator.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from stationmaster.emulator.wire import Wire

MANUAL_STORE_ID = 310554
CUSTOM_STORE_ID = 310555
INACTIVE_STORE_ID = 310556
DEFAULT_WAREHOUSE_ID = 187650
SECOND_WAREHOUSE_ID = 187651
API_USER_ID = "4f1c2a9e-7b3d-4e55-9a0c-2d6b8e1f3a77"
SECOND_USER_ID = "b854f701-e0c2-4156-90fe-19c77cdef27c"

MARKETPLACES: tuple[Wire, ...] = (
    {
        "name": "ShipStation",
        "marketplaceId": 0,
        "canRefresh": False,
        "supportsCustomMappings": False,
        "supportsCustomStatuses": False,
        "canConfirmShipments": False,
    },
    {
        "name": "Amazon",
        "marketplaceId": 2,
        "canRefresh": True,
        "supportsCustomMappings": False,
        "supportsCustomStatuses": False,
        "canConfirmShipments": True,
    },
    {
        "name": "3DCart",
        "marketplaceId": 23,
        "canRefresh": True,
        "supportsCustomMappings": True,
        "supportsCustomStatuses": False,
        "canConfirmShipments": True,
    },
    {
        "name": "WooCommerce",
        "marketplaceId": 36,
        "canRefresh": True,
        "supportsCustomMappings": True,
        "supportsCustomStatuses": True,
        "canConfirmShipments": True,
    },
    {
        "name": "Custom Store",
        "marketplaceId": 46,
        "canRefresh": True,
        "supportsCustomMappings": True,
        "supportsCustomStatuses": True,
        "canConfirmShipments": True,
    },
)

STATUS_MAPPINGS: tuple[Wire, ...] = (
    {"orderStatus": "awaiting_payment", "statusKey": "Pending"},
    {"orderStatus": "awaiting_shipment", "statusKey": "Processing"},
    {"orderStatus": "shipped", "statusKey": "Completed"},
    {"orderStatus": "cancelled", "statusKey": "Cancelled"},
    {"orderStatus": "on_hold", "statusKey": "On-Hold"},
)

#: (storeId, name, marketplaceId, active, autoRefresh, integrationUrl)
STORES: tuple[tuple[int, str, int, bool, bool, str | None], ...] = (
    (MANUAL_STORE_ID, "ShipStation Manual Store", 0, True, False, None),
    (CUSTOM_STORE_ID, "Acme Custom Store", 46, True, True, "https://shop.example.com/shipstation"),
    (INACTIVE_STORE_ID, "Closed WooCommerce Store", 36, False, False, "https://old.example.com"),
)


def address(name: str, street1: str, city: str, state: str, postal: str, phone: str) -> Wire:
    return {
        "name": name,
        "company": "Acme Tea Co",
        "street1": street1,
        "street2": None,
        "street3": None,
        "city": city,
        "state": state,
        "postalCode": postal,
        "country": "US",
        "phone": phone,
        "residential": False,
        "addressVerified": "Address validated successfully",
    }


#: (warehouseId, name, origin address, isDefault)
WAREHOUSES: tuple[tuple[int, str, Wire, bool], ...] = (
    (
        DEFAULT_WAREHOUSE_ID,
        "Main warehouse",
        address("Acme Shipping", "400 Dock St", "Seattle", "WA", "98104", "206-555-0100"),
        True,
    ),
    (
        SECOND_WAREHOUSE_ID,
        "East Coast overflow",
        address("Acme East", "12 Pier Rd", "Newark", "NJ", "07102", "973-555-0100"),
        False,
    ),
)

TAGS: tuple[Wire, ...] = (
    {"tagId": 8362, "name": "Backorder", "color": "#800080"},
    {"tagId": 8363, "name": "Gift", "color": "#FF0000"},
    {"tagId": 8364, "name": "Priority", "color": "#FFA500"},
    {"tagId": 8365, "name": "Needs review", "color": "#0000FF"},
)

USERS: tuple[Wire, ...] = (
    {"userId": API_USER_ID, "userName": "ops@acme.example", "name": "Alex Operator"},
    {"userId": SECOND_USER_ID, "userName": "packer@acme.example", "name": "Pat Packer"},
)

PRODUCTS: tuple[Wire, ...] = (
    {
        "sku": "TEAPOT-CER-1L",
        "name": "Ceramic Teapot 1 L",
        "price": 39.0,
        "defaultCost": 14.0,
        "length": 9,
        "width": 7,
        "height": 7,
        "weightOz": 28,
        "warehouseLocation": "C1-03",
        "productCategory": {"categoryId": 501, "name": "Teaware"},
        "productType": {"productTypeId": 71, "name": "Fragile"},
        "tags": [{"tagId": 8364, "name": "Priority"}],
        "customsDescription": "Ceramic teapot",
        "customsValue": 39.0,
        "customsTariffNo": "6912.00",
        "customsCountryCode": "PT",
    },
    {
        "sku": "TEA-SENCHA-100",
        "name": "Loose Leaf Sencha 100 g",
        "price": 9.5,
        "defaultCost": 3.1,
        "length": 4,
        "width": 3,
        "height": 1,
        "weightOz": 4,
        "warehouseLocation": "C2-11",
        "productCategory": {"categoryId": 502, "name": "Tea"},
        "productType": None,
        "tags": [{"tagId": 8363, "name": "Gift"}],
    },
)


@dataclass(frozen=True)
class Service:
    """One carrier service with its (emulator) price: base + per ounce, in USD."""

    code: str
    name: str
    domestic: bool
    base: Decimal
    per_ounce: Decimal


@dataclass(frozen=True)
class Carrier:
    code: str
    name: str
    account_number: str
    funded: bool
    balance: Decimal
    provider_id: int
    primary: bool
    services: tuple[Service, ...]
    #: (code, name, domestic, international)
    packages: tuple[tuple[str, str, bool, bool], ...]
    tracking_prefix: str
    tracking_digits: int


def _s(code: str, name: str, domestic: bool, base: str, per_ounce: str) -> Service:
    return Service(code, name, domestic, Decimal(base), Decimal(per_ounce))


CARRIERS: tuple[Carrier, ...] = (
    Carrier(
        "stamps_com",
        "Stamps.com",
        "SS123456",
        True,
        Decimal("100.00"),
        11001,
        True,
        (
            _s("usps_first_class_mail", "USPS First Class Mail", True, "3.50", "0.12"),
            _s("usps_media_mail", "USPS Media Mail", True, "3.10", "0.05"),
            _s("usps_priority_mail", "USPS Priority Mail", True, "7.30", "0.15"),
            _s("usps_priority_mail_express", "USPS Priority Mail Express", True, "24.90", "0.30"),
            _s(
                "usps_first_class_package_international",
                "USPS First Class Mail Intl",
                False,
                "14.25",
                "0.45",
            ),
            _s(
                "usps_priority_mail_international",
                "USPS Priority Mail Intl",
                False,
                "38.60",
                "0.55",
            ),
        ),
        (
            ("package", "Package", True, True),
            ("flat_rate_envelope", "Flat Rate Envelope", True, True),
            ("medium_flat_rate_box", "Medium Flat Rate Box", True, True),
            ("large_envelope_or_flat", "Large Envelope or Flat", True, False),
        ),
        "9400111899",
        12,
    ),
    Carrier(
        "ups",
        "UPS",
        "UPS-A1B2C3",
        False,
        Decimal("0.00"),
        11002,
        False,
        (
            _s("ups_ground", "UPS® Ground", True, "9.80", "0.14"),
            _s("ups_2nd_day_air", "UPS 2nd Day Air®", True, "21.40", "0.32"),
            _s("ups_next_day_air", "UPS Next Day Air®", True, "38.10", "0.48"),
            _s("ups_standard_international", "UPS Standard®", False, "31.00", "0.40"),
            _s("ups_worldwide_saver", "UPS Worldwide Saver®", False, "62.50", "0.75"),
        ),
        (("package", "Package", True, True), ("ups_letter", "UPS Letter", True, True)),
        "1Z999AA1",
        10,
    ),
    Carrier(
        "fedex",
        "FedEx",
        "FX-778899",
        False,
        Decimal("0.00"),
        11003,
        False,
        (
            _s("fedex_ground", "FedEx Ground®", True, "9.40", "0.13"),
            _s("fedex_home_delivery", "FedEx Home Delivery®", True, "10.20", "0.14"),
            _s("fedex_2day", "FedEx 2Day®", True, "19.90", "0.30"),
            _s("fedex_first_overnight", "FedEx First Overnight®", True, "82.10", "0.90"),
            _s(
                "fedex_international_economy",
                "FedEx International Economy®",
                False,
                "55.70",
                "0.70",
            ),
        ),
        (
            ("package", "Package", True, True),
            ("fedex_envelope", "FedEx® Envelope", True, True),
            ("fedex_pak", "FedEx® Pak", True, True),
        ),
        "7489",
        11,
    ),
)

#: Extra cost per confirmation type (reported as ``otherCost`` in rates).
CONFIRMATION_COST: dict[str, Decimal] = {
    "none": Decimal("0"),
    "delivery": Decimal("0"),
    "signature": Decimal("2.70"),
    "adult_signature": Decimal("6.40"),
    "direct_signature": Decimal("5.10"),
}
#: Insurance costs this share of the insured value.
INSURANCE_RATE = Decimal("0.01")
#: Ounces per unit of weight.
OUNCES = {"ounces": Decimal(1), "pounds": Decimal(16), "grams": Decimal("0.03527396")}


def carrier(code: str) -> Carrier | None:
    return next((c for c in CARRIERS if c.code == code), None)
