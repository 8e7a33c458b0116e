"""Webhook subscription sync against the emulator: adds what is missing, removes what is stale,
leaves everyone else's subscriptions alone, and a second run does nothing."""

import re
from collections.abc import Iterable

import pytest

from stationmaster.emulator import Emulator, EmulatorConfig
from stationmaster.shipstation import ShipStationClient
from stationmaster.shipstation.models import SubscribeRequest
from stationmaster.sync.subscriptions import (
    DEFAULT_EVENTS,
    MASK,
    SubscriptionReport,
    check_public_url,
    check_webhook_token,
    receiver_url,
    sync_webhooks,
)
from stationmaster.testing.plugin import make_client

pytestmark = pytest.mark.anyio

PUBLIC = "https://hooks.example.test"
TOKEN = "current-token-0123456789abcdef"
OLD_TOKEN = "rotated-away-token-9876543210"
OURS = f"{PUBLIC}/webhooks/shipstation/shop/{TOKEN}"


@pytest.fixture
def emulator() -> Emulator:
    return Emulator(EmulatorConfig(api_key="k", api_secret="s", limit=None))


@pytest.fixture
def client(emulator: Emulator) -> ShipStationClient:
    return make_client(emulator)


async def _hooks(client: ShipStationClient) -> list[tuple[str | None, str | None, int | None]]:
    listed = (await client.webhooks.list()).webhooks or []
    return sorted((h.Url, h.HookType, h.StoreID) for h in listed)


async def _subscribe(
    client: ShipStationClient, url: str, event: str = "SHIP_NOTIFY", store_id: int | None = None
) -> int:
    request = SubscribeRequest.model_validate(
        {"target_url": url, "event": event, "store_id": store_id}
    )
    return (await client.webhooks.subscribe(request)).webhook_id


async def _sync(
    client: ShipStationClient,
    *,
    public_url: str = PUBLIC,
    token: str = TOKEN,
    store_id: int | None = None,
    events: Iterable[str] = DEFAULT_EVENTS,
) -> SubscriptionReport:
    return await sync_webhooks(
        client,
        connection="shop",
        public_url=public_url,
        token=token,
        store_id=store_id,
        events=events,
    )


async def test_first_run_subscribes_the_three_events_second_run_does_nothing(
    emulator: Emulator, client: ShipStationClient
) -> None:
    first = await _sync(client)
    assert [h.event for h in first.added] == list(DEFAULT_EVENTS)
    assert first.removed == () and first.kept == ()
    assert first.changed
    assert await _hooks(client) == sorted((OURS, e, None) for e in DEFAULT_EVENTS)

    emulator.clear_calls()
    second = await _sync(client)
    assert second.added == () and second.removed == ()
    assert sorted(h.event for h in second.kept) == sorted(DEFAULT_EVENTS)
    assert not second.changed
    assert [(c.method, c.path) for c in emulator.calls] == [("GET", "/webhooks")]


async def test_a_subscription_with_an_old_token_is_replaced(client: ShipStationClient) -> None:
    stale_id = await _subscribe(client, f"{PUBLIC}/webhooks/shipstation/shop/{OLD_TOKEN}")
    report = await _sync(client)
    assert [(h.webhook_id, h.event) for h in report.removed] == [(stale_id, "SHIP_NOTIFY")]
    assert report.removed[0].url == f"{PUBLIC}/webhooks/shipstation/shop/{MASK}"
    assert len(report.added) == 3
    assert await _hooks(client) == sorted((OURS, e, None) for e in DEFAULT_EVENTS)


