"""wiretime: Pacific wall time on the v1 wire, aware UTC inside, across DST edges."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone
from typing import get_args

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from stationmaster.wiretime import (
    PACIFIC,
    OffsetMode,
    WireTimeError,
    pacific_midnight,
    parse_v1,
    parse_v1_date,
    render_v1,
    render_v1_date,
    render_v1_filter,
    render_v1_short,
    utcnow,
    v1_filter_start,
)

# --- parsing ----------------------------------------------------------------------------------


def test_spring_forward_gap_lands_an_hour_later() -> None:
    assert parse_v1("2026-03-08 02:30") == datetime(2026, 3, 8, 10, 30, tzinfo=UTC)
    assert render_v1(parse_v1("2026-03-08 02:30")) == "2026-03-08T03:30:00.0000000"


def test_around_the_spring_gap() -> None:
    assert parse_v1("2026-03-08T01:59:59") == datetime(2026, 3, 8, 9, 59, 59, tzinfo=UTC)
    assert parse_v1("2026-03-08T03:00:00") == datetime(2026, 3, 8, 10, 0, tzinfo=UTC)


def test_fall_back_hour_takes_its_first_occurrence() -> None:
    assert parse_v1("2026-11-01 01:30") == datetime(2026, 11, 1, 8, 30, tzinfo=UTC)
    assert parse_v1("2026-11-01T02:00:00") == datetime(2026, 11, 1, 10, 0, tzinfo=UTC)


def test_both_passes_through_the_fall_back_hour_render_alike() -> None:
    first, second = (datetime(2026, 11, 1, hour, 30, tzinfo=UTC) for hour in (8, 9))
    assert render_v1(first) == render_v1(second) == "2026-11-01T01:30:00.0000000"


@pytest.mark.parametrize("digits", range(8))
def test_zero_to_seven_fraction_digits(digits: int) -> None:
    fraction = "1234567"[:digits]
    text = "2026-11-21T09:40:12" + (f".{fraction}" if digits else "")
    expected_micros = int(fraction.ljust(7, "0")[:6])
    assert parse_v1(text) == datetime(2026, 11, 21, 17, 40, 12, expected_micros, tzinfo=UTC)


def test_space_and_t_separators_mean_the_same() -> None:
    assert parse_v1("2026-11-21 09:40:12.123") == parse_v1("2026-11-21T09:40:12.1230000")


def test_optional_seconds_and_date_only() -> None:
    assert parse_v1("2026-11-21T09:40") == datetime(2026, 11, 21, 17, 40, tzinfo=UTC)
    assert parse_v1("2026-11-21") == datetime(2026, 11, 21, 8, 0, tzinfo=UTC)
    assert parse_v1("  2026-11-21T09:40:00  ") == datetime(2026, 11, 21, 17, 40, tzinfo=UTC)


@pytest.mark.parametrize("text", ["2026-11-21T09:40:00Z", "2026-11-21T09:40:00+02:00"])
def test_offsets_are_rejected_by_default(text: str) -> None:
    with pytest.raises(WireTimeError, match="no offset"):
        parse_v1(text)
    with pytest.raises(WireTimeError):
        parse_v1(text, offsets="reject")


@pytest.mark.parametrize(
    "text", ["2026-11-21T09:40:00Z", "2026-11-21T09:40:00-05:00", "2026-11-21T09:40:00+0530"]
)
def test_ignored_offsets_read_the_wall_time_as_pacific(text: str) -> None:
    assert parse_v1(text, offsets="ignore") == datetime(2026, 11, 21, 17, 40, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-21T09:40:00Z", datetime(2026, 11, 21, 9, 40, tzinfo=UTC)),
        ("2026-11-21T09:40:00+02:00", datetime(2026, 11, 21, 7, 40, tzinfo=UTC)),
        ("2026-11-21T09:40:00-0530", datetime(2026, 11, 21, 15, 10, tzinfo=UTC)),
    ],
)
def test_honoured_offsets_are_exact(text: str, expected: datetime) -> None:
    assert parse_v1(text, offsets="honour") == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "yesterday",
        "2026-11-21T",
        "2026/11/21 09:40",
        "21-11-2026",
        "2026-11-21T9:40",
        "2026-11-21T09:40:12.12345678",
        "2026-11-21T09:40:12.",
        "2026-11-21T09:40:00 PST",
        "２０２６-11-21",  # full-width digits
        "2026-11-21T٠٩:40",  # Arabic-Indic digits
    ],
)
def test_malformed_strings_raise_wire_time_error(text: str) -> None:
    with pytest.raises(WireTimeError, match="not a ShipStation v1 timestamp"):
        parse_v1(text)


@pytest.mark.parametrize(
    "text",
    ["2026-02-29", "2026-13-01", "2026-04-31T10:00", "2026-11-21T24:00", "2026-11-21T09:60"],
)
def test_impossible_dates_and_times_raise_wire_time_error(text: str) -> None:
    with pytest.raises(WireTimeError, match="not a real date"):
        parse_v1(text)


@pytest.mark.parametrize(
    ("text", "offsets"),
    [("9999-12-31T23:59:59", "reject"), ("0001-01-01T00:00:00+01:00", "honour")],
)
def test_times_without_a_utc_instant_raise_wire_time_error(text: str, offsets: OffsetMode) -> None:
    with pytest.raises(WireTimeError, match="out of range"):
        parse_v1(text, offsets=offsets)


@given(st.text(max_size=40), st.sampled_from(get_args(OffsetMode)))
def test_any_string_parses_to_utc_or_raises_wire_time_error(text: str, offsets: OffsetMode) -> None:
    try:
        parsed = parse_v1(text, offsets=offsets)
    except WireTimeError:
        return
    assert parsed.tzinfo is UTC


# --- dates ------------------------------------------------------------------------------------


def test_parse_date() -> None:
    assert parse_v1_date("2028-02-29") == date(2028, 2, 29)
    assert parse_v1_date(" 2026-11-21 ") == date(2026, 11, 21)


@pytest.mark.parametrize(
    "text", ["2026-02-29", "2026-11-21T00:00:00", "11/21/2026", "２０２６-11-21"]
)
def test_parse_date_refuses_non_dates(text: str) -> None:
    with pytest.raises(WireTimeError):
        parse_v1_date(text)


@pytest.mark.parametrize(
    ("instant", "day"),
    [
        (datetime(2026, 11, 22, 7, 59, 59, tzinfo=UTC), "2026-11-21"),  # 23:59:59 PST
        (datetime(2026, 11, 22, 8, 0, tzinfo=UTC), "2026-11-22"),  # Pacific midnight
        (datetime(2026, 7, 1, 6, 59, 59, tzinfo=UTC), "2026-06-30"),  # 23:59:59 PDT
        (datetime(2026, 7, 1, 7, 0, tzinfo=UTC), "2026-07-01"),
    ],
)
def test_render_date_cuts_the_day_in_pacific_not_utc(instant: datetime, day: str) -> None:
    assert render_v1_date(instant) == day


def test_render_date_of_a_date_is_its_iso_form() -> None:
    assert render_v1_date(date(2026, 11, 21)) == "2026-11-21"


@pytest.mark.parametrize(
    ("day", "starts_at"),
    [
        (date(2026, 3, 8), datetime(2026, 3, 8, 8, tzinfo=UTC)),  # still PST at midnight
        (date(2026, 3, 9), datetime(2026, 3, 9, 7, tzinfo=UTC)),
        (date(2026, 11, 1), datetime(2026, 11, 1, 7, tzinfo=UTC)),  # still PDT at midnight
        (date(2026, 11, 2), datetime(2026, 11, 2, 8, tzinfo=UTC)),
    ],
)
def test_pacific_midnight(day: date, starts_at: datetime) -> None:
    assert pacific_midnight(day) == starts_at
    assert pacific_midnight(day).tzinfo is UTC


# --- rendering --------------------------------------------------------------------------------


@pytest.mark.parametrize("render", [render_v1, render_v1_short, render_v1_filter, render_v1_date])
def test_renderers_refuse_naive_datetimes(render: Callable[[datetime], str]) -> None:
    with pytest.raises(WireTimeError, match="naive"):
        render(datetime(2026, 11, 21, 9, 40))


def test_render_styles() -> None:
    instant = datetime(2026, 11, 21, 17, 40, 12, 123456, tzinfo=UTC)
    assert render_v1(instant) == "2026-11-21T09:40:12.1234560"
    assert render_v1_short(instant) == "2026-11-21T09:40:12.123"
    assert render_v1_filter(instant) == "2026-11-21 09:40:12"


def test_renderers_convert_any_zone_to_pacific() -> None:
    tokyo = datetime(2026, 11, 22, 2, 40, tzinfo=timezone(timedelta(hours=9)))
    assert render_v1_filter(tokyo) == "2026-11-21 09:40:00"


@pytest.mark.parametrize(
    ("micros", "expected"),
    [
        (283000, "2014-12-03T11:46:11.283"),
        (980000, "2014-12-03T11:46:11.98"),
        (500000, "2014-12-03T11:46:11.5"),
        (999, "2014-12-03T11:46:11"),
        (0, "2014-12-03T11:46:11"),
    ],
)
def test_render_short_trims_trailing_zeros(micros: int, expected: str) -> None:
    instant = datetime(2014, 12, 3, 19, 46, 11, micros, tzinfo=UTC)
    assert render_v1_short(instant) == expected


def test_utcnow_is_aware_utc() -> None:
    now = utcnow()
    assert now.tzinfo is UTC
    assert abs(now - datetime.now(UTC)) < timedelta(seconds=5)


# --- round trip -------------------------------------------------------------------------------


@given(
    st.datetimes(
        min_value=datetime(1950, 1, 1), max_value=datetime(2100, 12, 31), timezones=st.just(UTC)
    )
)
@example(datetime(2026, 11, 1, 8, 30, tzinfo=UTC))  # 01:30 PDT, first pass
@example(datetime(2026, 11, 1, 9, 30, tzinfo=UTC))  # 01:30 PST, second pass
@example(datetime(2026, 3, 8, 10, 0, tzinfo=UTC))  # first PDT instant
def test_render_then_parse_is_the_same_instant_except_in_the_repeated_hour(
    instant: datetime,
) -> None:
    wall = render_v1(instant)
    back = parse_v1(wall)
    if instant.astimezone(PACIFIC).fold:
        # The second 01:xx after fall-back renders like the first and parses as the first.
        assert back == instant - timedelta(hours=1)
        assert render_v1(back) == wall
    else:
        assert back == instant


# --- where a filter window starts -------------------------------------------------------------


@given(
    st.datetimes(
        min_value=datetime(2000, 1, 1), max_value=datetime(2100, 12, 31), timezones=st.just(UTC)
    )
)
@example(datetime(2026, 11, 1, 8, 0, tzinfo=UTC))  # 01:00 PDT: the fold begins
@example(datetime(2026, 11, 1, 9, 59, 59, tzinfo=UTC))  # 01:59:59 PST: its last second
@example(datetime(2026, 11, 1, 10, 0, tzinfo=UTC))  # 02:00 PST: once again
def test_a_filter_start_read_either_way_misses_nothing(earliest: datetime) -> None:
    start = v1_filter_start(earliest)
    rendered = render_v1_filter(start)
    wall = datetime.strptime(rendered, "%Y-%m-%d %H:%M:%S")
    readings = {wall.replace(tzinfo=PACIFIC, fold=fold).astimezone(UTC) for fold in (0, 1)}
    assert all(reading <= earliest for reading in readings), (rendered, readings)
    assert earliest - start <= timedelta(hours=2)
    if earliest.astimezone(PACIFIC).replace(fold=0).utcoffset() == (
        earliest.astimezone(PACIFIC).replace(fold=1).utcoffset()
    ):
        assert start == earliest  # outside the fold the window is not widened
