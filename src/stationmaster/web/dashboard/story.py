"""Reading an order's story out of the audit log: each payload sent for it, with its fingerprint.

A ``createorders`` request carries up to 100 orders; the one with this order's key is taken
out and fingerprinted as the push fingerprints it, so the page can say which payload
ShipStation holds now (its fingerprint is the sync record's). A body cut by the audit log's
size cap still yields every order that ends before the cut; an order the cut went through is
listed as cut, never guessed at.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from stationmaster.db import AuditEntry, JsonObject
from stationmaster.sync.mapping import fingerprint


@dataclass(frozen=True, slots=True)
class SentPayload:
    """One time the order was sent: the exchange, and its payload if the body was whole."""

    entry: AuditEntry
    payload: JsonObject | None
    fingerprint: str | None
    #: Whether this is the payload ShipStation accepted last (its fingerprint is on record).
    current: bool

    @property
    def whole(self) -> bool:
        return self.payload is not None


def whole_values(text: str) -> list[object]:
    """The request's orders: the whole body, or of a cut list, the values before the cut."""
    try:
        body = json.loads(text)
    except ValueError:
        pass
    else:
        return body if isinstance(body, list) else [body]
    start = text.find("[")
    if start < 0 or text[:start].strip():
        return []
    decoder = json.JSONDecoder()
    values: list[object] = []
    position = start + 1
    while True:
        while position < len(text) and text[position] in " \t\r\n,":
            position += 1
        try:
            value, position = decoder.raw_decode(text, position)
        except ValueError:
            return values
        values.append(value)


def sent_payloads(
    entries: Sequence[AuditEntry], order_key: str, accepted_fingerprint: str | None
) -> list[SentPayload]:
    """The order's payloads in the requests among ``entries`` (those that sent a body)."""
    sent: list[SentPayload] = []
    for entry in entries:
        if entry.request_body is None or order_key not in entry.request_body:
            continue
        mine = [
            item
            for item in whole_values(entry.request_body)
            if isinstance(item, dict) and item.get("orderKey") == order_key
        ]
        for item in mine:
            digest = fingerprint(item)
            sent.append(SentPayload(entry, item, digest, digest == accepted_fingerprint))
        if not mine:  # the key is there, but the size cap cut its order
            sent.append(SentPayload(entry, None, None, False))
    return sent
