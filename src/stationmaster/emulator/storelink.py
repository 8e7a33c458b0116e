"""How one emulated "Custom Store" reaches its shop: URL, credentials and status mapping.

This is what a ShipStation user types into the Custom Store setup form (``custom-store-xml.md``
§1): the URL, a username and password, and five comma-separated, case-sensitive lists of the
shop's ``<OrderStatus>`` strings. The options the reference marks unconfirmed (§7: where the
credentials go, the query names' casing, reopening locked orders) are fields too. The password
never shows in ``repr`` or in :meth:`CustomStoreLink.public_dict`.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue, PositiveInt, field_validator

#: ShipStation order status for each setup field, in the form's order.
STATUS_FIELDS: tuple[tuple[str, str], ...] = (
    ("unpaid_status", "awaiting_payment"),
    ("paid_status", "awaiting_shipment"),
    ("shipped_status", "shipped"),
    ("cancelled_status", "cancelled"),
    ("on_hold_status", "on_hold"),
)


class CustomStoreLink(BaseModel):
    """The Custom Store setup of one store (frozen: replace it to change it)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    url: str
    username: str = Field(min_length=1)
    password: str = Field(min_length=1, repr=False)
    unpaid_status: str = "unpaid"
    paid_status: str = "paid"
    shipped_status: str = "shipped"
    cancelled_status: str = "cancelled"
    on_hold_status: str = "on_hold"
    #: ShipStation compares statuses case-sensitively; ``insensitive`` is the lenient variant.
    status_case: Literal["sensitive", "insensitive"] = "sensitive"
    #: Where the credentials go on every request (§2: the export GET's query copy is unconfirmed).
    credentials: Literal["header", "query", "both"] = "both"
    query_user_param: str = Field("SS-UserName", min_length=1)
    query_password_param: str = Field("SS-Password", min_length=1)
    #: How far back the first refresh looks when no earlier window exists.
    lookback_minutes: PositiveInt = 7 * 24 * 60
    #: A larger ``pages`` answer is refused rather than walked (a shop bug must not hang us).
    max_pages: PositiveInt = 1000
    #: A larger export page is refused unread.
    max_body_bytes: PositiveInt = 10_000_000
    #: ``Content-Type`` of shipnotify POSTs; ``None`` sends none.
    shipnotify_content_type: str | None = "application/xml; charset=utf-8"
    #: Re-exporting a shipped or cancelled order updates it (ShipStation is believed not to).
    reopen_locked: bool = False

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError(f"url must start with http:// or https://, got {value!r}")
        return value

    def status_for(self, shop_status: str) -> str | None:
        """The ShipStation status a shop's ``<OrderStatus>`` maps to, or ``None`` (skipped)."""
        wanted = shop_status.strip()
        if self.status_case == "insensitive":
            wanted = wanted.casefold()
        for field_name, target in STATUS_FIELDS:
            listed: str = getattr(self, field_name)
            for entry in listed.split(","):
                entry = entry.strip()
                if self.status_case == "insensitive":
                    entry = entry.casefold()
                if entry and entry == wanted:
                    return target
        return None

    def status_mappings(self) -> list[dict[str, str]]:
        """The mapping as ``GET /stores/{id}`` shows it (one row per listed shop status)."""
        return [
            {"orderStatus": target, "statusKey": entry.strip()}
            for field_name, target in STATUS_FIELDS
            for entry in str(getattr(self, field_name)).split(",")
            if entry.strip()
        ]

    def public_dict(self) -> dict[str, JsonValue]:
        """The setup as JSON data, without the password."""
        return self.model_dump(mode="json", exclude={"password"})
