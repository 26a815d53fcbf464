"""The one-argsort rank machinery (rank, mrank, GRANK) equals ranking with scipy.stats.rankdata."""

import math

import numpy as np
import pytest
from scipy import stats as st

from eventstudy.inference import Panel, _nan, battery, nonparametric
from eventstudy.inference.context import Context
from eventstudy.inference.nonparametric import corrado_rank_sums, estimation_ranks


def _ref_rank_sums(p: Panel):
    full = np.hstack([p.est_ar, p.evt_ar])
    k = st.rankdata(full, axis=1, nan_policy="omit")
    t_i = (~np.isnan(full)).sum(axis=1).astype(float)
    dev = np.nansum(k - ((t_i + 1) / 2)[:, None], axis=0)
    u = np.nansum(k / (t_i[:, None] + 1) - 0.5, axis=0)
    return dev, u, np.nansum(k, axis=0)


def _ref_grank(est_sar, gs):
    """GRANK from Kolari and Pynnönen (2011), written from the paper: scipy ranks of each member's
    estimation values with g appended, T = the positions where some member has a value."""
    n, m = est_sar.shape
    sd = _nan.nstd(gs, axis=0)
    g = np.divide(gs, sd, out=np.full(gs.shape, np.nan), where=sd > 0)
    out = []
    for j in range(gs.shape[1]):
        full = np.column_stack([est_sar, g[:, j]])
        k = st.rankdata(full, axis=1, nan_policy="omit")
        t1 = (~np.isnan(full)).sum(axis=1) + 1.0
        u = k / t1[:, None] - 0.5
        n_t = (~np.isnan(u)).sum(axis=0)
        ubar = np.nansum(u, axis=0) / n_t
        big_t = int((n_t > 0).sum())
        s2 = np.nansum((n_t / n) * ubar ** 2) / big_t
        z = ubar[-1] / math.sqrt(s2)
        out.append(z * math.sqrt((big_t - 2) / (big_t - 1 - z * z)))
    return np.array(out)


def _panel(seed, ties=False, nan=False, n=60, m=50, big_l=3):
    rng = np.random.default_rng(seed)
    est = rng.normal(0, 0.02, (n, m))
    evt = rng.normal(0.002, 0.02, (n, big_l))
    if ties:
        est, evt = np.round(est, 2), np.round(evt, 2)
    if nan:
        est[rng.random((n, m)) < 0.1] = np.nan
        evt[rng.random((n, big_l)) < 0.2] = np.nan
        evt[np.isnan(evt).all(axis=1), 0] = 0.01
    return Panel(est, evt, np.arange(big_l) - 1, rng.normal(0, 0.01, (n, m)), rng.normal(0, 0.01, (n, big_l)), k=2)


@pytest.fixture(params=["outright", "bisection"])
def placing(request, monkeypatch):
    """Both ways of placing an event value in a member's sorted estimation row."""
    if request.param == "bisection":
        monkeypatch.setattr(nonparametric, "PLACE_DIRECT_CELLS", 0)
    return request.param


