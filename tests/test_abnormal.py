"""CAR variance and BHAR: against the closed-form CLM formula, a Monte Carlo size check, and by hand."""

import numpy as np
import pandas as pd
import pytest

from eventstudy.abnormal import abnormal, car_table, car_variance
from eventstudy.eventtime import EventTimePanel as Panel
from eventstudy.eventtime import PanelRows, window_day_mask
from eventstudy.models import get_model


def synthetic_panel(n, m_est=120, taus=(-130, 10), seed=1, beta=0.8, sigma=0.01):
    """Market-model data with a known truth (no abnormal return unless injected)."""
    rng = np.random.default_rng(seed)
    tau = np.arange(taus[0], taus[1] + 1)
    mkt = rng.normal(0.0003, 0.009, (n, len(tau)))
    ret = 0.0002 + beta * mkt + rng.normal(0, sigma, (n, len(tau)))
    members = pd.DataFrame({"event_id": [f"e{i}" for i in range(n)], "asset": "X", "day0": pd.Timestamp("2025-01-02")})
    dates = np.full(ret.shape, np.datetime64("NaT"), dtype="datetime64[ns]")
    return Panel(members, tau, ret, mkt, PanelRows.of_dates(dates, members["asset"]))


def test_market_model_car_variance_equals_closed_form():
    panel = synthetic_panel(5)
    model = get_model("market")
    est = panel.cols((-130, -11))
    fit = model.fit(panel.ret, panel.mkt, est, min_obs=30)
    w = (-1, 1)
    got = car_variance(panel, model, fit, w)
    for i in range(5):
        x = panel.mkt[i, est]
        resid = panel.ret[i, est] - fit.params[i, 0] - fit.params[i, 1] * x
        s2 = (resid**2).sum() / (len(x) - 2)
        L, M = 3, len(x)
        xm = panel.mkt[i, panel.cols(w)]
        by_hand = s2 * (L + L**2 / M + ((xm - x.mean()).sum()) ** 2 / ((x - x.mean()) ** 2).sum())
        assert got[i] == pytest.approx(by_hand, rel=1e-10)


def test_constant_mean_and_market_adjusted_variances():
    panel = synthetic_panel(3)
    est = panel.cols((-130, -11))
    for name, factor in [("constant-mean", lambda L, M: L + L**2 / M), ("market-adjusted", lambda L, M: L)]:
        model = get_model(name)
        fit = model.fit(panel.ret, panel.mkt, est, min_obs=30)
        assert car_variance(panel, model, fit, (-5, 5)) == pytest.approx(fit.s2 * factor(11, 120), rel=1e-12)


def test_standardized_car_has_unit_variance_under_the_null():
    """Size: with the CLM variance, CAR/se over [-5,5] has variance (M-k)/(M-k-2) ~ 1.017 at M=120
    (t with M-2 df); summing daily variances would give ~1.09."""
    panel = synthetic_panel(20000, seed=7)
    model = get_model("market")
    fit = model.fit(panel.ret, panel.mkt, panel.cols((-130, -11)), min_obs=30)
    normal, ar = abnormal(panel, model, fit)
    tab = car_table(panel, model, fit, ar, normal, [(-5, 5)])
    v = tab["t"].var()
    assert 0.985 < v < 1.05  # 1.017 expected; the SE of a variance over 20,000 draws is ~0.01
    assert (tab["pvalue"] < 0.05).mean() == pytest.approx(0.05, abs=0.006)


def test_injected_car_recovered_and_bhar_by_hand():
    panel = synthetic_panel(200, seed=3)
    ret = panel.ret.copy()
    day0 = int(np.flatnonzero(panel.taus == 0)[0])
    ret[:, day0] += 0.05
    panel = Panel(panel.members, panel.taus, ret, panel.mkt, panel.rows)
    model = get_model("market")
    fit = model.fit(panel.ret, panel.mkt, panel.cols((-130, -11)), min_obs=30)
    normal, ar = abnormal(panel, model, fit)
    tab = car_table(panel, model, fit, ar, normal, [(0, 0), (-1, 1)])
    assert tab.loc[tab.window == "0:0", "car"].mean() == pytest.approx(0.05, abs=0.002)
    row = tab[(tab.window == "-1:1")].iloc[0]
    c = panel.cols((-1, 1))
    assert row["bhar"] == pytest.approx(np.prod(1 + ret[0, c]) - np.prod(1 + normal[0, c]), rel=1e-12)


def test_window_past_end_of_data_is_reported_not_dropped():
    panel = synthetic_panel(2)
    ret = panel.ret.copy()
    ret[1, -2:] = np.nan  # data end two sessions before the window end
    panel = Panel(panel.members, panel.taus, ret, panel.mkt, panel.rows)
    model = get_model("constant-mean")
    fit = model.fit(panel.ret, panel.mkt, panel.cols((-130, -11)), min_obs=30)
    normal, ar = abnormal(panel, model, fit)
    tab = car_table(panel, model, fit, ar, normal, [(0, 10)])
    assert list(tab["status"]) == ["ok", "no return on tau 9,10"]
    assert np.isnan(tab.loc[1, "car"]) and len(tab) == 2


def test_too_short_estimation_window_names_members():
    panel = synthetic_panel(3)
    with pytest.raises(ValueError, match=r"fewer than 200 estimation observations: #0 \(120 obs\)"):
        get_model("market").fit(panel.ret, panel.mkt, panel.cols((-130, -11)), min_obs=200)


