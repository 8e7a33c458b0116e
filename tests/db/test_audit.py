"""The audit log: secrets redacted (headers, query, JSON at any depth), bodies capped."""

import json
from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.ext.asyncio import AsyncEngine

from stationmaster.db import (
    claim,
    enqueue,
    get_audit_entry,
    get_dead_letter,
    prune_audit_log,
    record_exchange,
    record_failure,
    redact_headers,
    redact_json_text,
    redact_url,
)
from stationmaster.db.redaction import SENSITIVE_NAME, cap_text, redact_text
from stationmaster.errors import Resolution
from stationmaster.shipstation.client import Exchange
from tests.db.support import T0, at, order

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "https://ssapi.shipstation.com/orders?orderNumber=A%201&page=2",
            "https://ssapi.shipstation.com/orders?orderNumber=A%201&page=2",
        ),
        (
            "https://h/customstore?action=export&SS-UserName=me&SS-Password=pw%21",
            "https://h/customstore?action=export&SS-UserName=me&SS-Password=[redacted]",
        ),
        (
            "https://h/x?api_key=a&apikey=b&API-KEY=c&client_secret=d&access_token=e&q=1",
            "https://h/x?api_key=[redacted]&apikey=[redacted]&API-KEY=[redacted]"
            "&client_secret=[redacted]&access_token=[redacted]&q=1",
        ),
        ("https://user:pw@h/x#frag", "https://user:[redacted]@h/x#frag"),
        ("https://h/x?token", "https://h/x?token"),  # a flag with no value holds no secret
        ("/relative/path?password=x", "/relative/path?password=[redacted]"),
    ],
)
def test_redact_url(url: str, expected: str) -> None:
    assert redact_url(url) == expected


def test_redact_json_text_at_any_depth() -> None:
    body = {
        "orderKey": "k1",
        "apiKey": "AAA",
        "advancedOptions": {"customField1": "x", "Password": "BBB", "tokenised": None},
        "items": [{"sku": "s", "secret": {"nested": "CCC"}}],
        "webhook": {"target_url": "https://me/hook?token=DDD&x=1"},
    }
    redacted = json.loads(redact_json_text(json.dumps(body)))
    assert redacted == {
        "orderKey": "k1",
        "apiKey": "[redacted]",
        "advancedOptions": {"customField1": "x", "Password": "[redacted]", "tokenised": None},
        "items": [{"sku": "s", "secret": "[redacted]"}],
        "webhook": {"target_url": "https://me/hook?token=[redacted]&x=1"},
    }


def test_redact_json_text_leaves_clean_and_non_json_bodies_as_they_were() -> None:
    clean = '{ "orderKey" : "k1",  "n": 1.50 }'
    assert redact_json_text(clean) == clean
    assert redact_json_text("<html>see https://h/x?secret=s</html>") == (
        "<html>see https://h/x?secret=[redacted]</html>"
    )
    assert redact_json_text("") == ""


_NAME_PIECES = st.sampled_from(
    [
        "api",
        "_",
        "-",
        "key",
        "Key",
        "KEY",
        "secret",
        "pass",
        "word",
        "passwd",
        "tok",
        "en",
        "ſ",
        "İ",
        "ı",
        "K",
        "é",
        "x",
        '"',
        ":",
    ]
)


@given(st.lists(_NAME_PIECES | st.text(max_size=3), max_size=12).map("".join))
def test_a_body_passed_untouched_never_holds_a_sensitive_name(text: str) -> None:
    """The fast check that lets clean bodies through unparsed never misses what the pattern sees,
    however the name is cased or spelled outside ASCII."""
    body = json.dumps({text: "v"}, ensure_ascii=False)
    if SENSITIVE_NAME.search(text) is not None:
        assert redact_json_text(body) != body


def test_redact_headers() -> None:
    headers = {
        "Authorization": "Basic abc",
        "Set-Cookie": "s=1",
        "cookie": "s=1",
        "Proxy-Authorization": "x",
        "X-Api-Key": "k",
        "X-Rate-Limit-Remaining": "39",
    }
    assert redact_headers(headers) == {
        "Authorization": "[redacted]",
        "Set-Cookie": "[redacted]",
        "cookie": "[redacted]",
        "Proxy-Authorization": "[redacted]",
        "X-Api-Key": "[redacted]",
        "X-Rate-Limit-Remaining": "39",
    }


