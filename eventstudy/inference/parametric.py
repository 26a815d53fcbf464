"""Parametric tests: cross-sectional t, Brown-Warner, Patell, BMP, Kolari-Pynnönen adjusted.

Each function takes a :class:`Context` and returns the daily TestResults (one per tau) followed by
the event-window (CAR) TestResult. All are vectorised over members.
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import EstimationWindowError
from . import _nan
from .context import Context, make_results
from .correlation import kp_factor_bmp, kp_factor_patell
from .results import TestResult, pvalue

NULL_DAILY = "E[AAR_tau] = 0"


def _deff_note(ctx: Context, t: float, n: int) -> str:
    """Honest-inference companion of the naive t: t/sqrt(DEFF) on df_eff (Kish 1965, METHODS 12).

    When it applies: a rough guide for a group spread over many dates, whose pooled r̄ is small.
    For members that share one date it is extremely conservative: under equicorrelation r̄ the
    cross-sectional variance already shrinks by (1 - r̄), and df_eff = (N - 1) / DEFF counts the
    dependence a second time (14 markets at r̄ = 0.5: df_eff 1.7, a 5 % critical value near 5);
    Kolari-Pynnönen's kp_bmp corrects exactly that case, which the note says."""
    d = ctx.deff
    if not (math.isfinite(d.deff) and d.df_eff > 0 and math.isfinite(t)):
        return ctx.rbar_note()
    te = t / math.sqrt(d.deff)
    return (f"assumes independent members; {d.describe()}; design-effect t={te:.4f}, "
            f"p(t({d.df_eff:.2f}))={pvalue(te, ctx.alternative, d.df_eff):.4g} (Kish: a rough guide for members "
            "spread over many dates; extremely conservative for members sharing one date, where kp_bmp is the "
            "exact correction)")


def t_cs(ctx: Context) -> list[TestResult]:
    """Cross-sectional t (Brown & Warner 1985; BMP 1991 'ordinary cross-sectional'):
    t = AAR_t / (S_t / sqrt(N_t)), S_t the cross-sectional SD (N_t - 1), t(N_t - 1). Same in both
    conventions (= estudy2 ``t_test``). CAR: the same on CAR_i."""
    a = ctx.panel.evt_ar
    n_t = _nan.count(a, axis=0)
    stat = _nan.safe_div(_nan.nmean(a, axis=0) * np.sqrt(n_t), _nan.nstd(a, axis=0))
    car = ctx.panel.car
    n = car.size
    cs = float(_nan.safe_div(car.mean() * math.sqrt(n), _nan.nstd(car)))
    return make_results(ctx, "t_cs", NULL_DAILY, stat, n_t, n_t - 1.0, cs, n, float(n - 1),
                        note=f"assumes independent members; {ctx.rbar_note()}",
                        car_note=_deff_note(ctx, cs, n))


def _df_time_series(ctx: Context) -> float:
    # estudy2: t with mean(M_i) - 1 df. CLM: residual df mean(M_i) - k of the variance estimate.
    m = float(ctx.panel.m_i.mean())
    return m - 1.0 if ctx.convention == "estudy2" else m - ctx.panel.k


def bw1980(ctx: Context) -> list[TestResult]:
    """Brown & Warner (1980, JFE 8:205) independence test: t = AAR_t / (sqrt(Σ_i s_i^2) / N_t).

    Convention: estudy2 s_i^2 with M_i - 1 (``stats::var``); clm s_i^2 = Σε²/(M_i - k). CAR: estudy2
    form Σ_t t_t / sqrt(L) (as its ``car_brown_warner_1985``); clm is CLM's J1 =
    CAAR / sqrt(Σ_i Var(CAR_i) / N^2) with the estimated-parameter CAR variance (METHODS item 3).
    """
    p = ctx.panel
    a = p.evt_ar
    s2 = ctx.s2
    present = ~np.isnan(a)
    n_t = present.sum(axis=0)
    sd = np.sqrt((present * s2[:, None]).sum(axis=0)) / n_t
    stat = _nan.safe_div(_nan.nmean(a, axis=0), sd)
    df = _df_time_series(ctx)
    if ctx.convention == "estudy2":
        ok = np.isfinite(stat)
        car = float(stat[ok].sum() / math.sqrt(ok.sum()))
    else:
        car = float(p.car.mean() / (math.sqrt(ctx.car_var.sum()) / p.n))
    return make_results(ctx, "bw1980", NULL_DAILY, stat, n_t, df, car, p.n, df,
                        note="assumes cross-sectional independence")


def bw1985(ctx: Context) -> list[TestResult]:
    """Brown & Warner (1985, JFE 14:3) crude dependence adjustment (portfolio time-series t):
    t = AAR_t / Ŝ, Ŝ the SD (denominator M - 1) of the equally weighted AAR over the estimation rows.
    CAR: CAAR / (sqrt(L) Ŝ) (= estudy2 ``car_brown_warner_1985``). Identical in both conventions.
    Robust to cross-sectional correlation because Ŝ is measured on the portfolio."""
    p = ctx.panel
    aar_est = p.aar_est
    s = float(_nan.nstd(aar_est))
    m_rows = int(np.isfinite(aar_est).sum())
    aar = _nan.nmean(p.evt_ar, axis=0)
    n_t = _nan.count(p.evt_ar, axis=0)
    stat = aar / s
    ok = np.isfinite(aar)
    car = float(aar[ok].sum() / (math.sqrt(ok.sum()) * s))
    df = float(m_rows - 1)
    return make_results(ctx, "bw1985", NULL_DAILY, stat, n_t, df, car, p.n, df,
                        note="portfolio variance: robust to cross-sectional correlation")


