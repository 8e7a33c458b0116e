"""ShipStation's side of the Custom Store protocol: pulling exports and posting ship notices.

A refresh GETs ``<url>?action=export&start_date=…&end_date=…&page=N`` (UTC
``MM/dd/yyyy HH:mm``) for every page the first answer announces, and only when every page came
back as usable XML does it import anything: orders are created or updated by the store's
status mapping (``orderKey`` = ``OrderID``), unmapped statuses are skipped as ShipStation skips
them (``custom-store-xml.md`` §3, §5, §7). A 401, a 500, invalid XML or a DOCTYPE fails the
whole pull and changes nothing; the :class:`PullResult` says what happened.

Ship notices (:mod:`stationmaster.emulator.shipnotice` queues them) are POSTed here; each
answer is kept as a :class:`NoticeResult` and marks the shipment (or fulfillment)
``marketplaceNotified`` or gives it a ``notifyErrorMessage``, as ShipStation's shipments show.

Credentials go as a Basic header and/or the ``SS-UserName``/``SS-Password`` query pair, per
the store's setup; they never appear in a result, an error or a log line.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal
from urllib.parse import quote_plus, urlencode

import httpx2
from pydantic import JsonValue

from stationmaster.emulator.backend import Backend
from stationmaster.emulator.orderlogic import upsert_order
from stationmaster.emulator.state import PendingNotice, RefreshState, clone
from stationmaster.emulator.storelink import CustomStoreLink
from stationmaster.emulator.webhooks import queue_order_notify
from stationmaster.emulator.wire import short_stamp
from stationmaster.emulator.xmlorders import (
    ExportedOrder,
    ExportError,
    ExportPage,
    parse_export,
    render_export_date,
)

USER_AGENT = "ShipStation-Emulator-CustomStore/1.0"


@dataclass(frozen=True)
class PageFetch:
    """One export GET: the page asked for and the shop's answer status (``None``: no answer)."""

    page: int
    status: int | None
    error: str | None = None

    def to_json(self) -> dict[str, JsonValue]:
        return {"page": self.page, "status": self.status, "error": self.error}


@dataclass(frozen=True)
class PullResult:
    """What one refresh of a Custom Store did."""

    store_id: int
    start: datetime
    end: datetime
    outcome: Literal["imported", "failed"]
    #: ``pages`` as the first page announced it (0 for an empty window).
    pages: int
    fetches: tuple[PageFetch, ...]
    #: Order numbers created, updated, and left as they were (locked orders).
    created: tuple[str, ...] = ()
    updated: tuple[str, ...] = ()
    unchanged: tuple[str, ...] = ()
    #: (order number, shop status) of orders whose status no setup field lists.
    skipped: tuple[tuple[str, str], ...] = ()
    #: (order number, reason) of orders that could not be imported.
    refused: tuple[tuple[str, str], ...] = ()
    error: str | None = None

    def to_json(self) -> dict[str, JsonValue]:
        return {
            "store_id": self.store_id,
            "start_date": render_export_date(self.start),
            "end_date": render_export_date(self.end),
            "outcome": self.outcome,
            "pages": self.pages,
            "fetches": [f.to_json() for f in self.fetches],
            "created": list(self.created),
            "updated": list(self.updated),
            "unchanged": list(self.unchanged),
            "skipped": [{"order_number": n, "status": s} for n, s in self.skipped],
            "refused": [{"order_number": n, "reason": r} for n, r in self.refused],
            "error": self.error,
        }


@dataclass(frozen=True)
class NoticeResult:
    """What happened to one shipnotify POST."""

    notice_id: int
    store_id: int
    order_number: str
    shipment_id: int | None
    fulfillment_id: int | None
    params: dict[str, str]
    outcome: Literal["delivered", "failed"]
    status: int | None
    attempts: int
    error: str | None = None

    def to_json(self) -> dict[str, JsonValue]:
        return {
            "notice_id": self.notice_id,
            "store_id": self.store_id,
            "order_number": self.order_number,
            "shipment_id": self.shipment_id,
            "fulfillment_id": self.fulfillment_id,
            "params": dict(self.params),
            "outcome": self.outcome,
            "status": self.status,
            "attempts": self.attempts,
            "error": self.error,
        }


class PullFailed(Exception):
    """A pull that must import nothing; it keeps the fetches made before it failed."""

    def __init__(self, message: str, pages: int, fetches: list[PageFetch]) -> None:
        super().__init__(message)
        self.pages = pages
        self.fetches = tuple(fetches)


