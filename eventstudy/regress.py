"""Cross-sectional regressions of CARs on event and market characteristics.

``res.regress("car ~ direction + C(region)", window="-1:1")`` regresses each (event, market)
member's cumulative abnormal return over one event window on any column of the events file and
of the members (``asset``, ``group``, ``direction``, a ``surprise`` measure ...) and on a few
columns derived here:

* ``car`` (a decimal fraction) and ``car_pct`` (percent), ``car_se`` (its standard error from
  the estimation window), ``scar`` (``car / car_se``, the standardized CAR);
* ``market`` (the same as ``asset``), ``event_hour_utc`` (the event instant's hour, UTC, with
  minutes as a fraction), ``weekend`` (1 when the event fell on a Saturday or Sunday, UTC);
* ``date_cluster`` (the independent event date the member counts under: events whose windows
  overlap on a market share one).

The fit is statsmodels' OLS, or WLS with inverse-variance weights (``weights="inverse-variance"``:
``1 / car_se**2``, Patell's weighting; the BMP cross-sectional rescaling of standardized CARs is
one constant for all members and leaves WLS coefficients and standard errors unchanged, so it is
the same fit). Markets hit by one event move together, so the standard errors that lead are
clustered by ``date_cluster`` (CR1: statsmodels' small-sample correction, t with G - 1 degrees of
freedom for G clusters); the heteroskedasticity-robust HC1 t, which treats members as independent,
is shown beside them. With fewer than :data:`~eventstudy.groups.FEW_DATES` clusters the note says
the clustered inference rests on few clusters.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .errors import DataError, SpecificationError, require
from .groups import FEW_DATES
from .overlaps import constituents
from .windows import study_window

__all__ = ["COV_TYPES", "WEIGHTS", "Regression", "cross_section", "regression_frame"]

COV_TYPES = ("cluster", "HC1", "nonrobust")
"""Standard errors that can lead: clustered by independent event date, heteroskedasticity-robust
(HC1), or the classical OLS ones."""
WEIGHTS = (None, "inverse-variance")
"""OLS, or WLS weighting each member by the inverse of its CAR's estimation-window variance."""
DERIVED = ("car", "car_pct", "car_se", "scar", "market", "event_hour_utc", "weekend", "date_cluster")
"""Columns :func:`regression_frame` adds to the members' own."""


def _window_label(res, window) -> str:
    labels = [w.label for w in res.plan.windows]
    if window is None:
        if len(labels) > 1:
            raise SpecificationError(f"the study has windows {', '.join(labels)}; name one, e.g. window={labels[0]!r}")
        return labels[0]
    label = study_window(res.plan.windows, window).label
    if label not in labels:
        raise DataError(f"window {label!r} is not one of the study's windows ({', '.join(labels)})")
    return label


def regression_frame(res, window=None) -> pd.DataFrame:
    """One row per member with a finite CAR in ``window``: the members' columns, every other column
    of the events file (a member merged from several events, ``A+B``, gets their common value, or
    none when they differ) and the derived columns (:data:`DERIVED`).

    Parameters
    ----------
    res : EventStudyResults
        The fitted study.
    window : str or Window, optional
        One of the study's windows (``"-1:1"``); may be omitted when the study has one.

    Returns
    -------
    pandas.DataFrame
        Members whose CAR is missing (status other than ``ok``, or NaN) are left out; the frame's
        ``attrs["left_out"]`` counts them.

    Raises
    ------
    DataError
        If ``window`` is not a window of the study.
    SpecificationError
        If the study has several windows and none is named.
    """
    label = _window_label(res, window)
    car = res.car[res.car["window"] == label]
    members = res.members.reset_index(drop=True)
    frame = members.iloc[car["member"].to_numpy()].reset_index(drop=True)
    c = car.reset_index(drop=True)
    frame = frame.assign(car=c["car"].to_numpy(dtype=float), car_se=c["se"].to_numpy(dtype=float),
                         status=c["status"].to_numpy())
    catalog = getattr(res.spec, "events", None)
    clash = sorted(set(catalog.columns) & {*DERIVED, "status"}) if isinstance(catalog, pd.DataFrame) else []
    frame = _with_catalog_columns(frame, catalog)
    if clash:
        raise SpecificationError(f"the events file's column(s) {clash} share a name with the regression's derived "
                                 f"columns ({', '.join(DERIVED)}); rename them in the events file")
    ok = np.isfinite(frame["car"]) & np.isfinite(frame["car_se"])  # every member with a CAR, as the CAAR counts
    frame = frame[ok].reset_index(drop=True)
    when = pd.to_datetime(frame["event_time_utc"], utc=True)
    timed = frame["time_precision"].ne("date-only").to_numpy() if "time_precision" in frame else np.ones(len(frame),
                                                                                                         bool)
    day = pd.to_datetime(frame["event_date"]) if "event_date" in frame else when.dt.tz_localize(None)
    frame = frame.assign(car_pct=100 * frame["car"], scar=frame["car"] / frame["car_se"], market=frame["asset"],
                         # a date-only event has no hour; its weekday is its date's
                         event_hour_utc=np.where(timed, when.dt.hour + when.dt.minute / 60, np.nan),
                         weekend=(day.dt.day_of_week >= 5).astype(int))
    for c in frame.columns:  # patsy knows NaN and None, not pandas' NA; numbers in text are numbers
        col = frame[c]
        if pd.api.types.is_datetime64_any_dtype(col):
            continue
        if pd.api.types.is_bool_dtype(col) or pd.api.types.is_numeric_dtype(col):
            frame[c] = col.astype("float64")
            continue
        number = pd.to_numeric(col.astype(object).where(col.notna(), None), errors="coerce")
        if col.notna().any() and number.notna().sum() == col.notna().sum():  # a column of numbers read as text
            frame[c] = number.astype("float64")
        else:
            frame[c] = col.astype(object).where(col.notna(), None)
    frame.attrs["left_out"] = int((~ok).sum())
    frame.attrs["window"] = label
    return frame


