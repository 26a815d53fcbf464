"""Cross-sectional dependence: Kolari-Pynnönen r̄ and the Kish design effect."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from ..errors import DataError


@dataclass(frozen=True)
class CrossCorrelation:
    """Mean off-diagonal correlation of estimation-window residuals and how it was obtained.

    ``approximate`` is False when every pair entered exactly. It is True only for very large
    panels (see :func:`mean_cross_correlation`): a group of members linked by shared event days
    with more than ``COMPONENT_MAX`` members has its correlations estimated from a seeded random
    subset of those members, and with more than ``CLASS_MAX`` distinct estimation-date patterns
    the number of overlapping pairs across such groups is estimated from a seeded random subset;
    ``n_pairs`` is then an estimate too.
    """

    rbar: float
    n_pairs: int  # pairs with enough overlapping rows
    n_possible: int  # N (N - 1) / 2
    aligned_on: str  # "calendar date" or "event time" (row position)
    min_overlap: int
    approximate: bool = False


# Sizes above which the exact pairwise computation is replaced by a seeded subset estimate.
COMPONENT_MAX = 20_000  # members in one group linked by shared event days
CLASS_MAX = 4_000  # distinct (group, estimation-date set) patterns when counting pairs across groups
_DENSE_MAX = 500  # up to this many members every pair is computed exactly in one block
MEMBER_MAX = 5_000  # above this, r̄ is the mean over the pairs of a seeded random subset of members
_CHUNK = 512  # rows per chunk of the pairwise matrix products (bounds memory to ~chunk x N)


def member_subset(n: int) -> np.ndarray | None:
    """Positions (sorted) of the seeded random subset of ``MEMBER_MAX`` members whose pairs
    estimate r̄ of a panel of ``n`` members; None when every pair enters (``n <= MEMBER_MAX``).
    The chunked engine gathers exactly these members' rows from its blocks."""
    if n <= MEMBER_MAX:
        return None
    return np.sort(np.random.default_rng(0).choice(n, size=MEMBER_MAX, replace=False))


