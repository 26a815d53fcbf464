"""Nonparametric tests: Corrado rank, modified rank, GRANK, sign, generalized sign, Wilcoxon."""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
from scipy import special as _sp
from scipy import stats as st

from . import _nan
from .context import Context, make_results
from .results import TestResult

NULL_DAILY = "AR_tau distributed like the estimation-window ARs"


def _ranks(x: np.ndarray) -> np.ndarray:
    """Row-wise ranks (ties averaged), NaN kept as NaN."""
    return st.rankdata(x, axis=1, nan_policy="omit")


def _rank_parts(ctx: Context) -> tuple[np.ndarray, np.ndarray]:
    return ctx.memo("rank_parts", lambda: _rank_parts_(ctx))


def _rank_parts_(ctx: Context) -> tuple[np.ndarray, np.ndarray]:
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


_GRANK_CHUNK = 4096  # members per chunk of the (members x M) comparisons


def _grank_many(est_sar: np.ndarray, gs: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """GRANK t-statistics for several event 'days' at once: column j of ``gs`` (N, J) holds the
    standardized values g of day j. Same statistic as ranking each member's M estimation values
    together with g_ij (average ranks for ties, NaN omitted), without re-ranking per day: the rank
    of an estimation value in M ∪ {g} is its rank in M plus [g < e] + [g == e] / 2, and the rank of
    g is 1 + #{e < g} + #{e == g} / 2."""
    n, m = est_sar.shape
    n_days = gs.shape[1]
    sd = _nan.nstd(gs, axis=0)
    g = np.divide(gs, sd, out=np.full(gs.shape, np.nan), where=sd > 0)
    big_t = m + 1
    u_sum = np.zeros((n_days, big_t))
    n_t = np.zeros((n_days, big_t), dtype=np.int64)
    for lo in range(0, n, _GRANK_CHUNK):
        e = est_sar[lo:lo + _GRANK_CHUNK]
        re = _ranks(e)
        me = _nan.count(e, axis=1)
        okn = ~np.isnan(e)
        for j in range(n_days):
            gj = g[lo:lo + _GRANK_CHUNK, j][:, None]
            has = ~np.isnan(gj[:, 0])
            lt = gj < e
            eq = gj == e
            k = re + lt + 0.5 * eq
            kg = np.where(has, 1.0 + (e < gj).sum(axis=1) + 0.5 * eq.sum(axis=1), np.nan)
            t1 = (me + has)[:, None] + 1.0
            u = k / t1 - 0.5
            ug = kg / t1[:, 0] - 0.5
            u_sum[j, :m] += np.where(okn, u, 0.0).sum(axis=0)
            u_sum[j, m] += np.where(has, ug, 0.0).sum()
            n_t[j, :m] += okn.sum(axis=0)
            n_t[j, m] += int(has.sum())
    stat = np.full(n_days, np.nan)
    for j in range(n_days):
        ubar = np.divide(u_sum[j], n_t[j], out=np.full(big_t, np.nan), where=n_t[j] > 0)
        s2 = np.nansum((n_t[j] / n) * ubar ** 2) / big_t
        z = float(ubar[-1] / math.sqrt(s2)) if s2 > 0 else math.nan
        stat[j] = z * math.sqrt((big_t - 2) / (big_t - 1 - z * z)) if big_t - 1 - z * z > 0 else math.nan
    return stat, np.full(n_days, float(big_t - 2)), n_t[:, m]


def grank(ctx: Context) -> list[TestResult]:
    """Generalized rank test, Kolari & Pynnönen (2011, J. Empirical Finance 18(5):953-971).

    GSAR_it = SAR_it on the M estimation days and SCAR*_i = SCAR_i / sd_i(SCAR) on the collapsed
    event day (T = M + 1 rows); U_it = rank/(T_i + 1) - 1/2; Z = Ū_0 / S_Ū with
    S_Ū^2 = (1/T) Σ_t (N_t/N) Ū_t^2; t = Z sqrt((T-2)/(T-1-Z^2)) ~ t(T-2). Daily: the event 'day' is
    tau itself (SCAR = SAR_tau). Robust to event-induced variance and cross-correlation.
    """
    p = ctx.panel
    est = ctx.est_sar
    g = np.column_stack([ctx.sar, ctx.scar])
    stat, df, n_t = _grank_many(est, g)
    big_l = p.n_evt
    return make_results(ctx, "grank", NULL_DAILY, stat[:big_l], n_t[:big_l], df[:big_l], float(stat[big_l]),
                        int(n_t[big_l]), float(df[big_l]),
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
    dp = _binom_half_p(pos, n_t, alt)
    cp = float(_binom_half_p(np.array([car_pos]), np.array([n]), alt)[0])
    dist = [f"exact binomial({int(m)}, 0.5)" for m in n_t]
    return make_results(ctx, "sign", NULL_DAILY, stat, n_t, None, car, n, None, daily_p=dp, car_p=cp,
                        dist=dist, car_dist=f"exact binomial({n}, 0.5)")


def _binom_half_p(k: np.ndarray, n: np.ndarray, alternative: str) -> np.ndarray:
    """Exact binomial(n, 1/2) p-values of k successes, as ``scipy.stats.binomtest(k, n, 0.5)``
    (two-sided: by symmetry P(X <= min(k, n-k)) + P(X >= max(k, n-k)), capped at 1). NaN if n = 0."""
    k = np.asarray(k, dtype=np.int64)
    n = np.asarray(n, dtype=np.int64)
    with np.errstate(invalid="ignore"):
        cdf = _sp.bdtr(k, n, 0.5)  # P(X <= k)
        sf = np.where(k >= 1, _sp.bdtrc(np.maximum(k - 1, 0), n, 0.5), 1.0)  # P(X >= k)
        if alternative == "greater":
            p = sf
        elif alternative == "less":
            p = cdf
        else:
            lo = np.minimum(k, n - k)
            p = np.where(2 * k == n, 1.0, np.minimum(1.0, 2.0 * _sp.bdtr(lo, n, 0.5)))
    return np.where(n > 0, p, np.nan)


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


@lru_cache(maxsize=None)
def _signed_rank_pmf(n: int) -> np.ndarray:
    """pmf of W+ under H0 for n untied nonzero values (counts of subsets of {1..n} by sum / 2^n)."""
    c = np.zeros(n * (n + 1) // 2 + 1)
    c[0] = 1.0
    for i in range(1, n + 1):
        c[i:] = c[i:] + c[:-i].copy()
    return c / 2.0 ** n


def _signed_rank_cdf(k: int, n: int) -> float:
    pmf = _signed_rank_pmf(n)
    if k <= n * (n + 1) / 4:
        return float(pmf[:k + 1].sum())
    return 1.0 - float(pmf[k + 1:].sum())


def _signed_rank_sf(k: int, n: int) -> float:
    pmf = _signed_rank_pmf(n)
    if k <= n * (n + 1) / 4:
        return float(pmf[k:].sum())
    return 1.0 - float(pmf[:k].sum())


def _wilcoxon_cols(x: np.ndarray, alternative: str) -> tuple[np.ndarray, list[float], np.ndarray, list[str]]:
    """W+, p-value, n and distribution label for each column of x (members x days), zeros and NaN
    dropped. p exact (signed-rank distribution, as scipy ``method="exact"``) for n <= 50 without
    ties, else the normal approximation with tie correction and no continuity correction (scipy
    ``method="approx"``)."""
    x = np.where(x == 0, np.nan, x)
    ax = np.abs(x)
    r = st.rankdata(ax, axis=0, nan_policy="omit")
    n = (~np.isnan(x)).sum(axis=0)
    w = np.where(x > 0, r, 0.0).sum(axis=0)
    srt = np.sort(ax, axis=0)
    pv: list[float] = []
    dist: list[str] = []
    for j in range(x.shape[1]):
        nj = int(n[j])
        if nj == 0:
            w[j] = math.nan
            pv.append(math.nan)
            dist.append("signed-rank(0)")
            continue
        v = srt[:nj, j]
        brk = np.flatnonzero(np.diff(v) != 0)
        t = np.diff(np.concatenate([[-1], brk, [nj - 1]]))  # tie-group sizes
        ties = bool((t > 1).any())
        wj = float(w[j])
        if nj <= 50 and not ties:
            if alternative == "less":
                p = _signed_rank_cdf(math.ceil(wj), nj)
            elif alternative == "greater":
                p = _signed_rank_sf(math.floor(wj), nj)
            else:
                p = min(1.0, max(0.0, 2 * min(_signed_rank_sf(math.floor(wj), nj), _signed_rank_cdf(math.ceil(wj), nj))))
            dist.append(f"exact signed-rank({nj})")
        else:
            mn = nj * (nj + 1.0) * 0.25
            se = math.sqrt((nj * (nj + 1.0) * (2.0 * nj + 1.0) - float((t ** 3 - t).sum()) / 2) / 24)
            z = (wj - mn) / se
            if alternative == "less":
                p = float(_sp.ndtr(z))
            elif alternative == "greater":
                p = float(_sp.ndtr(-z))
            else:
                p = float(2 * _sp.ndtr(-abs(z)))
            dist.append("N(0,1) approx of W+")
        pv.append(p)
    return w, pv, n, dist


def wilcoxon(ctx: Context) -> list[TestResult]:
    """Wilcoxon signed-rank test across members. Statistic = raw W⁺ (sum of the ranks of |AR_it|
    over positive AR_it, zeros dropped) = estudy2 ``wlcx_stat``; p-value exact (signed-rank
    distribution, n <= 50 without ties) else normal approximation (as scipy.stats.wilcoxon).
    CAR: on CAR_i."""
    p = ctx.panel
    w, pv, n, dist = _wilcoxon_cols(p.evt_ar, ctx.alternative)
    cw, cp, cn, cd = _wilcoxon_cols(p.car[:, None], ctx.alternative)
    return make_results(ctx, "wilcoxon", NULL_DAILY, w, n, None, float(cw[0]), int(cn[0]), None,
                        note="statistic is raw W+ (not standardized)",
                        daily_p=pv, car_p=cp[0], dist=dist, car_dist=cd[0])
