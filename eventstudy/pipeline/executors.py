"""How a fit runs: the execution options (:class:`Execution`) and the executors of the block
engine -- one process with spilled rows (:class:`LocalExecutor`) or a ``dask.distributed``
cluster (:class:`DaskExecutor`). The numbers never depend on them."""

from __future__ import annotations

import mmap
import os
import resource
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, get_args

import numpy as np

from ..errors import SpecificationError, require
from ..eventtime import rows_of

Backend = Literal["memory", "chunked", "dask"]
Partition = Literal["event", "asset"]
BACKENDS: tuple[str, ...] = get_args(Backend)
PARTITIONS: tuple[str, ...] = get_args(Partition)
DEFAULT_MEMORY = 2 * 1024 ** 3
_UNITS = {"": 1, "B": 1, "K": 1e3, "KB": 1e3, "KIB": 1024, "M": 1e6, "MB": 1e6, "MIB": 1024 ** 2,
          "G": 1e9, "GB": 1e9, "GIB": 1024 ** 3, "T": 1e12, "TB": 1e12, "TIB": 1024 ** 4}


def parse_memory(value: int | float | str | None, *, argument: str = "memory") -> int:
    """Bytes from ``2_000_000_000``, ``"2GB"``, ``"1.5 GiB"`` or ``"500MB"`` (None: 2 GiB).

    Units are case-insensitive; K, M, G, T (with or without B) are powers of 1000, KiB, MiB, GiB,
    TiB powers of 1024; spaces are ignored.

    Parameters
    ----------
    value : int, float, str or None
        The size; None gives :data:`DEFAULT_MEMORY`.
    argument : str
        Name of the option, for the error message.

    Returns
    -------
    int
        The size in bytes (truncated).

    Raises
    ------
    SpecificationError
        For text that is not a size, or a size that is not positive.
    """
    if value is None:
        return DEFAULT_MEMORY
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        n = float(value)
    else:
        text = str(value).strip().upper().replace(" ", "")
        num = text.rstrip("KMGTIB")
        unit = text[len(num):]
        try:
            n = float(num) * _UNITS[unit]
        except (ValueError, KeyError):
            raise SpecificationError(f"{argument}={value!r}: write a size such as 2GB, 500MB or 1.5GiB") from None
    if not n > 0:
        raise SpecificationError(f"{argument}={value!r}: the memory budget must be positive")
    return int(n)


@dataclass(frozen=True)
class Execution:
    """How :meth:`eventstudy.EventStudy.fit` runs; the numbers are the same whatever is chosen.

    Parameters
    ----------
    backend
        ``"memory"`` (default): the whole event-time panel at once, fastest while it fits.
        ``"chunked"``: blocks of members within ``memory`` bytes, estimation rows spilled to
        ``spill_dir`` between the two passes. ``"dask"``: the same blocks as tasks of a
        ``dask.distributed`` cluster (``client``).
    memory
        Memory budget of the chunked engine (per task with Dask): bytes or ``"2GB"``; None = 2 GiB.
    partition
        ``"event"`` (whole events per block, so each event's own battery runs inside its block) or
        ``"asset"`` (whole assets per block: each Dask task reads only its tickers' prices).
    client
        Dask only: a ``distributed.Client`` or a scheduler address (``"tcp://host:8786"``); None
        starts a ``LocalCluster`` for the fit.
    progress
        Print one line per block (chunked, Dask), and every 5 s of the groups' test batteries
        (every engine), to stderr (True), or call ``progress(done, total, message)``.
    spill_dir
        Where the chunked engine keeps estimation rows between its passes (default: a temporary
        directory, removed after the fit).
    """

    backend: Backend = "memory"
    memory: int | str | None = None
    partition: Partition = "event"
    client: object = field(default=None, compare=False, repr=False)
    progress: bool | Callable[[int, int, str], None] = field(default=False, compare=False, repr=False)
    spill_dir: str | Path | None = None

    def __post_init__(self) -> None:
        if self.backend not in BACKENDS:
            raise SpecificationError(f"backend={self.backend!r}: use one of {', '.join(BACKENDS)}")
        if self.partition not in PARTITIONS:
            raise SpecificationError(f"partition={self.partition!r}: use 'event' (whole events per block) or 'asset'")
        budget = parse_memory(self.memory)
        if self.backend == "memory" and (self.memory is not None or self.client is not None):
            raise SpecificationError("memory= and client= go with backend='chunked' or backend='dask'")
        object.__setattr__(self, "memory", budget)

    def record(self, blocks: int = 1) -> dict:
        """What the manifest records of this execution."""
        out = {"backend": self.backend, "blocks": blocks}
        if self.backend != "memory":
            out.update(memory=self.memory, partition=self.partition)
        return out


