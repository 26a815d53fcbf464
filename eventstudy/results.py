"""The one result of a fitted study, whatever the engine: :class:`EventStudyResults`.

Every engine (in memory, chunked, Dask) ends in :func:`assemble`, so the same study gives the same
tables column for column. The stored tables are small (one row per member, or per member and
window, or per group and test); the two views that are as large as the event-time panel
(:attr:`~EventStudyResults.abnormal_returns` with the estimation-window rows, and
:attr:`~EventStudyResults.estimation_exclusions`) are recomputed from the prepared inputs on demand,
block by block, by the same estimation step that made the numbers.

Schema (column by column)
-------------------------
``members``
    one row per estimated (event, asset) pair: ``event_id, asset, day0`` (the market's day-0
    session; an instant in UTC for intraday studies), ``event_time_utc, time_precision`` (when
    the news broke, as the catalog says), ``date_cluster`` (events whose windows overlap on a
    market share one, :func:`eventstudy.overlaps.event_clusters`) and the catalog columns ``group, category, direction,
    title`` and the study's group column where the events have them. A member's
    position in this frame is its ``member`` number in every other table.
``car``
    one row per member and window (window-major): ``member, event_id, asset, window`` (``"-1:1"``),
    ``car``, ``se`` (Campbell-Lo-MacKinlay prediction-error SE), ``t``, ``pvalue`` (t with M - k df),
    ``bhar`` (buy-and-hold abnormal return), ``n_est`` (estimation rows used), ``status`` (``ok``, or
    what is missing or suspicious in the window), ``day0``. Intraday studies (:mod:`eventstudy.halts`)
    add to ``status`` ``bar0-across-halt`` (bar 0's return spans a market closure: the event came
    while the market was shut), ``crosses-halt on tau 11`` (a later bar's return does) and ``gap on
    tau 3 (no bars FROM/TO)`` (bars missing while the market was open), joined by ``"; "``, and a
    column ``halts`` naming each closure the window crosses (``"weekend
    2025-10-10T17:00-04:00/2025-10-12T18:00-04:00"``; empty when none), whatever ``across_halts``.
``params``
    one row per member: ``event_id, asset, n_est, n_excluded`` (estimation days dropped for other
    events' windows), ``est_first, est_last`` (first and last estimation day used), ``sigma``
    (residual SD, M - k df), ``df`` and one column per model parameter (``mean``; ``alpha, beta``;
    ``alpha, beta[F]`` or ``beta[F,-1]`` ... for a factor model) and ``dimson_beta[F]`` (the sum of
    a factor's lead, contemporaneous and lag slopes).
``tests``
    ``group, window, tau`` (empty for the statistic of the whole window), ``test, statistic,
    pvalue, n, distribution, df, note``, and the group's effective sample in that window
    (:func:`eventstudy.groups.effective_sample`): ``events``, ``dates`` (independent dates: date
    clusters, events whose windows overlap on a market counted once) and ``markets``; groups as in
    :mod:`eventstudy.groups`.
``exclusions``
    ``event_id, asset, reason``: every pair that was not estimated.
``overlaps``
    ``market, event_a, event_b, day0_a, day0_b, sessions_shared, same_day0``: every pair of
    events whose windows share sessions on a market (:mod:`eventstudy.overlaps`), whatever the
    policy did about them.
``alignment``
    day 0 of every pair (:func:`eventstudy.align`), estimated or not.
``abnormal_returns`` (view)
    ``member, event_id, asset, tau, date, ret, normal, ar, part``: the estimation-window rows
    (``part`` = ``estimation``, or ``estimation-excluded`` inside another event's window) and the
    rows of the union of the event windows (``event``).
``estimation_exclusions`` (view)
    ``event_id, asset, date, reason``: each estimation day left out.
``caar``, ``aar`` (views)
    mean CAR per group and window, mean AR per group and tau, with N.
"""

from __future__ import annotations

import copy
import dataclasses
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Protocol

import numpy as np
import pandas as pd