def test_cap_text_counts_bytes_and_never_splits_a_character() -> None:
    assert cap_text("short", 10) == "short"
    assert cap_text("a" * 12, 10) == "a" * 10 + "…[truncated 2 bytes]"
    # "é" is two bytes: the cut falls inside the sixth one, which is dropped whole.
    assert cap_text("é" * 10, 11) == "é" * 5 + "…[truncated 10 bytes]"


def test_redact_text_finds_urls_inside_messages() -> None:
    message = "ConnectError: https://u:p@h/x?api_key=1 refused; retry https://h/ok"
    assert redact_text(message) == (
        "ConnectError: https://u:[redacted]@h/x?api_key=[redacted] refused; retry https://h/ok"
    )


def _exchange(**changes: object) -> Exchange:
    values: dict[str, object] = {
        "key_id": "key-1",
        "method": "POST",
        "url": "https://ssapi.shipstation.com/orders/createorders?apiKey=zzz",
        "request_body": json.dumps([{"orderKey": "a", "customer": {"password": "pw"}}]),
        "status": 200,
        "response_body": json.dumps({"hasErrors": False, "token": "t"}),
        "response_headers": {"Set-Cookie": "sid=1", "X-Rate-Limit-Remaining": "38"},
        "attempt": 2,
        "seconds": 0.25,
        "error": None,
    }
    values.update(changes)
    return Exchange(**values)  # type: ignore[arg-type]


async def test_recorded_exchanges_keep_no_secret(engine: AsyncEngine, shop: str) -> None:
    async with engine.begin() as conn:
        audit_id = await record_exchange(conn, _exchange(), shop, now=T0)
        entry = await get_audit_entry(conn, audit_id)
    assert entry is not None
    stored = repr(entry)
    for secret in ("zzz", '"pw"', '"t"', "sid=1"):
        assert secret not in stored
    assert entry.url.endswith("?apiKey=[redacted]")
    assert json.loads(entry.request_body or "") == [
        {"orderKey": "a", "customer": {"password": "[redacted]"}}
    ]
    assert entry.response_headers == {"Set-Cookie": "[redacted]", "X-Rate-Limit-Remaining": "38"}
    assert (entry.at, entry.connection, entry.key_id, entry.status, entry.attempt) == (
        T0,
        shop,
        "key-1",
        200,
        2,
    )
    assert entry.seconds == pytest.approx(0.25)


async def test_bodies_are_capped_after_redaction(engine: AsyncEngine) -> None:
    big = json.dumps({"password": "p" * 100, "notes": "n" * 5000})
    failed = _exchange(
        request_body=big,
        response_body=None,
        status=None,
        error="ReadTimeout: https://h/x?token=abc " + "x" * 1500,
    )
    async with engine.begin() as conn:
        audit_id = await record_exchange(conn, failed, cap=1000)
        entry = await get_audit_entry(conn, audit_id)
    assert entry is not None
    assert entry.request_body is not None
    assert entry.request_body.startswith('{"password":"[redacted]","notes":"nnn')
    dropped = len(redact_json_text(big).encode()) - 1000
    assert entry.request_body.endswith(f"…[truncated {dropped} bytes]")
    assert len(entry.request_body.encode()) <= 1000 + len(f"…[truncated {dropped} bytes]".encode())
    assert (entry.response_body, entry.status, entry.connection) == (None, None, None)
    assert entry.error is not None
    assert "abc" not in entry.error
    assert entry.error.startswith("ReadTimeout: https://h/x?token=[redacted] xxx")
    assert entry.error.endswith(f"…[truncated {42 + 1500 - 1000} bytes]")


async def test_prune_keeps_entries_open_dead_letters_point_to(
    engine: AsyncEngine, shop: str
) -> None:
    async with engine.begin() as conn:
        old = await record_exchange(conn, _exchange(), shop, now=T0)
        cited = await record_exchange(conn, _exchange(), shop, now=T0)
        recent = await record_exchange(conn, _exchange(), shop, now=at(3600))
        await enqueue(conn, shop, [order("a")], now=T0)
        [row] = await claim(conn, shop, now=T0)
        outcome = await record_failure(
            conn, row, Resolution("fail_record", "bad"), "bad", cited, now=T0
        )
        assert await prune_audit_log(conn, T0 + timedelta(minutes=1)) == 1
        assert await get_audit_entry(conn, old) is None
        assert await get_audit_entry(conn, cited) is not None
        assert await get_audit_entry(conn, recent) is not None
        assert outcome.dead_letter_id is not None
        letter = await get_dead_letter(conn, outcome.dead_letter_id)
    assert letter is not None
    assert letter.audit_id == cited
