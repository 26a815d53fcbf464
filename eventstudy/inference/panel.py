"""Input container of the inference battery: abnormal returns of N members in event time.

A *member* is one (event, asset) pair. Row i of every array is member i; columns are trading-day
rows of event time (estimation window: M rows, event window: L rows). NaN marks a missing row.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Literal

import numpy as np

from ..errors import DataError, EstimationWindowError
from . import _nan

Convention = Literal["clm", "estudy2"]
MIN_ROWS_BEYOND_K = 3
"""A member needs at least k + 3 estimation rows: Patell's variance (M - k)/(M - k - 2) needs
M - k > 2. The study's minimum (:func:`eventstudy.models.minimum_observations`) uses this rule."""
CONVENTIONS: tuple[str, ...] = ("clm", "estudy2")


def check_convention(convention: str) -> Convention:
    """``convention`` itself if it is one of :data:`CONVENTIONS` (``"clm"`` or ``"estudy2"``).

    Raises
    ------
    DataError
        For any other value.
    """
    if convention not in CONVENTIONS:
        raise DataError(f"convention={convention!r}: use 'clm' (Campbell-Lo-MacKinlay, default) or 'estudy2'")
    return convention  # type: ignore[return-value]


def _as2d(name: str, x: object, shape: tuple[int, int] | None = None) -> np.ndarray:
    # No copy of a float64 array: the panel keeps a read-only view of it (nothing here writes to
    # its inputs; a copy of an (N, M) array of a large pooled study costs time and memory).
    a = np.asarray(x, dtype=float)
    if isinstance(x, np.ndarray) and np.shares_memory(a, x):
        a = a.view()
        a.flags.writeable = False
    if a.ndim != 2:
        raise DataError(f"{name} must be 2-D (members x rows), got shape {a.shape}; for one member pass [[...]]")
    if shape is not None and a.shape != shape:
        raise DataError(f"{name} has shape {a.shape}, expected {shape} (same members and rows as the abnormal returns)")
    return a


class _Stats:
    """The battery's per-member and per-row quantities, in terms of a few primitives that a
    :class:`Panel` computes from its arrays and a :class:`ReducedPanel` receives precomputed
    (from blocks of members that were never all in memory at once): ``m_i``, ``l_i``,
    ``var_est``, ``row_sumsq``, ``fe_factor``, ``car_factor``, ``evt_ar``, ``aar_est``, ``est_pos``."""

    @property
    def n(self) -> int:
        return int(self.evt_ar.shape[0])

    @property
    def n_evt(self) -> int:
        return int(self.evt_ar.shape[1])

    def member(self, i: int) -> str:
        """'member 3 (A4@2024-12-04)': how error messages name member i."""
        return f"member {i}" + (f" ({self.labels[i]})" if self.labels is not None else "")

    def s2(self, convention: Convention) -> np.ndarray:
        """(N,) estimation-window residual variance s_i^2 (computed once per convention; read-only)."""
        cache = self.__dict__.setdefault("_s2_cache", {})
        if convention not in cache:
            v = self._s2(convention)
            v.flags.writeable = False
            cache[convention] = v
        return cache[convention]

    def _s2(self, convention: Convention) -> np.ndarray:
        if convention == "estudy2":
            # estudy2 uses stats::sd (denominator M_i - 1, demeaned) whatever the model.
            return self.var_est.copy()
        # CLM (1997) eq. 4.4.x / MacKinlay (1997): sum of squared residuals over M_i - k, the OLS
        # (statsmodels) residual variance; the residuals are not demeaned (they have mean 0 by
        # construction when k >= 1, and market-adjusted ARs keep their drift as abnormal).
        return self.row_sumsq / (self.m_i - self.k)

    def sar(self, convention: Convention) -> np.ndarray:
        """(N, L) standardized abnormal returns SAR_it = AR_it / (s_i sqrt(fe_it))."""
        return self.evt_ar / np.sqrt(self.s2(convention)[:, None] * self.fe_factor)

    @cached_property
    def car(self) -> np.ndarray:
        """(N,) cumulative abnormal return over the non-missing event-window rows."""
        return _nan.nsum(self.evt_ar, axis=1, nan=self.evt_has_nan)

    def car_var(self, convention: Convention) -> np.ndarray:
        """(N,) Var(CAR_i) with estimated parameters (CLM 1997 §4.4, METHODS item 3): s_i^2 times
        :attr:`car_factor`."""
        return self.s2(convention) * self.car_factor

    def scar(self, convention: Convention) -> np.ndarray:
        """(N,) standardized CAR.

        clm: CAR_i / sqrt(Var(CAR_i)) with the full CLM variance (cross-day covariance of the
        estimated parameters included; summing daily variances over-rejects, METHODS item 3).
        estudy2 has no CAR Patell/BMP; under ``"estudy2"`` we use the customary
        Σ_t SAR_it / sqrt(L_i) (Patell 1976, as in EventStudyTools), which ignores that covariance.
        """
        if convention == "estudy2":
            return np.nansum(self.sar(convention), axis=1) / np.sqrt(self.l_i)
        return self.car / np.sqrt(self.car_var(convention))


