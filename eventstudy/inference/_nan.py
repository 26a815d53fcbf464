"""NaN-aware reductions that never warn (the test suite turns RuntimeWarning into errors).

Every reduction takes an optional ``nan`` flag: ``False`` promises that ``x`` holds no NaN and
uses the plain numpy reduction (no NaN-replaced copy, bit-identical to the NaN-aware result),
``True`` forces the NaN-aware path and ``None`` (default) checks with :func:`has_nan`.
"""

from __future__ import annotations

import numpy as np

from ..arrays import chunk_map

ROW_CHUNK = 4096  # rows per chunk of row-wise work on (members x rows) arrays (bounds temporaries)


def has_nan(x: np.ndarray) -> bool:
    """Whether ``x`` holds a NaN: one summation, no temporary (a NaN-free sum is never NaN; a NaN
    sum without a NaN element, from inf - inf, is reported as NaN, which only costs the slow path)."""
    if x.size == 0:
        return False
    with np.errstate(all="ignore"):
        return bool(np.isnan(np.add.reduce(x, axis=None)))


def _flag(x: np.ndarray, nan: bool | None) -> bool:
    return has_nan(x) if nan is None else nan


def count(x: np.ndarray, axis: int | None = None, *, nan: bool | None = None) -> np.ndarray:
    if not _flag(x, nan):
        if axis is None:
            return np.int64(x.size)
        shape = list(x.shape)
        n = shape.pop(axis)
        return np.full(shape, n, dtype=np.int64)
    return np.sum(~np.isnan(x), axis=axis)


def nsum(x: np.ndarray, axis: int | None = None, *, nan: bool | None = None) -> np.ndarray:
    return np.sum(x, axis=axis) if not _flag(x, nan) else np.nansum(x, axis=axis)


def nmean(x: np.ndarray, axis: int | None = None, *, nan: bool | None = None) -> np.ndarray:
    """Mean of the non-missing values; NaN where there are none."""
    nan = _flag(x, nan)
    n = count(x, axis, nan=nan)
    s = nsum(x, axis, nan=nan)
    return np.divide(s, n, out=np.full(np.shape(s), np.nan), where=n > 0)


def nvar(x: np.ndarray, axis: int | None = None, ddof: int = 1, *, nan: bool | None = None,
         miss: np.ndarray | None = None) -> np.ndarray:
    """Variance of the non-missing values with denominator ``n - ddof``; NaN where n <= ddof.
    ``miss``: ``np.isnan(x)`` when the caller has it (row-wise only)."""
    nan = _flag(x, nan)
    if axis == 1 and x.ndim == 2 and x.shape[0] > ROW_CHUNK:
        # row-wise statistics chunk by chunk (on the cores): same values, temporaries bounded to a chunk
        def rows(sl: slice) -> np.ndarray:
            return nvar(x[sl], 1, ddof, nan=nan, miss=None if miss is None else miss[sl])

        return np.concatenate(chunk_map(rows, x.shape[0], ROW_CHUNK))
    if nan and axis == 1 and x.ndim == 2:  # the NaN cells found once (nansum would find them twice more)
        miss = np.isnan(x) if miss is None else miss
        n = x.shape[1] - np.count_nonzero(miss, axis=1)
        s = np.where(miss, 0.0, x).sum(axis=1)  # = np.nansum(x, axis=1)
        m = np.divide(s, n, out=np.full(s.shape, np.nan), where=n > 0)
        d = x - m[:, None]
        np.multiply(d, d, out=d)
        d[miss] = 0.0
        ss = d.sum(axis=1)  # = np.nansum of the squares
        return np.divide(ss, n - ddof, out=np.full(ss.shape, np.nan), where=(n - ddof) > 0)
    n = count(x, axis, nan=nan)
    m = nmean(x, axis, nan=nan)
    d = x - (np.expand_dims(m, axis) if axis is not None else m)
    np.multiply(d, d, out=d)
    ss = nsum(d, axis, nan=nan)
    return np.divide(ss, n - ddof, out=np.full(np.shape(ss), np.nan), where=(n - ddof) > 0)


def nstd(x: np.ndarray, axis: int | None = None, ddof: int = 1, *, nan: bool | None = None) -> np.ndarray:
    return np.sqrt(nvar(x, axis, ddof, nan=nan))


def row_sumsq(x: np.ndarray, *, nan: bool | None = None, miss: np.ndarray | None = None) -> np.ndarray:
    """(N,) Σ_j x_ij² over the non-missing values of each row (= np.nansum(x ** 2, axis=1)),
    chunked so that no (N, M) temporary is made; ``miss``: ``np.isnan(x)`` when the caller has it."""
    nan = _flag(x, nan)
    out = np.empty(x.shape[0])

    def rows(sl: slice) -> None:
        c = x[sl]
        if nan and miss is not None:  # nansum's own way: the missing squares set to 0, then summed
            sq = c * c
            sq[miss[sl]] = 0.0
            out[sl] = sq.sum(axis=1)
        else:
            out[sl] = nsum(c * c, 1, nan=nan)

    chunk_map(rows, x.shape[0], ROW_CHUNK)
    return out


def safe_div(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a / b with NaN where b is 0 or NaN (no warning)."""
    a, b = np.broadcast_arrays(np.asarray(a, float), np.asarray(b, float))
    ok = np.isfinite(b) & (b != 0)
    return np.divide(a, b, out=np.full(a.shape, np.nan), where=ok)