def rss_bytes() -> int:
    """Resident set size of this process now (Linux /proc; else the peak from getrusage)."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):  # pragma: no cover - non-Linux
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


class Progress:
    """One line (or callback) per finished block; with ``min_interval``, at most one per that many
    seconds (none for work that ends sooner), and the last one."""

    def __init__(self, progress, total: int, label: str, *, unit: str = "block", min_interval: float = 0.0) -> None:
        self.fn = progress if callable(progress) else (self._print if progress else None)
        self.total, self.label, self.t0, self.done = total, label, time.perf_counter(), 0
        self.unit, self.min_interval, self.last = unit, min_interval, self.t0

    @staticmethod
    def _print(done: int, total: int, message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    def step(self, members: int) -> None:
        """Count one finished block of ``members`` members and report it (elapsed time, peak RSS)."""
        self.done += 1
        now = time.perf_counter()
        due = now - self.last >= self.min_interval or (self.done == self.total and self.last > self.t0)
        if self.fn and due:
            self.last = now
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            self.fn(self.done, self.total, f"{self.label} {self.unit} {self.done}/{self.total}: {members:,} members, "
                                           f"{time.perf_counter() - self.t0:.1f} s, peak RSS {peak:,.0f} MiB")


def _spill(heavy: Mapping, paths: Mapping) -> None:
    """Write a block's heavy arrays to their ``.npy`` files."""
    for name, arr in heavy.items():
        np.save(paths[name], arr, allow_pickle=False)


class LocalExecutor:
    """Blocks one after the other in this process; heavy arrays spilled to ``.npy`` files and
    read back memory-mapped (only the rows asked for are paged in)."""

    def __init__(self, run_block: Callable, block_rows: Callable, block_grank: Callable, spill_dir=None,
                 progress=False) -> None:
        # a directory of its own (inside spill_dir if given), so that concurrent fits never share files
        if spill_dir is not None:
            Path(spill_dir).mkdir(parents=True, exist_ok=True)
        self.dir = Path(tempfile.mkdtemp(prefix="eventstudy-spill-", dir=spill_dir))
        self.progress = progress
        self.rets = None  # the study's ReturnRows, cut into each block's tickers
        self._run, self._rows, self._grank = run_block, block_rows, block_grank
        self._maps: dict = {}

    def run(self, plan, blocks: list) -> tuple[list[dict], list]:
        """Pass A of every block, one after the other, with each block's heavy arrays spilled.

        Parameters
        ----------
        plan : Plan
            The study's plan.
        blocks : list of Block
            The blocks; one without returns gets its tickers' rows of ``self.rets`` (if set).

        Returns
        -------
        lights : list of dict
            Each block's light results (:func:`~eventstudy.pipeline.blocks.run_block`).
        handles : list of dict
            Each block's heavy arrays as ``{name: path of its .npy file}``.
        """
        lights, handles = [], []
        bar = Progress(self.progress, len(blocks), "chunked")
        # a block's heavy arrays are written to disk on a second thread while the next block is fitted
        # (the write waits on the disk, not the cores); at most one block's arrays wait to be written
        with ThreadPoolExecutor(max_workers=1) as writer:
            pending = None
            for b in blocks:
                if b.rets is None and self.rets is not None:
                    b.rets = rows_of(self.rets, b.tickers)
                light, heavy = self._run(plan, b)
                b.rets = None
                paths = {name: self.dir / f"block{b.index:05d}-{name}.npy" for name in heavy}
                if pending is not None:
                    pending.result()
                pending = writer.submit(_spill, heavy, paths)
                del heavy
                lights.append(light)
                handles.append(paths)
                bar.step(len(b.gids))
            if pending is not None:
                pending.result()
        return lights, handles

    def _open(self, handle: Mapping) -> dict:
        key = str(handle.get("est_ar"))
        if key not in self._maps:  # memory-mapped: only the rows a request touches are read
            self._maps[key] = {k: np.load(p, mmap_mode="r", allow_pickle=False) for k, p in handle.items()}
        return self._maps[key]

    def _release(self, handle: Mapping) -> None:
        """Drop the pages a request read from the resident set (the maps stay open for the next
        request; without madvise the maps are closed)."""
        maps = self._maps.get(str(handle.get("est_ar")), {})
        for arr in maps.values():
            mm = getattr(arr, "_mmap", None)
            if mm is None or not hasattr(mm, "madvise") or not hasattr(mmap, "MADV_DONTNEED"):
                self._maps.pop(str(handle.get("est_ar")), None)
                return
            mm.madvise(mmap.MADV_DONTNEED)

    def grank(self, requests: list) -> list:
        """GRANK column sums of some members of each block (the ``block_grank`` function).

        Parameters
        ----------
        requests : list of (handle, args)
            A block's handle from :meth:`run` and the arguments after ``heavy``:
            ``(rows, window, g, k, convention)``.

        Returns
        -------
        list of (u_sum, n_t)
            One per request, in order.
        """
        out = []
        for h, args in requests:
            out.append(self._grank(self._open(h), *args))
            self._release(h)
        return out

    def gather_rows(self, requests: list) -> list:
        """Estimation rows of some members of each block (the ``block_rows`` function).

        Parameters
        ----------
        requests : list of (handle, rows)
            A block's handle from :meth:`run` and rows of its kept members.

        Returns
        -------
        list of ndarray
            One (R, M) array of estimation ARs per request, in order.
        """
        out = []
        for h, rows in requests:
            out.append(self._rows(self._open(h), rows))
            self._release(h)
        return out

    def close(self) -> None:
        """Drop the memory maps and remove the spill directory."""
        self._maps.clear()
        shutil.rmtree(self.dir, ignore_errors=True)


