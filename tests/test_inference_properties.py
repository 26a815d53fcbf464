"""Property and consistency tests of eventstudy.inference (synthetic market-model panels)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eventstudy.inference import (
    ALL_TESTS,
    Panel,
    TestResult,
    battery,
    dependence,
    design_effect,
    mean_cross_correlation,
    run_tests,
)
from eventstudy.inference.correlation import kp_factor_bmp, kp_factor_patell

TAUS = np.arange(-2, 3)


def market_panel(seed: int, n: int, m: int, shock: float = 0.0, rho: float = 0.0, scale: float = 1.0) -> Panel:
    """OLS market-model residuals of n assets on one market; ``shock`` added on day 0."""
    rng = np.random.default_rng(seed)
    t = m + TAUS.size
    mkt = rng.normal(3e-4, 0.009, t)
    common = rng.normal(0, 1, t)
    sig = rng.uniform(0.005, 0.01, n)
    eps = (math.sqrt(rho) * common + math.sqrt(1 - rho) * rng.normal(0, 1, (n, t))) * sig[:, None]
    beta = rng.uniform(0.6, 1.4, n)
    r = 1e-4 + beta[:, None] * mkt + eps
    r[:, m + 2] += shock  # TAUS[2] == 0
    r, mkt = r * scale, mkt * scale
    x = np.column_stack([np.ones(m), mkt[:m]])
    coef = np.linalg.lstsq(x, r[:, :m].T, rcond=None)[0]  # (2, n)
    ar = r - coef[0][:, None] - coef[1][:, None] * mkt
    mk = np.tile(mkt, (n, 1))
    return Panel(ar[:, :m], ar[:, m:], TAUS, mk[:, :m], mk[:, m:], k=2)


def by_key(results: list[TestResult]) -> dict[tuple[str, int | None], TestResult]:
    return {(r.test, r.tau): r for r in results}


PARAMETRIC = ("t_cs", "bw1980", "bw1985", "patell", "bmp", "kp_bmp", "kp_patell", "grank")


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**31), n=st.integers(6, 12), m=st.integers(80, 250),
       convention=st.sampled_from(["clm", "estudy2"]))
def test_injected_day0_abnormal_return_is_detected(seed, n, m, convention):
    p = market_panel(seed, n, m, shock=0.08)
    res = by_key(run_tests(p, tests=PARAMETRIC, convention=convention))
    for t in PARAMETRIC:
        r = res[(t, 0)]
        assert r.statistic > 0 and r.pvalue < 0.01, (t, r)
        # the window CAR contains day 0 as well
        assert res[(t, None)].statistic > 0, t


SCALE_INVARIANT = ("t_cs", "bw1980", "bw1985", "patell", "bmp", "kp_bmp", "kp_patell", "rank", "mrank",
                   "grank", "sign", "gsign", "wilcoxon")


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**31), c=st.floats(1e-3, 1e3), convention=st.sampled_from(["clm", "estudy2"]))
def test_scale_invariance(seed, c, convention):
    a = run_tests(market_panel(seed, 5, 120, shock=0.01), tests=SCALE_INVARIANT, convention=convention)
    b = run_tests(market_panel(seed, 5, 120, shock=0.01, scale=c), tests=SCALE_INVARIANT, convention=convention)
    for x, y in zip(a, b):
        assert (x.test, x.tau) == (y.test, y.tau)
        assert np.isclose(x.statistic, y.statistic, rtol=1e-7, atol=1e-9, equal_nan=True), (x, y)


def test_bootstrap_enumerates_small_nulls_and_samples_large_ones_reproducibly():
    small = market_panel(3, 4, 200, shock=0.02, rho=0.5)  # 200 rows: every row (block) is the null
    a = battery(small, tests=["bootstrap"], seed=11, n_boot=999)
    pd.testing.assert_frame_equal(a, battery(small, tests=["bootstrap"], seed=12, n_boot=999))  # no sampling
    day0 = a[a.tau == 0].iloc[0]
    assert day0.pvalue <= 2 / 201 + 1e-12 and day0.distribution == "resampling, all 200"
    big = market_panel(3, 4, 800, shock=0.02, rho=0.5)  # 800 rows > ENUMERATE_MAX: n_boot draws
    b = battery(big, tests=["bootstrap"], seed=11, n_boot=999)
    pd.testing.assert_frame_equal(b, battery(big, tests=["bootstrap"], seed=11, n_boot=999))
    assert not np.allclose(b.statistic, battery(big, tests=["bootstrap"], seed=12, n_boot=999).statistic)
    assert (b.distribution == "resampling, 999 draws").all() and ((b.pvalue > 0) & (b.pvalue <= 1)).all()


def test_bootstrap_window_null_uses_complete_blocks_only():
    """Rows missing for every member (days inside another event's window) are no draws: the window
    null is the sums over the complete blocks, computed here by hand, and the 0:0 window equals
    its own day-0 row."""
    p = market_panel(8, 5, 150, rho=0.3)
    est = p.est_ar.copy()
    est[:, 60:70] = np.nan  # ten positions empty for all members
    q = Panel(est, p.evt_ar, p.taus, p.est_mkt, p.evt_mkt, k=2)
    have = ~np.isnan(est)
    aar_est = np.divide(np.nansum(est, axis=0), have.sum(axis=0), out=np.full(150, np.nan), where=have.any(axis=0))
    sums = [aar_est[s:s + 5].sum() for s in range(150 - 5 + 1) if np.isfinite(aar_est[s:s + 5]).all()]
    assert len(sums) == 150 - 5 + 1 - 14  # starts 56..69 touch the hole
    car = battery(q, tests=["bootstrap"]).query("tau.isna()", engine="python").iloc[0]
    caar = np.nanmean(q.evt_ar, axis=0).sum()
    assert car.statistic == pytest.approx((caar - np.mean(sums)) / np.std(sums, ddof=1), rel=1e-12)
    assert car.distribution == f"resampling, all {len(sums)}"
    one = Panel(est, p.evt_ar[:, 2:3], np.array([0]), p.est_mkt, p.evt_mkt[:, 2:3], k=2)
    rows = battery(one, tests=["bootstrap"])
    assert rows["pvalue"].iloc[0] == rows["pvalue"].iloc[1] and rows["statistic"].iloc[0] == rows["statistic"].iloc[1]


def test_battery_frame_shape_and_unpacking():
    p = market_panel(1, 4, 150, shock=0.02)
    df = battery(p, n_boot=199)
    assert list(df.columns) == ["test", "tau", "statistic", "pvalue", "n", "distribution", "df", "note"]
    assert str(df.tau.dtype) == "Int64"
    assert set(df.test) == set(ALL_TESTS)
    assert len(df) == len(ALL_TESTS) * (TAUS.size + 1)
    assert df[df.tau.isna()].shape[0] == len(ALL_TESTS)
    r = run_tests(p, tests=["t_cs"])[0]
    stat, pv = r
    assert (stat, pv) == (r.statistic, r.pvalue) and r.distribution == "t(3)" and r.df == 3


@pytest.mark.parametrize("test", ["t_cs", "patell", "bmp", "kp_bmp", "rank", "grank", "gsign"])
def test_one_sided_pvalues_add_to_one(test):
    p = market_panel(5, 6, 150, shock=0.004)
    g = run_tests(p, tests=[test], alternative="greater")
    le = run_tests(p, tests=[test], alternative="less")
    two = run_tests(p, tests=[test])
    for a, b, c in zip(g, le, two):
        assert a.pvalue + b.pvalue == pytest.approx(1.0)
        assert c.pvalue == pytest.approx(2 * min(a.pvalue, b.pvalue))


def test_clm_variance_matches_ols_and_matrix_form():
    """s_i^2 (clm) = statsmodels OLS mse_resid; Var(CAR_i) = s^2 γ'(I + X*(X'X)^-1 X*')γ (CLM 4.4)."""
    sm = pytest.importorskip("statsmodels.api")
    rng = np.random.default_rng(7)
    m, big_l = 120, TAUS.size
    mkt = rng.normal(0, 0.01, m + big_l)
    y = 0.001 + 1.1 * mkt + rng.normal(0, 0.02, m + big_l)
    fit = sm.OLS(y[:m], sm.add_constant(mkt[:m])).fit()
    ar = y - fit.params[0] - fit.params[1] * mkt
    p = Panel(ar[None, :m], ar[None, m:], TAUS, mkt[None, :m], mkt[None, m:], k=2)
    assert p.s2("clm")[0] == pytest.approx(fit.mse_resid, rel=1e-12)
    x = sm.add_constant(mkt[:m])
    xs = sm.add_constant(mkt[m:])
    v = np.eye(big_l) + xs @ np.linalg.inv(x.T @ x) @ xs.T
    assert p.car_var("clm")[0] == pytest.approx(fit.mse_resid * v.sum(), rel=1e-10)
    # SAR denominator = diagonal of the same matrix
    assert np.allclose(p.fe_factor[0], np.diag(v), rtol=1e-12)


