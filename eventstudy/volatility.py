"""Abnormal volatility on the events and sessions of a fitted study (issue 14, deliverable 3).

Did the news move prices more than usual, whatever the direction? The abnormal returns, the
members, windows and groups are the return study's own; only the question changes from the mean
of the ARs to their size.

* **Variance ratio per member and day** (Beaver 1968's U): ``U_it = AR_it^2 / s_i^2``, ``s_i^2``
  the residual variance of the member's estimation window (the study's ``params.sigma``, d = M - k
  df). Without news and with normal ARs, ``AR_it / (s_i sqrt(f_i))`` is t(d), f_i = 1 + k/M_i the
  prediction-error factor (exact for the constant-mean model, its average for the market model),
  so ``E[U] = f d/(d-2)`` and ``Var[U] = f^2 2d^2(d-1)/((d-2)^2(d-4))``: about 1 % above 1 for 240
  estimation days, enough to reject a true null almost always once a pool holds thousands of
  member-days if it were compared with chi-square(n).
* ``beaver_u`` (Beaver 1968; the chi-square form of Patell & Wolfson 1979): over a group's
  members and the days of a window, ``sum U_it`` against a scaled chi-square with those exact
  moments (Satterthwaite: ``c chi2(nu)``, ``c nu = sum E[U]``, ``2 c^2 nu = sum Var[U]``; it is
  chi2(n) when E[U] = 1 and Var[U] = 2); ``ratio`` the mean U over its null mean (1 without news),
  p the upper tail (volatility up).
* ``cs_variance`` (the cross-sectional variance of standardized CARs; Boehmer, Musumeci & Poulsen
  1991 show event-induced variance inflates it above 1): ``SCAR_i = CAR_i / SE(CAR_i)`` with the
  study's exact CAR standard error (``car.se``: each member's own L_i and prediction error), t(d_i)
  without news, so ``ratio = var_i(SCAR_i) / mean_i(d_i/(d_i-2))`` and ``(N - 1) ratio`` is
  chi-square with N - 1 df without event-induced variance; p the upper tail. It sees a spread of
  reactions that average out in the CAAR, not a common shift.
* ``garch_u`` (optional, ``garch=True``, the ``[volatility]`` extra: ``arch``): a GARCH(1,1)
  with zero mean fitted to each member's estimation-window ARs (Bollerslev 1986), its conditional
  variance forecast ``h_it`` to each event day (h steps after the last estimation day), and
  ``U^G_it = AR_it^2 / h_it`` tested as ``beaver_u``. Volatility clusters: after a calm (or
  stormy) estimation window the benchmark is the forecast, not the window's average.

All three assume the members are independent: markets hit on one date are correlated, so pooled
p-values are too small when events share dates; a market that recurs across events shares most of
its estimation window, and so its ``s^2``, which inflates the pooled U test too (12 % at 5 % in a
Monte Carlo of 60 markets x 10 events without news; 7 % with each event on its own markets); and
normal ARs: fat tails inflate squared ARs now and then without news.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from .errors import DataError, require
from .eventtime import own_bounds
from .windows import EventWindows

DAILY_COLUMNS = ["member", "event_id", "asset", "tau", "date", "ar", "sigma", "u", "garch_sd", "u_garch"]
MEMBER_COLUMNS = ["member", "event_id", "asset", "window", "n_days", "u_mean", "chi2", "pvalue", "u_garch_mean",
                  "garch_status"]
TEST_COLUMNS = ["group", "window", "test", "statistic", "pvalue", "ratio", "n", "df", "distribution", "note"]
NOTE = ("chi-square under normal, independent ARs: markets hit on one date are correlated and fat tails inflate "
        "squared ARs, so pooled p-values are too small when events share dates")


def u_null_moments(d, m=None, k: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Mean and variance of ``U = AR^2 / s^2`` without news (module docstring): normal ARs whose
    ``s^2`` has ``d`` degrees of freedom and prediction-error factor ``f = 1 + k/m``.

    Parameters
    ----------
    d : array-like
        Residual degrees of freedom of each ratio's ``s^2`` (``params.df``); above 4.
    m : array-like, optional
        Estimation rows of each (``params.n_est``); None for ``f = 1`` (a known normal return, or
        a benchmark like GARCH's forecast).
    k : int, default 0
        Parameters of the normal-return model (``f = 1 + k/m``).

    Returns
    -------
    (mean, variance)
        Arrays; NaN where ``d <= 4`` (the variance of t(d)^2 does not exist).
    """
    d = np.asarray(d, dtype=float)
    f = 1.0 if m is None else 1.0 + k / np.asarray(m, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(d > 4, f * d / (d - 2), np.nan)
        var = np.where(d > 4, f ** 2 * 2 * d ** 2 * (d - 1) / ((d - 2) ** 2 * (d - 4)), np.nan)
    return mean, var


def beaver_u(u, mean=None, var=None) -> dict:
    """Beaver's (1968) U pooled over members and days against its null: ``sum U`` is a scaled
    chi-square ``c chi2(nu)`` with the summed null moments (Satterthwaite), chi2(n) with mean 1 and
    variance 2 (the defaults).

    Parameters
    ----------
    u : array-like
        Variance ratios ``AR^2 / s^2`` (NaN left out, with their moments).
    mean, var : array-like, optional
        Each ratio's null mean and variance (:func:`u_null_moments`); default 1 and 2.

    Returns
    -------
    dict
        ``statistic`` (``sum U``), ``pvalue`` (upper tail of ``c chi2(nu)``), ``ratio`` (``sum U``
        over its null mean: 1 without news) and ``df`` (``nu``).
    """
    u = np.asarray(u, dtype=float)
    mean = np.ones_like(u) if mean is None else np.broadcast_to(np.asarray(mean, dtype=float), u.shape)
    var = np.full_like(u, 2.0) if var is None else np.broadcast_to(np.asarray(var, dtype=float), u.shape)
    ok = np.isfinite(u) & np.isfinite(mean) & np.isfinite(var)
    if not ok.any():
        return {"statistic": np.nan, "pvalue": np.nan, "ratio": np.nan, "df": 0}
    s, mu, v = float(u[ok].sum()), float(mean[ok].sum()), float(var[ok].sum())
    c, nu = v / (2 * mu), 2 * mu ** 2 / v
    return {"statistic": s, "pvalue": float(stats.chi2.sf(s / c, nu)), "ratio": s / mu, "df": nu}


def cs_variance(scar, d=None) -> dict:
    """The cross-sectional variance of standardized CARs against its null.

    Parameters
    ----------
    scar : array-like
        ``CAR_i / SE(CAR_i)`` per member (NaN left out).
    d : array-like, optional
        Each member's residual degrees of freedom: ``SCAR_i`` is t(d_i) without news, of variance
        ``d_i/(d_i-2)``; None for a null variance of 1.

    Returns
    -------
    dict
        ``ratio`` (sample variance, N - 1 df, over the mean null variance), ``statistic``
        (``(N - 1) ratio``), ``pvalue`` (upper tail of chi-square with N - 1 df) and ``df`` (N - 1).
    """
    z = np.asarray(scar, dtype=float)
    null = np.ones_like(z) if d is None else np.asarray(d, dtype=float) / (np.asarray(d, dtype=float) - 2)
    ok = np.isfinite(z) & np.isfinite(null) & (null > 0)
    z, null = z[ok], null[ok]
    if len(z) < 2:
        return {"statistic": np.nan, "pvalue": np.nan, "ratio": np.nan, "df": max(len(z) - 1, 0)}
    v = float(z.var(ddof=1)) / float(null.mean())
    x = (len(z) - 1) * v
    return {"statistic": x, "pvalue": float(stats.chi2.sf(x, len(z) - 1)), "ratio": v, "df": len(z) - 1}


def garch_forecast(est_ar, horizons) -> tuple[np.ndarray, str]:
    """GARCH(1,1) conditional SD of the ARs ``horizons`` steps after the estimation window.

    Parameters
    ----------
    est_ar : array-like
        The estimation-window ARs in time order (decimal returns).
    horizons : array-like of int
        Steps ahead (1 = the session after the last estimation day).

    Returns
    -------
    (numpy.ndarray, str)
        The forecast SDs (decimal; NaN if the fit failed) and a status: ``ok``, or why not
        (no convergence, ``alpha + beta >= 1``: no mean reversion, the forecast grows).

    Raises
    ------
    MissingDependencyError
        Without ``arch`` (``pip install 'eventstudy[volatility]'``).
    """
    arch = require("arch", extra="volatility", feature="the GARCH(1,1) volatility benchmark")
    y = 100 * np.asarray(est_ar, dtype=float)  # percent: the optimizer's scale
    h = np.asarray(horizons, dtype=np.int64)
    nan = np.full(len(h), np.nan)
    if len(y) < 30 or h.min(initial=1) < 1:
        return nan, f"{len(y)} estimation ARs: too few for a GARCH(1,1)"
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence and scale warnings: the status says what went wrong
        fit = arch.arch_model(y, mean="Zero", vol="GARCH", p=1, q=1, dist="normal", rescale=False).fit(
            disp="off", show_warning=False)
    if fit.convergence_flag != 0:
        return nan, f"GARCH(1,1) did not converge (flag {fit.convergence_flag})"
    p = fit.params
    if p["alpha[1]"] + p["beta[1]"] >= 1:
        return nan, f"alpha + beta = {p['alpha[1]'] + p['beta[1]']:.3f} >= 1: no mean reversion"
    var = fit.forecast(horizon=int(h.max()), reindex=False).variance.to_numpy()[-1]
    return np.sqrt(var[h - 1]) / 100, "ok"


@dataclass(frozen=True)
class VolatilityStudy:
    """Abnormal volatility of a fitted study (module docstring).

    Attributes
    ----------
    daily : pandas.DataFrame
        :data:`DAILY_COLUMNS`: the variance ratio ``u`` (and ``u_garch``) per member and event day.
    members : pandas.DataFrame
        :data:`MEMBER_COLUMNS`: per member and window, mean U, ``chi2 = sum U`` and its p
        (``volatility.csv``).
    tests : pandas.DataFrame
        :data:`TEST_COLUMNS` per group (as in ``res.caar``) and window (``volatility_tests.csv``).
    garch : bool
        Whether the GARCH benchmark was run.
    """

    daily: pd.DataFrame
    members: pd.DataFrame
    tests: pd.DataFrame
    garch: bool

    def table(self, res):
        """The research table (``tables/volatility.*``): per pooled group (``all`` and the group
        column's values) and window, N, the mean variance ratio U with Beaver's chi-square p, the
        cross-sectional variance of standardized CARs with its p, and (``garch``) the mean U
        against the GARCH(1,1) forecast with its p.

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

        t = self.tests[self.tests["group"].isin(["all", *value_groups(res.members, res.plan.group)])]
        wide = t.pivot_table(index=["group", "window"], columns="test", values=["ratio", "pvalue", "n"], sort=False,
                             dropna=False)  # a test NaN in every row (one member, no GARCH fit) keeps its column
        out = pd.DataFrame({
            "group": wide.index.get_level_values(0), "window": wide.index.get_level_values(1),
            "N": wide[("n", "beaver_u")].astype(int).to_numpy(),
            "mean U stat": wide[("ratio", "beaver_u")].to_numpy(), "mean U p": wide[("pvalue", "beaver_u")].to_numpy(),
            "CS variance stat": wide[("ratio", "cs_variance")].to_numpy(),
            "CS variance p": wide[("pvalue", "cs_variance")].to_numpy()})
        if self.garch:
            out["GARCH U stat"] = wide[("ratio", "garch_u")].to_numpy()
            out["GARCH U p"] = wide[("pvalue", "garch_u")].to_numpy()
        note = ("U = AR^2 / s^2, s the residual SD of the estimation window (Beaver 1968), 1 without news; p: sum U "
                "against chi-square (upper tail). CS variance: the cross-sectional variance of CAR / (s sqrt L), 1 "
                "without event-induced variance (Boehmer, Musumeci & Poulsen 1991); p: (N - 1) x it against "
                "chi-square(N - 1). "
                + ("GARCH U: AR^2 over the GARCH(1,1) forecast variance of the estimation-window ARs. " if self.garch
                   else "") + "All " + NOTE + ". " + conventions(res))
        return Summary(out, "Abnormal volatility: variance ratios", note)


def volatility_study(res, *, garch: bool = False) -> VolatilityStudy:
    """Variance ratios and the tests of the module docstring on a fitted study.

    Parameters
    ----------
    res : EventStudyResults
        A fitted study (detached results do too, unless ``garch``, which needs the estimation ARs).
    garch : bool
        Add the GARCH(1,1) benchmark (needs ``arch``: ``pip install 'eventstudy[volatility]'``).

    Returns
    -------
    VolatilityStudy

    Raises
    ------
    DataError
        ``garch=True`` on results without their inputs.
    MissingDependencyError
        ``garch=True`` without ``arch``.
    """
    if garch:
        require("arch", extra="volatility", feature="the GARCH(1,1) volatility benchmark")
        if res.inputs is None:
            raise DataError("the GARCH benchmark needs the estimation ARs: fit the study again (not detached)")
    sigma = res.params["sigma"].to_numpy(dtype=float)
    ev = res.event_rows
    member = ev["member"].to_numpy()
    ar = ev["ar"].to_numpy(dtype=float)
    s = sigma[member]
    daily = pd.DataFrame({"member": member, "event_id": ev["event_id"].to_numpy(), "asset": ev["asset"].to_numpy(),
                          "tau": ev["tau"].to_numpy(), "date": ev["date"].to_numpy(), "ar": ar, "sigma": s,
                          "u": ar ** 2 / s ** 2, "garch_sd": np.nan, "u_garch": np.nan})
    status = {}
    if garch:
        rows = res.abnormal_returns
        est = rows[(rows["part"] == "estimation") & np.isfinite(rows["ar"].to_numpy(dtype=float))]
        last_tau = est.groupby("member")["tau"].max()
        for m, grp in est.groupby("member", sort=True):
            at = np.flatnonzero(member == m)
            sd, status[m] = garch_forecast(grp["ar"].to_numpy(), daily["tau"].to_numpy()[at] - last_tau[m])
            daily.loc[at, "garch_sd"] = sd
        daily["u_garch"] = daily["ar"] ** 2 / daily["garch_sd"] ** 2
    # each ratio's null moments (module docstring): t(d) squared, times the prediction-error factor
    d_of = res.params["df"].to_numpy(dtype=float)
    u_mu, u_var = u_null_moments(d_of[member], res.params["n_est"].to_numpy(dtype=float)[member], res.plan.model.k)
    daily["u_null"], daily["u_null_var"] = u_mu, u_var
    tau = daily["tau"].to_numpy()
    bounds = own_bounds(res.members)[member]  # the events' own windows: each row's member's own days
    in_window = {w.label: (tau >= bounds[:, 0]) & (tau <= bounds[:, 1]) if isinstance(w, EventWindows)
                 else (tau >= w.start) & (tau <= w.end) for w in res.plan.windows}
    out = []
    for w in res.plan.windows:
        sub = daily[in_window[w.label]]
        g = sub.groupby("member", sort=True)
        n_days = g["u"].count()
        chi2 = g["u"].sum(min_count=1)
        mu, var = g["u_null"].sum().to_numpy(), g["u_null_var"].sum().to_numpy()
        with np.errstate(invalid="ignore", divide="ignore"):
            p_member = stats.chi2.sf(chi2.to_numpy() / (var / (2 * mu)), 2 * mu ** 2 / var)
        out.append(pd.DataFrame({
            "member": n_days.index, "event_id": g["event_id"].first().to_numpy(),
            "asset": g["asset"].first().to_numpy(), "window": w.label, "n_days": n_days.to_numpy(),
            "u_mean": g["u"].mean().to_numpy(), "chi2": chi2.to_numpy(), "pvalue": p_member,
            "u_garch_mean": g["u_garch"].mean().to_numpy() if garch else np.nan,
            "garch_status": [status.get(m, "") for m in n_days.index] if garch else ""}))
    members = pd.concat(out, ignore_index=True)[MEMBER_COLUMNS]
    n = len(res.members)
    car, se = res.car["car"].to_numpy(dtype=float), res.car["se"].to_numpy(dtype=float)
    tests = []
    for grp_name, idx in res.groups(by_asset=res.plan.by_asset).items():
        for k, w in enumerate(res.plan.windows):
            label = w.label
            sub = daily[daily["member"].isin(idx) & in_window[label]]
            with np.errstate(invalid="ignore", divide="ignore"):
                scar = car[k * n:(k + 1) * n][idx] / se[k * n:(k + 1) * n][idx]
            rows = [("beaver_u", beaver_u(sub["u"], sub["u_null"], sub["u_null_var"]), "scaled chi2 (Satterthwaite)"),
                    ("cs_variance", cs_variance(scar, d_of[idx]), "chi2(N-1)")]
            if garch:
                rows.append(("garch_u", beaver_u(sub["u_garch"]), "chi2(sum L)"))
            for test, r, dist in rows:
                tests.append({"group": grp_name, "window": label, "test": test, **r,
                              "n": int(sub.loc[np.isfinite(sub["u"]), "member"].nunique()), "distribution": dist,
                              "note": NOTE})
    return VolatilityStudy(daily=daily[DAILY_COLUMNS], members=members,
                           tests=pd.DataFrame(tests, columns=TEST_COLUMNS), garch=garch)
