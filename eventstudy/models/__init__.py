"""Normal-return models, fitted per member on its estimation window by batched least squares.

Names resolve through one dict, :data:`MODELS`:

* ``constant-mean``   — R_it = mu_i + e_it (k = 1)
* ``market-adjusted`` — R_it = R_mt + e_it: the market model with alpha = 0, beta = 1 fixed (k = 0)
* ``market``          — R_it = alpha_i + beta_i R_mt + e_it, OLS (k = 2)

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

    def columns(self, mkt: np.ndarray) -> list[np.ndarray]:
        """The regressors of the free parameters, one (N, T) array each."""
        raise NotImplementedError

    def design(self, mkt: np.ndarray) -> np.ndarray:
        """(N, T, p) regressors (for short windows; the fit works column by column)."""
        cols = self.columns(mkt)
        return np.stack(cols, axis=-1) if cols else np.zeros(mkt.shape + (0,))

    def offset(self, ret: np.ndarray, mkt: np.ndarray) -> np.ndarray:
        """Part of the normal return that is fixed, not estimated (the market for market-adjusted)."""
        return np.zeros_like(ret)

    def fit(
        self, ret: np.ndarray, mkt: np.ndarray, est_cols: np.ndarray, *, min_obs: int,
        exclude: np.ndarray | None = None,
    ) -> Fit:
        """Fit every member on its estimation rows ``est_cols``; ``exclude`` (N, M) drops rows
        (e.g. days inside other events' windows, see :func:`eventstudy.panel.other_event_mask`)."""
        y = ret[:, est_cols] - self.offset(ret[:, est_cols], mkt[:, est_cols])
        xs = self.columns(mkt[:, est_cols])
        use = np.isfinite(y)
        for x in xs:
            use &= np.isfinite(x)
        if self.needs_market:
            use &= np.isfinite(mkt[:, est_cols])
        if exclude is not None:
            use &= ~exclude
        m = use.sum(axis=1)
        short = m < max(min_obs, self.k + 1)
        if short.any():
            raise EstimationWindowError._short(np.flatnonzero(short), m, max(min_obs, self.k + 1))
        yz = np.where(use, y, 0.0)
        xz = [np.where(use, x, 0.0) for x in xs]
        p = len(xz)
        # normal equations from (N, T) column products: no (N, T, p) array is ever built
        xtx = np.empty((len(y), p, p))
        xty = np.empty((len(y), p))
        for a in range(p):
            xty[:, a] = (xz[a] * yz).sum(axis=1)
            for b in range(a, p):
                xtx[:, a, b] = xtx[:, b, a] = (xz[a] * xz[b]).sum(axis=1)
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
            fitted = sum(xz[a] * params[:, a : a + 1] for a in range(p))
            resid = np.where(use, yz - fitted, 0.0)
        else:
            xtx_inv = xtx
            params = xty
            resid = yz
        dof = m - self.k
        s2 = (resid**2).sum(axis=1) / np.where(dof > 0, dof, np.nan)
        mk = np.where(use, mkt[:, est_cols], np.nan) if self.needs_market else np.full_like(y, np.nan)
        with np.errstate(invalid="ignore"):
            mkt_mean = np.nanmean(mk, axis=1) if self.needs_market else np.full(len(y), np.nan)
            mkt_ssd = np.nansum((mk - mkt_mean[:, None]) ** 2, axis=1) if self.needs_market else np.full(len(y), np.nan)
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
        return [np.ones(mkt.shape)]


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
        return [np.ones(mkt.shape), mkt]


MODELS: dict[str, type[NormalReturnModel]] = {c.name: c for c in (ConstantMean, MarketAdjusted, MarketModel)}


def get_model(model: str | NormalReturnModel) -> NormalReturnModel:
    if isinstance(model, NormalReturnModel):
        return model
    try:
        return MODELS[model]()
    except KeyError:
        raise EstimationWindowError(f"model={model!r} is unknown; pass one of {list(MODELS)}") from None
