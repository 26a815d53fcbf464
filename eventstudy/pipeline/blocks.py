"""The chunked and Dask engines: the same three steps in blocks of members, within a memory budget.

The in-memory engine holds the whole event-time panel, N members x T rows of returns, market
returns, dates, normal and abnormal returns, at once: about 26 KB per member for a 250-day
estimation window, 2.6 GB for 100,000 asset-events. These engines cut the members into blocks.

Pass A (one task per block): build the block's panel from its tickers' returns and
:func:`~eventstudy.pipeline.estimate.estimate` it; run the whole battery
(:func:`~eventstudy.pipeline.infer.infer`) for every group whose members all lie in the block (each
event, when blocks are whole events); for the groups that span blocks (``all``, each group value),
keep what the battery needs of each member (a few numbers and the event-window ARs) and the
block's sums over estimation rows (the average estimation-row AR, Corrado's rank sums). The
block's estimation-window ARs and dates stay behind: spilled to disk (chunked) or in the worker's
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

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..allocator import release_freed_memory
from ..assets import data_calendars
from ..errors import DataError, SpecificationError
from ..eventtime import (
    PanelRows,
    ReturnRows,
    build_panel,
    member_rows,
    own_bounds,
    own_window_mask,
    with_interval_returns,
)
from ..groups import define_groups
from ..inference import ALL_TESTS
from ..inference.context import Context
from ..inference.correlation import event_time_correlation, for_all_members, member_subset
from ..inference.nonparametric import EstimationRanks, corrado_rank_sums, estimation_ranks, grank_partial_sums
from ..inference.panel import Panel, ReducedPanel
from ..results import assemble
from ..returns import compute_returns
from ..windows import EventWindows, Window
from .estimate import estimate, event_rows, params_frame
from .executors import PARTITIONS, DaskExecutor, Execution, LocalExecutor, rss_bytes
from .infer import BatteryInputs, MemberLabels, infer, run_battery, tests_frame
from .prepare import Plan, Prepared, exclude_short, no_member_left

# Peak bytes per (member, panel row) of a block, measured with benchmarks/bench_scale.py (the
# panel's ret/mkt/dates/spans, normal and AR, the masked estimation copy, the battery's ranks and
# temporaries), and bytes per member of what the fit keeps for every member (the CAR rows, the
# event-window ARs, the battery's per-member vectors). The budget, minus the resident size of the
# process when the blocks start (prices, returns, alignment) and the kept results, divided by the
# first times the panel's rows, gives the members per block.
BYTES_PER_CELL = 120
SPILL_BYTES_PER_CELL = 16  # a block's heavy arrays per member and panel column (estimation ARs, ranks, order)
RESULT_BYTES = 600  # per member and window (CAR rows, event-window ARs, per-member test inputs)
RESULT_BYTES_MEMBER = 600  # per member (members, exclusions, parameters, the per-member vectors of every window)


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
    rets: pd.DataFrame | ReturnRows | None = None  # the block's returns (chunked); None: read by the worker (Dask)
    source: object = None  # a picklable price source the worker reads (Dask)


def make_blocks(members: pd.DataFrame, *, partition: str, capacity: int) -> list[np.ndarray]:
    """Member positions per block: whole events (or assets) together, at most ``capacity``
    members per block unless one event (asset) alone is larger, which is then split.

    Units (events or assets) are taken in order of first appearance and packed greedily; a unit
    larger than ``capacity`` gets blocks of its own, cut into ``capacity`` members each.

    Parameters
    ----------
    members : DataFrame
        The prepared members (``event_id, asset``, ...), one row each.
    partition : {"event", "asset"}
        Keep whole events or whole assets together.
    capacity : int
        Members per block (:func:`capacity`).

    Returns
    -------
    list of ndarray of int
        Positions in ``members`` of each block's members, sorted.

    Raises
    ------
    SpecificationError
        An unknown ``partition``.
    """
    if partition not in PARTITIONS:
        raise SpecificationError(f"partition={partition!r}: use 'event' (whole events per block) or 'asset'")
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
def run_block(plan: Plan, block: Block) -> tuple[dict, dict]:
    """Pass A of one block -> (light results for the client, heavy arrays kept for pass B).

    Builds the block's panel (reading its tickers from ``block.source`` when ``block.rets`` is
    None, as a Dask worker does), estimates it, runs the battery of the groups wholly inside the
    block and keeps, for the groups that span blocks, each member's battery inputs and the block's
    estimation-row sums (average AR, Corrado rank sums).

    Parameters
    ----------
    plan : Plan
        The study's plan.
    block : Block
        The block's members, tickers, event-window days and groups.

    Returns
    -------
    light : dict
        ``index``, ``short`` ((study position, reason) of members failing the minimum-observations
        rule), ``n_in``, ``gids`` (study positions of the kept members) and, when some member is
        kept, ``car``, ``params``, ``tests`` ({(group, window label): tests frame}), ``stats``
        (per-member battery inputs, ``common`` and per ``window``), ``sums`` (per spanning group)
        and ``evt`` (:func:`~eventstudy.pipeline.estimate.event_rows`).
    heavy : dict
        Arrays of the kept members for pass B: ``est_ar`` (N, M), ``evt_ar`` (N, L) and
        ``evt_taus`` (L,) over the union of the windows, ``row_sumsq`` and ``var_est`` (N,), and with ranks
        ``est_r2``, ``est_order``, ``est_m``, ``fix_rows``, ``fix_vals``; empty when no member is kept.
    """
    rets = block.rets
    if rets is None:  # a worker reads its own tickers: Parquet filtered to them, not a pickled frame
        prices = block.source.daily(block.tickers)
        rets = compute_returns(prices, plan.returns, sessions=data_calendars(prices, plan.calendars))
    members = block.members
    panel = build_panel(rets, members, plan.taus, market=plan.market, factors=plan.factors, kind=plan.returns)
    del rets
    e = estimate(plan, members, panel, block.window_days)
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
    light["params"] = params_frame(plan, e)
    inputs = BatteryInputs(plan, e)
    complete = {g: kept(rows) for g, rows in block.complete.items()}
    complete = {g: r for g, r in complete.items() if r.size}
    light["tests"] = infer(plan, inputs, complete) if complete else {}
    # what the battery of a spanning group needs of each member of this block
    n = len(e.panel.members)
    everyone = np.arange(n)
    pooled = {g: kept(rows) for g, rows in block.pooled.items()}
    pooled = {g: r for g, r in pooled.items() if r.size}
    per_window = {}
    # the groups' sums are sums over members: each set of members that share the same groups (an
    # "atom": all members of one category, say) is summed once and added to each of its groups
    atoms = _atoms(pooled, n)
    parts_of: dict = {g: [] for g in pooled}  # each group's atoms, by position
    for k, (_, gs) in enumerate(atoms):
        for g in gs:
            parts_of[g].append(k)
    est_parts = _atom_sums(inputs.est_ar, [a for a, _ in atoms])
    sums: dict = {g: {"est_sum": sum(est_parts[k][0] for k in ks), "est_cnt": sum(est_parts[k][1] for k in ks),
                      "rank": {}} for g, ks in parts_of.items()}
    tests = plan.tests or ALL_TESTS
    want_rank = any(t in tests for t in ("rank", "mrank"))
    ranks = None  # each member's estimation-row ranks: one sort per block, shared by groups and passes
    common = None
    for w in plan.windows:
        ip = inputs.panel(everyone, w)  # validates every member as the in-memory battery does
        per_window[w.label] = {"evt_ar": ip.evt_ar, "fe": ip.fe_factor, "car_factor": ip.car_factor, "l_i": ip.l_i}
        if common is None:
            common = {"m_i": ip.m_i, "var_est": ip.var_est, "row_sumsq": ip.row_sumsq, "est_pos": ip.est_pos,
                      "has_market_term": ip.has_market_term}
        if ranks is None and pooled and (want_rank or "grank" in tests):
            ranks = estimation_ranks(Context(ip, plan.convention))
        if want_rank:
            parts = [corrado_rank_sums(_context(_sub_panel(ip, a, plan.model.k), plan.convention, ranks, a))
                     for a, _ in atoms]
            t_i = (ip.m_i + ip.l_i).astype(float)
            for g, r in pooled.items():
                mine = [parts[k] for k in parts_of[g]]
                sums[g]["rank"][w.label] = {**{k: sum(s[k] for s in mine) for k in ("dev", "u", "k", "n")},
                                            "t_i": t_i[r]}
    light["stats"] = {"common": common, "window": per_window}
    light["sums"] = sums
    light["evt"] = event_rows(plan, e)  # event-window rows for the views (estimation rows stay behind)
    evt_cols = np.unique(np.concatenate([e.panel.cols(w) for w in plan.windows]))
    heavy = {"est_ar": np.ascontiguousarray(inputs.est_ar), "evt_ar": e.ar[:, evt_cols],
             "evt_taus": e.panel.taus[evt_cols],
             # each member's residual sums, so that pass B need not read its estimation rows again for s_i
             "row_sumsq": common["row_sumsq"], "var_est": common["var_est"]}
    if any(isinstance(w, EventWindows) for w in plan.windows):  # each member's own window, for pass B
        heavy["own_bounds"] = own_bounds(e.panel.members)
    if ranks is not None:
        fix_rows = np.array(sorted(ranks.fix), dtype=np.int64)
        heavy.update(est_r2=ranks.r2, est_order=ranks.order, est_m=ranks.m_i, fix_rows=fix_rows,
                     fix_vals=np.array([ranks.fix[i] for i in fix_rows]).reshape(fix_rows.size, ranks.r2.shape[1]))
    return light, heavy


def _context(panel: Panel, convention: str, ranks: EstimationRanks | None, rows: np.ndarray) -> Context:
    """A battery context for some ``rows`` of a block whose estimation-row ranks are already known."""
    ctx = Context(panel, convention)
    if ranks is not None:
        ctx.remember("est_ranks", ranks.rows(rows))
    return ctx


ATOM_GROUPS = 8
"""Above this many pooled groups in a block (every event pooled, say), each group is summed on its
own: splitting members by their set of groups would cost more than it saves."""


def _atoms(groups: Mapping[str, np.ndarray], n: int) -> list[tuple[np.ndarray, frozenset]]:
    """The members of some groups split by the set of groups each belongs to: (rows, groups) per
    set, rows ascending; members in no group are left out. With more than :data:`ATOM_GROUPS`
    groups, each group is its own set."""
    if not groups:
        return []
    if len(groups) > ATOM_GROUPS:
        return [(rows, frozenset([g])) for g, rows in groups.items()]
    names = list(groups)
    member_of = np.zeros((n, len(names)), dtype=bool)
    for j, g in enumerate(names):
        member_of[groups[g], j] = True
    keys, code = np.unique(np.packbits(member_of, axis=1), axis=0, return_inverse=True)
    code = code.ravel()
    out = []
    for c in range(len(keys)):
        bits = np.unpackbits(keys[c])[:len(names)].astype(bool)
        if bits.any():
            out.append((np.flatnonzero(code == c), frozenset(g for g, b in zip(names, bits) if b)))
    return out


def _atom_sums(est: np.ndarray, atoms: list[np.ndarray]) -> list[tuple[np.ndarray, np.ndarray]]:
    """Each atom's column sums of the estimation ARs (missing as 0) and counts of present values:
    two products of the atoms' 0/1 membership with the block's (N, M) rows, not a copy of each
    atom's rows."""
    if not atoms:
        return []
    miss = np.isnan(est)
    member = np.zeros((len(atoms), est.shape[0]))
    for k, rows in enumerate(atoms):
        member[k, rows] = 1.0
    total = member @ np.where(miss, 0.0, est)
    count = np.rint(member @ ~miss).astype(np.int64)
    return list(zip(total, count))


