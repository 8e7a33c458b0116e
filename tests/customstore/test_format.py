"""Custom Store times (UTC, lenient), the document writer, the layout of an order, and the
ShipNotice reader."""

from datetime import UTC, date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st
from lxml import etree

from stationmaster.customstore.export import OrderShaper, export_rules, shape_order, write_order
from stationmaster.customstore.reader import NoticeError, read_notice
from stationmaster.customstore.writer import OrderText, export_document, xml_text
from stationmaster.sync.rules import load_rules
from stationmaster.testing.factories import plain_order
from stationmaster.wiretime import (
    WireTimeError,
    parse_customstore,
    parse_customstore_date,
    render_customstore,
    render_v1_filter,
)
from tests.customstore.support import SOURCE, assert_valid

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


def _document(**texts: str) -> bytes:
    """A one-order document whose order has the given free-text elements."""
    order = OrderText()
    for name, text in texts.items():
        order.text(name, text)
    return b"".join(export_document(1, [order.finish()]))


def test_cdata_splits_the_end_marker_and_drops_what_xml_forbids() -> None:
    text = "a]]>b\x01\x1f]]>"
    order = OrderText()
    order.text("Name", text)
    order.plain("N", "1\x0b")
    chunks = b"".join(export_document(1, [order.finish()]))
    root = etree.fromstring(chunks)
    assert root.findtext("Order/Name") == "a]]>b]]>"
    assert root.findtext("Order/N") == "1"
    assert b"]]]]><![CDATA[>" in chunks
    assert chunks.startswith(b'<?xml version="1.0" encoding="utf-8"?>')


@given(st.text())
def test_any_text_round_trips_through_cdata_minus_forbidden_characters(text: str) -> None:
    document = _document(T=text)
    expected = xml_text(text).replace("\r\n", "\n").replace("\r", "\n")  # XML line ends
    assert (etree.fromstring(document).findtext("Order/T") or "") == expected


@given(st.text())
def test_any_plain_value_round_trips_escaped_minus_forbidden_characters(text: str) -> None:
    order = OrderText()
    order.plain("P", text)
    document = b"".join(export_document(1, [order.finish()]))
    assert (etree.fromstring(document).findtext("Order/P") or "") == xml_text(text)


def test_absent_values_are_left_out_and_children_nest() -> None:
    order = OrderText()
    order.text("Gone", None)
    order.plain("AlsoGone", None)
    order.start("Items")
    order.start("Item")
    order.plain("Quantity", "2")
    order.text("Empty", "")
    order.end("Item")
    order.end("Items")
    written = order.finish()
    assert written == (
        b"<Order><Items><Item><Quantity>2</Quantity><Empty><![CDATA[]]></Empty>"
        b"</Item></Items></Order>"
    )


def test_the_document_comes_one_order_per_chunk() -> None:
    orders = []
    for number in ("1", "2", "3"):
        order = OrderText()
        order.text("OrderNumber", number)
        orders.append(order.finish())
    chunks = list(export_document(2, orders))
    assert len(chunks) == 4
    assert chunks[0].startswith(b'<?xml version="1.0" encoding="utf-8"?>\n<Orders pages="2">')
    assert chunks[1:] == [orders[1], orders[2], b"</Orders>"]
    root = etree.fromstring(b"".join(chunks))
    assert [o.findtext("OrderNumber") for o in root.iterfind("Order")] == ["1", "2", "3"]
    empty = b"".join(export_document(0, []))
    assert etree.fromstring(empty).get("pages") == "0"
    assert len(etree.fromstring(empty)) == 0


@pytest.mark.parametrize("text", ["]", "x]", "[note]", "a]]", "]]]", "a]b]", "x]]>y]"])
def test_text_ending_in_a_bracket_is_written_intact(text: str) -> None:
    document = _document(T=text)
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


PLAIN_ORDER = (
    b"<Order><OrderID><![CDATA[1001]]></OrderID><OrderNumber><![CDATA[SM-1001]]></OrderNumber>"
    b"<OrderDate>11/20/2026 17:00</OrderDate><OrderStatus><![CDATA[cancelled]]></OrderStatus>"
    b"<LastModified>11/21/2026 08:00</LastModified>"
    b"<ShippingMethod><![CDATA[UPS Ground]]></ShippingMethod>"
    b"<PaymentMethod><![CDATA[Credit Card]]></PaymentMethod><OrderTotal>82.92</OrderTotal>"
    b"<TaxAmount>6.92</TaxAmount><ShippingAmount>8.50</ShippingAmount><Gift>false</Gift>"
    b"<Source><![CDATA[shop]]></Source><Customer><CustomerCode><![CDATA[mkim]]></CustomerCode>"
    b"<BillTo><Name><![CDATA[Min Kim]]></Name><Phone><![CDATA[206-555-0117]]></Phone>"
    b"<Email><![CDATA[min.kim@example.com]]></Email><Address1><![CDATA[9 Harbor Way]]></Address1>"
    b"<City><![CDATA[Seattle]]></City><State><![CDATA[WA]]></State>"
    b"<PostalCode><![CDATA[98101]]></PostalCode><Country><![CDATA[US]]></Country></BillTo>"
    b"<ShipTo><Name><![CDATA[Min Kim]]></Name><Address1><![CDATA[9 Harbor Way]]></Address1>"
    b"<Address2><![CDATA[Unit 4]]></Address2><City><![CDATA[Seattle]]></City>"
    b"<State><![CDATA[WA]]></State><PostalCode><![CDATA[98101]]></PostalCode>"
    b"<Country><![CDATA[US]]></Country><Phone><![CDATA[206-555-0117]]></Phone></ShipTo>"
    b"</Customer><Items><Item><LineItemID><![CDATA[li-1]]></LineItemID>"
    b"<SKU><![CDATA[TEAPOT-CER-1L]]></SKU><Name><![CDATA[Ceramic Teapot 1 L]]></Name>"
    b"<Weight>28.00</Weight><WeightUnits>Ounces</WeightUnits><Quantity>1</Quantity>"
    b"<UnitPrice>39.00</UnitPrice><Location><![CDATA[C1-03]]></Location><Options><Option>"
    b"<Name><![CDATA[Glaze]]></Name><Value><![CDATA[Celadon]]></Value></Option></Options></Item>"
    b"<Item><LineItemID><![CDATA[li-2]]></LineItemID><SKU><![CDATA[TEA-SENCHA-100]]></SKU>"
    b"<Name><![CDATA[Loose Leaf Sencha 100 g]]></Name><Weight>4.00</Weight>"
    b"<WeightUnits>Ounces</WeightUnits><Quantity>3</Quantity><UnitPrice>9.50</UnitPrice></Item>"
    b"</Items></Order>"
)


@pytest.mark.parametrize("shortcut", [True, False])
def test_the_plain_order_is_written_exactly_so(shortcut: bool) -> None:
    order = plain_order()
    rules = export_rules(load_rules())
    now = datetime(2026, 11, 21, tzinfo=UTC)
    shaped = (
        OrderShaper(rules, SOURCE).shape(order, now)
        if shortcut
        else shape_order(order, rules, source=SOURCE, now=now)
    )
    assert shaped is not None and shaped[1] == 0
    written = write_order(order, datetime(2026, 11, 21, 8, 0, tzinfo=UTC), "cancelled", shaped[0])
    assert written == PLAIN_ORDER
    assert_valid(b"".join(export_document(1, [written])))
