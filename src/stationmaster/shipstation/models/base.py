"""The shapes every wire model shares: the tolerant base, list envelopes, and body rendering.

ShipStation adds fields over time and every field may come back ``null``, so a wire model
keeps whatever it does not know (and sends it back on a full-replace update), and declares
almost every field optional. ``to_wire`` sends only what was set: a model read from a response
goes back with every key it came with, and one built in code never sends read-only fields its
author did not set.
"""

from __future__ import annotations

from typing import ClassVar, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, JsonValue, RootModel

from stationmaster.shipstation.models.fields import NullDroppingList


class WireModel(BaseModel):
    """A ShipStation v1 object, attribute names spelled as on the wire."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)


def to_wire(model: BaseModel) -> dict[str, JsonValue]:
    """A request body: JSON-ready, wire names, only the fields that were set, extras kept."""
    return model.model_dump(mode="json", by_alias=True, exclude_unset=True)


RecordT = TypeVar("RecordT", bound=BaseModel)


class PageEnvelope(WireModel, Generic[RecordT]):
    """A page of a paged list: ``{<collection_key>: [...], "total", "page", "pages"}``.

    ``records()`` gives the page's items whatever the collection is called, so one walker
    serves every list. ShipStation's own doc mock answers ``pages: 0`` on a full page: treat
    an empty page, not ``pages``, as the end.
    """

    collection_key: ClassVar[str]

    total: int | None = None
    page: int | None = None
    pages: int | None = None

    def records(self) -> list[RecordT]:
        found: list[RecordT] | None = getattr(self, self.collection_key)
        return list(found or [])


class WireArray(RootModel[NullDroppingList[RecordT]], Generic[RecordT]):
    """A plain JSON array response (``/stores``, ``/carriers``, ``getrates`` ...)."""

    def records(self) -> list[RecordT]:
        return list(self.root)
