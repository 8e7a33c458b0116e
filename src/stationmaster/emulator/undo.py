"""Undo for failed requests: tables that note what each change overwrote, and their journal.

A request that fails half-way must leave the emulated account exactly as it was. Copying every
table before each request would make every request cost as much as the account holds (with a
million orders, tens of milliseconds each). Instead, while a transaction is open, these tables
note what each change overwrote: a key's old value or its absence, a member that came or went,
a list's old length or old contents. If the block raises, the journal plays the notes back,
newest first. A request costs what it touches, and outside a transaction nothing is noted.

Noting a row itself is enough to restore it because rows are never changed in place: a handler
copies a row, changes the copy and puts it back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from collections.abc import Set as AbstractSet
from contextlib import contextmanager
from typing import Any, Self, SupportsIndex, TypeVar, overload

K = TypeVar("K")
V = TypeVar("V")
T = TypeVar("T")


class Journal:
    """The notes of the open transaction; nested transactions share them, each with its mark."""

    __slots__ = ("_depth", "_notes")

    def __init__(self) -> None:
        self._notes: list[tuple[Callable[..., object], tuple[object, ...]]] = []
        self._depth = 0

    @property
    def recording(self) -> bool:
        return self._depth > 0

    def note(self, undo: Callable[..., object], *args: object) -> None:
        """Remember to call ``undo(*args)`` if the transaction fails."""
        self._notes.append((undo, args))

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Undo every noted change made inside the block if it raises."""
        mark = len(self._notes)
        self._depth += 1
        try:
            yield
        except BaseException:
            self._undo_to(mark)
            raise
        finally:
            self._depth -= 1
            if not self._depth:
                self._notes.clear()

    def adopt(self, value: object) -> object:
        """``value`` as one of this journal's tables when it is a dict, list or set."""
        if isinstance(value, UndoDict | UndoList | UndoSet) and value.journal is self:
            return value
        if isinstance(value, dict):
            return UndoDict(self, value)
        if isinstance(value, list):
            return UndoList(self, value)
        if isinstance(value, set):
            return UndoSet(self, value)
        return value

    def _undo_to(self, mark: int) -> None:
        notes = self._notes
        while len(notes) > mark:
            undo, args = notes.pop()
            undo(*args)


def _drop_key(table: dict[Any, Any], key: object) -> None:
    dict.pop(table, key, None)


def _restore_dict(table: dict[Any, Any], items: dict[Any, Any]) -> None:
    dict.clear(table)
    dict.update(table, items)


def _truncate(table: list[Any], length: int) -> None:
    list.__delitem__(table, slice(length, None))


def _refill_list(table: list[Any], items: list[Any]) -> None:
    list.__setitem__(table, slice(None), items)


class UndoDict(dict[K, V]):
    """A dict that notes the old value, or the absence, of each key it sets.

    Removing a key notes the whole old contents instead: put back one by one, a removed key
    would come back last and change the order the table is walked in. The emulator removes
    keys only from small tables (webhooks), so that costs little.
    """

    __slots__ = ("journal",)

    def __init__(self, journal: Journal, items: Mapping[K, V] | Iterable[tuple[K, V]] = ()) -> None:
        super().__init__(items)
        self.journal = journal

    def _note(self, key: K) -> None:
        if dict.__contains__(self, key):
            self.journal.note(dict.__setitem__, self, key, dict.__getitem__(self, key))
        else:
            self.journal.note(_drop_key, self, key)

    def __setitem__(self, key: K, value: V) -> None:
        if self.journal.recording:
            self._note(key)
        super().__setitem__(key, value)

    def _note_contents(self) -> None:
        if self.journal.recording:
            self.journal.note(_restore_dict, self, dict(self))

    def __delitem__(self, key: K) -> None:
        if dict.__contains__(self, key):
            self._note_contents()
        super().__delitem__(key)

    def pop(self, key: K, *default: Any) -> Any:
        if dict.__contains__(self, key):
            self._note_contents()
        return super().pop(key, *default)

    def popitem(self) -> tuple[K, V]:
        key, value = super().popitem()
        if self.journal.recording:
            self.journal.note(dict.__setitem__, self, key, value)
        return key, value

    def setdefault(self, key: K, default: Any = None) -> Any:
        if self.journal.recording and not dict.__contains__(self, key):
            self._note(key)
        return super().setdefault(key, default)

    def update(self, *others: Any, **more: V) -> None:
        if not self.journal.recording:
            super().update(*others, **more)
            return
        for key, value in dict(*others, **more).items():
            self[key] = value

    def __ior__(self, other: Mapping[K, V] | Iterable[tuple[K, V]]) -> Self:  # type: ignore[override,misc]
        self.update(other)
        return self

    def clear(self) -> None:
        self._note_contents()
        super().clear()


