"""Step 2 of the fit: estimate. The event-time panel of some members, the clean-estimation mask,
the minimum-observations rule, the model fit, abnormal returns, CAR/BHAR and the fitted
parameters -- for all members at once (in memory) or one block at a time (chunked, Dask), by the
same function.

It also gives the results' on-demand views: the tidy abnormal-return rows of the estimation and
event windows (:func:`ar_rows`) and the estimation days left out for other events' windows
(:func:`excluded_days`), recomputed from the prepared inputs block by block, so that every engine
returns the same result schema without keeping an (N, T) panel.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..abnormal import abnormal, car_table
from ..eventtime import EventTimePanel, build_panel, rows_of, window_day_mask
from ..models import Fit
from .prepare import Plan, Prepared

EXCLUDED_REASON = "inside another event's window on this asset"
AR_COLUMNS = ["member", "event_id", "asset", "tau", "date", "ret", "normal", "ar", "part"]
CELLS_PER_BLOCK = 4_000_000
"""Panel cells (members x taus) per block when the on-demand views recompute rows."""


@dataclass
class Estimate:
    """Model fit, AR and CAR of a set of members (all of them, or one block).

    ``panel`` holds the members that passed the minimum-observations rule; ``keep`` (N_in,) says
    which input members those are and ``short`` lists the others as (input position, reason).
    """

    panel: EventTimePanel
    keep: np.ndarray
    short: list
    mask: np.ndarray | None  # (N, M) estimation rows inside other events' windows
    est_cols: slice
    fit: Fit | None
    normal: np.ndarray | None
    ar: np.ndarray | None
    car: pd.DataFrame | None


def estimate(plan: Plan, members: pd.DataFrame, panel: EventTimePanel,
             window_days: pd.DataFrame | None) -> Estimate:
    """Clean estimation windows, the minimum-observations rule, the fit, AR and the CAR table.

    Parameters
    ----------
    plan
        The study's :class:`~eventstudy.pipeline.prepare.Plan`.
    members
        The members of ``panel`` (one row each).
    panel
        Their event-time panel (:func:`eventstudy.eventtime.build_panel`).
    window_days
        Event-window days of every member of the study on each asset (None: estimation windows
        are not cleaned).

    Returns
    -------
    Estimate
    """
    model, est = plan.model, plan.estimation
    est_cols = panel.span(est)  # a slice: the (N, M) estimation blocks below are views
    mask = window_day_mask(panel, est_cols, window_days) if window_days is not None else None
    reg = model.regressors(panel)
    _, _, usable = model.observed(panel.ret, reg, est_cols)
    if mask is not None:
        usable &= ~mask
    n_usable = usable.sum(axis=1)
    short = n_usable < plan.min_obs
    need = (f"min_estimation={plan.min_estimation}" if plan.min_obs == plan.min_estimation else
            f"fewer than {plan.min_obs}: a model with {model.k} parameter(s) needs k + 3 = {plan.min_obs} for the "
            f"Patell variance, above min_estimation={plan.min_estimation}")
    reasons = [(int(i), f"{int(n_usable[i])} estimation observations in {est.label} ({need})")
               for i in np.flatnonzero(short)]
    keep = ~short
    if not keep.any():
        return Estimate(panel, keep, reasons, mask, est_cols, None, None, None, None)
    if short.any():
        members, panel, mask = _subset(members, panel, mask, keep)
        usable = usable[keep]
        reg = model.regressors(panel)
    fit = model.fit(panel.ret, reg, est_cols, min_obs=plan.min_obs, exclude=mask, strict=False)
    degenerate, why = degenerate_fits(model, panel, usable, est_cols, fit)
    del usable
    if degenerate.any():  # drop them and fit the others again (each member's fit is its own)
        kept = np.flatnonzero(keep)
        reasons = sorted(reasons + [(int(kept[i]), why[i]) for i in np.flatnonzero(degenerate)])
        keep[kept[degenerate]] = False
        if not keep.any():
            return Estimate(panel, keep, reasons, mask, est_cols, None, None, None, None)
        members, panel, mask = _subset(members, panel, mask, ~degenerate)
        reg = model.regressors(panel)
        fit = model.fit(panel.ret, reg, est_cols, min_obs=plan.min_obs, exclude=mask)
    normal, ar = abnormal(panel, model, fit)
    sign = None
    if plan.sign:  # signed abnormal returns (EventStudy.sign): every row of a member times its sign
        sign = np.sign(pd.to_numeric(panel.members[plan.sign]).to_numpy(dtype=float))
        ar = ar * sign[:, None]
    car = car_table(panel, model, fit, ar, normal, plan.windows, kind=plan.returns, sign=sign)
    return Estimate(panel, keep, reasons, mask, est_cols, fit, normal, ar, car)


DEGENERATE_RATIO = 1e-8
"""A fit whose residual SD is at most this fraction of the SD of the asset's own estimation
returns is degenerate: the asset moves exactly with its benchmark or factors (an identical or
proportional price series), or does not move at all, and its residuals are rounding noise."""


def degenerate_fits(model, panel: EventTimePanel, usable: np.ndarray, est_cols: slice,
                    fit: Fit) -> tuple[np.ndarray, dict[int, str]]:
    """Which members' fits are degenerate (:data:`DEGENERATE_RATIO`) or not identified
    (:attr:`~eventstudy.models.Fit.unidentified`), and the reason for each.

    A t statistic divides by the residual SD; at rounding level (1e-17 for an asset identical to
    its benchmark) it is noise, not evidence, and it would enter every pooled statistic.

    Parameters
    ----------
    model : NormalReturnModel
        The study's model.
    panel : EventTimePanel
        The members' event-time panel.
    usable : ndarray of bool, shape (N, M)
        The estimation rows each fit used (observed, outside other events' windows).
    est_cols : slice
        Panel columns of the estimation window.
    fit : Fit
        The members' fit (``strict=False``).

    Returns
    -------
    mask : ndarray of bool, shape (N,)
    reasons : dict of int to str
        The reason of each member the mask marks.
    """
    sigma = np.sqrt(fit.s2)
    m = np.maximum(usable.sum(axis=1), 1)
    # the return SD is at most its root mean square: only the rows below that bound need the SD itself
    if fit.ss_y is not None and not model.has_offset:  # the fit summed the squared returns already
        ss = fit.ss_y
    else:
        yz = np.where(usable, panel.ret[:, est_cols], 0.0)
        ss = np.einsum("nt,nt->n", yz, yz)
        del yz
    rms = np.sqrt(ss / m)
    rows = np.flatnonzero(np.isfinite(sigma) & (sigma <= DEGENERATE_RATIO * rms))
    y = np.where(usable[rows], panel.ret[rows][:, est_cols], np.nan)
    sd = np.full(len(sigma), np.nan)
    if rows.size:
        sd[rows] = np.sqrt(np.nanmean((y - np.nanmean(y, axis=1, keepdims=True)) ** 2, axis=1))
    bad = np.zeros(len(sigma), dtype=bool)
    bad[rows] = sigma[rows] <= DEGENERATE_RATIO * sd[rows]
    if fit.unidentified is not None:
        bad |= fit.unidentified
    regressors = ", ".join(getattr(model, "factors", ())) or "the benchmark"
    reasons = {}
    for i in np.flatnonzero(bad):
        if fit.unidentified is not None and fit.unidentified[i]:
            reasons[i] = (f"model not identified: its regressors ({regressors}, with the intercept) are constant or "
                          "collinear over the estimation rows; drop a factor, use model='constant-mean' or a longer "
                          "window")
        elif not sd[i] > 0:
            reasons[i] = ("degenerate fit: the asset's estimation returns do not vary (a constant price), so no "
                          "abnormal return can be scaled")
        else:
            reasons[i] = (f"degenerate fit: residual SD {sigma[i]:.1e} is rounding noise ({sigma[i] / sd[i]:.0e} of "
                          "the return SD): the asset moves exactly with its benchmark or factors (identical or "
                          "proportional prices?), so any t statistic would be noise")
    return bad, reasons


def _subset(members: pd.DataFrame, panel: EventTimePanel, mask: np.ndarray | None,
            keep: np.ndarray) -> tuple[pd.DataFrame, EventTimePanel, np.ndarray | None]:
    members = members[keep].reset_index(drop=True)
    panel = dataclasses.replace(
        panel, members=members, ret=panel.ret[keep], mkt=panel.mkt[keep], rows=panel.rows.subset(keep),
        factors=None if panel.factors is None else panel.factors[keep],
        spans=None if panel.spans is None else panel.spans[keep])
    return members, panel, mask[keep] if mask is not None else None


def params_frame(plan: Plan, e: Estimate) -> pd.DataFrame:
    """The fitted parameters per member: ``event_id, asset, n_est, n_excluded, est_first,
    est_last, sigma, df`` and one column per parameter (:attr:`NormalReturnModel.param_names`),
    plus ``dimson_beta[F]`` per factor for a factor model with leads and lags.

    Parameters
    ----------
    plan : Plan
        The study's plan (its model).
    e : Estimate
        A fitted estimate (``fit`` not None).

    Returns
    -------
    DataFrame
        One row per member of ``e.panel``: ``n_est`` estimation rows used, ``n_excluded`` rows
        inside other events' windows, ``est_first``/``est_last`` the first and last date used
        (NaT when none), ``sigma`` = s_i, ``df`` = M_i - k, then the parameters.
    """
    model, fit, panel = plan.model, e.fit, e.panel
    n = len(panel.members)
    used = np.isfinite(e.ar[:, e.est_cols])
    if e.mask is not None:
        used &= ~e.mask
    any_used = used.any(axis=1)
    rows, dates = panel.rows, panel.rows.dates  # the date of a used row, from the return frame
    first = np.where(any_used, dates[np.where(any_used, rows.start + e.est_cols.start + used.argmax(axis=1), 0)],
                     np.datetime64("NaT"))
    last = np.where(any_used, dates[np.where(any_used, rows.start + e.est_cols.stop - 1 - used[:, ::-1].argmax(axis=1),
                                             0)], np.datetime64("NaT"))
    out = {
        "event_id": panel.members["event_id"].array,
        "asset": panel.members["asset"].array,
        "n_est": fit.m.astype(np.int64),
        "n_excluded": (e.mask.sum(axis=1) if e.mask is not None else np.zeros(n)).astype(np.int64),
        "est_first": pd.DatetimeIndex(first.astype("datetime64[ns]")),
        "est_last": pd.DatetimeIndex(last.astype("datetime64[ns]")),
        "sigma": np.sqrt(fit.s2),
        "df": (fit.m - fit.k).astype(np.int64),
    }
    for j, name in enumerate(model.param_names):
        out[name] = fit.params[:, j]
    lags = getattr(model, "lags", 0)
    if lags and hasattr(model, "betas"):
        for f, b in zip(model.factors, model.betas(fit).T):
            out[f"dimson_beta[{f}]"] = b
    return pd.DataFrame(out)


def event_rows(plan: Plan, e: Estimate) -> dict[str, np.ndarray]:
    """The event-window rows of an estimate as arrays (what every engine keeps for the views).

    Parameters
    ----------
    plan : Plan
        The study's plan (its windows).
    e : Estimate
        A fitted estimate.

    Returns
    -------
    dict of ndarray
        ``taus`` (L,), ``dates``, ``ret``, ``normal``, ``ar`` (N, L) over the union of the windows.
    """
    cols = np.unique(np.concatenate([e.panel.cols(w) for w in plan.windows]))
    return {"taus": e.panel.taus[cols], "dates": e.panel.dates_at(cols), "ret": e.panel.ret[:, cols],
            "normal": e.normal[:, cols], "ar": e.ar[:, cols]}


def tidy_rows(members: pd.DataFrame, member: np.ndarray, taus: np.ndarray, arrays: dict[str, np.ndarray],
              part: np.ndarray | str) -> pd.DataFrame:
    """(N, L) arrays as a tidy frame keyed (event_id, asset, tau) with ``member`` (the position in
    the results' ``members``) first; rows without a date (past the data) dropped.

    Parameters
    ----------
    members : DataFrame
        ``event_id, asset`` of the N members, in the order of the arrays' rows.
    member : ndarray of int, shape (N,)
        Each member's position in the results' ``members``.
    taus : ndarray of int, shape (L,)
        Tau of each column.
    arrays : dict of ndarray
        ``dates``, ``ret``, ``normal``, ``ar``, each (N, L).
    part : ndarray of str, shape (N, L), or str
        The ``part`` label of each cell, or one label for all.

    Returns
    -------
    DataFrame
        :data:`AR_COLUMNS`, member-major, one row per cell with a date.
    """
    n, t = arrays["ar"].shape
    dates = np.asarray(arrays["dates"]).ravel()
    keep = np.flatnonzero(~np.isnat(dates)) if dates.dtype.kind == "M" else np.flatnonzero(pd.notna(dates))
    if keep.size == n * t:  # every cell has a date: no copy of the flat arrays
        keep = slice(None)
        row, col = np.repeat(np.arange(n), t), np.tile(np.arange(t), n)
    else:
        row, col = np.divmod(keep, t)
    # the names taken row by row from the members' own arrays (no Python string per cell, whatever their dtype)
    frame = pd.DataFrame({
        "member": np.asarray(member, dtype=np.int64)[row],
        "event_id": members["event_id"].array.take(row),
        "asset": members["asset"].array.take(row),
        "tau": np.asarray(taus)[col],
        "date": pd.DatetimeIndex(dates[keep]),
        "ret": arrays["ret"].ravel()[keep], "normal": arrays["normal"].ravel()[keep], "ar": arrays["ar"].ravel()[keep],
        "part": part.ravel()[keep] if isinstance(part, np.ndarray) else part,
    })
    return frame


def ar_rows(plan: Plan, e: Estimate, member: np.ndarray) -> pd.DataFrame:
    """Tidy AR rows of the estimation window and the union of the event windows, ``part`` being
    ``estimation``, ``estimation-excluded`` (inside another event's window) or ``event``.

    Parameters
    ----------
    plan : Plan
        The study's plan (its windows).
    e : Estimate
        A fitted estimate.
    member : ndarray of int, shape (N,)
        Position of each of ``e``'s members in the results' ``members``.

    Returns
    -------
    DataFrame
        :data:`AR_COLUMNS` (:func:`tidy_rows`): per member its estimation rows, then its
        event-window rows.
    """
    panel = e.panel
    est_cols = np.arange(e.est_cols.start, e.est_cols.stop)
    evt_cols = np.unique(np.concatenate([panel.cols(w) for w in plan.windows]))
    cols = np.concatenate([est_cols, evt_cols])
    part = np.empty((len(panel.members), len(cols)), dtype=object)
    part[:, : len(est_cols)] = "estimation"
    part[:, len(est_cols):] = "event"
    if e.mask is not None:
        est_part = part[:, : len(est_cols)]
        est_part[e.mask] = "estimation-excluded"
    arrays = {"dates": panel.dates_at(cols), "ret": panel.ret[:, cols], "normal": e.normal[:, cols],
              "ar": e.ar[:, cols]}
    return tidy_rows(panel.members, member, panel.taus[cols], arrays, part)


def excluded_days(e: Estimate) -> pd.DataFrame:
    """``event_id, asset, date, reason``: each estimation day left out for another event's window."""
    cols = ["event_id", "asset", "date", "reason"]
    if e.mask is None or not e.mask.any():
        return pd.DataFrame({c: pd.Series([], dtype="datetime64[ns]" if c == "date" else object) for c in cols})
    ii, jj = np.nonzero(e.mask)
    return pd.DataFrame({"event_id": e.panel.members["event_id"].to_numpy()[ii],
                         "asset": e.panel.members["asset"].to_numpy()[ii],
                         "date": pd.DatetimeIndex(e.panel.dates_at(e.est_cols)[ii, jj]),
                         "reason": EXCLUDED_REASON})


def iter_estimates(prepared: Prepared, members: pd.DataFrame) -> Iterator[tuple[np.ndarray, Estimate]]:
    """``(positions, estimate)`` of ``members`` (the study's fitted members), block by block (at
    most :data:`CELLS_PER_BLOCK` panel cells each): what the on-demand views and the writer use,
    whichever engine fitted the study.

    Parameters
    ----------
    prepared : Prepared
        The prepared study (plan, returns, event-window days).
    members : DataFrame
        The members to estimate, in order.

    Yields
    ------
    positions : ndarray of int
        Positions in ``members`` of the block's members.
    estimate : Estimate
        Their :func:`estimate`, from a panel of the block's tickers and benchmarks only.
    """
    plan = prepared.plan
    width = (plan.taus[1] - plan.taus[0] + 1) * (1 + len(plan.factors))
    size = max(1, CELLS_PER_BLOCK // width)
    rets = prepared.rows
    for lo in range(0, len(members), size):
        block = members.iloc[lo:lo + size].reset_index(drop=True)
        assets = list(pd.unique(block["asset"]))
        sub = rows_of(rets, [*assets, *sorted(plan.benchmarks(assets))])
        panel = build_panel(sub, block, plan.taus, market=plan.market, factors=plan.factors, kind=plan.returns)
        yield np.arange(lo, lo + len(block)), estimate(plan, block, panel, prepared.window_days)
