"""Keeping a connection's ShipStation webhook subscriptions pointed at our receiver.

ShipStation can only be asked to POST to a URL, with no signature (api §11.2), so the URL
itself carries the secret: ``{public_url}/webhooks/shipstation/{connection}/{token}``.
:func:`sync_webhooks` makes the account's subscriptions match that URL for the wanted events:
it adds the missing ones, and removes the ones that point at this connection's receiver with
another token (a rotated secret), an event no longer wanted, another store, or a duplicate.
Subscriptions of anything else (other apps, other connections, other hosts) are left alone,
since the key pair may be shared. Running it again changes nothing.

The token never leaves this module unmasked: reports and logs show ``***`` in its place.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import get_args
from urllib.parse import urlsplit

import structlog

from stationmaster.shipstation import ShipStationClient
from stationmaster.shipstation.models import SubscribeRequest
from stationmaster.shipstation.models.vocabulary import WebhookEvent
from stationmaster.shipstation.models.webhooks import Webhook

log = structlog.get_logger("stationmaster.sync.subscriptions")

#: Where the receiver listens; the connection's name and its token follow.
RECEIVER_PATH = "/webhooks/shipstation"
#: What a report shows in place of a token.
MASK = "***"
#: Tokens travel in a URL path: unreserved characters only, long enough not to be guessed.
TOKEN_PATTERN = re.compile(r"[A-Za-z0-9._~-]{16,200}")
DEFAULT_EVENTS: tuple[WebhookEvent, ...] = ("SHIP_NOTIFY", "ITEM_SHIP_NOTIFY", "ORDER_NOTIFY")
EVENTS_BY_NAME: dict[str, WebhookEvent] = {event: event for event in get_args(WebhookEvent)}


def check_webhook_token(token: str) -> str:
    """``token`` if it can be a webhook secret, else ``ValueError`` saying what it needs.

    The message never contains the token itself.
    """
    if not isinstance(token, str) or TOKEN_PATTERN.fullmatch(token) is None:
        raise ValueError(
            "a webhook token must be 16 to 200 characters of A-Z, a-z, 0-9, '.', '_', '~', '-' "
            "(for example: python -c 'import secrets; print(secrets.token_urlsafe(32))')"
        )
    return token


def check_public_url(public_url: str) -> str:
    """The public base URL without a trailing ``/``; ``ValueError`` if it cannot be one."""
    parts = urlsplit(public_url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"public URL must be an absolute http(s) URL, got {public_url!r}")
    if parts.query or parts.fragment or parts.username or parts.password:
        raise ValueError(f"public URL must not carry a query, fragment or user: {public_url!r}")
    return public_url.strip().rstrip("/")


def receiver_url(public_url: str, connection: str, token: str) -> str:
    """The URL ShipStation must POST this connection's webhooks to (it holds the token)."""
    base = check_public_url(public_url)
    return f"{base}{RECEIVER_PATH}/{connection}/{check_webhook_token(token)}"


@dataclass(frozen=True, slots=True)
class HookSummary:
    """One subscription as a report shows it: the token in its URL is masked."""

    webhook_id: int | None
    event: str
    url: str
    store_id: int | None


@dataclass(frozen=True, slots=True)
class SubscriptionReport:
    """What one :func:`sync_webhooks` run did for a connection."""

    connection: str
    #: The receiver URL subscriptions should point at, token masked.
    target_url: str
    added: tuple[HookSummary, ...]
    removed: tuple[HookSummary, ...]
    kept: tuple[HookSummary, ...]

    @property
    def changed(self) -> bool:
        return bool(self.added or self.removed)

    def summary(self) -> str:
        """One line for a log or a terminal."""

        def events(hooks: Sequence[HookSummary]) -> str:
            return ", ".join(h.event for h in hooks) or "none"

        return (
            f"webhooks of {self.connection} -> {self.target_url}: added {events(self.added)}; "
            f"removed {events(self.removed)}; kept {events(self.kept)}"
        )