def _redact(text: str, link: CustomStoreLink) -> str:
    for secret in {link.password, quote_plus(link.password)}:
        text = text.replace(secret, "***")
    return text


def _error(exc: Exception, link: CustomStoreLink) -> str:
    return _redact(f"{type(exc).__name__}: {exc}", link)


def signed_url(link: CustomStoreLink, params: Iterable[tuple[str, str]]) -> str:
    """``link.url`` with ``params`` appended (its own query kept) and, per setup, credentials."""
    pairs = list(params)
    if link.credentials in ("query", "both"):
        pairs += [
            (link.query_user_param, link.username),
            (link.query_password_param, link.password),
        ]
    joiner = "&" if "?" in link.url else "?"
    return f"{link.url}{joiner}{urlencode(pairs)}"


def auth_headers(link: CustomStoreLink) -> dict[str, str]:
    if link.credentials == "query":
        return {}
    token = base64.b64encode(f"{link.username}:{link.password}".encode()).decode("ascii")
    return {"Authorization": f"Basic {token}"}


def client(backend: Backend, transport: httpx2.AsyncBaseTransport | None) -> httpx2.AsyncClient:
    return httpx2.AsyncClient(
        transport=transport,
        timeout=backend.config.customstore_timeout_seconds,
        headers={"User-Agent": USER_AGENT},
    )


async def _get_page(
    http: httpx2.AsyncClient,
    link: CustomStoreLink,
    start: datetime,
    end: datetime,
    page: int,
    fetches: list[PageFetch],
    pages: int,
) -> ExportPage:
    url = signed_url(
        link,
        (
            ("action", "export"),
            ("start_date", render_export_date(start)),
            ("end_date", render_export_date(end)),
            ("page", str(page)),
        ),
    )
    try:
        async with http.stream("GET", url, headers=auth_headers(link)) as response:
            body = bytearray()
            async for chunk in response.aiter_bytes():
                body += chunk
                if len(body) > link.max_body_bytes:
                    fetches.append(PageFetch(page, response.status_code, "body too large"))
                    raise PullFailed(
                        f"page {page}: the answer is larger than {link.max_body_bytes} bytes",
                        pages,
                        fetches,
                    )
    except httpx2.HTTPError as exc:
        message = _error(exc, link)
        fetches.append(PageFetch(page, None, message))
        raise PullFailed(f"page {page}: no answer ({message})", pages, fetches) from None
    status = response.status_code
    if status != 200:
        fetches.append(PageFetch(page, status, f"answered {status}"))
        raise PullFailed(f"page {page}: the store answered {status}", pages, fetches)
    try:
        parsed = parse_export(bytes(body))
    except ExportError as exc:
        fetches.append(PageFetch(page, status, str(exc)))
        raise PullFailed(f"page {page}: {exc}", pages, fetches) from None
    fetches.append(PageFetch(page, status))
    return parsed


async def fetch_export(
    http: httpx2.AsyncClient, link: CustomStoreLink, start: datetime, end: datetime
) -> tuple[list[ExportPage], list[PageFetch]]:
    """Every page of the window, or :class:`PullFailed` (with the fetches made so far)."""
    fetches: list[PageFetch] = []
    first = await _get_page(http, link, start, end, 1, fetches, 0)
    if first.pages > link.max_pages:
        raise PullFailed(
            f"the store announced {first.pages} pages, more than max_pages={link.max_pages}",
            first.pages,
            fetches,
        )
    pages = [first]
    for number in range(2, first.pages + 1):
        pages.append(await _get_page(http, link, start, end, number, fetches, first.pages))
    return pages, fetches


@dataclass
class _Tally:
    created: list[str]
    updated: list[str]
    unchanged: list[str]
    skipped: list[tuple[str, str]]
    refused: list[tuple[str, str]]


def _existing(backend: Backend, key: str, store_id: int) -> bool:
    account = backend.account
    return any(
        i not in account.inactive_orders
        and account.orders[i]["advancedOptions"]["storeId"] == store_id
        for i in account.order_keys.get(key, ())
    )