def _sub_panel(ip: Panel, rows: np.ndarray, k: int) -> Panel:
    """The estimation and event rows of some members, enough for rank sums and GRANK."""
    extra = {"fe": np.ones((rows.size, ip.n_evt)), "car_fe": np.ones(rows.size)} if k > 2 else {}
    return Panel(est_ar=ip.est_ar[rows], evt_ar=ip.evt_ar[rows], taus=ip.taus, k=k, check=False, **extra)


# ---------------------------------------------------------------------------------- pass B
def _taus_cols(taus: np.ndarray, w) -> np.ndarray:
    return np.flatnonzero((taus >= w[0]) & (taus <= w[1]))


def block_rows(heavy: Mapping, rows: np.ndarray) -> np.ndarray:
    """Estimation ARs (R, M) of some members of a block (for r̄, aligned in event time).

    Parameters
    ----------
    heavy : Mapping
        The block's heavy arrays (:func:`run_block`), in memory or memory-mapped.
    rows : ndarray of int
        Rows of the block's kept members to gather (R of them).

    Returns
    -------
    ndarray
    """
    return np.asarray(heavy["est_ar"][rows])


def block_grank(heavy: Mapping, rows: np.ndarray, w: Window, g: np.ndarray, k: int,
                convention: str) -> tuple[np.ndarray, np.ndarray]:
    """GRANK column sums of some members of a block (:func:`nonparametric.grank_partial_sums`).

    The estimation ranks stored by pass A are reused when the block has them.

    Parameters
    ----------
    heavy : Mapping
        The block's heavy arrays (:func:`run_block`).
    rows : ndarray of int
        Rows of the block's kept members (R of them).
    w : Window
        The event window.
    g : ndarray, shape (R, J)
        Standardized event values of those members, already scaled by the group's
        cross-sectional SD.
    k : int
        Number of estimated model parameters (sets the residual variance's degrees of freedom).
    convention : {"clm", "estudy2"}
        Variance convention of s_i^2.

    Returns
    -------
    u_sum : ndarray, shape (J, M + 1)
        Sum over these members of the centred ranks U_it per estimation row, the last column the
        event 'day' (:func:`~eventstudy.inference.nonparametric.grank_partial_sums`).
    n_t : ndarray of int64, shape (J, M + 1)
        Number of these members with a value on each of those rows.
    """
    cols = _taus_cols(np.asarray(heavy["evt_taus"]), w)
    extra = {"fe": np.ones((rows.size, cols.size)), "car_fe": np.ones(rows.size)} if k > 2 else {}
    taus = np.asarray(heavy["evt_taus"])[cols]
    evt = np.asarray(heavy["evt_ar"][rows][:, cols])
    own = own_window_mask(np.asarray(heavy["own_bounds"])[rows], taus, w) if "own_bounds" in heavy else None
    if own is not None:  # the events' own windows: a member's other rows are missing there, as in pass A
        evt = np.where(own, evt, np.nan)
    ip = Panel(est_ar=np.asarray(heavy["est_ar"][rows]), evt_ar=evt, taus=taus, k=k, check=False, **extra)
    for name in ("row_sumsq", "var_est"):  # pass A's values for these members (row by row: the same numbers)
        if name in heavy:
            ip.__dict__[name] = np.asarray(heavy[name][rows])
    ranks = None
    if "est_r2" in heavy:
        fix = dict(zip(np.asarray(heavy["fix_rows"]).tolist(), np.asarray(heavy["fix_vals"])))
        ranks = EstimationRanks(heavy["est_r2"], heavy["est_order"], np.asarray(heavy["est_m"]), fix)
    return grank_partial_sums(_context(ip, convention, ranks, rows), g)


