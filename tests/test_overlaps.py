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
