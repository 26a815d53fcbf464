"""Keep the memory a fit frees inside the process while the fit runs (glibc's malloc only).

A fit allocates and frees many large arrays ((members x rows) temporaries of tens to hundreds of
MB). glibc's malloc hands every block above its mmap threshold (at most 32 MB by default) back to
the kernel when it is freed, so the next array of that size starts from fresh pages that the
kernel must zero and map again, page by page (about 0.75 ms per MB on the virtual machine this
project is benchmarked on). With numpy's huge-page hint off (below) the 100,000 asset-event
benchmark ran about 10 % faster with freed memory retained (5.6-6.1 s against 6.1-6.7 s), at the
price of a higher peak (1.65-1.69 GiB against 1.55 GiB: retained blocks of other sizes leave holes).

:func:`retain_freed_memory` raises the mmap and trim thresholds for the duration of an in-memory
fit (the block engines keep the defaults: retained blocks of one size fragment the heap for the
next block's, and a chunked study must stay within its memory budget), so
freed blocks stay in malloc's heap and are reused, and on leaving it gives the free memory back
(``malloc_trim``) and sets the thresholds to glibc's static defaults (128 KiB). Nothing happens on
other C libraries or platforms, or when the environment variable ``EVENTSTUDY_RETAIN_MEMORY`` is
``0``. Setting a threshold turns off glibc's dynamic adjustment of the mmap threshold for the rest
of the process (as setting ``MALLOC_MMAP_THRESHOLD_`` does); the static default it is left at
only changes where small blocks come from, not how much memory a program uses.

:func:`without_hugepage_hint` turns off, for the duration of a fit (every engine, and each block a
Dask worker runs), numpy's ``madvise(MADV_HUGEPAGE)`` on its large arrays when the kernel reports
free pages to a hypervisor (a virtio balloon with free page reporting). There, faulting a
transparent huge page into memory the guest has handed back costs the guest kernel about 18 ms per
2 MiB -- 1.5-2.2 s of system time to fill a new 200 MB array, against 0.1 s in 4 KiB pages --
and the 100,000 asset-event fit ran 15 s with the hint against 6 s without it (numpy/numpy#31590
describes the same stalls on other configurations). Elsewhere numpy's default stands (huge pages
make a first touch faster on bare metal), and so does an explicit ``NUMPY_MADVISE_HUGEPAGE``.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import os
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
RETAIN_BYTES = 1 << 30
"""Blocks up to this size come from (and return to) malloc's heap during a fit: every array the
in-memory engine makes below 10^6 asset-events."""
GLIBC_DEFAULT = 128 * 1024
"""glibc's static default of both thresholds (restored after a fit)."""

VIRTIO_BALLOON = 0x0005
"""virtio device id of a memory balloon."""
BALLOON_F_REPORTING = 5
"""Feature bit of a balloon that takes free page reports (VIRTIO_BALLOON_F_REPORTING)."""

_lock = threading.Lock()
_depth = 0
_hint_depth = 0
_hint_saved: bool | None = None


def _libc():
    """The C library when it is glibc with ``mallopt`` and ``malloc_trim`` (and the policy is not
    turned off), else None."""
    if os.environ.get("EVENTSTUDY_RETAIN_MEMORY", "1") == "0":
        return None
    return _glibc()


@functools.cache
def _glibc():
    """glibc, loaded once; None on other platforms and C libraries."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    except OSError:
        return None
    if not all(hasattr(libc, name) for name in ("gnu_get_libc_version", "mallopt", "malloc_trim")):
        return None  # not glibc (musl has no mallopt)
    return libc


@contextmanager
def retain_freed_memory() -> Iterator[bool]:
    """Within the block, memory freed by the process stays in it for reuse (glibc); on leaving
    the outermost block it is returned to the system.

    Yields
    ------
    bool
        Whether the policy is in effect (False on other platforms or when turned off).
    """
    global _depth
    libc = _libc()
    if libc is None:
        yield False
        return
    with _lock:
        if _depth == 0:
            libc.mallopt(M_MMAP_THRESHOLD, RETAIN_BYTES)
            libc.mallopt(M_TRIM_THRESHOLD, 2 * RETAIN_BYTES)
        _depth += 1
    try:
        yield True
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0:
                libc.mallopt(M_TRIM_THRESHOLD, GLIBC_DEFAULT)
                libc.mallopt(M_MMAP_THRESHOLD, GLIBC_DEFAULT)
                libc.malloc_trim(0)


def release_freed_memory() -> None:
    """Give the memory the process has freed back to the system now (``malloc_trim``), so that
    its resident size counts only what it holds: the chunked engine sizes its blocks from it.
    Nothing happens where :func:`retain_freed_memory` does nothing.

    Returns
    -------
    None
    """
    libc = _libc()
    if libc is not None:
        libc.malloc_trim(0)


def reports_free_pages(sysfs: str | Path = "/sys") -> bool:
    """Whether this Linux kernel hands its free pages back to a hypervisor: a virtio balloon
    device that negotiated free page reporting.

    Parameters
    ----------
    sysfs : str or Path
        Root of sysfs (a test points it at a copy).

    Returns
    -------
    bool
        False where there is no such device, or no sysfs.
    """
    devices = Path(sysfs) / "bus" / "virtio" / "devices"
    try:
        entries = list(devices.iterdir())
    except OSError:
        return False
    for dev in entries:
        try:
            if int((dev / "device").read_text().strip(), 16) != VIRTIO_BALLOON:
                continue
            bits = (dev / "features").read_text().strip()
        except (OSError, ValueError):
            continue
        if len(bits) > BALLOON_F_REPORTING and bits[BALLOON_F_REPORTING] == "1":
            return True
    return False


def _hugepage_switch():
    """numpy's setter of its huge-page hint (``_set_madvise_hugepage``, in ``numpy.core`` before
    2.0), or None if a numpy without it is installed."""
    try:
        from numpy._core.multiarray import _set_madvise_hugepage
    except ImportError:
        try:  # numpy 1.26
            from numpy.core.multiarray import _set_madvise_hugepage
        except ImportError:
            return None
    return _set_madvise_hugepage


@functools.cache
def _drop_hint() -> bool:
    """Whether fits turn numpy's huge-page hint off here (decided once per process)."""
    return "NUMPY_MADVISE_HUGEPAGE" not in os.environ and sys.platform.startswith("linux") and reports_free_pages()


@contextmanager
def without_hugepage_hint(active: bool | None = None) -> Iterator[bool]:
    """Within the block numpy does not ask for transparent huge pages for its large arrays, where
    the kernel reports free pages to a hypervisor (see the module note); the previous setting is
    restored on leaving the outermost block.

    Parameters
    ----------
    active : bool or None
        None (default): only where :func:`reports_free_pages` and ``NUMPY_MADVISE_HUGEPAGE`` is not
        set; True or False to decide (tests).

    Yields
    ------
    bool
        Whether the hint is off within the block.
    """
    global _hint_depth, _hint_saved
    switch = _hugepage_switch()
    if switch is None or not (_drop_hint() if active is None else active):
        yield False
        return
    with _lock:
        if _hint_depth == 0:
            _hint_saved = switch(False)
        _hint_depth += 1
    try:
        yield True
    finally:
        with _lock:
            _hint_depth -= 1
            if _hint_depth == 0:
                switch(bool(_hint_saved))
                _hint_saved = None