def _first(x):
    return x[0]


def _on_worker(fn: Callable, *args):
    """Run one task of a Dask worker under the fit's allocation policy (the worker's own process),
    on the worker's own thread: the workers already share the cores."""
    from ..allocator import without_hugepage_hint
    from ..arrays import serial

    with without_hugepage_hint(), serial():
        return fn(*args)


def _second(x):
    return x[1]


class DaskExecutor:
    """Blocks as tasks of a ``dask.distributed`` cluster; heavy arrays stay on the workers (as
    futures) between the passes and only the small per-member results travel."""

    def __init__(self, run_block: Callable, block_rows: Callable, block_grank: Callable, client=None,
                 progress=False) -> None:
        distributed = require("distributed", extra="dask", feature="backend='dask'")
        self._cluster = None
        if client is None:
            self._cluster = distributed.LocalCluster(n_workers=min(4, os.cpu_count() or 1), threads_per_worker=1,
                                                     processes=True, dashboard_address=":0")
            client = distributed.Client(self._cluster)
            self._own_client = True
        elif isinstance(client, str):
            client = distributed.Client(client)
            self._own_client = True
        else:
            self._own_client = False
        self.client = client
        self.progress = progress
        self._heavy: list = []
        self._run, self._rows, self._grank = run_block, block_rows, block_grank

    @property
    def n_workers(self) -> int:
        """Number of workers of the cluster (at least 1)."""
        return max(1, len(self.client.scheduler_info().get("workers", {})))

    def run(self, plan, blocks: list) -> tuple[list[dict], list]:
        """Pass A of every block as a task; the heavy arrays stay on the workers.

        Parameters
        ----------
        plan : Plan
            The study's plan (scattered to every worker once).
        blocks : list of Block
            The blocks; each worker reads its block's tickers from the block's price source.

        Returns
        -------
        lights : list of dict
            Each block's light results, gathered to the client.
        handles : list of Future
            Each block's heavy arrays, as futures on the workers.
        """
        from distributed import as_completed

        c = self.client
        plan_f = c.scatter(plan, broadcast=True)
        both = [c.submit(_on_worker, self._run, plan_f, b, pure=False) for b in blocks]
        light = [c.submit(_first, f, pure=False) for f in both]
        self._heavy = [c.submit(_second, f, pure=False) for f in both]
        bar = Progress(self.progress, len(blocks), "dask")
        sizes = {f.key: len(b.gids) for f, b in zip(light, blocks)}
        for f in as_completed(light):
            bar.step(sizes[f.key])
        out = c.gather(light)
        del both, light
        return out, self._heavy

    def gather_rows(self, requests: list) -> list:
        """Estimation rows of some members of each block, computed on the worker holding it.

        Parameters
        ----------
        requests : list of (handle, rows)
            A block's future from :meth:`run` and rows of its kept members.

        Returns
        -------
        list of ndarray
            One (R, M) array of estimation ARs per request, in order (the ``block_rows`` function).
        """
        c = self.client
        return c.gather([c.submit(_on_worker, self._rows, h, rows, pure=False) for h, rows in requests])

    def grank(self, requests: list) -> list:
        """GRANK column sums of some members of each block, computed on the worker holding it.

        Parameters
        ----------
        requests : list of (handle, args)
            A block's future from :meth:`run` and ``(rows, window, g, k, convention)``.

        Returns
        -------
        list of (u_sum, n_t)
            One per request, in order (the ``block_grank`` function).
        """
        c = self.client
        return c.gather([c.submit(_on_worker, self._grank, h, *args, pure=False) for h, args in requests])

    def close(self) -> None:
        """Release the heavy futures; close the client and cluster if this executor made them."""
        self._heavy = []
        if self._own_client:
            self.client.close()
        if self._cluster is not None:
            self._cluster.close()
