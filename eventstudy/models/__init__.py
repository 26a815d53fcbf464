"""Normal-return models, fitted per member on its estimation window by batched least squares.

Names resolve through one dict, :data:`MODELS`:

* ``constant-mean``   — R_it = mu_i + e_it (k = 1)
* ``market-adjusted`` — R_it = R_mt + e_it: the market model with alpha = 0, beta = 1 fixed (k = 0)
* ``market``          — R_it = alpha_i + beta_i R_mt + e_it, OLS (k = 2)
* :class:`FactorModel` — R_it = a_i + sum_f sum_{l=-L..L} b_ifl F_f,t-l + e_it: user-supplied
  regressors (a world index, the yuan, ...), optionally with Dimson (1979) leads and lags of each
  for markets whose closes are not synchronous with the factors' (k = 1 + F(2L + 1)); the
  Dimson beta of factor f is sum_l b_ifl (:meth:`FactorModel.betas`).

A model is defined by three things only: :meth:`~NormalReturnModel.regressors` (what it reads from
the panel), :meth:`~NormalReturnModel.columns` (the regressors of its free parameters) and
:meth:`~NormalReturnModel.offset` (the part of the normal return that is fixed). Everything else is
shared and written once here:

* which rows are observed (:meth:`~NormalReturnModel.observed`): the asset's return, the offset and
  every regressor present;
* the identification rule (:data:`COND_MAX`): a design whose normal equations have a condition
  number above 1e12 (a constant market, say) has no estimate;
* the minimum number of estimation rows (:func:`minimum_observations`);
* two fits from the same normal equations: :meth:`~NormalReturnModel.fit` on each member's
  estimation window, and :meth:`~NormalReturnModel.fit_all_dates`, which fits an event placed on
  *every* row of a return series at once from cumulative sums (what the placebo-date test draws
  from). A subclass that defines the three methods above gets both.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import ClassVar, Literal

import numpy as np

from ..arrays import chunk_map
from ..errors import EstimationWindowError, SpecificationError
from ..inference.panel import MIN_ROWS_BEYOND_K
from ..windows import Window

COND_MAX = 1e12
"""Largest condition number of X'X (ratio of its extreme eigenvalues) for which a fit is accepted."""