def for_all_members(sub: CrossCorrelation, n: int) -> CrossCorrelation:
    """r̄ of a subset (:func:`member_subset`) reported for the panel of ``n`` members it stands for.

    Parameters
    ----------
    sub : CrossCorrelation
        r̄ computed on the members of the subset.
    n : int
        Number of members of the whole panel.

    Returns
    -------
    CrossCorrelation
        ``sub``'s r̄, ``n_pairs``, alignment and ``min_overlap``, with ``n_possible = n (n - 1) / 2``
        and ``approximate=True``.
    """
    return CrossCorrelation(sub.rbar, sub.n_pairs, n * (n - 1) // 2, sub.aligned_on, sub.min_overlap, True)


def event_time_correlation(est_ar: np.ndarray, *, min_overlap: int = 20) -> CrossCorrelation:
    """Kolari-Pynnönen r̄ of members whose estimation rows are aligned in event time (row k of
    each member is its k-th session before its own day 0): what the test battery uses.

    Parameters
    ----------
    est_ar : ndarray, shape (N, M)
        Estimation-window residuals, NaN where missing.
    min_overlap : int, default 20
        Fewest common rows for a pair to enter r̄.

    Returns
    -------
    CrossCorrelation
        Aligned on ``"event time"``; see :func:`mean_cross_correlation` for the computation.
    """
    return mean_cross_correlation(est_ar, None, min_overlap=min_overlap)


def mean_cross_correlation(
    est_ar: np.ndarray, est_dates: np.ndarray | None = None, *, evt_dates: np.ndarray | None = None,
    min_overlap: int = 20,
) -> CrossCorrelation:
    """Kolari & Pynnönen (2010, RFS 23(11):3996-4025) r̄: the average pairwise Pearson correlation
    of the members' estimation-window residuals, diagonal excluded (METHODS item 8).

    With ``est_dates`` the residuals are aligned on CALENDAR DATE and each pair uses the dates both
    members have (pairwise-complete); aligning on relative day would correlate unrelated days of
    staggered events. Without dates, rows are aligned by position. Pairs with fewer than
    ``min_overlap`` common rows are left out; if no pair is left, r̄ = 0 (independence) and
    ``n_pairs == 0`` says so. Correlation is invariant to each member's scale, so raw and
    standardized residuals give the same r̄.

    Kolari and Pynnönen define r̄ for members sharing one event date. In a pooled sample of events
    on different dates (the same index hit by two events months apart, say) two members' estimation
    residuals can be almost perfectly correlated while their event-day abnormal returns fall on
    different days and are independent. With ``evt_dates``, a pair whose event windows share no
    calendar date therefore enters r̄ with correlation 0; pairs that share event days keep their
    estimated correlation. With one common event date this is exactly Kolari-Pynnönen's r̄.

    Computation (numpy, no N x N pandas frame): residuals go on the union date grid and the
    pairwise-complete moments come from matrix products (n_ij = Mk Mk', Σx = X Mk', Σx² = X² Mk',
    Σxy = X X'); members observed on every date of the grid use the closed form
    Σ_{i<j} r_ij = (|Σ_i z_i|² - Σ_i |z_i|²) / 2 per event-date class. Up to ``_DENSE_MAX`` members
    every pair is computed. Larger panels are split into the connected components of the "share an
    event day" graph: correlations are computed within components only; a pair in different
    components counts as a zero-correlation pair when it has ``min_overlap`` common dates (the
    degenerate case of a residual constant over those dates, which the exact computation would
    leave out, is not checked). A component with more than ``COMPONENT_MAX`` members is estimated
    from a seeded random subset of ``COMPONENT_MAX`` members (its sum of correlations and pair
    count scaled to the component), and the cross-component pair count from a random subset when
    there are more than ``CLASS_MAX`` date patterns; ``approximate`` is then True.

    More than ``MEMBER_MAX`` members (a pooled study of a large universe): r̄ is a mean over
    pairs, so the mean over all pairs of a seeded random subset of ``MEMBER_MAX`` members is an
    unbiased estimate of it (about 1.2·10^7 pairs); ``approximate`` is True and ``n_pairs`` counts
    the pairs of the subset.

    Parameters
    ----------
    est_ar : array_like, shape (N, M)
        Estimation-window residuals (abnormal returns) of the N members, NaN = missing.
    est_dates : array_like of datetime64, shape (N, M), optional
        Calendar dates of the residuals (NaT = missing); None aligns rows by position.
    evt_dates : array_like of datetime64, shape (N, L), optional
        Calendar dates of each member's event-window rows; None treats every pair as sharing an
        event day.
    min_overlap : int
        Fewest common rows (dates) a pair needs to enter r̄.

    Returns
    -------
    CrossCorrelation
        r̄, the number of pairs it rests on out of N (N - 1) / 2, what the rows were aligned on
        (``"calendar date"``, ``"row position"``, or ``"none"`` for fewer than two members) and
        whether it is a subset estimate.

    Raises
    ------
    DataError
        ``est_ar`` is not 2-D, ``est_dates`` has another shape, or a member repeats a date.
    """
    a = np.asarray(est_ar, dtype=float)
    if a.ndim != 2:
        raise DataError(f"est_ar must be 2-D (members x rows), got shape {a.shape}")
    pick = member_subset(a.shape[0])
    if pick is not None:
        sub = mean_cross_correlation(
            a[pick], None if est_dates is None else np.asarray(est_dates)[pick],
            evt_dates=None if evt_dates is None else np.asarray(evt_dates)[pick], min_overlap=min_overlap)
        return for_all_members(sub, a.shape[0])
    n = a.shape[0]
    n_possible = n * (n - 1) // 2
    if n < 2:
        return CrossCorrelation(0.0, 0, 0, "none", min_overlap)
    ok = ~np.isnan(a)
    if est_dates is None:
        col = np.broadcast_to(np.arange(a.shape[1]), a.shape)
        aligned = "event time"
    else:
        d = np.asarray(est_dates, dtype="datetime64[D]")
        if d.shape != a.shape:
            raise DataError(f"est_dates has shape {d.shape}, expected {a.shape}")
        ok &= ~np.isnat(d)
        di = d.view("int64")
        _, inv = _unique_inverse(di[ok])
        col = np.zeros(a.shape, dtype=np.int64)
        col[ok] = inv.ravel()
        # a repeated date within a member: adjacent equal codes after sorting each row's valid codes
        # (rows of increasing dates, the usual layout, have none)
        if ok.all() and (a.shape[1] < 2 or bool((col[:, 1:] > col[:, :-1]).all())):
            dup = np.zeros((1, 1), dtype=bool)
        else:
            srt = np.sort(np.where(ok, col, -1 - np.arange(a.shape[1])[None, :]), axis=1)
            dup = (srt[:, 1:] == srt[:, :-1]) & (srt[:, 1:] >= 0)
        if dup.any():
            i = int(np.flatnonzero(dup.any(axis=1))[0])
            raise DataError(f"member {i}: est_dates repeats a calendar date; each estimation row needs its own date")
        aligned = "calendar date"
    if ok.all():
        data = _Data(n, np.repeat(np.arange(n), a.shape[1]), np.ascontiguousarray(col).ravel(), a.ravel())
    else:
        rows, cols = np.nonzero(ok)
        data = _Data(n, rows, col[rows, cols], a[rows, cols])
    if evt_dates is not None:
        ev = np.asarray(evt_dates, dtype="datetime64[D]").reshape(n, -1)
        cls, share = _event_classes(ev)
    else:
        cls, share = np.zeros(n, dtype=np.int64), np.ones((1, 1), dtype=bool)
    mo = int(min_overlap)
    approximate = False
    if n <= _DENSE_MAX:
        s, c = _block(data, np.arange(n), cls, share, mo)
    else:
        comp = _components(cls, share)
        s = c = 0.0
        rng = np.random.default_rng(0)
        for members in _split(comp):
            if members.size < 2:
                continue
            if members.size > COMPONENT_MAX:
                sub = np.sort(rng.choice(members, size=COMPONENT_MAX, replace=False))
                bs, bc = _block(data, sub, cls, share, mo)
                scale = (members.size * (members.size - 1)) / (sub.size * (sub.size - 1))
                s, c, approximate = s + bs * scale, c + bc * scale, True
            else:
                bs, bc = _block(data, members, cls, share, mo)
                s, c = s + bs, c + bc
        cross, est = _cross_component_pairs(data, comp, mo, rng)
        c += cross
        approximate |= est
    n_pairs = int(round(c))
    if n_pairs == 0:
        return CrossCorrelation(0.0, 0, n_possible, aligned, min_overlap, approximate)
    return CrossCorrelation(float(s / c), n_pairs, n_possible, aligned, min_overlap, approximate)


def _unique_inverse(v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(v, return_inverse=True)`` for integer codes; by counting (no sort) when their
    range is not much wider than their number (dates, grid columns)."""
    if v.size == 0:
        return np.unique(v, return_inverse=True)
    lo, hi = int(v.min()), int(v.max())
    if hi - lo > 4 * v.size + 1024:
        return np.unique(v, return_inverse=True)
    present = np.bincount(v - lo if lo else v, minlength=hi - lo + 1) > 0
    if lo == 0 and present.all():  # already the codes 0..G-1
        return np.arange(hi + 1, dtype=v.dtype), v
    code = np.cumsum(present) - 1
    return np.flatnonzero(present) + lo, code[v - lo]


@dataclass(frozen=True)
class _Data:
    """Non-missing residuals as (member, grid column, value) triples, member-major."""

    n: int
    rows: np.ndarray
    cols: np.ndarray
    vals: np.ndarray

    @cached_property
    def starts(self) -> np.ndarray:
        """(n + 1,) offset of each member's first triple (rows are sorted)."""
        return np.searchsorted(self.rows, np.arange(self.n + 1))

    def dense(self, members: np.ndarray, centred: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """(X, Mk) of ``members`` (sorted) on their union grid; X is 0 where missing (with
        ``centred``, each member's values minus their mean)."""
        lo = self.starts[members]
        lens = self.starts[members + 1] - lo
        r = np.repeat(np.arange(members.size), lens)
        if members.size == self.n:  # all members (sorted): every triple, in order
            cols, vals = self.cols, self.vals
        else:
            # indices of the members' triples: one run lo[k] .. lo[k] + lens[k] per member
            idx = np.arange(int(lens.sum())) + np.repeat(lo - (np.cumsum(lens) - lens), lens)
            cols, vals = self.cols[idx], self.vals[idx]
        grid, ci = _unique_inverse(cols)
        flat = r * grid.size + ci
        x = np.zeros((members.size, grid.size))
        mk = np.zeros((members.size, grid.size))
        if centred:
            vals = vals - (np.bincount(r, weights=vals, minlength=members.size) / lens)[r]
        x.ravel()[flat] = vals
        mk.ravel()[flat] = 1.0
        return x, mk


def _event_classes(ev: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Members grouped by their set of event-window dates: (class of each member, K x K bool
    'classes share an event date')."""
    e = np.sort(ev.view("int64"), axis=1)  # NaT is the smallest int64: sorts first
    nat = np.iinfo(np.int64).min
    e = np.where(e == nat, nat, e)
    keys, cls = np.unique(e, axis=0, return_inverse=True)
    cls = cls.ravel()
    ok = keys != nat
    codes, inv = np.unique(keys[ok], return_inverse=True)
    inc = np.zeros((keys.shape[0], codes.size))
    inc[np.nonzero(ok)[0], inv.ravel()] = 1.0
    return cls, (inc @ inc.T) > 0


def _components(cls: np.ndarray, share: np.ndarray) -> np.ndarray:
    """Connected component of each member in the 'share an event day' graph."""
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import connected_components

    _, lab = connected_components(csr_matrix(share), directed=False)
    return lab[cls]


def _split(labels: np.ndarray) -> list[np.ndarray]:
    order = np.argsort(labels, kind="stable")
    cuts = np.flatnonzero(np.diff(labels[order])) + 1
    return np.split(order, cuts)


_GROUPED_MAX = 32_000_000  # (groups^2 x grid) elements of the per-group sums of the grouped computation
_TINY = 1e-13  # a variance below this fraction of the sum of squares is a constant residual: no correlation


def _grouped(x: np.ndarray, mk: np.ndarray, k: np.ndarray, share: np.ndarray, mo: int) -> tuple[float, float] | None:
    """Σ r_ij and the pair count of :func:`_block` by groups of members with one date mask and one
    event-date class, without a pair loop; None when the groups are too many for it to pay.

    For members i of group a (mask P_a) and j of group b, the common rows are P_a P_b', so
    Σx_i = x_i·P_b, Σx_i² = x_i²·P_b and v_i = Σx_i² - (Σx_i)²/n_ab depend on i and b only, and
    r_ij = (x_i·x_j - Σx_i Σx_j / n_ab) u_i u_j with u_i = v_i^(-1/2). Summed over the group pair,
    Σ_ij r_ij = (Σ_i u_i x_i)·(Σ_j u_j x_j) - (Σ_i u_i Σx_i)(Σ_j u_j Σx_j) / n_ab: one vector per
    (group, other group) instead of one correlation per pair. Within a group, the pairs i < j are
    half of the double sum less its diagonal (each valid member's u_i² v_i = 1). A pair enters
    when n_ab >= ``mo`` and both variances exceed ``_TINY`` of the sums of squares, as in the
    pairwise computation (the same numbers up to the order of floating-point sums)."""
    m, g = x.shape
    packed = np.packbits(mk > 0, axis=1)
    _, pid = np.unique(packed.view(np.dtype((np.void, packed.shape[1]))).ravel(), return_inverse=True)
    key = pid.ravel().astype(np.int64) * (int(k.max()) + 1) + k
    _, first, grp = np.unique(key, return_index=True, return_inverse=True)
    grp = grp.ravel()
    h = first.size
    if h * h * g > _GROUPED_MAX:
        return None
    pat = mk[first]
    nu = pat @ pat.T  # (h, h) common rows of two groups
    sx, sxx = x @ pat.T, (x * x) @ pat.T  # (m, h): member i's sums over its common rows with group b
    n_ib = nu[grp]
    with np.errstate(invalid="ignore", divide="ignore"):
        v = sxx - sx * sx / n_ib
        valid = (n_ib >= max(mo, 1)) & (v > _TINY * sxx)
        u = np.where(valid, 1.0 / np.sqrt(np.where(valid, v, 1.0)), 0.0)
    order = np.argsort(grp, kind="stable")
    starts = np.flatnonzero(np.r_[True, np.diff(grp[order]) != 0])
    us = np.empty((h, h, g))  # us[a, b] = Σ_{i in a} u_ib x_i
    for a, rows in enumerate(np.split(order, starts[1:])):
        us[a] = u[rows].T @ x[rows]
    cross = np.einsum("abg,bag->ab", us, us)
    usx = np.add.reduceat((u * sx)[order], starts, axis=0)  # (h, h): Σ_{i in a} u_ib Σx_ib
    nv = np.add.reduceat(valid[order].astype(float), starts, axis=0)  # valid members of a against b
    with np.errstate(invalid="ignore", divide="ignore"):
        sums = np.where(nu > 0, cross - usx * usx.T / np.where(nu > 0, nu, 1.0), 0.0)
    sh = share[np.ix_(k[first], k[first])]
    upper = np.triu(np.ones((h, h), dtype=bool), 1)
    dv = np.diag(nv)
    s_tot = float(sums[upper & sh].sum()) + float(((np.diag(sums) - dv) / 2.0)[np.diag(sh)].sum())
    c_tot = float((nv * nv.T)[upper].sum()) + float((dv * (dv - 1.0) / 2.0).sum())
    return s_tot, c_tot


def _block(data: _Data, members: np.ndarray, cls: np.ndarray, share: np.ndarray, mo: int) -> tuple[float, float]:
    """Σ r_ij over pairs i < j of ``members`` with a finite correlation (0 for pairs that share no
    event date) and the number of such pairs."""
    x, mk = data.dense(members, centred=True)
    k = cls[members]
    m = members.size
    if mk.all():
        t = x.shape[1]
        if t < max(mo, 1):
            return 0.0, 0.0
        xc = x - x.mean(axis=1, keepdims=True)
        ss = np.einsum("ij,ij->i", xc, xc)
        good = ss > 0
        z = xc[good] / np.sqrt(ss[good])[:, None]
        kg = k[good]
        v = z.shape[0]
        kk, kinv = np.unique(kg, return_inverse=True)
        if kk.size > 1:  # rows of each class summed in their order (np.add.at is slow on many rows)
            order = np.argsort(kinv, kind="stable")
            sums = np.add.reduceat(z[order], np.flatnonzero(np.r_[True, np.diff(kinv[order]) != 0]), axis=0)
        else:
            sums = z.sum(axis=0, keepdims=True)
        sh = share[np.ix_(kk, kk)]
        pp = sums @ sums.T
        off = float((pp * (sh & ~np.eye(kk.size, dtype=bool))).sum())  # pairs in different classes
        size = np.bincount(kinv, minlength=kk.size)
        zz = np.bincount(kinv, weights=np.einsum("ij,ij->i", z, z), minlength=kk.size)
        inner = (size >= 2) & np.diag(sh)  # pairs within a class (none for singletons: exactly 0)
        within = float((np.diag(pp)[inner] - zz[inner]).sum())
        return (off + within) / 2.0, v * (v - 1) / 2.0
    # pairwise-complete: centre each member on its own mean (correlation unchanged, less cancellation)
    # (x came centred from dense: 0 where missing)
    grouped = _grouped(x, mk, k, share, mo)
    if grouped is not None:
        return grouped
    x2 = x * x
    s_tot = c_tot = 0.0
    # Members share date masks (one per event-date class): the products with a mask need only the
    # distinct masks, n_ij = P P'[pat_i, pat_j], Σx = (X P')[i, pat_j], and Σy is Σx transposed.
    packed = np.packbits(mk > 0, axis=1)
    _, first, pinv = np.unique(packed.view(np.dtype((np.void, packed.shape[1]))).ravel(),
                               return_index=True, return_inverse=True)
    pinv = pinv.ravel()
    by_pattern = first.size * m <= 4_000_000
    if by_pattern:
        pat = mk[first]
        nu = pat @ pat.T
        xp, x2p = x @ pat.T, x2 @ pat.T
    for lo in range(0, m, _CHUNK):
        hi = min(lo + _CHUNK, m)
        # only pairs i < j: columns from lo on
        xa, ma, x2a = x[lo:hi], mk[lo:hi], x2[lo:hi]
        xb, mb, x2b = x[lo:], mk[lo:], x2[lo:]
        if by_pattern:
            pa, pb = pinv[lo:hi], pinv[lo:]
            nij = nu[np.ix_(pa, pb)]
            sx, sy = xp[lo:hi][:, pb], xp[lo:][:, pa].T
            sxx, syy = x2p[lo:hi][:, pb], x2p[lo:][:, pa].T
        else:
            nij = ma @ mb.T
            sx, sy = xa @ mb.T, ma @ xb.T
            sxx, syy = x2a @ mb.T, ma @ x2b.T
        sxy = xa @ xb.T
        with np.errstate(invalid="ignore", divide="ignore"):
            vx = sxx - sx * sx / nij
            # one chunk of the distinct-mask products: Σy, Σy² are Σx, Σx² transposed, so is vy
            vy = vx.T if (by_pattern and lo == 0 and hi == m) else syy - sy * sy / nij
            cov = sxy - sx * sy / nij
            okv = (nij >= max(mo, 1)) & (vx > _TINY * sxx) & (vy > _TINY * syy)
            r = np.where(okv, cov / np.sqrt(np.where(okv, vx * vy, 1.0)), 0.0)
        upper = np.arange(lo, hi)[:, None] < np.arange(lo, m)[None, :]
        okv &= upper
        sh = share[np.ix_(k[lo:hi], k[lo:])]
        s_tot += float(np.clip(r, -1.0, 1.0)[okv & sh].sum())
        c_tot += float(okv.sum())
    return s_tot, c_tot


def _cross_component_pairs(data: _Data, comp: np.ndarray, mo: int, rng: np.random.Generator) -> tuple[float, bool]:
    """Number of member pairs in different components with >= mo common dates (and whether it is
    a subset estimate)."""
    n = data.n
    sizes = np.bincount(comp)
    n_cross = (n * (n - 1) - float((sizes * (sizes - 1)).sum())) / 2.0
    if n_cross == 0:
        return 0.0, False
    # members grouped by (component, set of dates): identical rows of the date mask
    used = np.bincount(data.cols)
    if used.all():  # grid codes 0..G-1 all in use: np.unique would return them unchanged
        n_grid, gc = used.size, data.cols
    else:
        grid, gc = np.unique(data.cols, return_inverse=True)
        n_grid = grid.size
    lens = np.diff(data.starts)
    w1, w2 = np.random.default_rng(1).random((2, n_grid))
    # per-member sums in triple order (as np.add.at), via bincount
    h1 = np.bincount(data.rows, weights=w1[gc], minlength=n)
    h2 = np.bincount(data.rows, weights=w2[gc], minlength=n)
    key = np.stack([comp.astype(float), lens.astype(float), h1, h2], axis=1)
    keys, first, cls, cnt = np.unique(key, axis=0, return_index=True, return_inverse=True, return_counts=True)
    cls = cls.ravel()
    if keys.shape[0] <= CLASS_MAX:
        reps = first
        weight = cnt.astype(float)
        estimate = False
    else:
        reps = np.sort(rng.choice(n, size=CLASS_MAX, replace=False))
        weight = np.ones(reps.size)
        estimate = True
    x, mk = data.dense(reps)
    ov = mk @ mk.T
    cr = comp[reps]
    good = (ov >= max(mo, 1)) & (cr[:, None] != cr[None, :])
    w = np.outer(weight, weight)
    hits = float((w * good).sum()) / 2.0
    if not estimate:
        return hits, False
    tot = float((w * (cr[:, None] != cr[None, :])).sum()) / 2.0
    return (n_cross * hits / tot if tot else 0.0), True


@dataclass(frozen=True)
class DesignEffect:
    """Kish (1965) design effect of N equally correlated members (METHODS item 12)."""

    n: int
    rbar: float
    deff: float  # 1 + (N - 1) r̄
    n_eff: float  # N / DEFF
    df_eff: float  # (N - 1) / DEFF

    def describe(self) -> str:
        """One line: r̄, DEFF, n_eff and df_eff."""
        return (f"r̄={self.rbar:.4f} DEFF={self.deff:.3f} n_eff={self.n_eff:.2f} df_eff={self.df_eff:.2f}")


def design_effect(n: int, rbar: float) -> DesignEffect:
    """DEFF = 1 + (N-1) r̄, n_eff = N/DEFF, df_eff = (N-1)/DEFF (Kish 1965).

    A naive standard error is too small by sqrt(DEFF); with N = 4 and r̄ = 0.5, DEFF = 2.5 and
    df_eff = 1.2: four markets hit on one date carry little independent information.

    Parameters
    ----------
    n : int
        Number of members N.
    rbar : float
        Mean pairwise correlation r̄ (:func:`mean_cross_correlation`).

    Returns
    -------
    DesignEffect
        ``n``, ``rbar``, DEFF, n_eff and df_eff; the last three NaN when DEFF is not positive.
    """
    deff = 1.0 + (n - 1) * rbar
    if not deff > 0:
        return DesignEffect(n, rbar, float("nan"), float("nan"), float("nan"))
    return DesignEffect(n, rbar, deff, n / deff, (n - 1) / deff)


def kp_factor_bmp(n: int | np.ndarray, rbar: float) -> np.ndarray:
    """sqrt((1 - r̄) / (1 + (N - 1) r̄)), Kolari-Pynnönen (2010) eq. for the adjusted BMP t.

    Parameters
    ----------
    n : int or ndarray
        Number of members N (per day, say).
    rbar : float
        Mean pairwise correlation r̄.

    Returns
    -------
    ndarray of float, shape of ``n``
        The factor multiplying the BMP t; NaN where 1 + (N - 1) r̄ <= 0 or r̄ > 1.
    """
    n = np.asarray(n, dtype=float)
    den = 1.0 + (n - 1.0) * rbar
    num = 1.0 - rbar
    ok = (den > 0) & (num >= 0)
    return np.sqrt(np.divide(num, den, out=np.full(n.shape, np.nan), where=ok))


def kp_factor_patell(n: int | np.ndarray, rbar: float) -> np.ndarray:
    """1 / sqrt(1 + (N - 1) r̄), Kolari-Pynnönen (2010) adjustment of the Patell Z.

    Parameters
    ----------
    n : int or ndarray
        Number of members N (per day, say).
    rbar : float
        Mean pairwise correlation r̄.

    Returns
    -------
    ndarray of float, shape of ``n``
        The factor multiplying the Patell Z; NaN where 1 + (N - 1) r̄ <= 0.
    """
    n = np.asarray(n, dtype=float)
    den = 1.0 + (n - 1.0) * rbar
    return np.divide(1.0, np.sqrt(np.abs(den)), out=np.full(n.shape, np.nan), where=den > 0)
