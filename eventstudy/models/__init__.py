"""Normal-return models, fitted per member on its estimation window by batched least squares.

Names resolve through one dict, :data:`MODELS`:

* ``constant-mean``   — R_it = mu_i + e_it (k = 1)
* ``market-adjusted`` — R_it = R_mt + e_it: the market model with alpha = 0, beta = 1 fixed (k = 0)
* ``market``          — R_it = alpha_i + beta_i R_mt + e_it, OLS (k = 2)
* :class:`FactorModel` — R_it = a_i + sum_f sum_{l=-L..L} b_ifl F_f,t-l + e_it: user-supplied
  regressors (a world index, the yuan, ...), optionally with Dimson (1979) leads and lags of each
  for markets whose closes are not synchronous with the factors' (k = 1 + F(2L + 1)); the
  Dimson beta of factor f is sum_l b_ifl (:meth:`FactorModel.betas`).

All share one fit: ordinary least squares on each member's estimation rows with both the asset
and the regressors present, solved for all members at once from their normal equations.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from ..errors import EstimationWindowError


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


@dataclass(frozen=True)
class NormalReturnModel:
    """Base: a design matrix from the market return; subclasses fix which columns are free."""

    name: ClassVar[str] = "model"
    k: ClassVar[int] = 0
    needs_market: ClassVar[bool] = True

    def regressors(self, panel) -> np.ndarray:
        """What :meth:`columns` is built from: the panel's market returns (N, T)."""
        return panel.mkt

    def columns(self, mkt: np.ndarray) -> list[np.ndarray]:
        """The regressors of the free parameters, one (N, T) array (or broadcast view) each,
        over the panel's full tau range (leads and lags need the neighbouring rows)."""
        raise NotImplementedError

    def design(self, mkt: np.ndarray, cols) -> np.ndarray:
        """(N, len(cols), p) regressors on the columns ``cols`` (short windows only)."""
        xs = [x[:, cols] for x in self.columns(mkt)]
        n = mkt.shape[0]
        width = len(range(*cols.indices(mkt.shape[1]))) if isinstance(cols, slice) else len(cols)
        return np.stack(xs, axis=-1) if xs else np.zeros((n, width, 0))

    def offset(self, ret: np.ndarray, mkt: np.ndarray) -> np.ndarray:
        """Part of the normal return that is fixed, not estimated (the market for market-adjusted)."""
        return np.zeros_like(ret)

    def fit(
        self, ret: np.ndarray, mkt: np.ndarray, est_cols: np.ndarray, *, min_obs: int,
        exclude: np.ndarray | None = None,
    ) -> Fit:
        """Fit every member on its estimation rows ``est_cols``; ``exclude`` (N, M) drops rows
        (e.g. days inside other events' windows, see :func:`eventstudy.panel.other_event_mask`)."""
        y = ret[:, est_cols] - self.offset(ret, mkt)[:, est_cols]
        xs = [x[:, est_cols] for x in self.columns(mkt)]
        use = np.isfinite(y)
        for x in xs:
            use &= np.isfinite(x)
        if self.needs_market and mkt.ndim == 2:
            use &= np.isfinite(mkt[:, est_cols])
        if exclude is not None:
            use &= ~exclude
        m = use.sum(axis=1)
        short = m < max(min_obs, self.k + 1)
        if short.any():
            raise EstimationWindowError._short(np.flatnonzero(short), m, max(min_obs, self.k + 1))
        yz = np.where(use, y, 0.0)
        xz = [np.where(use, x, 0.0) for x in xs]
        del y, xs
        p = len(xz)
        # normal equations from (N, T) column products (einsum: no temporaries, no (N, T, p) array)
        xtx = np.empty((len(yz), p, p))
        xty = np.empty((len(yz), p))
        for a in range(p):
            xty[:, a] = np.einsum("nt,nt->n", xz[a], yz)
            for b in range(a, p):
                xtx[:, a, b] = xtx[:, b, a] = np.einsum("nt,nt->n", xz[a], xz[b])
        if p:
            eig = np.linalg.eigvalsh(xtx)  # symmetric: cheaper than cond() (an SVD per member)
            with np.errstate(divide="ignore", invalid="ignore"):
                cond = eig[:, -1] / eig[:, 0]
            if (~np.isfinite(cond) | (cond <= 0) | (cond > 1e12)).any():
                bad = np.flatnonzero(~np.isfinite(cond) | (cond <= 0) | (cond > 1e12))
                raise EstimationWindowError(
                    f"member(s) {bad[:5].tolist()}: the market return is constant over the estimation "
                    "window, so beta is not identified; use model='constant-mean' or a longer window"
                )
            xtx_inv = np.linalg.inv(xtx)
            params = (xtx_inv @ xty[:, :, None])[:, :, 0]
            resid = yz  # in place: the zeros outside `use` stay zero (x is zero there too)
            for a in range(p):
                resid -= xz[a] * params[:, a : a + 1]
        else:
            xtx_inv = xtx
            params = xty
            resid = yz
        del xz
        dof = m - self.k
        s2 = np.einsum("nt,nt->n", resid, resid) / np.where(dof > 0, dof, np.nan)
        del resid
        if self.needs_market and mkt.ndim == 2:
            mk = np.where(use, mkt[:, est_cols], 0.0)
            mkt_mean = mk.sum(axis=1) / m
            mk -= mkt_mean[:, None]
            mk *= use
            mkt_ssd = np.einsum("nt,nt->n", mk, mk)
            del mk
        else:
            mkt_mean = mkt_ssd = np.full(len(s2), np.nan)
        return Fit(params, s2, m, self.k, mkt_mean, mkt_ssd, xtx_inv)

    def predict(self, fit: Fit, ret: np.ndarray, mkt: np.ndarray) -> np.ndarray:
        out = self.offset(ret, mkt).astype(float, copy=True)
        for a, x in enumerate(self.columns(mkt)):
            out += x * fit.params[:, a : a + 1]
        return out


