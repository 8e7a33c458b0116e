"""The switches of the emulator's API v2 inventory subset: its key, its limit, and every guess.

Each field maps to a fact marked U in ``docs/reference/shipstation-v2-inventory.md``, so a test
suite can run the inventory client against every plausible ShipStation by changing data. The key
never shows in ``repr`` nor in :meth:`EmulatorConfig.public_dict`.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, PositiveFloat, PositiveInt, field_validator


class V2Config(BaseModel):
    """How the emulated v2 inventory API behaves (``EmulatorConfig.v2``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    #: The accepted ``API-Key`` (v2 keys are separate from v1 key pairs).
    api_key: str = Field("emulator-v2-key", min_length=1, repr=False)
    #: Requests per window for the key; ``None`` (or ``"off"``) switches the limit off (§5).
    limit: PositiveInt | None = 200
    window_seconds: PositiveFloat = 60.0
    #: Whether answers carry ``X-Rate-Limit-Limit/-Remaining/-Reset`` (undocumented for v2).
    rate_limit_headers: bool = False
    #: ``limit`` when none is given, the largest honoured, and what a larger one gets (§3).
    default_page_size: PositiveInt = 100
    max_page_size: PositiveInt = 500
    max_page_size_mode: Literal["clamp", "error"] = "clamp"
    #: What a page's ``links.next`` carries: an opaque ``cursor`` or ``page=N+1`` (§3).
    paging: Literal["cursor", "page"] = "cursor"
    #: Row grouping of ``GET /v2/inventory`` without ``group_by`` (§3).
    default_group_by: Literal["sku", "warehouse", "location"] = "warehouse"
    #: ``sku=a,b`` is a list of SKUs (``list``) or one SKU spelled with a comma (``single``).
    sku_filter: Literal["list", "single"] = "list"
    #: Status of a successful ``POST /v2/inventory``: 204 per the spec, 200 (empty) as seen.
    change_status: Literal[200, 204] = 204
    #: Start with one inventory warehouse holding one location.
    seed_inventory: bool = True

    @field_validator("limit", mode="before")
    @classmethod
    def _limit_off(cls, value: object) -> object:
        if isinstance(value, str) and value.strip().lower() == "off":
            return None
        return value
