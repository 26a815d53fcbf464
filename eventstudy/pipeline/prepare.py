"""Step 1 of the fit: prepare. Everything known before any event-time panel is built.

:func:`prepare` reads the prices, places every event on each market's sessions (day 0), computes
returns on each instrument's own sessions, and keeps the (event, asset) members whose day 0 has a
return; every other pair is an exclusion with its reason. It also fixes what every later step and
every engine needs, as one small picklable :class:`Plan` (no data, no client), and the event-window
days of every asset (:func:`eventstudy.eventtime.event_window_days`) that the clean-estimation
mask is made from.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

from ..alignment import align, day0_anchors
from ..assets import DATA_CALENDAR, calendar_conflicts, data_calendars, sessions_for
from ..calendars import SessionTable
from ..errors import DataError, EstimationWindowError, SpecificationError
from ..events import expand_assets, load_events
from ..eventtime import OffsetGrid, ReturnRows, estimation_grid, event_window_days, member_rows, return_rows
from ..groups import check_group_names, group_columns
from ..models import NormalReturnModel, minimum_observations
from ..overlaps import OverlapPolicy, apply_policy, constituents, event_clusters, find_overlaps
from ..prices.base import check_daily_frame
from ..returns import compute_returns
from ..windows import WINDOW_COLUMNS, EventWindows, Window

EXCLUSION_COLUMNS = ["event_id", "asset", "reason"]
META_COLUMNS = ("group", "category", "direction", "title")
"""Catalog columns carried on every member (besides the study's own group column)."""


@dataclass(frozen=True)
class Plan:
    """The options every step and every block of members needs (small and picklable: no data).

    ``taus`` is the panel's tau range: the estimation and event windows, padded by the Dimson
    leads and lags of a factor model.
    """

    model: NormalReturnModel
    estimation: Window
    windows: tuple[Window, ...]
    taus: tuple[int, int]
    market: str | Mapping[str, str] | None
    factors: tuple[str, ...]
    returns: str
    min_estimation: int
    clean_estimation: bool
    tests: tuple[str, ...] | None
    convention: str
    seed: int
    n_boot: int
    group: str | tuple[str, ...] | None
    by_event: bool
    calendars: Mapping[str, str] | None
    overlap: OverlapPolicy = "merge"
    by_asset: bool = True
    sign: str | None = None
    grid: OffsetGrid | None = None
    """Offsets from day 0 (:func:`eventstudy.eventtime.event_offsets`) spanned by the members'
    estimation rows, and their convention: the columns of the battery's estimation rows (set by
    :func:`prepare`)."""

    @property
    def min_obs(self) -> int:
        """Fewest usable estimation rows (:func:`eventstudy.models.minimum_observations`)."""
        return minimum_observations(self.model, self.min_estimation)

    def benchmark_of(self, asset: str) -> str | None:
        """The benchmark ticker of ``asset`` (None without one)."""
        if isinstance(self.market, Mapping):
            return self.market.get(asset)
        return self.market or None

    def benchmarks(self, assets) -> set[str]:
        """Tickers whose returns the panel rows of ``assets`` need: their benchmarks and the factors."""
        out = {self.benchmark_of(a) for a in assets} - {None}
        return out | set(self.factors)

    def regressors(self) -> tuple[set[str], set[str]]:
        """(every benchmark and factor ticker of the study, those that are not also assets): a
        benchmark that has a benchmark of its own in a per-asset mapping is studied too."""
        market = self.market
        used = set(market.values()) if isinstance(market, Mapping) else ({market} if market else set())
        mapped = set(market) if isinstance(market, Mapping) else set()
        return used | set(self.factors), (used - mapped) | set(self.factors)


@dataclass
class Prepared:
    """The inputs of the estimation, shared by every engine (and by the results' on-demand views).

    ``members`` are the (event, asset) pairs whose day 0 has a return, in alignment order, before
    the minimum-observations rule; ``exclusions`` the pairs left out so far, with the reason.
    ``returns`` may gain the benchmark's interval returns as columns
    (:func:`eventstudy.eventtime.with_interval_returns`) when an engine compounds them once.
    """

    plan: Plan
    prices: pd.DataFrame
    assets: list[str]
    alignment: pd.DataFrame
    returns: pd.DataFrame
    members: pd.DataFrame
    exclusions: pd.DataFrame
    window_days: pd.DataFrame | None
    overlaps: pd.DataFrame
    sessions: Mapping[str, SessionTable]
    """Session tables of the tickers the registry lacks (or the study names a calendar for)."""

    @cached_property
    def rows(self) -> ReturnRows:
        """``returns`` grouped by ticker and date (:func:`eventstudy.eventtime.return_rows`), once."""
        return return_rows(self.returns)

    def sessions_of(self, ticker: str) -> SessionTable:
        """The session table the study placed ``ticker``'s events on."""
        return self.sessions[ticker] if ticker in self.sessions else sessions_for(ticker)


def member_anchors(members: pd.DataFrame, sessions: Mapping[str, SessionTable], date_only: str) -> np.ndarray:
    """Each member's day-0 anchor (:func:`eventstudy.alignment.day0_anchors`) on its market's sessions.

    Parameters
    ----------
    members : pandas.DataFrame
        ``asset, event_time_utc, event_date, time_precision``.
    sessions : mapping
        Session tables of the tickers the registry lacks (or the study names a calendar for).
    date_only : str
        The study's date-only policy.

    Returns
    -------
    ndarray of datetime64[ns]
    """
    out = np.empty(len(members), dtype="datetime64[D]")
    by_table: dict[int, tuple[SessionTable, list]] = {}  # one computation per calendar, not per asset
    for asset, idx in members.groupby("asset", sort=False).indices.items():
        table = sessions[asset] if asset in sessions else sessions_for(asset)
        by_table.setdefault(id(table), (table, []))[1].append(idx)
    for table, parts in by_table.values():
        idx = np.concatenate(parts)
        m = members.iloc[idx]
        out[idx] = day0_anchors(table, pd.DatetimeIndex(m["event_time_utc"]), m["event_date"],
                                m["time_precision"].ne("date-only").to_numpy(), date_only)
    return out.astype("datetime64[ns]")


def daily_prices(prices) -> pd.DataFrame:
    """A validated daily frame from a frame or a price source (anything with ``.daily()``)."""
    if isinstance(prices, pd.DataFrame):
        return check_daily_frame(prices, "prices")
    if hasattr(prices, "daily"):
        return prices.daily()
    raise DataError(f"prices={type(prices).__name__}: pass a daily price frame or a PriceSource")


def make_plan(spec, events: pd.DataFrame | None = None) -> Plan:
    """The :class:`Plan` of a validated :class:`~eventstudy.EventStudy`.

    Parameters
    ----------
    spec : EventStudy
        The study.
    events : pandas.DataFrame, optional
        Its loaded catalog: when it gives the events a ``window_start`` and ``window_end``, the
        study's windows gain the events' own (:class:`~eventstudy.windows.EventWindows`).

    Returns
    -------
    Plan

    Raises
    ------
    EstimationWindowError
        An event's own window starts inside the estimation window.
    """
    model = spec.model
    factors = tuple(getattr(model, "factors", ()))
    windows = tuple(spec.windows)
    if events is not None and all(c in events.columns for c in WINDOW_COLUMNS) and events["window_start"].notna().any():
        own = EventWindows(int(events["window_start"].min()), int(events["window_end"].max()))
        if own.start <= spec.estimation.end:
            raise EstimationWindowError(f"an event's own window starts at {own.start}, inside the estimation window "
                                        f"{spec.estimation.label}; end the estimation before it (estimation=)")
        windows += (own,)
    pad = getattr(model, "lags", 0)  # Dimson leads/lags need rows beyond the windows
    lo = min(spec.estimation.start, min(w.start for w in windows)) - pad
    hi = max(w.end for w in windows) + pad
    return Plan(model=model, estimation=spec.estimation, windows=windows, taus=(lo, hi),
                market=dict(spec.market) if isinstance(spec.market, Mapping) else spec.market, factors=factors,
                returns=spec.returns, min_estimation=int(spec.min_estimation), clean_estimation=spec.clean_estimation,
                tests=tuple(spec.tests) if spec.tests else None, convention=spec.convention, seed=spec.seed,
                n_boot=spec.n_boot, group=_one_or_tuple(group_columns(spec.group)), by_event=spec.by_event,
                by_asset=spec.by_asset, sign=spec.sign,
                calendars=dict(spec.calendars) if spec.calendars else None, overlap=spec.overlap)



def _one_or_tuple(columns: tuple[str, ...]) -> str | tuple[str, ...] | None:
    """A study's group columns as the plan keeps them: None, one column, or a tuple of several."""
    return None if not columns else columns[0] if len(columns) == 1 else columns

def prepare(spec) -> Prepared:
    """Prices, day 0 of every (event, asset), returns and the members of a study.

    Parameters
    ----------
    spec
        An :class:`~eventstudy.EventStudy` (validated by its constructor).

    Returns
    -------
    Prepared

    Raises
    ------
    DataError
        A benchmark, factor or asset without prices; an asset regressed on itself; a group column
        that the events lack.
    EstimationWindowError
        No pair has a return on its day 0.
    """
    events = spec.events if isinstance(spec.events, pd.DataFrame) else load_events(spec.events)
    plan = make_plan(spec, events)
    model = plan.model
    prices = daily_prices(spec.prices)
    have = list(pd.unique(prices["ticker"]))
    factors = plan.factors
    regressors, not_assets = plan.regressors()
    missing_b = sorted(regressors - set(factors) - set(have))
    if missing_b:
        raise DataError(f"market {missing_b[0]!r} has no prices; the price data hold {have}")
    missing_f = [f for f in factors if f not in have]
    if missing_f:
        raise DataError(f"factor(s) {missing_f} have no prices; the price data hold {have}")
    assets = list(spec.assets) if spec.assets is not None else [t for t in have if t not in not_assets]
    own = [a for a in assets if plan.benchmark_of(a) == a or a in factors]
    if own and (model.needs_market or factors):
        raise DataError(f"asset(s) {own} would be regressed on themselves (their own benchmark or factor); "
                        "drop them from assets or give them another benchmark")
    if isinstance(plan.market, Mapping) and model.needs_market:
        unmapped = [a for a in assets if plan.benchmark_of(a) is None]
        if unmapped:
            raise DataError(f"market= maps no benchmark to {unmapped}; give every asset one (or pass one ticker)")
    pairs = expand_assets(events, assets)
    no_prices = sorted(set(pd.unique(pairs["asset"])) - set(have))
    if no_prices:
        raise DataError(f"asset(s) {no_prices} have no prices; add them to the price data or drop them from the events")
    for col in group_columns(plan.group):
        if col not in pairs.columns and col != "group":
            raise SpecificationError(f"group={col!r} is not a column of the events; it has {list(events.columns)}")
    if plan.sign and plan.sign not in pairs.columns:
        raise SpecificationError(f"sign={plan.sign!r} is not a column of the events; it has {list(events.columns)}")
    sessions = data_calendars(prices, plan.calendars)
    conflicts = calendar_conflicts(prices, sessions)
    if len(conflicts):
        raise DataError(conflict_message(conflicts))
    alignment = align(events, assets, date_only=spec.date_only, sessions=sessions, outside="report")
    rets = compute_returns(prices, plan.returns, sessions=sessions)

    # members: (event, asset) pairs whose day 0 has a return; the rest are excluded with a reason
    meta_cols = list(dict.fromkeys(c for c in (*META_COLUMNS, *group_columns(plan.group), plan.sign, *WINDOW_COLUMNS)
                                   if c and c in pairs.columns))
    members = alignment[["event_id", "asset", "day0", "rule", "event_time_utc", "time_precision"]].merge(
        pairs[["event_id", "asset", "event_date", *meta_cols]], on=["event_id", "asset"], how="left",
        validate="one_to_one")
    grouped = return_rows(rets)  # grouped by ticker once for every search below
    found = member_rows(grouped, members)  # each member's rows, searched once: the steps below take theirs
    have_ret = found.at_day0()
    outside = members["day0"].isna().to_numpy()
    exclusions = pd.DataFrame([
        {"event_id": r.event_id, "asset": r.asset,
         "reason": f"event on {r.event_time_utc:%Y-%m-%d} is {r.rule}" if pd.isna(r.day0) else
         f"no return on day 0 {r.day0:%Y-%m-%d} (price missing that session or outside the data)"}
        for r in members[~have_ret | outside].itertuples()], columns=EXCLUSION_COLUMNS)
    have_ret &= ~outside
    members = members[have_ret].drop(columns=["rule"]).reset_index(drop=True)
    found = found.take(np.flatnonzero(have_ret))
    if members.empty:
        raise EstimationWindowError("no (event, asset) pair has prices on its day 0: " +
                                    "; ".join(f"{e}/{a} ({r})" for e, a, r in zip(exclusions["event_id"][:5],
                                                                                 exclusions["asset"][:5],
                                                                                 exclusions["reason"][:5])))
    # every real event's window is kept out of the others' estimation windows, even an event the
    # overlap policy merges or drops
    window_days = event_window_days(grouped, members, plan.windows, rows=found) if plan.clean_estimation else None
    overlaps = find_overlaps(grouped, members, plan.windows, rows=found)
    members, removed = apply_policy(members, overlaps, plan.overlap, meta_cols)
    if any(isinstance(w, EventWindows) for w in plan.windows):  # a merged member spans its events' own windows
        members = merged_own_windows(members, events)
    if plan.sign:  # signed abnormal returns: a member needs a nonzero number in the sign column
        members, unsigned = split_unsigned(members, plan.sign)
        removed = pd.concat([removed, unsigned], ignore_index=True) if len(removed) else unsigned
        if members.empty:
            raise DataError(f"sign={plan.sign!r}: no member has a nonzero number in that column; fill it with "
                            "+1 / -1 (e.g. -1 for an escalation)")
    if len(removed):
        exclusions = pd.concat([exclusions, removed], ignore_index=True) if len(exclusions) else removed
        found = member_rows(grouped, members)  # the rows of the members that remain
    # the events whose windows still overlap on some market are one date cluster (one independent date)
    members["date_cluster"] = event_clusters(
        members, find_overlaps(grouped, members, plan.windows, rows=found) if len(removed) else overlaps,
        events["event_id"])
    members["anchor"] = member_anchors(members, sessions, spec.date_only)
    check_group_names(members, plan.group, by_event=plan.by_event)
    plan = dataclasses.replace(plan, grid=estimation_grid(grouped, members, plan.estimation, rows=found))
    prepared = Prepared(plan, prices, assets, alignment, rets, members, exclusions, window_days, overlaps, sessions)
    prepared.__dict__["rows"] = grouped  # the cached_property's slot: the grouping made above, not a second one
    return prepared


def merged_own_windows(members: pd.DataFrame, events: pd.DataFrame) -> pd.DataFrame:
    """The members with their own window (``window_start``, ``window_end``); a member merged from
    several events (``A+B``, :func:`~eventstudy.overlaps.constituents`) spans their windows: the
    earliest start and the latest end.

    Parameters
    ----------
    members : pandas.DataFrame
        The members after the overlap policy, with the window columns carried from the catalog.
    events : pandas.DataFrame
        The catalog (``event_id`` and the window columns).

    Returns
    -------
    pandas.DataFrame
        ``members`` with every merged member's bounds filled.
    """
    gap = members["window_start"].isna() | members["window_end"].isna()  # either bound may differ between them
    if not gap.any():
        return members
    by_id = events.drop_duplicates("event_id").set_index("event_id")[list(WINDOW_COLUMNS)]
    ids = set(by_id.index)
    out = members.copy()
    for i in np.flatnonzero(gap.to_numpy()):
        parts = by_id.loc[[p for p in constituents(str(out["event_id"].iat[i]), ids) if p in ids]]
        if len(parts):
            out.loc[out.index[i], "window_start"] = parts["window_start"].min()
            out.loc[out.index[i], "window_end"] = parts["window_end"].max()
    return out


def split_unsigned(members: pd.DataFrame, column: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The members with a nonzero number in ``column`` (their sign) and, as exclusions, the others.

    Parameters
    ----------
    members : pandas.DataFrame
        The members, with ``column`` carried from the catalog.
    column : str
        The sign column (``direction``).

    Returns
    -------
    (members, exclusions)
        The signed members (index reset) and ``event_id, asset, reason`` of the rest.
    """
    value = pd.to_numeric(members[column].astype(object).where(members[column].notna(), None), errors="coerce")
    ok = value.notna().to_numpy() & (value.fillna(0).to_numpy(dtype=float) != 0)
    out = pd.DataFrame({"event_id": members.loc[~ok, "event_id"].to_numpy(),
                        "asset": members.loc[~ok, "asset"].to_numpy(),
                        "reason": [f"no sign: {column} is {v!r}, not a nonzero number (sign={column!r})"
                                   for v in members.loc[~ok, column].tolist()]}, columns=EXCLUSION_COLUMNS)
    return members[ok].reset_index(drop=True), out


def conflict_message(conflicts: pd.DataFrame) -> str:
    """The error for price rows on days a ticker's exchange calendar does not trade, naming the
    ticker, the calendar, the first dates and the two ways out."""
    parts = []
    for (ticker, cal), grp in conflicts.groupby(["ticker", "calendar"], sort=False):
        dates = ", ".join(f"{d:%Y-%m-%d}" for d in grp["date"][:5]) + (" ..." if len(grp) > 5 else "")
        parts.append(f"{ticker} has {len(grp)} price row(s) on days its calendar {cal} does not trade ({dates})")
    first = conflicts["ticker"].iloc[0]
    return ("; ".join(parts) + ". Day 0 would follow the exchange's sessions while those rows stay in the "
            f"returns. Either take the sessions from the data, calendars={{{first!r}: {DATA_CALENDAR!r}}} "
            f"(CLI --calendar {first}:{DATA_CALENDAR}), or remove those rows from the prices")


def exclude_short(prepared: Prepared, short: list[tuple[int, str]]) -> pd.DataFrame:
    """The prepared exclusions followed by the members the estimation step left out.

    Parameters
    ----------
    prepared : Prepared
        The prepared study (its members and exclusions so far).
    short : list of (int, str)
        (position in ``prepared.members``, reason) of each member left out, in member order.

    Returns
    -------
    DataFrame
        :data:`EXCLUSION_COLUMNS` (``event_id, asset, reason``), with a fresh index.
    """
    extra = pd.DataFrame({"event_id": prepared.members["event_id"].to_numpy()[[i for i, _ in short]],
                          "asset": prepared.members["asset"].to_numpy()[[i for i, _ in short]],
                          "reason": [r for _, r in short]}, columns=EXCLUSION_COLUMNS) if short else None
    if extra is None:
        return prepared.exclusions.reset_index(drop=True)
    if prepared.exclusions.empty:
        return extra
    return pd.concat([prepared.exclusions, extra], ignore_index=True)


def no_member_left(plan: Plan, short: list[tuple[int, str]]) -> EstimationWindowError:
    """The error when the estimation step left every member out, with its reasons.

    Parameters
    ----------
    plan : Plan
        The study's plan (its estimation window, for the hint).
    short : list of (int, str)
        (member position, reason) of every member left out.

    Returns
    -------
    EstimationWindowError
        Naming up to three distinct reasons with their counts.
    """
    reasons = list(dict.fromkeys(r for _, r in short))
    counts = "; ".join(f"{sum(r == x for _, r in short)} x {x}" for x in reasons[:3])
    hint = (f" Shorten min_estimation or move the window {plan.estimation.label}."
            if any("estimation observations" in r for r in reasons) else "")
    return EstimationWindowError(f"no (event, asset) pair could be estimated: {counts}.{hint}")
