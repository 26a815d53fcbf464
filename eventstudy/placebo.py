"""Placebo-date permutation inference for the CAAR: the same events placed on pseudo dates.

With a handful of markets sharing one event date, the honest null distribution of a CAAR is the
distribution of the same statistic computed for the same events placed on dates where nothing
happened. This is randomization (permutation) inference over event dates: Brown & Warner (1980,
1985) judged event-study tests by exactly this design -- events put on randomly drawn pseudo dates
of real return series, the full procedure re-run on each -- and here the pseudo-event CAARs are the
reference distribution itself. Keeping what ties the members of the news together keeps the
cross-sectional correlation of event-date clustering (Kolari & Pynnönen 2010, RFS 23(11)) in the
null, which member-wise resampling and the naive cross-sectional t ignore.

The procedure (:func:`placebo_test`), for draws b = 1..B:

* the events are cut into **clusters**: events whose windows overlap on any market (two news items
  of one day, a talk and its statement two sessions later) move together; a lone event is a
  cluster of its own;
* each cluster c gets one **shift** s_{b,c}, a whole number of weeks drawn uniformly from its
  eligible shifts (below), and every member (e, a) of the cluster is placed at its real event
  instant plus that shift and **aligned on its market as real events are** (the day-0 rule of
  :func:`eventstudy.alignment.day0_positions`): the shift is whole weeks of the market's wall
  clock (the zone that fixes its daily price), which keep the weekday and the local time of day
  across daylight-saving changes, so a New York evening event keeps its Asian day 0 a session
  later, and two events of one day stay on one day; a date-only event moves its own date;
* each member gets the CAR an event at that pseudo instant would get from the engine: the same
  model fitted on the same estimation rows relative to that day 0 in the asset's own return series
  (:meth:`~eventstudy.models.NormalReturnModel.fit_all_dates`, the models' own all-dates fit, so any
  model works), with the same ``min_estimation`` rule (:func:`~eventstudy.models.minimum_observations`),
  the same clean-estimation mask (:func:`~eventstudy.eventtime.window_day_mask`: rows inside a real
  event window on that asset are not used), and the same missing-row rule for the window (a window
  row without an abnormal return, or past the data, or a pseudo day 0 without a price, leaves the
  CAR undefined);
* the placebo CAAR of a group is the mean of the defined pseudo CARs of its members (undefined
  ones are left out of that draw, and the mean count per draw is reported).

A shift is eligible for a cluster when every one of its events has a defined pseudo CAR on some
market in every window tested and (``exclude_real=True``) no member's pseudo window, widened by one
session on each side, shares a session with a real event's window on its market. The p-value is
equal-tailed, 2 min(P+, P-) with P+ = (1 + #{null >= observed}) / (B + 1)
(:func:`eventstudy.inference.resampling.empirical_pvalue`).

How it is fast: for every asset, the CAR of an event on *every* row of its return series is
computed at once from cumulative sums (the models' all-dates fit); each member's pseudo day 0 for
every shift is one search in its market's sessions; the CARs are summed per group, cluster and
shift, so that a draw costs one gather per cluster: B x C lookups, no loop over draws or members.
With a ``distributed.Client`` the per-asset part runs on the workers in asset chunks, each reading
its tickers from the study's Parquet prices.

Compared with the estimation-window resampling test of the battery (id ``bootstrap``, which draws
estimation-window rows of the fitted members), each placebo member here is re-estimated on its own
pseudo estimation window, so the null also carries the estimation error of the normal-return
model at other dates.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .alignment import day0_positions
from .assets import data_calendars
from .errors import DataError, EstimationWindowError, SpecificationError, require
from .eventtime import build_panel, rows_of, window_day_mask
from .groups import ALL, define_groups
from .inference.resampling import empirical_pvalue
from .overlaps import constituents
from .pipeline.prepare import Plan
from .returns import compute_returns
from .windows import Window, study_window

__all__ = ["placebo_test", "pseudo_day0s", "rolling_cars"]

MIN_DATES = 20
"""Fewest eligible shifts a cluster may have: below this the placebo distribution is too coarse."""

CHUNK = 256
"""Assets per chunk of the rolling computation (memory ~ chunk x rows x a dozen float arrays)."""

WEEK = pd.Timedelta(days=7)

_COLUMNS = ["group", "window", "caar", "n_members", "n_placebo", "null_mean", "null_sd", "q025", "q975", "z",
            "pvalue", "n_draws", "n_dates", "note"]


# --------------------------------------------------------------------------------------------
# what to compute (picklable: sent to Dask workers)


def _extra(plan: Plan, assets: Sequence[str]) -> list[str]:
    """Tickers besides ``assets`` whose returns the assets' rows need (benchmarks, factors)."""
    return sorted(plan.benchmarks(assets) - set(assets))


