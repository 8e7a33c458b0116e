"""Streaming writer of the Custom Store export document (``<Orders pages="N">``).

The document is written order by order with lxml's incremental ``xmlfile`` into a buffer that
is drained after each order, so memory holds one order at a time, not the page. Free text
goes out as CDATA (a ``]]>`` inside it is split across two sections) after removing what XML
1.0 cannot carry at all, even in CDATA: C0 control characters other than tab, line feed and
carriage return, lone surrogates, and the non-characters U+FFFE/U+FFFF.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Final, Protocol

from lxml import etree

DECLARATION: Final = b'<?xml version="1.0" encoding="utf-8"?>\n'
_NOT_XML: Final = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_CDATA_END: Final = "]]>"


@dataclass(frozen=True, slots=True)
class Plain:
    """A value written as plain text, not CDATA (numbers, dates, booleans, codes)."""

    text: str


Value = str | Plain | Sequence["Node"]
Node = tuple[str, Value]
"""One element: its name and either free text (CDATA), a plain value, or child elements."""


def xml_text(text: str) -> str:
    """``text`` without the characters XML 1.0 forbids (they cannot even be escaped)."""
    return _NOT_XML.sub("", text)


def cdata_sections(text: str) -> list[object]:
    """``text`` as CDATA sections: one, or several where ``]]>`` has to be split apart.

    A section ending in a single ``]`` is written as CDATA up to it and the ``]`` as plain
    text: lxml's incremental writer crashes the process on a CDATA section that ends in one
    ``]`` (lxml 5/6), and the element's text is the same either way.
    """
    pieces: list[object] = []
    for section in _rejoin(xml_text(text).split(_CDATA_END)):
        if section.endswith("]") and not section.endswith("]]"):
            if section[:-1]:
                pieces.append(etree.CDATA(section[:-1]))
            pieces.append("]")
        else:
            pieces.append(etree.CDATA(section))
    return pieces


def _rejoin(parts: list[str]) -> Iterator[str]:
    """Each ``]]>`` becomes ``]]`` closing one section and ``>`` opening the next."""
    last = len(parts) - 1
    for index, part in enumerate(parts):
        head = ">" if index > 0 else ""
        tail = "]]" if index < last else ""
        yield head + part + tail


class _XmlFile(Protocol):
    """The part of lxml's incremental writer used here."""

    def element(self, tag: str, **attributes: str) -> AbstractContextManager[None]: ...

    def write(self, *content: object) -> None: ...

    def flush(self) -> None: ...


def _write(xf: _XmlFile, node: Node) -> None:
    name, value = node
    with xf.element(name):
        if isinstance(value, str):
            xf.write(*cdata_sections(value))
        elif isinstance(value, Plain):
            xf.write(xml_text(value.text))
        else:
            for child in value:
                _write(xf, child)


def _drain(buffer: io.BytesIO) -> bytes:
    chunk = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return chunk


def export_document(pages: int, orders: Iterable[Sequence[Node]]) -> Iterator[bytes]:
    """The export document in chunks: the prolog and root, then one chunk per order.

    Each order is the list of its child elements (``OrderID``, ``Customer``, ...).
    """
    buffer = io.BytesIO()
    buffer.write(DECLARATION)
    with etree.xmlfile(buffer, encoding="utf-8") as root_file:
        xf: _XmlFile = root_file
        with xf.element("Orders", pages=str(pages)):
            for order in orders:
                _write(xf, ("Order", order))
                xf.flush()
                yield _drain(buffer)
    yield _drain(buffer)