def _with_catalog_columns(frame: pd.DataFrame, catalog: pd.DataFrame | None) -> pd.DataFrame:
    """The members with every column of the events file they do not carry yet; a merged member
    (``A+B``, :func:`~eventstudy.overlaps.constituents`) gets the events' common value, or none."""
    if not isinstance(catalog, pd.DataFrame) or "event_id" not in catalog:
        return frame
    extra = [c for c in catalog.columns if c not in frame.columns]
    if not extra:
        return frame
    by_id = catalog.drop_duplicates("event_id").set_index("event_id")[extra]
    ids = set(by_id.index)
    rows = {}
    for member_id in pd.unique(frame["event_id"]):
        parts = by_id.loc[[p for p in constituents(member_id, ids) if p in ids]]
        rows[member_id] = {c: (parts[c].iloc[0] if len(parts) and parts[c].nunique(dropna=False) == 1 else None)
                           for c in extra}
    values = pd.DataFrame.from_dict(rows, orient="index", columns=extra)
    return frame.join(values, on="event_id")


@dataclass(frozen=True)
class Regression:
    """A fitted cross-sectional regression: the tidy coefficient table and the statsmodels fits.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per term: ``term, coef, se, t, pvalue, ci_low, ci_high`` under the leading
        standard errors, ``hc1_se, hc1_t, hc1_pvalue`` beside them, and ``n, clusters, r2,
        window, formula, weights, cov_type, df`` (t's degrees of freedom).
    fit : statsmodels RegressionResults
        Under the leading standard errors.
    hc1 : statsmodels RegressionResults
        The same fit with HC1 standard errors.
    note : str
        What was fitted, in words, for the table's note.
    """

    table: pd.DataFrame
    fit: object
    hc1: object
    note: str

    def summary(self):
        """The research table: coefficients with the leading t (p) and the HC1 t beside them.

        Returns
        -------
        eventstudy.report.summary.Summary
        """
        from .report.summary import Summary

        t = self.table
        out = pd.DataFrame({"term": t["term"], "coef": t["coef"].map(lambda v: f"{v:.4f}"),
                            "SE": t["se"].map(lambda v: f"{v:.4f}"), "t stat": t["t"], "t p": t["pvalue"],
                            "HC1 t": t["hc1_t"].map(lambda v: f"{v:.2f}")})
        first = t.iloc[0]
        title = f"Cross-sectional regression of CARs, window {first['window']}: {first['formula']}"
        return Summary(out, title, self.note)