def identified(eig_min: np.ndarray, eig_max: np.ndarray) -> np.ndarray:
    """Whether normal equations with these extreme eigenvalues identify the parameters
    (condition number finite, positive and at most :data:`COND_MAX`).

    Parameters
    ----------
    eig_min, eig_max : ndarray
        Smallest and largest eigenvalue of each X'X (same shape, one per member or position).

    Returns
    -------
    ndarray of bool
        True where ``eig_max / eig_min`` is finite, positive and <= :data:`COND_MAX`.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        cond = eig_max / eig_min
    return np.isfinite(cond) & (cond > 0) & (cond <= COND_MAX)


def minimum_observations(model: NormalReturnModel, min_estimation: int) -> int:
    """Fewest usable estimation rows a member needs: ``max(min_estimation, k + 3)`` (the test
    battery's Patell variance (M - k)/(M - k - 2) needs M > k + 2).

    Parameters
    ----------
    model : NormalReturnModel
        The model; its ``k`` estimated parameters set the floor.
    min_estimation : int
        The study's own minimum.

    Returns
    -------
    int
    """
    return max(int(min_estimation), model.k + MIN_ROWS_BEYOND_K)


@dataclass(frozen=True)
class Fit:
    """Per-member estimates: ``params`` (N, p), residual variance with ddof = k, and sample sizes."""

    params: np.ndarray
    s2: np.ndarray  # sum of squared residuals / (M - k)
    m: np.ndarray  # estimation observations used
    k: int
    mkt_mean: np.ndarray  # mean market return over the estimation rows (NaN without a market)
    mkt_ssd: np.ndarray  # sum of squared deviations of the market over the estimation rows
    xtx_inv: np.ndarray = field(repr=False)  # (N, p, p)
    unidentified: np.ndarray | None = field(default=None, repr=False)
    """(N,) members whose regressors are constant or collinear (``fit(strict=False)``): NaN
    parameters and variance; None when every member is identified."""
    ss_y: np.ndarray | None = field(default=None, repr=False)
    """(N,) sum of squares of the fitted variable (return less offset) over the rows used: with
    ``m`` it bounds the SD of the returns (:func:`eventstudy.pipeline.estimate.degenerate_fits`)."""

    def subset(self, rows: slice | np.ndarray) -> Fit:
        """The estimates of the members ``rows``.

        Parameters
        ----------
        rows : slice or ndarray
            Members to keep (a slice, or a boolean or integer index).

        Returns
        -------
        Fit
        """
        def cut(a):
            return None if a is None else a[rows]

        return Fit(self.params[rows], self.s2[rows], self.m[rows], self.k, self.mkt_mean[rows], self.mkt_ssd[rows],
                   self.xtx_inv[rows], cut(self.unidentified), cut(self.ss_y))


@dataclass(frozen=True)
class AllDatesFit:
    """The fit of an event placed on every row of each series (:meth:`NormalReturnModel.fit_all_dates`).

    ``car`` (W, A, T): CAR of window w for an event whose day 0 is row t of series a (NaN where
    the parameters are not identified, fewer than ``min_obs`` estimation rows are usable, or a
    window row has no abnormal return); ``n_est`` (A, T): usable estimation rows.
    """

    car: np.ndarray
    n_est: np.ndarray


ROW_BLOCK = 4096
"""Members per block of a fit: its temporaries (the zero-filled returns and regressors) are a few MB, reused."""


def constant_value(x: np.ndarray) -> float | None:
    """The value of a regressor that is one number broadcast over the panel (the intercept's
    column of ones, ``np.broadcast_to``), else None: such a column needs no (N, T) array.

    Parameters
    ----------
    x : ndarray
        A column of :meth:`NormalReturnModel.columns` (or a slice of one).

    Returns
    -------
    float or None
    """
    if x.size and all(st == 0 for st in x.strides):
        return float(x.flat[0])
    return None


def _range_sums(a: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Sum of ``a[:, lo[t]:hi[t]]`` for every t, from one cumulative sum per row."""
    prefix = np.zeros((a.shape[0], a.shape[1] + 1))
    np.cumsum(a, axis=1, out=prefix[:, 1:])
    return prefix[:, hi] - prefix[:, lo]


@dataclass(frozen=True)
class NormalReturnModel:
    """Base class: subclasses define :meth:`columns` (and :meth:`regressors`, :meth:`offset`)."""

    name: ClassVar[str] = "model"
    k: ClassVar[int] = 0
    needs_market: ClassVar[bool] = True

    # ------------------------------------------------------------------ what a model defines
    def regressors(self, panel) -> np.ndarray:
        """What :meth:`columns` is built from: the panel's market returns (N, T)."""
        return panel.mkt

    def columns(self, reg: np.ndarray) -> list[np.ndarray]:
        """The regressors of the free parameters, one (N, T) array (or broadcast view) each,
        over the panel's full tau range (leads and lags need the neighbouring rows)."""
        raise NotImplementedError

    def offset(self, ret: np.ndarray, reg: np.ndarray) -> np.ndarray:
        """Part of the normal return that is fixed, not estimated (the market for market-adjusted).

        Parameters
        ----------
        ret : ndarray, shape (N, T)
            Returns.
        reg : ndarray
            The model's regressors (:meth:`regressors`).

        Returns
        -------
        ndarray, shape (N, T)
            Zeros here: nothing of the normal return is fixed in the base class.
        """
        return np.zeros_like(ret)

    @property
    def has_offset(self) -> bool:
        """Whether the model fixes part of the normal return (it overrides :meth:`offset`); the
        base class fixes nothing, so its fitted variable is the return itself."""
        return type(self).offset is not NormalReturnModel.offset

    @property
    def param_names(self) -> list[str]:
        """Names of the estimated parameters, in the order of :attr:`Fit.params` columns."""
        return [f"b{j}" for j in range(self.k)]

    def describe(self) -> str:
        """One line for table notes: the model and its regressors."""
        return self.name

    # ------------------------------------------------------------------ shared machinery
    def design(self, reg: np.ndarray, cols) -> np.ndarray:
        """(N, len(cols), p) regressors on the columns ``cols`` (short windows only).

        Parameters
        ----------
        reg : ndarray, shape (N, T) or (N, T, F)
            The model's regressors (:meth:`regressors`).
        cols : slice or ndarray of int
            Panel columns (a window's).

        Returns
        -------
        ndarray, shape (N, len(cols), p)
            The p columns of :meth:`columns` stacked on the last axis; shape (N, len(cols), 0) for a
            model with nothing estimated.
        """
        xs = [x[:, cols] for x in self.columns(reg)]
        n = reg.shape[0]
        width = len(range(*cols.indices(reg.shape[1]))) if isinstance(cols, slice) else len(cols)
        return np.stack(xs, axis=-1) if xs else np.zeros((n, width, 0))

    def observed(self, ret: np.ndarray, reg: np.ndarray,
                 cols=slice(None)) -> tuple[np.ndarray, list[np.ndarray], np.ndarray]:
        """``(y, xs, ok)`` on the columns ``cols``: the return less the offset, the regressors of
        the free parameters, and where a row has everything an abnormal return needs.

        A row is observed when the return less the offset and every regressor of :meth:`columns`
        are finite, and (a model that needs a market, with (N, T) regressors) the market return too.

        Parameters
        ----------
        ret : ndarray, shape (N, T)
            Returns.
        reg : ndarray, shape (N, T) or (N, T, F)
            The model's regressors (:meth:`regressors`).
        cols : slice or ndarray of int
            Panel columns to take (default all).

        Returns
        -------
        y : ndarray, shape (N, C)
            ``ret - offset`` on the C columns ``cols`` (a view of ``ret`` for a model without
            offset: read it, do not write into it).
        xs : list of ndarray, each (N, C)
            The regressors of the free parameters on those columns (p of them).
        ok : ndarray of bool, shape (N, C)
            Where the row is observed.
        """
        y = ret[:, cols] - self.offset(ret, reg)[:, cols] if self.has_offset else ret[:, cols]
        full = self.columns(reg)
        xs = [x[:, cols] for x in full]
        ok = np.isfinite(y)
        for x in xs:
            c = constant_value(x)
            if c is None:
                ok &= np.isfinite(x)
            elif not np.isfinite(c):
                ok[:] = False
        if self.needs_market and reg.ndim == 2 and not any(x is reg for x in full):
            ok &= np.isfinite(reg[:, cols])
        return y, xs, ok

    def fit(
        self, ret: np.ndarray, reg: np.ndarray, est_cols, *, min_obs: int,
        exclude: np.ndarray | None = None, strict: bool = True,
    ) -> Fit:
        """Fit every member on its estimation rows ``est_cols``.

        Parameters
        ----------
        ret, reg
            (N, T) returns and the model's regressors (:meth:`regressors`).
        est_cols
            Panel columns of the estimation window (a slice or positions).
        min_obs
            Fewest usable rows a member may have.
        exclude
            (N, M) rows to leave out (days inside other events' windows,
            :func:`eventstudy.eventtime.window_day_mask`).
        strict
            True: a member whose parameters are not identified is an error. False: its parameters
            and variance are NaN and :attr:`Fit.unidentified` marks it (the pipeline excludes it
            with the reason).

        Returns
        -------
        Fit

        Raises
        ------
        EstimationWindowError
            A member with fewer than ``min_obs`` rows, or (``strict``) whose parameters are not
            identified.
        """
        y, xs, use = self.observed(ret, reg, est_cols)
        if exclude is not None:
            use &= ~exclude
        m = use.sum(axis=1)
        need = max(min_obs, self.k + 1)
        short = np.flatnonzero(m < need)
        if short.size:
            listed = ", ".join(f"#{i} ({int(m[i])} obs)" for i in short[:5])
            raise EstimationWindowError(
                f"{short.size} member(s) have fewer than {need} estimation observations: {listed}; lengthen the "
                "estimation window, lower min_estimation, or drop those (event, asset) pairs")
        market_col = reg[:, est_cols] if self.needs_market and reg.ndim == 2 else None
        n, p = len(use), len(xs)
        params, xtx_inv = np.empty((n, p)), np.empty((n, p, p))
        s2, ss_y = np.empty(n), np.empty(n)
        mkt_mean, mkt_ssd = np.full(n, np.nan), np.full(n, np.nan)
        # every member's fit is its own: made a block of members at a time, so that no (N, M) array of
        # the zero-filled returns or regressors exists (block temporaries of a few MB, reused), the
        # blocks spread over the cores (each writes its own rows)

        def block(sl: slice) -> np.ndarray:  # fits the members sl; returns the unidentified ones
            lo = sl.start
            ub = use[sl]
            yz = np.where(ub, y[sl], 0.0)
            xz = [np.where(ub, x[sl], 0.0) for x in xs]  # the intercept's ones too: a block, not (N, M)
            # normal equations from column products (einsum: no temporaries, no (N, T, p) array)
            xtx = np.empty((len(yz), p, p))
            xty = np.empty((len(yz), p))
            for a in range(p):
                xty[:, a] = np.einsum("nt,nt->n", xz[a], yz)
                for b in range(a, p):
                    xtx[:, a, b] = xtx[:, b, a] = np.einsum("nt,nt->n", xz[a], xz[b])
            ss_y[sl] = np.einsum("nt,nt->n", yz, yz)
            bad = np.empty(0, dtype=np.int64)
            if p:
                eig = np.linalg.eigvalsh(xtx)  # symmetric: cheaper than cond() (an SVD per member)
                bad = np.flatnonzero(~identified(eig[:, 0], eig[:, -1]))
                if bad.size:
                    xtx[bad] = np.eye(p)  # any invertible matrix: their results are set to NaN below
                inv = np.linalg.inv(xtx)
                par = (inv @ xty[:, :, None])[:, :, 0]
                resid = yz  # in place: the zeros outside `use` stay zero (x is zero there too)
                for a in range(p):
                    resid -= xz[a] * par[:, a:a + 1]
                params[sl], xtx_inv[sl] = par, inv
            else:
                resid = yz
            dof = m[sl] - self.k
            s2[sl] = np.einsum("nt,nt->n", resid, resid) / np.where(dof > 0, dof, np.nan)
            if market_col is not None:
                mk = np.where(ub, market_col[sl], 0.0)
                mkt_mean[sl] = mk.sum(axis=1) / m[sl]
                mk -= mkt_mean[sl, None]
                mk *= ub
                mkt_ssd[sl] = np.einsum("nt,nt->n", mk, mk)
            return bad + lo

        bad_all = [b for b in chunk_map(block, n, ROW_BLOCK) if b.size]
        unidentified = None
        if bad_all:
            bad = np.concatenate(bad_all)
            if strict:
                raise EstimationWindowError(
                    f"member(s) {bad[:5].tolist()}: the regressors are constant or collinear over the estimation "
                    "window, so the model is not identified; use model='constant-mean' or a longer window")
            unidentified = np.zeros(n, dtype=bool)
            unidentified[bad] = True
            params[unidentified] = np.nan
            s2[unidentified] = np.nan
            xtx_inv[unidentified] = np.nan
        return Fit(params, s2, m, self.k, mkt_mean, mkt_ssd, xtx_inv, unidentified, ss_y)

    def predict(self, fit: Fit, ret: np.ndarray, reg: np.ndarray) -> np.ndarray:
        """Normal returns (N, T) of every panel row from the fitted parameters.

        Parameters
        ----------
        fit : Fit
            The fit (:meth:`fit`); ``params`` (N, p).
        ret : ndarray, shape (N, T)
            Returns (the offset may depend on them).
        reg : ndarray, shape (N, T) or (N, T, F)
            The model's regressors (:meth:`regressors`).

        Returns
        -------
        ndarray, shape (N, T)
            ``offset + sum_a params[:, a] * x_a``; NaN where the offset or a regressor is missing.
        """
        out = self.offset(ret, reg).astype(float, copy=True) if self.has_offset else None
        consts = []
        for a, x in enumerate(self.columns(reg)):
            c = constant_value(x)
            if c is not None:  # added at the end, in place: no (N, T) array of the constant
                consts.append(c * fit.params[:, a : a + 1])
            elif out is None:
                out = x * fit.params[:, a : a + 1]
            else:
                for lo in range(0, len(out), ROW_BLOCK):
                    out[lo:lo + ROW_BLOCK] += x[lo:lo + ROW_BLOCK] * fit.params[lo:lo + ROW_BLOCK, a : a + 1]
        if out is None:
            out = np.zeros(ret.shape)
        for c in consts:
            out += c
        return out

    def fit_all_dates(self, ret: np.ndarray, reg: np.ndarray, estimation: Window, windows: Sequence[Window], *,
                      min_obs: int, exclude: np.ndarray | None = None) -> AllDatesFit:
        """Fit an event placed on every row of each series at once, and its CAR per window.

        Row ``a`` of ``ret`` is one asset's whole return series (not an event-time panel): for
        each row ``t`` the model is fitted on rows ``t + estimation.start .. t + estimation.end``
        that are observed (:meth:`observed`) and not in ``exclude``, with the same minimum and
        identification rules as :meth:`fit`; the CAR of window ``w`` sums the abnormal returns
        of rows ``t + w.start .. t + w.end`` and is NaN unless every one of them exists. The
        normal equations of all positions come from cumulative sums (no loop over positions).

        Parameters
        ----------
        ret, reg
            (A, T) return series and the model's regressors over the same rows.
        estimation, windows
            Offsets relative to the row taken as day 0.
        min_obs
            Fewest usable estimation rows (:func:`minimum_observations`).
        exclude
            (A, T) rows never used for estimation (days inside real events' windows).

        Returns
        -------
        AllDatesFit
        """
        y, xs, ok = self.observed(ret, reg)
        use = ok & ~exclude if exclude is not None else ok
        n_series, width = y.shape
        t = np.arange(width)
        lo, hi = np.clip(t + estimation[0], 0, width), np.clip(t + estimation[1] + 1, 0, width)
        n_est = _range_sums(use.astype(float), lo, hi)
        yz = np.where(use, y, 0.0)
        xz = [np.where(use, x, 0.0) for x in xs]
        p = len(xz)
        xty = [_range_sums(x * yz, lo, hi) for x in xz]
        del yz
        xtx = {}
        for i in range(p):
            for j in range(i, p):
                xtx[i, j] = xtx[j, i] = _range_sums(xz[i] * xz[j], lo, hi)
        del xz
        params, good = _solve_positions(xtx, xty, n_est >= min_obs, p)
        del xtx, xty
        yw = np.where(ok, y, 0.0)
        xw = [np.where(ok, x, 0.0) for x in xs]
        okf = ok.astype(float)
        car = np.empty((len(windows), n_series, width))
        for k, (w0, w1) in enumerate(windows):
            lo, hi = np.clip(t + w0, 0, width), np.clip(t + w1 + 1, 0, width)
            full = _range_sums(okf, lo, hi) == (w1 - w0 + 1)  # every window row inside the data, with an AR
            c = _range_sums(yw, lo, hi)
            for j in range(p):
                c -= params[j] * _range_sums(xw[j], lo, hi)
            car[k] = np.where(full & good, c, np.nan)
        return AllDatesFit(car, n_est.astype(np.int64))


def _solve_positions(xtx: dict, xty: list, enough: np.ndarray, p: int) -> tuple[list[np.ndarray], np.ndarray]:
    """OLS parameters at every position from the normal equations (NaN where not identified), and
    where they are; closed forms for p <= 2, batched eigenvalues and solve beyond. The rule is
    :func:`identified`, as in :meth:`NormalReturnModel.fit`."""
    if p == 0:
        return [], enough
    with np.errstate(divide="ignore", invalid="ignore"):
        if p == 1:
            s = xtx[0, 0]
            good = enough & identified(s, s)
            return [np.where(good, xty[0] / s, np.nan)], good
        if p == 2:
            a, b, c = xtx[0, 0], xtx[0, 1], xtx[1, 1]
            det = a * c - b * b
            lam_max = 0.5 * (a + c) + np.sqrt(0.25 * (a - c) ** 2 + b * b)
            good = enough & identified(det / lam_max, lam_max)  # lam_min = det / lam_max
            p0 = (c * xty[0] - b * xty[1]) / det
            p1 = (a * xty[1] - b * xty[0]) / det
            return [np.where(good, p0, np.nan), np.where(good, p1, np.nan)], good
    ii = np.nonzero(enough)
    m = np.empty((ii[0].size, p, p))
    for i in range(p):
        for j in range(i, p):
            m[:, i, j] = m[:, j, i] = xtx[i, j][ii]
    v = np.stack([x[ii] for x in xty], axis=-1)
    good = enough.copy()
    params = [np.full(enough.shape, np.nan) for _ in range(p)]
    if m.shape[0]:
        eig = np.linalg.eigvalsh(m)
        ok = identified(eig[:, 0], eig[:, -1])
        sol = np.full((m.shape[0], p), np.nan)
        if ok.any():
            sol[ok] = np.linalg.solve(m[ok], v[ok][:, :, None])[:, :, 0]
        good[ii[0][~ok], ii[1][~ok]] = False
        for j in range(p):
            params[j][ii] = sol[:, j]
    return params, good


@dataclass(frozen=True)
class ConstantMean(NormalReturnModel):
    """R_it = mu_i + e_it."""

    name: ClassVar[str] = "constant-mean"
    k: ClassVar[int] = 1
    needs_market: ClassVar[bool] = False

    def columns(self, reg: np.ndarray) -> list[np.ndarray]:
        """One column of ones (the mean)."""
        return [np.broadcast_to(1.0, reg.shape[:2])]  # a read-only view: no (N, T) array of ones

    @property
    def param_names(self) -> list[str]:
        """``["mean"]``."""
        return ["mean"]


@dataclass(frozen=True)
class MarketAdjusted(NormalReturnModel):
    """R_it = R_mt + e_it (nothing estimated)."""

    name: ClassVar[str] = "market-adjusted"
    k: ClassVar[int] = 0

    def columns(self, reg: np.ndarray) -> list[np.ndarray]:
        """No column: nothing is estimated."""
        return []

    def offset(self, ret: np.ndarray, reg: np.ndarray) -> np.ndarray:
        """The market return: the whole normal return is fixed.

        Parameters
        ----------
        ret : ndarray, shape (N, T)
            Returns (unused).
        reg : ndarray, shape (N, T)
            Market returns (:meth:`regressors`).

        Returns
        -------
        ndarray, shape (N, T)
            ``reg`` itself.
        """
        return reg

    @property
    def param_names(self) -> list[str]:
        """No parameter."""
        return []


@dataclass(frozen=True)
class MarketModel(NormalReturnModel):
    """R_it = alpha_i + beta_i R_mt + e_it."""

    name: ClassVar[str] = "market"
    k: ClassVar[int] = 2

    def columns(self, reg: np.ndarray) -> list[np.ndarray]:
        """Ones (alpha) and the market returns (beta)."""
        return [np.broadcast_to(1.0, reg.shape), reg]

    @property
    def param_names(self) -> list[str]:
        """``["alpha", "beta"]``."""
        return ["alpha", "beta"]


@dataclass(frozen=True)
class FactorModel(NormalReturnModel):
    """OLS on user-supplied factor returns, with optional Dimson leads and lags.

    ``factors`` are tickers of the price data (compounded over each asset row's interval like the
    market); ``lags=1`` adds F_{t-1} and F_{t+1} for every factor — for an Asian index against a
    US-listed world ETF, the previous US session carries news Tokyo trades on the next morning.
    """

    factors: tuple[str, ...] = ()
    lags: int = 0
    name: ClassVar[str] = "factor"
    needs_market: ClassVar[bool] = False

    def __post_init__(self) -> None:
        if not self.factors or isinstance(self.factors, str):
            raise SpecificationError("FactorModel needs factors=(...) tickers, e.g. ('ACWI', 'CNY=X')")
        if isinstance(self.lags, bool) or not isinstance(self.lags, (int, np.integer)) or self.lags < 0:
            raise SpecificationError(f"lags={self.lags!r}: pass 0 (no Dimson terms) or a positive whole number")
        object.__setattr__(self, "factors", tuple(self.factors))

    @property
    def k(self) -> int:  # type: ignore[override]
        """Number of estimated parameters: 1 + F (2 lags + 1)."""
        return 1 + len(self.factors) * (2 * self.lags + 1)

    def regressors(self, panel) -> np.ndarray:
        """The panel's factor returns (N, T, F).

        Raises
        ------
        SpecificationError
            The panel was built without exactly these factors.
        """
        if panel.factors is None or tuple(panel.factor_names) != self.factors:
            raise SpecificationError(f"the panel was built without factors {self.factors}; pass them to build_panel")
        return panel.factors

    def columns(self, reg: np.ndarray) -> list[np.ndarray]:
        """Ones (alpha), then for each factor its returns shifted by lag = -lags .. +lags rows.

        A positive lag takes an earlier row (the factor's past); rows shifted in from outside the
        panel are NaN.
        """
        out = [np.broadcast_to(1.0, reg.shape[:2])]
        for f in range(reg.shape[2]):
            x = reg[:, :, f]
            for lag in range(-self.lags, self.lags + 1):  # lag > 0: an earlier row (the factor's past)
                if lag == 0:
                    out.append(x)
                    continue
                shifted = np.full_like(x, np.nan)
                if lag > 0:
                    shifted[:, lag:] = x[:, :-lag]
                else:
                    shifted[:, :lag] = x[:, -lag:]
                out.append(shifted)
        return out

    @property
    def param_names(self) -> list[str]:
        """``alpha`` then ``beta[F]`` per factor (``beta[F,+l]`` per lag with Dimson terms)."""
        names = ["alpha"]
        for f in self.factors:
            for lag in range(-self.lags, self.lags + 1):
                names.append(f"beta[{f}]" if not self.lags else f"beta[{f},{lag:+d}]")
        return names

    def describe(self) -> str:
        """One line for table notes: the factors and the Dimson leads and lags, if any."""
        text = f"factor model on {', '.join(self.factors)}"
        return text + (f" with Dimson leads and lags of {self.lags} session(s)" if self.lags else "")

    def betas(self, fit: Fit) -> np.ndarray:
        """(N, F) Dimson betas: the sum of each factor's lead, contemporaneous and lag slopes."""
        w = 2 * self.lags + 1
        return fit.params[:, 1:].reshape(len(fit.params), len(self.factors), w).sum(axis=2)


MODELS: dict[str, type[NormalReturnModel]] = {c.name: c for c in (ConstantMean, MarketAdjusted, MarketModel)}
ModelName = Literal["constant-mean", "market-adjusted", "market"]


def textbook_form(model: NormalReturnModel) -> bool:
    """Whether the test battery derives the model's prediction-error factors itself from k and the
    market returns (exactly the constant-mean, market-adjusted and market models). Every other
    model -- a factor model, a user's subclass, even one of :class:`MarketModel` -- hands the battery
    its exact factors (:func:`eventstudy.abnormal.forecast_factors`)."""
    return type(model) in (ConstantMean, MarketAdjusted, MarketModel)
"""Models constructible from a name alone; :class:`FactorModel` needs its factors (pass an instance)."""


def members_apart(model: NormalReturnModel) -> bool:
    """Whether each member's normal return depends on its own rows only, so that blocks of members
    can be predicted apart (on several threads): true of the library's own models, not assumed of
    a user's subclass (its offset or regressors may read other members' rows).

    Parameters
    ----------
    model : NormalReturnModel
        The study's model.

    Returns
    -------
    bool
    """
    return type(model) in (ConstantMean, MarketAdjusted, MarketModel, FactorModel)


def get_model(model: str | NormalReturnModel) -> NormalReturnModel:
    """The model object for a name of :data:`MODELS` (or the model itself).

    Raises
    ------
    SpecificationError
        For an unknown name, listing the known ones.
    """
    if isinstance(model, NormalReturnModel):
        return model
    try:
        return MODELS[model]()
    except (KeyError, TypeError):
        raise SpecificationError(f"model={model!r} is unknown; pass one of {list(MODELS)} or a model object "
                                 "such as FactorModel(('ACWI',), lags=1)") from None
