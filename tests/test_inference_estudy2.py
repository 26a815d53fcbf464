"""Pin the inference battery to R estudy2 0.10.0 (oracle in tests/data/estudy2).

The oracle's own abnormal returns and market returns are fed into Panels (so this checks the
statistics, not the model fits), for every sample x window x market model x return type, with
``convention="estudy2"``.

Tolerance: relative 1e-11 (plus absolute 1e-12 for statistics that are exactly 0); the oracle's CSVs
carry 17 significant digits and the measured agreement is <= 5.2e-15 relative (bh_stat), 0 for sign/gsign/wlcx.
"""

from __future__ import annotations

import functools
import math

import numpy as np
import pandas as pd
import pytest
from conftest import ESTUDY2

from eventstudy.inference import Panel, run_tests

ROOT = ESTUDY2

RTOL, ATOL = 1e-11, 1e-12
EST = (-130, -11)
WINDOWS = {"m1_p1": (-1, 1), "0_0": (0, 0), "m5_p5": (-5, 5)}
K = {"sim": 2, "mean_adj": 1, "mrkt_adj": 0}
# estudy2 daily column -> our test id (Patell/BMP exist in estudy2 only for the market model)
DAILY = {
    "bw_1980_stat": "bw1980", "bw_1985_stat": "bw1985", "t_test_stat": "t_cs", "pt_stat": "patell",
    "bh_stat": "bmp", "sign_stat": "sign", "gsign_stat": "gsign", "rank_stat": "rank",
    "mrank_stat": "mrank", "wlcx_stat": "wilcoxon",
}
SIM_ONLY = {"pt_stat", "bh_stat"}
CAR = {"car_brown_warner_1985": "bw1985", "car_rank_test": "rank"}
CASES = [(rt, mm, s, w) for rt in ("simple", "log") for mm in K
         for s in ("E1", "E2", "E3", "ALL", "CLUSTER8") for w in WINDOWS]


@functools.lru_cache(maxsize=1)
def _data():
    ar = pd.read_csv(ROOT / "outputs" / "abnormal_returns.csv.gz")
    ar = {key: g.set_index("tau").sort_index() for key, g in
          ar.groupby(["returns_type", "market_model", "asset", "event_date"])}
    rets = pd.read_csv(ROOT / "outputs" / "returns.csv.gz")
    mkt = {rt: g.set_index("date")["MKT"] for rt, g in rets.groupby("returns_type")}
    samples = pd.read_csv(ROOT / "inputs" / "samples.csv").sort_values(["sample", "order"])
    samples = {s: list(zip(g["asset"], g["event_date"])) for s, g in samples.groupby("sample")}
    daily = pd.read_csv(ROOT / "outputs" / "daily_tests.csv.gz")
    car = pd.read_csv(ROOT / "outputs" / "car_tests.csv")
    return ar, mkt, samples, daily, car


def estudy2_panel(rt: str, mm: str, sample: str, window: str) -> Panel:
    ar, mkt, samples, _, _ = _data()
    lo, hi = WINDOWS[window]
    est_t, evt_t = np.arange(EST[0], EST[1] + 1), np.arange(lo, hi + 1)
    rows = [ar[(rt, mm, a, d)] for a, d in samples[sample]]
    m = mkt[rt]

    def grab(col: str, taus: np.ndarray) -> np.ndarray:
        return np.array([g.loc[taus, col].to_numpy() for g in rows])

    est_dates, evt_dates = grab("date", est_t), grab("date", evt_t)
    return Panel(
        est_ar=grab("abnormal", est_t).astype(float), evt_ar=grab("abnormal", evt_t).astype(float), taus=evt_t,
        est_mkt=np.array([m.loc[d].to_numpy() for d in est_dates]),
        evt_mkt=np.array([m.loc[d].to_numpy() for d in evt_dates]),
        k=K[mm], est_dates=est_dates.astype("datetime64[D]"),
        labels=[f"{a}@{d}" for a, d in samples[sample]],
    )