def test_clean_estimation_window_excludes_other_events_days():
    """Two events on one asset 20 sessions apart: each one's (-1,1) window lies in the other's
    estimation window and is excluded from it (3 rows), and the fit uses M - 3 observations."""
    dates = pd.bdate_range("2024-01-01", periods=400).to_numpy().astype("datetime64[ns]")
    tau = np.arange(-130, 11)
    pos = np.array([300, 320])  # day-0 rows of the two events
    d = np.stack([dates[p + tau] for p in pos])
    rng = np.random.default_rng(0)
    mkt = rng.normal(0, 0.01, d.shape)
    ret = mkt + rng.normal(0, 0.01, d.shape)
    members = pd.DataFrame({"event_id": ["a", "b"], "asset": "X", "day0": dates[pos]})
    panel = Panel(members, tau, ret, mkt, PanelRows.of_dates(d, members["asset"]))
    # the event-window days of both events, written by hand: rows 299..301 and 319..321
    days = pd.DataFrame({"asset": "X", "date": np.concatenate([dates[299:302], dates[319:322]])})
    mask = window_day_mask(panel, panel.span((-130, -11)), days)
    assert mask[0].sum() == 0  # event a's estimation window ends before b's event window
    assert mask[1].sum() == 3
    excluded = panel.dates[1, panel.cols((-130, -11))][mask[1]]
    assert list(pd.DatetimeIndex(excluded)) == list(pd.DatetimeIndex(dates[299:302]))
    fit = get_model("market").fit(ret, mkt, panel.cols((-130, -11)), min_obs=30, exclude=mask)
    assert list(fit.m) == [120, 117]


def test_clean_window_mask_ignores_rows_before_the_data():
    """Members near the start of the data have NaT estimation rows; the mask must not flag them."""
    dates = pd.bdate_range("2024-01-01", periods=200).to_numpy().astype("datetime64[ns]")
    tau = np.arange(-130, 3)
    d = np.full((2, len(tau)), np.datetime64("NaT"), dtype="datetime64[ns]")
    for i, p in enumerate([60, 150]):
        ok = (p + tau >= 0) & (p + tau < len(dates))
        d[i, ok] = dates[(p + tau)[ok]]
    members = pd.DataFrame({"event_id": ["a", "b"], "asset": "X", "day0": dates[[60, 150]]})
    panel = Panel(members, tau, np.zeros(d.shape), np.zeros(d.shape), PanelRows.of_dates(d, members["asset"]))
    days = pd.DataFrame({"asset": "X", "date": np.concatenate([dates[59:63], dates[149:153]])})
    mask = window_day_mask(panel, panel.span((-130, -11)), days)
    assert mask[0].sum() == 0
    assert mask[1].sum() == 4 and (list(pd.DatetimeIndex(panel.dates[1, :120][mask[1]]))
                                   == list(pd.DatetimeIndex(dates[59:63])))


def test_unchanged_price_in_window_is_flagged_as_possibly_stale():
    panel = synthetic_panel(2)
    ret = panel.ret.copy()
    day0 = int(np.flatnonzero(panel.taus == 0)[0])
    ret[1, day0] = 0.0  # e.g. Yahoo's CNY=X repeating the previous close on a Chinese holiday
    panel = Panel(panel.members, panel.taus, ret, panel.mkt, panel.rows)
    model = get_model("constant-mean")
    fit = model.fit(panel.ret, panel.mkt, panel.cols((-130, -11)), min_obs=30)
    normal, ar = abnormal(panel, model, fit)
    tab = car_table(panel, model, fit, ar, normal, [(-1, 1)])
    assert list(tab["status"]) == ["ok", "ok; unchanged price on tau 0 (stale quote?)"]
    assert np.isfinite(tab.loc[1, "car"])


def test_a_users_model_that_reads_other_members_is_predicted_on_the_whole_panel():
    """A user's model whose normal return is the members' cross-sectional mean (not one member's
    own rows): its abnormal returns are each return less that mean over all members, not over a
    block of them, however many members there are."""
    import warnings
    from dataclasses import dataclass
    from typing import ClassVar

    from eventstudy.models import ROW_BLOCK, NormalReturnModel, members_apart

    @dataclass(frozen=True)
    class CrossSectionMean(NormalReturnModel):
        name: ClassVar[str] = "cross-section mean"
        k: ClassVar[int] = 0
        needs_market: ClassVar[bool] = False

        def columns(self, reg):
            return []

        def offset(self, ret, reg):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                return np.broadcast_to(np.nanmean(ret, axis=0), ret.shape)

    n, t = ROW_BLOCK + 900, 40
    rng = np.random.default_rng(0)
    ret = rng.normal(0, 0.01, (n, t))
    members = pd.DataFrame({"event_id": [f"e{i}" for i in range(n)], "asset": "X", "day0": pd.Timestamp("2025-01-02")})
    dates = np.full((n, t), np.datetime64("NaT"), dtype="datetime64[ns]")
    panel = Panel(members, np.arange(-30, 10), ret, np.zeros((n, t)), PanelRows.of_dates(dates, members["asset"]))
    model = CrossSectionMean()
    assert not members_apart(model) and members_apart(get_model("market"))
    fit = model.fit(panel.ret, model.regressors(panel), slice(0, 25), min_obs=10)
    normal, ar = abnormal(panel, model, fit)
    assert np.allclose(ar, ret - ret.mean(axis=0), rtol=0, atol=1e-15)
    assert np.allclose(ar.mean(axis=0), 0.0, atol=1e-15)