@dataclass(frozen=True, eq=False)
class Panel(_Stats):
    """Abnormal returns of N members, ready for the test battery.

    Parameters
    ----------
    est_ar : (N, M) estimation-window abnormal returns (the model residuals), NaN = missing.
    evt_ar : (N, L) event-window abnormal returns, NaN = missing.
    taus : (L,) event days of the ``evt_ar`` columns (strictly increasing ints).
    est_mkt, evt_mkt : optional (N, M) / (N, L) market returns of each member's rows; with ``k == 2``
        they give the market term of the forecast-error correction (Patell 1976; CLM 1997 §4.4).
    k : number of estimated normal-return parameters: 2 market model, 1 constant mean,
        0 market-adjusted.
    est_dates, evt_dates : optional (N, M) and (N, L) datetime64 calendar dates of the rows, carried
        for the caller (validated, not used by the tests: the Kolari-Pynnönen r̄ aligns the
        residuals in event time, :meth:`Context.cc`).
    labels : optional member names used in error messages.
    fe, car_fe : optional exact forecast-error factors from the fitted model, for models beyond
        the three above (a factor model with k > 2): ``fe`` (N, L) is 1 + x_t'(X'X)^{-1}x_t of each
        event row, ``car_fe`` (N,) is L + g'(X'X)^{-1}g of the window, so that
        Var(AR_it) = s_i^2 fe_it and Var(CAR_i) = s_i^2 car_fe_i.
    cc : optional r̄ of these members (a :class:`~eventstudy.inference.CrossCorrelation` or a
        function returning one, computed when first asked): the pipeline computes a group's r̄
        once and shares it between the group's windows.
    mkt_moments : optional ``(R̄_m, S_mm)``, two (N,) arrays: each member's mean market return and
        sum of squared deviations over its estimation rows with an abnormal return, when the caller
        has them (the fit does, :class:`~eventstudy.models.Fit`); they stand for ``est_mkt`` (pass
        ``evt_mkt`` with them), so the (N, M) market returns need not be laid out for the battery.
    """

    est_ar: np.ndarray
    evt_ar: np.ndarray
    taus: np.ndarray
    est_mkt: np.ndarray | None = None
    evt_mkt: np.ndarray | None = None
    k: int = 2
    est_dates: np.ndarray | None = None
    evt_dates: np.ndarray | None = None
    labels: Sequence[str] | None = field(default=None)
    fe: np.ndarray | None = None
    car_fe: np.ndarray | None = None
    check: bool = True  # False: the members were validated already (rows of a validated panel)
    cc: object = field(default=None, repr=False)
    mkt_moments: tuple[np.ndarray, np.ndarray] | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        est = _as2d("est_ar", self.est_ar)
        n, m = est.shape
        evt = _as2d("evt_ar", self.evt_ar)
        if evt.shape[0] != n:
            raise DataError(f"evt_ar has {evt.shape[0]} members (rows) but est_ar has {n}; pass one row per member "
                            "in both")
        taus = np.asarray(self.taus)
        if taus.ndim != 1 or taus.size != evt.shape[1]:
            raise DataError(f"taus must be 1-D with one entry per evt_ar column ({evt.shape[1]}), "
                            f"got shape {taus.shape}")
        if taus.size and (not np.all(np.equal(np.mod(taus, 1), 0)) or np.any(np.diff(taus) <= 0)):
            raise DataError(f"taus must be strictly increasing integers, got {taus.tolist()}")
        if n == 0 or evt.shape[1] == 0:
            raise DataError("empty panel: need at least one member and one event-window row")
        exact = self.fe is not None and self.car_fe is not None
        if not (isinstance(self.k, (int, np.integer)) and (self.k in (0, 1, 2) or (exact and self.k > 2))):
            raise DataError(f"k={self.k!r}: use 2 (market model), 1 (constant mean) or 0 (market-adjusted); "
                            "a model with more parameters must also pass fe= and car_fe=")
        if self.fe is not None:
            object.__setattr__(self, "fe", _as2d("fe", self.fe, evt.shape))
        if self.car_fe is not None:
            cf = np.asarray(self.car_fe, dtype=float)
            if cf.shape != (n,):
                raise DataError(f"car_fe has shape {cf.shape}, expected ({n},)")
            object.__setattr__(self, "car_fe", cf)
        if self.labels is not None and len(self.labels) != n:
            raise DataError(f"labels has {len(self.labels)} entries for {n} members")
        object.__setattr__(self, "est_ar", est)
        object.__setattr__(self, "evt_ar", evt)
        object.__setattr__(self, "taus", taus.astype(int))
        nan = {}
        for name, arr in (("est_ar", est), ("evt_ar", evt)):
            nan[name] = self._check_finite(name, arr)
        if self.mkt_moments is not None:
            if self.est_mkt is not None:
                raise DataError("pass est_mkt or mkt_moments (its per-member mean and S_mm), not both")
            mom = tuple(np.asarray(v, dtype=float) for v in self.mkt_moments)
            if len(mom) != 2 or any(v.shape != (n,) for v in mom):
                raise DataError(f"mkt_moments must be two arrays of shape ({n},): each member's mean market return "
                                "and sum of squared deviations over its estimation rows")
            object.__setattr__(self, "mkt_moments", mom)
        market = self.est_mkt is not None or self.mkt_moments is not None
        if market != (self.evt_mkt is not None):
            raise DataError("pass both est_mkt and evt_mkt (market returns of the estimation and event rows), "
                            "or mkt_moments with evt_mkt, or neither")
        nan["est_mkt"] = False
        if self.est_mkt is not None:
            em = _as2d("est_mkt", self.est_mkt, est.shape)
            nan["est_mkt"] = self._check_finite("est_mkt", em)
            object.__setattr__(self, "est_mkt", em)
        if self.evt_mkt is not None:
            vm = _as2d("evt_mkt", self.evt_mkt, evt.shape)
            nan["evt_mkt"] = self._check_finite("evt_mkt", vm)
            object.__setattr__(self, "evt_mkt", vm)
        if self.est_dates is not None:
            d = np.asarray(self.est_dates, dtype="datetime64[D]")
            if d.shape != est.shape:
                raise DataError(f"est_dates has shape {d.shape}, expected {est.shape} (one date per estimation row)")
            object.__setattr__(self, "est_dates", d)
        if self.evt_dates is not None:
            d = np.asarray(self.evt_dates, dtype="datetime64[D]")
            if d.shape != evt.shape:
                raise DataError(f"evt_dates has shape {d.shape}, expected {evt.shape} (one date per event-window row)")
            object.__setattr__(self, "evt_dates", d)
        object.__setattr__(self, "_has_nan", nan)
        if self.check:
            self._check_members()

    # ------------------------------------------------------------------ validation
    def _check_finite(self, name: str, a: np.ndarray) -> bool:
        """Raise on an infinite value; return whether ``a`` may hold a NaN (one pass when it is all finite)."""
        if a.size == 0:
            return False
        with np.errstate(all="ignore"):
            total = np.add.reduce(a, axis=None)
        if np.isfinite(total):
            return False
        bad = np.isinf(a)
        if bad.any():
            i, j = np.argwhere(bad)[0]
            raise DataError(
                f"{self.member(int(i))}: {name} has a non-finite value ({a[i, j]}) in column {j}; "
                "replace it by NaN (missing) or drop the member"
            )
        return True  # a non-finite sum without an inf: a NaN (or an overflow, which only costs the NaN-aware path)

    def _check_members(self) -> None:
        m_i = self.m_i
        lw = self.l_i
        for i in np.flatnonzero(m_i == 0):
            raise DataError(f"{self.member(int(i))}: every estimation-window abnormal return is NaN; "
                            "drop the member or supply its returns")
        for i in np.flatnonzero(lw == 0):
            raise DataError(f"{self.member(int(i))}: every event-window abnormal return is NaN; "
                            "drop the member or supply its returns")
        need = self.k + MIN_ROWS_BEYOND_K
        for i in np.flatnonzero(m_i < need):
            raise EstimationWindowError(
                f"{self.member(int(i))}: only {int(m_i[i])} non-missing estimation rows; with k={self.k} estimated "
                f"parameters the tests need at least k+3 = {need} (Patell's variance (M-k)/(M-k-2)); "
                "lengthen the estimation window (e.g. 120-250 sessions) or drop the member"
            )
        s = self.var_est
        for i in np.flatnonzero(~(s > 0)):
            raise DataError(f"{self.member(int(i))}: estimation-window abnormal returns are constant "
                            "(zero variance); check the price data")
        if self.has_market_term:
            for i in np.flatnonzero(~(self._smm > 0)):
                raise DataError(f"{self.member(int(i))}: market return constant over the estimation window "
                                "(S_mm = 0); check est_mkt")
            if self.est_mkt is None:  # moments handed over: the caller's fit counted its rows
                return
            if self._has_nan["est_ar"] or self._has_nan["est_mkt"]:
                both = np.empty(self.n, dtype=np.int64)
                for lo in range(0, self.n, _nan.ROW_CHUNK):
                    sl = slice(lo, lo + _nan.ROW_CHUNK)
                    both[sl] = (~np.isnan(self.est_ar[sl]) & ~np.isnan(self.est_mkt[sl])).sum(axis=1)
            else:
                both = np.full(self.n, self.n_est, dtype=np.int64)
            for i in np.flatnonzero(both < need):
                raise EstimationWindowError(f"{self.member(int(i))}: fewer than {need} estimation rows with both "
                                            "asset and market returns")

    # ------------------------------------------------------------------ shapes
    @property
    def n_est(self) -> int:
        """Number of estimation-window rows M (columns of ``est_ar``)."""
        return int(self.est_ar.shape[1])

    @property
    def est_has_nan(self) -> bool:
        """Whether some estimation-window abnormal return is missing."""
        return self._has_nan["est_ar"]

    @property
    def evt_has_nan(self) -> bool:
        """Whether some event-window abnormal return is missing."""
        return self._has_nan["evt_ar"]

    @cached_property
    def est_missing(self) -> np.ndarray | None:
        """(N, M) where an estimation-window abnormal return is missing (None: none is); found once
        (read only), read by every count, variance and rank of the estimation rows."""
        if not self.est_has_nan:
            return None
        miss = np.isnan(self.est_ar)
        miss.flags.writeable = False
        return miss

    @cached_property
    def est_count(self) -> np.ndarray:
        """(M,) members with a value on each estimation row."""
        miss = self.est_missing
        return _nan.count(self.est_ar, axis=0, nan=False) if miss is None else self.n - np.count_nonzero(miss, axis=0)

    @cached_property
    def m_i(self) -> np.ndarray:
        """(N,) non-missing estimation rows per member (M_i)."""
        miss = self.est_missing
        return _nan.count(self.est_ar, axis=1, nan=False) if miss is None else \
            self.n_est - np.count_nonzero(miss, axis=1)

    @cached_property
    def l_i(self) -> np.ndarray:
        """(N,) non-missing event-window rows per member."""
        return _nan.count(self.evt_ar, axis=1, nan=self.evt_has_nan)

    @cached_property
    def var_est(self) -> np.ndarray:
        """(N,) variance (denominator M_i - 1) of each member's estimation-window abnormal returns."""
        return _nan.nvar(self.est_ar, axis=1, ddof=1, nan=self.est_has_nan, miss=self.est_missing)

    # ------------------------------------------------------------------ market moments
    @cached_property
    def _mkt_moments(self) -> tuple[np.ndarray, np.ndarray]:
        """(R̄_m, S_mm) of each member over its estimation rows with an abnormal return, row
        chunk by row chunk (no (N, M) array kept)."""
        if self.mkt_moments is not None:
            return self.mkt_moments
        nan = self.est_has_nan or self._has_nan["est_mkt"]
        mbar = np.empty(self.n)
        smm = np.empty(self.n)
        for lo in range(0, self.n, _nan.ROW_CHUNK):
            sl = slice(lo, lo + _nan.ROW_CHUNK)
            x = self.est_mkt[sl]
            if self.est_has_nan:
                x = np.where(np.isnan(self.est_ar[sl]), np.nan, x)
            mbar[sl] = _nan.nmean(x, axis=1, nan=nan)
            d = x - mbar[sl, None]
            np.multiply(d, d, out=d)
            smm[sl] = _nan.nsum(d, axis=1, nan=nan)
        return mbar, smm

    @property
    def _mbar(self) -> np.ndarray:
        return self._mkt_moments[0]

    @property
    def _smm(self) -> np.ndarray:
        return self._mkt_moments[1]

    @property
    def has_market_term(self) -> bool:
        """Whether the forecast-error factors include the market term (``k == 2`` with market returns)."""
        return self.k == 2 and (self.est_mkt is not None or self.mkt_moments is not None)

    # ------------------------------------------------------------------ primitives of _Stats
    @cached_property
    def row_sumsq(self) -> np.ndarray:
        """(N,) sum of squared estimation-window residuals."""
        return _nan.row_sumsq(self.est_ar, nan=self.est_has_nan, miss=self.est_missing)

    @cached_property
    def fe_factor(self) -> np.ndarray:
        """(N, L) forecast-error factor 1 + 1/M_i + (R_mt - R̄_m)^2 / S_mm (Patell 1976; CLM 4.4).

        Constant-mean model: 1 + 1/M_i; market-adjusted (nothing estimated): 1. Without market
        returns the market term of the market model is left out (see ``note`` of the results).
        """
        if self.fe is not None:
            return self.fe
        f = np.ones_like(self.evt_ar)
        if self.k >= 1:
            f = f + 1.0 / self.m_i[:, None]
        if self.has_market_term:
            f = f + (self.evt_mkt - self._mbar[:, None]) ** 2 / self._smm[:, None]
        return f

    @cached_property
    def car_factor(self) -> np.ndarray:
        """(N,) Var(CAR_i) / s_i^2: L + L^2/M + (Σ_t (R_mt - R̄_m))^2 / S_mm (market model),
        L + L^2/M (constant mean), L (market-adjusted); L counts member i's non-missing event rows."""
        if self.car_fe is not None:
            return self.car_fe
        lw = self.l_i.astype(float)
        v = lw.copy()
        if self.k >= 1:
            v = v + lw ** 2 / self.m_i
        if self.has_market_term:
            dev = np.where(np.isnan(self.evt_ar), np.nan, self.evt_mkt - self._mbar[:, None])
            v = v + np.nansum(dev, axis=1) ** 2 / self._smm
        return v

    def est_sar(self, convention: Convention) -> np.ndarray:
        """(N, M) estimation-window residuals over s_i (used by GRANK)."""
        return self.est_ar / np.sqrt(self.s2(convention))[:, None]

    @cached_property
    def aar_est(self) -> np.ndarray:
        """(M,) mean over members of each estimation row (NaN where no member has one)."""
        miss = self.est_missing
        if miss is None:
            return _nan.nmean(self.est_ar, axis=0, nan=False)
        total = np.where(miss, 0.0, self.est_ar).sum(axis=0)  # = np.nansum(est_ar, axis=0)
        n = self.est_count
        return np.divide(total, n, out=np.full(total.shape, np.nan), where=n > 0)

    @cached_property
    def est_pos(self) -> np.ndarray:
        """(N,) number of positive estimation-window abnormal returns of each member."""
        return (self.est_ar > 0).sum(axis=1)


