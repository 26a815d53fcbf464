"""NaN-aware reductions that never warn (the test suite turns RuntimeWarning into errors)."""

from __future__ import annotations

import numpy as np


def count(x: np.ndarray, axis: int | None = None) -> np.ndarray:
    return np.sum(~np.isnan(x), axis=axis)


def nsum(x: np.ndarray, axis: int | None = None) -> np.ndarray:
    return np.nansum(x, axis=axis)


def nmean(x: np.ndarray, axis: int | None = None) -> np.ndarray:
    """Mean of the non-missing values; NaN where there are none."""
    n = count(x, axis)
    s = np.nansum(x, axis=axis)
    return np.divide(s, n, out=np.full(np.shape(s), np.nan), where=n > 0)


def nvar(x: np.ndarray, axis: int | None = None, ddof: int = 1) -> np.ndarray:
    """Variance of the non-missing values with denominator ``n - ddof``; NaN where n <= ddof."""
    n = count(x, axis)
    m = nmean(x, axis)
    d = x - (np.expand_dims(m, axis) if axis is not None else m)
    ss = np.nansum(d * d, axis=axis)
    return np.divide(ss, n - ddof, out=np.full(np.shape(ss), np.nan), where=(n - ddof) > 0)


def nstd(x: np.ndarray, axis: int | None = None, ddof: int = 1) -> np.ndarray:
    return np.sqrt(nvar(x, axis, ddof))


def safe_div(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a / b with NaN where b is 0 or NaN (no warning)."""
    a, b = np.broadcast_arrays(np.asarray(a, float), np.asarray(b, float))
    ok = np.isfinite(b) & (b != 0)
    return np.divide(a, b, out=np.full(a.shape, np.nan), where=ok)