# ---------------------------------------------------------------------------------- the fit
def capacity(prepared: Prepared, budget: int, *, dask: bool) -> int:
    """Members per block within ``budget`` bytes (per task with Dask).

    A member costs :data:`BYTES_PER_CELL` per panel row and per (1 + F) series. In one process
    the budget must also hold the resident size now and the results of every member
    (:data:`RESULT_BYTES` per window, :data:`RESULT_BYTES_MEMBER`); a Dask worker holds one block.

    Parameters
    ----------
    prepared : Prepared
        The prepared study (its plan's tau range and factors, its members).
    budget : int
        Memory budget in bytes.
    dask : bool
        Whether the blocks run as Dask tasks.

    Returns
    -------
    int
        Members per block, at least 1.

    Raises
    ------
    SpecificationError
        When the budget cannot hold even one member next to what the process already holds; the
        message says how much would hold 1,000 members per block.
    """
    plan = prepared.plan
    t = plan.taus[1] - plan.taus[0] + 1
    per_member = BYTES_PER_CELL * t * (1 + len(plan.factors))
    if not dask:  # the previous block's heavy arrays, still being written to disk while a block is fitted
        per_member += SPILL_BYTES_PER_CELL * t
    n = len(prepared.members)
    # a Dask worker holds one block at a time (the client keeps the results); one process holds all
    if not dask:
        release_freed_memory()  # the resident size then counts what is held, not what was freed and kept
    held = 0 if dask else rss_bytes()
    kept = 0 if dask else (RESULT_BYTES * len(plan.windows) + RESULT_BYTES_MEMBER) * n
    free = budget - held - kept
    if free < per_member:
        what = ("a task's block" if dask else
                f"this process already holds {held / 1e6:,.0f} MB (prices, returns, alignment) and the results "
                f"of {n:,} members take about {kept / 1e6:,.0f} MB")
        raise SpecificationError(
            f"memory={budget / 1e6:,.0f} MB is too small for {what}; give at least "
            f"{(held + kept + 1000 * per_member) / 1e6:,.0f} MB (1,000 members per block)")
    return max(1, int(free // per_member))


def fit_blocks(spec, prepared: Prepared, execution: Execution):
    """Fit a prepared study with the chunked or Dask engine (:class:`Execution`).

    The chunked engine first adds the benchmark's interval returns to ``prepared.returns``
    (:func:`~eventstudy.eventtime.with_interval_returns`), in place. The executor is closed
    (spill files removed, a cluster it started shut down) whatever happens.

    Parameters
    ----------
    spec : EventStudy
        The study.
    prepared : Prepared
        Its :func:`~eventstudy.pipeline.prepare.prepare` output.
    execution : Execution
        Backend ``"chunked"`` or ``"dask"``, memory budget, partition, client, progress.

    Returns
    -------
    EventStudyResults
        The same results the in-memory engine gives (:func:`eventstudy.results.assemble`).

    Raises
    ------
    SpecificationError
        The budget cannot hold one member.
    DataError
        Dask is given prices other than a Parquet or bundled source.
    EstimationWindowError
        Every member fails the minimum-observations rule.
    """
    plan = prepared.plan
    members = prepared.members
    dask = execution.backend == "dask"
    source = _worker_source(spec.prices) if dask else None
    if not dask:  # benchmark returns over each row's interval, compounded once (not per block), in
        # place of the plain returns (before the budget is measured); each block's slice is cut as it runs
        prepared = dataclasses.replace(
            prepared, returns=with_interval_returns(prepared.returns, plan.market, plan.factors, plan.returns))
        # grouped by ticker once for every block, with the per-row arrays every block reads (day-0 search
        # keys, day numbers, rows inside event windows), all counted in the budget below
        head = prepared.members.iloc[:1]
        rows = PanelRows.of_members(prepared.rows, member_rows(prepared.rows, head))
        if plan.grid is not None:
            rows.day_numbers(plan.grid.calendar_days)
        if prepared.window_days is not None:
            rows.flat_inside(prepared.window_days)
    cap = capacity(prepared, execution.memory, dask=dask)
    if dask:
        executor = DaskExecutor(run_block, block_rows, block_grank, execution.client, execution.progress)
    else:
        executor = LocalExecutor(run_block, block_rows, block_grank, execution.spill_dir, execution.progress)
    try:
        if dask:  # at least two blocks per worker, so that every worker has work
            cap = min(cap, -(-len(members) // (2 * executor.n_workers)))
        blocks = _blocks(prepared, make_blocks(members, partition=execution.partition, capacity=cap), source)
        if not dask:
            executor.rets = prepared.rows
        lights, handles = executor.run(plan, blocks)
        del blocks
        prepared.rows.memo.clear()  # the per-row arrays pass A read: freed before the results are put together
        return _combine(spec, prepared, lights, handles, executor, execution)
    finally:
        executor.close()


def _blocks(prepared: Prepared, parts: list[np.ndarray], source) -> list[Block]:
    """The blocks' members, the groups wholly inside each block or spanning several, and the
    event-window days of their assets (for clean estimation windows)."""
    plan, members = prepared.plan, prepared.members
    pre_groups = define_groups(members, plan.group, by_event=plan.by_event, by_asset=plan.by_asset)
    block_of = np.empty(len(members), dtype=np.int64)
    row_of = np.empty(len(members), dtype=np.int64)
    for b, gids in enumerate(parts):
        block_of[gids] = b
        row_of[gids] = np.arange(gids.size)
    complete: list[dict] = [{} for _ in parts]
    pooled: list[dict] = [{} for _ in parts]
    for g, idx in pre_groups.items():
        bs = np.unique(block_of[idx])
        target = complete if bs.size == 1 else pooled
        for b in bs:
            sel = idx[block_of[idx] == b]
            target[b][g] = row_of[sel]
    days = prepared.window_days
    by_asset = days.groupby("asset", sort=False).indices if days is not None else None
    blocks = []
    for b, gids in enumerate(parts):
        mem = members.iloc[gids].reset_index(drop=True)
        assets = list(pd.unique(mem["asset"]))
        tickers = sorted(set(assets) | plan.benchmarks(assets))
        wd = None
        if days is not None:
            rows = [by_asset[a] for a in assets if a in by_asset]
            n_rows = sum(len(r) for r in rows)
            wd = days if n_rows == len(days) else days.iloc[np.concatenate(rows) if rows else []].reset_index(drop=True)
        blocks.append(Block(b, gids, mem, tickers, wd, complete[b], pooled[b], None, source))
    return blocks


def _worker_source(prices):
    from ..prices.bundled import BundledSource
    from ..prices.parquet import ParquetSource

    if isinstance(prices, (ParquetSource, BundledSource)):
        return prices
    raise DataError(
        "backend='dask' reads prices on the workers: pass prices=ParquetSource(path) with a path every worker "
        "can open (write one with ParquetSource.write(prices, 'prices.parquet')); a DataFrame would be pickled "
        f"to every task (got {type(prices).__name__})")


def _combine(spec, prepared: Prepared, lights, handles, executor, execution: Execution):
    """The study's results from the blocks' light results (and pass B on their heavy arrays)."""
    plan = prepared.plan
    members_in = prepared.members
    windows = plan.windows
    short = sorted(s for light in lights for s in light["short"])
    gids = np.concatenate([light["gids"] for light in lights])
    blk = np.concatenate([np.full(light["gids"].size, i) for i, light in enumerate(lights)])
    row = np.concatenate([np.arange(light["gids"].size) for light in lights])
    if gids.size == 0:
        raise no_member_left(plan, short)
    order = np.argsort(gids, kind="stable")
    gids, blk, row = gids[order], blk[order], row[order]
    members = members_in.iloc[gids].reset_index(drop=True)
    final_of_gid = np.full(len(members_in), -1)
    final_of_gid[gids] = np.arange(gids.size)
    exclusions = exclude_short(prepared, short)
    live = [light for light in lights if light["gids"].size]

    # CAR: window-major, members in order (as the in-memory engine)
    # each block's pieces are taken out of its light results as they are joined: one copy alive, not two
    cars = []
    for light in live:
        c = light.pop("car")
        c.insert(0, "member", np.tile(final_of_gid[light["gids"]], len(windows)))
        cars.append(c)
    car = pd.concat(cars, ignore_index=True)
    del cars
    car["_w"] = car["window"].map({w.label: i for i, w in enumerate(windows)})
    car = car.sort_values(["_w", "member"], kind="stable").drop(columns="_w").reset_index(drop=True)
    params = pd.concat([light.pop("params") for light in live], ignore_index=True).iloc[order].reset_index(drop=True)

    # per-member vectors in final order
    def stack(get) -> np.ndarray:
        return np.concatenate([get(light) for light in live])[order]

    common = {k: stack(lambda x, k=k: x["stats"]["common"][k]) for k in ("m_i", "var_est", "row_sumsq", "est_pos")}
    per_w = {w.label: {k: stack(lambda x, w=w, k=k: x["stats"]["window"][w.label][k])
                       for k in ("evt_ar", "fe", "car_factor", "l_i")} for w in windows}
    has_market_term = any(light["stats"]["common"]["has_market_term"] for light in live)

    groups = define_groups(members, plan.group, by_event=plan.by_event, by_asset=plan.by_asset)
    done = {}
    for light in lights:
        done.update(light.get("tests", {}))
    batteries = {}
    for g, idx in groups.items():
        reduced = None
        for w in windows:
            if (g, w.label) in done:
                batteries[(g, w.label)] = done[(g, w.label)]
                continue
            if reduced is None:
                reduced = GroupReducer(g, idx, blk, row, lights, handles, executor, plan, members)
            batteries[(g, w.label)] = run_battery(plan, reduced.panel(w, common, per_w[w.label], has_market_term),
                                                  g, w)
    tests = tests_frame(batteries)
    evt = {"taus": live[0]["evt"]["taus"]}
    for k in ("dates", "ret", "normal", "ar"):
        evt[k] = np.concatenate([x["evt"].pop(k) for x in live])[order]
    return assemble(spec, prepared, gids, exclusions, params, car, tests, evt, execution.record(len(lights)))


@dataclass
class GroupReducer:
    """The battery inputs of one group spanning blocks: sums from pass A, pass B on demand."""

    name: str
    idx: np.ndarray  # final member positions of the group, in order
    blk: np.ndarray  # block of each final member
    row: np.ndarray  # row inside its block's kept members
    lights: list
    handles: list
    executor: object
    plan: Plan
    members: pd.DataFrame
    _rows_cache: dict = field(default_factory=dict)

    def panel(self, w: Window, common, per_w, has_market_term) -> ReducedPanel:
        """The group's battery panel over window ``w``, from pass A's sums; pass B runs on demand.

        r̄ and GRANK's column sums are computed only when the battery asks for them, from the
        blocks' heavy arrays through the executor.

        Parameters
        ----------
        w : Window
            The event window.
        common : dict of ndarray
            Per-member vectors of every fitted member in final order: ``m_i``, ``var_est``,
            ``row_sumsq``, ``est_pos``.
        per_w : dict of ndarray
            The same for window ``w``: ``evt_ar`` (N, L), ``fe`` (N, L), ``car_factor``, ``l_i``.
        has_market_term : bool
            Whether the forecast-error factors include the market term.

        Returns
        -------
        ReducedPanel
            The group's members, labelled ``event/asset`` in error messages.
        """
        idx, plan = self.idx, self.plan
        parts = [x["sums"][self.name] for x in self.lights if self.name in x.get("sums", {})]
        est_sum = sum(p["est_sum"] for p in parts)
        est_cnt = sum(p["est_cnt"] for p in parts)
        aar_est = np.divide(est_sum, est_cnt, out=np.full(est_sum.shape, np.nan), where=est_cnt > 0)
        rank = None
        if parts and w.label in parts[0]["rank"]:
            rs = [p["rank"][w.label] for p in parts]
            rank = {k: sum(r[k] for r in rs) for k in ("dev", "u", "k", "n")}
            rank["t_i"] = np.concatenate([r["t_i"] for r in rs])
        m_i = common["m_i"][idx]
        taus = self.lights[int(self.blk[idx[0]])]["evt"]["taus"]
        return ReducedPanel(
            evt_ar=per_w["evt_ar"][idx], taus=taus[_taus_cols(taus, w)],
            k=plan.model.k, n_est=int(est_sum.size), m_i=m_i, l_i=per_w["l_i"][idx],
            var_est=common["var_est"][idx], row_sumsq=common["row_sumsq"][idx], fe_factor=per_w["fe"][idx],
            car_factor=per_w["car_factor"][idx], aar_est=aar_est, est_pos=common["est_pos"][idx],
            est_has_nan=bool((m_i < est_sum.size).any()), has_market_term=has_market_term, rank_sums=rank,
            cc=self._cc, grank=lambda g: self._grank(w, g),
            labels=MemberLabels(self.members, idx))

    def _by_block(self, positions: np.ndarray) -> list[tuple[int, np.ndarray, np.ndarray]]:
        """(block, rows in it, where those rows go in ``positions``) for group positions."""
        b = self.blk[self.idx[positions]]
        r = self.row[self.idx[positions]]
        out = []
        for blk in np.unique(b):
            sel = np.flatnonzero(b == blk)
            out.append((int(blk), r[sel], sel))
        return out

    def _cc(self):
        """r̄ of the group (the same for every window): its members' estimation rows, aligned in
        event time, gathered from their blocks (only the seeded subset's above MEMBER_MAX)."""
        if "cc" not in self._rows_cache:
            n = self.idx.size
            pick = member_subset(n)
            positions = np.arange(n) if pick is None else pick
            parts = self._by_block(positions)
            got = self.executor.gather_rows([(self.handles[b], rows) for b, rows, _ in parts])
            est = np.empty((positions.size, got[0].shape[1]))
            for (_, _, sel), rows in zip(parts, got):
                est[sel] = rows
            cc = event_time_correlation(est)
            self._rows_cache["cc"] = cc if pick is None else for_all_members(cc, n)
        return self._rows_cache["cc"]

    def _grank(self, w: Window, g: np.ndarray):
        parts = self._by_block(np.arange(self.idx.size))
        res = self.executor.grank([(self.handles[b], (rows, w, g[sel], self.plan.model.k, self.plan.convention))
                                   for b, rows, sel in parts])
        return sum(r[0] for r in res), sum(r[1] for r in res)
