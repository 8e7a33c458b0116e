"""The sync rules as data: how a store's orders become ShipStation orders, per connection.

Every choice the mapping makes is a value here, loaded from a dict or a TOML table
(``load_rules``) and checked when it is loaded, so that a typo in a status, a template with
an unknown placeholder or a rate of zero is a configuration error at start-up, not a surprise
at push time. Omitted settings take the defaults below; a table given replaces its default
(the status map given is the whole status map).

In TOML, under a connection::

    [connections.rules.status.map]
    "paid" = "awaiting_shipment"
    "on hold" = "on_hold"

    [connections.rules.custom_fields]
    custom_field1 = "{number} / {customer_email}"

    [connections.rules.money]
    account_currency = "USD"
    rates = { "EUR/USD" = "1.08" }
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from decimal import Decimal
from typing import Annotated, Final, Literal, Self, get_args

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from stationmaster.errors import ConfigError

# --- vocabulary -------------------------------------------------------------------------------

SendableStatus = Literal["awaiting_payment", "awaiting_shipment", "on_hold", "shipped", "cancelled"]
"""The ShipStation statuses a store order may be pushed with (``pending_fulfillment`` and
``rejected_fulfillment`` belong to fulfilment providers, not to stores)."""

SENDABLE_STATUSES: Final[frozenset[SendableStatus]] = frozenset(get_args(SendableStatus))

AddressFallback = Literal["none", "billing_to_shipping", "shipping_to_billing", "both"]
CustomsContents = Literal["merchandise", "documents", "gift", "returned_goods", "sample"]
NonDelivery = Literal["return_to_sender", "treat_as_abandoned"]

_STATUS_SEPARATORS = re.compile(r"[\s_-]+")
_ISO2 = re.compile(r"^[A-Z]{2}$")
_RATE_PAIR = re.compile(r"^([A-Z]{3})/([A-Z]{3})$")


def normalize_status(status: str) -> str:
    """A store status as the status map matches it: case-folded, with spaces, hyphens and
    underscores alike (``"On-Hold"``, ``"on hold"`` and ``"on_hold"`` are one status)."""
    return _STATUS_SEPARATORS.sub("_", status.strip().casefold()).strip("_")


def _country(code: str) -> str:
    upper = code.strip().upper()
    if not _ISO2.fullmatch(upper):
        raise ValueError(f"{code!r} is not an ISO 3166-1 alpha-2 country code")
    return upper


def _countries(codes: frozenset[str]) -> frozenset[str]:
    return frozenset(_country(code) for code in codes)


CountrySet = Annotated[frozenset[str], AfterValidator(_countries)]


class RuleModel(BaseModel):
    """Base of every rules table: immutable, and an unknown key is a typo to report."""

    model_config = ConfigDict(frozen=True, extra="forbid")


# --- statuses and eligibility -----------------------------------------------------------------

DEFAULT_STATUS_MAP: Final[dict[str, SendableStatus]] = {
    "unpaid": "awaiting_payment",
    "pending": "awaiting_payment",
    "awaiting_payment": "awaiting_payment",
    "paid": "awaiting_shipment",
    "ready": "awaiting_shipment",
    "processing": "awaiting_shipment",
    "ready_to_ship": "awaiting_shipment",
    "submitted": "awaiting_shipment",
    "failed_to_submit": "awaiting_shipment",
    "awaiting_shipment": "awaiting_shipment",
    "partially_shipped": "shipped",
    "shipped": "shipped",
    "completed": "shipped",
    "cancelled": "cancelled",
    "canceled": "cancelled",
    "on_hold": "on_hold",
}
"""Store status -> ShipStation status. It includes the default write-back names, so that an
order whose status stationmaster wrote back still maps."""


class StatusRules(RuleModel):
    """Store status -> ShipStation status; an unmapped status gets ``unmapped`` (reported)."""

    map: dict[str, SendableStatus] = Field(default_factory=lambda: dict(DEFAULT_STATUS_MAP))
    unmapped: SendableStatus = "on_hold"

    @field_validator("map")
    @classmethod
    def _normalize_keys(cls, given: dict[str, SendableStatus]) -> dict[str, SendableStatus]:
        normalized: dict[str, SendableStatus] = {}
        for store_status, target in given.items():
            key = normalize_status(store_status)
            if not key:
                raise ValueError("a store status cannot be blank")
            if normalized.get(key, target) != target:
                raise ValueError(
                    f"{store_status!r} is the same status as another key (both read as "
                    f"{key!r}) but maps to {target!r}, not {normalized[key]!r}"
                )
            normalized[key] = target
        return normalized

    def resolve(self, store_status: str) -> tuple[SendableStatus, bool]:
        """The ShipStation status for ``store_status``, and whether the map knew it."""
        found = self.map.get(normalize_status(store_status))
        return (found, True) if found is not None else (self.unmapped, False)

    def knows(self, store_status: str) -> bool:
        return normalize_status(store_status) in self.map


class EligibilityRules(RuleModel):
    """Which orders are pushed at all.

    ``statuses`` are ShipStation statuses (after the status map). ``sync_start``: orders
    created before it never sync (once orders have been pushed it must not change; the
    connection's state enforces that). ``ship_window_days``: an order with a ship-by date
    syncs only from that many days before it; orders without one are not held back.
    """

    statuses: frozenset[SendableStatus] = SENDABLE_STATUSES
    skip_on_hold: bool = True
    sync_start: AwareDatetime | None = None
    ship_window_days: Annotated[int, Field(ge=0)] | None = None


# --- addresses --------------------------------------------------------------------------------

DEFAULT_POSTCODE_OPTIONAL: Final = frozenset(
    {
        # Countries without a national postcode system in common use.
        "AE", "AG", "AO", "AW", "BF", "BI", "BJ", "BO", "BS", "BW", "BZ", "CD", "CF", "CG",
        "CI", "CK", "CM", "DJ", "DM", "ER", "FJ", "GA", "GD", "GH", "GM", "GQ", "GY", "HK",
        "IE", "JM", "KI", "KM", "KN", "KP", "LC", "ML", "MO", "MR", "MS", "MW", "NR", "NU",
        "QA", "RW", "SB", "SC", "SL", "SO", "SR", "SS", "ST", "SY", "TG", "TK", "TL", "TO",
        "TT", "TV", "UG", "VU", "YE", "ZW",
    }
)  # fmt: skip


class AddressRules(RuleModel):
    """Filling a missing address from the other one, and what a ship-to address must have.

    ``fallback``: when the shipping (billing) address is missing, copy the billing (shipping)
    one, in the directions named. The ship-to address then needs a name, street1, city,
    country (ISO-2), a postcode unless its country is in ``postcode_optional_countries``,
    and a two-letter state where the country is in ``state_required_countries``.
    """

    fallback: AddressFallback = "both"
    postcode_optional_countries: CountrySet = DEFAULT_POSTCODE_OPTIONAL
    state_required_countries: CountrySet = frozenset({"US", "CA"})


# --- custom-field templates -------------------------------------------------------------------

TEMPLATE_FIELDS: Final = frozenset(
    {
        "source",
        "source_id",
        "order_key",
        "number",
        "status",
        "currency",
        "total",
        "customer_email",
        "customer_username",
        "customer_name",
        "payment_method",
        "requested_service",
        "warehouse",
        "tags",
        "shipping_country",
    }
)
"""Placeholders a custom-field template may use; ``{custom.<key>}`` reads ``Order.custom``."""

CUSTOM_PREFIX: Final = "custom."

TemplatePart = tuple[str, str | None]
"""A literal, then the placeholder after it (``None`` at the end)."""


def parse_template(template: str) -> list[TemplatePart]:
    """``template`` split into literals and placeholders; ``ValueError`` naming what is wrong.

    Only plain ``{name}`` placeholders are allowed (no format specs, conversions, indexing or
    attributes): the template is never handed to ``str.format``, so it cannot reach anything
    but the values the mapping offers. ``{{`` and ``}}`` are literal braces.
    """
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise ValueError(f"template {template!r}: {exc}") from None
    parts: list[TemplatePart] = []
    for literal, name, spec, conversion in parsed:
        if name is not None and (spec or conversion):
            raise ValueError(
                f"template {template!r}: {{{name}}} may not carry a format or a conversion"
            )
        if name is not None and not _known_placeholder(name):
            allowed = ", ".join(sorted(TEMPLATE_FIELDS))
            raise ValueError(
                f"template {template!r}: unknown placeholder {{{name}}}; use one of {allowed}, "
                f"or {{{CUSTOM_PREFIX}<key>}}"
            )
        parts.append((literal, name))
    return parts


def _known_placeholder(name: str) -> bool:
    if name in TEMPLATE_FIELDS:
        return True
    key = name.removeprefix(CUSTOM_PREFIX)
    return name.startswith(CUSTOM_PREFIX) and bool(key) and not set(key) & set(".[]{}!:")


def render_template(
    template: str, values: Mapping[str, str | None], custom: Mapping[str, str]
) -> tuple[str, list[str]]:
    """The filled-in template, and the ``custom.<key>`` placeholders the order lacks.

    A value that is ``None`` renders empty; a missing custom key renders empty too, and is
    returned so that the caller can report it.
    """
    out: list[str] = []
    missing: list[str] = []
    for literal, name in parse_template(template):
        out.append(literal)
        if name is None:
            continue
        if name.startswith(CUSTOM_PREFIX):
            key = name.removeprefix(CUSTOM_PREFIX)
            if key not in custom:
                missing.append(name)
            out.append(custom.get(key, ""))
        else:
            out.append(values.get(name) or "")
    return "".join(out), missing


def _checked_template(template: str) -> str:
    parse_template(template)
    return template


Template = Annotated[str, AfterValidator(_checked_template)]


class CustomFieldRules(RuleModel):
    """Templates for ShipStation's ``customField1..3``: ``"{number} / {customer_email}"``."""

    custom_field1: Template | None = None
    custom_field2: Template | None = None
    custom_field3: Template | None = None

    def templates(self) -> dict[str, str]:
        """Wire field name -> template, for the fields that have one."""
        given = {
            "customField1": self.custom_field1,
            "customField2": self.custom_field2,
            "customField3": self.custom_field3,
        }
        return {name: template for name, template in given.items() if template is not None}


# --- money ------------------------------------------------------------------------------------

Rate = Annotated[Decimal, Field(gt=0, allow_inf_nan=False)]


def _rate_pairs(rates: dict[str, Decimal]) -> dict[str, Decimal]:
    checked: dict[str, Decimal] = {}
    for pair, rate in rates.items():
        key = pair.strip().upper()
        match = _RATE_PAIR.fullmatch(key)
        if match is None:
            raise ValueError(f"rate key {pair!r} must read FROM/TO, such as 'EUR/USD'")
        if match.group(1) == match.group(2):
            raise ValueError(f"rate key {pair!r} converts a currency into itself")
        checked[key] = rate
    return checked


class MoneyRules(RuleModel):
    """Currency conversion into the ShipStation account's currency (which v1 orders lack).

    ``rates["EUR/USD"] = 1.08`` means one euro is 1.08 dollars; the reverse pair is used
    inverted when only it is given. No rate for an order's currency means the order is
    refused with the reason, never sent in the wrong currency. Customs values are always
    converted to USD, with the same table.
    """

    account_currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")] = "USD"
    rates: Annotated[dict[str, Rate], AfterValidator(_rate_pairs)] = Field(default_factory=dict)

    def rate(self, source: str, target: str) -> Decimal | None:
        """How many ``target`` one ``source`` is worth, or ``None`` when no rate says."""
        if source == target:
            return Decimal(1)
        direct = self.rates.get(f"{source}/{target}")
        if direct is not None:
            return direct
        inverse = self.rates.get(f"{target}/{source}")
        return None if inverse is None else Decimal(1) / inverse


# --- international, warehouses, write-back, limits --------------------------------------------


class InternationalRules(RuleModel):
    """Customs for orders shipped outside ``domestic_countries``.

    ``nonDelivery`` is always set, since ShipStation's default for it differs between
    label calls. ``incomplete_customs_tag_id``: a tag put on orders whose customs lines lack
    an HS code or a country of origin, so staff can find them (the order is still sent).
    """

    domestic_countries: CountrySet = frozenset({"US"})
    contents: CustomsContents = "merchandise"
    non_delivery: NonDelivery = "return_to_sender"
    incomplete_customs_tag_id: Annotated[int, Field(gt=0)] | None = None


class WarehouseRules(RuleModel):
    """Which ShipStation warehouse (ship-from location) an order goes to.

    First the store's location code (``Order.warehouse``), then the ship-to country, then
    ``default``; with none of them the order goes to the account's default warehouse.
    """

    by_location: dict[str, Annotated[int, Field(gt=0)]] = Field(default_factory=dict)
    by_country: dict[str, Annotated[int, Field(gt=0)]] = Field(default_factory=dict)
    default: Annotated[int, Field(gt=0)] | None = None

    @field_validator("by_country")
    @classmethod
    def _country_keys(cls, given: dict[str, int]) -> dict[str, int]:
        return {_country(code): warehouse_id for code, warehouse_id in given.items()}

    def route(self, location: str | None, country: str | None) -> int | None:
        if location is not None and location in self.by_location:
            return self.by_location[location]
        if country is not None and country in self.by_country:
            return self.by_country[country]
        return self.default


class WriteBackRules(RuleModel):
    """Status progression written back to the store, where its connector can.

    An order in the ``trigger`` status moves to ``submitted`` once ShipStation has it, or to
    ``failed`` when its push fails for a reason of its own.
    """

    enabled: bool = False
    trigger: Annotated[str, Field(min_length=1)] = "ready to ship"
    submitted: Annotated[str, Field(min_length=1)] = "submitted"
    failed: Annotated[str, Field(min_length=1)] = "failed to submit"


Length = Annotated[int, Field(gt=0)]


class LimitRules(RuleModel):
    """Maximum lengths, in characters. Longer text is cut and reported as a warning, except
    the order number, which identifies the order and is refused instead. Defaults follow
    ShipStation's published Custom Store limits, the strictest it documents."""

    order_number: Length = 50
    name: Length = 100
    company: Length = 100
    street: Length = 200
    city: Length = 100
    state: Length = 100
    postal_code: Length = 50
    phone: Length = 50
    email: Length = 100
    item_name: Length = 200
    option: Length = 100
    notes: Length = 1000
    gift_message: Length = 1000
    custom_field: Length = 100
    payment_method: Length = 50
    requested_service: Length = 100
    source: Length = 50


# --- tracking back to the store ---------------------------------------------------------------

TrackingField = Literal["tracking_number", "carrier", "service", "ship_date", "items"]
"""A package field that may flow back from ShipStation to the store."""

TRACKING_FIELDS: Final[frozenset[TrackingField]] = frozenset(get_args(TrackingField))

DEFAULT_KEEP_STATUSES: Final = frozenset(
    {"cancelled", "canceled", "refunded", "completed", "delivered", "returned"}
)


class TrackingRules(RuleModel):
    """What ShipStation's shipments do to the store's orders.

    ``partially_shipped`` / ``shipped``: the store statuses written when some / every line has
    shipped (recomputed from all live packages, so replays change nothing). ``keep_statuses``:
    store statuses tracking never overwrites (matched like the status map). A cancellation
    seen in ShipStation becomes ``cancelled`` in the store only with ``apply_cancellations``.
    ``fields``: which package fields flow back (without ``items`` every label covers the whole
    order). ``capture_payment_on_ship``: capture the payment through the store when the first
    package ships (a failure is queued for replay and never holds tracking back).
    ``poll_orders``: also read orders modified in ShipStation each pass (finds cancellations,
    splits and merges). ``start``: where the first poll begins (default: the first push).
    ``overlap_minutes``: how far each poll reaches back before where the previous one ended,
    for records ShipStation stamps before they can be listed and for its clock against ours
    (the autumn DST hour is handled apart). A longer overlap re-reads more on a busy key.
    """

    partially_shipped: Annotated[str, Field(min_length=1, max_length=40)] = "partially shipped"
    shipped: Annotated[str, Field(min_length=1, max_length=40)] = "shipped"
    cancelled: Annotated[str, Field(min_length=1, max_length=40)] = "cancelled"
    apply_cancellations: bool = False
    keep_statuses: frozenset[str] = DEFAULT_KEEP_STATUSES
    fields: frozenset[TrackingField] = TRACKING_FIELDS
    capture_payment_on_ship: bool = False
    poll_orders: bool = True
    start: AwareDatetime | None = None
    overlap_minutes: Annotated[int, Field(ge=1, le=1440)] = 10

    @field_validator("keep_statuses")
    @classmethod
    def _normalize_kept(cls, given: frozenset[str]) -> frozenset[str]:
        return frozenset(normalize_status(status) for status in given)

    def keeps(self, store_status: str) -> bool:
        """True when tracking must leave an order in ``store_status`` alone."""
        return normalize_status(store_status) in self.keep_statuses


# --- the whole table --------------------------------------------------------------------------


class Rules(RuleModel):
    """Everything that decides how one connection's orders are mapped and which are sent.

    ``store_id``: the ShipStation store new orders go to (only honoured when an order is
    created). ``marketplace``: what ShipStation shows as the order's source (default: the
    connection's source slug). ``sku_map``: store SKU -> ShipStation SKU. ``tag_map``: store
    tag -> ShipStation tagId (tags cannot be created through the API; matched ignoring case).
    """

    status: StatusRules = Field(default_factory=StatusRules)
    eligibility: EligibilityRules = Field(default_factory=EligibilityRules)
    address: AddressRules = Field(default_factory=AddressRules)
    custom_fields: CustomFieldRules = Field(default_factory=CustomFieldRules)
    sku_map: dict[Annotated[str, Field(min_length=1)], Annotated[str, Field(min_length=1)]] = Field(
        default_factory=dict
    )
    tag_map: dict[str, Annotated[int, Field(gt=0)]] = Field(default_factory=dict)
    money: MoneyRules = Field(default_factory=MoneyRules)
    international: InternationalRules = Field(default_factory=InternationalRules)
    warehouses: WarehouseRules = Field(default_factory=WarehouseRules)
    store_id: Annotated[int, Field(gt=0)] | None = None
    marketplace: Annotated[str, Field(min_length=1)] | None = None
    write_back: WriteBackRules = Field(default_factory=WriteBackRules)
    limits: LimitRules = Field(default_factory=LimitRules)
    tracking: TrackingRules = Field(default_factory=TrackingRules)

    @field_validator("tag_map")
    @classmethod
    def _fold_tags(cls, given: dict[str, int]) -> dict[str, int]:
        folded: dict[str, int] = {}
        for tag, tag_id in given.items():
            key = tag.strip().casefold()
            if not key:
                raise ValueError("a store tag cannot be blank")
            if folded.get(key, tag_id) != tag_id:
                raise ValueError(
                    f"{tag!r} differs from another tag only in case but maps to another id"
                )
            folded[key] = tag_id
        return folded

    @model_validator(mode="after")
    def _write_back_statuses_map(self) -> Self:
        if self.write_back.enabled:
            unmapped = [
                name
                for name in (
                    self.write_back.trigger,
                    self.write_back.submitted,
                    self.write_back.failed,
                )
                if not self.status.knows(name)
            ]
            if unmapped:
                raise ValueError(
                    f"write_back: the status map has no entry for {unmapped}; an order "
                    "carrying a written-back status would otherwise fall to the unmapped status"
                )
        return self

    def tag_id(self, tag: str) -> int | None:
        return self.tag_map.get(tag.strip().casefold())


def load_rules(table: Mapping[str, object] | None = None) -> Rules:
    """Rules from a dict or a parsed TOML table (``None``: every default).

    Raises ``ConfigError`` listing each bad setting by its dotted path.
    """
    try:
        return Rules.model_validate(dict(table or {}))
    except ValidationError as exc:
        details = "; ".join(
            f"{'.'.join(str(part) for part in error['loc']) or 'rules'}: {error['msg']}"
            for error in exc.errors()
        )
        raise ConfigError(f"invalid sync rules: {details}") from None


def is_iso_country(code: str | None) -> bool:
    """True for a two-letter upper-case code (ISO 3166-1 alpha-2 shape)."""
    return code is not None and _ISO2.fullmatch(code) is not None
