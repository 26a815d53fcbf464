"""sorted_distinct against np.unique."""

import numpy as np
import pytest

from eventstudy.arrays import sorted_distinct


@pytest.mark.parametrize("n", [0, 1, 2, 5, 1000])
def test_sorted_distinct_equals_np_unique(n):
    rng = np.random.default_rng(n)
    for a in (rng.integers(-5, 5, n), rng.integers(0, 10**12, n), np.round(rng.normal(size=n), 1)):
        got = sorted_distinct(a)
        assert np.array_equal(got, np.unique(a)) and got.dtype == a.dtype


def test_chunk_map_keeps_chunk_order_on_threads_and_in_serial():
    from eventstudy.arrays import chunk_map, serial

    def f(sl):
        return (sl.start, sl.stop)

    want = [(lo, lo + 3) for lo in range(0, 10, 3)]
    assert chunk_map(f, 10, 3) == want
    with serial():
        import threading
        main = threading.get_ident()
        assert chunk_map(lambda sl: threading.get_ident() == main, 10, 3) == [True] * 4
        assert chunk_map(f, 10, 3) == want