@functools.cache
def comparisons() -> pd.DataFrame:
    """One row per (case, statistic, tau): ours vs estudy2's."""
    _, _, _, daily, car = _data()
    out = []
    for rt, mm, s, w in CASES:
        panel = estudy2_panel(rt, mm, s, w)
        tests = sorted(set(DAILY.values()) - ({"patell", "bmp"} if mm != "sim" else set()))
        res = run_tests(panel, tests=tests, convention="estudy2")
        ours = {(r.test, r.tau): r.statistic for r in res}
        d = daily[(daily.returns_type == rt) & (daily.market_model == mm) & (daily["sample"] == s)
                  & (daily.window == w)].set_index("tau")
        assert sorted(d.index) == panel.taus.tolist()
        for col, tid in DAILY.items():
            if col in SIM_ONLY and mm != "sim":
                assert d[col].isna().all()
                continue
            for tau in panel.taus:
                out.append((rt, mm, s, w, col, int(tau), ours[(tid, int(tau))], float(d.loc[tau, col])))
        c = car[(car.returns_type == rt) & (car.market_model == mm) & (car["sample"] == s)
                & (car.window == w)].set_index("name")
        for name, tid in CAR.items():
            out.append((rt, mm, s, w, name, None, ours[(tid, None)], float(c.loc[name, "statistic"])))
    df = pd.DataFrame(out, columns=["returns_type", "market_model", "sample", "window", "stat", "tau", "ours",
                                    "estudy2"])
    df["absdiff"] = (df.ours - df.estudy2).abs()
    df["reldiff"] = df.absdiff / df.estudy2.abs().clip(lower=1e-300)
    return df


def test_every_case_compared():
    df = comparisons()
    # 90 cases; 10 daily stats (8 for non-sim) x L taus + 2 CAR stats
    assert set(df.stat) == set(DAILY) | set(CAR)
    assert df.ours.notna().all() and df.estudy2.notna().all()
    n_daily_sim = 10 * (3 + 1 + 11) * 2 * 5
    n_daily_other = 8 * (3 + 1 + 11) * 2 * 5 * 2
    assert len(df) == n_daily_sim + n_daily_other + 2 * len(CASES)


@pytest.mark.parametrize("stat", sorted(set(DAILY) | set(CAR)))
def test_matches_estudy2(stat):
    df = comparisons()
    sub = df[df.stat == stat]
    bad = sub[~np.isclose(sub.ours, sub.estudy2, rtol=RTOL, atol=ATOL)]
    assert bad.empty, bad.head(10).to_string()


def test_wilcoxon_raw_w_plus_is_integer_sum():
    sub = comparisons().query("stat == 'wlcx_stat'")
    assert np.allclose(sub.ours, np.round(sub.ours * 2) / 2)


def test_event_time_equals_calendar_for_clustered_sample():
    """estudy2's checks: a calendar sample run in event time gives the same statistics; here
    dates only enter r̄, so a Panel without dates gives the same battery for E1."""
    p = estudy2_panel("simple", "sim", "E1", "m1_p1")
    q = Panel(p.est_ar, p.evt_ar, p.taus, p.est_mkt, p.evt_mkt, k=2)
    a = [r.statistic for r in run_tests(p, convention="estudy2", n_boot=199)]
    b = [r.statistic for r in run_tests(q, convention="estudy2", n_boot=199)]
    assert np.allclose(a, b, rtol=1e-12, equal_nan=True)


def test_staggered_r_bar_by_calendar_date_or_event_time():
    """E3 is staggered: by calendar date only overlapping dates enter r̄; in event time (what the
    battery uses) the rows of different events are paired, which says their event-day returns
    fall on unrelated days."""
    p = estudy2_panel("simple", "sim", "E3", "0_0")
    from eventstudy.inference import mean_cross_correlation

    by_date = mean_cross_correlation(p.est_ar, p.est_dates)
    by_row = mean_cross_correlation(p.est_ar)
    assert by_date.aligned_on == "calendar date" and by_row.aligned_on == "event time"
    assert abs(by_row.rbar) < 0.15 and by_row.n_pairs == 3
    assert not math.isclose(by_date.rbar, by_row.rbar)
    # A6 (2024-10-16) and A8 (2025-05-07) estimation windows do not overlap at all
    assert by_date.n_pairs < 3