def _patell_q(ctx: Context) -> np.ndarray:
    # Var of a t(M-k)-distributed SAR: (M-k)/(M-k-2) (Patell 1976). estudy2 hard-codes k = 2,
    # (L-2)/(L-4), because it only runs Patell for the market model.
    k = 2 if ctx.convention == "estudy2" else ctx.panel.k
    m = ctx.panel.m_i.astype(float)
    return (m - k) / (m - k - 2)


def _patell(ctx: Context) -> tuple[np.ndarray, np.ndarray, float, str]:
    p = ctx.panel
    q = _patell_q(ctx)
    if not np.all(q > 0):
        i = int(np.flatnonzero(~(q > 0))[0])
        raise EstimationWindowError(f"{p.member(i)}: Patell needs M_i - k - 2 > 0 estimation rows; "
                                    "lengthen the estimation window")
    sar = ctx.sar
    present = ~np.isnan(sar)
    n_t = present.sum(axis=0)
    if ctx.convention == "estudy2":
        # estudy2: numerator rowMeans(SAR) * N (rescaled to all N members), denominator over all N.
        stat = _nan.nmean(sar, axis=0) * p.n / math.sqrt(q.sum())
    else:
        # Patell (1976): sum over the members observed on day t, and only their variances.
        stat = np.nansum(sar, axis=0) / np.sqrt((present * q[:, None]).sum(axis=0))
    car = float(ctx.scar.sum() / math.sqrt(q.sum()))
    return stat, n_t, car, _fe_note(ctx)


def _fe_note(ctx: Context) -> str:
    p = ctx.panel
    if p.k == 2 and not p.has_market_term:
        return "no market returns given: forecast-error correction without the market term"
    return ""


def patell(ctx: Context) -> list[TestResult]:
    """Patell (1976, JAR 14(2):246-276) Z = Σ_i SAR_it / sqrt(Σ_i (M_i-k)/(M_i-k-2)), N(0,1).
    SAR with the full forecast-error correction. CAR: Σ_i SCAR_i / sqrt(Σ_i q_i), SCAR per
    :meth:`Panel.scar` (CLM variance under clm, Σ SAR/√L under estudy2)."""
    stat, n_t, car, note = _patell(ctx)
    return make_results(ctx, "patell", NULL_DAILY, stat, n_t, None, car, ctx.panel.n, None,
                        note=("assumes independent members; " + note).strip("; "))


def _bmp(ctx: Context) -> tuple[np.ndarray, np.ndarray, float]:
    sar = ctx.sar
    n_t = _nan.count(sar, axis=0)
    stat = _nan.safe_div(_nan.nmean(sar, axis=0) * np.sqrt(n_t), _nan.nstd(sar, axis=0))
    sc = ctx.scar
    car = float(_nan.safe_div(sc.mean() * math.sqrt(sc.size), _nan.nstd(sc)))
    return stat, n_t, car


def bmp(ctx: Context) -> list[TestResult]:
    """Boehmer, Musumeci & Poulsen (1991, JFE 30:253-272) standardized cross-sectional test:
    t = sqrt(N_t) mean(SAR_t) / sd(SAR_t), t(N_t - 1) (= estudy2 ``boehmer``). CAR: on SCAR_i."""
    stat, n_t, car = _bmp(ctx)
    n = ctx.panel.n
    return make_results(ctx, "bmp", NULL_DAILY, stat, n_t, n_t - 1.0, car, n, float(n - 1),
                        note=("assumes independent members; " + _fe_note(ctx)).strip("; "))


def kp_bmp(ctx: Context) -> list[TestResult]:
    """Kolari & Pynnönen (2010, RFS 23(11):3996-4025) adjusted BMP:
    t_BMP sqrt((1 - r̄) / (1 + (N - 1) r̄)), t(N - 1); r̄ from estimation residuals in event time."""
    stat, n_t, car = _bmp(ctx)
    r = ctx.cc.rbar
    n = ctx.panel.n
    return make_results(ctx, "kp_bmp", NULL_DAILY, stat * kp_factor_bmp(n_t, r), n_t, n_t - 1.0,
                        car * float(kp_factor_bmp(n, r)), n, float(n - 1), note=ctx.rbar_note())


def kp_patell(ctx: Context) -> list[TestResult]:
    """Kolari & Pynnönen (2010) adjusted Patell: Z_Patell / sqrt(1 + (N - 1) r̄), N(0,1)."""
    stat, n_t, car, note = _patell(ctx)
    r = ctx.cc.rbar
    n = ctx.panel.n
    return make_results(ctx, "kp_patell", NULL_DAILY, stat * kp_factor_patell(n_t, r), n_t, None,
                        car * float(kp_factor_patell(n, r)), n, None,
                        note="; ".join(s for s in (ctx.rbar_note(), note) if s))
