"""The vectorised p-values and r̄ agree with the scipy / pandas reference computations."""

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats as st

from eventstudy.inference import mean_cross_correlation
from eventstudy.inference.nonparametric import _binom_half_p, _magnitude_ranks, _wilcoxon_cols


@pytest.mark.parametrize("alt", ["two-sided", "greater", "less"])
def test_sign_pvalues_equal_binomtest(alt):
    for n in (1, 2, 3, 4, 7, 20, 59, 236):
        k = np.arange(n + 1)
        ours = _binom_half_p(k, np.full(n + 1, n), alt)
        ref = [st.binomtest(int(i), n, 0.5, alternative=alt).pvalue for i in k]
        assert np.allclose(ours, ref, rtol=1e-12, atol=1e-300)


@pytest.mark.parametrize("alt", ["two-sided", "greater", "less"])
@pytest.mark.parametrize("seed", range(6))
def test_wilcoxon_equals_scipy(alt, seed):
    rng = np.random.default_rng(seed)
    n = [3, 8, 20, 50, 51, 120][seed]
    x = rng.normal(0.2, 1, (n, 3))
    x[:, 1] = np.round(x[:, 1], 1)  # ties and zeros
    x[rng.random(n) < 0.1, 2] = np.nan
    w, p, m, dist = _wilcoxon_cols(x, alt)
    for j in range(3):
        v = x[:, j]
        v = v[~np.isnan(v) & (v != 0)]
        ties = np.unique(np.abs(v)).size < v.size
        method = "exact" if (v.size <= 50 and not ties) else "approx"
        ref = st.wilcoxon(v, alternative=alt, method=method)
        r = st.rankdata(np.abs(v))
        assert w[j] == pytest.approx(r[v > 0].sum())
        assert p[j] == pytest.approx(float(ref.pvalue), rel=1e-10, abs=1e-15)
        assert m[j] == v.size



@pytest.mark.parametrize("seed", range(4))
def test_magnitude_ranks_equal_scipy(seed):
    """The Wilcoxon ranks of |x| (one integer sort, NaN last whatever its sign bit) are scipy's
    average ranks, and the tie groups are the counts of the distinct magnitudes in order."""
    rng = np.random.default_rng(seed)
    x = np.round(rng.normal(size=200), seed)  # seed 0: many ties
    x[rng.random(200) < 0.15] = np.nan
    x[rng.random(200) < 0.1] = -np.abs(np.float64("nan"))  # a NaN with its sign bit set
    a = np.abs(x)
    ranks, sizes = _magnitude_ranks(a)
    ok = ~np.isnan(a)
    assert np.isnan(ranks[~ok]).all()
    np.testing.assert_array_equal(ranks[ok], st.rankdata(a[ok]))
    np.testing.assert_array_equal(sizes, np.unique(a[ok], return_counts=True)[1])


def _pandas_rbar(est, dates, min_overlap=20):
    n = est.shape[0]
    long = pd.DataFrame({"member": np.repeat(np.arange(n), est.shape[1]), "date": dates.ravel(), "ar": est.ravel()})
    long = long[long["ar"].notna()]
    wide = long.pivot(index="date", columns="member", values="ar").reindex(columns=range(n))
    c = wide.corr(min_periods=min_overlap).to_numpy()[np.triu_indices(n, 1)]
    c = c[np.isfinite(c)]
    return c.mean(), c.size


@pytest.mark.parametrize("seed", range(3))
def test_rbar_equals_pandas_pairwise_complete(seed):
    rng = np.random.default_rng(seed)
    n, m = 30, 80
    start = rng.integers(0, 60, n)
    f = rng.normal(size=200)
    est = 0.5 * f[start[:, None] + np.arange(m)] + rng.normal(size=(n, m))
    est[rng.random((n, m)) < 0.1] = np.nan
    dates = np.datetime64("2021-01-01") + start[:, None] + np.arange(m)
    cc = mean_cross_correlation(est, dates, min_overlap=40)
    rbar, n_pairs = _pandas_rbar(est, dates, 40)
    assert cc.rbar == pytest.approx(rbar, rel=1e-10)
    assert cc.n_pairs == n_pairs and not cc.approximate


