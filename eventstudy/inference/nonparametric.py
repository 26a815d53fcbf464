"""Nonparametric tests: Corrado rank, modified rank, GRANK, sign, generalized sign, Wilcoxon."""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import cache
from typing import NamedTuple

import numpy as np

from ..arrays import chunk_map
from . import _nan
from .context import Context, make_results
from .results import TestResult

NULL_DAILY = "AR_tau distributed like the estimation-window ARs"


def _ranks(x: np.ndarray) -> np.ndarray:
    """Row-wise ranks (ties averaged, as ``scipy.stats.rankdata(x, axis=1, nan_policy="omit")``),
    NaN kept as NaN: one sort per row, each run of equal values given the mean of its positions."""
    x = np.atleast_2d(np.asarray(x, dtype=float))
    m = x.shape[1]
    order = np.argsort(x, axis=1, kind="stable")  # NaN last, so the others rank 1..k among themselves
    sx = np.take_along_axis(x, order, axis=1)
    pos = np.broadcast_to(np.arange(m), x.shape)
    starts = np.ones(x.shape, dtype=bool)
    starts[:, 1:] = sx[:, 1:] != sx[:, :-1]
    ends = np.ones(x.shape, dtype=bool)
    ends[:, :-1] = starts[:, 1:]
    first = np.maximum.accumulate(np.where(starts, pos, 0), axis=1)
    last = np.minimum.accumulate(np.where(ends, pos, m)[:, ::-1], axis=1)[:, ::-1]
    ranks = np.empty(x.shape)
    np.put_along_axis(ranks, order, (first + last) / 2.0 + 1.0, axis=1)
    ranks[np.isnan(x)] = np.nan
    return ranks


