"""Keep the memory a fit frees inside the process while the fit runs (glibc's malloc only).

A fit allocates and frees many large arrays ((members x rows) temporaries of tens to hundreds of
MB). glibc's malloc hands every block above its mmap threshold (at most 32 MB by default) back to
the kernel when it is freed, so the next array of that size starts from fresh pages that the
kernel must zero and map again, page by page. On a virtual machine that returns free memory to
its host (free page reporting, as on the machines this project is benchmarked on) a page given
back costs a host fault as well: measured here, an array allocated a few seconds after the last
one was freed took 10x longer to fill than one allocated from retained memory, and the 100,000
asset-event benchmark ran 30-40 % faster with freed memory retained.

:func:`retain_freed_memory` raises the mmap and trim thresholds for the duration of an in-memory
fit (the block engines keep the defaults: retained blocks of one size fragment the heap for the
next block's, and a chunked study must stay within its memory budget), so
freed blocks stay in malloc's heap and are reused, and on leaving it gives the free memory back
(``malloc_trim``) and sets the thresholds to glibc's static defaults (128 KiB). Nothing happens on
other C libraries or platforms, or when the environment variable ``EVENTSTUDY_RETAIN_MEMORY`` is
``0``. Setting a threshold turns off glibc's dynamic adjustment of the mmap threshold for the rest
of the process (as setting ``MALLOC_MMAP_THRESHOLD_`` does); the static default it is left at
only changes where small blocks come from, not how much memory a program uses.
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

M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
RETAIN_BYTES = 1 << 30
"""Blocks up to this size come from (and return to) malloc's heap during a fit: every array the
in-memory engine makes below 10^6 asset-events."""
GLIBC_DEFAULT = 128 * 1024
"""glibc's static default of both thresholds (restored after a fit)."""

_lock = threading.Lock()
_depth = 0


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