def _days(values) -> np.ndarray:
    """Dates -> int64 days since 1970-01-01."""
    return np.asarray(values).astype("datetime64[D]").astype(np.int64)


# --------------------------------------------------------------------------------------------
# per asset: the CAR of an event on every row of its return series


@dataclass(frozen=True)
class _Cars:
    days: np.ndarray  # (A, T) int64 day of each return row; padded past each asset's length
    lens: np.ndarray  # (A,) return rows per asset
    car: np.ndarray  # (W, A, T) CAR of an event whose day 0 is that row (NaN: none)
    n_est: np.ndarray  # (A, T) usable estimation rows


def _asset_cars(rets: pd.DataFrame, assets: Sequence[str], plan: Plan, windows: Sequence[Window],
                window_days: pd.DataFrame | None) -> _Cars:
    """CAR of a date-only event placed on each return row of each asset, for every window.

    The assets' whole return series are laid out as a panel with one row per asset
    (:func:`~eventstudy.eventtime.build_panel` from each asset's first return: the benchmark and
    factors compounded over each row's interval exactly as for the study), masked with the study's
    clean-estimation mask (``window_days``: the real members' event-window days) and fitted at
    every position by the model's own :meth:`~eventstudy.models.NormalReturnModel.fit_all_dates`.

    ``rets``: returns of the assets and of their benchmarks/factors (as the study computed them).
    """
    groups = rets.groupby("ticker", sort=False).indices
    empty = np.empty(0, dtype=np.int64)
    lens = np.array([len(groups.get(a, empty)) for a in assets], dtype=np.int64)
    width = max(int(lens.max()) if len(assets) else 0, 1)
    dates = rets["date"].to_numpy()
    first = [dates[groups[a]].min() for a in assets]
    series = pd.DataFrame({"event_id": list(assets), "asset": list(assets), "day0": pd.DatetimeIndex(first)})
    panel = build_panel(rets, series, (0, width - 1), market=plan.market, factors=plan.factors, kind=plan.returns)
    mask = window_day_mask(panel, slice(None), window_days) if window_days is not None else None
    fit = plan.model.fit_all_dates(panel.ret, plan.model.regressors(panel), plan.estimation, windows,
                                   min_obs=plan.min_obs, exclude=mask)
    days = np.where(np.isnat(panel.dates), np.iinfo(np.int64).max,
                    panel.dates.astype("datetime64[D]").astype(np.int64))
    valid = np.arange(width)[None, :] < lens[:, None]
    car = np.where(valid[None], fit.car, np.nan)
    return _Cars(days, lens, car, fit.n_est)


