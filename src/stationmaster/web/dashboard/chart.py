"""The throughput chart's geometry: bars of requests per bucket under the key's ceiling.

Computed here and drawn by the template as inline SVG (no script, no external asset). Bars
of requests that got 429 are drawn hatched on top of the others, and the ceiling is a dashed
line with a text label, so the chart reads without colour; a table of the same numbers sits
beside it for screen readers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from stationmaster.db.dashboard import Bucket

WIDTH = 640
HEIGHT = 180
LEFT = 44  # room for the y-axis labels
BOTTOM = 22  # room for the time labels
TOP = 10


@dataclass(frozen=True, slots=True)
class Bar:
    x: float
    width: float
    #: Top and height of the whole bar, and of its 429 part (drawn hatched, at the top).
    y: float
    height: float
    throttled_height: float
    bucket: Bucket


@dataclass(frozen=True, slots=True)
class Tick:
    position: float
    label: str


@dataclass(frozen=True, slots=True)
class Chart:
    width: int
    height: int
    bars: list[Bar]
    #: The y of the ceiling line and what one bucket may hold (None: ceiling unknown).
    ceiling_y: float | None
    ceiling: float | None
    y_ticks: list[Tick]
    x_ticks: list[Tick]
    bucket_width: timedelta
    total: int
    throttled: int
    peak: int


def _step(top: float) -> float:
    """A round step that divides ``top`` into about four."""
    raw = max(top / 4, 1.0)
    magnitude = float(10 ** (len(str(int(raw))) - 1))
    for multiple in (1.0, 2.0, 2.5, 5.0, 10.0):
        if raw <= multiple * magnitude:
            return multiple * magnitude
    return 10.0 * magnitude


def build_chart(
    buckets: Sequence[Bucket], width: timedelta, ceiling: float | None, label_every: int = 6
) -> Chart:
    """Lay out ``buckets`` (requests per ``width``) under ``ceiling`` (requests per bucket)."""
    peak = max((b.requests for b in buckets), default=0)
    top = max(peak, ceiling or 0, 1) * 1.1
    plot_w, plot_h = WIDTH - LEFT - 8, HEIGHT - TOP - BOTTOM
    slot = plot_w / max(len(buckets), 1)

    def y_of(value: float) -> float:
        return TOP + plot_h - value / top * plot_h

    bars = [
        Bar(
            x=round(LEFT + i * slot + 1, 1),
            width=round(max(slot - 2, 1), 1),
            y=round(y_of(b.requests), 1),
            height=round(b.requests / top * plot_h, 1),
            throttled_height=round(b.throttled / top * plot_h, 1),
            bucket=b,
        )
        for i, b in enumerate(buckets)
    ]
    step = _step(top)
    y_ticks = [Tick(round(y_of(step * k), 1), f"{step * k:g}") for k in range(int(top // step) + 1)]
    x_ticks = [
        Tick(round(LEFT + i * slot, 1), _clock(b.start))
        for i, b in enumerate(buckets)
        if i % label_every == 0
    ]
    return Chart(
        width=WIDTH,
        height=HEIGHT,
        bars=bars,
        ceiling_y=round(y_of(ceiling), 1) if ceiling is not None else None,
        ceiling=ceiling,
        y_ticks=y_ticks,
        x_ticks=x_ticks,
        bucket_width=width,
        total=sum(b.requests for b in buckets),
        throttled=sum(b.throttled for b in buckets),
        peak=peak,
    )


def _clock(moment: datetime) -> str:
    return moment.strftime("%H:%M")


def ceiling_per_bucket(limit: int, reserve: int, window: float, width: timedelta) -> float:
    """How many requests a key allows in one bucket: its share of the limit, scaled."""
    return round((limit - reserve) * width.total_seconds() / window, 1)
