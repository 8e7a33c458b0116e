"""The emulator's switches: every behaviour ShipStation leaves unconfirmed, as typed data.

Each field maps to a key of ``shipstation-v1-api.md`` §14 (or to a limit the brief sets), so a
test suite can run the same client against every plausible ShipStation by changing data, not
code. The key pair never shows in ``repr`` or in :meth:`EmulatorConfig.public_dict`.
"""

from __future__ import annotations

from typing import Literal

import httpx2
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    JsonValue,
    NonNegativeFloat,
    PositiveFloat,
    PositiveInt,
    field_validator,
)

from stationmaster.emulator.faults import FaultSpec
from stationmaster.emulator.v2config import V2Config
from stationmaster.wiretime import OffsetMode

FilterBounds = Literal["documented", "strict", "inclusive"]

#: Fields that hold credentials or live objects; kept out of reprs and the control API.
PRIVATE_FIELDS = frozenset(
    {"api_key", "api_secret", "extra_key_pairs", "webhook_transport", "customstore_transport"}
)


def _rate_limit_body() -> dict[str, JsonValue]:
    return {"message": "Too Many Requests"}


def _unauthorized_body() -> dict[str, JsonValue]:
    return {"Message": "Authorization has been denied for this request."}


def _not_found_body() -> dict[str, JsonValue]:
    return {"message": "Not Found"}


class EmulatorConfig(BaseModel):
    """How the emulated ShipStation account behaves; frozen, so one object describes one run."""

    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)

    # Credentials and identity ---------------------------------------------------------------
    api_key: str = Field("emulator-key", min_length=1, repr=False)
    api_secret: str = Field("emulator-secret", min_length=1, repr=False)
    #: More accepted key pairs (ShipStation allows two per account); each has its own budget.
    extra_key_pairs: tuple[tuple[str, str], ...] = Field((), repr=False)
    #: Where resource URLs in webhooks point; ``serve()`` replaces it with the real address.
    base_url: str = "http://ssapi.emulator"
    #: Start with the default account (stores, warehouses, carriers, tags, users, products).
    seed_account: bool = True
    #: Keep each recorded call's body (``calls``); off, a call is kept without it.
    record_call_bodies: bool = True

    # §4 rate limit ------------------------------------------------------------------------------
    #: Requests per window per key pair; ``None`` (or ``"off"``) switches the limit off.
    limit: PositiveInt | None = 40
    window_seconds: PositiveFloat = 60.0
    count_401_429: bool = False
    rate_limit_body: dict[str, JsonValue] = Field(default_factory=_rate_limit_body)

    # §5 errors ----------------------------------------------------------------------------------
    unauthorized_body: dict[str, JsonValue] = Field(default_factory=_unauthorized_body)
    not_found_body: dict[str, JsonValue] = Field(default_factory=_not_found_body)
    validation_status: Literal[400, 500] = 500

    # §2 paging ----------------------------------------------------------------------------------
    default_page_size: PositiveInt = 100
    max_page_size: PositiveInt = 500
    max_page_size_mode: Literal["clamp", "error"] = "clamp"

    # §3 time ------------------------------------------------------------------------------------
    filter_offset_mode: OffsetMode = "ignore"
    filter_bounds: FilterBounds = "documented"

    # §6 and §9 orders ---------------------------------------------------------------------------
    createorders_max: PositiveInt = 100
    createorders_over_limit_status: int = Field(400, ge=400, le=599)
    failed_result_order_id: Literal[0] | None = 0
    locked_update: Literal["noop", "error"] = "noop"
    createorder_to_shipped: Literal["allow", "reject"] = "allow"
    order_key_scope: Literal["account", "store"] = "account"
    deleted_key_repost: Literal["revive", "new"] = "revive"
    #: Voiding an order's last live label puts the order back to ``awaiting_shipment``.
    void_restores_status: bool = True

    # §11 webhooks -------------------------------------------------------------------------------
    order_notify_on_api_create: bool = True
    webhook_subscribe_response: Literal["id", "openapi"] = "id"
    webhook_attempts: PositiveInt = 1
    webhook_retry_wait_seconds: NonNegativeFloat = 0.0
    webhook_timeout_seconds: PositiveFloat = 10.0
    webhook_duplicate_rate: float = Field(0.0, ge=0.0, le=1.0)
    webhook_drop_rate: float = Field(0.0, ge=0.0, le=1.0)
    #: How long a delivery waits before the served emulator's background task sends it.
    webhook_delay_seconds: NonNegativeFloat = 2.0
    #: Seed of the random draws behind the duplicate and drop rates (reproducible runs).
    webhook_random_seed: int = 0
    #: Where deliveries go; ``None`` means the network. Tests pass an ``httpx2.ASGITransport``.
    webhook_transport: httpx2.AsyncBaseTransport | None = Field(None, repr=False, exclude=True)

    # Custom Store (custom-store-xml.md §7) ------------------------------------------------------
    #: Timeout of one export GET or shipnotify POST.
    customstore_timeout_seconds: PositiveFloat = 30.0
    #: Tries per shipnotify POST (retry on non-2xx or no answer).
    shipnotify_attempts: PositiveInt = 1
    #: Where export GETs and shipnotify POSTs go; ``None`` means the network.
    customstore_transport: httpx2.AsyncBaseTransport | None = Field(None, repr=False, exclude=True)

    # §13 split and merge ------------------------------------------------------------------------
    split_child_key: Literal["suffix", "guid"] = "suffix"
    split_child_number: Literal["same", "suffix"] = "same"

    # §14 inject ---------------------------------------------------------------------------------
    #: Faults queued at start and again after every ``reset()``.
    faults: tuple[FaultSpec, ...] = ()

    # API v2 inventory (shipstation-v2-inventory.md) -------------------------------------------
    #: The ``/v2/...`` subset: its ``API-Key``, limit and unconfirmed behaviours.
    v2: V2Config = Field(default_factory=V2Config)

    @field_validator("limit", mode="before")
    @classmethod
    def _limit_off(cls, value: object) -> object:
        if isinstance(value, str) and value.strip().lower() == "off":
            return None
        return value

    @field_validator("base_url")
    @classmethod
    def _base_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError(f"base_url must start with http:// or https://, got {value!r}")
        return value.rstrip("/")

    def key_pairs(self) -> tuple[tuple[str, str], ...]:
        """Every accepted (key, secret) pair, the main one first."""
        return ((self.api_key, self.api_secret), *self.extra_key_pairs)

    def public_dict(self) -> dict[str, JsonValue]:
        """The configuration as JSON data, without credentials or live objects."""
        hidden: dict[str, bool | set[str]] = dict.fromkeys(PRIVATE_FIELDS, True)
        hidden["v2"] = {"api_key"}
        return self.model_dump(mode="json", exclude=hidden)
