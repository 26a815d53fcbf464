"""Events that overlap on a market: found, listed, and handled by the stated policy (a hand-built case)."""

import numpy as np
import pandas as pd
import pytest

import eventstudy as es
from eventstudy.overlaps import find_overlaps

DATES = pd.bdate_range("2023-01-02", periods=500)


@pytest.fixture(scope="module")
def prices():
    rng = np.random.default_rng(21)
    frames = [pd.DataFrame({"ticker": t, "date": DATES, "close": 100 * np.cumprod(1 + rng.normal(0, 0.01, 500))})
              for t in ("MKT", "AAA", "BBB")]
    return pd.concat(frames, ignore_index=True).assign(adj_close=lambda d: d["close"])


def catalog():
    """a and b hit the same day (b only on AAA); c is 2 sessions after a; d is far away.
    Window -1:1 spans 3 sessions: a/c share 1 session, a/b share 3 (same day 0)."""
    rows = [("a", 300, "up", None), ("b", 300, "down", "AAA"), ("c", 302, "up", None), ("d", 400, "up", None)]
    return es.load_events(frame=pd.DataFrame({
        "event_id": [r[0] for r in rows], "date": [f"{DATES[r[1]]:%Y-%m-%d}" for r in rows],
        "group": [r[2] for r in rows], "assets": [r[3] or "AAA;BBB" for r in rows]}))


def fit(prices, overlap):
    return es.EventStudy(catalog(), prices, market="MKT", estimation=(-120, -11), windows=((-1, 1), (0, 0)),
                         n_boot=50, overlap=overlap).fit()


def test_every_overlap_is_listed_with_the_sessions_shared(prices):
    res = fit(prices, "keep")
    got = {(r.market, r.event_a, r.event_b): (r.sessions_shared, r.same_day0) for r in res.overlaps.itertuples()}
    assert got == {("AAA", "a", "b"): (3, True), ("AAA", "a", "c"): (1, False), ("AAA", "b", "c"): (1, False),
                   ("BBB", "a", "c"): (1, False)}
    assert len(res.members) == 7 and res.exclusions.empty  # keep: every member stays


def test_merge_counts_the_same_day_once_and_pools_a_mixed_pair_only_in_all(prices):
    res = fit(prices, "merge")
    m = res.members.set_index(["event_id", "asset"])
    assert ("a+b", "AAA") in m.index and ("a", "BBB") in m.index and ("b", "AAA") not in m.index
    assert pd.isna(m.loc[("a+b", "AAA"), "group"])  # up and down: no common group
    ex = res.exclusions.set_index(["event_id", "asset"])["reason"]
    assert ex[("b", "AAA")] == "merged into a+b: the same day 0 on AAA (overlap='merge')"
    groups = res.groups()
    up = set(res.members.loc[groups["up"], "event_id"])
    assert up == {"a", "c", "d"} and "down" not in groups  # b's only member was merged
    assert len(res.members.loc[groups["all"]]) == 6
    # the merged member's CAR is AAA's reaction to that day, counted once
    a_alone = fit(prices, "drop-later").car.set_index(["event_id", "asset", "window"])
    merged = res.car.set_index(["event_id", "asset", "window"])
    assert merged.loc[("a+b", "AAA", "0:0"), "car"] == pytest.approx(a_alone.loc[("a", "AAA", "0:0"), "car"], rel=1e-12)


def test_drop_later_and_drop(prices):
    later = fit(prices, "drop-later")
    kept = set(zip(later.members["event_id"], later.members["asset"]))
    assert kept == {("a", "AAA"), ("a", "BBB"), ("d", "AAA"), ("d", "BBB")}
    assert later.exclusions.set_index(["event_id", "asset"]).loc[("c", "BBB"), "reason"] == \
        "its window overlaps that of a on BBB, which comes first (overlap='drop-later')"
    dropped = fit(prices, "drop")
    assert set(zip(dropped.members["event_id"], dropped.members["asset"])) == {("d", "AAA"), ("d", "BBB")}


def test_find_overlaps_uses_each_markets_own_sessions():
    """On a market with a missing session the same two dates are one session closer."""
    rets = pd.DataFrame({"ticker": ["X"] * 10 + ["Y"] * 9,
                         "date": list(DATES[:10]) + [d for i, d in enumerate(DATES[:10]) if i != 5]})
    members = pd.DataFrame({"event_id": ["p", "q", "p", "q"], "asset": ["X", "X", "Y", "Y"],
                            "day0": [DATES[3], DATES[7], DATES[3], DATES[7]]})
    got = find_overlaps(rets, members, [es.Window(0, 3)])
    assert got[["market", "sessions_shared"]].values.tolist() == [["Y", 1]]  # X: 4 sessions apart, no overlap


def test_policy_is_checked():
    with pytest.raises(es.SpecificationError, match="overlap='twice'"):
        es.EventStudy(catalog(), pd.DataFrame(), market="MKT", overlap="twice")


