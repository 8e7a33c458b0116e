"""Tests of the per-key request budget: its guarantees as properties, on a fake clock."""

from __future__ import annotations

import copy
import json
import math
from bisect import bisect_left
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

import anyio
import anyio.lowlevel
import httpx2
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stationmaster.shipstation.budget import Budget, BudgetState, HeaderCap

TOLERANCE = 1e-6


class FakeClock:
    """A clock that moves only when told to, or when someone sleeps on it."""

    def __init__(self, start: float = 0.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance_to(self, moment: float) -> None:
        self.now = max(self.now, moment)

    async def sleep(self, seconds: float) -> None:
        self.now += seconds
        await anyio.lowlevel.checkpoint()


def budget_on(clock: FakeClock, limit: int = 40, window: float = 60.0, reserve: int = 0) -> Budget:
    return Budget(limit, window, reserve=reserve, clock=clock, sleep=clock.sleep)


def most_in_any_window(grants: Sequence[float], window: float) -> int:
    """The largest number of grants in [g, g + window) over every grant g as a start."""
    ordered = sorted(grants)
    return max(
        (bisect_left(ordered, start + window) - i for i, start in enumerate(ordered)), default=0
    )


# --- scenarios: timed events fed to a budget -------------------------------------------------


@dataclass(frozen=True)
class Acquire:
    at: float


@dataclass(frozen=True)
class Observe:
    at: float
    headers: dict[str, str]
    #: What the headers mean, as the budget should read them (``None``: unusable).
    remaining: int | None
    reset: float | None
    limit: int | None


@dataclass(frozen=True)
class Penalize:
    at: float
    wait: float


Event = Acquire | Observe | Penalize


@dataclass(frozen=True)
class Scenario:
    limit: int
    window: float
    reserve: int
    events: tuple[Event, ...]

    @property
    def capacity(self) -> int:
        return self.limit - self.reserve

    def acquisitions(self) -> list[int]:
        return [i for i, event in enumerate(self.events) if isinstance(event, Acquire)]


async def _play(
    budget: Budget, clock: FakeClock, events: Sequence[Event], shift: float, skip: int | None
) -> list[float]:
    moments: list[float] = []
    for index, event in enumerate(events):
        clock.advance_to(event.at + shift)
        if index != skip:
            if isinstance(event, Acquire):
                await budget.acquire()
            elif isinstance(event, Observe):
                budget.observe(event.headers)
            else:
                budget.penalize(event.wait)
        moments.append(clock.now - shift)
    return moments


def play(scenario: Scenario, *, skip: int | None = None) -> list[float]:
    """When each event happened (for an acquisition: when it was granted); ``skip`` is left out."""
    clock = FakeClock()
    budget = budget_on(clock, scenario.limit, scenario.window, scenario.reserve)
    return anyio.run(_play, budget, clock, scenario.events, 0.0, skip)


def play_with_handover(scenario: Scenario, split: int, origin: float) -> list[float]:
    """Like :func:`play`, but the budget moves to a new process (new clock origin) at ``split``."""

    async def both_halves() -> list[float]:
        first_clock = FakeClock()
        first = budget_on(first_clock, scenario.limit, scenario.window, scenario.reserve)
        before = await _play(first, first_clock, scenario.events[:split], 0.0, None)
        saved = json.dumps(first.snapshot().to_dict())
        shift = origin - first_clock.now
        second_clock = FakeClock(origin)
        second = Budget.restore(
            BudgetState.from_dict(json.loads(saved)),
            clock=second_clock,
            sleep=second_clock.sleep,
        )
        after = await _play(second, second_clock, scenario.events[split:], shift, None)
        return before + after

    return anyio.run(both_halves)


def grant_times(scenario: Scenario, moments: Sequence[float]) -> list[float]:
    return [moments[i] for i in scenario.acquisitions()]


def grants_after(scenario: Scenario, moments: Sequence[float], index: int) -> list[float]:
    """Grant times of the acquisitions that come after event ``index``."""
    return [moments[i] for i in scenario.acquisitions() if i > index]


COUNT_GARBAGE = ["", "abc", "-3", "1.5", "nan", "4_0", "٣", "0x10", " ", "+2", "1e2"]
SECONDS_GARBAGE = ["", "abc", "-3", "nan", "inf", "-inf", "soon", "1,5"]


def _header_values(
    valid: st.SearchStrategy[int] | st.SearchStrategy[float], garbage: Sequence[str]
) -> st.SearchStrategy[tuple[str, float | None] | None]:
    """A header value with its meaning (``None``: unusable), or ``None`` for no header."""
    readable = valid.map(lambda value: (str(value), value))
    unreadable = st.sampled_from(garbage).map(lambda text: (text, None))
    return st.none() | readable | unreadable


def header_events(at: float, limit: int, window: float) -> st.SearchStrategy[Observe]:
    """Rate-limit headers as a server (or a broken proxy) might send them, with their meaning."""
    names = ("X-Rate-Limit-Remaining", "X-Rate-Limit-Reset", "X-Rate-Limit-Limit")

    def build(
        values: tuple[tuple[str, float | None] | None, ...], spellings: tuple[str, ...]
    ) -> Observe:
        headers = {
            spelling: value[0] for spelling, value in zip(spellings, values, strict=True) if value
        }
        remaining, reset, announced = (value and value[1] for value in values)
        return Observe(
            at,
            headers,
            remaining=None if remaining is None else int(remaining),
            reset=None if reset is None else float(reset),
            limit=None if announced is None else int(announced),
        )

    return st.builds(
        build,
        st.tuples(
            _header_values(st.integers(0, 2 * limit), COUNT_GARBAGE),
            _header_values(
                st.floats(0, 2 * window) | st.integers(0, 2 * int(window)), SECONDS_GARBAGE
            ),
            _header_values(st.integers(1, 2 * limit), COUNT_GARBAGE),
        ),
        st.tuples(*(st.sampled_from([name, name.lower(), name.upper()]) for name in names)),
    )


@st.composite
def scenarios(
    draw: st.DrawFn, *, observations: bool = False, penalties: bool = False, max_events: int = 40
) -> Scenario:
    limit = draw(st.integers(1, 8))
    window = draw(st.floats(0.5, 120.0))
    reserve = draw(st.integers(0, limit - 1))
    kinds = ["acquire"] * 4 + ["observe"] * 2 * observations + ["penalize"] * penalties
    steps = draw(
        st.lists(
            st.tuples(st.just(0.0) | st.floats(0.0, 1.5), st.sampled_from(kinds)),
            min_size=1,
            max_size=max_events,
        )
    )
    events: list[Event] = []
    at = 0.0
    for gap, kind in steps:
        at += gap * window
        if kind == "acquire":
            events.append(Acquire(at))
        elif kind == "observe":
            events.append(draw(header_events(at, limit, window)))
        else:
            events.append(Penalize(at, draw(st.floats(0.0, 2 * window))))
    return Scenario(limit, window, reserve, tuple(events))


PROPERTY = settings(deadline=None, max_examples=100)


# --- the sliding rule --------------------------------------------------------------------------


def assert_no_fixed_window_overflows(
    grants: Sequence[float], window: float, capacity: int, alignment: float
) -> None:
    """A server counting in fixed windows from an unknown offset would never see too many.

    Exact arithmetic, and a server window a hair shorter than the budget's, keep float
    rounding in the budget's sums (far below any network jitter) out of the verdict.
    """
    offset = Fraction(alignment * window)
    server_window = Fraction(window) - Fraction(TOLERANCE)
    per_server_window: dict[int, int] = {}
    for granted in grants:
        slot = math.floor((Fraction(granted) - offset) / server_window)
        per_server_window[slot] = per_server_window.get(slot, 0) + 1
    assert max(per_server_window.values(), default=0) <= capacity


@PROPERTY
@given(scenarios(), st.floats(0.0, 1.0))
def test_the_sliding_rule_is_safe_whatever_the_server_alignment_and_never_wasteful(
    scenario: Scenario, alignment: float
) -> None:
    """At most ``limit - reserve`` in any window, yet no grant waits longer than it must."""
    moments = play(scenario)
    grants = grant_times(scenario, moments)
    assert most_in_any_window(grants, scenario.window) <= scenario.capacity
    assert_no_fixed_window_overflows(grants, scenario.window, scenario.capacity, alignment)
    granted: list[float] = []
    for index in scenario.acquisitions():
        earliest = scenario.events[index].at
        if granted:
            earliest = max(earliest, granted[-1])
        if len(granted) >= scenario.capacity:
            earliest = max(earliest, granted[-scenario.capacity] + scenario.window)
        assert moments[index] == pytest.approx(earliest, abs=TOLERANCE)
        granted.append(moments[index])


# --- headers only ever lower the budget --------------------------------------------------------


@PROPERTY
@given(scenarios(observations=True))
def test_headers_only_add_restrictions(scenario: Scenario) -> None:
    """The sliding rule still holds; ``Remaining``/``Reset`` and a lower ``Limit`` bind too.

    After ``Remaining = r`` at ``o``: at most ``r - reserve`` grants before ``o + Reset``
    (an unusable or too-long ``Reset`` is read as the longest a server window can run).
    After ``Limit = l`` below the configured limit: ``l - reserve`` per window from then on.
    """
    moments = play(scenario)
    grants = grant_times(scenario, moments)
    assert most_in_any_window(grants, scenario.window) <= scenario.capacity
    for index, event in enumerate(scenario.events):
        if not isinstance(event, Observe):
            continue
        later = grants_after(scenario, moments, index)
        if event.remaining is not None:
            reset = scenario.window if event.reset is None else min(event.reset, scenario.window)
            inside = [g for g in later if g < moments[index] + reset - TOLERANCE]
            assert len(inside) <= max(0, event.remaining - scenario.reserve)
        if event.limit is not None:
            lowered = min(scenario.limit, max(event.limit, scenario.reserve + 1))
            assert most_in_any_window(later, scenario.window) <= lowered - scenario.reserve


@PROPERTY
@given(scenarios(observations=True), st.data())
def test_an_observation_never_makes_any_grant_earlier(
    scenario: Scenario, data: st.DataObject
) -> None:
    observed = [i for i, event in enumerate(scenario.events) if isinstance(event, Observe)]
    if not observed:
        return
    dropped = data.draw(st.sampled_from(observed))
    with_it = grant_times(scenario, play(scenario))
    without_it = grant_times(scenario, play(scenario, skip=dropped))
    for later, sooner in zip(with_it, without_it, strict=True):
        assert later >= sooner - TOLERANCE


@PROPERTY
@given(scenarios(observations=True))
def test_headers_above_the_limit_or_garbage_change_nothing(scenario: Scenario) -> None:
    """Keep only observations that claim at least the limit, or are unreadable: no effect."""
    harmless = tuple(
        event
        for event in scenario.events
        if not isinstance(event, Observe)
        or (
            (event.remaining is None or event.remaining >= scenario.limit)
            and (event.limit is None or event.limit >= scenario.limit)
        )
    )
    quiet = tuple(event for event in harmless if not isinstance(event, Observe))
    with_headers = Scenario(scenario.limit, scenario.window, scenario.reserve, harmless)
    without = Scenario(scenario.limit, scenario.window, scenario.reserve, quiet)
    assert grant_times(with_headers, play(with_headers)) == grant_times(without, play(without))


@settings(deadline=None, max_examples=200)
@given(st.dictionaries(st.text(max_size=30), st.text(max_size=30), max_size=6))
def test_arbitrary_header_text_never_raises_and_never_shortens_the_wait(
    headers: dict[str, str],
) -> None:
    clock = FakeClock(100.0)
    budget = budget_on(clock, limit=3, window=10.0)
    anyio.run(budget.acquire)
    budget.observe({"X-Rate-Limit-Remaining": "0", "X-Rate-Limit-Reset": "4"})
    before = budget.delay()
    budget.observe(headers)
    assert before == pytest.approx(4.0)
    assert budget.delay() >= before


def test_the_response_to_a_granted_request_already_counts_it() -> None:
    clock = FakeClock()
    budget = budget_on(clock, limit=40, window=60.0)
    anyio.run(budget.acquire)
    budget.observe({"X-Rate-Limit-Remaining": "39", "X-Rate-Limit-Reset": "60"})
    # All 39 remaining go at once: the first request is not charged twice.
    waits = [anyio.run(budget.acquire) for _ in range(39)]
    assert waits == [0.0] * 39
    assert budget.delay() == pytest.approx(60.0)


def test_other_apps_use_shows_up_at_once() -> None:
    clock = FakeClock()
    budget = budget_on(clock, limit=40, window=60.0)
    anyio.run(budget.acquire)
    # Another app spent 35 of this window: only 4 more before the server's reset in 20 s.
    budget.observe({"x-rate-limit-remaining": "4", "x-rate-limit-reset": "20"})
    assert [anyio.run(budget.acquire) for _ in range(4)] == [0.0] * 4
    assert budget.delay() == pytest.approx(20.0)
    # A stale, more generous answer arriving late does not lift that.
    budget.observe(httpx2.Headers({"X-Rate-Limit-Remaining": "30", "X-Rate-Limit-Reset": "20"}))
    assert budget.delay() == pytest.approx(20.0)
    clock.advance_to(20.0)
    assert budget.delay() == 0.0


def test_remaining_at_or_below_the_reserve_waits_for_the_reset() -> None:
    clock = FakeClock()
    budget = budget_on(clock, limit=40, window=60.0, reserve=5)
    budget.observe({"X-Rate-Limit-Remaining": "5", "X-Rate-Limit-Reset": "12.5"})
    assert budget.delay() == pytest.approx(12.5)
    assert anyio.run(budget.acquire) == pytest.approx(12.5)


def test_an_announced_limit_below_the_reserve_still_leaves_one_request_per_window() -> None:
    clock = FakeClock()
    budget = budget_on(clock, limit=40, window=60.0, reserve=10)
    budget.observe({"X-Rate-Limit-Limit": "4"})
    assert budget.limit == 11
    assert anyio.run(budget.acquire) == 0.0
    assert budget.delay() == pytest.approx(60.0)


# --- penalize (after a 429) ---------------------------------------------------------------------


@PROPERTY
@given(scenarios(observations=True, penalties=True), st.data())
def test_nothing_is_granted_during_a_penalty_and_a_penalty_never_hastens_a_grant(
    scenario: Scenario, data: st.DataObject
) -> None:
    moments = play(scenario)
    for index, event in enumerate(scenario.events):
        if isinstance(event, Penalize):
            start = moments[index]
            for granted in grants_after(scenario, moments, index):
                assert not start <= granted < start + event.wait - TOLERANCE
    grants = grant_times(scenario, moments)
    assert most_in_any_window(grants, scenario.window) <= scenario.capacity
    penalties = [i for i, event in enumerate(scenario.events) if isinstance(event, Penalize)]
    if penalties:
        without_one = play(scenario, skip=data.draw(st.sampled_from(penalties)))
        for later, sooner in zip(grants, grant_times(scenario, without_one), strict=True):
            assert later >= sooner - TOLERANCE


def test_a_shorter_penalty_does_not_cut_a_longer_one() -> None:
    clock = FakeClock()
    budget = budget_on(clock)
    budget.penalize(30.0)
    budget.penalize(5.0)
    assert budget.delay() == pytest.approx(30.0)


@pytest.mark.parametrize("wait", [-1.0, math.nan, math.inf, "5", None, True])
def test_a_bad_penalty_raises_and_changes_nothing(wait: object) -> None:
    clock = FakeClock()
    budget = budget_on(clock, limit=2)
    anyio.run(budget.acquire)
    budget.penalize(3.0)
    before = budget.snapshot()
    with pytest.raises(ValueError, match="penalize wait"):
        budget.penalize(wait)  # type: ignore[arg-type]  # the bad type is the point
    assert budget.snapshot() == before


# --- saturation and throughput -----------------------------------------------------------------


@pytest.mark.anyio
async def test_limit_grants_go_at_once_and_the_next_waits_a_window() -> None:
    clock = FakeClock(500.0)
    budget = budget_on(clock, limit=40, window=60.0)
    assert [await budget.acquire() for _ in range(40)] == [0.0] * 40
    assert budget.delay() == pytest.approx(60.0)
    assert await budget.acquire() == pytest.approx(60.0)
    assert clock.now == pytest.approx(560.0)


@pytest.mark.anyio
async def test_sustained_throughput_is_the_limit_per_window() -> None:
    clock = FakeClock()
    budget = budget_on(clock, limit=40, window=60.0)
    windows = 50
    grants = []
    while clock.now < windows * 60.0:
        await budget.acquire()
        grants.append(clock.now)
    in_span = [g for g in grants if g < windows * 60.0]
    assert most_in_any_window(grants, 60.0) == 40
    assert len(in_span) >= 0.99 * 40 * windows
    for slot in range(windows):
        assert sum(1 for g in grants if slot * 60.0 <= g < (slot + 1) * 60.0) == 40


@pytest.mark.anyio
async def test_full_speed_against_a_fixed_window_server_with_its_headers() -> None:
    """Feeding a fixed-window server's headers back keeps both safety and full throughput.

    The server, like ShipStation's, rounds ``Reset`` up to whole seconds.
    """
    clock = FakeClock()
    budget = budget_on(clock, limit=40, window=60.0)
    offset = 23.0
    used: dict[int, int] = {}
    while clock.now < 600.0:
        await budget.acquire()
        slot = math.floor((clock.now - offset) / 60.0)
        used[slot] = used.get(slot, 0) + 1
        budget.observe(
            {
                "X-Rate-Limit-Limit": "40",
                "X-Rate-Limit-Remaining": str(max(0, 40 - used[slot])),
                "X-Rate-Limit-Reset": str(math.ceil(offset + (slot + 1) * 60.0 - clock.now)),
            }
        )
    assert max(used.values()) <= 40
    assert sum(used.values()) >= 0.99 * 40 * 10


# --- handing the key over to another process ---------------------------------------------------


@PROPERTY
@given(
    scenarios(observations=True, penalties=True, max_events=40),
    st.data(),
    st.floats(-1e5, 1e5),
)
def test_a_handover_keeps_every_restriction(
    scenario: Scenario, data: st.DataObject, origin: float
) -> None:
    split = data.draw(st.integers(0, len(scenario.events)))
    straight = grant_times(scenario, play(scenario))
    handed_over = grant_times(scenario, play_with_handover(scenario, split, origin))
    assert handed_over == pytest.approx(straight, abs=TOLERANCE)


def test_snapshot_round_trip_across_clock_origins() -> None:
    old_clock = FakeClock(1000.0)
    old = budget_on(old_clock, limit=4, window=60.0, reserve=1)
    anyio.run(old.acquire)
    old_clock.advance_to(1010.0)
    anyio.run(old.acquire)
    old.observe(
        {"X-Rate-Limit-Remaining": "2", "X-Rate-Limit-Reset": "45", "X-Rate-Limit-Limit": "3"}
    )
    old_clock.advance_to(1015.0)
    old.penalize(7.0)
    state = old.snapshot()
    assert state == BudgetState(
        limit=3,
        window=60.0,
        reserve=1,
        grant_ages=(15.0, 5.0),
        header_caps=(HeaderCap(remaining=1, resets_in=40.0),),
        blocked_for=7.0,
    )
    new_clock = FakeClock(3.0)
    new = Budget.restore(
        BudgetState.from_dict(json.loads(json.dumps(state.to_dict()))),
        clock=new_clock,
        sleep=new_clock.sleep,
    )
    assert new.snapshot() == state
    assert (new.limit, new.window, new.reserve) == (3, 60.0, 1)
    # The lowered limit (2 a window after the reserve) holds the next grant until the first
    # one leaves the window; then the header cap (1 left until 40 s on) holds the one after.
    assert new.delay() == pytest.approx(45.0) == old.delay()
    assert anyio.run(new.acquire) == pytest.approx(45.0)
    assert new.delay() == pytest.approx(10.0)


def test_a_snapshot_drops_what_has_expired() -> None:
    clock = FakeClock()
    budget = budget_on(clock, limit=5, window=10.0)
    anyio.run(budget.acquire)
    budget.observe({"X-Rate-Limit-Remaining": "1", "X-Rate-Limit-Reset": "3"})
    budget.penalize(2.0)
    clock.advance_to(10.0)
    assert budget.snapshot() == BudgetState(limit=5, window=10.0, reserve=0)


# --- bad input ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"limit": 0}, "limit must be at least 1"),
        ({"limit": -5}, "limit must be at least 1"),
        ({"limit": 1.5}, "limit must be an integer"),
        ({"limit": True}, "limit must be an integer"),
        ({"limit": "40"}, "limit must be an integer"),
        ({"window": 0}, "window must be more than 0"),
        ({"window": -1.0}, "window must be a finite number"),
        ({"window": math.nan}, "window must be a finite number"),
        ({"window": math.inf}, "window must be a finite number"),
        ({"window": "60"}, "window must be a number"),
        ({"reserve": -1}, "reserve must be at least 0"),
        ({"reserve": 1.0}, "reserve must be an integer"),
        ({"reserve": 40}, "reserve must be less than limit"),
        ({"limit": 3, "reserve": 7}, "reserve must be less than limit"),
    ],
)
def test_bad_constructor_arguments_are_refused_clearly(
    kwargs: dict[str, object], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        Budget(**kwargs)  # type: ignore[arg-type]  # the bad types are the point


GOOD_STATE: dict[str, object] = {
    "limit": 40,
    "window": 60.0,
    "reserve": 2,
    "grant_ages": [12.5, 3.0],
    "header_caps": [{"remaining": 4, "resets_in": 20.0}],
    "blocked_for": 1.5,
}


def test_a_good_state_dict_reads_back_to_itself() -> None:
    state = BudgetState.from_dict(GOOD_STATE)
    assert state.to_dict() == GOOD_STATE
    assert BudgetState.from_dict({"limit": 40, "window": 60, "reserve": 0}) == BudgetState(
        limit=40, window=60.0, reserve=0
    )


def _with(**changes: object) -> dict[str, object]:
    state = copy.deepcopy(GOOD_STATE)
    for key, value in changes.items():
        if value is _REMOVE:
            del state[key]
        else:
            state[key] = value
    return state


_REMOVE = object()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (["limit", 40], "must be a mapping"),
        (_with(limit=-1), "limit must be at least 1"),
        (_with(limit="40"), "limit must be an integer"),
        (_with(limit=True), "limit must be an integer"),
        (_with(window=_REMOVE), "missing window"),
        (_with(window=0), "window must be more than 0"),
        (_with(window=None), "window must be a number"),
        (_with(reserve=40), "reserve must be less than limit"),
        (_with(reserve=-2), "reserve must be at least 0"),
        (_with(surprise=1), "unknown keys: surprise"),
        (_with(grant_ages="12.5"), "grant_ages must be a list"),
        (_with(grant_ages=[-1.0]), "grant age must be a finite number"),
        (_with(grant_ages=["1"]), "grant age must be a number"),
        (_with(grant_ages=[math.inf]), "grant age must be a finite number"),
        (_with(header_caps={"remaining": 1}), "header_caps must be a list"),
        (_with(header_caps=[5]), "each header cap must be a mapping"),
        (_with(header_caps=[{"remaining": 1}]), "header cap is missing resets_in"),
        (_with(header_caps=[{"remaining": -1, "resets_in": 1.0}]), "remaining must be at least 0"),
        (_with(header_caps=[{"remaining": 1.0, "resets_in": 1.0}]), "remaining must be an integer"),
        (_with(header_caps=[{"remaining": 1, "resets_in": 61.0}]), "must not exceed the window"),
        (
            _with(header_caps=[{"remaining": 1, "resets_in": 1.0, "extra": 0}]),
            "unknown keys: extra",
        ),
        (_with(blocked_for=math.nan), "blocked_for must be a finite number"),
        (_with(blocked_for=-0.5), "blocked_for must be a finite number"),
    ],
)
def test_bad_state_dicts_are_refused_clearly_and_left_intact(data: object, message: str) -> None:
    before = copy.deepcopy(data)
    with pytest.raises(ValueError, match=message):
        BudgetState.from_dict(data)  # type: ignore[arg-type]  # bad input is the point
    assert data == before


