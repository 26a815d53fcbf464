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


def _sysfs(tmp_path, device: str, features: str):
    dev = tmp_path / "bus" / "virtio" / "devices" / "virtio0"
    dev.mkdir(parents=True)
    (dev / "device").write_text(device + "\n")
    (dev / "features").write_text(features + "\n")
    return tmp_path


def test_free_page_reporting_read_from_the_balloon_features(tmp_path):
    # feature bits as Linux prints them, bit 0 first: a Firecracker balloon with stats (1),
    # deflate-on-OOM (2) and free page reporting (5) -- the machine the benchmarks run on
    bits = "0110010100000000000000000000000010" + "0" * 94
    assert allocator.reports_free_pages(_sysfs(tmp_path / "a", "0x0005", bits))
    no_reporting = bits[:5] + "0" + bits[6:]
    assert not allocator.reports_free_pages(_sysfs(tmp_path / "b", "0x0005", no_reporting))
    assert not allocator.reports_free_pages(_sysfs(tmp_path / "c", "0x0002", bits))  # a block device
    assert not allocator.reports_free_pages(tmp_path / "none")  # no sysfs at all


def test_hugepage_hint_is_scoped_nested_and_restored():
    switch = allocator._hugepage_switch()
    before = switch(True)
    try:
        with allocator.without_hugepage_hint(True) as off:
            with allocator.without_hugepage_hint(True):
                assert switch(False) is False  # off inside (the setter returns the previous value)
            assert off and switch(False) is False  # still off after the inner block
        assert switch(True) is True  # restored when the outer block ends
        with allocator.without_hugepage_hint(False) as off:
            assert not off and switch(True) is True  # left alone where the policy does not apply
    finally:
        switch(before)
    assert allocator._hint_depth == 0
