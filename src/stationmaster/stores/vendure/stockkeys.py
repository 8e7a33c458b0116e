"""Idempotency keys of stock adjustments, kept on the product variant they changed.

Vendure's Admin API sets stock levels and keeps nothing else with the write. When the merchant
adds a text custom field to ``ProductVariant`` (named in ``stock_keys_field``), the connector
writes the new level and the adjustment's key in one ``updateProductVariants`` call, which
Vendure saves in one transaction: a key found there was applied, with the level it left. So a
key sent again (after a lost answer, or by several workers at once) changes nothing: repeats
that read the key return the level; repeats that raced past the read write the same absolute
level with the same key, which is the same change once more.

The field holds the most recent :data:`KEPT` keys of the variant as JSON; a key older than
that is forgotten (deliveries of one adjustment arrive within minutes, not thousands of
adjustments later).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Final

#: How many recent keys a variant remembers.
KEPT: Final = 200
#: A custom field name Vendure accepts (and that is safe to put in a query).
FIELD_NAME: Final = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True, slots=True)
class KeptKey:
    """One applied adjustment: its key, delta and the level it left."""

    key: str
    delta: int
    level: int


def read_keys(text: object) -> list[KeptKey]:
    """The keys a variant's field holds (an empty or unreadable field holds none)."""
    if not isinstance(text, str) or not text.strip():
        return []
    try:
        entries = json.loads(text)
    except ValueError:
        return []
    kept: list[KeptKey] = []
    for entry in entries if isinstance(entries, list) else []:
        if (
            isinstance(entry, list)
            and len(entry) == 3
            and isinstance(entry[0], str)
            and all(isinstance(n, int) and not isinstance(n, bool) for n in entry[1:])
        ):
            kept.append(KeptKey(entry[0], entry[1], entry[2]))
    return kept


def with_key(kept: list[KeptKey], entry: KeptKey) -> str:
    """The field's new text: ``entry`` after the most recent others."""
    others = [k for k in kept if k.key != entry.key]
    recent = [*others[-(KEPT - 1) :], entry]
    return json.dumps([[k.key, k.delta, k.level] for k in recent], separators=(",", ":"))


def find(kept: list[KeptKey], key: str) -> KeptKey | None:
    return next((k for k in kept if k.key == key), None)