def cross_section(res, formula: str, *, window=None, weights: str | None = None, cov: str = "cluster",
                  level: float = 0.95) -> Regression:
    """Regress the members' CARs in one window on their characteristics (a patsy formula).

    Parameters
    ----------
    res : EventStudyResults
        The fitted study.
    formula : str
        E.g. ``"car_pct ~ direction + C(market)"``: any column of :func:`regression_frame` (the
        events file's columns, the members' and the derived ones).
    window : str or Window, optional
        One of the study's windows; may be omitted when it has one.
    weights : {None, "inverse-variance"}
        OLS, or WLS with weights ``1 / car_se**2``.
    cov : {"cluster", "HC1", "nonrobust"}
        The standard errors that lead: clustered by ``date_cluster`` (default), HC1, or classical.
    level : float, default 0.95
        Coverage of the confidence interval.

    Returns
    -------
    Regression

    Raises
    ------
    MissingDependencyError
        If statsmodels is not installed (``pip install 'eventstudy[regress]'``).
    SpecificationError
        For an unknown ``weights`` or ``cov``, or a formula that names a column the frame lacks
        (the message lists the columns).
    DataError
        If fewer members than coefficients plus one have a CAR.
    """
    if weights not in WEIGHTS:
        raise SpecificationError(f"weights={weights!r}: use one of {', '.join(map(repr, WEIGHTS))}")
    if cov not in COV_TYPES:
        raise SpecificationError(f"cov={cov!r}: use one of {', '.join(map(repr, COV_TYPES))}")
    smf = require("statsmodels.formula.api", extra="regress", feature="cross-sectional regressions")
    frame = regression_frame(res, window)
    label = frame.attrs["window"]
    model_of = smf.wls if weights else smf.ols
    kw = {"weights": 1.0 / frame["car_se"] ** 2} if weights else {}
    try:
        model = model_of(formula, data=frame, **kw)
    except Exception as exc:  # patsy: an unknown name, a syntax error
        raise SpecificationError(f"formula {formula!r} cannot be fitted ({type(exc).__name__}: "
                                 f"{str(exc).splitlines()[0]}); columns available: {', '.join(map(str, frame.columns))}"
                                 ) from exc
    n, k = model.exog.shape
    if n < k + 1:
        raise DataError(f"window {label}: {n} member(s) with a CAR for {k} coefficient(s); need at least {k + 1}")
    rows = np.asarray(model.data.row_labels if model.data.row_labels is not None else range(n))
    groups = pd.factorize(frame.loc[rows, "date_cluster"])[0]
    n_clusters = int(groups.max()) + 1 if len(groups) else 0
    hc1 = model.fit(cov_type="HC1", use_t=True)
    if cov == "cluster":
        fit = model.fit(cov_type="cluster", cov_kwds={"groups": groups, "use_correction": True,
                                                      "df_correction": True}, use_t=True)
    elif cov == "HC1":
        fit = hc1
    else:
        fit = model.fit(use_t=True)
    ci = np.asarray(fit.conf_int(alpha=1 - level))
    df = float(fit.df_resid_inference) if getattr(fit, "df_resid_inference", None) is not None else float(fit.df_resid)
    table = pd.DataFrame({
        "term": list(model.exog_names), "coef": np.asarray(fit.params), "se": np.asarray(fit.bse),
        "t": np.asarray(fit.tvalues), "pvalue": np.asarray(fit.pvalues), "ci_low": ci[:, 0], "ci_high": ci[:, 1],
        "hc1_se": np.asarray(hc1.bse), "hc1_t": np.asarray(hc1.tvalues), "hc1_pvalue": np.asarray(hc1.pvalues),
        "n": n, "clusters": n_clusters, "r2": float(fit.rsquared), "window": label, "formula": formula,
        "weights": weights or "none", "cov_type": cov, "df": df})
    how = {"cluster": f"clustered by independent event date ({n_clusters} clusters, CR1, t with "
                      f"{n_clusters - 1} df)",
           "HC1": "HC1 (heteroskedasticity-robust)", "nonrobust": "classical OLS"}[cov]
    note = (f"{'WLS with weights 1/SE(CAR)^2' if weights else 'OLS'} of {n} (event, market) CARs in window {label}"
            + (f" ({frame.attrs['left_out']} without a CAR left out)" if frame.attrs["left_out"] else "")
            + (f" ({len(frame) - n} with a regressor missing left out)" if len(frame) > n else "")
            + f"; standard errors {how}; HC1 t beside them treats members as independent. R^2 {fit.rsquared:.3f}."
            + (f" Only {n_clusters} clusters (under {FEW_DATES}): clustered inference is unreliable."
               if cov == "cluster" and n_clusters < FEW_DATES else ""))
    return Regression(table, fit, hc1, note)
