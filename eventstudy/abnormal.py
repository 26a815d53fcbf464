"""Abnormal returns, CAR and BHAR per member, with the prediction-error variance of CAR.

Var(CAR_i) over a window of L days (Campbell, Lo & MacKinlay 1997, sec. 4.4; METHODS.md item 3)
is s_i^2 [L + g_i' (X_i'X_i)^{-1} g_i], where g_i is the sum over the window of the member's
regressor rows and X_i its estimation-window design. For the market model this is
s^2 [L + L^2/M + (sum_t (R_mt - mean R_m))^2 / S_mm]; for the constant mean s^2 (L + L^2/M); for
market-adjusted (nothing estimated) s^2 L. Summing the daily variances instead ignores the
covariance that shared estimated parameters induce and over-rejects (HKUDS/Vibe-Trading#1466).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from .arrays import chunk_map
from .eventtime import EventTimePanel
from .models import ROW_BLOCK, Fit, NormalReturnModel, members_apart
from .windows import Window


def abnormal(panel: EventTimePanel, model: NormalReturnModel, fit: Fit) -> tuple[np.ndarray, np.ndarray]:
    """(normal, abnormal) returns, (N, T), for every tau of the panel.

    Parameters
    ----------
    panel
        The event-time panel the model was fitted on.
    model, fit
        The normal-return model and its fit.

    Returns
    -------
    (normal, ar)
        Two (N, T) arrays; NaN where a row has no return (or no regressor).
    """
    ret, reg = panel.ret, model.regressors(panel)
    if not members_apart(model):  # a user's model may read other members' rows: the whole panel at once
        normal = model.predict(fit, ret, reg)
        return normal, ret - normal
    normal, ar = np.empty(ret.shape), np.empty(ret.shape)

    def block(sl: slice) -> None:  # every member's normal return is its own: blocks of members on the cores
        normal[sl] = model.predict(fit.subset(sl), ret[sl], reg[sl])
        np.subtract(ret[sl], normal[sl], out=ar[sl])

    chunk_map(block, len(ret), ROW_BLOCK)
    return normal, ar


def forecast_factors(panel: EventTimePanel, model: NormalReturnModel, fit: Fit,
                     window: Window) -> tuple[np.ndarray, np.ndarray]:
    """Prediction-error factors of each member's AR and CAR over a window.

    ``fe`` (N, L) with Var(AR_it) = s_i^2 fe_it, i.e. 1 + x_t'(X'X)^{-1}x_t, and ``car_fe`` (N,)
    with Var(CAR_i) = s_i^2 car_fe_i, i.e. L + g'(X'X)^{-1}g where g sums the window's regressor
    rows (Campbell, Lo & MacKinlay 1997, sec. 4.4). A model with nothing estimated
    (market-adjusted, p = 0) has ``fe`` = 1 and ``car_fe`` = L.

    Parameters
    ----------
    panel : EventTimePanel
        The event-time panel the model was fitted on (N members).
    model : NormalReturnModel
        The normal-return model; :meth:`~NormalReturnModel.design` gives the window's regressor rows.
    fit : Fit
        Its fit on the estimation window (``xtx_inv`` (N, p, p), ``s2`` (N,)).
    window : Window
        Event window (offsets, inclusive); L is the number of panel columns it covers (for the
        events' own windows, :class:`~eventstudy.windows.EventWindows`, each member's own L_i and
        g_i over its own rows).

    Returns
    -------
    fe : ndarray, shape (N, L)
        ``1 + x_it'(X_i'X_i)^{-1} x_it`` for every member and window row.
    car_fe : ndarray, shape (N,)
        ``L + g_i'(X_i'X_i)^{-1} g_i``, g_i the sum over the window of member i's regressor rows.
    """
    cols = panel.cols(window)
    own = panel.in_window(window)  # the events' own windows: each member sums its own rows only
    length = own.sum(axis=1).astype(float) if own is not None else np.full(len(fit.s2), float(len(cols)))
    x = model.design(model.regressors(panel), cols)
    if x.shape[2] == 0:
        return np.ones((len(fit.s2), len(cols))), length
    fe = 1.0 + np.einsum("nlp,npq,nlq->nl", x, fit.xtx_inv, x)
    g = (x * own[:, :, None]).sum(axis=1) if own is not None else x.sum(axis=1)
    return fe, length + np.einsum("np,npq,nq->n", g, fit.xtx_inv, g)


def car_variance(panel: EventTimePanel, model: NormalReturnModel, fit: Fit, window: Window) -> np.ndarray:
    """CLM variance of each member's CAR over ``window`` (inclusive), shape (N,).

    Parameters
    ----------
    panel, model, fit
        As for :func:`abnormal`.
    window
        Event window (offsets, inclusive).

    Returns
    -------
    ndarray (N,)
        ``s_i^2 [L + g_i'(X_i'X_i)^{-1} g_i]``.
    """
    return fit.s2 * forecast_factors(panel, model, fit, window)[1]


def _flag(status: np.ndarray, mask: np.ndarray, cols: np.ndarray, item, prefix: str, suffix: str) -> np.ndarray:
    """Append ``prefix + item(member, panel column) ... + suffix`` to the status of each member with a
    True in ``mask`` (whose columns are the panel columns ``cols``)."""
    if not mask.any():
        return status
    extra = [prefix + ",".join(item(i, c) for c in cols[row]) + suffix if row.any() else ""
             for i, row in enumerate(mask)]
    return np.array([s + e for s, e in zip(status, extra)], dtype=object).astype(str)


def car_table(
    panel: EventTimePanel,
    model: NormalReturnModel,
    fit: Fit,
    ar: np.ndarray,
    normal: np.ndarray,
    windows: Sequence[Window],
    *,
    kind: str = "simple",
    sign: np.ndarray | None = None,
) -> pd.DataFrame:
    """CAR, its standard error, t, two-sided p-value (t with M-k df) and BHAR per member and window.

    A member whose window has a missing return (past the end of the data, say) gets NaN numbers
    and a ``status`` that says why; it is never dropped.

    Parameters
    ----------
    panel, model, fit
        As for :func:`abnormal`.
    ar, normal
        The (N, T) arrays :func:`abnormal` returned.
    windows
        Event windows, each a :class:`~eventstudy.windows.Window` (or a pair of offsets).
    kind
        ``"simple"`` or ``"log"`` returns (how BHAR compounds).
    sign
        Each member's sign when ``ar`` is signed (:attr:`EventStudy.sign`): the BHAR, compounded
        from the returns, is signed with it.

    Returns
    -------
    DataFrame
        Window-major, members in panel order: ``event_id, asset, window, car, se, t, pvalue,
        bhar, n_est, status``.
    """
    from scipy.special import stdtr  # scipy.stats would cost 0.5 s at import

    parts = []
    for w in map(Window.parse, windows):
        cols = panel.cols(w)
        r = panel.ret[:, cols]
        a, n_w = ar[:, cols], normal[:, cols]
        own = panel.in_window(w)  # the events' own windows: rows outside a member's own are not its window
        inside = np.ones(a.shape, dtype=bool) if own is None else own
        no_window = np.zeros(len(a), dtype=bool) if own is None else ~own.any(axis=1)
        r, a, n_w = np.where(inside, r, 0.0), np.where(inside, a, 0.0), np.where(inside, n_w, 0.0)
        missing = ~np.isfinite(a)
        car = a.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            se = np.sqrt(car_variance(panel, model, fit, w))
            t = car / se
        df = fit.m - fit.k
        p = 2 * stdtr(df, -np.abs(t))  # = scipy.stats.t.sf(|t|, df), the same function
        if kind == "simple":
            bhar = np.prod(1 + r, axis=1) - np.prod(1 + n_w, axis=1)
        else:  # log returns: compound by exponentiating the sums
            bhar = np.exp(r.sum(axis=1)) - np.exp(n_w.sum(axis=1))
        if sign is not None:
            bhar = bhar * sign
        status = np.full(len(missing), "ok", dtype=object)
        for i in np.flatnonzero(missing.any(axis=1)):  # text only for the members it concerns
            status[i] = "no return on tau " + ",".join(str(panel.taus[c]) for c in cols[missing[i]])
        status[no_window] = "no window of its own (window_start, window_end empty)"
        status = status.astype(str)
        if panel.spans is not None:  # a return across a missing price covers more than one session
            status = _flag(status, (panel.spans[:, cols] > 1) & inside, cols,
                           lambda i, c: f"{panel.taus[c]} spans {panel.spans[i, c]} sessions",
                           "; return on tau ", " (missing price)")
        # an exactly unchanged price inside the window is usually a stale quote (Yahoo's CNY=X on
        # Chinese holidays, a vendor's repeated row): flag it, the numbers stay as computed
        stale = (r == 0) & ~missing & inside
        status = _flag(status, stale, cols, lambda i, c: str(panel.taus[c]), "; unchanged price on tau ",
                       " (stale quote?)")
        bad = missing.any(axis=1) | no_window
        parts.append(pd.DataFrame({
            "event_id": panel.members["event_id"].array,
            "asset": panel.members["asset"].array,
            "window": w.label,
            "car": np.where(bad, np.nan, car),
            "se": np.where(bad, np.nan, se),
            "t": np.where(bad, np.nan, t),
            "pvalue": np.where(bad, np.nan, p),
            "bhar": np.where(bad, np.nan, bhar),
            "n_est": fit.m,
            "status": status,
        }))
    return pd.concat(parts, ignore_index=True)