@pytest.mark.parametrize("ties", [False, True])
@pytest.mark.parametrize("nan", [False, True])
@pytest.mark.parametrize("big_l", [1, 3, 6])
def test_rank_sums_equal_rankdata(ties, nan, big_l, placing):
    p = _panel(3, ties, nan, big_l=big_l)
    ctx = Context(p)
    rs = corrado_rank_sums(ctx)
    dev, u, k = _ref_rank_sums(p)
    assert np.array_equal(rs["dev"], dev)  # half-integer sums: exact
    assert np.array_equal(rs["k"], k)
    assert np.allclose(rs["u"], u, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("ties", [False, True])
@pytest.mark.parametrize("nan", [False, True])
@pytest.mark.parametrize("convention", ["clm", "estudy2"])
def test_grank_equals_rankdata(ties, nan, convention, placing):
    p = _panel(4, ties, nan)
    ctx = Context(p, convention)
    ref = _ref_grank(ctx.est_sar, np.column_stack([ctx.sar, ctx.scar]))
    got = battery(p, tests=["grank"], convention=convention)["statistic"].to_numpy()
    assert np.allclose(got, ref, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("ar_tie_elsewhere", [False, True])
def test_standardized_ties_that_the_returns_do_not_have(placing, ar_tie_elsewhere):
    """Dividing by s_i can round two distinct ARs to one value; GRANK ranks the quotients, also in a
    row whose ARs tie elsewhere (its ranks must be those of the quotients, not of the ARs)."""
    p = _panel(5)
    est = p.est_ar.copy()
    if ar_tie_elsewhere:
        est[0, 5] = est[0, 6] = -0.031
    rng = np.random.default_rng(1)
    for a in rng.uniform(0.02, 0.06, 400):
        est[0, 0], est[0, 1] = a, np.nextafter(a, np.inf)
        q = Panel(est, p.evt_ar, p.taus, p.est_mkt, p.evt_mkt, k=2)
        s = math.sqrt(q.s2("clm")[0])
        if est[0, 0] / s == est[0, 1] / s:
            break
    else:
        pytest.skip("no colliding quotient found")
    ctx = Context(q)
    fix = estimation_ranks(ctx).fix
    assert 0 in fix and fix[0][0] == fix[0][1]
    ref = _ref_grank(ctx.est_sar, np.column_stack([ctx.sar, ctx.scar]))
    got = battery(q, tests=["grank"])["statistic"].to_numpy()
    assert np.allclose(got, ref, rtol=1e-12, atol=1e-12)


def test_panel_keeps_float_inputs_without_copy_and_read_only():
    rng = np.random.default_rng(0)
    est, evt = rng.normal(size=(4, 30)), rng.normal(size=(4, 2))
    p = Panel(est, evt, np.array([0, 1]))
    assert np.shares_memory(p.est_ar, est) and not p.est_ar.flags.writeable
    assert est.flags.writeable  # the caller's array is untouched
    q = Panel(est.astype(np.float32), evt.tolist(), np.array([0, 1]))
    assert q.est_ar.dtype == float and q.evt_ar.dtype == float


@pytest.mark.parametrize("empty", [1, 12])
def test_grank_ignores_positions_no_member_has(empty):
    """A day of the estimation window on which no member has a residual (inside another event's
    window for all of them) is no observation: adding such empty positions changes neither the
    GRANK t nor its degrees of freedom (Kolari and Pynnönen 2011 rank over the days each member has)."""
    p = _panel(5, nan=True)
    holes = np.full((p.n, empty), np.nan)
    q = Panel(np.hstack([p.est_ar[:, :20], holes, p.est_ar[:, 20:]]), p.evt_ar, p.taus,
              np.hstack([p.est_mkt[:, :20], holes, p.est_mkt[:, 20:]]), p.evt_mkt, k=2)
    a = battery(p, tests=["grank"])
    b = battery(q, tests=["grank"])
    np.testing.assert_allclose(b["statistic"], a["statistic"], rtol=1e-12)
    np.testing.assert_array_equal(b["df"], a["df"])
    assert (a["df"] == 49).all()  # 50 positions with data (estimation) + the event one, minus 2


def test_tied_ranks_equal_scipy_rankdata_with_nan_omitted():
    """The battery's own average ranks (one sort per row; issue 12) against scipy's rankdata, the
    independent reference, on rows full of ties and missing values."""
    from scipy.stats import rankdata

    from eventstudy.inference.nonparametric import _ranks

    rng = np.random.default_rng(12)
    for _ in range(200):
        x = rng.integers(0, 6, (5, 30)).astype(float)
        x[rng.random(x.shape) < 0.2] = np.nan
        x[0] = np.nan  # a row with nothing to rank
        expected = rankdata(x, axis=1, nan_policy="omit")
        got = _ranks(x)
        assert np.array_equal(np.isnan(got), np.isnan(expected))
        assert np.array_equal(got[~np.isnan(got)], expected[~np.isnan(expected)])