def _chunk_sums(rets: pd.DataFrame, assets: Sequence[str], plan: Plan, windows: Sequence[Window],
                window_days: pd.DataFrame | None, rows: np.ndarray, asset_of: np.ndarray,
                incidence: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For a chunk of assets: the sum and count of the defined pseudo CARs per unit (rows of the
    ``incidence``, (U, M): a (group, cluster) pair or an event; 0/1, or each member's sign of a
    signed study), shift and window.

    ``rows`` (M, K): each member's pseudo day-0 row in its asset's return series per shift (-1:
    none); ``asset_of`` (M,): each member's asset, a position in ``assets``.
    """
    cars = _asset_cars(rets, assets, plan, windows, window_days)
    n_units, k = incidence.shape[0], rows.shape[1]
    sums = np.zeros((n_units, k, len(windows)))
    cnts = np.zeros((n_units, k, len(windows)))
    have = rows >= 0
    safe = np.where(have, rows, 0)
    for w in range(len(windows)):
        v = cars.car[w][asset_of[:, None], safe]  # (M, K)
        ok = have & np.isfinite(v)
        sums[:, :, w] = incidence @ np.where(ok, v, 0.0)
        cnts[:, :, w] = np.abs(incidence) @ ok.astype(float)  # a signed member counts once
    return sums, cnts


def _chunk_task(source, assets: list[str], plan: Plan, windows: Sequence[Window], window_days: pd.DataFrame | None,
                rows: np.ndarray, asset_of: np.ndarray, incidence: np.ndarray):
    """Dask task: read the chunk's tickers (and their benchmarks/factors) from the Parquet source,
    compute returns as the study does, return the chunk's partial sums."""
    prices = source.daily(list(assets) + _extra(plan, assets))
    rets = compute_returns(prices, plan.returns, sessions=data_calendars(prices, plan.calendars))
    return _chunk_sums(rets, assets, plan, windows, window_days, rows, asset_of, incidence)


# --------------------------------------------------------------------------------------------
# pseudo events


def _clusters(results) -> np.ndarray:
    """Cluster code (0..C-1) of each member: its date cluster (events whose windows overlap on any
    market, :func:`eventstudy.overlaps.event_clusters`)."""
    return pd.factorize(results.members["date_cluster"])[0]


def _return_dates(results) -> dict[str, np.ndarray]:
    """Each asset's return dates (datetime64[D], sorted): the rows the rolling CARs are on."""
    rets = results.inputs.returns
    d = rets["date"].to_numpy().astype("datetime64[D]")
    return {t: np.sort(d[ix]) for t, ix in rets.groupby("ticker", sort=False).indices.items()}


def _shift_grid(results, dates: dict[str, np.ndarray]) -> np.ndarray:
    """Candidate shifts in whole weeks: every shift that puts some event inside the data."""
    lo = min(d[0] for d in dates.values())
    hi = max(d[-1] for d in dates.values())
    t = pd.DatetimeIndex(results.members["event_time_utc"]).tz_convert(None).to_numpy().astype("datetime64[D]")
    first = int(np.floor((lo - t.max()).astype(np.int64) / 7))
    last = int(np.ceil((hi - t.min()).astype(np.int64) / 7))
    return np.arange(first, last + 1)


def _pseudo_rows(results, shifts: np.ndarray, dates: dict[str, np.ndarray]) -> np.ndarray:
    """(M, K) each member's pseudo day-0 row in its asset's return series when its event moves by
    ``shifts`` weeks, placed by the day-0 rule on the asset's sessions (-1: no row).

    A timed event moves by whole weeks of its market's wall clock (the zone that fixes the daily
    price, :attr:`~eventstudy.calendars.SessionTable.price_tz`), so a 16:15 New York event stays at
    16:15 New York time, after the close, across daylight-saving changes; a date-only event moves
    its own date by whole weeks."""
    members, prepared = results.members, results.inputs
    policy = results.spec.date_only
    out = np.full((len(members), shifts.size), -1, dtype=np.int64)
    inst = pd.DatetimeIndex(members["event_time_utc"])
    timed = members["time_precision"].ne("date-only").to_numpy()
    event_date = pd.to_datetime(members["event_date"]).to_numpy().astype("datetime64[D]")
    offsets = (shifts * 7).astype("timedelta64[D]")
    for asset, idx in members.groupby("asset", sort=False).indices.items():
        table = prepared.sessions_of(asset)
        zone = table.price_tz
        wall = inst[idx].tz_convert(zone).tz_localize(None).to_numpy()
        moved = pd.DatetimeIndex((wall[:, None] + offsets[None, :].astype("timedelta64[ns]")).ravel())
        pi = moved.tz_localize(zone, nonexistent="shift_forward",
                               ambiguous=np.ones(len(moved), dtype=bool)).tz_convert("UTC")
        pdates = (event_date[idx, None] + offsets[None, :]).ravel().astype("datetime64[ns]")
        pos = day0_positions(table, pi, pdates, np.repeat(timed[idx], shifts.size), policy)
        inside = pos < len(table)
        day0 = table.sessions.to_numpy().astype("datetime64[D]")[np.minimum(pos, len(table) - 1)]
        d = dates[asset]
        row = np.searchsorted(d, day0)
        hit = inside & (row < d.size) & (d[np.minimum(row, d.size - 1)] == day0)
        out[idx] = np.where(hit, row, -1).reshape(len(idx), shifts.size)
    return out


def _away_from_real(results, rows: np.ndarray, dates: dict[str, np.ndarray]) -> np.ndarray:
    """(M, K) whether each member's pseudo window, one session wider on each side, shares no
    session with the window of a real event on its market (every aligned event, estimated or not)."""
    members = results.members
    windows = results.plan.windows
    lo, hi = min(0, min(w.start for w in windows)), max(0, max(w.end for w in windows))
    reach = hi - lo + 1  # windows of day-0 rows p and q overlap iff |p - q| <= hi - lo
    al = results.alignment.dropna(subset=["day0"])
    real = {a: np.searchsorted(dates[a], pd.to_datetime(g["day0"]).to_numpy().astype("datetime64[D]"))
            for a, g in al.groupby("asset", sort=False) if a in dates}
    out = np.ones(rows.shape, dtype=bool)
    for asset, idx in members.groupby("asset", sort=False).indices.items():
        q = np.unique(real.get(asset, np.empty(0, dtype=np.int64)))
        if not q.size:
            continue
        p = rows[idx]
        j = np.searchsorted(q, p)
        left = np.abs(p - q[np.maximum(j - 1, 0)])
        right = np.abs(q[np.minimum(j, q.size - 1)] - p)
        out[idx] = (np.minimum(left, right) > reach) | (p < 0)
    return out


# --------------------------------------------------------------------------------------------
# study inputs


def _window_days(results, assets: Sequence[str]) -> pd.DataFrame | None:
    """The study's event-window days (its clean-estimation mask) of ``assets``; None when the
    study keeps those days in its estimation windows."""
    days = results.inputs.window_days
    if days is None:
        return None
    return days[days["asset"].isin(list(assets))].reset_index(drop=True)


def _real_days(results) -> np.ndarray:
    """Every real day 0 (int64 days): the alignment's, so that pseudo dates avoid all the news."""
    both = pd.concat([results.members[["day0"]], results.alignment[["day0"]]], ignore_index=True).dropna()
    return np.unique(_days(pd.to_datetime(both["day0"]).to_numpy()))


def _windows(results, windows) -> list[Window]:
    study = list(results.plan.windows)
    if windows is None:
        return study
    if isinstance(windows, (str, tuple)):
        windows = [windows]
    out = []
    for w in windows:
        pw = study_window(study, w, argument="windows")
        if pw not in study:
            raise SpecificationError(
                f"windows={w!r} is not a window of the study; pass some of {[s.label for s in study]} "
                "or refit the study with that window")
        out.append(pw)
    return list(dict.fromkeys(out))


def _group_members(results, groups) -> dict[str, np.ndarray]:
    """Group name -> member positions: ``all`` and each value of the study's group column (the
    default), and on request any event_id (:func:`eventstudy.groups.define_groups`)."""
    members = results.members
    avail = define_groups(members, results.plan.group, by_event=False)
    if groups is None:
        return avail
    events = define_groups(members, None, by_event=True)
    if isinstance(groups, str):
        groups = [groups]
    out = {}
    for g in groups:
        if str(g) in avail:
            out[str(g)] = avail[str(g)]
        elif str(g) in events and str(g) != ALL:
            out[str(g)] = events[str(g)]
        else:
            raise SpecificationError(f"groups={g!r} is not a group of the study; pass some of {list(avail)} "
                                     "or an event_id")
    if not out:
        raise SpecificationError(f"groups=[] names no group; pass some of {list(avail)} or leave groups=None")
    return out


def _check_client(results, client):
    from .prices.parquet import ParquetSource

    src = results.spec.prices
    if not isinstance(src, ParquetSource):
        raise DataError(
            f"placebo_test(client=...) reads prices on the workers from Parquet, but the study's prices are a "
            f"{type(src).__name__}; write them once with ParquetSource.write(prices, 'prices.parquet') and refit "
            "the study with prices=ParquetSource('prices.parquet')")
    return src


def _daily_only(results) -> None:
    if results.is_intraday:
        raise SpecificationError("placebo dates are sessions, and an intraday study's events have instants; run the "
                                 "placebo test on the daily study of the same events")


def _study_returns(results, tickers: Sequence[str]) -> tuple[pd.DataFrame, dict]:
    """The study's own returns (as its fit computed them) and their rows per ticker."""
    rets = results.inputs.returns
    groups = rets.groupby("ticker", sort=False).indices
    missing = [a for a in tickers if a not in groups]
    if missing:
        raise DataError(f"asset(s) {missing[:5]} of the study have no returns in its prices")
    return rets, groups


# --------------------------------------------------------------------------------------------
# public API


def rolling_cars(results, assets: Sequence[str] | None = None, windows=None) -> pd.DataFrame:
    """CAR of a date-only event placed on each return row of each asset, as the study would
    compute it (same model, estimation window, ``min_estimation`` and clean-estimation mask).

    This is what :func:`placebo_test` draws from; for inspection and checks.

    Parameters
    ----------
    results
        A fitted daily study.
    assets
        Assets of the study (default: all).
    windows
        Windows of the study (default: all).

    Returns
    -------
    DataFrame
        ``asset, date, window, car, n_est`` (``date`` is day 0; NaN ``car`` where no CAR exists).
    """
    _daily_only(results)
    win = _windows(results, windows)
    plan = results.plan
    assets = list(dict.fromkeys(assets if assets is not None else results.members["asset"]))
    rets, groups = _study_returns(results, assets)
    parts = []
    for c in range(0, len(assets), CHUNK):
        chunk = assets[c:c + CHUNK]
        cars = _asset_cars(rows_of(rets, chunk + _extra(plan, chunk), groups), chunk, plan, win,
                           _window_days(results, chunk))
        inside = np.arange(cars.days.shape[1])[None, :] < cars.lens[:, None]
        names = np.repeat(np.asarray(chunk, dtype=object), cars.lens)
        d = cars.days[inside].astype("datetime64[D]").astype("datetime64[ns]")
        for k, w in enumerate(win):
            parts.append(pd.DataFrame({"asset": names, "date": d, "window": w.label,
                                       "car": cars.car[k][inside], "n_est": cars.n_est[inside]}))
    return pd.concat(parts, ignore_index=True)


def pseudo_day0s(results, weeks) -> pd.DataFrame:
    """Where each member's event lands when moved by whole weeks, as :func:`placebo_test` places it.

    For inspection and checks: the pseudo instant is the real one plus ``7 * weeks`` days, placed
    on the member's market by the day-0 rule (so a New York evening event keeps its Asian day 0 a
    session later).

    Parameters
    ----------
    results
        A fitted daily study.
    weeks : int or sequence of int
        Shifts in whole weeks.

    Returns
    -------
    pandas.DataFrame
        ``event_id, asset, weeks, day0``: the pseudo day 0 (NaT where that session has no return).
    """
    _daily_only(results)
    shifts = np.atleast_1d(np.asarray(weeks, dtype=np.int64))
    dates = _return_dates(results)
    rows = _pseudo_rows(results, shifts, dates)
    m = results.members
    day0 = np.full(rows.shape, np.datetime64("NaT"), dtype="datetime64[D]")
    for asset, idx in m.groupby("asset", sort=False).indices.items():
        r = rows[idx]
        day0[idx] = np.where(r >= 0, dates[asset][np.maximum(r, 0)], np.datetime64("NaT"))
    k = shifts.size
    return pd.DataFrame({"event_id": np.repeat(m["event_id"].to_numpy(), k),
                         "asset": np.repeat(m["asset"].to_numpy(), k),
                         "weeks": np.tile(shifts, len(m)),
                         "day0": day0.ravel().astype("datetime64[ns]")})


def placebo_test(results, *, n_draws: int = 5000, seed: int = 0, windows=None, groups=None, client=None,
                 exclude_real: bool = True, chunk_size: int = CHUNK) -> pd.DataFrame:
    """Placebo-date (pseudo-event) permutation test of each group's CAAR.

    Parameters
    ----------
    results
        A fitted daily study (:class:`~eventstudy.EventStudyResults`) of any model and engine.
    n_draws
        B, the number of placebo draws (each: one shift per cluster of events).
    seed
        Seed of ``np.random.default_rng``: the same seed gives the same frame.
    windows
        Windows to test (labels ``"-1:1"`` or tuples), each a window of the study; default all.
    groups
        Groups to test: ``"all"``, values of the study's group column (the default: all of
        them), or event_ids.
    client
        A ``distributed.Client`` (or scheduler address): the per-asset rolling CARs run on its
        workers in chunks of ``chunk_size`` assets, each reading its tickers from the study's
        :class:`~eventstudy.prices.parquet.ParquetSource` (required then); the draws run here.
    exclude_real
        Shifts that put a member's pseudo window (one session wider on each side) on a real
        event's window on its market are not drawn, so pseudo windows never straddle real news.
    chunk_size
        Assets per chunk of the rolling computation.

    Returns
    -------
    DataFrame
        One row per (group, window): ``group, window, caar`` (observed, as ``results.caar``),
        ``n_members`` (members with a CAR), ``n_placebo`` (mean pseudo members with a CAR per
        draw), ``null_mean, null_sd, q025, q975`` of the placebo CAAR, ``z`` = (caar -
        null_mean) / null_sd, ``pvalue`` (equal-tailed two-sided), ``n_draws``, ``n_dates``
        (eligible shifts; the fewest over the group's clusters) and ``note``. The placebo CAARs
        themselves are in ``.attrs["draws"]`` (``{(group, window): array}``).

    The procedure and its basis (Brown & Warner 1980; Kolari & Pynnönen 2010) are in the
    module docstring.
    """
    _daily_only(results)
    if isinstance(n_draws, bool) or not isinstance(n_draws, (int, np.integer)) or n_draws < 1:
        raise SpecificationError(f"n_draws={n_draws!r}: pass a positive number of placebo draws, e.g. n_draws=5000")
    if isinstance(chunk_size, bool) or not isinstance(chunk_size, (int, np.integer)) or chunk_size < 1:
        raise SpecificationError(f"chunk_size={chunk_size!r}: pass a positive number of assets per chunk, e.g. 256")
    n_draws = int(n_draws)
    win = _windows(results, windows)
    gmem = _group_members(results, groups)
    plan = results.plan
    members = results.members
    if members.empty:
        raise DataError("results has no members; there is nothing to test")

    # clusters, shifts, and every member's pseudo day 0 under every shift
    cluster = _clusters(results)
    catalog = set(map(str, results.alignment["event_id"]))  # a merged member A+B counts its events
    n_clusters = int(cluster.max()) + 1
    ev_codes, ev_names = pd.factorize(members["event_id"])
    dates = _return_dates(results)
    shifts = _shift_grid(results, dates)
    rows = _pseudo_rows(results, shifts, dates)
    clear = _away_from_real(results, rows, dates) if exclude_real else None

    # units whose CARs are summed: (group, cluster) pairs, then the events (for eligibility)
    unit_of: list[tuple[str, int]] = []
    inc = []
    # a signed study (EventStudy.sign): each pseudo CAR enters with its member's sign, as the observed one
    sign = (np.sign(pd.to_numeric(members[results.plan.sign], errors="coerce").to_numpy(dtype=float))
            if results.plan.sign else np.ones(len(members)))
    for g, idx in gmem.items():
        for c in np.unique(cluster[idx]):
            sel = idx[cluster[idx] == c]
            v = np.zeros(len(members))
            v[sel] = sign[sel]
            unit_of.append((g, int(c)))
            inc.append(v)
    for e in range(len(ev_names)):
        inc.append((ev_codes == e).astype(float))
    incidence = np.vstack(inc)

    # per-asset rolling CARs, summed per unit, shift and window, chunk by chunk of assets
    a_code, assets = pd.factorize(members["asset"])
    assets = list(assets)
    chunks = [assets[c:c + int(chunk_size)] for c in range(0, len(assets), int(chunk_size))]
    parts_in = []
    for c, ch in enumerate(chunks):
        sel = np.flatnonzero((a_code >= c * int(chunk_size)) & (a_code < (c + 1) * int(chunk_size)))
        parts_in.append((ch, rows[sel], a_code[sel] - c * int(chunk_size), incidence[:, sel]))
    if client is not None:
        source = _check_client(results, client)
        own = isinstance(client, str)  # a scheduler address: connect for this test only
        if own:
            client = require("distributed", extra="dask", feature="placebo_test(client=...)").Client(client)
        try:
            futures = [client.submit(_chunk_task, source, ch, plan, win, _window_days(results, ch), r, a, i,
                                     pure=False) for ch, r, a, i in parts_in]
            parts = client.gather(futures)
        finally:
            if own:
                client.close()
    else:
        rets, rgroups = _study_returns(results, assets)
        parts = [_chunk_sums(rows_of(rets, ch + _extra(plan, ch), rgroups), ch, plan, win, _window_days(results, ch),
                             r, a, i) for ch, r, a, i in parts_in]
    sums = sum(p[0] for p in parts)
    cnts = sum(p[1] for p in parts)
    n_units = len(unit_of)
    event_cnt = cnts[n_units:]  # (E, K, W)
    sums, cnts = sums[:n_units], cnts[:n_units]

    # eligible shifts of each cluster: every event of it has a defined CAR in every window
    defined = (event_cnt > 0).all(axis=2)  # (E, K)
    ev_cluster = np.zeros(len(ev_names), dtype=np.int64)
    ev_cluster[ev_codes] = cluster
    eligible = []
    for c in range(n_clusters):
        ok = defined[ev_cluster == c].all(axis=0)
        if clear is not None:  # no member of the cluster lands next to real news on its market
            ok &= clear[cluster == c].all(axis=0)
        eligible.append(np.flatnonzero(ok))
    n_elig = np.array([e.size for e in eligible])
    if (n_elig < MIN_DATES).any():
        c = int(np.argmin(n_elig))
        names = ", ".join(map(str, ev_names[ev_cluster == c][:4]))
        raise EstimationWindowError(
            f"the cluster of event(s) {names} has {n_elig[c]} eligible pseudo dates (weekly shifts) out of "
            f"{shifts.size}; placebo_test needs at least {MIN_DATES}: use a longer price history, a shorter "
            "estimation window or min_estimation, or exclude_real=False")

    # the draws: one shift per cluster and draw
    rng = np.random.default_rng(seed)
    u = rng.integers(0, n_elig[None, :], size=(n_draws, n_clusters))
    pick = np.empty_like(u)
    for c in range(n_clusters):
        pick[:, c] = eligible[c][u[:, c]]

    # observed CARs, one array per window indexed by member
    car = results.car
    observed = {}
    for w in win:
        sel = car[car["window"].to_numpy() == w.label]
        v = np.full(len(members), np.nan)
        v[sel["member"].to_numpy(dtype=np.int64)] = sel["car"].to_numpy(dtype=float)
        observed[w] = v
    units_of_group: dict[str, list[int]] = {}
    for j, (g, _) in enumerate(unit_of):
        units_of_group.setdefault(g, []).append(j)
    rows_out = []
    draws = {}
    for g, midx in gmem.items():
        us = np.array(units_of_group[g])
        cl = np.array([unit_of[j][1] for j in us])
        n_dates = int(n_elig[cl].min())
        n_ev = len({c for e in np.unique(ev_codes[midx]) for c in constituents(str(ev_names[e]), catalog)})
        for k, w in enumerate(win):
            v = observed[w][midx]
            n_obs = int(np.isfinite(v).sum())
            obs = float(v[np.isfinite(v)].mean()) if n_obs else np.nan
            tot = sums[us[None, :], pick[:, cl], k].sum(axis=1)
            cnt = cnts[us[None, :], pick[:, cl], k].sum(axis=1)
            null = tot[cnt > 0] / cnt[cnt > 0]
            draws[(g, w.label)] = null
            b = null.size
            mean = float(null.mean()) if b else np.nan
            sd = float(null.std(ddof=1)) if b > 1 else np.nan
            q = np.quantile(null, [0.025, 0.975]) if b else (np.nan, np.nan)
            note = (f"placebo CAAR: {n_draws} draws of one shift (whole weeks) per cluster of events whose windows "
                    f"overlap ({cl.size} cluster(s), {n_ev} event(s)), each member aligned on its market as the real "
                    f"event; {n_dates} eligible shifts{' clear of real windows' if exclude_real else ''}; pseudo "
                    f"members with a CAR per draw: mean {cnt.mean():.1f} (min {int(cnt.min())}) vs {n_obs} real; "
                    f"seed={seed}")
            if b < n_draws:
                note += f"; {n_draws - b} draws without any pseudo CAR left out"
            rows_out.append({"group": g, "window": w.label, "caar": obs, "n_members": n_obs,
                             "n_placebo": float(cnt.mean()), "null_mean": mean, "null_sd": sd,
                             "q025": float(q[0]), "q975": float(q[1]),
                             "z": (obs - mean) / sd if sd and np.isfinite(sd) and sd > 0 else np.nan,
                             "pvalue": empirical_pvalue(obs, null, "two-sided"), "n_draws": b, "n_dates": n_dates,
                             "note": note})
    out = pd.DataFrame(rows_out, columns=_COLUMNS)
    out.attrs["draws"] = draws  # the placebo CAARs themselves, {(group, window): array}, for figures
    return out