from . import __version__
from .alignment import to_csv_frame
from .errors import DataError
from .groups import define_groups, effective_sample
from .outdir import sha256
from .overlaps import OVERLAP_COLUMNS
from .pipeline.estimate import AR_COLUMNS, ar_rows, excluded_days, iter_estimates, tidy_rows
from .pipeline.prepare import Plan, Prepared
from .safetext import write_csv
from .windows import EventWindows

CAR_COLUMNS = ["event_id", "asset", "window", "car", "se", "t", "pvalue", "bhar", "n_est", "day0", "status"]
DAILY_FORMAT = "%Y-%m-%d"
INSTANT_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


class Relabel(Protocol):
    """Maps the labels an engine computed with back to the real ones (intraday studies run the
    daily engine on stand-in tickers and session labels; :mod:`eventstudy.intraday`)."""

    def frame(self, frame: pd.DataFrame) -> pd.DataFrame:
        """A frame with ``asset`` and ``date`` columns in real tickers and instants."""
        ...

    def ticker(self, name: str) -> str:
        """The real ticker of a stand-in name."""
        ...


@dataclass(frozen=True, eq=False)
class EventStudyResults:
    """Immutable results of :meth:`eventstudy.EventStudy.fit` (schema in the module docstring)."""

    spec: object
    plan: Plan
    alignment: pd.DataFrame
    members: pd.DataFrame
    exclusions: pd.DataFrame
    params: pd.DataFrame
    car: pd.DataFrame
    tests: pd.DataFrame
    event_rows: pd.DataFrame = field(repr=False)
    """The event-window rows of :attr:`abnormal_returns` (kept by every engine for the views)."""
    execution: Mapping = field(default_factory=dict)
    overlaps: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=OVERLAP_COLUMNS), repr=False)
    inputs: Prepared | None = field(default=None, repr=False, compare=False)
    fitted: np.ndarray | None = field(default=None, repr=False, compare=False)
    """Positions of :attr:`members` in ``inputs.members``."""
    frequency: str | Mapping[str, str] | None = None
    """Bar interval of an intraday study (None: daily sessions)."""
    relabel: Relabel | None = field(default=None, repr=False, compare=False)
    extra: Mapping = field(default_factory=dict, compare=False)
    """More facts for the manifest (the number of bars of an intraday study)."""

    # ------------------------------------------------------------------ on-demand views
    def _real(self, frame: pd.DataFrame) -> pd.DataFrame:
        return self.relabel.frame(frame) if self.relabel is not None else frame

    def _estimates(self):
        if self.inputs is None:
            raise DataError("these results carry no prepared inputs to recompute the estimation rows from; "
                            "fit the study again (EventStudy.fit) to get them")
        return iter_estimates(self.inputs, self.inputs.members.iloc[self.fitted].reset_index(drop=True))

    @cached_property
    def abnormal_returns(self) -> pd.DataFrame:
        """Tidy AR rows keyed (event_id, asset, tau) with ``member`` first: the estimation window
        (``part`` ``estimation`` / ``estimation-excluded``) and the event windows (``event``)."""
        parts = [ar_rows(self.plan, e, pos) for pos, e in self._estimates()]
        return self._real(pd.concat(parts, ignore_index=True)[AR_COLUMNS])

    @cached_property
    def estimation_exclusions(self) -> pd.DataFrame:
        """Estimation days dropped because they lie inside another event's window on the asset:
        ``event_id, asset, date, reason``, one row per day."""
        parts = [excluded_days(e) for _, e in self._estimates()]
        return self._real(pd.concat(parts, ignore_index=True))

    # ------------------------------------------------------------------ small views
    @property
    def is_intraday(self) -> bool:
        """Whether the study ran on intraday bars (tau counts bars, day 0 is bar 0)."""
        return self.frequency is not None

    @property
    def date_format(self) -> str:
        """How dates are written: session dates of a daily study, UTC instants of an intraday one."""
        return INSTANT_FORMAT if self.is_intraday else DAILY_FORMAT

    def groups(self, *, by_asset: bool = False) -> dict[str, np.ndarray]:
        """Group name -> member positions (:func:`eventstudy.groups.define_groups`)."""
        return define_groups(self.members, self.plan.group, by_event=self.plan.by_event, by_asset=by_asset)

    @cached_property
    def caar(self) -> pd.DataFrame:
        """Mean CAR per group and window with its standard errors: ``group, window, caar, n, se, t,
        se_bw1985, t_bw1985``; ``all``, each group value, each event (as in tests.csv), then each
        asset (``asset:SPY``) unless the study was fitted with ``by_asset=False``.

        ``n`` counts the members with a CAR; ``se`` is the naive cross-sectional SE
        ``sd(CAR_i) / sqrt(n)`` (ddof 1) and ``t = caar / se``, which treat markets hit on one date
        as independent; ``se_bw1985 = sqrt(L) * S`` (L the window's length, S the group's
        Brown-Warner 1985 portfolio SD, :meth:`portfolio_sd`) is robust to that correlation, with
        ``t_bw1985 = caar / se_bw1985`` (NaN where the battery has no bw1985 rows: a study run with
        ``tests=`` without it; and for the events' own windows, whose lengths differ)."""
        labels = [w.label for w in self.plan.windows]
        # the events' own windows differ in length: no single sqrt(L) S (the battery's bw1985 row has its test)
        length = {w.label: np.nan if isinstance(w, EventWindows) else w.end - w.start + 1 for w in self.plan.windows}
        n = len(self.members)
        by_w = {w: self.car["car"].to_numpy()[i * n:(i + 1) * n] for i, w in enumerate(labels)}
        groups = self.groups(by_asset=self.plan.by_asset)
        s_hat = self.portfolio_sd(list(groups))
        rows = []
        for g, idx in groups.items():
            for w in labels:
                v = by_w[w][idx]
                v = v[np.isfinite(v)]
                mean = float(v.mean()) if len(v) else np.nan
                se = float(v.std(ddof=1) / np.sqrt(len(v))) if len(v) > 1 else np.nan
                se_bw = float(np.sqrt(length[w]) * s_hat[g])
                rows.append({"group": g, "window": w, "caar": mean, "n": len(v), "se": se,
                             "t": mean / se if se > 0 else np.nan, "se_bw1985": se_bw,
                             "t_bw1985": mean / se_bw if se_bw > 0 else np.nan})
        return pd.DataFrame(rows, columns=["group", "window", "caar", "n", "se", "t", "se_bw1985", "t_bw1985"])

    def portfolio_sd(self, groups=None) -> pd.Series:
        """Each group's Brown-Warner (1985) portfolio SD: Ŝ, the SD (M - 1) of the group's equally
        weighted AAR over the estimation rows (METHODS item 5), as the study's test battery measured it.

        The battery's daily ``bw1985`` statistic is ``AAR_tau / Ŝ``
        (:func:`eventstudy.inference.parametric.bw1985`), so Ŝ is read back from :attr:`tests` and
        :attr:`aar` as ``AAR_tau / t_tau`` at the group's tau with the largest |AAR|: the same
        number the test used (estimation rows aligned in event time, days inside other events'
        windows left out), without the estimation rows themselves, so it works on :meth:`detached`
        results too.

        Parameters
        ----------
        groups : str or sequence of str, optional
            Groups (as in :meth:`groups`); default every group of :attr:`tests`.

        Returns
        -------
        pandas.Series
            Ŝ per group (decimal fractions), named ``s_portfolio``; NaN for a group whose battery has
            no ``bw1985`` rows (a study run with ``tests=`` without it) or whose AAR is zero at every
            tau.
        """
        t = self.tests
        daily = t[(t["test"] == "bw1985") & t["tau"].notna()][["group", "tau", "statistic"]]
        daily = daily.assign(tau=daily["tau"].astype("int64")).drop_duplicates(["group", "tau"])
        aar = self.aar[["group", "tau", "aar"]]
        both = daily.merge(aar.assign(tau=aar["tau"].astype("int64")), on=["group", "tau"], how="left",
                           validate="one_to_one")
        ok = (np.isfinite(both["statistic"]) & np.isfinite(both["aar"]) & (both["statistic"] != 0)
              & (both["aar"] != 0))
        both = both[ok]
        best = both.loc[both["aar"].abs().groupby(both["group"], sort=False).idxmax()] if len(both) else both
        s = pd.Series((best["aar"] / best["statistic"]).abs().to_numpy(), index=best["group"].to_numpy(),
                      name="s_portfolio", dtype=float)
        if groups is None:
            groups = list(dict.fromkeys(t["group"]))
        elif isinstance(groups, str):
            groups = [groups]
        return s.reindex(list(groups)).rename("s_portfolio")

    @cached_property
    def bhar_tests(self) -> pd.DataFrame:
        """Tests of the mean buy-and-hold abnormal return per group (as in :attr:`caar`, assets
        included) and window: Lyon, Barber & Tsai's skewness-adjusted t and its bootstrapped p
        (:func:`eventstudy.inference.bhar.lbt_test`, ``n_boot`` resamples of n/4, the study's
        seed), beside the ordinary t. Columns ``group, window, n, n_missing, mean, sd, skewness, t,
        p_normal, t_sa, p_sa, p_boot, n_resample, n_boot, note``."""
        from .inference.bhar import lbt_test

        labels = [w.label for w in self.plan.windows]
        n = len(self.members)
        by_w = {w: self.car["bhar"].to_numpy(dtype=float)[i * n:(i + 1) * n] for i, w in enumerate(labels)}
        note = ("treats BHARs as independent: markets hit on one date are correlated, so p-values of pooled groups "
                "are too small when events share dates")
        rows = [{"group": g, "window": w, **lbt_test(by_w[w][idx], n_boot=self.plan.n_boot, seed=self.plan.seed),
                 "note": note}
                for g, idx in self.groups(by_asset=self.plan.by_asset).items() for w in labels]
        columns = ["group", "window", "n", "n_missing", "mean", "sd", "skewness", "t", "p_normal", "t_sa", "p_sa",
                   "p_boot", "n_resample", "n_boot", "note"]
        return pd.DataFrame(rows, columns=columns)

    @cached_property
    def aar(self) -> pd.DataFrame:
        """Average abnormal return per tau of the event windows: ``group, tau, aar, n`` (groups as
        in :attr:`caar`), pooled in event time."""
        ar = self.event_rows
        rows = []
        for g, idx in self.groups(by_asset=self.plan.by_asset).items():
            sub = ar[ar["member"].isin(idx)].groupby("tau")["ar"]
            mean = sub.mean()
            rows.append(pd.DataFrame({"group": g, "tau": mean.index, "aar": mean.to_numpy(),
                                      "n": sub.count().to_numpy()}))
        return pd.concat(rows, ignore_index=True)

    @property
    def options(self) -> dict:
        """Every option of the study and its execution, as the manifest records them."""
        plan, spec = self.plan, self.spec
        real = self.relabel.ticker if self.relabel is not None else (lambda t: t)
        market = plan.market
        market = {real(a): real(b) for a, b in market.items()} if isinstance(market, Mapping) else \
            (real(market) if market else market)
        out = {
            "model": plan.model.name, "factors": [real(f) for f in plan.factors],
            "lags": getattr(plan.model, "lags", 0),
            "tests": list(plan.tests or []), "calendars": dict(plan.calendars or {}), "market": market,
            "returns": plan.returns, "estimation": plan.estimation.label,
            "windows": [w.label for w in plan.windows], "min_estimation": plan.min_estimation,
            "clean_estimation": plan.clean_estimation, "date_only": spec.date_only, "group": plan.group,
            "convention": plan.convention, "seed": plan.seed, "n_boot": plan.n_boot, "by_event": plan.by_event,
            "by_asset": plan.by_asset, "sign": plan.sign,
            "window_sets": dict(getattr(spec, "window_sets", None) or {}) or None,
            "overlap": plan.overlap,
            "assets": [real(a) for a in (self.inputs.assets if self.inputs is not None else [])],
        }
        out.update(self.execution)
        if self.is_intraday:  # bar 0 follows the instant: no date-only policy applies
            out["frequency"] = self.frequency
            out.pop("date_only")
        out.update(self.extra)
        return out

    def detached(self) -> EventStudyResults:
        """A copy holding only the tables: without the prepared inputs (so :attr:`abnormal_returns`
        and :attr:`estimation_exclusions` raise :class:`~eventstudy.errors.DataError`) and with a
        copy of the study without its prices. What the tables and figures read, cheap to send to
        another process (``eventstudy run`` draws its figures in one).

        Returns
        -------
        EventStudyResults
        """
        spec = copy.copy(self.spec)
        if dataclasses.is_dataclass(spec) and any(f.name == "prices" for f in dataclasses.fields(spec)):
            object.__setattr__(spec, "prices", None)  # a frozen dataclass: set on the copy only
        return dataclasses.replace(self, spec=spec, inputs=None, fitted=None)

    def summary(self):
        """Headline table: CAAR per group and window, clustering-robust statistics first
        (:func:`eventstudy.report.tables.caar_table`)."""
        from .report.tables import caar_table

        return caar_table(self)

    def volume_study(self, *, model=None, market=None, transform: str = "log1p", min_estimation=None):
        """Abnormal log volume on this study's members, windows and groups
        (:func:`eventstudy.volume.volume_study`).

        Parameters
        ----------
        model : {"mean-adjusted", "market"}, optional
            Default ``"market"`` with a benchmark, else ``"mean-adjusted"``.
        market : str or mapping, optional
            Benchmark of the market model (default the study's).
        transform : {"log1p", "log"}
            ``log(1 + volume)`` or ``log(volume)``.
        min_estimation : int, optional
            Fewest estimation days with a volume (default the study's).

        Returns
        -------
        eventstudy.volume.VolumeStudy
        """
        from .volume import volume_study

        return volume_study(self, model=model, market=market, transform=transform, min_estimation=min_estimation)

    def volatility_study(self, *, garch: bool = False):
        """Variance ratios and abnormal-volatility tests on this study's abnormal returns
        (:func:`eventstudy.volatility.volatility_study`).

        Parameters
        ----------
        garch : bool
            Add the GARCH(1,1) benchmark (the ``[volatility]`` extra).

        Returns
        -------
        eventstudy.volatility.VolatilityStudy
        """
        from .volatility import volatility_study

        return volatility_study(self, garch=garch)

    def regress(self, formula: str, *, window=None, weights: str | None = None, cov: str = "cluster"):
        """Regress the members' CARs in one window on their characteristics
        (:func:`eventstudy.regress.cross_section`).

        Parameters
        ----------
        formula : str
            A patsy formula on the columns of :func:`eventstudy.regress.regression_frame`, e.g.
            ``"car_pct ~ direction + C(market)"``.
        window : str or Window, optional
            One of the study's windows; may be omitted when it has one.
        weights : {None, "inverse-variance"}
            OLS, or WLS with weights ``1 / SE(CAR)^2``.
        cov : {"cluster", "HC1", "nonrobust"}
            The standard errors that lead (default: clustered by independent event date).

        Returns
        -------
        eventstudy.regress.Regression
        """
        from .regress import cross_section

        return cross_section(self, formula, window=window, weights=weights, cov=cov)

    # ------------------------------------------------------------------ files
    def write(self, out: str | Path, *, inputs: Mapping[str, Path] | None = None) -> list[Path]:
        """Write the tidy tables as CSV and a manifest.

        Files: ``abnormal_returns.csv`` and ``estimation_exclusions.csv`` (written block by block,
        so a chunked study's estimation rows never sit in memory at once), ``car.csv``,
        ``params.csv``, ``tests.csv``, ``bhar_tests.csv`` (:attr:`bhar_tests`), ``exclusions.csv``,
        ``overlaps.csv``, ``alignment.csv`` and
        ``manifest.json`` (version, options, input hashes, the day-0 mapping, conventions).

        Parameters
        ----------
        out
            Output folder (created).
        inputs
            Input files or folders to hash into the manifest (``{"prices": path, "events": path}``;
            a folder's hash covers every file in it: :func:`~eventstudy.outdir.sha256`).

        Returns
        -------
        list of Path
        """
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        fmt = self.date_format
        streamed = {"abnormal_returns.csv": lambda pos, e: ar_rows(self.plan, e, pos).drop(columns="member"),
                    "estimation_exclusions.csv": lambda pos, e: excluded_days(e)}
        handles = {name: open(out / name, "w", newline="") for name in streamed}  # noqa: SIM115
        try:
            first = True
            for pos, e in self._estimates():
                for name, make in streamed.items():
                    frame = self._real(make(pos, e))
                    frame = frame.assign(date=frame["date"].dt.strftime(fmt))
                    write_csv(frame, handles[name], header=first, float_format="%.15g")
                first = False
        finally:
            for h in handles.values():
                h.close()
        files = [out / name for name in streamed]
        params = self.params.assign(est_first=self.params["est_first"].dt.strftime(fmt),
                                    est_last=self.params["est_last"].dt.strftime(fmt))
        overlaps = self.overlaps.assign(day0_a=pd.to_datetime(self.overlaps["day0_a"]).dt.strftime(fmt),
                                        day0_b=pd.to_datetime(self.overlaps["day0_b"]).dt.strftime(fmt))
        car = self.car[CAR_COLUMNS + [c for c in ("halts",) if c in self.car]]  # halts: intraday studies
        for name, frame in [("car.csv", car), ("params.csv", params), ("tests.csv", self.tests),
                            ("bhar_tests.csv", self.bhar_tests),
                            ("overlaps.csv", overlaps),
                            ("exclusions.csv", self.exclusions), ("alignment.csv", to_csv_frame(self.alignment))]:
            write_csv(frame, out / name, float_format="%.15g")
            files.append(out / name)
        manifest = {
            "package": "eventstudy", "version": __version__, "options": self.options,
            "inputs": {k: {"path": str(p), "sha256": sha256(p)} for k, p in (inputs or {}).items()},
            "day0": to_csv_frame(self.alignment)[["event_id", "asset", "event_time_utc", "time_precision", "rule",
                                                  "day0"]].to_dict(orient="records"),
            "conventions": {
                "windows": "session offsets relative to day 0, inclusive at both ends",
                "day0": "first session of the market whose daily price (close, or futures settlement) is "
                        "fixed strictly after the event instant",
                "returns": "on each instrument's own sessions, dated by the later session",
            } if not self.is_intraday else {
                "windows": f"bar offsets ({self.frequency} bars) relative to bar 0, inclusive at both ends",
                "day0": "bar 0: the first bar of the instrument ending strictly after the event instant (UTC)",
                "returns": "bar to bar on each instrument's own bars, dated by the later bar's end",
            },
        }
        (out / "manifest.json").write_text(json.dumps(manifest, indent=1, default=str) + "\n")
        files.append(out / "manifest.json")
        return files


