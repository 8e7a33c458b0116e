"""Faults a test can queue: what goes wrong, for how many requests, and which requests.

A fault applies to the next ``count`` authenticated API requests that match its optional method
and path. Answer faults (``429``, ``500``, ``delay``, ``drop``) are taken before the endpoint
runs; content faults (``fail_orders``, ``null_elements``, ``page_500``) are taken by the
endpoint when they can apply (a page that holds the bad position, a batch holding the key), so
an unrelated request never uses them up. The first queued fault that fits wins.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Literal, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    JsonValue,
    NonNegativeFloat,
    NonNegativeInt,
    PositiveInt,
    field_validator,
    model_validator,
)

FaultKind = Literal["429", "500", "delay", "drop", "fail_orders", "null_elements", "page_500"]
ANSWER_FAULTS: frozenset[str] = frozenset({"429", "500", "delay", "drop"})


def normalise_path(path: str) -> str:
    """Lower case, one leading slash, no trailing slash: how routes and faults compare paths."""
    trimmed = "/" + path.strip().strip("/")
    return trimmed.lower()


class FaultSpec(BaseModel):
    """One fault as data (what ``emu.inject`` and ``POST /_emulator/faults`` accept)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: FaultKind
    count: PositiveInt = 1
    method: str | None = None
    path: str | None = None
    #: ``delay``: seconds to hold the answer (the request takes effect first).
    seconds: NonNegativeFloat | None = None
    #: ``429``: the ``X-Rate-Limit-Reset`` to announce; default: the key's real window.
    reset_seconds: NonNegativeInt | None = None
    #: ``fail_orders``: the ``orderKey`` values that fail.
    order_keys: tuple[str, ...] = ()
    #: ``fail_orders``: the error message those orders get.
    message: str = "Injected failure: this order could not be saved."
    #: ``null_elements``: indexes in the page where ``null`` entries are inserted.
    positions: tuple[NonNegativeInt, ...] = (0,)
    #: ``page_500``: 0-based index, in the whole filtered and sorted list, of the bad record.
    position: NonNegativeInt | None = None

    @field_validator("kind", mode="before")
    @classmethod
    def _kind_as_text(cls, value: object) -> object:
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else value

    @field_validator("method")
    @classmethod
    def _method(cls, value: str | None) -> str | None:
        return value.strip().upper() if value else None

    @field_validator("path")
    @classmethod
    def _path(cls, value: str | None) -> str | None:
        return normalise_path(value) if value else None

    @model_validator(mode="after")
    def _needs(self) -> Self:
        if self.kind == "delay" and self.seconds is None:
            raise ValueError("a 'delay' fault needs 'seconds'")
        if self.kind == "fail_orders" and not self.order_keys:
            raise ValueError("a 'fail_orders' fault needs 'order_keys' (a non-empty list)")
        if self.kind == "page_500" and self.position is None:
            raise ValueError("a 'page_500' fault needs 'position' (index of the bad record)")
        if self.kind == "null_elements" and not self.positions:
            raise ValueError("a 'null_elements' fault needs at least one of 'positions'")
        return self

    def matches(self, method: str, path: str) -> bool:
        if self.method is not None and self.method != method.upper():
            return False
        return self.path is None or self.path == normalise_path(path)


_Fits = Callable[[FaultSpec], bool]


@dataclass
class ActiveFault:
    """A queued fault and how many more requests it will hit."""

    id: int
    spec: FaultSpec
    remaining: int

    def to_json(self) -> dict[str, JsonValue]:
        spec = self.spec.model_dump(mode="json", exclude_defaults=True)
        return {"id": self.id, "remaining": self.remaining, **spec, "kind": self.spec.kind}


class FaultQueue:
    """The queued faults, first in first out."""

    def __init__(self) -> None:
        self._faults: list[ActiveFault] = []
        self._next_id = 1

    def add(self, spec: FaultSpec) -> ActiveFault:
        fault = ActiveFault(self._next_id, spec, spec.count)
        self._next_id += 1
        self._faults.append(fault)
        return fault

    def extend(self, specs: Iterable[FaultSpec]) -> None:
        for spec in specs:
            self.add(spec)

    def clear(self) -> None:
        self._faults.clear()

    def pending(self) -> list[ActiveFault]:
        return list(self._faults)

    def _take(
        self, kinds: frozenset[str], method: str, path: str, *, fits: _Fits
    ) -> FaultSpec | None:
        for fault in self._faults:
            if fault.spec.kind in kinds and fault.spec.matches(method, path) and fits(fault.spec):
                fault.remaining -= 1
                if fault.remaining <= 0:
                    self._faults.remove(fault)
                return fault.spec
        return None

    def take_answer_fault(self, method: str, path: str) -> FaultSpec | None:
        """The fault that decides how this request is answered, if any."""
        return self._take(ANSWER_FAULTS, method, path, fits=_always)

    def take_failed_orders(self, method: str, path: str, keys: set[str]) -> FaultSpec | None:
        """A ``fail_orders`` fault naming at least one of ``keys``."""
        return self._take(
            frozenset({"fail_orders"}), method, path, fits=lambda s: bool(keys & set(s.order_keys))
        )

    def take_null_elements(self, method: str, path: str) -> FaultSpec | None:
        return self._take(frozenset({"null_elements"}), method, path, fits=_always)

    def take_page_500(self, method: str, path: str, start: int, stop: int) -> FaultSpec | None:
        """A ``page_500`` fault whose bad record lies in positions ``[start, stop)``."""
        return self._take(
            frozenset({"page_500"}),
            method,
            path,
            fits=lambda s: s.position is not None and start <= s.position < stop,
        )


def _always(spec: FaultSpec) -> bool:
    return True