def test_states_built_directly_are_validated_too() -> None:
    with pytest.raises(ValueError, match="header_caps must hold HeaderCap"):
        BudgetState(limit=2, window=1.0, reserve=0, header_caps=({"remaining": 1},))  # type: ignore[arg-type]  # bad input is the point
    with pytest.raises(ValueError, match="reserve must be less than limit"):
        BudgetState(limit=2, window=1.0, reserve=2)


# --- concurrency -------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_a_hundred_concurrent_callers_respect_the_limit_in_arrival_order() -> None:
    clock = FakeClock()
    budget = budget_on(clock, limit=40, window=60.0)
    arrived: list[int] = []
    granted: list[tuple[int, float]] = []

    async def caller(number: int) -> None:
        arrived.append(number)
        await budget.acquire()
        granted.append((number, clock.now))

    async with anyio.create_task_group() as group:
        for number in range(100):
            group.start_soon(caller, number)

    times = [moment for _, moment in granted]
    assert len(granted) == 100
    assert most_in_any_window(times, 60.0) == 40
    assert [number for number, _ in granted] == arrived
    assert max(times) == pytest.approx(120.0)


@pytest.mark.anyio
async def test_concurrent_callers_see_a_penalty_given_while_they_wait() -> None:
    clock = FakeClock()
    budget = budget_on(clock, limit=2, window=10.0)
    granted: list[float] = []

    async def caller() -> None:
        await budget.acquire()
        granted.append(clock.now)
        if len(granted) == 2:
            budget.penalize(25.0)

    async with anyio.create_task_group() as group:
        for _ in range(4):
            group.start_soon(caller)

    assert granted == pytest.approx([0.0, 0.0, 25.0, 25.0])


@pytest.mark.anyio
async def test_a_cancelled_waiter_spends_nothing_and_blocks_no_one() -> None:
    clock = FakeClock()
    budget = Budget(1, 10.0, clock=clock, sleep=lambda _: anyio.sleep_forever())
    await budget.acquire()
    with anyio.move_on_after(0.01):
        await budget.acquire()
    assert budget.snapshot().grant_ages == (0.0,)
    clock.advance_to(10.0)
    with anyio.fail_after(1):
        assert await budget.acquire() == 0.0


def test_budgets_carry_no_secrets_in_their_repr() -> None:
    assert repr(Budget(40, 60.0, reserve=3)) == "Budget(limit=40, window=60.0, reserve=3)"


def test_observe_reads_any_mapping_of_headers() -> None:
    clock = FakeClock()
    budget = budget_on(clock)
    headers: Mapping[str, str] = httpx2.Response(
        200, headers={"X-Rate-Limit-Remaining": "0", "X-Rate-Limit-Reset": "9"}
    ).headers
    budget.observe(headers)
    assert budget.delay() == pytest.approx(9.0)
