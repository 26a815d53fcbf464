"""Abnormal trading volume on the events and sessions of a fitted study (issue 14, deliverable 3).

The volume study reuses everything the return study fixed: the members (event, asset pairs) and
their day 0, the estimation window and the days it leaves out (other events' windows), the event
windows and the groups (:func:`eventstudy.groups.define_groups`). Only the series changes: the
log of traded volume instead of the return.

Model (Campbell & Wasley 1996, who follow Ajinkya & Jain 1989 in taking logs because raw daily
volume is far from normal and its log is close to it):

* ``V_it = log(1 + volume_it)`` (``transform="log1p"``, default; ``"log"`` takes ``log volume``
  and leaves a zero volume out);
* **mean-adjusted**: normal log volume is the member's mean over the estimation window;
* **market model**: ``V_it = a_i + b_i V_mt + e_it`` fitted by OLS over the estimation window,
  ``V_mt`` the log volume of a market benchmark on the same session;
* abnormal log volume ``AV_it = V_it - normal_it`` on each day of the event windows, and the
  cumulative ``CAV_i = sum_t AV_it`` over a window of L sessions. ``exp(CAV / L) - 1`` reads as
  the window's volume above normal, in percent of normal, on the geometric mean.

The standard error of CAV is the OLS prediction error of a sum (Campbell, Lo & MacKinlay 1997,
eq. 4.4.13 for the market model; 4.4.6 for the mean): ``Var(CAV_i) = s_i^2 (L + 1' X_e (X'X)^-1
X_e' 1)``, ``s_i^2`` the residual variance with ``M_i - k`` degrees of freedom (k = 1 mean, 2
market), ``X`` the estimation and ``X_e`` the event-window design. For the mean model that is
``s^2 (L + L^2 / M)``.

Tests per group and window (:func:`volume_tests`): the cross-sectional t of the mean CAV
(``t_cs``: ``mean / (sd / sqrt N)``, t with N - 1 df) and Patell's (1976) standardized test
(``patell``: ``Z = sum_i CAV_i / SE_i / sqrt(sum_i d_i / (d_i - 2))``, ``d_i = M_i - k``, N(0,1)),
the two Campbell & Wasley compare. Both treat the members as independent: markets hit on one
date are correlated, so pooled p-values are too small when events share dates.

Where a price source has no volume for an asset (or the benchmark, for the market model) the
member is an exclusion with that reason, never a zero. A volume the source leaves empty on a day
stays missing: such a day is left out of the estimation, and a window with one has no CAV (its
``status`` says which days).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

from .errors import DataError, SpecificationError
from .eventtime import own_bounds
from .prices.base import VOLUME_COLUMN
from .windows import EventWindows

VolumeModel = Literal["mean-adjusted", "market"]
VOLUME_MODELS = ("mean-adjusted", "market")
TRANSFORMS = ("log1p", "log")
CAV_COLUMNS = ["member", "event_id", "asset", "window", "cav", "se", "t", "pvalue", "n_days", "n_est", "sigma",
               "df", "status"]
TEST_COLUMNS = ["group", "window", "test", "statistic", "pvalue", "n", "mean", "df", "distribution", "note"]
NOTE = ("treats the members as independent: markets hit on one date are correlated, so pooled p-values are too "
        "small when events share dates")


def log_volume(volume, transform: str = "log1p") -> np.ndarray:
    """The log-volume series of the model.

    Parameters
    ----------
    volume : array-like
        Traded volume (NaN where unknown).
    transform : {"log1p", "log"}
        ``log(1 + v)`` (a zero volume is a real value, 0) or ``log(v)`` (a zero is left out, NaN).

    Returns
    -------
    numpy.ndarray
        float64, NaN where the volume is unknown (or zero under ``"log"``).
    """
    v = np.asarray(volume, dtype=float)
    if transform == "log1p":
        return np.log1p(v)
    if transform == "log":
        with np.errstate(divide="ignore"):
            out = np.log(v)
        return np.where(v > 0, out, np.nan)
    raise SpecificationError(f"transform={transform!r}: use one of {', '.join(TRANSFORMS)}")


def abnormal_volume(est_y, ev_y, est_x=None, ev_x=None) -> dict:
    """Abnormal log volume of one member in one window, and its prediction-error SE.

    Parameters
    ----------
    est_y : array-like, shape (M,)
        Log volume of the estimation days (finite).
    ev_y : array-like, shape (L,)
        Log volume of the window's days.
    est_x, ev_x : array-like, optional
        The benchmark's log volume on the same days: the market model; None: the mean model.

    Returns
    -------
    dict
        ``av`` (L abnormal values), ``normal`` (L), ``cav`` (their sum), ``se`` (``sqrt(s^2 (L + 1'
        X_e (X'X)^-1 X_e' 1))``), ``sigma`` (s), ``df`` (M - k) and ``params`` (``(a,)`` or ``(a, b)``).
    """
    y = np.asarray(est_y, dtype=float)
    e = np.asarray(ev_y, dtype=float)
    if est_x is None:
        X = np.ones((len(y), 1))
        Xe = np.ones((len(e), 1))
    else:
        X = np.column_stack([np.ones(len(y)), np.asarray(est_x, dtype=float)])
        Xe = np.column_stack([np.ones(len(e)), np.asarray(ev_x, dtype=float)])
    k = X.shape[1]
    df = len(y) - k
    xtx_inv = np.linalg.inv(X.T @ X)
    b = xtx_inv @ X.T @ y
    resid = y - X @ b
    s2 = float(resid @ resid / df) if df > 0 else np.nan
    normal = Xe @ b
    av = e - normal
    s = Xe.sum(axis=0)  # 1' X_e
    var = s2 * (len(e) + float(s @ xtx_inv @ s))
    return {"av": av, "normal": normal, "cav": float(av.sum()), "se": float(np.sqrt(var)), "sigma": float(np.sqrt(s2)),
            "df": df, "params": tuple(float(v) for v in b)}


def volume_tests(cav, se, df) -> list[dict]:
    """The cross-sectional t and Patell's standardized test of the mean CAV of a group.

    Parameters
    ----------
    cav, se, df : array-like
        Each member's CAV, its SE and the residual degrees of freedom ``M_i - k``; members with a
        missing CAV are left out.

    Returns
    -------
    list of dict
        Two rows (``t_cs``, ``patell``) with ``test, statistic, pvalue, n, mean, df, distribution``:
        ``t = mean / (sd / sqrt N)`` (sd with N - 1 df; t with N - 1 df, two-sided) and
        ``Z = sum(CAV_i / SE_i) / sqrt(sum(d_i / (d_i - 2)))`` (N(0,1), two-sided; members with
        ``d_i <= 2`` left out).
    """
    cav, se, df = (np.asarray(a, dtype=float) for a in (cav, se, df))
    ok = np.isfinite(cav) & np.isfinite(se) & (se > 0)
    c = cav[ok]
    n = len(c)
    mean = float(c.mean()) if n else np.nan
    sd = float(c.std(ddof=1)) if n > 1 else np.nan
    t = mean / (sd / np.sqrt(n)) if n > 1 and sd > 0 else np.nan
    p_t = float(2 * stats.t.sf(abs(t), n - 1)) if np.isfinite(t) else np.nan
    use = ok & (df > 2)
    d = df[use]
    z = float((cav[use] / se[use]).sum() / np.sqrt((d / (d - 2)).sum())) if use.any() else np.nan
    p_z = float(2 * stats.norm.sf(abs(z))) if np.isfinite(z) else np.nan
    return [{"test": "t_cs", "statistic": t, "pvalue": p_t, "n": n, "mean": mean, "df": n - 1 if n > 1 else np.nan,
             "distribution": "t"},
            {"test": "patell", "statistic": z, "pvalue": p_z, "n": int(use.sum()),
             "mean": float(cav[use].mean()) if use.any() else np.nan, "df": np.nan, "distribution": "normal"}]


@dataclass(frozen=True)
class VolumeStudy:
    """Abnormal log volume of a fitted study (module docstring).

    Attributes
    ----------
    abnormal : pandas.DataFrame
        ``member, event_id, asset, tau, date, volume, log_volume, normal, av`` on each event-window
        day of each member that has a volume model.
    car : pandas.DataFrame
        :data:`CAV_COLUMNS`: one row per member and window (``volume_car.csv``).
    tests : pandas.DataFrame
        :data:`TEST_COLUMNS`: per group (as in ``res.caar``) and window (``volume_tests.csv``).
    exclusions : pandas.DataFrame
        ``event_id, asset, reason``: members of the return study without a volume model.
    model, market, transform : str
        The options it was made with (``market`` None for the mean model).
    """

    abnormal: pd.DataFrame
    car: pd.DataFrame
    tests: pd.DataFrame
    exclusions: pd.DataFrame
    model: str
    market: str | Mapping[str, str] | None
    transform: str

    @property
    def aav(self) -> pd.DataFrame:
        """Mean abnormal log volume per tau over all members: ``tau, aav, n, pct`` (``pct`` =
        ``100 (exp(aav) - 1)``, volume above normal in percent on the geometric mean).

        Returns
        -------
        pandas.DataFrame
        """
        g = self.abnormal.groupby("tau")["av"]
        out = pd.DataFrame({"aav": g.mean(), "n": g.count()}).reset_index()
        return out.assign(pct=100 * np.expm1(out["aav"]))

    def table(self, res):
        """The research table (``tables/volume.*``): per pooled group (``all`` and the group
        column's values) and window, N, the mean CAV, the volume above normal per day in percent
        (``100 (exp(mean CAV / L) - 1)``), the cross-sectional t and Patell's Z with their p.

        Parameters
        ----------
        res : EventStudyResults
            The study it was made from (its groups and conventions).

        Returns
        -------
        eventstudy.report.summary.Summary
        """
        from .groups import value_groups
        from .report.summary import Summary
        from .report.tables import conventions

        # per day: over the window's length (the events' own windows differ in length: not shown)
        length = {w.label: np.nan if isinstance(w, EventWindows) else w.end - w.start + 1 for w in res.plan.windows}
        t = self.tests[self.tests["group"].isin(["all", *value_groups(res.members, res.plan.group)])]
        wide = t.pivot_table(index=["group", "window"], columns="test", values=["statistic", "pvalue", "n", "mean"],
                             sort=False, dropna=False)  # a test NaN in every row keeps its column
        out = pd.DataFrame({
            "group": wide.index.get_level_values(0), "window": wide.index.get_level_values(1),
            "N": wide[("n", "t_cs")].astype(int).to_numpy(),
            "mean CAV stat": wide[("mean", "t_cs")].to_numpy(),
            "above normal per day %": 100 * np.expm1(wide[("mean", "t_cs")].to_numpy()
                                                     / wide.index.get_level_values(1).map(length).to_numpy()),
            "t stat": wide[("statistic", "t_cs")].to_numpy(), "t p": wide[("pvalue", "t_cs")].to_numpy(),
            "Patell stat": wide[("statistic", "patell")].to_numpy(), "Patell p": wide[("pvalue", "patell")].to_numpy()})
        model = ("mean-adjusted (estimation-window mean)" if self.model == "mean-adjusted" else
                 f"market model on the log volume of {self.market}")
        note = (f"Abnormal log volume, {model}; volume taken as log(1 + volume)"
                f"{'' if self.transform == 'log1p' else ' (log volume)'}. CAV: sum of the window's abnormal log "
                "volume; above normal per day: exp(mean CAV / L) - 1. t: cross-sectional; Patell: standardized by "
                f"each member's prediction-error SE. {len(self.exclusions)} member(s) without volume excluded "
                "(volume_exclusions.csv). Both tests treat the members as independent: markets hit on one date are "
                "correlated, so pooled p-values are too small when events share dates. " + conventions(res))
        return Summary(out, "Abnormal trading volume", note)


def _no_volume(res, ticker: str) -> str:
    note = getattr(getattr(res.spec, "prices", None), "volume_note", None)
    text = note(ticker) if callable(note) else None
    if text and text.startswith("none: "):
        return f"no volume for {ticker} in the price data: {text.removeprefix('none: ')}"
    return f"no volume for {ticker} in the price data (the source has none)"


def volume_study(res, *, model: VolumeModel | None = None, market: str | Mapping[str, str] | None = None,
                 transform: str = "log1p", min_estimation: int | None = None) -> VolumeStudy:
    """Abnormal log volume on the members, windows and groups of a fitted study.

    Parameters
    ----------
    res : EventStudyResults
        A fitted daily study with its inputs (not :meth:`~EventStudyResults.detached`), on prices
        with a ``volume`` column (:mod:`eventstudy.prices.base`).
    model : {"mean-adjusted", "market"}, optional
        Default: ``"market"`` when there is a benchmark (``market=`` or the study's), else
        ``"mean-adjusted"``.
    market : str or mapping, optional
        Benchmark whose log volume is the market model's regressor (one ticker or asset ->
        ticker); default the study's ``market``.
    transform : {"log1p", "log"}
        See :func:`log_volume`.
    min_estimation : int, optional
        Fewest estimation days with a volume (default the study's ``min_estimation``).

    Returns
    -------
    VolumeStudy

    Raises
    ------
    DataError
        Intraday results, results without inputs, or prices without any volume.
    SpecificationError
        An unknown model or transform, or the market model without a benchmark.
    """
    if res.is_intraday:
        raise DataError("the volume study runs on daily studies; an intraday study's bars are not supported")
    if res.inputs is None:
        raise DataError("these results carry no prepared inputs (detached); fit the study again for its volume")
    if transform not in TRANSFORMS:
        raise SpecificationError(f"transform={transform!r}: use one of {', '.join(TRANSFORMS)}")
    plan = res.plan
    market = market if market is not None else plan.market
    if model is None:
        model = "market" if market else "mean-adjusted"
    if model not in VOLUME_MODELS:
        raise SpecificationError(f"volume model={model!r}: use one of {', '.join(VOLUME_MODELS)}")
    if model == "market" and not market:
        raise SpecificationError("the market volume model needs a benchmark: pass market= (e.g. 'ACWI')")
    bench = (lambda a: market.get(a)) if isinstance(market, Mapping) else (lambda a: market)
    prices = res.inputs.prices
    if VOLUME_COLUMN not in prices.columns:
        raise DataError("the prices have no volume column: a volume study needs a source that carries volume "
                        "(the bundled snapshot, a long CSV with a volume column, a download file with Volume)")
    minimum = plan.min_estimation if min_estimation is None else int(min_estimation)
    lv = pd.Series(log_volume(prices[VOLUME_COLUMN], transform),
                   index=pd.MultiIndex.from_arrays([prices["ticker"], prices["date"]]))
    lv = lv[np.isfinite(lv.to_numpy())]
    have = set(lv.index.get_level_values(0))
    rows = res.abnormal_returns
    rows = rows[rows["part"].isin(["estimation", "event"]) & rows["date"].notna()]
    windows = [(w.label, w.start, w.end, isinstance(w, EventWindows)) for w in plan.windows]
    bounds = own_bounds(res.members)  # the events' own windows
    out_car, out_ab, excl = [], [], []
    for member, grp in rows.groupby("member", sort=True):
        eid, asset = grp["event_id"].iloc[0], grp["asset"].iloc[0]
        b = bench(asset) if model == "market" else None
        missing = [t for t in (asset, b) if t is not None and t not in have]
        if missing:
            excl.append({"event_id": eid, "asset": asset, "reason": _no_volume(res, missing[0])})
            continue
        key = pd.MultiIndex.from_arrays([np.repeat(asset, len(grp)), grp["date"].to_numpy()])
        y = lv.reindex(key).to_numpy()
        x = lv.reindex(pd.MultiIndex.from_arrays([np.repeat(b, len(grp)), grp["date"].to_numpy()])).to_numpy() \
            if b is not None else np.zeros(len(grp))
        est = (grp["part"].to_numpy() == "estimation") & np.isfinite(grp["ar"].to_numpy()) & np.isfinite(y) \
            & np.isfinite(x)
        if est.sum() < max(minimum, 3):
            excl.append({"event_id": eid, "asset": asset,
                         "reason": f"{int(est.sum())} estimation days with a volume"
                                   + (f" (of {asset} and {b})" if b else "") + f", fewer than {max(minimum, 3)}"})
            continue
        ev = grp[grp["part"].to_numpy() == "event"]
        ev_pos = np.flatnonzero(grp["part"].to_numpy() == "event")
        taus = ev["tau"].to_numpy()
        for label, lo, hi, own in windows:
            if own:  # the events' own windows: this member's own days
                lo, hi = int(bounds[member, 0]), int(bounds[member, 1])
            sel = ev_pos[(taus >= lo) & (taus <= hi)]
            ok = np.isfinite(y[sel]) & np.isfinite(x[sel])
            fit = abnormal_volume(y[est], y[sel][ok], x[est] if b else None, x[sel][ok] if b else None)
            n_days, length = int(ok.sum()), hi - lo + 1
            if n_days == length:
                status, cav, se = "ok", fit["cav"], fit["se"]
            else:
                lacking = list(pd.DatetimeIndex(grp["date"].to_numpy()[sel][~ok]).strftime("%Y-%m-%d"))
                status = (f"volume missing on {', '.join(lacking)}" if lacking else
                          f"{length - n_days} of {length} sessions without a price")
                cav, se = np.nan, np.nan
            t = cav / se if np.isfinite(cav) and se > 0 else np.nan
            out_car.append({"member": member, "event_id": eid, "asset": asset, "window": label, "cav": cav,
                            "se": se, "t": t,
                            "pvalue": float(2 * stats.t.sf(abs(t), fit["df"])) if np.isfinite(t) else np.nan,
                            "n_days": n_days, "n_est": int(est.sum()), "sigma": fit["sigma"], "df": fit["df"],
                            "status": status})
        allev = np.isfinite(y[ev_pos]) & np.isfinite(x[ev_pos])
        fit = abnormal_volume(y[est], y[ev_pos], x[est] if b else None, x[ev_pos] if b else None)
        vol = np.expm1(y[ev_pos]) if transform == "log1p" else np.exp(y[ev_pos])
        out_ab.append(pd.DataFrame({"member": member, "event_id": eid, "asset": asset, "tau": taus,
                                    "date": ev["date"].to_numpy(), "volume": vol, "log_volume": y[ev_pos],
                                    "normal": fit["normal"], "av": np.where(allev, fit["av"], np.nan)}))
    car = pd.DataFrame(out_car, columns=CAV_COLUMNS)
    car = car.assign(_w=car["window"].map({w[0]: i for i, w in enumerate(windows)})) \
        .sort_values(["_w", "member"], kind="mergesort").drop(columns="_w").reset_index(drop=True)
    abnormal = pd.concat(out_ab, ignore_index=True) if out_ab else \
        pd.DataFrame(columns=["member", "event_id", "asset", "tau", "date", "volume", "log_volume", "normal", "av"])
    tests = []
    for g, idx in res.groups(by_asset=res.plan.by_asset).items():
        for label, _, _, _ in windows:
            sub = car[(car["window"] == label) & car["member"].isin(idx)]
            for row in volume_tests(sub["cav"], sub["se"], sub["df"]):
                tests.append({"group": g, "window": label, **row, "note": NOTE})
    return VolumeStudy(abnormal=abnormal, car=car, tests=pd.DataFrame(tests, columns=TEST_COLUMNS),
                       exclusions=pd.DataFrame(excl, columns=["event_id", "asset", "reason"]), model=model,
                       market=market if model == "market" else None, transform=transform)