def test_conventions_differ_only_where_documented():
    p = market_panel(2, 5, 100, shock=0.01)
    m = 100
    clm, e2 = by_key(run_tests(p, convention="clm", n_boot=99)), by_key(run_tests(p, convention="estudy2", n_boot=99))
    for t in ("t_cs", "bw1985", "bmp", "kp_bmp", "rank", "mrank", "sign", "wilcoxon", "bootstrap"):
        assert clm[(t, 0)].statistic == pytest.approx(e2[(t, 0)].statistic, rel=1e-12), t
    # Patell daily: s_i^2 over M-k (clm, larger) vs M-1 (estudy2), same k = 2 correction (M-2)/(M-4)
    assert clm[("patell", 0)].statistic / e2[("patell", 0)].statistic == pytest.approx(math.sqrt((m - 2) / (m - 1)))


def test_kp_factors_reproduce_methods_side_by_side():
    """METHODS.md: BMP 3.8960 and Patell 3.2637 with r̄ 0.5075, N 4 -> KP 1.7216 and 2.0550."""
    assert 3.8960 * float(kp_factor_bmp(4, 0.5075)) == pytest.approx(1.7216, abs=2e-4)
    assert 3.2637 * float(kp_factor_patell(4, 0.5075)) == pytest.approx(2.0550, abs=2e-4)
    d = design_effect(4, 0.5)
    assert (d.deff, d.n_eff, d.df_eff) == pytest.approx((2.5, 1.6, 1.2))


