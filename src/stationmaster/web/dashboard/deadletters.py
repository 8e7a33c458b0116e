"""Dead letters: the list, one letter's page, replay (one or a selection), dismiss with a note.

Replay goes through :func:`stationmaster.db.replay` (the outbox's coalescing rules, so it
never duplicates) and answers inline: the row says what happened, then keeps watching the
order until ShipStation accepts it, refuses it again, or it leaves the queue otherwise.
"""

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Final, Literal, cast, get_args
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from stationmaster import db
from stationmaster.db.dashboard import (
    Followup,
    connection_names,
    dead_letter_page,
    dismiss_dead_letters,
    followups,
    get_letter_views,
)
from stationmaster.web.dashboard.errors import Refusal
from stationmaster.web.dashboard.forms import Form, query_text, read_form, whole_number
from stationmaster.web.dashboard.guard import Viewer, is_htmx, safe_next
from stationmaster.web.dashboard.orders import order_url
from stationmaster.web.dashboard.setup import Dashboard
from stationmaster.web.dashboard.templating import render, when

StateFilter = Literal["open", "replayed", "resolved", "any"]
STATE_FILTERS: Final[tuple[str, ...]] = get_args(StateFilter)
#: Most dead letters one action takes.
MAX_SELECTION: Final = 500

OutcomeKind = Literal["replayed", "resolved", "kept", "dismissed", "not_open"]


@dataclass(frozen=True, slots=True)
class Outcome:
    """What an action did to one dead letter, in a sentence."""

    kind: OutcomeKind
    message: str


@dataclass(frozen=True, slots=True)
class Listing:
    connection: str | None
    state: StateFilter
    before: int | None

    def query(self, **changes: Any) -> str:
        values = {"connection": self.connection, "state": self.state, "before": self.before}
        values.update(changes)
        return urlencode({k: v for k, v in values.items() if v is not None})


def _listing(connection: str | None, state: str | None, before: int | None) -> Listing:
    chosen = state or "open"
    if chosen not in STATE_FILTERS:
        raise Refusal(400, f"state must be one of {', '.join(STATE_FILTERS)}, got {chosen!r}")
    return Listing(connection, cast(StateFilter, chosen), before)


def _listing_from_query(request: Request) -> Listing:
    before = query_text(request, "before", max_length=20)
    return _listing(
        query_text(request, "connection", max_length=100),
        query_text(request, "state", max_length=20),
        whole_number("before", before) if before is not None else None,
    )


def _listing_from_form(form: Form) -> Listing:
    before = form.first("before")
    return _listing(
        (form.first("connection") or "").strip() or None,
        form.first("state"),
        whole_number("before", before) if before else None,
    )


def _selected(form: Form) -> list[int]:
    """The ticked dead letter ids, each once, in the order the page sent them."""
    ids = list(dict.fromkeys(whole_number("dead letter id", v) for v in form.all("id")))
    if not ids:
        raise Refusal(422, "select at least one dead letter")
    if len(ids) > MAX_SELECTION:
        raise Refusal(422, f"select at most {MAX_SELECTION} dead letters at a time")
    return ids


def followup_message(followup: Followup) -> str:
    """One sentence saying where a replayed order has got to."""
    if followup.kind == "accepted":
        order = f" as order {followup.order_id}" if followup.order_id is not None else ""
        return f"accepted by ShipStation{order} at {when(followup.at)}"
    if followup.kind == "failed_again":
        return f"refused again: {followup.reason} (dead letter #{followup.letter_id})"
    if followup.kind == "queued":
        if followup.attempts:
            why = f": {followup.reason}" if followup.reason else ""
            return f"queued; {followup.attempts} failed attempts{why}; next at {when(followup.at)}"
        return "waiting in the queue for the next push"
    return "no longer queued: see the order's story"


def replay_outcomes(result: db.ReplayResult, ids: Sequence[int]) -> dict[int, Outcome]:
    """A sentence for each of ``ids``: queued again, closed as sent, kept, or not open."""
    outcomes: dict[int, Outcome] = {}
    for letter_id in result.replayed:
        outcomes[letter_id] = Outcome("replayed", "queued again: waiting for the next push")
    for letter_id in result.resolved:
        outcomes[letter_id] = Outcome(
            "resolved", "closed without sending: ShipStation already has this payload"
        )
    for letter_id, reason in result.kept:
        why = "locked (shipped or cancelled)" if reason == "locked" else "frozen (split or merged)"
        outcomes[letter_id] = Outcome("kept", f"kept open: the order is {why} in ShipStation")
    for letter_id in ids:
        outcomes.setdefault(
            letter_id, Outcome("not_open", "not open: already replayed or dismissed")
        )
    return outcomes


