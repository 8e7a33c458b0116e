"""The health verdict: the first rule that matches wins, and the reason names what to look at."""

from dataclasses import replace
from datetime import timedelta

import anyio
import pytest

from stationmaster.db.dashboard import ConnectionSummary
from stationmaster.shipstation import Budget
from stationmaster.web.dashboard.chart import build_chart, ceiling_per_bucket
from stationmaster.web.dashboard.health import budget_view, verdict
from tests.web.dashboard.support import NOW, minutes_ago

QUIET = ConnectionSummary(
    name="shop",
    mode="push",
    store_kind="native",
    problem=None,
    problem_at=None,
    backlog=0,
    due_since=None,
    dead_letters=0,
    last_push=minutes_ago(3),
    pushed_hour=5,
    pushed_day=50,
    last_poll=minutes_ago(1),
    last_shipment=None,
    shipments_hour=0,
    shipments_day=0,
    throttled_hour=0,
    throttled_day=0,
)


def judge(row: ConnectionSummary) -> tuple[str, str]:
    found = verdict(
        row, now=NOW, late_after=timedelta(minutes=10), poll_late_after=timedelta(minutes=30)
    )
    return found.level, found.reason


@pytest.mark.parametrize(
    ("changes", "level", "reason"),
    [
        ({}, "green", "caught up"),
        ({"backlog": 3, "due_since": minutes_ago(2)}, "green", "3 orders on the way"),
        (
            {"backlog": 3, "due_since": minutes_ago(25)},
            "late",
            "3 orders queued; the oldest has been due for 25 min",
        ),
        ({"throttled_hour": 1}, "late", "rate limited: 1 answer 429 in the last hour"),
        (
            {"last_poll": minutes_ago(45)},
            "late",
            "tracking not polled successfully (last: 45 min ago)",
        ),
        ({"last_poll": None}, "late", "tracking not polled successfully (last: never)"),
        ({"dead_letters": 2}, "failing", "2 orders in dead letters: replay or dismiss them"),
        (
            {
                "problem": "ShipStation: 401 Unauthorized",
                "problem_at": minutes_ago(5),
                "dead_letters": 2,
            },
            "failing",
            "stopped: ShipStation: 401 Unauthorized (since 2026-11-20 11:55:00 UTC)",
        ),
    ],
)
def test_the_first_matching_rule_decides(
    changes: dict[str, object], level: str, reason: str
) -> None:
    assert judge(replace(QUIET, **changes)) == (level, reason)  # type: ignore[arg-type]


def test_a_pull_connection_or_one_that_never_pushed_is_not_late_for_tracking() -> None:
    assert judge(replace(QUIET, mode="pull", last_poll=None))[0] == "green"
    assert judge(replace(QUIET, last_push=None, last_poll=None))[0] == "green"


def test_the_budget_view_counts_what_is_spent_and_what_must_wait() -> None:
    assert budget_view(None) is None
    budget = Budget(limit=3, window=60)

    async def spend() -> None:
        for _ in range(3):
            await budget.acquire()

    anyio.run(spend)
    view = budget_view(budget)
    assert view is not None
    assert (view.used, view.left, view.capacity) == (3, 0, 3)
    assert 0 < view.wait <= 60


def test_the_chart_scales_bars_under_the_ceiling() -> None:
    from stationmaster.db.dashboard import Bucket

    width = timedelta(minutes=10)
    buckets = [
        Bucket(NOW - width * (2 - i), requests, throttled)
        for i, (requests, throttled) in enumerate([(0, 0), (200, 0), (400, 100)])
    ]
    ceiling = ceiling_per_bucket(40, 0, 60.0, width)
    chart = build_chart(buckets, width, ceiling)
    assert ceiling == 400
    assert [bar.bucket.requests for bar in chart.bars] == [0, 200, 400]
    assert chart.bars[0].height == 0
    assert chart.bars[2].height == pytest.approx(2 * chart.bars[1].height, abs=0.2)
    assert chart.bars[2].throttled_height == pytest.approx(chart.bars[2].height / 4, abs=0.2)
    assert chart.ceiling_y == pytest.approx(chart.bars[2].y, abs=0.2)  # a full bucket reaches it
    assert (chart.total, chart.throttled, chart.peak) == (600, 100, 400)
    assert ceiling_per_bucket(40, 10, 60.0, width) == 300  # the reserve is not ours