@dataclass(frozen=True, eq=False)
class ReducedPanel(_Stats):
    """The battery's inputs for members whose (N, M) estimation arrays were never held together
    (the chunked and Dask engines): per-member vectors and per-row sums made block by block, plus
    the pieces that need several members' estimation rows at once, handed over ready-made:
    ``rank_sums`` (Corrado rank column sums), ``cc`` (r̄ from the members' estimation rows) and
    ``grank`` (a function g -> the GRANK column sums of :func:`nonparametric.grank_partial_sums`,
    streamed over the blocks). Every statistic is then the one a :class:`Panel` of the same members
    gives, up to the order of floating-point sums."""

    evt_ar: np.ndarray
    taus: np.ndarray
    k: int
    n_est: int
    m_i: np.ndarray
    l_i: np.ndarray
    var_est: np.ndarray
    row_sumsq: np.ndarray
    fe_factor: np.ndarray
    car_factor: np.ndarray
    aar_est: np.ndarray
    est_pos: np.ndarray
    est_has_nan: bool
    has_market_term: bool
    rank_sums: dict | None
    cc: object  # () -> CrossCorrelation
    grank: object  # g (N, J) -> (u_sum, n_t), the GRANK column sums over all blocks
    labels: Sequence[str] | None = field(default=None)

    @cached_property
    def evt_has_nan(self) -> bool:
        """Whether some event-window abnormal return is missing."""
        return _nan.has_nan(self.evt_ar)
