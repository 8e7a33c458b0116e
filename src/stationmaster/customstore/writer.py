"""Text writer of the Custom Store export document (``<Orders pages="N">`` and its orders).

Each order is written as UTF-8 text in one go (``OrderText``), and the document is streamed
order by order (``export_document``), so memory holds one page of written orders, never a
tree. Element names are this package's own constants; free text goes out as CDATA (a ``]]>``
inside it is split across two sections) and plain values are escaped, after removing what
XML 1.0 cannot carry at all, even in CDATA: C0 control characters other than tab, line feed
and carriage return, lone surrogates, and the non-characters U+FFFE/U+FFFF.

Writing text directly, rather than building elements for an XML library to serialise, keeps
the cost per order to string joins: no object per element for the garbage collector to
track, which was most of the export's writing time.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Final

_DECLARATION: Final = '<?xml version="1.0" encoding="utf-8"?>\n'
_NOT_XML: Final = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_MARKUP: Final = re.compile("[&<>\r\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
"""What ``escaped`` changes: markup, a carriage return, and what XML forbids."""
_CDATA_END: Final = "]]>"
_CDATA_SPLIT: Final = "]]]]><![CDATA[>"
"""``]]>`` inside a section: ``]]`` ends the first section and ``>`` starts the next."""


def xml_text(text: str) -> str:
    """``text`` without the characters XML 1.0 forbids (they cannot even be escaped)."""
    if text.isascii() and text.isprintable():  # the common case: nothing to remove
        return text
    return _NOT_XML.sub("", text)


def cdata(text: str) -> str:
    """``text`` as CDATA: one section, or several where ``]]>`` has to be split apart."""
    return "<![CDATA[" + xml_text(text).replace(_CDATA_END, _CDATA_SPLIT) + "]]>"


def escaped(text: str) -> str:
    """``text`` as character data: markup escaped, a carriage return kept as a reference
    (a parser would otherwise read it as a line feed)."""
    return (
        xml_text(text)
        .replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("\r", "&#13;")
    )


class OrderText:
    """One ``<Order>`` element, written child by child in document order.

    ``text`` writes free text as CDATA, ``plain`` a value (a number, a date, a code) as
    escaped text; both write nothing for ``None``, as the schema's optional elements are
    left out rather than sent empty. ``start``/``end`` enclose child elements.
    """

    __slots__ = ("_parts",)

    def __init__(self) -> None:
        self._parts = ["<Order>"]

    def text(self, name: str, value: str | None) -> None:
        if value is not None:  # ``cdata``, inlined: this runs for most elements
            if not (value.isascii() and value.isprintable()):
                value = _NOT_XML.sub("", value)
            if _CDATA_END in value:
                value = value.replace(_CDATA_END, _CDATA_SPLIT)
            self._parts.append(f"<{name}><![CDATA[{value}]]></{name}>")

    def plain(self, name: str, value: str | None) -> None:
        if value is not None:
            if _MARKUP.search(value) is not None:  # numbers and dates never match
                value = escaped(value)
            self._parts.append(f"<{name}>{value}</{name}>")

    def start(self, name: str) -> None:
        self._parts.append(f"<{name}>")

    def end(self, name: str) -> None:
        self._parts.append(f"</{name}>")

    def finish(self) -> bytes:
        """The element, closed, as UTF-8."""
        self._parts.append("</Order>")
        return "".join(self._parts).encode("utf-8")


def export_document(pages: int, orders: Iterable[bytes]) -> Iterator[bytes]:
    """The export document in chunks: the prolog and root with the first order, then one
    chunk per order (each an ``OrderText``), then the end of the root."""
    head = f'{_DECLARATION}<Orders pages="{pages}">'.encode()
    for order in orders:
        yield head + order
        head = b""
    yield head + b"</Orders>"