def _magnitude_ranks(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Average ranks of a column of magnitudes (``|x|``, NaN where dropped), NaN kept, and the
    sizes of its tie groups in increasing order of value: one sort, no second pass for the ties.

    ``|x|`` is non-negative with a clear sign bit (NaN included), so its values order as their
    bits read as int64: finite values first, NaN last, and numpy's vectorised integer sort
    applies (3-6x faster than the float sort, which has to move NaN). Ties get the mean of their
    positions whatever the order among them, so the sort need not be stable."""
    order = np.argsort(a.view(np.int64))
    k = int(np.count_nonzero(~np.isnan(a)))
    sv = a[order[:k]]
    starts = np.empty(k, dtype=bool)
    starts[:1] = True
    np.not_equal(sv[1:], sv[:-1], out=starts[1:])
    first = np.flatnonzero(starts)
    sizes = np.diff(np.append(first, k))
    last = first + sizes - 1
    ranks = np.full(a.shape, np.nan)
    ranks[order[:k]] = np.repeat((first + last) / 2.0 + 1.0, sizes)
    return ranks, sizes


_CHUNK = 512  # members per chunk of the (members x M) rank work (bounds the temporaries)


class EstimationRanks(NamedTuple):
    """Each member's estimation-window ARs ranked among themselves, once per run (shared by the
    rank, modified-rank and GRANK tests, and by the chunked engine's passes).

    Ranks are kept doubled, as small integers (an average rank is a multiple of 1/2): every test
    then reads 2 bytes per cell instead of 8, and a comparison of an AR with a value ``v`` becomes
    a comparison of its rank with v's place in the member's sorted row (:func:`_place`).
    """

    r2: np.ndarray  # (N, M) twice the average rank of each AR among the member's own; 0 where missing
    order: np.ndarray  # (N, M) each member's columns in increasing order of their AR, missing last
    m_i: np.ndarray  # (N,) non-missing estimation ARs
    fix: dict[int, np.ndarray]  # rows whose SARs (AR / s_i, GRANK) tie where the ARs do not: their SAR ranks

    def rows(self, idx: np.ndarray) -> EstimationRanks:
        """The ranks of members ``idx`` (rows renumbered from 0).

        Parameters
        ----------
        idx : ndarray of int
            Members, in the order wanted.

        Returns
        -------
        EstimationRanks
        """
        where = {int(r): j for j, r in enumerate(idx)}
        return EstimationRanks(np.asarray(self.r2[idx]), np.asarray(self.order[idx]), np.asarray(self.m_i[idx]),
                               {where[i]: v for i, v in self.fix.items() if i in where})


def _int_type(top: int) -> type:
    return np.int16 if top <= np.iinfo(np.int16).max else np.int32


def estimation_ranks(ctx: Context) -> EstimationRanks:
    """The :class:`EstimationRanks` of the panel (computed once per run).

    One argsort per row gives ordinal ranks; they are the average ranks unless the row has ties,
    detected from the sorted values, and only those rows are ranked again with :func:`_ranks`
    (continuous returns almost never tie). ``fix`` lists the rows whose standardized residuals
    (ARs / s_i, GRANK) tie where the ARs do not (division by s_i > 0 keeps the order but can round
    distinct values to one), with their ranks.

    Parameters
    ----------
    ctx : Context
        The run: the panel's estimation ARs and its convention's s_i^2.

    Returns
    -------
    EstimationRanks
    """
    return ctx.memo("est_ranks", lambda: _compute_estimation_ranks(ctx))


def _compute_estimation_ranks(ctx: Context) -> EstimationRanks:
    p = ctx.panel
    est = p.est_ar
    n, m = est.shape
    nan = p.est_has_nan
    s = np.sqrt(ctx.s2)
    r2 = np.empty((n, m), dtype=_int_type(2 * m))
    order_all = np.empty((n, m), dtype=_int_type(m))
    ordinal2 = np.arange(2, 2 * m + 1, 2, dtype=r2.dtype)

    def ranks_of(sl: slice) -> dict[int, np.ndarray]:  # fills r2[sl] and order_all[sl]; the rows whose SARs tie
        lo = sl.start
        e = est[sl]
        r = r2[sl]
        miss = p.est_missing[sl] if nan else None
        # NaN sort last either way, but numpy's vectorised sort skips rows with a NaN (5x slower):
        # sort with +inf in their place (no AR is infinite, the panel checks) and rank the ARs themselves
        order = np.argsort(np.where(miss, np.inf, e) if nan else e, axis=1)
        order_all[sl] = order
        flat = order + (np.arange(order.shape[0]) * m)[:, None]  # row-major positions: no *_along_axis
        r.ravel()[flat.ravel()] = np.broadcast_to(ordinal2, e.shape).ravel()
        se = e.ravel()[flat.ravel()].reshape(e.shape)
        if nan:
            r[miss] = 0
        same = se[:, 1:] == se[:, :-1]  # neighbours in sorted order that tie (NaN never equals NaN)
        tie = same.any(axis=1)
        if tie.any():
            rows = np.flatnonzero(tie)
            r[rows] = np.nan_to_num(2.0 * _ranks(e[rows]), nan=0.0).astype(r.dtype)
        np.divide(se, s[sl, None], out=se)
        # a row whose standardized residuals tie where its ARs do not (division rounds two values to one),
        # whether or not the ARs tie elsewhere in the row
        tie_s = ((se[:, 1:] == se[:, :-1]) & ~same).any(axis=1)
        return {lo + int(i): _ranks(e[i:i + 1] / s[lo + i])[0] for i in np.flatnonzero(tie_s)}

    fix: dict[int, np.ndarray] = {}
    for part in chunk_map(ranks_of, n, _CHUNK):
        fix.update(part)
    return EstimationRanks(r2, order_all, p.m_i, fix)


PLACE_DIRECT_CELLS = 1 << 16
"""Up to this many (member, row, value) comparisons :func:`_place` makes them all outright; above,
it bisects each member's sorted row (a handful of numpy calls per step, whatever the size)."""


def _place(e: np.ndarray, order: np.ndarray, m_i: np.ndarray, v: np.ndarray,
           scale: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Where each ``v_ij`` falls in row i's sorted values: ``(#{x < v_ij}, #{x <= v_ij})`` over the
    m_i non-missing values x of ``e[i]`` (divided by ``scale[i]`` when given, as GRANK's
    standardized residuals are), by bisection of every row and value at once (about log2 M steps
    of one gather each; called on a chunk of rows, whose values stay in cache). Twice each count
    comes back (the doubled ranks' scale), shape (N, J) like ``v``; a NaN ``v_ij`` gets 2 M + 1 for
    both: no rank exceeds it.

    With average ranks r of the row, ``x > v`` exactly where ``2 r > 2 #{x <= v}``, and ``x == v``
    exactly where ``2 #{x < v} < 2 r <= 2 #{x <= v}``: a tie group's ranks lie between its bounds.
    """
    n, m = e.shape
    vv = v.ravel()
    if n * m * v.shape[1] <= PLACE_DIRECT_CELLS:  # a few members: every comparison made outright is cheaper
        x = e if scale is None else e / scale[:, None]
        below = np.count_nonzero(x[:, None, :] < v[:, :, None], axis=2).ravel()  # NaN compares False
        upto = np.count_nonzero(x[:, None, :] <= v[:, :, None], axis=2).ravel()
    else:
        below, upto = _bisect(e, order, m_i, vv, scale, v.shape[1])
    below, upto = 2 * below, 2 * upto
    none = np.isnan(vv)
    below[none] = upto[none] = 2 * m + 1
    return below.reshape(v.shape), upto.reshape(v.shape)


def _bisect(e: np.ndarray, order: np.ndarray, m_i: np.ndarray, vv: np.ndarray, scale: np.ndarray | None,
            per_row: int) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_place`'s counts by bisection of the sorted rows: ``vv`` holds ``per_row`` values of
    each row, row-major; returns the (undoubled) counts below and up to each value."""
    n, m = e.shape
    flat_e, flat_o = e.ravel(), order.ravel()
    base = np.repeat(np.arange(n, dtype=np.int64) * m, per_row)  # each value's row, row-major
    top = np.repeat(m_i.astype(np.int64), per_row)
    sc = None if scale is None else np.repeat(scale, per_row)

    def value(pos: np.ndarray, k: np.ndarray | slice = slice(None)) -> np.ndarray:  # pos-th smallest x
        x = flat_e[base[k] + flat_o[base[k] + pos]]
        return x / sc[k] if sc is not None else x

    def count(strict: bool, k: np.ndarray | slice = slice(None)) -> np.ndarray:
        lo = np.zeros(len(base[k]), dtype=np.int64)
        hi = top[k].copy()
        target = vv[k]
        while True:
            act = lo < hi
            if not act.any():
                return lo
            mid = np.minimum((lo + hi) >> 1, m - 1)
            x = value(mid, k)
            go = (x < target) if strict else (x <= target)
            lo = np.where(act & go, mid + 1, lo)
            hi = np.where(act & ~go, mid, hi)

    upto = count(False)
    below = upto.copy()
    tied = np.flatnonzero((upto > 0) & (value(np.maximum(upto - 1, 0)) == vv))  # the largest x <= v is v
    if tied.size:
        below[tied] = count(True, tied)
    return below, upto


def _within_ranks(v: np.ndarray) -> np.ndarray:
    """Row-wise average ranks of a narrow (c, L) array, NaN omitted (kept as NaN)."""
    lt = (v[:, None, :] < v[:, :, None]).sum(axis=2)
    eq = (v[:, None, :] == v[:, :, None]).sum(axis=2)
    return np.where(np.isnan(v), np.nan, lt + 0.5 * eq + 0.5)


def _rank_sums(ctx: Context) -> dict[str, np.ndarray]:
    given = getattr(ctx.panel, "rank_sums", None)  # a ReducedPanel brings them summed over its blocks
    return given if given is not None else ctx.memo("rank_sums", lambda: corrado_rank_sums(ctx))


def corrado_rank_sums(ctx: Context) -> dict[str, np.ndarray]:
    """Column sums over members of the ranks K_it of AR_it in member i's E ∪ W (Corrado 1989).

    The rank of an estimation AR e in E ∪ W is its rank in E plus #{w < e} + #{w == e} / 2 over the
    member's event-window ARs w; the rank of w is #{e < w} + #{e == w} / 2 plus its rank among the
    event-window ARs (average ranks for ties, NaN omitted, as ranking E ∪ W directly). Each w is
    placed once in the member's sorted row (:func:`_place`); the estimation ARs above it are then
    those whose rank is above its place, compared on the small-integer doubled ranks.
    Returns (T = M + L columns): ``dev`` Σ_i (K_it - K̄_i), ``u`` Σ_i (K_it - K̄_i) / (T_i + 1),
    ``k`` Σ_i K_it, ``n`` members with a value, and ``t_i`` (N,) T_i; K̄_i = (T_i + 1) / 2."""
    p = ctx.panel
    ranks = estimation_ranks(ctx)
    est, evt = p.est_ar, p.evt_ar
    n, m = est.shape
    big_l = evt.shape[1]
    nan_e, nan_v = p.est_has_nan, p.evt_has_nan
    me = ranks.m_i
    t_i = (me + p.l_i).astype(float)
    bump_type = np.uint8 if 2 * big_l <= np.iinfo(np.uint8).max else np.int32

    def sums(sl: slice) -> tuple[np.ndarray, np.ndarray, np.ndarray]:  # (dev, u, k) of the chunk's members
        dev = np.zeros(m + big_l)
        usum = np.zeros(m + big_l)
        ksum = np.zeros(m + big_l)
        r2, v = ranks.r2[sl], evt[sl]
        kbar = (t_i[sl] + 1.0) / 2.0
        # 2 (#{w < e} + #{w == e} / 2) = #{w: 2 r > 2 #{e < w}} + #{w: 2 r > 2 #{e <= w}}, counted in bytes
        bump = np.zeros(r2.shape, dtype=bump_type)
        kv = _within_ranks(v) if big_l > 1 else np.where(np.isnan(v), np.nan, 1.0)
        places = _place(est[sl], ranks.order[sl], me[sl], v)  # 2 #{e < w}, 2 #{e <= w}
        for j in range(big_l):
            below, upto = places[0][:, j], places[1][:, j]
            gt = np.greater(r2, upto[:, None])
            np.add(bump, gt, out=bump, casting="unsafe")
            if (below != upto).any():  # some w equals an estimation AR
                np.greater(r2, below[:, None], out=gt)
            np.add(bump, gt, out=bump, casting="unsafe")
            kv[:, j] += (below + upto) / 4.0  # #{e < w} + #{e == w} / 2
        buf = r2 + bump.astype(r2.dtype if r2.dtype.itemsize >= 4 else np.int32)
        buf = 0.5 * buf - kbar[:, None]  # K_it - K̄_i: the same half-integers as ranking E ∪ W
        kv -= kbar[:, None]
        wt = 1.0 / (t_i[sl] + 1.0)
        if nan_e:
            present = ~p.est_missing[sl]
            ksum[:m] += kbar @ present
            buf[~present] = 0.0
        else:
            ksum[:m] += kbar.sum()
        dev[:m] += buf.sum(axis=0)
        usum[:m] += wt @ buf
        if nan_v:
            present = ~np.isnan(v)
            ksum[m:] += kbar @ present
            kv[~present] = 0.0
        else:
            ksum[m:] += kbar.sum()
        dev[m:] += kv.sum(axis=0)
        usum[m:] += wt @ kv
        return dev, usum, ksum

    dev = np.zeros(m + big_l)
    usum = np.zeros(m + big_l)
    ksum = np.zeros(m + big_l)
    for d, u, k in chunk_map(sums, n, _CHUNK):  # added in chunk order: the sequential sums
        dev += d
        usum += u
        ksum += k
    ksum += dev
    cnt = np.concatenate([p.est_count, _nan.count(evt, axis=0, nan=nan_v)])
    return {"dev": dev, "u": usum, "k": ksum, "n": cnt, "t_i": t_i}


def _col_mean(total: np.ndarray, n: np.ndarray) -> np.ndarray:
    return np.divide(total, n, out=np.full(total.shape, np.nan), where=n > 0)


def rank(ctx: Context) -> list[TestResult]:
    """Corrado (1989, JFE 23:385-395) rank test: K_it rank of AR_it in member i's E ∪ W,
    D_t = mean_i(K_it - (T_i+1)/2), S = sqrt(Σ_{E∪W} D_t^2 / mean(T_i)), Z = D_t / S, N(0,1).

    CAR (Campbell & Wasley 1993; Cowan 1992): clm Σ_{t∈W} D_t / sqrt(L S^2). estudy2
    ``car_rank_test`` centres on the pooled K̄ = mean_i (T_i+1)/2 instead of each member's:
    sqrt(L) (mean_{i,t∈W} K_it - K̄) / S with S from mean_i K_it - K̄ (identical when all T_i agree).
    """
    # Ranks over the estimation window plus the event window being tested (never the gap):
    # Corrado (1989); estudy2 ``rank_test`` does the same, so values depend on the tested window.
    p = ctx.panel
    rs = _rank_sums(ctx)
    t_i, cnt = rs["t_i"], rs["n"]
    d = _col_mean(rs["dev"], cnt)
    s = math.sqrt(np.nansum(d ** 2) / t_i.mean())
    m = p.n_est
    stat = d[m:] / s
    n_t = cnt[m:]
    if ctx.convention == "estudy2":
        kbar = ((t_i + 1) / 2).mean()
        dd = _col_mean(rs["k"], cnt) - kbar
        s_car = math.sqrt(np.nansum(dd ** 2) / t_i.mean())
        n_w = int(cnt[m:].sum())
        k_w = float(rs["k"][m:].sum()) / n_w if n_w else math.nan
        car = math.sqrt(p.n_evt) * (k_w - kbar) / s_car
    else:
        ok = np.isfinite(d[m:])
        car = float(d[m:][ok].sum() / math.sqrt(ok.sum() * s * s))
    return make_results(ctx, "rank", NULL_DAILY, stat, n_t, None, car, p.n, None,
                        note="ranks over estimation + tested event window")


def mrank(ctx: Context) -> list[TestResult]:
    """Modified rank (Corrado & Zivney 1992, JFQA 27:465; as estudy2 ``modified_rank_test``):
    U_it = K_it/(T_i+1) - 1/2, Z_t = Σ_i U_it / sqrt(N_t), S = sqrt(Σ_{E∪W} Z_t^2 / mean(T_i)),
    statistic Z_t / S, N(0,1); handles missing rows. CAR: Σ_{t∈W} Z_t / (sqrt(L) S)."""
    p = ctx.panel
    rs = _rank_sums(ctx)
    t_i, n_tau = rs["t_i"], rs["n"]
    # U_it = (K_it - K̄_i) / (T_i + 1), since K̄_i = (T_i + 1) / 2
    z = _nan.safe_div(rs["u"], np.sqrt(n_tau))
    s = math.sqrt(np.nansum(z ** 2) / t_i.mean())
    m = p.n_est
    stat = z[m:] / s
    ok = np.isfinite(z[m:])
    car = float(z[m:][ok].sum() / (math.sqrt(ok.sum()) * s))
    return make_results(ctx, "mrank", NULL_DAILY, stat, n_tau[m:], None, car, p.n, None,
                        note="ranks over estimation + tested event window")


def _grank_many(ctx: Context, gs: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """GRANK t-statistics for several event 'days' at once: column j of ``gs`` (N, J) holds the
    standardized values g of day j. Same statistic as ranking each member's M standardized
    estimation residuals together with g_ij (average ranks for ties, NaN omitted), without
    re-ranking per day: the rank of an estimation value e in M ∪ {g} is its rank in M plus
    [g < e] + [g == e] / 2, and the rank of g is 1 + #{e < g} + #{e == g} / 2."""
    p = ctx.panel
    sd = _nan.nstd(gs, axis=0)
    g = np.divide(gs, sd, out=np.full(gs.shape, np.nan), where=sd > 0)
    # a ReducedPanel streams the column sums over its blocks; a Panel has its rows in hand
    u_sum, n_t = p.grank(g) if isinstance(getattr(p, "grank", None), Callable) else grank_partial_sums(ctx, g)
    return _grank_stat(u_sum, n_t, p.n, p.n_est)


def grank_partial_sums(ctx: Context, g: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Column sums of the centred GRANK ranks U_it over this panel's members, (J, M + 1) each
    (``u_sum``, ``n_t``), for standardized event values ``g`` (N, J) already scaled by their
    cross-sectional SD. Sums over disjoint sets of members add up to those of their union.

    For event 'day' j, member i's M standardized estimation residuals (``ctx.est_sar``) are
    ranked together with g_ij (average ranks for ties, NaN omitted) and U_it = rank / (T_i + 1) - 1/2,
    T_i = M_i + 1 when g_ij is present and M_i otherwise (Kolari & Pynnönen 2011); the ranks come
    from :func:`estimation_ranks` without re-ranking per day.

    Parameters
    ----------
    ctx : Context
        The run: the panel's estimation-window ARs (N, M), its convention's s_i^2 and the shared
        estimation ranks.
    g : ndarray, shape (N, J)
        Standardized event values of each member for J event 'days' (NaN = missing).

    Returns
    -------
    u_sum : ndarray of float, shape (J, M + 1)
        Sum over members of U_it on each estimation row, the last column the event 'day'.
    n_t : ndarray of int64, shape (J, M + 1)
        Number of members with a value on each of those rows.
    """
    p = ctx.panel
    ranks = estimation_ranks(ctx)
    me, fix = ranks.m_i, ranks.fix
    est = p.est_ar
    nan = p.est_has_nan
    s = np.sqrt(ctx.s2)
    n, m = est.shape
    n_days = g.shape[1]
    big_t = m + 1
    u_sum = np.zeros((n_days, big_t))
    n_t = np.zeros((n_days, big_t), dtype=np.int64)
    n_t[:, :m] = p.est_count

    def sums(sl: slice) -> tuple[np.ndarray, np.ndarray]:  # (u_sum, n_t) of the chunk's members
        lo = sl.start
        u_part = np.zeros((n_days, big_t))
        n_part = np.zeros((n_days, big_t), dtype=np.int64)
        r2 = ranks.r2[sl]
        mine = [i for i in fix if lo <= i < lo + _CHUNK]
        if mine:  # rows whose standardized residuals tie where the ARs do not: their own ranks
            r2 = r2.copy()
            for i in mine:
                r2[i - lo] = np.nan_to_num(2.0 * fix[i], nan=0.0).astype(r2.dtype)
        mc = me[sl]
        # centred ranks K - T_i/2 with T_i = M_i + 2 (the event value present); 0 where missing
        base = 0.5 * r2 - 0.5 * (mc + 2.0)[:, None]
        okn = None
        if nan:
            okn = ~p.est_missing[sl]
            base[~okn] = 0.0
        buf = np.empty_like(base)
        # each g_ij placed among member i's standardized residuals (AR / s_i, as GRANK ranks them)
        places = _place(est[sl], ranks.order[sl], mc, g[sl], scale=s[sl])
        for j in range(n_days):
            gj = g[sl, j]
            has = ~np.isnan(gj)
            t1 = mc + has + 1.0
            below, upto = places[0][:, j], places[1][:, j]
            gt = np.greater(r2, upto[:, None])  # e > g
            np.add(base, gt, out=buf)
            tied = below != upto
            if tied.any():  # e == g: ranks above #{e < g} and not above #{e <= g}
                eq = np.greater(r2, below[:, None])
                eq &= ~gt
                buf += 0.5 * eq
            if not has.all():  # no event value: T_i = M_i + 1, the centre moves down by 1/2
                nh = ~has
                buf[nh] += 0.5 if okn is None else 0.5 * okn[nh]
            u_part[j, :m] += (1.0 / t1) @ buf
            kg = 1.0 + (below + upto) / 4.0  # 1 + #{e < g} + #{e == g} / 2
            ug = kg / t1 - 0.5
            u_part[j, m] += np.where(has, ug, 0.0).sum()
            n_part[j, m] += int(has.sum())
        return u_part, n_part

    for u_part, n_part in chunk_map(sums, n, _CHUNK):  # added in chunk order: the sequential sums
        u_sum += u_part
        n_t += n_part
    return u_sum, n_t


def _grank_stat(u_sum: np.ndarray, n_t: np.ndarray, n: int, m: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """GRANK t, its degrees of freedom and N of the event 'day', for each row j of the column sums.

    T counts only the positions that hold data (N_t > 0): an estimation position where no member
    has a residual (a day inside another event's window for all of them, say) is not an
    observation (Kolari and Pynnönen 2011 rank over the days each member has), so it enters neither
    S_Ū² = (1/T) Σ_t (N_t/N) Ū_t² nor the t(T - 2) reference.
    """
    n_days = u_sum.shape[0]
    stat = np.full(n_days, np.nan)
    df = np.full(n_days, np.nan)
    for j in range(n_days):
        have = n_t[j] > 0
        big_t = int(have.sum())
        ubar = np.divide(u_sum[j], n_t[j], out=np.full(m + 1, np.nan), where=have)
        s2 = np.nansum((n_t[j] / n) * ubar ** 2) / big_t if big_t else 0.0
        z = float(ubar[-1] / math.sqrt(s2)) if s2 > 0 else math.nan
        stat[j] = z * math.sqrt((big_t - 2) / (big_t - 1 - z * z)) if big_t - 1 - z * z > 0 else math.nan
        df[j] = big_t - 2
    return stat, df, n_t[:, m]


def grank(ctx: Context) -> list[TestResult]:
    """Generalized rank test, Kolari & Pynnönen (2011, J. Empirical Finance 18(5):953-971).

    GSAR_it = SAR_it on the M estimation days and SCAR*_i = SCAR_i / sd_i(SCAR) on the collapsed
    event day (M + 1 positions); U_it = rank/(T_i + 1) - 1/2 over the T_i = M_i + 1 values member i
    has; Z = Ū_0 / S_Ū with S_Ū^2 = (1/T) Σ_t (N_t/N) Ū_t^2 over the T positions where some member
    has a value (N_t > 0; a position empty for every member is no observation); t = Z
    sqrt((T-2)/(T-1-Z^2)) ~ t(T-2). Daily: the event 'day' is tau itself (SCAR = SAR_tau). Robust
    to event-induced variance and cross-correlation.
    """
    p = ctx.panel
    g = np.column_stack([ctx.sar, ctx.scar])
    stat, df, n_t = _grank_many(ctx, g)
    big_l = p.n_evt
    return make_results(ctx, "grank", NULL_DAILY, stat[:big_l], n_t[:big_l], df[:big_l], float(stat[big_l]),
                        int(n_t[big_l]), float(df[big_l]),
                        note="robust to event-induced variance and cross-correlation")


def sign(ctx: Context) -> list[TestResult]:
    """Sign test: Z = (N⁺ - N/2) / (sqrt(N)/2), N⁺ = #{AR > 0} (zero is not positive).

    estudy2: N(0,1) p-value (its ``sign_test``). clm: same statistic, exact binomial(N, 1/2)
    p-value, since N is often a handful of markets. CAR: on CAR_i."""
    p = ctx.panel
    a = p.evt_ar
    n_t = _nan.count(a, axis=0)
    pos = (a > 0).sum(axis=0)
    stat = (pos - 0.5 * n_t) / np.sqrt(0.25 * n_t)
    car_pos, n = int((p.car > 0).sum()), p.n
    car = (car_pos - 0.5 * n) / math.sqrt(0.25 * n)
    if ctx.convention == "estudy2":
        return make_results(ctx, "sign", NULL_DAILY, stat, n_t, None, car, n, None)
    alt = ctx.alternative
    dp = _binom_half_p(pos, n_t, alt)
    cp = float(_binom_half_p(np.array([car_pos]), np.array([n]), alt)[0])
    dist = [f"exact binomial({int(m)}, 0.5)" for m in n_t]
    return make_results(ctx, "sign", NULL_DAILY, stat, n_t, None, car, n, None, daily_p=dp, car_p=cp,
                        dist=dist, car_dist=f"exact binomial({n}, 0.5)")


def _binom_half_p(k: np.ndarray, n: np.ndarray, alternative: str) -> np.ndarray:
    """Exact binomial(n, 1/2) p-values of k successes, as ``scipy.stats.binomtest(k, n, 0.5)``
    (two-sided: by symmetry P(X <= min(k, n-k)) + P(X >= max(k, n-k)), capped at 1). NaN if n = 0."""
    from scipy import special as _sp

    k = np.asarray(k, dtype=np.int64)
    n = np.asarray(n, dtype=np.int64)
    with np.errstate(invalid="ignore"):
        cdf = _sp.bdtr(k, n, 0.5)  # P(X <= k)
        sf = np.where(k >= 1, _sp.bdtrc(np.maximum(k - 1, 0), n, 0.5), 1.0)  # P(X >= k)
        if alternative == "greater":
            p = sf
        elif alternative == "less":
            p = cdf
        else:
            lo = np.minimum(k, n - k)
            p = np.where(2 * k == n, 1.0, np.minimum(1.0, 2.0 * _sp.bdtr(lo, n, 0.5)))
    return np.where(n > 0, p, np.nan)


def gsign(ctx: Context) -> list[TestResult]:
    """Generalized sign test, Cowan (1992, RQFA 2:343-358): Z = (w - N p̂) / sqrt(N p̂ (1 - p̂)),
    w = #{AR_it > 0} (or CAR_i > 0), N(0,1).

    p̂: clm Cowan's mean over members of each member's share of positive estimation ARs;
    estudy2 pools all members' estimation ARs (identical when every M_i is equal)."""
    p = ctx.panel
    if ctx.convention == "estudy2":
        phat = float(p.est_pos.sum() / p.m_i.sum())
    else:
        phat = float((p.est_pos / p.m_i).mean())
    a = p.evt_ar
    n_t = _nan.count(a, axis=0)
    w = (a > 0).sum(axis=0)
    den = np.sqrt(n_t * phat * (1 - phat))
    stat = _nan.safe_div(w - n_t * phat, den)
    n = p.n
    car = float(_nan.safe_div(np.array((p.car > 0).sum() - n * phat), np.array(math.sqrt(n * phat * (1 - phat)))))
    return make_results(ctx, "gsign", NULL_DAILY, stat, n_t, None, car, n, None, note=f"p̂={phat:.4f}")


@cache
def _signed_rank_pmf(n: int) -> np.ndarray:
    """pmf of W+ under H0 for n untied nonzero values (counts of subsets of {1..n} by sum / 2^n)."""
    c = np.zeros(n * (n + 1) // 2 + 1)
    c[0] = 1.0
    for i in range(1, n + 1):
        c[i:] = c[i:] + c[:-i].copy()
    return c / 2.0 ** n


def _signed_rank_cdf(k: int, n: int) -> float:
    pmf = _signed_rank_pmf(n)
    if k <= n * (n + 1) / 4:
        return float(pmf[:k + 1].sum())
    return 1.0 - float(pmf[k + 1:].sum())


def _signed_rank_sf(k: int, n: int) -> float:
    pmf = _signed_rank_pmf(n)
    if k <= n * (n + 1) / 4:
        return float(pmf[k:].sum())
    return 1.0 - float(pmf[:k].sum())


def _wilcoxon_cols(x: np.ndarray, alternative: str) -> tuple[np.ndarray, list[float], np.ndarray, list[str]]:
    """W+, p-value, n and distribution label for each column of x (members x days), zeros and NaN
    dropped. p exact (signed-rank distribution, as scipy ``method="exact"``) for n <= 50 without
    ties, else the normal approximation with tie correction and no continuity correction (scipy
    ``method="approx"``)."""
    from scipy import special as _sp

    x = np.where(x == 0, np.nan, x)
    n = (~np.isnan(x)).sum(axis=0)
    w = np.empty(x.shape[1])
    pv: list[float] = []
    dist: list[str] = []
    for j in range(x.shape[1]):
        nj = int(n[j])
        if nj == 0:
            w[j] = math.nan
            pv.append(math.nan)
            dist.append("signed-rank(0)")
            continue
        r, t = _magnitude_ranks(np.abs(x[:, j]))  # average ranks of |x|, tie-group sizes
        w[j] = np.where(x[:, j] > 0, r, 0.0).sum()
        ties = bool((t > 1).any())
        wj = float(w[j])
        if nj <= 50 and not ties:
            if alternative == "less":
                p = _signed_rank_cdf(math.ceil(wj), nj)
            elif alternative == "greater":
                p = _signed_rank_sf(math.floor(wj), nj)
            else:
                p = min(1.0, max(0.0, 2 * min(_signed_rank_sf(math.floor(wj), nj),
                                              _signed_rank_cdf(math.ceil(wj), nj))))
            dist.append(f"exact signed-rank({nj})")
        else:
            mn = nj * (nj + 1.0) * 0.25
            se = math.sqrt((nj * (nj + 1.0) * (2.0 * nj + 1.0) - float((t ** 3 - t).sum()) / 2) / 24)
            z = (wj - mn) / se
            if alternative == "less":
                p = float(_sp.ndtr(z))
            elif alternative == "greater":
                p = float(_sp.ndtr(-z))
            else:
                p = float(2 * _sp.ndtr(-abs(z)))
            dist.append("N(0,1) approx of W+")
        pv.append(p)
    return w, pv, n, dist


def wilcoxon(ctx: Context) -> list[TestResult]:
    """Wilcoxon signed-rank test across members. Statistic = raw W⁺ (sum of the ranks of |AR_it|
    over positive AR_it, zeros dropped) = estudy2 ``wlcx_stat``; p-value exact (signed-rank
    distribution, n <= 50 without ties) else normal approximation (as scipy.stats.wilcoxon).
    CAR: on CAR_i."""
    p = ctx.panel
    w, pv, n, dist = _wilcoxon_cols(p.evt_ar, ctx.alternative)
    cw, cp, cn, cd = _wilcoxon_cols(p.car[:, None], ctx.alternative)
    return make_results(ctx, "wilcoxon", NULL_DAILY, w, n, None, float(cw[0]), int(cn[0]), None,
                        note="statistic is raw W+ (not standardized)",
                        daily_p=pv, car_p=cp[0], dist=dist, car_dist=cd[0])
