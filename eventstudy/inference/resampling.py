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


ENUMERATE_MAX = 500
"""Up to this many candidate rows (daily) or complete blocks (window), the null distribution is
all of them, exactly, and the result does not depend on the seed; beyond, ``n_boot`` draws."""


def _null(values: np.ndarray, seed: int, n_boot: int) -> tuple[np.ndarray, str]:
    """The null draws from ``values`` (one per candidate row or block) and how they were made."""
    if values.size <= ENUMERATE_MAX:
        return values, f"resampling, all {values.size}"
    pick = np.random.default_rng(seed).choice(values.size, size=n_boot, replace=True)
    return values[pick], f"resampling, {n_boot} draws"


def bootstrap(ctx: Context) -> list[TestResult]:
    """Estimation-window resampling test (id ``bootstrap``).

    What it does, exactly:

    * AAR_s = mean over members of the estimation-window ARs on row s (NaN rows skipped). Rows are
      event-time rows, so row s is the SAME trading-day offset for every member; for members that
      share an event date it is the same calendar day, which keeps their cross-sectional
      correlation in the null distribution (a member-wise resample would destroy it).
    * Daily: the null distribution is {AAR_s} over the rows s with data. Observed value: AAR_tau.
    * Window: the null is the sum Σ_{j<L} AAR_{s+j} over every block of L consecutive rows that
      all have data (a block with a missing row -- a day inside another event's window for every
      member -- is no draw: counting it as a zero would shrink the null). Observed: CAAR.
    * Up to :data:`ENUMERATE_MAX` candidate rows (blocks) the null is all of them, exactly, so the
      window 0:0 gives the daily tau-0 result; beyond, ``n_boot`` draws with replacement from
      ``np.random.default_rng(seed)`` (the same stream for the daily and the window draws).
    * p-value: equal-tailed, 2 min(P⁺, P⁻) with P⁺ = (1 + #{null >= obs}) / (B + 1) (no
      centring needed); one-sided with ``alternative``.
    * Statistic: (obs - mean(null)) / sd(null), a resampling z (the note gives obs and the 2.5/97.5 %
      resampled quantiles).

    The null is "the event rows behave like ordinary estimation rows"; with M ≈ 120-250 rows the
    window test has at most M - L + 1 distinct blocks.

    Parameters
    ----------
    ctx : Context
        The run's shared inputs: panel (``aar_est``, ``evt_ar``), alternative, seed, n_boot.

    Returns
    -------
    list of TestResult
        One per tau of the event window, then the window (CAR) result.

    Raises
    ------
    EstimationWindowError
        When fewer than two estimation rows have data, or no block of L consecutive rows does.
    """
    p = ctx.panel
    aar_est = p.aar_est
    finite = np.isfinite(aar_est)
    big_l = p.n_evt
    if finite.sum() < max(big_l, 2) + 1:
        raise EstimationWindowError(
            f"bootstrap needs more estimation rows with data ({int(finite.sum())}) than event-window rows "
            f"({big_l}); lengthen the estimation window")
    aar = _nan.nmean(p.evt_ar, axis=0)
    null_d, how_d = _null(aar_est[finite], ctx.seed, ctx.n_boot)
    mu, sd = float(null_d.mean()), float(null_d.std(ddof=1))
    stat = (aar - mu) / sd
    pv = [empirical_pvalue(float(o), null_d, ctx.alternative) for o in aar]
    # Window: blocks of L consecutive rows that all have data
    csum = np.concatenate([[0.0], np.cumsum(np.where(finite, aar_est, 0.0))])
    full = np.concatenate([[0], np.cumsum(finite)])
    starts = np.arange(p.n_est - big_l + 1)
    complete = starts[(full[starts + big_l] - full[starts]) == big_l]
    if complete.size < 2:
        raise EstimationWindowError(
            f"bootstrap needs blocks of {big_l} consecutive estimation rows with data; only {complete.size} "
            "exist (too many rows inside other events' windows); lengthen the estimation window")
    null_w, how_w = _null(csum[complete + big_l] - csum[complete], ctx.seed, ctx.n_boot)
    ok = np.isfinite(aar)
    caar = float(aar[ok].sum())
    mw, sw = float(null_w.mean()), float(null_w.std(ddof=1))
    car = (caar - mw) / sw if sw > 0 else math.nan
    cp = empirical_pvalue(caar, null_w, ctx.alternative)
    n_t = _nan.count(p.evt_ar, axis=0)
    qd = np.quantile(null_d, [0.025, 0.975])
    qw = np.quantile(null_w, [0.025, 0.975])
    note = f"estimation-window AAR, {how_d} rows with data, 95% null band [{qd[0]:.3g}, {qd[1]:.3g}]"
    car_note = (f"CAAR of {big_l} consecutive estimation rows, {how_w} complete blocks, observed CAAR={caar:.6g}, "
                f"95% null band [{qw[0]:.3g}, {qw[1]:.3g}]")
    return make_results(ctx, "bootstrap", "event rows behave like estimation rows", stat, n_t, None, car,
                        p.n, None, note=note, car_note=car_note, daily_p=pv, car_p=cp,
                        dist=[how_d] * big_l, car_dist=how_w)
