"""The chunked and Dask engines: the same study in blocks of members, within a memory budget.

The in-memory engine holds the whole event-time panel, N members x T rows of returns, market
returns, dates, normal and abnormal returns, at once: about 26 KB per member for a 250-day
estimation window, 2.6 GB for 100,000 asset-events. These engines cut the members into blocks.

Pass A (one task per block): build the block's panel from its tickers' returns, fit the model,
AR, CAR; run the whole battery for every group whose members all lie in the block (each event,
when blocks are whole events); for the groups that span blocks (``all``, each category), keep what
the battery needs of each member (a few numbers and the event-window ARs) and the block's sums
over estimation rows (the average estimation-row AR, Corrado's rank sums). The block's
estimation-window ARs and dates stay behind: spilled to disk (chunked) or in the worker's
memory (Dask).

Pass B (only for groups that span blocks): the two statistics that need several members'
estimation rows at once: GRANK (each member's rows ranked against its standardized CAR, scaled
by the group's cross-sectional SD, summed block by block) and Kolari-Pynnönen's r̄ (the rows of
the at most 5,000 members that estimate it, gathered). The battery then runs on a
:class:`~eventstudy.inference.panel.ReducedPanel` and gives the numbers it gives on the full panel,
up to the order of floating-point sums (tested to 1e-12 against the in-memory engine).

Blocks of whole events (``partition="event"``, default) or whole assets (``"asset"``: each Dask
task reads only its tickers from Parquet). The block size follows from the memory budget and a
measured cost per member and panel row (:data:`BYTES_PER_CELL`).
"""

from __future__ import annotations

import mmap
import os
import resource
import shutil
import sys
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .assets import data_calendars
from .errors import DataError, EstimationWindowError
from .inference import ALL_TESTS, battery
from .inference.context import Context
from .inference.correlation import for_all_members, mean_cross_correlation, member_subset
from .inference.nonparametric import _est_ranks, _grank_partial, _rank_sums_
from .inference.panel import Panel as InferencePanel
from .inference.panel import ReducedPanel
from .panel import build_panel, event_window_days, window_label, with_interval_returns
from .returns import compute_returns

DEFAULT_MEMORY = 2 * 1024 ** 3
# Peak bytes per (member, panel row) of a block, measured with benchmarks/bench_scale.py (the
# panel's ret/mkt/dates/spans, normal and AR, the masked estimation copy, the battery's ranks and
# temporaries), and bytes per member of what the fit keeps for every member (the CAR rows, the
# event-window ARs, the battery's per-member vectors). The budget, minus the resident size of the
# process when the blocks start (prices, returns, alignment) and the kept results, divided by the
# first times the panel's rows, gives the members per block.
BYTES_PER_CELL = 120
RESULT_BYTES = 600  # per member and window (CAR rows, event-window ARs, per-member test inputs)
RESULT_BYTES_MEMBER = 400  # per member (members, exclusions, the per-member vectors of every window)
PARTITIONS = ("event", "asset")
_UNITS = {"": 1, "B": 1, "K": 1e3, "KB": 1e3, "KIB": 1024, "M": 1e6, "MB": 1e6, "MIB": 1024 ** 2,
          "G": 1e9, "GB": 1e9, "GIB": 1024 ** 3, "T": 1e12, "TB": 1e12, "TIB": 1024 ** 4}


def parse_memory(value: int | float | str | None, *, argument: str = "memory") -> int:
    """``2_000_000_000``, ``"2GB"``, ``"1.5 GiB"``, ``"500MB"`` -> bytes (None -> 2 GiB)."""
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
            raise DataError(f"{argument}={value!r}: write a size such as 2GB, 500MB or 1.5GiB") from None
    if not n > 0:
        raise DataError(f"{argument}={value!r}: the memory budget must be positive")
    return int(n)


