"""Dead letters on the dashboard: the list, replay reported inline and followed to its end,
replay of a selection, dismissal with a note; bad input refused with nothing changed."""

from datetime import timedelta

import httpx2
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from stationmaster import db
from stationmaster.db.dashboard import get_letter_views
from stationmaster.db.tables import outbox
from stationmaster.errors import Resolution
from tests.web.dashboard.support import (
    HTMX,
    NOW,
    add_connections,
    counting_queries,
    minutes_ago,
    park_letter,
    record_call,
    session_csrf,
    text_of,
)

pytestmark = pytest.mark.anyio


async def _state(engine: AsyncEngine, letter_id: int) -> tuple[str, str | None]:
    async with engine.connect() as conn:
        view = (await get_letter_views(conn, [letter_id]))[letter_id]
    return view.letter.state, view.note


async def _queued(engine: AsyncEngine) -> list[str]:
    async with engine.connect() as conn:
        return list(
            (await conn.execute(select(outbox.c.order_key).order_by(outbox.c.order_key))).scalars()
        )


async def test_the_list_shows_reason_attempts_and_payload(
    shop: AsyncEngine, logged_in: httpx2.AsyncClient
) -> None:
    await park_letter(shop, "shop", "shop:1", minutes_ago(5), reason="Invalid postal code")
    page = await logged_in.get("/dead-letters")
    assert page.status_code == 200
    text = text_of(page)
    assert "1 dead letter open" in text
    assert "Invalid postal code" in text
    assert '"orderKey": "shop:1"' in text  # the payload
    assert "Replay #1" in text
    detail = await logged_in.get("/dead-letters/1")
    assert "Invalid postal code" in text_of(detail)
    assert "No exchange is linked" in text_of(detail)


async def test_a_letter_shows_its_last_exchange(
    shop: AsyncEngine, logged_in: httpx2.AsyncClient
) -> None:
    audit = await record_call(
        shop, "shop", minutes_ago(6), status=400, response={"Message": "The request is invalid."}
    )
    letter = await park_letter(shop, "shop", "shop:1", minutes_ago(5), audit_id=audit)
    detail = text_of(await logged_in.get(f"/dead-letters/{letter}"))
    assert "→ 400" in detail
    assert "The request is invalid." in detail
    missing = await logged_in.get("/dead-letters/999")
    assert missing.status_code == 404


async def test_replay_reports_inline_then_follows_the_order_until_accepted(
    shop: AsyncEngine, logged_in: httpx2.AsyncClient
) -> None:
    letter = await park_letter(shop, "shop", "shop:1", minutes_ago(5))
    token = await session_csrf(logged_in)
    answer = await logged_in.post(
        f"/dead-letters/{letter}/replay",
        data={"shape": "row"},
        headers={**HTMX, "X-CSRF-Token": token},
    )
    assert answer.status_code == 200
    assert answer.text.lstrip().startswith(f'<tr id="letter-{letter}">')
    assert "Replayed: waiting in the queue for the next push" in text_of(answer)
    assert f'hx-get="/dead-letters/{letter}/progress"' in answer.text
    assert await _queued(shop) == ["shop:1"]
    assert (await _state(shop, letter))[0] == "replayed"
    async with shop.begin() as conn:  # the push sends it, and ShipStation takes it
        rows = await db.claim(conn, "shop", 10)
        await db.record_successes(conn, [(rows[0], 4242, "awaiting_shipment")])
    progress = await logged_in.get(f"/dead-letters/{letter}/progress", headers=HTMX)
    assert "accepted by ShipStation as order 4242" in text_of(progress)
    assert "hx-get" not in progress.text  # settled: the row stops asking


async def test_a_replayed_order_refused_again_says_so(
    shop: AsyncEngine, logged_in: httpx2.AsyncClient
) -> None:
    letter = await park_letter(shop, "shop", "shop:1", minutes_ago(5))
    token = await session_csrf(logged_in)
    await logged_in.post(f"/dead-letters/{letter}/replay", headers={**HTMX, "X-CSRF-Token": token})
    async with shop.begin() as conn:
        rows = await db.claim(conn, "shop", 10)
        outcome = await db.record_failure(
            conn, rows[0], Resolution("fail_record", "still bad"), "still bad"
        )
    progress = text_of(await logged_in.get(f"/dead-letters/{letter}/progress"))
    assert f"refused again: still bad (dead letter #{outcome.dead_letter_id})" in progress


async def test_replaying_twice_or_an_unknown_letter_is_reported(
    shop: AsyncEngine, logged_in: httpx2.AsyncClient
) -> None:
    letter = await park_letter(shop, "shop", "shop:1", minutes_ago(5))
    token = await session_csrf(logged_in)
    headers = {**HTMX, "X-CSRF-Token": token}
    await logged_in.post(f"/dead-letters/{letter}/replay", headers=headers)
    again = await logged_in.post(
        f"/dead-letters/{letter}/replay", data={"shape": "detail"}, headers=headers
    )
    assert again.status_code == 200
    assert again.text.lstrip().startswith('<div id="letter-detail">')
    assert "Replayed: waiting in the queue" in text_of(again)
    assert "Replay #" not in again.text  # nothing left to replay
    assert await _queued(shop) == ["shop:1"]  # still one row: a replay never duplicates
    unknown = await logged_in.post("/dead-letters/999/replay", headers=headers)
    assert unknown.status_code == 404
    assert "no dead letter #999" in unknown.text