async def test_other_apps_and_other_connections_are_untouched(client: ShipStationClient) -> None:
    foreign = [
        "https://other-app.example/hooks/ship",
        f"{PUBLIC}/some/other/path",
        f"{PUBLIC}/webhooks/shipstation/warehouse/{OLD_TOKEN}",
        f"{PUBLIC}/webhooks/shipstation/shop-eu/{OLD_TOKEN}",
        f"https://elsewhere.example.test/webhooks/shipstation/shop/{OLD_TOKEN}",
        f"http://hooks.example.test/webhooks/shipstation/shop/{OLD_TOKEN}",
    ]
    for url in foreign:
        await _subscribe(client, url)
    report = await _sync(client)
    assert report.removed == ()
    remaining = await _hooks(client)
    assert sorted(url for url, _, _ in remaining if url != OURS) == sorted(foreign)
    assert not (await _sync(client)).changed
    assert sorted(url for url, _, _ in await _hooks(client) if url != OURS) == sorted(foreign)


async def test_unwanted_events_duplicates_and_other_stores_are_removed(
    client: ShipStationClient,
) -> None:
    unwanted = await _subscribe(client, OURS, "ORDER_NOTIFY")
    kept = await _subscribe(client, OURS, "SHIP_NOTIFY", store_id=310554)
    duplicate = await _subscribe(client, OURS, "SHIP_NOTIFY", store_id=310554)
    other_store = await _subscribe(client, OURS, "ITEM_SHIP_NOTIFY", store_id=310555)

    report = await _sync(client, store_id=310554, events=("SHIP_NOTIFY", "ITEM_SHIP_NOTIFY"))
    assert [h.webhook_id for h in report.kept] == [kept]
    assert sorted(h.webhook_id for h in report.removed) == sorted(
        [unwanted, duplicate, other_store]
    )
    assert [(h.event, h.store_id) for h in report.added] == [("ITEM_SHIP_NOTIFY", 310554)]
    assert await _hooks(client) == [
        (OURS, "ITEM_SHIP_NOTIFY", 310554),
        (OURS, "SHIP_NOTIFY", 310554),
    ]


async def test_the_report_never_shows_the_token(client: ShipStationClient) -> None:
    await _subscribe(client, f"{PUBLIC}/webhooks/shipstation/shop/{OLD_TOKEN}")
    report = await _sync(client)
    await _sync(client)
    shown = f"{report!r} {report.summary()}"
    assert TOKEN not in shown and OLD_TOKEN not in shown
    assert report.target_url == f"{PUBLIC}/webhooks/shipstation/shop/{MASK}"
    assert "added SHIP_NOTIFY, ITEM_SHIP_NOTIFY, ORDER_NOTIFY" in report.summary()


async def test_a_public_url_with_a_path_and_trailing_slash(client: ShipStationClient) -> None:
    report = await _sync(client, public_url="https://example.test/stationmaster/")
    assert (
        report.target_url == f"https://example.test/stationmaster/webhooks/shipstation/shop/{MASK}"
    )
    assert not (await _sync(client, public_url="https://example.test/stationmaster")).changed


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"token": "short"}, "16 to 200 characters"),
        ({"token": "has/a/slash-0123456789"}, "16 to 200 characters"),
        ({"public_url": "hooks.example.test"}, "absolute http(s) URL"),
        ({"public_url": "https://hooks.example.test/?x=1"}, "query"),
        ({"events": ("SHIP_NOTIFY", "LABEL_NOTIFY")}, "unknown webhook event 'LABEL_NOTIFY'"),
    ],
)
async def test_bad_arguments_are_refused_before_any_call(
    emulator: Emulator, client: ShipStationClient, changes: dict[str, object], message: str
) -> None:
    with pytest.raises(ValueError, match=re.escape(message)) as raised:
        await _sync(client, **changes)  # type: ignore[arg-type]  # each case sets one keyword
    assert TOKEN not in str(raised.value)
    assert emulator.calls == []


def test_url_helpers() -> None:
    assert receiver_url(PUBLIC + "/", "shop", TOKEN) == OURS
    assert check_public_url(" https://a.test/x/ ") == "https://a.test/x"
    assert check_webhook_token(TOKEN) == TOKEN
    with pytest.raises(ValueError, match="16 to 200 characters") as raised:
        check_webhook_token(TOKEN + " ")
    assert TOKEN not in str(raised.value)