class UndoSet(set[T]):
    """A set that notes each member it gains or loses."""

    __slots__ = ("journal",)

    def __init__(self, journal: Journal, items: Iterable[T] = ()) -> None:
        super().__init__(items)
        self.journal = journal

    def add(self, item: T) -> None:
        if self.journal.recording and not set.__contains__(self, item):
            self.journal.note(set.discard, self, item)
        super().add(item)

    def discard(self, item: object) -> None:
        if self.journal.recording and set.__contains__(self, item):
            self.journal.note(set.add, self, item)
        super().discard(item)

    def remove(self, item: T) -> None:
        if self.journal.recording and set.__contains__(self, item):
            self.journal.note(set.add, self, item)
        super().remove(item)

    def pop(self) -> T:
        item = super().pop()
        if self.journal.recording:
            self.journal.note(set.add, self, item)
        return item

    def clear(self) -> None:
        if self.journal.recording:
            self.journal.note(set.update, self, set(self))
        super().clear()

    def update(self, *others: Iterable[T]) -> None:
        if not self.journal.recording:
            super().update(*others)
            return
        for other in others:
            for item in other:
                self.add(item)

    def difference_update(self, *others: Iterable[Any]) -> None:
        if not self.journal.recording:
            super().difference_update(*others)
            return
        for other in others:
            for item in other:
                self.discard(item)

    def intersection_update(self, *others: Iterable[Any]) -> None:
        kept = set(self).intersection(*others)
        for item in [item for item in self if item not in kept]:
            self.discard(item)

    def symmetric_difference_update(self, other: Iterable[T]) -> None:
        for item in set(other):
            if set.__contains__(self, item):
                self.discard(item)
            else:
                self.add(item)

    def __ior__(self, other: AbstractSet[T]) -> Self:  # type: ignore[override,misc]
        self.update(other)
        return self

    def __isub__(self, other: AbstractSet[object]) -> Self:
        self.difference_update(other)
        return self

    def __iand__(self, other: AbstractSet[object]) -> Self:
        self.intersection_update(other)
        return self

    def __ixor__(self, other: AbstractSet[T]) -> Self:  # type: ignore[override,misc]
        self.symmetric_difference_update(other)
        return self


class UndoList(list[T]):
    """A list that notes its old length before it grows, and its old contents before any other
    change (the emulator's lists are queues: they grow, or are replaced whole)."""

    __slots__ = ("journal",)

    def __init__(self, journal: Journal, items: Iterable[T] = ()) -> None:
        super().__init__(items)
        self.journal = journal

    def _note_length(self) -> None:
        if self.journal.recording:
            self.journal.note(_truncate, self, len(self))

    def _note_contents(self) -> None:
        if self.journal.recording:
            self.journal.note(_refill_list, self, list(self))

    def append(self, item: T) -> None:
        self._note_length()
        super().append(item)

    def extend(self, items: Iterable[T]) -> None:
        self._note_length()
        super().extend(items)

    def __iadd__(self, items: Iterable[T]) -> Self:  # type: ignore[override,misc]
        self.extend(items)
        return self

    def insert(self, index: SupportsIndex, item: T) -> None:
        self._note_contents()
        super().insert(index, item)

    def pop(self, index: SupportsIndex = -1) -> T:
        self._note_contents()
        return super().pop(index)

    def remove(self, item: T) -> None:
        self._note_contents()
        super().remove(item)

    def clear(self) -> None:
        self._note_contents()
        super().clear()

    def sort(self, *, key: Any = None, reverse: bool = False) -> None:
        self._note_contents()
        super().sort(key=key, reverse=reverse)

    def reverse(self) -> None:
        self._note_contents()
        super().reverse()

    @overload
    def __setitem__(self, index: SupportsIndex, value: T) -> None: ...
    @overload
    def __setitem__(self, index: slice, value: Iterable[T]) -> None: ...
    def __setitem__(self, index: Any, value: Any) -> None:
        self._note_contents()
        super().__setitem__(index, value)

    def __delitem__(self, index: SupportsIndex | slice) -> None:
        self._note_contents()
        super().__delitem__(index)

    def __imul__(self, times: SupportsIndex) -> Self:
        self._note_contents()
        super().__imul__(times)
        return self
