"""The fit's allocator policy: scoped, nested, and off on request."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from eventstudy import allocator


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc only")
def test_retained_memory_is_scoped_and_nests(monkeypatch):
    with allocator.retain_freed_memory() as on:
        with allocator.retain_freed_memory() as inner:
            a = np.ones((1000, 1000))
            del a
        assert inner == on
        b = np.ones((2000, 2000))  # still usable inside the outer block
        assert b.sum() == 4_000_000
    assert allocator._depth == 0


def test_turned_off_by_the_environment(monkeypatch):
    monkeypatch.setenv("EVENTSTUDY_RETAIN_MEMORY", "0")
    with allocator.retain_freed_memory() as on:
        assert on is False
    assert allocator._depth == 0
