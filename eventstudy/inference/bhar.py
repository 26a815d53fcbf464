"""Tests of the mean buy-and-hold abnormal return (BHAR): Lyon, Barber & Tsai (1999, JF 54:165).

BHARs are skewed (compounding), so the ordinary t is biased. LBT's skewness-adjusted t (their
eq. 5, after Johnson 1978) is

    t_sa = sqrt(n) * (S + gamma * S**2 / 3 + gamma / (6 n)),
    S = mean(x) / sd(x),  gamma = sum((x - mean(x))**3) / (n * sd(x)**3),

with ``sd`` the sample standard deviation (ddof 1). Its bootstrapped p-value resamples
``n_b = n / 4`` BHARs with replacement from the sample (LBT's choice; at least 3), computes
``t_sa`` of each resample with ``S_b = (mean(x_b) - mean(x)) / sd(x_b)`` (centred on the sample
mean: the null holds in the resampling world), and compares ``t_sa`` of the sample with that
distribution, equal-tailed two-sided. Both treat the BHARs as independent: markets hit by one
event are correlated, which neither statistic allows for (the result's note says so).
"""

from __future__ import annotations

import math

import numpy as np

from .resampling import empirical_pvalue

__all__ = ["lbt_test", "skewness_adjusted_t"]


def skewness_adjusted_t(x: np.ndarray, centre=0.0):
    """LBT's skewness-adjusted t of a sample, or of each row of a 2-D array (module docstring),
    about ``centre``.

    Parameters
    ----------
    x : ndarray
        The BHARs (finite values): one sample, or one sample per row.
    centre : float or ndarray, default 0.0
        Subtracted from the mean in ``S`` (the sample mean when bootstrapping).

    Returns
    -------
    float or ndarray
        NaN with fewer than 3 values or no dispersion.
    """
    x = np.asarray(x, dtype=float)
    n = x.shape[-1]
    if n < 3:
        return math.nan if x.ndim == 1 else np.full(x.shape[:-1], np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = x.mean(axis=-1)
        sd = x.std(axis=-1, ddof=1)
        s = (mean - centre) / sd
        gamma = ((x - mean[..., None]) ** 3).sum(axis=-1) / (n * sd**3)
        t = np.sqrt(n) * (s + gamma * s**2 / 3 + gamma / (6 * n))
    t = np.where(sd > 0, t, np.nan)
    return float(t) if t.ndim == 0 else t


def lbt_test(x, *, n_boot: int = 1000, seed: int = 0, fraction: float = 0.25) -> dict:
    """Mean BHAR, LBT's skewness-adjusted t with its normal p-value, and the bootstrapped p.

    Parameters
    ----------
    x : array-like
        BHARs; non-finite values are left out (counted in ``n_missing``).
    n_boot : int, default 1000
        Resamples (LBT use 1,000).
    seed : int, default 0
        Seed of the resampling.
    fraction : float, default 0.25
        Resample size as a fraction of n (LBT: one quarter), at least 3.

    Returns
    -------
    dict
        ``n, n_missing, mean, sd, skewness, t, p_normal, t_sa, p_sa, p_boot, n_resample, n_boot``:
        ``t`` the ordinary t (mean / (sd / sqrt n)) with its normal p; ``t_sa`` with its normal p
        (``p_sa``) and its bootstrapped p (``p_boot``). NaN where undefined (n < 3, no dispersion).
    """
    x = np.asarray(x, dtype=float)
    ok = np.isfinite(x)
    v = x[ok]
    n = int(v.size)
    out = {"n": n, "n_missing": int((~ok).sum()), "mean": float(v.mean()) if n else math.nan,
           "sd": float(v.std(ddof=1)) if n > 1 else math.nan, "skewness": math.nan, "t": math.nan,
           "p_normal": math.nan, "t_sa": math.nan, "p_sa": math.nan, "p_boot": math.nan,
           "n_resample": max(3, int(round(fraction * n))), "n_boot": int(n_boot)}
    t_sa = skewness_adjusted_t(v)
    if not math.isfinite(t_sa):
        return out
    sd = out["sd"]
    out["skewness"] = float(((v - out["mean"]) ** 3).sum()) / (n * sd**3)
    out["t"] = out["mean"] / (sd / math.sqrt(n))
    out["p_normal"] = math.erfc(abs(out["t"]) / math.sqrt(2))
    out["t_sa"] = t_sa
    out["p_sa"] = math.erfc(abs(t_sa) / math.sqrt(2))
    rng = np.random.default_rng(seed)
    draws = v[rng.integers(0, n, size=(int(n_boot), out["n_resample"]))]
    null = skewness_adjusted_t(draws, centre=out["mean"])
    null = null[np.isfinite(null)]
    out["p_boot"] = empirical_pvalue(t_sa, null, "two-sided")
    return out
