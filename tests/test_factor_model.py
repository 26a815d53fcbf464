"""Factor model with Dimson leads and lags: against statsmodels OLS, the market model, and a known truth."""

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from eventstudy.eventtime import EventTimePanel as Panel
from eventstudy.eventtime import PanelRows
from eventstudy.models import FactorModel, get_model


def make_panel(n=50, t=300, seed=0, b0=0.6, b1=0.4):
    """Asset returns that react to the factor today (b0) and to yesterday's factor (b1): an Asian
    index trading on the previous US session. Dimson's summed beta is b0 + b1."""
    rng = np.random.default_rng(seed)
    f = rng.normal(0.0003, 0.01, (n, t + 1))
    ret = 0.0001 + b0 * f[:, 1:] + b1 * f[:, :-1] + rng.normal(0, 0.005, (n, t))
    members = pd.DataFrame({"event_id": [f"e{i}" for i in range(n)], "asset": "X", "day0": pd.Timestamp("2025-01-02")})
    taus = np.arange(-t + 10, 10)
    dates = np.full(ret.shape, np.datetime64("NaT"), dtype="datetime64[ns]")
    fac = f[:, 1:, None]
    return Panel(members, taus, ret, f[:, 1:], PanelRows.of_dates(dates, members["asset"]), fac, ("F",))


def test_one_factor_no_lags_is_the_market_model():
    p = make_panel()
    est = p.cols((p.taus[0], -11))
    fm, mm = FactorModel(("F",)), get_model("market")
    a = fm.fit(p.ret, fm.regressors(p), est, min_obs=30)
    b = mm.fit(p.ret, mm.regressors(p), est, min_obs=30)
    np.testing.assert_allclose(a.params, b.params, rtol=1e-12)
    np.testing.assert_allclose(a.s2, b.s2, rtol=1e-12)


def test_dimson_params_equal_statsmodels_ols():
    p = make_panel(n=3)
    model = FactorModel(("F",), lags=1)
    est = p.cols((p.taus[0], -11))
    fit = model.fit(p.ret, model.regressors(p), est, min_obs=30)
    assert model.k == 4
    for i in range(3):
        x = p.factors[i, :, 0]
        X = np.column_stack([np.ones_like(x), np.roll(x, -1), x, np.roll(x, 1)])  # lead, now, lag
        rows = est[est >= 1]  # row 0 has no lagged factor; the window's last row has its lead inside the panel
        ols = sm.OLS(p.ret[i, rows], X[rows]).fit()
        np.testing.assert_allclose(fit.params[i], ols.params, rtol=1e-9, atol=1e-12)
        assert fit.s2[i] == pytest.approx(ols.scale, rel=1e-9)  # residual variance with M - k dof
        assert fit.m[i] == ols.nobs


def test_dimson_beta_recovers_the_summed_response():
    p = make_panel(n=200, seed=3)
    est = p.cols((p.taus[0], -11))
    dimson = FactorModel(("F",), lags=1)
    betas = dimson.betas(dimson.fit(p.ret, dimson.regressors(p), est, min_obs=30))[:, 0]
    plain = get_model("market").fit(p.ret, p.mkt, est, min_obs=30).params[:, 1]
    assert betas.mean() == pytest.approx(1.0, abs=0.01)  # b0 + b1
    assert plain.mean() == pytest.approx(0.6, abs=0.01)  # the synchronous regression misses b1


def test_factor_model_needs_factors():
    with pytest.raises(ValueError, match="needs factors"):
        FactorModel(())


def test_study_with_dimson_factor_model_on_bundled_asian_markets():
    """End to end on real data: Nikkei and KOSPI against ACWI with one lead and lag; the Dimson
    beta of Tokyo on a US-listed world ETF loads on the previous US session (lag) as well."""
    import eventstudy as es

    ev = es.load_events()
    ev = ev[ev["event_id"].str.contains("busan|kuala|geneva-joint")].reset_index(drop=True)
    res = es.EventStudy(ev, es.BundledSource(), assets=["^N225", "^KS11"], model=es.FactorModel(("ACWI",), lags=1),
                        estimation=(-250, -11), windows=[(0, 0), (-1, 1)], n_boot=200).fit()
    assert len(res.car) == 3 * 2 * 2 and (res.car["status"] == "ok").all()
    assert res.options["model"] == "factor"
    t = res.tests[(res.tests["group"] == "all") & res.tests["tau"].isna()].set_index(["window", "test"])
    assert np.isfinite(t.loc[("-1:1", "patell"), "statistic"]) and np.isfinite(t.loc[("-1:1", "bmp"), "statistic"])


def test_forecast_factors_equal_the_patell_closed_form_for_one_factor():
    """For one factor without lags, 1 + x'(X'X)^-1 x is Patell's 1 + 1/M + (R_mt - mean)^2 / S_mm."""
    from eventstudy.abnormal import forecast_factors

    p = make_panel(n=4)
    est = p.cols((p.taus[0], -11))
    model = FactorModel(("F",))
    fit = model.fit(p.ret, model.regressors(p), est, min_obs=30)
    fe, car_fe = forecast_factors(p, model, fit, (0, 2))
    x = p.mkt[:, est]
    mbar, smm = x.mean(axis=1), ((x - x.mean(axis=1, keepdims=True)) ** 2).sum(axis=1)
    ev = p.mkt[:, p.cols((0, 2))]
    np.testing.assert_allclose(fe, 1 + 1 / x.shape[1] + (ev - mbar[:, None]) ** 2 / smm[:, None], rtol=1e-10)
    np.testing.assert_allclose(car_fe, 3 + 9 / x.shape[1] + (ev - mbar[:, None]).sum(axis=1) ** 2 / smm, rtol=1e-10)