def rss_bytes() -> int:
    """Resident set size of this process now (Linux /proc; else the peak from getrusage)."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):  # pragma: no cover - non-Linux
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


# ---------------------------------------------------------------------------------- blocks
@dataclass
class Block:
    """One task of pass A: members (rows of the prepared members, ``gids``) and their data."""

    index: int
    gids: np.ndarray
    members: pd.DataFrame
    tickers: list[str]
    window_days: pd.DataFrame | None
    complete: dict[str, np.ndarray]  # group -> block rows, groups wholly inside this block
    pooled: dict[str, np.ndarray]  # group -> block rows, groups that span blocks
    rets: pd.DataFrame | None = None  # the block's returns (chunked); None: read by the worker (Dask)
    source: object = None  # a picklable price source the worker reads (Dask)


def _benchmarks(plan, assets) -> set[str]:
    if isinstance(plan.market, Mapping):
        out = {plan.market[a] for a in assets if a in plan.market}
    else:
        out = {plan.market} if plan.market else set()
    return out | set(plan.factors)


def make_blocks(members: pd.DataFrame, *, partition: str, capacity: int) -> list[np.ndarray]:
    """Member positions per block: whole events (or assets) together, at most ``capacity``
    members per block unless one event (asset) alone is larger, which is then split."""
    if partition not in PARTITIONS:
        raise DataError(f"partition={partition!r}: use 'event' (whole events per block) or 'asset'")
    key = "event_id" if partition == "event" else "asset"
    units = list(members.groupby(key, sort=False).indices.values())
    blocks, cur, size = [], [], 0
    for idx in units:
        if size and size + len(idx) > capacity:
            blocks.append(np.sort(np.concatenate(cur)))
            cur, size = [], 0
        if len(idx) > capacity:  # one unit bigger than a block: cut it
            for lo in range(0, len(idx), capacity):
                blocks.append(np.sort(idx[lo:lo + capacity]))
            continue
        cur.append(idx)
        size += len(idx)
    if cur:
        blocks.append(np.sort(np.concatenate(cur)))
    return blocks


# ---------------------------------------------------------------------------------- pass A
def run_block(plan, block: Block) -> tuple[dict, dict]:
    """Pass A of one block -> (light results for the client, heavy arrays kept for pass B)."""
    from .study import _estimate, _inference, _TestInputs

    rets = block.rets
    if rets is None:  # a worker reads its own tickers: Parquet filtered to them, not a pickled frame
        prices = block.source.daily(block.tickers)
        rets = compute_returns(prices, plan.returns, sessions=data_calendars(prices, plan.calendars))
    members = block.members
    panel = build_panel(rets, members, plan.taus, market=plan.market, factors=plan.factors, kind=plan.returns)
    del rets
    e = _estimate(plan, members, panel, window_days=block.window_days)
    short = [(int(block.gids[i]), r) for i, r in e.short]
    light: dict = {"index": block.index, "short": short, "n_in": len(members)}
    if not e.keep.any():
        light["gids"] = np.empty(0, dtype=np.int64)
        return light, {}
    keep_rows = np.flatnonzero(e.keep)
    new_row = np.full(len(members), -1)
    new_row[keep_rows] = np.arange(keep_rows.size)
    light["gids"] = block.gids[keep_rows]

    def kept(rows: np.ndarray) -> np.ndarray:
        r = new_row[rows]
        return r[r >= 0]

    light["car"] = e.car
    inputs = _TestInputs(plan, e)
    complete = {g: kept(rows) for g, rows in block.complete.items()}
    complete = {g: r for g, r in complete.items() if r.size}
    light["tests"] = _inference(plan, e, complete, inputs) if complete else {}
    # what the battery of a spanning group needs of each member of this block
    n = len(e.panel.members)
    everyone = np.arange(n)
    pooled = {g: kept(rows) for g, rows in block.pooled.items()}
    pooled = {g: r for g, r in pooled.items() if r.size}
    per_window = {}
    sums: dict = {g: {"est_sum": np.nansum(inputs.est_ar[r], axis=0),
                      "est_cnt": np.count_nonzero(~np.isnan(inputs.est_ar[r]), axis=0), "rank": {}}
                  for g, r in pooled.items()}
    tests = plan.tests or ALL_TESTS
    want_rank = any(t in tests for t in ("rank", "mrank"))
    ranks = None  # each member's estimation-row ranks: one sort per block, shared by groups and passes
    common = None
    for w in plan.windows:
        ip = inputs.panel(everyone, w)  # validates every member as the in-memory battery does
        per_window[window_label(w)] = {"evt_ar": ip.evt_ar, "fe": ip.fe_factor, "car_v": ip._car_v, "l_i": ip.l_i}
        if common is None:
            common = {"m_i": ip.m_i, "var_est": ip._var_est, "row_sumsq": ip._row_sumsq, "est_pos": ip.est_pos,
                      "has_market_term": ip.has_market_term}
        if ranks is None and pooled and (want_rank or "grank" in tests):
            ranks = _est_ranks(Context(ip, plan.convention))
        if want_rank:
            for g, r in pooled.items():
                sub = _sub_panel(ip, r, plan.model.k)
                rs = _rank_sums_(_context(sub, plan.convention, ranks[0], ranks[2], r))
                sums[g]["rank"][window_label(w)] = rs
    light["stats"] = {"common": common, "window": per_window}
    light["sums"] = sums
    # event-window rows for the tidy AR frame (estimation rows are not kept by these engines)
    evt_cols = np.unique(np.concatenate([e.panel.cols(w) for w in plan.windows]))
    light["evt"] = {"taus": e.panel.taus[evt_cols], "dates": e.panel.dates[:, evt_cols], "ret": e.panel.ret[:, evt_cols],
                    "normal": e.normal[:, evt_cols], "ar": e.ar[:, evt_cols]}
    light["n_excluded"] = e.mask.sum(axis=1) if e.mask is not None else np.zeros(n, dtype=np.int64)
    heavy = {"est_ar": np.ascontiguousarray(inputs.est_ar),
             "est_dates": inputs.est_dates.astype("datetime64[D]"),
             "evt_ar": e.ar[:, evt_cols], "evt_dates": e.panel.dates[:, evt_cols].astype("datetime64[D]"),
             "evt_taus": e.panel.taus[evt_cols]}
    if ranks is not None:
        fix_rows = np.array(sorted(ranks[2]), dtype=np.int64)
        heavy.update(est_rank=ranks[0], fix_rows=fix_rows,
                     fix_vals=np.array([ranks[2][i] for i in fix_rows]).reshape(fix_rows.size, ranks[0].shape[1]))
    return light, heavy


def _context(panel: InferencePanel, convention: str, est_rank, fix, rows: np.ndarray) -> Context:
    """A battery context for some ``rows`` of a block whose estimation-row ranks (``est_rank``,
    and ``fix``: the rows whose standardized values tie) are already known."""
    ctx = Context(panel, convention)
    if est_rank is not None:
        where = {int(r): j for j, r in enumerate(rows)}
        ctx._memo["est_ranks"] = (np.asarray(est_rank[rows]), panel.m_i,
                                  {where[i]: v for i, v in fix.items() if i in where})
    return ctx


def _sub_panel(ip: InferencePanel, rows: np.ndarray, k: int) -> InferencePanel:
    """The estimation and event rows of some members, enough for rank sums and GRANK."""
    extra = {"fe": np.ones((rows.size, ip.n_evt)), "car_fe": np.ones(rows.size)} if k > 2 else {}
    return InferencePanel(est_ar=ip.est_ar[rows], evt_ar=ip.evt_ar[rows], taus=ip.taus, k=k, check=False, **extra)


# ---------------------------------------------------------------------------------- pass B
def _window_cols(heavy: Mapping, w: tuple[int, int]) -> np.ndarray:
    return _taus_cols(np.asarray(heavy["evt_taus"]), w)


def block_rows(heavy: Mapping, rows: np.ndarray, windows: list) -> dict:
    """Estimation ARs and dates of some members of a block, and their event-window dates."""
    out = {"est_ar": np.asarray(heavy["est_ar"][rows]), "est_dates": np.asarray(heavy["est_dates"][rows])}
    for w in windows:
        out[window_label(w)] = np.asarray(heavy["evt_dates"][rows][:, _window_cols(heavy, w)])
    return out


def block_grank(heavy: Mapping, rows: np.ndarray, w: tuple[int, int], g: np.ndarray, k: int,
                convention: str) -> tuple[np.ndarray, np.ndarray]:
    """GRANK column sums of some members of a block (:func:`nonparametric._grank_partial`)."""
    cols = _window_cols(heavy, w)
    extra = {"fe": np.ones((rows.size, cols.size)), "car_fe": np.ones(rows.size)} if k > 2 else {}
    ip = InferencePanel(est_ar=np.asarray(heavy["est_ar"][rows]), evt_ar=np.asarray(heavy["evt_ar"][rows][:, cols]),
                        taus=np.asarray(heavy["evt_taus"])[cols], k=k, check=False, **extra)
    fix = None
    if "est_rank" in heavy:
        fix = dict(zip(np.asarray(heavy["fix_rows"]).tolist(), np.asarray(heavy["fix_vals"])))
    ctx = _context(ip, convention, heavy.get("est_rank"), fix, rows)
    return _grank_partial(ctx, g)


# ---------------------------------------------------------------------------------- executors
class _Progress:
    def __init__(self, progress, total: int, label: str) -> None:
        self.fn = progress if callable(progress) else (self._print if progress else None)
        self.total, self.label, self.t0, self.done = total, label, time.perf_counter(), 0

    @staticmethod
    def _print(done: int, total: int, message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    def step(self, members: int) -> None:
        self.done += 1
        if self.fn:
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            self.fn(self.done, self.total, f"{self.label} block {self.done}/{self.total}: {members:,} members, "
                                           f"{time.perf_counter() - self.t0:.1f} s, peak RSS {peak:,.0f} MiB")


class LocalExecutor:
    """Blocks one after the other in this process; heavy arrays spilled to ``.npy`` files and
    read back memory-mapped (only the rows asked for are paged in)."""

    def __init__(self, spill_dir=None, progress=False) -> None:
        # a directory of its own (inside spill_dir if given), so that concurrent fits never share files
        if spill_dir is not None:
            Path(spill_dir).mkdir(parents=True, exist_ok=True)
        self.dir = Path(tempfile.mkdtemp(prefix="eventstudy-spill-", dir=spill_dir))
        self.progress = progress
        self.rets: pd.DataFrame | None = None

    def run(self, plan, blocks: list[Block]) -> tuple[list[dict], list]:
        lights, handles = [], []
        bar = _Progress(self.progress, len(blocks), "chunked")
        for b in blocks:
            if b.rets is None and self.rets is not None:
                b.rets = self.rets[self.rets["ticker"].isin(b.tickers)]
            light, heavy = run_block(plan, b)
            b.rets = None
            paths = {}
            for name, arr in heavy.items():
                p = self.dir / f"block{b.index:05d}-{name}.npy"
                np.save(p, arr, allow_pickle=False)
                paths[name] = p
            del heavy
            lights.append(light)
            handles.append(paths)
            bar.step(len(b.gids))
        return lights, handles

    def _open(self, handle: Mapping) -> dict:
        key = str(handle.get("est_ar"))
        cache = self.__dict__.setdefault("_maps", {})
        if key not in cache:  # memory-mapped: only the rows a request touches are read
            cache[key] = {k: np.load(p, mmap_mode="r", allow_pickle=False) for k, p in handle.items()}
        return cache[key]

    def _release(self, handle: Mapping) -> None:
        """Drop the pages a request read from the resident set (the maps stay open for the next
        request; without madvise the maps are closed)."""
        maps = self.__dict__.get("_maps", {}).get(str(handle.get("est_ar")), {})
        for arr in maps.values():
            mm = getattr(arr, "_mmap", None)
            if mm is None or not hasattr(mm, "madvise") or not hasattr(mmap, "MADV_DONTNEED"):
                self.__dict__.get("_maps", {}).pop(str(handle.get("est_ar")), None)
                return
            mm.madvise(mmap.MADV_DONTNEED)

    def grank(self, requests: list) -> list:
        out = []
        for h, args in requests:
            out.append(block_grank(self._open(h), *args))
            self._release(h)
        return out

    def gather_rows(self, requests: list) -> list:
        out = []
        for h, rows, windows in requests:
            out.append(block_rows(self._open(h), rows, windows))
            self._release(h)
        return out

    def close(self) -> None:
        self.__dict__.pop("_maps", None)
        shutil.rmtree(self.dir, ignore_errors=True)


def _first(x):
    return x[0]


def _second(x):
    return x[1]


class DaskExecutor:
    """Blocks as tasks of a ``dask.distributed`` cluster; heavy arrays stay on the workers (as
    futures) between the passes and only the small per-member results travel."""

    def __init__(self, client=None, progress=False) -> None:
        try:
            from distributed import Client, LocalCluster
        except ImportError as exc:  # pragma: no cover - distributed is a dependency
            raise DataError("backend='dask' needs dask.distributed: pip install 'dask[distributed]'") from exc
        self._cluster = None
        if client is None:
            self._cluster = LocalCluster(n_workers=min(4, os.cpu_count() or 1), threads_per_worker=1,
                                         processes=True, dashboard_address=":0")
            client = Client(self._cluster)
            self._own_client = True
        elif isinstance(client, str):
            client = Client(client)
            self._own_client = True
        else:
            self._own_client = False
        self.client = client
        self.progress = progress
        self._heavy: list = []

    @property
    def n_workers(self) -> int:
        return max(1, len(self.client.scheduler_info().get("workers", {})))

    def run(self, plan, blocks: list[Block]) -> tuple[list[dict], list]:
        from distributed import as_completed

        c = self.client
        plan_f = c.scatter(plan, broadcast=True)
        both = [c.submit(run_block, plan_f, b, pure=False) for b in blocks]
        light = [c.submit(_first, f, pure=False) for f in both]
        self._heavy = [c.submit(_second, f, pure=False) for f in both]
        bar = _Progress(self.progress, len(blocks), "dask")
        sizes = {f.key: len(b.gids) for f, b in zip(light, blocks)}
        for f in as_completed(light):
            bar.step(sizes[f.key])
        out = c.gather(light)
        del both, light
        return out, self._heavy

    def gather_rows(self, requests: list) -> list:
        c = self.client
        return c.gather([c.submit(block_rows, h, rows, windows, pure=False) for h, rows, windows in requests])

    def grank(self, requests: list) -> list:
        c = self.client
        return c.gather([c.submit(block_grank, h, *args, pure=False) for h, args in requests])

    def close(self) -> None:
        self._heavy = []
        if self._own_client:
            self.client.close()
        if self._cluster is not None:
            self._cluster.close()


# ---------------------------------------------------------------------------------- the fit
def _capacity(prep, budget: int, *, dask: bool) -> int:
    t = prep.taus[1] - prep.taus[0] + 1
    per_member = BYTES_PER_CELL * t * (1 + len(prep.factors))
    if dask:  # a worker holds one block at a time; the client keeps the results
        base = 0
    else:
        base = rss_bytes() + (RESULT_BYTES * len(prep.windows) + RESULT_BYTES_MEMBER) * len(prep.members)
    free = budget - base
    if free < per_member:
        raise DataError(
            f"memory={budget / 1e6:,.0f} MB is too small: this process already holds {rss_bytes() / 1e6:,.0f} MB "
            f"(prices, returns, alignment) and the results of {len(prep.members):,} members take about "
            f"{(base - rss_bytes()) / 1e6:,.0f} MB; give at least {(base + 1000 * per_member) / 1e6:,.0f} MB "
            "(1,000 members per block)")
    return max(1, int(free // per_member))


def fit_blocks(prep):
    """Fit a prepared study (:func:`eventstudy.study._prepare`) with the chunked or Dask engine."""
    spec = prep.spec
    plan = prep.plan()
    members = prep.members
    budget = parse_memory(spec.memory)
    dask = spec.backend == "dask"
    source = None
    if dask:
        source = _worker_source(spec.prices)
    if not dask:  # benchmark returns over each row's interval, compounded once (not per block), in
        # place of the plain returns (before the budget is measured); each block's slice is cut as it runs
        prep.rets = with_interval_returns(prep.rets, plan.market, plan.factors, plan.returns)
    capacity = _capacity(prep, budget, dask=dask)
    executor = DaskExecutor(spec.client, spec.progress) if dask else LocalExecutor(spec.spill_dir, spec.progress)
    try:
        if dask:  # at least two blocks per worker, so that every worker has work
            capacity = min(capacity, -(-len(members) // (2 * executor.n_workers)))
        blocks = _blocks(prep, plan, make_blocks(members, partition=spec.partition, capacity=capacity), source)
        if not dask:
            executor.rets = prep.rets
        lights, handles = executor.run(plan, blocks)
        del blocks
        return _combine(prep, plan, lights, handles, executor)
    finally:
        executor.close()


def _blocks(prep, plan, parts: list[np.ndarray], source) -> list[Block]:
    """The blocks' members, the groups wholly inside each block or spanning several, and the
    event-window days of their assets (for clean estimation windows)."""
    from .study import _groups

    members = prep.members
    pre_groups = _groups(members, plan.group, plan.by_event)
    block_of = np.empty(len(members), dtype=np.int64)
    row_of = np.empty(len(members), dtype=np.int64)
    for b, gids in enumerate(parts):
        block_of[gids] = b
        row_of[gids] = np.arange(gids.size)
    complete: list[dict] = [{} for _ in parts]
    pooled: list[dict] = [{} for _ in parts]
    for g, idx in pre_groups.items():
        idx = np.asarray(idx)
        bs = np.unique(block_of[idx])
        target = complete if bs.size == 1 else pooled
        for b in bs:
            sel = idx[block_of[idx] == b]
            target[b][g] = row_of[sel]
    days = by_asset = None
    if plan.clean_estimation:
        days = event_window_days(prep.rets, members, plan.windows)
        by_asset = days.groupby("asset", sort=False).indices
    blocks = []
    for b, gids in enumerate(parts):
        mem = members.iloc[gids].reset_index(drop=True)
        assets = list(pd.unique(mem["asset"]))
        tickers = sorted(set(assets) | _benchmarks(plan, assets))
        wd = None
        if days is not None:
            rows = [by_asset[a] for a in assets if a in by_asset]
            wd = days.iloc[np.concatenate(rows) if rows else []].reset_index(drop=True)
        blocks.append(Block(b, gids, mem, tickers, wd, complete[b], pooled[b], None, source))
    return blocks


def _worker_source(prices):
    from .prices.bundled import BundledSource
    from .prices.parquet import ParquetSource

    if isinstance(prices, (ParquetSource, BundledSource)):
        return prices
    raise DataError(
        "backend='dask' reads prices on the workers: pass prices=ParquetSource(path) with a path every worker "
        "can open (write one with ParquetSource.write(prices, 'prices.parquet')); a DataFrame would be pickled "
        f"to every task (got {type(prices).__name__})")


def _combine(prep, plan, lights, handles, executor):
    """The study's results from the blocks' light results (and pass B on their heavy arrays)."""
    from .study import EventStudyResults, _groups, _label_tests

    members_in = prep.members
    windows = plan.windows
    wl = [window_label(w) for w in windows]
    short = sorted(s for light in lights for s in light["short"])
    gids = np.concatenate([light["gids"] for light in lights])
    blk = np.concatenate([np.full(light["gids"].size, i) for i, light in enumerate(lights)])
    row = np.concatenate([np.arange(light["gids"].size) for light in lights])
    if gids.size == 0:
        raise EstimationWindowError(f"every (event, asset) pair has fewer than {plan.min_estimation} estimation "
                                    f"observations in {window_label(plan.est)}; shorten min_estimation or move the window")
    order = np.argsort(gids, kind="stable")
    gids, blk, row = gids[order], blk[order], row[order]
    members = members_in.iloc[gids].reset_index(drop=True)
    final_of_gid = np.full(len(members_in), -1)
    final_of_gid[gids] = np.arange(gids.size)
    exclusions = list(prep.exclusions) + [
        {"event_id": members_in.at[i, "event_id"], "asset": members_in.at[i, "asset"], "reason": r} for i, r in short]

    # CAR: window-major, members in order (as the in-memory engine)
    cars = []
    for light in lights:
        if "car" not in light:
            continue
        c = light["car"].copy()
        c["member"] = np.tile(final_of_gid[light["gids"]], len(windows))
        cars.append(c)
    car = pd.concat(cars, ignore_index=True)
    car["_w"] = car["window"].map({w: i for i, w in enumerate(wl)})
    car = car.sort_values(["_w", "member"], kind="stable").drop(columns="_w").reset_index(drop=True)
    car.insert(0, "member", car.pop("member"))
    car["day0"] = pd.to_datetime(members["day0"].to_numpy()[car["member"].to_numpy()]).strftime("%Y-%m-%d")

    # per-member vectors in final order
    def stack(get) -> np.ndarray:
        parts = [get(light) for light in lights if light["gids"].size]
        return np.concatenate(parts)[order]

    common = {k: stack(lambda x, k=k: x["stats"]["common"][k]) for k in ("m_i", "var_est", "row_sumsq", "est_pos")}
    per_w = {w: {k: stack(lambda x, w=w, k=k: x["stats"]["window"][w][k]) for k in ("evt_ar", "fe", "car_v", "l_i")}
             for w in wl}
    has_market_term = any(light["stats"]["common"]["has_market_term"] for light in lights if light["gids"].size)

    groups = _groups(members, plan.group, plan.by_event)
    done = {}
    for light in lights:
        done.update(light.get("tests", {}))
    rows = []
    for g, idx in groups.items():
        idx = np.asarray(idx)
        reduced = None
        for w, label in zip(windows, wl):
            if (g, label) in done:
                rows.append(done[(g, label)])
                continue
            if reduced is None:
                reduced = _GroupReducer(g, idx, blk, row, lights, handles, executor, plan, members)
            df = battery(reduced.panel(w, common, per_w[label], has_market_term), tests=plan.tests or ALL_TESTS,
                         convention=plan.convention, seed=plan.seed, n_boot=plan.n_boot)
            rows.append(_label_tests(df, g, w))
    tests = pd.concat(rows, ignore_index=True)
    evt = _event_frame(lights, order, members)
    n_excl = stack(lambda x: x["n_excluded"])
    est_excl = pd.DataFrame({"event_id": members["event_id"], "asset": members["asset"], "n_days": n_excl,
                             "reason": "estimation days inside another event's window on this asset"})
    est_excl = est_excl[est_excl["n_days"] > 0].reset_index(drop=True)
    options = prep.options()
    options.update({"memory": parse_memory(prep.spec.memory), "partition": prep.spec.partition,
                    "blocks": len(lights)})
    return EventStudyResults(prep.spec, prep.alignment, members,
                             pd.DataFrame(exclusions, columns=["event_id", "asset", "reason"]),
                             car, tests, options, event_ar=evt, est_exclusion_counts=est_excl)


def _event_frame(lights, order, members) -> pd.DataFrame:
    parts = [x["evt"] for x in lights if x["gids"].size]
    taus = parts[0]["taus"]
    cat = {k: np.concatenate([p[k] for p in parts])[order] for k in ("dates", "ret", "normal", "ar")}
    n, t = cat["ar"].shape
    frame = pd.DataFrame({
        "member": np.repeat(np.arange(n), t),
        "event_id": np.repeat(members["event_id"].to_numpy(), t),
        "asset": np.repeat(members["asset"].to_numpy(), t),
        "tau": np.tile(taus, n),
        "date": pd.DatetimeIndex(cat["dates"].ravel()),
        "ret": cat["ret"].ravel(), "normal": cat["normal"].ravel(), "ar": cat["ar"].ravel(), "part": "event",
    })
    return frame[frame["date"].notna()].reset_index(drop=True)


@dataclass
class _GroupReducer:
    """The battery inputs of one group spanning blocks: sums from pass A, pass B on demand."""

    name: str
    idx: np.ndarray  # final member positions of the group, in order
    blk: np.ndarray  # block of each final member
    row: np.ndarray  # row inside its block's kept members
    lights: list
    handles: list
    executor: object
    plan: object
    members: pd.DataFrame
    _rows_cache: dict = field(default_factory=dict)

    def panel(self, w, common, per_w, has_market_term) -> ReducedPanel:
        from .study import _Labels

        idx, plan = self.idx, self.plan
        parts = [x["sums"][self.name] for x in self.lights if self.name in x.get("sums", {})]
        est_sum = sum(p["est_sum"] for p in parts)
        est_cnt = sum(p["est_cnt"] for p in parts)
        aar_est = np.divide(est_sum, est_cnt, out=np.full(est_sum.shape, np.nan), where=est_cnt > 0)
        label = window_label(w)
        rank = None
        if parts and label in parts[0]["rank"]:
            rs = [p["rank"][label] for p in parts]
            rank = {k: sum(r[k] for r in rs) for k in ("dev", "u", "k", "n")}
            rank["t_i"] = np.concatenate([r["t_i"] for r in rs])
        m_i = common["m_i"][idx]
        taus = self.lights[int(self.blk[idx[0]])]["evt"]["taus"]
        return ReducedPanel(
            evt_ar=per_w["evt_ar"][idx], taus=taus[_taus_cols(taus, w)],
            k=plan.model.k, n_est=int(est_sum.size), m_i=m_i, l_i=per_w["l_i"][idx],
            _var_est=common["var_est"][idx], _row_sumsq=common["row_sumsq"][idx], fe_factor=per_w["fe"][idx],
            _car_v=per_w["car_v"][idx], aar_est=aar_est, est_pos=common["est_pos"][idx],
            est_has_nan=bool((m_i < est_sum.size).any()), has_market_term=has_market_term, rank_sums=rank,
            cc=lambda: self._cc(w), grank=lambda g: self._grank(w, g),
            labels=_Labels(self.members, idx))

    def _by_block(self, positions: np.ndarray) -> list[tuple[int, np.ndarray, np.ndarray]]:
        """(block, rows in it, where those rows go in ``positions``) for group positions."""
        b = self.blk[self.idx[positions]]
        r = self.row[self.idx[positions]]
        out = []
        for blk in np.unique(b):
            sel = np.flatnonzero(b == blk)
            out.append((int(blk), r[sel], sel))
        return out

    def _cc(self, w):
        n = self.idx.size
        pick = member_subset(n)
        positions = np.arange(n) if pick is None else pick
        if "rows" not in self._rows_cache:
            parts = self._by_block(positions)
            got = self.executor.gather_rows([(self.handles[b], rows, self.plan.windows) for b, rows, _ in parts])
            self._rows_cache["rows"] = (parts, got)
        parts, got = self._rows_cache["rows"]
        m = got[0]["est_ar"].shape[1]
        label = window_label(w)
        le = got[0][label].shape[1]
        est = np.empty((positions.size, m))
        dates = np.empty((positions.size, m), dtype="datetime64[D]")
        evd = np.empty((positions.size, le), dtype="datetime64[D]")
        for (_, _, sel), gr in zip(parts, got):
            est[sel], dates[sel], evd[sel] = gr["est_ar"], gr["est_dates"], gr[label]
        cc = mean_cross_correlation(est, dates, evt_dates=evd)
        return cc if pick is None else for_all_members(cc, n)

    def _grank(self, w, g: np.ndarray):
        parts = self._by_block(np.arange(self.idx.size))
        res = self.executor.grank([(self.handles[b], (rows, w, g[sel], self.plan.model.k, self.plan.convention))
                                   for b, rows, sel in parts])
        return sum(r[0] for r in res), sum(r[1] for r in res)


def _taus_cols(taus: np.ndarray, w) -> np.ndarray:
    return np.flatnonzero((taus >= w[0]) & (taus <= w[1]))
