"""Nonparametric tests: Corrado rank, modified rank, GRANK, sign, generalized sign, Wilcoxon."""

from __future__ import annotations

import math

import numpy as np
from scipy import stats as st

from . import _nan
from .context import Context, make_results
from .results import TestResult

NULL_DAILY = "AR_tau distributed like the estimation-window ARs"


def _ranks(x: np.ndarray) -> np.ndarray:
    """Row-wise ranks (ties averaged), NaN kept as NaN."""
    return st.rankdata(x, axis=1, nan_policy="omit")


def _rank_parts(ctx: Context) -> tuple[np.ndarray, np.ndarray]:
    p = ctx.panel
    # Ranks over the estimation window plus the event window being tested (never the gap):
    # Corrado (1989); estudy2 ``rank_test`` does the same, so values depend on the tested window.
    full = np.hstack([p.est_ar, p.evt_ar])
    k = _ranks(full)
    t_i = _nan.count(full, axis=1).astype(float)
    return k, t_i


def rank(ctx: Context) -> list[TestResult]:
    """Corrado (1989, JFE 23:385-395) rank test: K_it rank of AR_it in member i's E ∪ W,
    D_t = mean_i(K_it - (T_i+1)/2), S = sqrt(Σ_{E∪W} D_t^2 / mean(T_i)), Z = D_t / S, N(0,1).

    CAR (Campbell & Wasley 1993; Cowan 1992): clm Σ_{t∈W} D_t / sqrt(L S^2). estudy2
    ``car_rank_test`` centres on the pooled K̄ = mean_i (T_i+1)/2 instead of each member's:
    sqrt(L) (mean_{i,t∈W} K_it - K̄) / S with S from mean_i K_it - K̄ (identical when all T_i agree).
    """
    p = ctx.panel
    k, t_i = _rank_parts(ctx)
    kbar_i = (t_i + 1) / 2
    d = _nan.nmean(k - kbar_i[:, None], axis=0)
    s = math.sqrt(np.nansum(d ** 2) / t_i.mean())
    m = p.n_est
    stat = d[m:] / s
    n_t = _nan.count(p.evt_ar, axis=0)
    if ctx.convention == "estudy2":
        kbar = kbar_i.mean()
        dd = _nan.nmean(k, axis=0) - kbar
        s_car = math.sqrt(np.nansum(dd ** 2) / t_i.mean())
        car = math.sqrt(p.n_evt) * (float(_nan.nmean(k[:, m:])) - kbar) / s_car
    else:
        ok = np.isfinite(d[m:])
        car = float(d[m:][ok].sum() / math.sqrt(ok.sum() * s * s))
    return make_results(ctx, "rank", NULL_DAILY, stat, n_t, None, car, p.n, None,
                        note="ranks over estimation + tested event window")


def mrank(ctx: Context) -> list[TestResult]:
    """Modified rank (Corrado & Zivney 1992, JFQA 27:465; as estudy2 ``modified_rank_test``):
    U_it = K_it/(T_i+1) - 1/2, Z_t = Σ_i U_it / sqrt(N_t), S = sqrt(Σ_{E∪W} Z_t^2 / mean(T_i)),
    statistic Z_t / S, N(0,1); handles missing rows. CAR: Σ_{t∈W} Z_t / (sqrt(L) S)."""
    p = ctx.panel
    k, t_i = _rank_parts(ctx)
    u = k / (t_i[:, None] + 1) - 0.5
    n_tau = _nan.count(u, axis=0)
    z = _nan.safe_div(np.nansum(u, axis=0), np.sqrt(n_tau))
    s = math.sqrt(np.nansum(z ** 2) / t_i.mean())
    m = p.n_est
    stat = z[m:] / s
    ok = np.isfinite(z[m:])
    car = float(z[m:][ok].sum() / (math.sqrt(ok.sum()) * s))
    return make_results(ctx, "mrank", NULL_DAILY, stat, n_tau[m:], None, car, p.n, None,
                        note="ranks over estimation + tested event window")


def _grank_one(est_sar: np.ndarray, g: np.ndarray) -> tuple[float, float, int]:
    """GRANK t-statistic for one event 'day' with standardized values g (N,)."""
    sd = float(_nan.nstd(g))
    gs = g / sd if sd > 0 else g * np.nan
    x = np.hstack([est_sar, gs[:, None]])
    k = _ranks(x)
    t_i = _nan.count(x, axis=1).astype(float)
    u = k / (t_i[:, None] + 1) - 0.5
    n = x.shape[0]
    n_t = _nan.count(u, axis=0)
    ubar = _nan.nmean(u, axis=0)
    big_t = x.shape[1]
    s2 = np.nansum((n_t / n) * ubar ** 2) / big_t
    z = float(ubar[-1] / math.sqrt(s2)) if s2 > 0 else math.nan
    t = z * math.sqrt((big_t - 2) / (big_t - 1 - z * z)) if big_t - 1 - z * z > 0 else math.nan
    return t, float(big_t - 2), int(n_t[-1])