def _import_one(
    backend: Backend, store_id: int, link: CustomStoreLink, exported: ExportedOrder, tally: _Tally
) -> int | None:
    """Create or update one exported order; the order id if ORDER_NOTIFY should fire."""
    label = exported.order_number or exported.order_id or "(no number)"
    if exported.problem is not None:
        tally.refused.append((label, exported.problem))
        return None
    status = link.status_for(exported.status or "")
    if status is None:
        tally.skipped.append((label, exported.status or ""))
        return None
    key = exported.order_id or exported.order_number
    if key is None:
        tally.refused.append((label, "the order has neither OrderID nor OrderNumber"))
        return None
    fields = exported.fields
    raw = {
        **fields,
        "orderKey": key,
        "orderStatus": status,
        "advancedOptions": {**fields["advancedOptions"], "storeId": store_id},
    }
    existed = _existing(backend, key, store_id)
    result = upsert_order(backend, raw, trusted=link.reopen_locked)
    if not result.succeeded or result.order is None:
        tally.refused.append((label, result.reason))
        return None
    if result.outcome == "unchanged":
        tally.unchanged.append(label)
        return None
    (tally.updated if existed else tally.created).append(label)
    return int(result.order["orderId"]) if result.notify else None


def import_pages(
    backend: Backend,
    store_id: int,
    link: CustomStoreLink,
    pages: list[ExportPage],
    start: datetime,
    end: datetime,
    fetches: list[PageFetch],
) -> PullResult:
    """Apply fetched pages to the account (call inside a transaction); the pull's result."""
    tally = _Tally([], [], [], [], [])
    notify: list[int] = []
    for page in pages:
        for exported in page.orders:
            order_id = _import_one(backend, store_id, link, exported, tally)
            if order_id is not None:
                notify.append(order_id)
    queue_order_notify(backend, notify)
    account, now = backend.account, backend.now()
    store = account.stores[store_id]
    account.stores[store_id] = {
        **store,
        "lastRefreshAttempt": short_stamp(now),
        "refreshDate": short_stamp(now),
    }
    account.store_refresh[store_id] = RefreshState(started_at=backend.clock.monotonic())
    account.custom_store_windows[store_id] = end
    return PullResult(
        store_id,
        start,
        end,
        "imported",
        pages[0].pages if pages else 0,
        tuple(fetches),
        tuple(tally.created),
        tuple(tally.updated),
        tuple(tally.unchanged),
        tuple(tally.skipped),
        tuple(tally.refused),
    )


def failed_pull(store_id: int, start: datetime, end: datetime, exc: PullFailed) -> PullResult:
    return PullResult(store_id, start, end, "failed", exc.pages, exc.fetches, error=str(exc))


async def post_notice(
    http: httpx2.AsyncClient, link: CustomStoreLink | None, notice: PendingNotice, attempts: int
) -> NoticeResult:
    """POST one notice (up to ``attempts`` tries on non-2xx or no answer)."""
    params = dict(notice.params)

    def result(
        outcome: Literal["delivered", "failed"], status: int | None, tries: int, error: str | None
    ) -> NoticeResult:
        return NoticeResult(
            notice.id,
            notice.store_id,
            notice.order_number,
            notice.shipment_id,
            notice.fulfillment_id,
            params,
            outcome,
            status,
            tries,
            error,
        )

    if link is None:
        return result("failed", None, 0, f"store {notice.store_id} is no longer a Custom Store")
    headers = auth_headers(link)
    if link.shipnotify_content_type:
        headers["Content-Type"] = link.shipnotify_content_type
    url = signed_url(link, notice.params)
    status: int | None = None
    error: str | None = None
    tries = 0
    for tries in range(1, attempts + 1):
        try:
            response = await http.post(url, content=notice.body, headers=headers)
        except httpx2.HTTPError as exc:
            status, error = None, _error(exc, link)
            continue
        status = response.status_code
        if response.is_success:
            return result("delivered", status, tries, None)
        error = f"the store answered {status}"
    return result("failed", status, tries, error)


def record_notice(backend: Backend, notice: NoticeResult) -> None:
    """Mark the shipment or fulfillment behind a notice as ShipStation shows the outcome."""
    account = backend.account
    table = account.shipments if notice.shipment_id is not None else account.fulfillments
    row_id = notice.shipment_id if notice.shipment_id is not None else notice.fulfillment_id
    if row_id is None or row_id not in table:
        return
    row = clone(table[row_id])
    delivered = notice.outcome == "delivered"
    row["marketplaceNotified"] = delivered
    row["notifyErrorMessage"] = None if delivered else notice.error
    table[row_id] = row
