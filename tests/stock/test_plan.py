"""The plan: every SKU of both sides accounted for, and targets that never go below zero."""

from hypothesis import given
from hypothesis import strategies as st

from stationmaster.stock.plan import make_plan

SKUS = st.sampled_from([f"S{n}" for n in range(12)])
COUNTS = st.dictionaries(SKUS, st.integers(-5, 50), max_size=12)


def test_each_kind_of_sku() -> None:
    plan = make_plan(
        current={"both": 3, "same": 5, "store-only": 9, "oversold": 4},
        available={"both": 10, "same": 7, "ss-only": 6, "oversold": 1},
        demand={"both": 2, "same": 2, "oversold": 3, "ss-only": 1, "elsewhere": 8},
        created=["ss-only"],
    )
    by_sku = {change.sku: change for change in plan.changes}
    assert sorted(by_sku) == ["both", "oversold", "ss-only"]
    assert (by_sku["both"].target, by_sku["both"].delta) == (8, 5)
    assert (by_sku["ss-only"].target, by_sku["ss-only"].delta, by_sku["ss-only"].created) == (
        5,
        5,
        True,
    )
    assert (by_sku["oversold"].target, by_sku["oversold"].delta) == (0, -4)
    assert plan.oversold == ["oversold"]
    assert (plan.unchanged, plan.store_only, plan.created, plan.skus) == (1, 1, 1, 5)


def test_a_new_sku_at_its_target_is_still_reported_created() -> None:
    plan = make_plan({"new": 0}, {"new": 0}, {}, created=["new"])
    assert [(c.sku, c.delta, c.created) for c in plan.changes] == [("new", 0, True)]


@given(current=COUNTS, available=COUNTS, demand=COUNTS)
def test_every_sku_once_and_targets_reached(
    current: dict[str, int], available: dict[str, int], demand: dict[str, int]
) -> None:
    created = [sku for sku in available if sku not in current]
    start = {**current, **dict.fromkeys(created, 0)}
    plan = make_plan(start, available, demand, created=created)
    assert plan.skus == len(set(start) | set(available))
    after = dict(start)
    for change in plan.changes:
        after[change.sku] += change.delta
    for sku, units in available.items():
        assert after[sku] == max(0, units - demand.get(sku, 0))
    for sku in set(current) - set(available):
        assert after[sku] == current[sku]