@dataclass(frozen=True)
class ConstantMean(NormalReturnModel):
    name: ClassVar[str] = "constant-mean"
    k: ClassVar[int] = 1
    needs_market: ClassVar[bool] = False

    def columns(self, mkt: np.ndarray) -> list[np.ndarray]:
        return [np.broadcast_to(1.0, mkt.shape[:2])]  # a read-only view: no (N, T) array of ones


@dataclass(frozen=True)
class MarketAdjusted(NormalReturnModel):
    name: ClassVar[str] = "market-adjusted"
    k: ClassVar[int] = 0

    def columns(self, mkt: np.ndarray) -> list[np.ndarray]:
        return []

    def offset(self, ret: np.ndarray, mkt: np.ndarray) -> np.ndarray:
        return mkt


@dataclass(frozen=True)
class MarketModel(NormalReturnModel):
    name: ClassVar[str] = "market"
    k: ClassVar[int] = 2

    def columns(self, mkt: np.ndarray) -> list[np.ndarray]:
        return [np.broadcast_to(1.0, mkt.shape), mkt]


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
        if not self.factors:
            raise EstimationWindowError("FactorModel needs factors=(...) tickers, e.g. ('ACWI', 'CNY=X')")
        if self.lags < 0:
            raise EstimationWindowError(f"lags={self.lags}: pass 0 (no Dimson terms) or a positive number")
        object.__setattr__(self, "factors", tuple(self.factors))

    @property
    def k(self) -> int:  # type: ignore[override]
        return 1 + len(self.factors) * (2 * self.lags + 1)

    def regressors(self, panel) -> np.ndarray:
        if panel.factors is None or tuple(panel.factor_names) != self.factors:
            raise EstimationWindowError(f"the panel was built without factors {self.factors}; pass them to build_panel")
        return panel.factors

    def columns(self, fac: np.ndarray) -> list[np.ndarray]:
        out = [np.broadcast_to(1.0, fac.shape[:2])]
        for f in range(fac.shape[2]):
            x = fac[:, :, f]
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

    def betas(self, fit: Fit) -> np.ndarray:
        """(N, F) Dimson betas: the sum of each factor's lead, contemporaneous and lag slopes."""
        w = 2 * self.lags + 1
        return fit.params[:, 1:].reshape(len(fit.params), len(self.factors), w).sum(axis=2)


MODELS: dict[str, type[NormalReturnModel]] = {c.name: c for c in (ConstantMean, MarketAdjusted, MarketModel)}
"""Models constructible from a name alone; :class:`FactorModel` needs its factors (pass an instance)."""


def get_model(model: str | NormalReturnModel) -> NormalReturnModel:
    if isinstance(model, NormalReturnModel):
        return model
    try:
        return MODELS[model]()
    except KeyError:
        raise EstimationWindowError(f"model={model!r} is unknown; pass one of {list(MODELS)}") from None