def assemble(spec, prepared: Prepared, fitted: np.ndarray, exclusions: pd.DataFrame, params: pd.DataFrame,
             car: pd.DataFrame, tests: pd.DataFrame, evt: Mapping[str, np.ndarray],
             execution: Mapping) -> EventStudyResults:
    """The results of any engine, in the one schema.

    Parameters
    ----------
    spec
        The study.
    prepared
        Its prepared inputs (kept for the on-demand views).
    fitted
        Positions in ``prepared.members`` of the members that were estimated, in order.
    exclusions, params, tests
        As in the module docstring.
    car
        The CAR table with ``member`` first (window-major, members in order).
    evt
        Event-window arrays (``taus``, and (N, L) ``dates, ret, normal, ar``).
    execution
        What the manifest records of the execution.
    """
    members = prepared.members.iloc[fitted].reset_index(drop=True)
    plan = prepared.plan
    sample = effective_sample(members, define_groups(members, plan.group, by_event=plan.by_event,
                                                     by_asset=plan.by_asset), car,
                              prepared.alignment["event_id"].unique())
    tests = tests.merge(sample, on=["group", "window"], how="left", validate="many_to_one")
    car = car.copy()
    day0 = pd.DatetimeIndex(pd.to_datetime(members["day0"])).strftime(DAILY_FORMAT).to_numpy()
    car["day0"] = day0[car["member"].to_numpy()]
    rows = tidy_rows(members, np.arange(len(members)), evt["taus"], evt, "event")
    return EventStudyResults(spec=spec, plan=plan, alignment=prepared.alignment, members=members,
                             exclusions=exclusions.reset_index(drop=True), params=params, car=car, tests=tests,
                             event_rows=rows, execution=dict(execution), overlaps=prepared.overlaps, inputs=prepared,
                             fitted=np.asarray(fitted, dtype=np.int64))
