"""Small array helpers shared by the engine's hot paths."""

from __future__ import annotations

import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from contextvars import ContextVar

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


THREADS = max(1, min(4, os.cpu_count() or 1))
"""Threads of :func:`chunk_map` (numpy releases the GIL inside its array operations)."""

_SERIAL: ContextVar[bool] = ContextVar("eventstudy_serial", default=False)


@contextmanager
def serial() -> Iterator[None]:
    """Within the block, :func:`chunk_map` runs its chunks in the calling thread: for work that is
    already one of several processes or threads sharing the cores (a Dask worker's task).

    Yields
    ------
    None
    """
    token = _SERIAL.set(True)
    try:
        yield
    finally:
        _SERIAL.reset(token)


def chunk_map(fn, n: int, chunk: int) -> list:
    """``[fn(slice(lo, lo + chunk)) for lo in range(0, n, chunk)]``, the chunks spread over
    :data:`THREADS` threads when there are several: the results come back in chunk order, so a
    caller that adds them up in that order gets the sequential sums exactly.

    Parameters
    ----------
    fn : callable
        Work on one chunk of rows (a ``slice``); it may write into disjoint rows of shared arrays.
    n : int
        Number of rows.
    chunk : int
        Rows per chunk.

    Returns
    -------
    list
        ``fn``'s results in chunk order.
    """
    slices = [slice(lo, lo + chunk) for lo in range(0, n, chunk)]
    if THREADS == 1 or len(slices) < 2 or _SERIAL.get():
        return [fn(sl) for sl in slices]
    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        return list(pool.map(fn, slices))
