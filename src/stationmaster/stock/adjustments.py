"""Stock adjustments as a warehouse sends them: each item checked on its own, each outcome named.

A batch from a warehouse is a list of ``{sku, delta, reason, idempotency_key}`` items. One
bad item must never hold back the others, so each is read here into an :class:`Adjustment`
or an ``invalid`` :class:`ItemResult` that says which field is wrong and why; nothing about
a bad item reaches a store.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from stationmaster.db.tables import KEY

#: The most any one adjustment may move a level (a level is a 32-bit integer on PostgreSQL).
DELTA_LIMIT = 2**31 - 1

ItemStatus = Literal["applied", "duplicate", "unknown_sku", "invalid", "refused", "failed"]
"""``applied``: changed now; ``duplicate``: the key was applied before, nothing changed;
``unknown_sku``: the store has no such SKU; ``invalid``: the item itself is wrong (a field,
or a key reused for another change); ``refused``: the level would go below zero and the
store forbids it; ``failed``: the store could not be reached or failed (send it again)."""

FIELDS = frozenset({"sku", "delta", "reason", "idempotency_key"})


@dataclass(frozen=True, slots=True)
class Adjustment:
    """One checked item: add ``delta`` to ``sku``, once per ``key``."""

    sku: str
    delta: int
    key: str
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class ItemResult:
    """The outcome of one item, in the order the items came."""

    index: int
    status: ItemStatus
    sku: str | None = None
    key: str | None = None
    on_hand: int | None = None
    field: str | None = None
    message: str | None = None

    def to_json(self) -> dict[str, object]:
        result: dict[str, object] = {
            "index": self.index,
            "status": self.status,
            "sku": self.sku,
            "idempotency_key": self.key,
        }
        if self.on_hand is not None:
            result["on_hand"] = self.on_hand
        if self.field is not None:
            result["field"] = self.field
        if self.message is not None:
            result["error"] = self.message
        return result


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _bad_text(value: object, name: str, *, required: bool) -> str | None:
    """Why ``value`` cannot be the text field ``name``, or ``None`` if it can."""
    if value is None:
        return f"{name} is required" if required else None
    if not isinstance(value, str):
        return f"{name} must be text, got {_kind(value)}"
    if required and not value.strip():
        return f"{name} must not be blank"
    if value != value.strip():
        return f"{name} {value!r} has blanks around it"
    if len(value) > KEY:
        return f"{name} is {len(value)} characters; at most {KEY} are kept"
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
        return f"{name} holds a control character"
    return None


def _bad_delta(value: object) -> str | None:
    if value is None:
        return "delta is required"
    if isinstance(value, bool) or not isinstance(value, int):
        return f"delta must be a whole number, got {_kind(value)} {value!r}"
    if abs(value) > DELTA_LIMIT:
        return f"delta {value} is beyond ±{DELTA_LIMIT}"
    return None


def _kind(value: object) -> str:
    kinds = {bool: "a boolean", str: "text", list: "a list", dict: "an object"}
    return kinds.get(type(value), "a fraction" if not isinstance(value, int) else "a number")


def read_adjustment(index: int, raw: object) -> Adjustment | ItemResult:
    """Item ``index`` as an :class:`Adjustment`, or an ``invalid`` result naming the field."""
    if not isinstance(raw, dict):
        return ItemResult(index, "invalid", message=f"an adjustment is an object, got {_kind(raw)}")
    sku, key = _text(raw.get("sku")), _text(raw.get("idempotency_key"))

    def invalid(field: str | None, message: str) -> ItemResult:
        return ItemResult(index, "invalid", sku, key, field=field, message=message)

    unknown = sorted(str(name) for name in raw if name not in FIELDS)
    if unknown:
        return invalid(unknown[0], f"unknown field(s) {', '.join(unknown)}")
    checks = (
        ("sku", _bad_text(raw.get("sku"), "sku", required=True)),
        (
            "idempotency_key",
            _bad_text(raw.get("idempotency_key"), "idempotency_key", required=True),
        ),
        ("delta", _bad_delta(raw.get("delta"))),
        ("reason", _bad_text(raw.get("reason"), "reason", required=False)),
    )
    for field, problem in checks:
        if problem is not None:
            return invalid(field, problem)
    return Adjustment(raw["sku"], raw["delta"], raw["idempotency_key"], raw.get("reason"))