async def test_replay_without_htmx_goes_to_the_letter(
    shop: AsyncEngine, logged_in: httpx2.AsyncClient
) -> None:
    letter = await park_letter(shop, "shop", "shop:1", minutes_ago(5))
    token = await session_csrf(logged_in)
    answer = await logged_in.post(f"/dead-letters/{letter}/replay", data={"csrf_token": token})
    assert answer.status_code == 303
    assert answer.headers["location"] == f"/dead-letters/{letter}"
    detail = text_of(await logged_in.get(answer.headers["location"]))
    assert "Replayed: waiting in the queue" in detail


async def test_replaying_a_selection_reports_each(
    shop: AsyncEngine, logged_in: httpx2.AsyncClient
) -> None:
    first = await park_letter(shop, "shop", "shop:1", minutes_ago(5))
    second = await park_letter(shop, "shop", "shop:2", minutes_ago(4))
    locked = await park_letter(shop, "shop", "shop:3", minutes_ago(3))
    async with shop.begin() as conn:
        await db.update_sync_record(conn, "shop", "shop:3", remote_status="shipped")
    token = await session_csrf(logged_in)
    answer = await logged_in.post(
        "/dead-letters/replay",
        data={"id": [str(first), str(second), str(locked)], "state": "open"},
        headers={**HTMX, "X-CSRF-Token": token},
    )
    assert answer.status_code == 200
    text = text_of(answer)
    assert answer.text.lstrip().startswith('<section id="letters"')
    assert "2 queued again, 0 closed as already sent, 1 kept open, 0 not open" in text
    assert "kept open: the order is locked (shipped or cancelled) in ShipStation" in text
    assert await _queued(shop) == ["shop:1", "shop:2"]


async def test_dismissing_keeps_the_note(shop: AsyncEngine, logged_in: httpx2.AsyncClient) -> None:
    first = await park_letter(shop, "shop", "shop:1", minutes_ago(5))
    second = await park_letter(shop, "shop", "shop:2", minutes_ago(4))
    token = await session_csrf(logged_in)
    answer = await logged_in.post(
        "/dead-letters/dismiss",
        data={"id": [str(first), str(second)], "note": "entered by hand in ShipStation"},
        headers={**HTMX, "X-CSRF-Token": token},
    )
    assert answer.status_code == 200
    assert "2 dismissed, 0 not open" in text_of(answer)
    assert await _state(shop, first) == ("resolved", "entered by hand in ShipStation")
    assert await _queued(shop) == []
    resolved = text_of(await logged_in.get("/dead-letters?state=resolved"))
    assert "resolved: “entered by hand in ShipStation”" in resolved


async def test_dismissing_from_the_letter_page_goes_back_to_it(
    shop: AsyncEngine, logged_in: httpx2.AsyncClient
) -> None:
    letter = await park_letter(shop, "shop", "shop:1", minutes_ago(5))
    token = await session_csrf(logged_in)
    answer = await logged_in.post(
        "/dead-letters/dismiss",
        data={
            "id": str(letter),
            "note": "duplicate",
            "back": f"/dead-letters/{letter}",
            "csrf_token": token,
        },
    )
    assert answer.status_code == 303
    assert answer.headers["location"] == f"/dead-letters/{letter}"
    assert await _state(shop, letter) == ("resolved", "duplicate")


@pytest.mark.parametrize(
    ("form", "status", "message"),
    [
        ({"id": "1", "note": "   "}, 422, "nothing dismissed: a dismissal needs a note saying why"),
        ({"id": "1", "note": "x" * 2001}, 422, "longer than 2000 characters"),
        ({"note": "why"}, 422, "select at least one dead letter"),
        ({"id": "one", "note": "why"}, 400, "dead letter id must be a whole number"),
        ({"id": [str(n) for n in range(1, 502)], "note": "why"}, 422, "at most 500"),
    ],
)
async def test_a_bad_dismissal_changes_nothing(
    shop: AsyncEngine,
    logged_in: httpx2.AsyncClient,
    form: dict[str, object],
    status: int,
    message: str,
) -> None:
    letter = await park_letter(shop, "shop", "shop:1", minutes_ago(5))
    token = await session_csrf(logged_in)
    answer = await logged_in.post(
        "/dead-letters/dismiss",
        data=form,
        headers={"X-CSRF-Token": token},  # type: ignore[arg-type]
    )
    assert answer.status_code == status
    assert message in text_of(answer)
    assert await _state(shop, letter) == ("open", None)


async def test_the_list_filters_and_pages_in_a_few_queries(
    shop: AsyncEngine, logged_in: httpx2.AsyncClient
) -> None:
    await add_connections(shop, ["outlet"])
    for n in range(60):
        await park_letter(shop, "shop", f"shop:{n}", NOW - timedelta(minutes=60 - n))
    await park_letter(shop, "outlet", "outlet:1", NOW)
    await logged_in.get("/dead-letters")
    with counting_queries(shop) as counted:
        first = await logged_in.get("/dead-letters?connection=shop")
    assert counted.count <= 4, counted.statements
    text = text_of(first)
    assert "60 dead letters open in shop" in text
    assert "#60" in text and "#11" in text and "#10<" not in text  # newest 50 first
    assert "outlet:1" not in text
    older = text_of(await logged_in.get("/dead-letters?connection=shop&before=11"))
    assert "#10" in older and "#1<" in older and "#11<" not in older
    async with shop.begin() as conn:
        await db.replay(conn, [55, 56, 57])
    with counting_queries(shop) as watching:
        everything = await logged_in.get("/dead-letters?state=any")
    assert watching.count <= 6, watching.statements  # and three to follow the replayed ones
    assert text_of(everything).count("Replayed: waiting in the queue") == 3
    bad = await logged_in.get("/dead-letters?state=lost")
    assert bad.status_code == 400
    assert "state must be one of open, replayed, resolved, any" in text_of(bad)
