"""``EventStudy`` specification -> ``fit()`` -> immutable ``EventStudyResults``.

The flow (GUIDE.md): events -> day 0 per (event, asset) on each market's sessions -> returns on
each instrument's own sessions -> event-time panel -> normal-return model fitted on the
estimation window (other events' windows excluded by default) -> AR, CAR, BHAR -> AAR/CAAR and
the test battery per group. Every (event, asset) pair that cannot be estimated is kept in
``exclusions`` with the reason; none disappears silently.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd

from . import __version__
from .abnormal import abnormal, car_table, forecast_factors
from .alignment import align, to_csv_frame
from .assets import data_calendars
from .calendars import DateOnlyPolicy
from .errors import DataError, EstimationWindowError
from .events import expand_assets, load_events
from .models import NormalReturnModel, get_model
from .panel import Panel, Window, build_panel, other_event_mask, parse_window, window_label
from .prices.base import check_daily_frame
from .report.summary import Summary
from .returns import ReturnKind, compute_returns


BACKENDS: tuple[str, ...] = ("memory", "chunked", "dask")


@dataclass(frozen=True)
class EventStudy:
    """What to estimate. Data first, options keyword-only; :meth:`fit` does the work.

    Parameters
    ----------
    events
        A validated catalog (:func:`load_events`) or a path to one.
    prices
        Daily price frame (``ticker, date, close, adj_close``) or any object with ``.daily()``.
    assets
        Tickers the events apply to (default: every ticker in ``prices`` except the market). Rows
        of an ``asset``/``assets`` column in the catalog take precedence.
    model
        ``"constant-mean"``, ``"market-adjusted"``, ``"market"`` or a model object.
    market
        Benchmark ticker for market-adjusted and market models, or a mapping asset -> benchmark
        (a benchmark per asset, e.g. ``{"^N225": "ACWI", "SPY": "VT"}``).
    returns
        ``"simple"`` or ``"log"``.
    estimation, windows
        Session offsets relative to day 0, inclusive at both ends.
    min_estimation
        Fewest estimation observations a member may have; fewer -> excluded, with the reason.
    clean_estimation
        Drop estimation days that lie inside another event's window on the same asset.
    group
        Column of the catalog to pool by (besides ``all`` and each event).
    by_event
        Also run the test battery for each event on its own (the ``group`` is the event_id).
        Turn off for large universes where only pooled statistics matter.
    calendars
        Exchange calendar per ticker the registry does not know (``{"AAPL": "XNYS"}``), so that
        timed events are placed against its real closes. Without one, such a ticker's sessions
        are the dates of its data, each assumed to close at 24:00 UTC (the alignment's
        ``calendar`` column says so) — fine for date-only events, rough for timed ones.
    backend
        ``"memory"`` (default): the whole event-time panel at once, fastest while it fits.
        ``"chunked"``: blocks of members within ``memory`` bytes, same numbers (to the order of
        floating-point sums), estimation rows spilled to ``spill_dir`` between the two passes.
        ``"dask"``: the same blocks as tasks of a ``dask.distributed`` cluster (``client``).
        See :mod:`eventstudy.engine`.
    memory
        Memory budget of the chunked engine: bytes or ``"2GB"``/``"500MB"``; None = 2 GB.
        With ``"dask"``, the budget per task.
    client
        ``"dask"`` only: a ``distributed.Client`` or a scheduler address (``"tcp://host:8786"``);
        None starts a ``LocalCluster`` on this machine for the fit.
    partition
        How the chunked/Dask engine cuts the members: ``"event"`` (whole events per block, so each
        event's own battery runs inside its block) or ``"asset"`` (whole assets per block: each
        task reads only its tickers' prices).
    progress
        Print one line per block to stderr (True), or call ``progress(done, total, message)``.
    spill_dir
        Where the chunked engine keeps estimation rows between its passes (default: a temporary
        directory, removed after the fit).
    """

    events: pd.DataFrame | str | Path
    prices: object
    assets: Sequence[str] | None = None
    model: str | NormalReturnModel = "market"
    market: str | Mapping[str, str] | None = None
    returns: ReturnKind = "simple"
    estimation: Window = (-250, -11)
    windows: Sequence[Window] = ((-1, 1), (0, 0))
    min_estimation: int = 60
    clean_estimation: bool = True
    date_only: DateOnlyPolicy = "session-date"
    group: str | None = "group"
    by_event: bool = True
    calendars: Mapping[str, str] | None = None
    tests: Sequence[str] | None = None
    convention: str = "clm"
    seed: int = 0
    n_boot: int = 2000
    backend: str = "memory"
    memory: int | str | None = None
    client: object = field(default=None, compare=False, repr=False)
    partition: str = "event"
    progress: object = field(default=False, compare=False, repr=False)
    spill_dir: str | Path | None = None

    def fit(self) -> EventStudyResults:
        return _fit(self)


@dataclass(frozen=True)
class EventStudyResults:
    """Immutable results. ``abnormal_returns``, ``car`` and ``tests`` are tidy frames; the
    other attributes say how they were made."""

    spec: EventStudy
    alignment: pd.DataFrame
    members: pd.DataFrame
    exclusions: pd.DataFrame
    car: pd.DataFrame
    tests: pd.DataFrame
    options: dict = field(default_factory=dict)
    # the wide arrays the tidy views are made from (kept instead of a 24-million-row frame)
    panel: Panel | None = field(default=None, repr=False)
    normal: np.ndarray | None = field(default=None, repr=False)
    ar: np.ndarray | None = field(default=None, repr=False)
    est_mask: np.ndarray | None = field(default=None, repr=False)
    # the chunked and Dask engines keep only the event-window rows and a count of excluded days
    event_ar: pd.DataFrame | None = field(default=None, repr=False)
    est_exclusion_counts: pd.DataFrame | None = field(default=None, repr=False)

    @cached_property
    def abnormal_returns(self) -> pd.DataFrame:
        """Tidy AR frame keyed (event_id, asset, tau): estimation and event rows (gap rows are
        used nowhere). ``part`` is ``estimation``, ``estimation-excluded`` (inside another
        event's window) or ``event``. The chunked and Dask engines keep the event rows only."""
        if self.panel is None:
            return self.event_ar
        return _ar_frame(self)

    @cached_property
    def estimation_exclusions(self) -> pd.DataFrame:
        """Estimation days dropped because they lie inside another event's window on the asset
        (``event_id, asset, date, reason``). The chunked and Dask engines give one row per member
        with the number of such days instead (``event_id, asset, n_days, reason``)."""
        if self.panel is None:
            return self.est_exclusion_counts
        cols = ["event_id", "asset", "date", "reason"]
        if self.est_mask is None or not self.est_mask.any():
            return pd.DataFrame(columns=cols)
        est_cols = self.panel.cols(parse_window(self.options["estimation"]))
        ii, jj = np.nonzero(self.est_mask)
        return pd.DataFrame({"event_id": self.members["event_id"].to_numpy()[ii],
                             "asset": self.members["asset"].to_numpy()[ii],
                             "date": pd.DatetimeIndex(self.panel.dates[:, est_cols][ii, jj]).strftime(self._date_format),
                             "reason": "inside another event's window on this asset"})

    @cached_property
    def caar(self) -> pd.DataFrame:
        """Mean CAR per group and window, with N (a view of :attr:`car`): ``all``, each group
        value, each event (as in tests.csv), then each asset pooled over its events (``asset:SPY``)."""
        rows = []
        for g, mem in self._groups(with_assets=True).items():
            sub = self.car[self.car["member"].isin(mem)]
            for w, s in sub.groupby("window", sort=False):
                rows.append({"group": g, "window": w, "caar": s["car"].mean(), "n": int(s["car"].notna().sum())})
        return pd.DataFrame(rows)

    @cached_property
    def aar(self) -> pd.DataFrame:
        """Average abnormal return per tau of the event windows: ``group, tau, aar, n`` (groups as
        in :attr:`caar`), pooled in event time."""
        ar = self.abnormal_returns[self.abnormal_returns["part"] == "event"]
        rows = []
        for g, mem in self._groups(with_assets=True).items():
            sub = ar[ar["member"].isin(mem)].groupby("tau")["ar"]
            rows.append(pd.DataFrame({"group": g, "tau": sub.mean().index, "aar": sub.mean().to_numpy(),
                                      "n": sub.count().to_numpy()}))
        return pd.concat(rows, ignore_index=True)

    @property
    def _date_format(self) -> str:
        """Session dates of a daily study; bar-end instants (UTC) of an intraday one."""
        return "%Y-%m-%dT%H:%M:%SZ" if self.options.get("frequency") else "%Y-%m-%d"

    def summary(self) -> Summary:
        """Headline table: CAAR per group and window, clustering-robust statistics first."""
        from .report.tables import caar_table

        return caar_table(self)

    def _groups(self, *, with_assets: bool = False) -> dict[str, list[int]]:
        groups = _groups(self.members, self.spec.group, self.spec.by_event)
        if with_assets:  # each asset pooled over its events, for the CAAR/AAR views
            for a, idx in self.members.groupby("asset", sort=False).groups.items():
                groups[f"asset:{a}"] = list(idx)
        return groups

    def write(self, out: str | Path, *, inputs: dict[str, Path] | None = None) -> list[Path]:
        """Write the CLI's files: abnormal_returns.csv, car.csv, tests.csv, exclusions.csv, manifest.json."""
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        files = []
        ar = self.abnormal_returns.copy()
        ar["date"] = ar["date"].dt.strftime(self._date_format)
        for name, frame in [("abnormal_returns.csv", ar[["event_id", "asset", "tau", "date", "ret", "normal", "ar", "part"]]),
                            ("car.csv", self.car[["event_id", "asset", "window", "car", "se", "t", "pvalue", "bhar",
                                                   "n_est", "day0", "status"]]),
                            ("tests.csv", self.tests),
                            ("exclusions.csv", self.exclusions),
                            ("alignment.csv", to_csv_frame(self.alignment)),
                            ("estimation_exclusions.csv", self.estimation_exclusions)]:
            frame.to_csv(out / name, index=False, float_format="%.15g")
            files.append(out / name)
        manifest = {
            "package": "eventstudy", "version": __version__, "options": self.options,
            "inputs": {k: {"path": str(p), "sha256": hashlib.sha256(Path(p).read_bytes()).hexdigest()}
                       for k, p in (inputs or {}).items()},
            "day0": to_csv_frame(self.alignment)[["event_id", "asset", "event_time_utc", "time_precision", "rule",
                                                  "day0"]].to_dict(orient="records"),
            "conventions": {
                "windows": "session offsets relative to day 0, inclusive at both ends",
                "day0": "first session of the market whose close is strictly after the event instant",
                "returns": "on each instrument's own sessions, dated by the later session",
            } if not self.options.get("frequency") else {
                "windows": f"bar offsets ({self.options['frequency']} bars) relative to bar 0, inclusive at both ends",
                "day0": "bar 0: the first bar of the instrument ending strictly after the event instant (UTC)",
                "returns": "bar to bar on each instrument's own bars, dated by the later bar's end",
            },
        }
        (out / "manifest.json").write_text(json.dumps(manifest, indent=1, default=str) + "\n")
        files.append(out / "manifest.json")
        return files


def _groups(members: pd.DataFrame, group: str | None, by_event: bool = True) -> dict[str, list[int]]:
    """``all``, each value of the group column, then each event_id -> member indices."""
    out = {"all": list(members.index)}
    if group and group in members.columns:
        for g, idx in members.groupby(group, sort=False).groups.items():
            if str(g) and str(g) != "<NA>":
                out.setdefault(str(g), list(idx))
    if by_event:
        for eid, idx in members.groupby("event_id", sort=False).groups.items():
            out.setdefault(str(eid), list(idx))
    return out


def _daily(prices) -> pd.DataFrame:
    if isinstance(prices, pd.DataFrame):
        return check_daily_frame(prices, "prices")
    if hasattr(prices, "daily"):
        return prices.daily()
    raise DataError(f"prices={type(prices).__name__}: pass a daily price frame or a PriceSource")


@dataclass
class _Prepared:
    """Everything ``fit`` knows before any event-time panel is built (shared by every engine)."""

    spec: EventStudy
    model: NormalReturnModel
    est: Window
    windows: list[Window]
    prices: pd.DataFrame
    assets: list[str]
    factors: tuple[str, ...]
    alignment: pd.DataFrame
    rets: pd.DataFrame
    members: pd.DataFrame  # (event, asset) pairs with a day-0 return, before the estimation check
    exclusions: list[dict]
    taus: tuple[int, int]  # the panel's tau range (estimation and event windows, Dimson padding)

    def plan(self) -> _Plan:
        spec = self.spec
        return _Plan(self.model, self.est, self.windows, self.taus, spec.market, self.factors, spec.returns,
                     spec.min_estimation, spec.clean_estimation, tuple(spec.tests) if spec.tests else None,
                     spec.convention, spec.seed, spec.n_boot, spec.group, spec.by_event,
                     dict(spec.calendars) if spec.calendars else None)

    def options(self) -> dict:
        spec, model = self.spec, self.model
        return {
            "model": model.name, "factors": list(self.factors), "lags": getattr(model, "lags", 0),
            "tests": list(spec.tests or []), "calendars": dict(spec.calendars or {}),
            "market": dict(spec.market) if isinstance(spec.market, Mapping) else spec.market,
            "returns": spec.returns, "estimation": window_label(self.est),
            "windows": [window_label(w) for w in self.windows], "min_estimation": spec.min_estimation,
            "clean_estimation": spec.clean_estimation, "date_only": spec.date_only, "group": spec.group,
            "convention": spec.convention, "seed": spec.seed, "n_boot": spec.n_boot, "by_event": spec.by_event,
            "assets": self.assets, "backend": spec.backend,
        }


def _fit(spec: EventStudy) -> EventStudyResults:
    prep = _prepare(spec)
    if spec.backend == "memory":
        return _fit_memory(prep)
    from .engine import fit_blocks

    return fit_blocks(prep)


def _prepare(spec: EventStudy) -> _Prepared:
    if spec.backend not in BACKENDS:
        raise DataError(f"backend={spec.backend!r}: use one of {', '.join(BACKENDS)}")
    model = get_model(spec.model)
    est = parse_window(spec.estimation, argument="estimation")
    windows = [parse_window(w, argument="window") for w in spec.windows]
    if not windows:
        raise EstimationWindowError("no event window given; pass at least one, e.g. windows=[(-1, 1)]")
    if est[1] >= min(w[0] for w in windows):
        raise EstimationWindowError(
            f"estimation window {window_label(est)} overlaps event window(s) "
            f"{', '.join(map(window_label, windows))}; end the estimation before the first event day"
        )
    if model.needs_market and not spec.market:  # (a FactorModel names its own regressors)
        raise DataError(f"model={model.name!r} needs a benchmark: pass market= (e.g. --market ACWI)")
    events = spec.events if isinstance(spec.events, pd.DataFrame) else load_events(spec.events)
    prices = _daily(spec.prices)
    have = list(pd.unique(prices["ticker"]))
    if isinstance(spec.market, Mapping):
        benchmarks = set(spec.market.values())
        not_assets = benchmarks - set(spec.market)  # a benchmark that has its own benchmark is also an asset
    else:
        benchmarks = not_assets = {spec.market} if spec.market else set()
    factors = tuple(getattr(model, "factors", ()))
    not_assets = not_assets | set(factors)
    missing_b = sorted(benchmarks - set(have))
    if missing_b:
        raise DataError(f"market {missing_b[0]!r} has no prices; the price data hold {have}")
    assets = list(spec.assets) if spec.assets is not None else [t for t in have if t not in not_assets]
    own = [a for a in assets if (spec.market.get(a) if isinstance(spec.market, Mapping) else spec.market) == a
           or a in factors]
    if own and (model.needs_market or factors):
        raise DataError(f"asset(s) {own} would be regressed on themselves (their own benchmark or factor); "
                        "drop them from assets or give them another benchmark")
    if isinstance(spec.market, Mapping) and model.needs_market:
        unmapped = [a for a in assets if a not in spec.market]
        if unmapped:
            raise DataError(f"market= maps no benchmark to {unmapped}; give every asset one (or pass one ticker)")
    pairs = expand_assets(events, assets)
    no_prices = sorted(set(pairs["asset"]) - set(have))
    if no_prices:
        raise DataError(f"asset(s) {no_prices} have no prices; add them to the price data or drop them from the events")
    sessions = data_calendars(prices, spec.calendars)
    alignment = align(events, assets, date_only=spec.date_only, sessions=sessions, outside="report")
    rets = compute_returns(prices, spec.returns, sessions=sessions)

    # members: (event, asset) pairs whose day 0 has a return; the rest are excluded with a reason
    meta_cols = list(dict.fromkeys(c for c in ("group", "category", "direction", "title", spec.group)
                                   if c and c in pairs.columns))
    if spec.group and spec.group not in pairs.columns and spec.group != "group":
        raise DataError(f"group={spec.group!r} is not a column of the events; it has {list(events.columns)}")
    members = alignment[["event_id", "asset", "day0", "rule", "event_time_utc"]].merge(
        pairs[["event_id", "asset", *meta_cols]], on=["event_id", "asset"], how="left", validate="one_to_one")
    have_ret = pd.MultiIndex.from_frame(rets[["ticker", "date"]]).get_indexer(
        pd.MultiIndex.from_arrays([members["asset"], members["day0"]])) >= 0
    outside = members["day0"].isna().to_numpy()
    exclusions = [
        {"event_id": r.event_id, "asset": r.asset,
         "reason": f"event on {r.event_time_utc:%Y-%m-%d} is {r.rule}" if pd.isna(r.day0) else
         f"no return on day 0 {r.day0:%Y-%m-%d} (price missing that session or outside the data)"}
        for r in members[~have_ret | outside].itertuples()]
    have_ret &= ~outside
    members = members[have_ret].drop(columns=["rule", "event_time_utc"]).reset_index(drop=True)
    if members.empty:
        raise EstimationWindowError("no (event, asset) pair has prices on its day 0: " +
                                    "; ".join(f"{e['event_id']}/{e['asset']}" for e in exclusions[:5]))
    if spec.group and spec.group in members.columns:  # tests.csv names groups and events in one column
        values = {str(v) for v in members[spec.group].dropna()} - {"", "<NA>"}
        taken = {"all"} | ({str(e) for e in members["event_id"]} if spec.by_event else set())
        clash = sorted(values & taken)
        if clash:
            raise DataError(f"group={spec.group!r}: value(s) {clash[:5]} also name "
                            f"{'the pooled group' if clash == ['all'] else 'an event'}, so their tests would share a "
                            f"name in tests.csv; rename those group values (e.g. 'group {clash[0]}')")

    # Dimson leads/lags need `lags` extra rows beyond the estimation and event windows
    pad = getattr(model, "lags", 0)
    lo = min(est[0], min(w[0] for w in windows)) - pad
    hi = max(w[1] for w in windows) + pad
    missing_f = [f for f in factors if f not in have]
    if missing_f:
        raise DataError(f"factor(s) {missing_f} have no prices; the price data hold {have}")
    return _Prepared(spec, model, est, windows, prices, assets, factors, alignment, rets, members, exclusions, (lo, hi))


def _fit_memory(prep: _Prepared) -> EventStudyResults:
    """The whole (N, T) panel in memory at once (fastest for studies that fit)."""
    plan, members = prep.plan(), prep.members
    panel = build_panel(prep.rets, members, plan.taus, market=plan.market, factors=plan.factors, kind=plan.returns)
    e = _estimate(plan, members, panel)
    if not e.keep.any():
        raise EstimationWindowError(f"every (event, asset) pair has fewer than {plan.min_estimation} estimation "
                                    f"observations in {window_label(plan.est)}; shorten min_estimation or move the window")
    members = e.panel.members
    exclusions = list(prep.exclusions) + [
        {"event_id": prep.members.at[i, "event_id"], "asset": prep.members.at[i, "asset"], "reason": r}
        for i, r in e.short]
    car = e.car
    n = len(members)
    car.insert(0, "member", np.tile(np.arange(n), len(plan.windows)))
    car["day0"] = np.tile(pd.to_datetime(members["day0"]).dt.strftime("%Y-%m-%d").to_numpy(), len(plan.windows))
    groups = _groups(members, plan.group, plan.by_event)
    tests = pd.concat(_inference(plan, e, groups).values(), ignore_index=True)
    return EventStudyResults(prep.spec, prep.alignment, members,
                             pd.DataFrame(exclusions, columns=["event_id", "asset", "reason"]),
                             car, tests, prep.options(), panel=e.panel, normal=e.normal, ar=e.ar, est_mask=e.mask)


@dataclass(frozen=True)
class _Plan:
    """The options every block of members needs (small and picklable: no data, no client)."""

    model: NormalReturnModel
    est: Window
    windows: list[Window]
    taus: tuple[int, int]
    market: str | Mapping[str, str] | None
    factors: tuple[str, ...]
    returns: str
    min_estimation: int
    clean_estimation: bool
    tests: Sequence[str] | None
    convention: str
    seed: int
    n_boot: int
    group: str | None
    by_event: bool
    calendars: Mapping[str, str] | None

    @property
    def min_obs(self) -> int:
        return max(self.min_estimation, self.model.k + 3)


@dataclass
class _Estimate:
    """Model fit, AR and CAR of a set of members (all of them, or one block)."""

    panel: Panel  # members with enough estimation observations
    keep: np.ndarray  # (N_in,) which input members those are
    short: list  # [(input position, reason)] of the others
    mask: np.ndarray | None
    est_cols: slice
    fit: object
    normal: np.ndarray
    ar: np.ndarray
    car: pd.DataFrame


def _estimate(plan: _Plan, members: pd.DataFrame, panel: Panel, window_days: pd.DataFrame | None = None) -> _Estimate:
    """Clean estimation windows, the minimum-observations rule, the fit, AR and the CAR table."""
    model, est = plan.model, plan.est
    est_cols = panel.span(est)  # a slice: the (N, M) estimation blocks below are views
    mask = other_event_mask(panel, est, plan.windows, window_days=window_days) if plan.clean_estimation else None
    present = np.isfinite(panel.ret[:, est_cols])
    if model.needs_market:
        present &= np.isfinite(panel.mkt[:, est_cols])
    for x in model.columns(model.regressors(panel)):
        present &= np.isfinite(x[:, est_cols])
    usable = present & ~mask if mask is not None else present
    n_usable = usable.sum(axis=1)
    short = n_usable < plan.min_obs
    reasons = [(int(i), f"{int(n_usable[i])} estimation observations in {window_label(est)} "
                        f"(min_estimation={plan.min_estimation})") for i in np.flatnonzero(short)]
    keep = ~short
    if not keep.any():
        return _Estimate(panel, keep, reasons, mask, est_cols, None, None, None, None)
    if short.any():
        members = members[keep].reset_index(drop=True)
        panel = dataclasses.replace(
            panel, members=members, ret=panel.ret[keep], mkt=panel.mkt[keep], dates=panel.dates[keep],
            factors=None if panel.factors is None else panel.factors[keep],
            spans=None if panel.spans is None else panel.spans[keep])
        mask = mask[keep] if mask is not None else None
    fit = model.fit(panel.ret, model.regressors(panel), est_cols, min_obs=plan.min_obs, exclude=mask)
    normal, ar = abnormal(panel, model, fit)
    car = car_table(panel, model, fit, ar, normal, plan.windows, kind=plan.returns)
    return _Estimate(panel, keep, reasons, mask, est_cols, fit, normal, ar, car)


class _Labels:
    """Member names for error messages, made only when one is needed (not 100,000 strings upfront)."""

    def __init__(self, members: pd.DataFrame, idx: np.ndarray) -> None:
        self.members, self.idx = members, idx

    def __len__(self) -> int:
        return len(self.idx)

    def __getitem__(self, i: int) -> str:
        row = self.members.iloc[int(self.idx[i])]
        return f"{row['event_id']}/{row['asset']}"


def _ar_frame(res: EventStudyResults) -> pd.DataFrame:
    panel, members = res.panel, res.members
    est_cols = panel.cols(parse_window(res.options["estimation"]))
    evt_cols = np.unique(np.concatenate([panel.cols(parse_window(w)) for w in res.options["windows"]]))
    cols = np.concatenate([est_cols, evt_cols])
    n, t = len(members), len(cols)
    part = np.empty((n, t), dtype=object)
    part[:, : len(est_cols)] = "estimation"
    part[:, len(est_cols):] = "event"
    if res.est_mask is not None:
        est_part = part[:, : len(est_cols)]
        est_part[res.est_mask] = "estimation-excluded"
    frame = pd.DataFrame({
        "member": np.repeat(np.arange(n), t),
        "event_id": np.repeat(members["event_id"].to_numpy(), t),
        "asset": np.repeat(members["asset"].to_numpy(), t),
        "tau": np.tile(panel.taus[cols], n),
        "date": pd.DatetimeIndex(panel.dates[:, cols].ravel()),
        "ret": panel.ret[:, cols].ravel(),
        "normal": res.normal[:, cols].ravel(),
        "ar": res.ar[:, cols].ravel(),
        "part": part.ravel(),
    })
    return frame[frame["date"].notna()].reset_index(drop=True)


class _TestInputs:
    """The battery's arrays of an estimate: estimation-window ARs with the excluded days missing,
    market returns, dates, and (factor models) the exact forecast-error factors per window."""

    def __init__(self, plan: _Plan, e: _Estimate) -> None:
        model, panel, ar, est_cols, mask = plan.model, e.panel, e.ar, e.est_cols, e.mask
        self.plan, self.e = plan, e
        est_ar = ar[:, est_cols]
        self.est_mkt = panel.mkt[:, est_cols] if model.needs_market and model.k == 2 else None
        if mask is not None and mask.any():  # excluded days are missing for the tests too (a copy only then;
            est_ar = np.where(mask, np.nan, est_ar)  # the battery takes market moments where est_ar exists)
        self.est_ar = est_ar
        self.est_dates = panel.dates[:, est_cols]
        # a model beyond the three the battery knows (a factor model) hands over its exact
        # prediction-error factors; the battery derives them itself for k <= 2
        self.exact = {w: forecast_factors(panel, model, e.fit, w) for w in plan.windows} if model.k > 2 else None

    def panel(self, idx: np.ndarray, w: Window):
        from .inference import Panel as InferencePanel

        panel, ar = self.e.panel, self.e.ar
        cols = panel.cols(w)
        extra = {"fe": self.exact[w][0][idx], "car_fe": self.exact[w][1][idx]} if self.exact else {}
        return InferencePanel(
            est_ar=self.est_ar[idx], evt_ar=ar[np.ix_(idx, cols)], taus=panel.taus[cols],
            est_mkt=self.est_mkt[idx] if self.est_mkt is not None else None,
            evt_mkt=panel.mkt[np.ix_(idx, cols)] if self.est_mkt is not None else None,
            k=self.plan.model.k, est_dates=self.est_dates[idx], evt_dates=panel.dates[np.ix_(idx, cols)],
            labels=_Labels(panel.members, idx), **extra)


def _inference(plan: _Plan, e: _Estimate, groups: Mapping[str, Sequence[int]],
               inputs: _TestInputs | None = None) -> dict:
    """The test battery per group (``groups``: name -> member rows) and window:
    {(group, window label): frame}."""
    from .inference import ALL_TESTS, battery

    inputs = inputs or _TestInputs(plan, e)
    rows = {}
    for g, idx in groups.items():
        idx = np.asarray(idx)
        for w in plan.windows:
            df = battery(inputs.panel(idx, w), tests=plan.tests or ALL_TESTS, convention=plan.convention,
                         seed=plan.seed, n_boot=plan.n_boot)
            rows[(g, window_label(w))] = _label_tests(df, g, w)
    return rows


def _label_tests(df: pd.DataFrame, g: str, w: Window) -> pd.DataFrame:
    df.insert(0, "window", window_label(w))
    df.insert(0, "group", g)
    return df[TEST_COLUMNS]


TEST_COLUMNS = ["group", "window", "tau", "test", "statistic", "pvalue", "n", "distribution", "df", "note"]


STUDY_ASSETS: tuple[str, ...] = (
    "SPY", "QQQ", "^GSPC", "^DJI", "^IXIC", "^N225", "^KS11", "^HSI", "000001.SS", "ES=F", "NQ=F", "YM=F",
    "CNY=X", "ZS=F",
)


def us_china_study(**options) -> EventStudy:
    """The bundled US-China study: every catalog event on the default markets, real prices.

    Default normal-return model: **constant mean**. The markets here are broad indices, index
    futures, the yuan and soybeans; a market model of an index on an index that contains it (SPY
    on ACWI, whose largest part is the US) removes the very reaction a trade-war headline causes in
    every market at once. Pass ``model="market", market="ACWI"`` for the world-benchmark view.
    Events are pooled by ``group`` = de-escalation (direction +1) or escalation (-1).
    """
    from .prices.bundled import BundledSource

    events = options.pop("events", None)
    events = load_events() if events is None else events
    if "group" not in events.columns and "direction" in events.columns:
        events = events.assign(group=events["direction"].map({1: "de-escalation", -1: "escalation"}).astype(str))
    spec = dict(events=events, prices=BundledSource(), assets=STUDY_ASSETS, model="constant-mean", market=None,
                estimation=(-250, -11), windows=((0, 0), (0, 1), (-1, 1)), group="group")
    spec.update(options)
    return EventStudy(**spec)