def dead_letter_routes(
    router: APIRouter,
    dashboard: Dashboard,
    viewer: Callable[[Request], Awaitable[Viewer]],
    actor: Callable[[Request], Awaitable[Viewer]],
) -> None:
    page_size = dashboard.options.page_size

    async def listing_context(listing: Listing) -> dict[str, Any]:
        state = None if listing.state == "any" else listing.state
        async with dashboard.engine.connect() as conn:
            page = await dead_letter_page(
                conn,
                connection=listing.connection,
                state=state,
                before=listing.before,
                limit=page_size,
            )
            watched = await followups(conn, [view.letter for view in page.letters])
            names = await connection_names(conn)
        return {
            "listing": listing,
            "letters": page.letters,
            "total": page.total,
            "next_before": page.next_before,
            "followups": watched,
            "names": names,
            "states": STATE_FILTERS,
            "order_url": order_url,
            "followup_message": followup_message,
        }

    async def acted_context(
        outcomes: dict[int, Outcome], summary: str, listing: Listing
    ) -> dict[str, Any]:
        async with dashboard.engine.connect() as conn:
            views = await get_letter_views(conn, list(outcomes))
        acted = [(views[i], outcomes[i]) for i in outcomes if i in views]
        context = await listing_context(listing)
        return {**context, "acted": acted, "summary": summary}

    async def answer_selection(
        request: Request, who: Viewer, form: Form, outcomes: dict[int, Outcome], summary: str
    ) -> Response:
        listing = _listing_from_form(form)
        context = await acted_context(outcomes, summary, listing)
        context |= {"viewer": who, "section": "dead-letters"}
        template = "_letters.html" if is_htmx(request) else "dead_letters.html"
        return render(request, template, context)

    @router.get("/dead-letters", response_class=HTMLResponse)
    async def letters(request: Request, who: Annotated[Viewer, Depends(viewer)]) -> Response:
        context = await listing_context(_listing_from_query(request))
        context |= {"viewer": who, "section": "dead-letters", "acted": [], "summary": None}
        return render(request, "dead_letters.html", context)

    @router.get("/dead-letters/{letter_id}", response_class=HTMLResponse)
    async def letter(
        letter_id: int, request: Request, who: Annotated[Viewer, Depends(viewer)]
    ) -> Response:
        async with dashboard.engine.connect() as conn:
            view = (await get_letter_views(conn, [letter_id])).get(letter_id)
            if view is None:
                raise Refusal(404, f"no dead letter #{letter_id}")
            audit = (
                await db.get_audit_entry(conn, view.letter.audit_id)
                if view.letter.audit_id is not None
                else None
            )
            watched = await followups(conn, [view.letter])
        context = {
            "viewer": who,
            "section": "dead-letters",
            "view": view,
            "audit": audit,
            "outcome": None,
            "followup": watched.get(letter_id),
            "order_url": order_url,
            "followup_message": followup_message,
        }
        return render(request, "dead_letter.html", context)

    @router.post("/dead-letters/{letter_id}/replay", response_class=HTMLResponse)
    async def replay_one(
        letter_id: int, request: Request, who: Annotated[Viewer, Depends(actor)]
    ) -> Response:
        form = await read_form(request)
        async with dashboard.engine.begin() as conn:
            if not await get_letter_views(conn, [letter_id]):
                raise Refusal(404, f"no dead letter #{letter_id}")
            result = await db.replay(conn, [letter_id], now=dashboard.now())
        outcome = replay_outcomes(result, [letter_id])[letter_id]
        if not is_htmx(request):
            return RedirectResponse(f"/dead-letters/{letter_id}", status_code=303)
        async with dashboard.engine.connect() as conn:
            view = (await get_letter_views(conn, [letter_id]))[letter_id]
            watched = await followups(conn, [view.letter])
        detail = form.first("shape") == "detail"
        context = {
            "viewer": who,
            "view": view,
            "outcome": outcome,
            "followup": watched.get(letter_id),
            "order_url": order_url,
            "followup_message": followup_message,
            "selectable": True,
        }
        return render(request, "_letter_detail.html" if detail else "_letter_row.html", context)

    @router.get("/dead-letters/{letter_id}/progress", response_class=HTMLResponse)
    async def progress(
        letter_id: int, request: Request, who: Annotated[Viewer, Depends(viewer)]
    ) -> Response:
        async with dashboard.engine.connect() as conn:
            view = (await get_letter_views(conn, [letter_id])).get(letter_id)
            if view is None:
                raise Refusal(404, f"no dead letter #{letter_id}")
            watched = await followups(conn, [view.letter])
        context = {
            "view": view,
            "outcome": None,
            "followup": watched.get(letter_id),
            "followup_message": followup_message,
            "order_url": order_url,
        }
        return render(request, "_outcome.html", context)

    @router.post("/dead-letters/replay", response_class=HTMLResponse)
    async def replay_selected(request: Request, who: Annotated[Viewer, Depends(actor)]) -> Response:
        form = await read_form(request)
        ids = _selected(form)
        async with dashboard.engine.begin() as conn:
            result = await db.replay(conn, ids, now=dashboard.now())
        outcomes = replay_outcomes(result, ids)
        summary = (
            f"{len(result.replayed)} queued again, {len(result.resolved)} closed as already "
            f"sent, {len(result.kept)} kept open, "
            f"{len(ids) - len(result.replayed) - len(result.resolved) - len(result.kept)} "
            "not open"
        )
        return await answer_selection(request, who, form, outcomes, summary)

    @router.post("/dead-letters/dismiss", response_class=HTMLResponse)
    async def dismiss(request: Request, who: Annotated[Viewer, Depends(actor)]) -> Response:
        form = await read_form(request)
        ids = _selected(form)
        note = form.first("note") or ""
        try:
            async with dashboard.engine.begin() as conn:
                closed = await dismiss_dead_letters(conn, ids, note)
        except db.InvalidStateInput as exc:
            raise Refusal(422, f"nothing dismissed: {exc}") from None
        outcomes = {
            i: Outcome("dismissed", "dismissed")
            if i in closed
            else Outcome("not_open", "not open: already replayed or dismissed")
            for i in ids
        }
        back = form.first("back")
        if back and not is_htmx(request):
            return RedirectResponse(safe_next(back), status_code=303)
        summary = f"{len(closed)} dismissed, {len(ids) - len(closed)} not open"
        return await answer_selection(request, who, form, outcomes, summary)
