"""Small array helpers shared by the engine's hot paths."""

from __future__ import annotations

import numpy as np


def sorted_distinct(a: np.ndarray) -> np.ndarray:
    """The distinct values of a 1-d array, sorted: ``np.unique(a)`` by one sort.

    numpy 2.3+ answers ``np.unique`` on integers with a hash table that is 10-15x slower than a
    sort for arrays of a few hundred thousand keys (0.27 s against 0.02 s for 300,000 int64 here).

    Parameters
    ----------
    a : ndarray, shape (n,)
        Values (integers or floats without NaN).

    Returns
    -------
    ndarray
        The distinct values in increasing order.
    """
    s = np.sort(np.asarray(a).ravel())
    if s.size < 2:
        return s
    keep = np.empty(s.size, dtype=bool)
    keep[0] = True
    np.not_equal(s[1:], s[:-1], out=keep[1:])
    return s[keep]
