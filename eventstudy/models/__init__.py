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

    def design(self, mkt: np.ndarray) -> np.ndarray:
        """(N, T, p) regressors for the free parameters."""
        raise NotImplementedError

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
        x = self.design(mkt[:, est_cols])
        use = np.isfinite(y) & (np.isfinite(x).all(axis=2) if x.shape[2] else True)
        if exclude is not None:
            use &= ~exclude
        if self.needs_market:
            use &= np.isfinite(mkt[:, est_cols])
        m = use.sum(axis=1)
        short = m < max(min_obs, self.k + 1)
        if short.any():
            raise EstimationWindowError._short(np.flatnonzero(short), m, max(min_obs, self.k + 1))
        yz = np.where(use, y, 0.0)
        xz = np.where(use[:, :, None], x, 0.0)
        p = x.shape[2]
        if p:
            xtx = np.einsum("ntp,ntq->npq", xz, xz)
            xty = np.einsum("ntp,nt->np", xz, yz)
            cond = np.linalg.cond(xtx)
            if (~np.isfinite(cond) | (cond > 1e12)).any():
                bad = np.flatnonzero(~np.isfinite(cond) | (cond > 1e12))
                raise EstimationWindowError(
                    f"member(s) {bad[:5].tolist()}: the market return is constant over the estimation "
                    "window, so beta is not identified; use model='constant-mean' or a longer window"
                )
            xtx_inv = np.linalg.inv(xtx)
            params = np.einsum("npq,nq->np", xtx_inv, xty)
            resid = np.where(use, y - np.einsum("ntp,np->nt", x, params), 0.0)
        else:
            xtx_inv = np.zeros((len(y), 0, 0))
            params = np.zeros((len(y), 0))
            resid = yz
        dof = m - self.k
        s2 = (resid**2).sum(axis=1) / np.where(dof > 0, dof, np.nan)
        mk = np.where(use, mkt[:, est_cols], np.nan) if self.needs_market else np.full_like(y, np.nan)
        with np.errstate(invalid="ignore"):
            mkt_mean = np.nanmean(mk, axis=1) if self.needs_market else np.full(len(y), np.nan)
            mkt_ssd = np.nansum((mk - mkt_mean[:, None]) ** 2, axis=1) if self.needs_market else np.full(len(y), np.nan)
        return Fit(params, s2, m, self.k, mkt_mean, mkt_ssd, xtx_inv)

    def predict(self, fit: Fit, ret: np.ndarray, mkt: np.ndarray) -> np.ndarray:
        x = self.design(mkt)
        base = self.offset(ret, mkt)
        if x.shape[2] == 0:
            return base
        return base + np.einsum("ntp,np->nt", x, fit.params)


@dataclass(frozen=True)
class ConstantMean(NormalReturnModel):
    name: ClassVar[str] = "constant-mean"
    k: ClassVar[int] = 1
    needs_market: ClassVar[bool] = False

    def design(self, mkt: np.ndarray) -> np.ndarray:
        return np.ones(mkt.shape + (1,))


@dataclass(frozen=True)
class MarketAdjusted(NormalReturnModel):
    name: ClassVar[str] = "market-adjusted"
    k: ClassVar[int] = 0

    def design(self, mkt: np.ndarray) -> np.ndarray:
        return np.zeros(mkt.shape + (0,))

    def offset(self, ret: np.ndarray, mkt: np.ndarray) -> np.ndarray:
        return mkt


@dataclass(frozen=True)
class MarketModel(NormalReturnModel):
    name: ClassVar[str] = "market"
    k: ClassVar[int] = 2

    def design(self, mkt: np.ndarray) -> np.ndarray:
        return np.stack([np.ones_like(mkt), mkt], axis=-1)


MODELS: dict[str, type[NormalReturnModel]] = {c.name: c for c in (ConstantMean, MarketAdjusted, MarketModel)}


def get_model(model: str | NormalReturnModel) -> NormalReturnModel:
    if isinstance(model, NormalReturnModel):
        return model
    try:
        return MODELS[model]()
    except KeyError:
        raise EstimationWindowError(f"model={model!r} is unknown; pass one of {list(MODELS)}") from None