def test_events_whose_windows_overlap_are_one_date_and_the_tests_count_dates(prices):
    """Hand count: a, b (same day 0) and c (2 sessions after a, windows -1:1 share a session) are one
    date cluster, d another; so 'all' rests on 2 independent dates, not 4 events' worth."""
    res = fit(prices, "keep")
    cl = res.members.groupby("event_id")["date_cluster"].first()
    assert cl["a"] == cl["b"] == cl["c"] != cl["d"]
    t = res.tests[res.tests["tau"].isna()].drop_duplicates(["group", "window"]).set_index(["group", "window"])
    assert t.loc[("all", "-1:1"), ["events", "dates", "markets"]].tolist() == [4, 2, 2]
    assert t.loc[("up", "-1:1"), ["events", "dates", "markets"]].tolist() == [3, 2, 2]  # a, c, d
    assert t.loc[("b", "0:0"), ["events", "dates", "markets"]].tolist() == [1, 1, 1]  # b hits AAA only
    # the merged member a+b sits in a's cluster: still 2 dates
    merged = fit(prices, "merge")
    tm = merged.tests[merged.tests["tau"].isna()].drop_duplicates(["group", "window"]).set_index(["group", "window"])
    assert tm.loc[("all", "-1:1"), ["events", "dates"]].tolist() == [4, 2]  # a+b counts a and b
    assert merged.members.set_index(["event_id", "asset"]).loc[("a+b", "AAA"), "date_cluster"] == \
        merged.members.set_index(["event_id", "asset"]).loc[("c", "AAA"), "date_cluster"]


def test_results_on_few_dates_are_marked_in_the_headline_and_battery(prices):
    """Six events months apart: 'all' rests on 6 dates (not marked); each event on 1 (marked)."""
    pos = [150, 200, 250, 300, 350, 400]
    ev = es.load_events(frame=pd.DataFrame({"event_id": [f"e{i}" for i in range(6)],
                                            "date": [f"{DATES[p]:%Y-%m-%d}" for p in pos]}))
    res = es.EventStudy(ev, prices, market="MKT", estimation=(-120, -11), windows=((-1, 1),), n_boot=50,
                        by_event=True).fit()
    head = res.summary().table.set_index("group")
    assert head.loc["all", "dates"] == 6 and "few dates" not in head.loc["all", "note"]
    assert head.loc["e0", "dates"] == 1 and "few dates" in head.loc["e0", "note"]
    assert "dates = independent event dates" in res.summary().conventions
    assert "1 independent date(s)" in es.report.tables.battery_table(res, "e0").conventions
    assert "Few dates" not in es.report.tables.battery_table(res, "all").conventions
    # the Kish design-effect note says when it applies
    t = res.tests
    note = t[(t["group"] == "e0") & (t["test"] == "t_cs") & t["tau"].isna()].iloc[0]["note"]
    assert "extremely conservative for members sharing one date" in note


def test_a_merged_name_resolves_to_its_catalog_events_even_when_ids_contain_the_separator():
    from eventstudy.overlaps import constituents, first_event

    cat = {"a", "b+c", "d"}
    assert constituents("a+b+c", cat) == ["a", "b+c"]
    assert constituents("b+c+d", cat) == ["b+c", "d"]
    assert constituents("b+c", cat) == ["b+c"]
    assert first_event("a+b+c+d", cat) == "a" and constituents("a+b+c+d", cat) == ["a", "b+c", "d"]
    assert constituents("zz", cat) == ["zz"]


def test_a_merged_member_ties_its_events_into_one_date(bundled):
    """A at 10:00 and B at 20:00 New York time on one day: on SPY they are a session apart (0:0
    windows do not overlap), in Tokyo both are the next morning's news and merge into A+B. The
    merge ties A and B: one date cluster, one independent date."""
    ev = es.load_events(frame=pd.DataFrame({"event_id": ["A", "B"],
                                            "timestamp": ["2025-06-03T10:00:00-04:00", "2025-06-03T20:00:00-04:00"]}))
    res = es.EventStudy(ev, bundled.daily(["SPY", "^N225"]), assets=["SPY", "^N225"], model="constant-mean",
                        estimation=(-250, -11), windows=((0, 0),), tests=["t_cs"], by_event=False).fit()
    m = res.members.set_index(["event_id", "asset"])
    assert ("A+B", "^N225") in m.index and ("B", "SPY") in m.index and ("A", "SPY") in m.index
    assert m["date_cluster"].nunique() == 1
    t = res.tests[res.tests["tau"].isna() & (res.tests["group"] == "all")].iloc[0]
    assert (t["events"], t["dates"], t["markets"]) == (2, 1, 2)


def test_a_window_past_the_data_has_an_empty_sample_and_the_headline_says_so(prices):
    """Events three sessions before the data end: window 0:5 has no CAR; its effective sample is
    zero (not missing) and the headline still renders."""
    ev = es.load_events(frame=pd.DataFrame({"event_id": ["late", "early"],
                                            "date": [f"{DATES[-3]:%Y-%m-%d}", f"{DATES[300]:%Y-%m-%d}"]}))
    res = es.EventStudy(ev, prices, market="MKT", estimation=(-120, -11), windows=((0, 0), (0, 5)), n_boot=50,
                        by_event=True).fit()
    t = res.tests[res.tests["tau"].isna()].drop_duplicates(["group", "window"]).set_index(["group", "window"])
    assert t.loc[("late", "0:5"), ["events", "dates", "markets"]].tolist() == [0, 0, 0]
    assert t.loc[("late", "0:0"), ["events", "dates", "markets"]].tolist() == [1, 1, 2]
    head = res.summary().table.set_index(["group", "window"])
    assert head.loc[("late", "0:5"), "dates"] == 0 and "few dates" in head.loc[("late", "0:5"), "note"]
    assert str(res.summary())  # renders