def test_rbar_components_path_and_subset_estimate(monkeypatch):
    import eventstudy.inference.correlation as C

    rng = np.random.default_rng(7)
    n, m = 120, 60
    ev = rng.integers(0, 6, n) * 10
    f = rng.normal(size=400)
    est = 0.5 * f[ev[:, None] + np.arange(m)] + rng.normal(size=(n, m))
    dates = np.datetime64("2021-01-01") + ev[:, None] + np.arange(m)
    evt = dates[:, -1:] + 5
    exact = mean_cross_correlation(est, dates, evt_dates=evt)
    monkeypatch.setattr(C, "_DENSE_MAX", 10)
    split = mean_cross_correlation(est, dates, evt_dates=evt)
    assert split.rbar == pytest.approx(exact.rbar, rel=1e-10) and split.n_pairs == exact.n_pairs
    monkeypatch.setattr(C, "COMPONENT_MAX", 12)
    monkeypatch.setattr(C, "CLASS_MAX", 3)
    approx = mean_cross_correlation(est, dates, evt_dates=evt)
    assert approx.approximate and abs(approx.rbar - exact.rbar) < 0.05


@pytest.mark.parametrize("seed", range(3))
def test_rbar_by_groups_of_masks_equals_pairwise_and_pandas(seed, monkeypatch):
    """Members sharing date masks (events' windows masked out, a holiday per market) and event-date
    classes: the grouped closed form, the pair-by-pair loop and pandas' pairwise-complete
    correlations agree, including a constant member and pairs below the overlap minimum."""
    import eventstudy.inference.correlation as C

    rng = np.random.default_rng(seed)
    n, m = 240, 90
    event = rng.integers(0, 8, n)  # 8 events, a few markets each
    start = event * 7
    f = rng.normal(size=200)
    est = 0.4 * f[start[:, None] + np.arange(m)] + rng.normal(size=(n, m))
    market = rng.integers(0, 3, n)
    for e in range(8):  # another event's window inside this event's estimation rows
        est[(event == e)[:, None] & (np.arange(m) % 17 == e)[None, :]] = np.nan
    est[(market == 1)[:, None] & (np.arange(m) == 30)[None, :]] = np.nan  # a holiday of market 1
    est[5] = 0.25  # a constant residual: no correlation with anyone
    est[6, 20:] = np.nan  # too few rows left for min_overlap=75 with most members
    dates = np.datetime64("2021-01-01") + start[:, None] + np.arange(m)
    evt = (dates[:, -1:] + 3).astype("datetime64[D]")
    grouped = mean_cross_correlation(est, dates, evt_dates=evt, min_overlap=75)
    monkeypatch.setattr(C, "_GROUPED_MAX", 0)  # the pair-by-pair computation
    pairwise = mean_cross_correlation(est, dates, evt_dates=evt, min_overlap=75)
    assert grouped.rbar == pytest.approx(pairwise.rbar, rel=1e-12, abs=1e-15)
    assert grouped.n_pairs == pairwise.n_pairs
    # pandas, every pair sharing an event day (one event date for all): Kolari-Pynnönen's own r̄
    same = np.full_like(evt, np.datetime64("2021-06-01"))
    rbar, n_pairs = _pandas_rbar(est, dates, 75)
    monkeypatch.setattr(C, "_GROUPED_MAX", 32_000_000)
    one = mean_cross_correlation(est, dates, evt_dates=same, min_overlap=75)
    assert one.rbar == pytest.approx(rbar, rel=1e-10) and one.n_pairs == n_pairs


def test_row_variance_with_missing_values_equals_numpys_nanvar():
    from eventstudy.inference import _nan

    rng = np.random.default_rng(11)
    x = rng.normal(0.001, 0.02, size=(5000, 60))
    x[rng.random(x.shape) < 0.1] = np.nan
    x[7] = np.nan  # a row with no value: NaN, as numpy gives it
    x[8, 1:] = np.nan  # one value: n - ddof = 0, NaN
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        want = np.nanvar(x, axis=1, ddof=1)
    got = _nan.nvar(x, axis=1, ddof=1, nan=True)
    np.testing.assert_allclose(got, want, rtol=1e-12, equal_nan=True)
    assert np.isnan(got[7]) and np.isnan(got[8])
