"""Estimation-window resampling (test id ``bootstrap``): the null distribution of the AAR / CAAR
from rows of the estimation window. Not to be confused with the placebo-date test
(:mod:`eventstudy.placebo`), which re-estimates the model on pseudo event dates."""

from __future__ import annotations

import math

import numpy as np

from ..errors import EstimationWindowError
from . import _nan
from .context import Context, make_results
from .results import TestResult


def empirical_pvalue(obs: float, null: np.ndarray, alternative: str) -> float:
    """p-value of ``obs`` against a resampled ``null``: equal-tailed two-sided 2 min(P+, P-) with
    P+ = (1 + #{null >= obs}) / (B + 1), or one side with ``alternative``; NaN without draws.

    Parameters
    ----------
    obs : float
        The observed statistic.
    null : ndarray
        The B resampled values of the statistic under the null.
    alternative : {"two-sided", "greater", "less"}
        ``"greater"`` returns P+, ``"less"`` P- = (1 + #{null <= obs}) / (B + 1); anything else
        the two-sided min(1, 2 min(P+, P-)).

    Returns
    -------
    float
        The p-value; NaN when ``obs`` is not finite or ``null`` is empty.
    """
    b = null.size
    if not math.isfinite(obs) or b == 0:
        return math.nan
    p_hi = (1 + int((null >= obs).sum())) / (b + 1)
    p_lo = (1 + int((null <= obs).sum())) / (b + 1)
    if alternative == "greater":
        return p_hi
    if alternative == "less":
        return p_lo
    return min(1.0, 2 * min(p_hi, p_lo))


def bootstrap(ctx: Context) -> list[TestResult]:
    """Estimation-window resampling test (id ``bootstrap``), seeded with ``np.random.default_rng(seed)``.

    What it does, exactly:

    * AAR_s = mean over members of the estimation-window ARs on row s (NaN rows skipped). Rows are
      event-time rows, so row s is the SAME trading-day offset for every member; for members that
      share an event date it is the same calendar day, which keeps their cross-sectional
      correlation in the null distribution (a member-wise resample would destroy it).
    * Daily: ``n_boot`` rows s are drawn uniformly with replacement from the rows with data; the
      null distribution is {AAR_s}. Observed value: AAR_tau.
    * Window: ``n_boot`` start rows s are drawn uniformly from 0..M-L; the resampled CAAR is
      Σ_{j<L} AAR_{s+j} over L consecutive rows (keeps serial correlation). Observed: CAAR.
    * p-value: equal-tailed, 2 min(P⁺, P⁻) with P⁺ = (1 + #{null >= obs}) / (n_boot + 1) (no
      centring needed); one-sided with ``alternative``.
    * Statistic: (obs - mean(null)) / sd(null), a resampling z (the note gives obs and the 2.5/97.5 %
      resampled quantiles). Daily draws come first, then the window draws, from one generator, so the
      result is reproducible for a fixed seed.

    The null is "the event rows behave like ordinary estimation rows"; with M ≈ 120-250 rows the
    window test has at most M - L + 1 distinct resampled windows.
    """
    p = ctx.panel
    rng = np.random.default_rng(ctx.seed)
    aar_est = p.aar_est
    rows = np.flatnonzero(np.isfinite(aar_est))
    big_l = p.n_evt
    if rows.size < max(big_l, 2) + 1:
        raise EstimationWindowError(
            f"bootstrap needs more estimation rows with data ({rows.size}) than event-window rows ({big_l}); "
            "lengthen the estimation window")
    aar = _nan.nmean(p.evt_ar, axis=0)
    null_d = aar_est[rng.choice(rows, size=ctx.n_boot, replace=True)]
    mu, sd = float(null_d.mean()), float(null_d.std(ddof=1))
    stat = (aar - mu) / sd
    pv = [empirical_pvalue(float(o), null_d, ctx.alternative) for o in aar]
    # Window: consecutive blocks of L rows (missing rows count as 0 abnormal return).
    filled = np.where(np.isfinite(aar_est), aar_est, 0.0)
    csum = np.concatenate([[0.0], np.cumsum(filled)])
    starts = rng.integers(0, p.n_est - big_l + 1, size=ctx.n_boot)
    null_w = csum[starts + big_l] - csum[starts]
    ok = np.isfinite(aar)
    caar = float(aar[ok].sum())
    mw, sw = float(null_w.mean()), float(null_w.std(ddof=1))
    car = (caar - mw) / sw if sw > 0 else math.nan
    cp = empirical_pvalue(caar, null_w, ctx.alternative)
    n_t = _nan.count(p.evt_ar, axis=0)
    qd = np.quantile(null_d, [0.025, 0.975])
    qw = np.quantile(null_w, [0.025, 0.975])
    dist = f"bootstrap({ctx.n_boot})"
    note = f"resampled estimation-window AAR, seed={ctx.seed}, 95% null band [{qd[0]:.3g}, {qd[1]:.3g}]"
    car_note = (f"resampled CAAR over {big_l} consecutive estimation rows, seed={ctx.seed}, observed CAAR={caar:.6g}, "
                f"95% null band [{qw[0]:.3g}, {qw[1]:.3g}]")
    return make_results(ctx, "bootstrap", "event rows behave like estimation rows", stat, n_t, None, car,
                        p.n, None, note=note, car_note=car_note, daily_p=pv, car_p=cp,
                        dist=[dist] * big_l, car_dist=dist)