def grank(ctx: Context) -> list[TestResult]:
    """Generalized rank test, Kolari & Pynnönen (2011, J. Empirical Finance 18(5):953-971).

    GSAR_it = SAR_it on the M estimation days and SCAR*_i = SCAR_i / sd_i(SCAR) on the collapsed
    event day (T = M + 1 rows); U_it = rank/(T_i + 1) - 1/2; Z = Ū_0 / S_Ū with
    S_Ū^2 = (1/T) Σ_t (N_t/N) Ū_t^2; t = Z sqrt((T-2)/(T-1-Z^2)) ~ t(T-2). Daily: the event 'day' is
    tau itself (SCAR = SAR_tau). Robust to event-induced variance and cross-correlation.
    """
    p = ctx.panel
    est = p.est_sar(ctx.convention)
    sar = p.sar(ctx.convention)
    res = [_grank_one(est, sar[:, j]) for j in range(p.n_evt)]  # loop over days, not members
    stat = np.array([r[0] for r in res])
    df = np.array([r[1] for r in res])
    n_t = np.array([r[2] for r in res])
    ct, cdf, cn = _grank_one(est, p.scar(ctx.convention))
    return make_results(ctx, "grank", NULL_DAILY, stat, n_t, df, ct, cn, cdf,
                        note="robust to event-induced variance and cross-correlation")


def sign(ctx: Context) -> list[TestResult]:
    """Sign test: Z = (N⁺ - N/2) / (sqrt(N)/2), N⁺ = #{AR > 0} (zero is not positive).

    estudy2: N(0,1) p-value (its ``sign_test``). clm: same statistic, exact binomial(N, 1/2)
    p-value, since N is often a handful of markets. CAR: on CAR_i."""
    p = ctx.panel
    a = p.evt_ar
    n_t = _nan.count(a, axis=0)
    pos = (a > 0).sum(axis=0)
    stat = (pos - 0.5 * n_t) / np.sqrt(0.25 * n_t)
    car_pos, n = int((p.car > 0).sum()), p.n
    car = (car_pos - 0.5 * n) / math.sqrt(0.25 * n)
    if ctx.convention == "estudy2":
        return make_results(ctx, "sign", NULL_DAILY, stat, n_t, None, car, n, None)
    alt = ctx.alternative
    dp = [st.binomtest(int(k), int(m), 0.5, alternative=alt).pvalue for k, m in zip(pos, n_t)]
    cp = st.binomtest(car_pos, n, 0.5, alternative=alt).pvalue
    dist = [f"exact binomial({int(m)}, 0.5)" for m in n_t]
    return make_results(ctx, "sign", NULL_DAILY, stat, n_t, None, car, n, None, daily_p=dp, car_p=cp,
                        dist=dist, car_dist=f"exact binomial({n}, 0.5)")


def gsign(ctx: Context) -> list[TestResult]:
    """Generalized sign test, Cowan (1992, RQFA 2:343-358): Z = (w - N p̂) / sqrt(N p̂ (1 - p̂)),
    w = #{AR_it > 0} (or CAR_i > 0), N(0,1).

    p̂: clm Cowan's mean over members of each member's share of positive estimation ARs;
    estudy2 pools all members' estimation ARs (identical when every M_i is equal)."""
    p = ctx.panel
    e = p.est_ar
    if ctx.convention == "estudy2":
        phat = float((e > 0).sum() / p.m_i.sum())
    else:
        phat = float(((e > 0).sum(axis=1) / p.m_i).mean())
    a = p.evt_ar
    n_t = _nan.count(a, axis=0)
    w = (a > 0).sum(axis=0)
    den = np.sqrt(n_t * phat * (1 - phat))
    stat = _nan.safe_div(w - n_t * phat, den)
    n = p.n
    car = float(_nan.safe_div(np.array((p.car > 0).sum() - n * phat), np.array(math.sqrt(n * phat * (1 - phat)))))
    return make_results(ctx, "gsign", NULL_DAILY, stat, n_t, None, car, n, None, note=f"p̂={phat:.4f}")


def _wilcoxon_one(x: np.ndarray, alternative: str) -> tuple[float, float, int, str]:
    x = x[~np.isnan(x)]
    x = x[x != 0]  # zeros dropped (Wilcoxon; estudy2 as coded)
    n = x.size
    if n == 0:
        return math.nan, math.nan, 0, "signed-rank(0)"
    r = st.rankdata(np.abs(x))
    w_plus = float(r[x > 0].sum())
    ties = np.unique(np.abs(x)).size < n
    method = "exact" if (n <= 50 and not ties) else "approx"
    pv = float(st.wilcoxon(x, alternative=alternative, method=method).pvalue)
    dist = f"exact signed-rank({n})" if method == "exact" else "N(0,1) approx of W+"
    return w_plus, pv, n, dist


def wilcoxon(ctx: Context) -> list[TestResult]:
    """Wilcoxon signed-rank test across members. Statistic = raw W⁺ (sum of the ranks of |AR_it|
    over positive AR_it, zeros dropped) = estudy2 ``wlcx_stat``; p-value exact (signed-rank
    distribution, n <= 50 without ties) else normal approximation (scipy.stats.wilcoxon).
    CAR: on CAR_i."""
    p = ctx.panel
    res = [_wilcoxon_one(p.evt_ar[:, j], ctx.alternative) for j in range(p.n_evt)]
    cw, cp, cn, cd = _wilcoxon_one(p.car, ctx.alternative)
    return make_results(ctx, "wilcoxon", NULL_DAILY, np.array([r[0] for r in res]),
                        np.array([r[2] for r in res]), None, cw, cn, None,
                        note="statistic is raw W+ (not standardized)",
                        daily_p=[r[1] for r in res], car_p=cp, dist=[r[3] for r in res], car_dist=cd)
