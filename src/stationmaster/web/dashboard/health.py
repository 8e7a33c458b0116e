"""A connection's health in one word and one sentence: green, late or failing, and why.

The word never travels alone (colour is only a second cue) and the sentence names what to
look at. The rules, first match wins:

* **failing** — the last pass stopped (the store is down, ShipStation refused the key), or
  orders sit in dead letters waiting for someone to replay or dismiss them;
* **late** — an order has been due longer than ``late_after``, ShipStation answered 429 in
  the last hour, or a pushing connection's tracking poll has not succeeded for
  ``poll_late_after`` (tracking is not coming back);
* **green** — otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from stationmaster.db.dashboard import ConnectionSummary
from stationmaster.shipstation import Budget
from stationmaster.web.dashboard.templating import duration, when

Level = Literal["green", "late", "failing"]


@dataclass(frozen=True, slots=True)
class Verdict:
    level: Level
    reason: str


def _plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def verdict(
    row: ConnectionSummary,
    *,
    now: datetime,
    late_after: timedelta,
    poll_late_after: timedelta,
) -> Verdict:
    """The health of ``row`` at ``now`` (see the module's rules)."""
    if row.problem is not None:
        since = f" (since {when(row.problem_at)})" if row.problem_at is not None else ""
        return Verdict("failing", f"stopped: {row.problem}{since}")
    if row.dead_letters:
        letters = _plural(row.dead_letters, "order", "orders")
        return Verdict("failing", f"{letters} in dead letters: replay or dismiss them")
    if row.due_since is not None and now - row.due_since > late_after:
        waiting = duration(now - row.due_since)
        queued = _plural(row.backlog, "order", "orders")
        return Verdict("late", f"{queued} queued; the oldest has been due for {waiting}")
    if row.throttled_hour:
        answers = _plural(row.throttled_hour, "answer", "answers")
        return Verdict("late", f"rate limited: {answers} 429 in the last hour")
    if row.mode == "push" and row.last_push is not None:
        polled = row.last_poll
        if polled is None or now - polled > poll_late_after:
            last = "never" if polled is None else f"{duration(now - polled)} ago"
            return Verdict("late", f"tracking not polled successfully (last: {last})")
    if row.backlog:
        return Verdict("green", f"{_plural(row.backlog, 'order', 'orders')} on the way")
    return Verdict("green", "caught up")


@dataclass(frozen=True, slots=True)
class BudgetView:
    """A key's request budget as its owner in this process sees it now."""

    limit: int
    capacity: int
    window: float
    used: int
    left: int
    wait: float


def budget_view(budget: Budget | None) -> BudgetView | None:
    """What ``budget`` allows now (``None``: no worker in this process holds the key)."""
    if budget is None:
        return None
    state = budget.snapshot()
    capacity = state.limit - state.reserve
    used = len(state.grant_ages)
    left = max(0, capacity - used)
    for cap in state.header_caps:
        left = min(left, cap.remaining)
    wait = budget.delay()
    if wait > 0:
        left = 0
    return BudgetView(state.limit, capacity, state.window, used, left, round(wait, 1))
