"""Custom Store times (UTC, lenient), the CDATA writer and the ShipNotice reader."""

from datetime import UTC, date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st
from lxml import etree

from stationmaster.customstore.reader import NoticeError, read_notice
from stationmaster.customstore.writer import Plain, export_document, xml_text
from stationmaster.wiretime import (
    WireTimeError,
    parse_customstore,
    parse_customstore_date,
    render_customstore,
    render_v1_filter,
)

EXAMPLES = "/work/shared/reference/examples"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("11/21/2026 08:00", datetime(2026, 11, 21, 8, 0, tzinfo=UTC)),
        ("1/5/2026 7:05", datetime(2026, 1, 5, 7, 5, tzinfo=UTC)),
        ("01/05/2026 07:05 PM", datetime(2026, 1, 5, 19, 5, tzinfo=UTC)),
        ("01/05/2026 12:05 AM", datetime(2026, 1, 5, 0, 5, tzinfo=UTC)),
        ("01/05/2026 07:05:09", datetime(2026, 1, 5, 7, 5, 9, tzinfo=UTC)),
        ("01052026x0705", datetime(2026, 1, 5, 7, 5, tzinfo=UTC)),
    ],
)
def test_custom_store_times_are_utc_in_every_accepted_form(text: str, expected: datetime) -> None:
    assert parse_customstore(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "garbage",
        "2026-01-05 07:05",
        "13/01/2026 07:05",
        "01/05/2026 13:05 PM",
        "٠١/٠٥/٢٠٢٦ ٠٧:٠٥",
    ],
)
def test_bad_custom_store_times_are_refused(text: str) -> None:
    with pytest.raises(WireTimeError):
        parse_customstore(text)


def test_custom_store_is_utc_while_v1_is_pacific() -> None:
    moment = datetime(2026, 7, 1, 3, 30, tzinfo=UTC)
    assert render_customstore(moment) == "07/01/2026 03:30"
    assert render_v1_filter(moment) == "2026-06-30 20:30:00"
    assert parse_customstore_date("7/1/2026") == date(2026, 7, 1)


def test_cdata_splits_the_end_marker_and_drops_what_xml_forbids() -> None:
    text = "a]]>b\x01\x1f]]>"
    chunks = b"".join(export_document(1, [[("Name", text), ("N", Plain("1\x0b"))]]))
    root = etree.fromstring(chunks)
    assert root.findtext("Order/Name") == "a]]>b]]>"
    assert root.findtext("Order/N") == "1"
    assert b"]]]]><![CDATA[>" in chunks
    assert chunks.startswith(b'<?xml version="1.0" encoding="utf-8"?>')


@given(st.text())
def test_any_text_round_trips_through_cdata_minus_forbidden_characters(text: str) -> None:
    document = b"".join(export_document(0, [[("T", text)]]))
    expected = xml_text(text).replace("\r\n", "\n").replace("\r", "\n")  # XML line ends
    assert (etree.fromstring(document).findtext("Order/T") or "") == expected


@pytest.mark.parametrize("text", ["]", "x]", "[note]", "a]]", "]]]", "a]b]", "x]]>y]"])
def test_text_ending_in_a_bracket_is_written_intact(text: str) -> None:
    document = b"".join(export_document(1, [[("T", text)]]))
    assert etree.fromstring(document).findtext("Order/T") == text


def test_the_reference_notice_is_read() -> None:
    with open(f"{EXAMPLES}/shipnotice-ORD-1002-pkg1.xml", "rb") as file:
        notice = read_notice(file.read())
    assert notice.order_number == "ORD-1002"
    assert notice.items
    assert all(item.quantity >= 1 for item in notice.items)


@pytest.mark.parametrize(
    "body",
    [
        b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b"<ShipNotice><OrderNumber>&x;</OrderNumber></ShipNotice>",
        b'<!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        b"<ShipNotice><OrderNumber>&b;</OrderNumber></ShipNotice>",
        b"<ShipNotice><OrderNumber>1</OrderNumber>",
        b"<Orders/>",
        b"<ShipNotice><Items><Item><SKU>A</SKU><Quantity>two</Quantity></Item></Items></ShipNotice>",
        b"<ShipNotice><ShipDate>31/31/2026</ShipDate></ShipNotice>",
    ],
)
def test_unsafe_or_malformed_notices_are_refused(body: bytes) -> None:
    with pytest.raises(NoticeError):
        read_notice(body)


def test_a_bom_and_cdata_values_are_read() -> None:
    body = (
        "\ufeff<ShipNotice><OrderNumber><![CDATA[ A&B ]]></OrderNumber>"
        "<NotifyCustomer>Yes</NotifyCustomer></ShipNotice>"
    )
    notice = read_notice(body.encode("utf-8"))
    assert notice.order_number == "A&B"
    assert notice.notify_customer