@dataclass(frozen=True, slots=True)
class _Receiver:
    """This connection's receiver: which subscription URLs are ours, and how to mask them."""

    scheme: str
    netloc: str
    prefix: str

    @classmethod
    def of(cls, public_url: str, connection: str) -> _Receiver:
        parts = urlsplit(check_public_url(public_url))
        return cls(
            parts.scheme.lower(),
            parts.netloc.lower(),
            f"{parts.path.rstrip('/')}{RECEIVER_PATH}/{connection}/",
        )

    def token_in(self, url: str | None) -> str | None:
        """The token segment of ``url`` when it points at this receiver, else ``None``."""
        if not url:
            return None
        parts = urlsplit(url.strip())
        if (parts.scheme.lower(), parts.netloc.lower()) != (self.scheme, self.netloc):
            return None
        if parts.query or parts.fragment or not parts.path.startswith(self.prefix):
            return None
        token = parts.path[len(self.prefix) :].rstrip("/")
        return token if token and "/" not in token else None

    def masked(self, url: str) -> str:
        if self.token_in(url) is None:
            return url
        head, _, _token = url.strip().rstrip("/").rpartition("/")
        return f"{head}/{MASK}"


def _summary(hook: Webhook, receiver: _Receiver) -> HookSummary:
    return HookSummary(
        webhook_id=hook.WebHookID,
        event=hook.HookType or "",
        url=receiver.masked(hook.Url or ""),
        store_id=hook.StoreID,
    )


def _wanted_events(events: Iterable[str]) -> tuple[WebhookEvent, ...]:
    wanted: list[WebhookEvent] = []
    for event in events:
        known = EVENTS_BY_NAME.get(event)
        if known is None:
            raise ValueError(
                f"unknown webhook event {event!r}; known: {', '.join(sorted(EVENTS_BY_NAME))}"
            )
        if known not in wanted:
            wanted.append(known)
    return tuple(wanted)


async def sync_webhooks(
    client: ShipStationClient,
    *,
    connection: str,
    public_url: str,
    token: str,
    store_id: int | None,
    events: Iterable[str] = DEFAULT_EVENTS,
) -> SubscriptionReport:
    """Make the account's subscriptions for ``connection`` exactly ``events`` -> our receiver.

    Missing subscriptions are added before stale ones are removed, so no delivery falls into
    a gap between the two. ``store_id`` limits each subscription to that store (``None``:
    every store of the account). Raises what the client raises; a run that stopped halfway
    is finished by the next one.
    """
    wanted = _wanted_events(events)
    target = receiver_url(public_url, connection, token)
    receiver = _Receiver.of(public_url, connection)
    existing = sorted((await client.webhooks.list()).webhooks or [], key=lambda h: h.WebHookID or 0)

    kept: dict[str, Webhook] = {}
    stale: list[Webhook] = []
    for hook in existing:
        if receiver.token_in(hook.Url) is None:
            continue  # someone else's subscription
        current = (
            hook.Url is not None
            and hook.Url.strip() == target
            and hook.HookType in wanted
            and hook.StoreID == store_id
            and hook.Active is not False
            and hook.HookType not in kept
        )
        if current and hook.HookType is not None:
            kept[hook.HookType] = hook
        else:
            stale.append(hook)

    added: list[HookSummary] = []
    for event in wanted:
        if event in kept:
            continue
        response = await client.webhooks.subscribe(
            SubscribeRequest(
                target_url=target,
                event=event,
                store_id=store_id,
                friendly_name=f"stationmaster {connection} {event}",
            )
        )
        added.append(HookSummary(response.webhook_id, event, receiver.masked(target), store_id))

    removed: list[HookSummary] = []
    for hook in stale:
        if hook.WebHookID is None:
            log.warning("webhooks.stale_without_id", connection=connection, event=hook.HookType)
            continue
        await client.webhooks.unsubscribe(hook.WebHookID)
        removed.append(_summary(hook, receiver))

    report = SubscriptionReport(
        connection=connection,
        target_url=receiver.masked(target),
        added=tuple(added),
        removed=tuple(removed),
        kept=tuple(_summary(kept[e], receiver) for e in wanted if e in kept),
    )
    log.info(
        "webhooks.synced",
        connection=connection,
        added=[h.event for h in report.added],
        removed=[h.event for h in report.removed],
        kept=[h.event for h in report.kept],
    )
    return report