def test_r_bar_detects_common_factor_and_is_in_notes():
    p = market_panel(4, 4, 240, rho=0.5)
    cc = mean_cross_correlation(p.est_ar)
    assert 0.35 < cc.rbar < 0.65 and cc.n_pairs == 6
    assert dependence(p).deff == pytest.approx(1 + 3 * cc.rbar)
    df = battery(p, tests=["t_cs", "kp_bmp"])
    assert df.note.str.contains("r̄=").all()
    assert "DEFF" in df[(df.test == "t_cs") & df.tau.isna()].note.iloc[0]


def test_r_bar_calendar_alignment_pairs_same_dates():
    """Two members whose rows are shifted by 5 sessions: by date the residuals coincide."""
    rng = np.random.default_rng(0)
    z = rng.normal(size=105)
    dates = np.arange(np.datetime64("2024-01-01"), np.datetime64("2024-01-01") + 105)
    est = np.vstack([z[:100], z[5:]])
    d = np.vstack([dates[:100], dates[5:]])
    assert mean_cross_correlation(est, d).rbar == pytest.approx(1.0)
    assert abs(mean_cross_correlation(est).rbar) < 0.3


def test_missing_values_are_skipped_without_warnings():
    p = market_panel(9, 6, 150, shock=0.03)
    est, evt = p.est_ar.copy(), p.evt_ar.copy()
    est[0, :10] = np.nan
    evt[1, 2] = np.nan  # member 1 missing on day 0
    q = Panel(est, evt, p.taus, p.est_mkt, p.evt_mkt, k=2)
    df = battery(q, n_boot=199)
    day0 = df[df.tau == 0]
    assert (day0[day0.test.isin(["t_cs", "bmp", "patell", "sign"])].n == 5).all()
    assert np.isfinite(df.statistic).all()


def test_rbar_counts_pairs_without_common_event_days_as_uncorrelated():
    """Two members with identical estimation residuals (one index, two events) have r = 1; if
    their event windows are on different days the pair enters r̄ as 0, if they share days as 1."""
    import numpy as np

    from eventstudy.inference import mean_cross_correlation

    rng = np.random.default_rng(0)
    est = rng.normal(size=(1, 100)).repeat(2, axis=0)
    dates = np.tile(np.arange("2025-01-01", 100, dtype="datetime64[D]"), (2, 1))
    same = np.array([["2025-06-02", "2025-06-03"], ["2025-06-03", "2025-06-04"]], dtype="datetime64[D]")
    apart = np.array([["2025-06-02", "2025-06-03"], ["2025-09-01", "2025-09-02"]], dtype="datetime64[D]")
    assert mean_cross_correlation(est, dates).rbar == pytest.approx(1.0)
    assert mean_cross_correlation(est, dates, evt_dates=same).rbar == pytest.approx(1.0)
    assert mean_cross_correlation(est, dates, evt_dates=apart).rbar == 0.0
