"""Placebo-date permutation inference for the CAAR: the same events placed on pseudo-dates.

With a handful of markets sharing one event date, the honest null distribution of a CAAR is the
distribution of the same statistic computed for the same events placed on dates where nothing
happened. This is randomization (permutation) inference over event dates: Brown & Warner (1980,
1985) judged event-study tests by exactly this design -- events put on randomly drawn pseudo-dates
of real return series, the full procedure re-run on each -- and here the pseudo-event CAARs are the
reference distribution itself. Keeping every asset of an event on one pseudo-date keeps the
cross-sectional correlation of event-date clustering (Kolari & Pynnoenen 2010, RFS 23(11)) in the
null, which member-wise resampling and the naive cross-sectional t ignore.

The procedure (:func:`placebo_test`), for draws b = 1..B:

* every real event e gets one pseudo day 0, d_{b,e}, drawn uniformly and independently from the
  eligible grid dates (below); all assets of the event share it;
* each member (e, a) gets the CAR an event on d_{b,e} would get from the engine: day 0 is the
  asset's first return row dated on or after d_{b,e} (a date-only event under the session-date
  policy), the same model is fitted on the same estimation rows relative to that day 0 in the
  asset's own return series (:meth:`~eventstudy.models.NormalReturnModel.fit_all_dates`, the
  models' own all-dates fit, so any model works), with the same ``min_estimation`` rule
  (:func:`~eventstudy.models.minimum_observations`), the same clean-estimation mask
  (:func:`~eventstudy.eventtime.window_day_mask`: rows inside a real event window on that asset are
  not used), and the same missing-row rule for the window (a window row without an abnormal
  return, or past the data, leaves the CAR undefined);
* the placebo CAAR of a group is the mean of the defined pseudo CARs of its members (undefined
  ones are left out of that draw, and the mean count per draw is reported).

The p-value is equal-tailed, 2 min(P+, P-) with P+ = (1 + #{null >= observed}) / (B + 1)
(:func:`eventstudy.inference.resampling.empirical_pvalue`). Eligible pseudo-dates are the dates of the
grid (the union of the assets' return dates) whose widest study window, widened by one session
on each side, holds no real day 0 (``exclude_real=True``) and at which the event's assets have at
least one defined CAR in every window tested.

How it is fast: for every asset, the CAR of an event on *every* row of its return series is
computed at once from cumulative sums (the models' all-dates fit). These are added over the
assets of each event's asset set into SUM_S[w][g] and CNT_S[w][g] over grid dates g, so that a
draw costs one gather per event: B x E lookups, no loop over draws or members. With a
``distributed.Client`` the per-asset part runs on the workers in asset chunks, each reading its
tickers from the study's Parquet prices.

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

from .assets import data_calendars
from .errors import DataError, EstimationWindowError, SpecificationError, require
from .eventtime import build_panel, rows_of, window_day_mask
from .groups import ALL, define_groups
from .inference.resampling import empirical_pvalue
from .pipeline.prepare import Plan
from .returns import compute_returns
from .windows import Window

__all__ = ["placebo_test", "rolling_cars"]

MIN_DATES = 20
"""Fewest eligible pseudo-dates an event may have: below this the placebo distribution is too coarse."""

CHUNK = 256
"""Assets per chunk of the rolling computation (memory ~ chunk x rows x a dozen float arrays)."""

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


def _positions(days: np.ndarray, lens: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """(A, G): each asset's first row dated on or after each target day (``lens[a]`` if none),
    one searchsorted for all assets (each row of ``days`` sorted, padded with int64 max)."""
    n_assets, width = days.shape
    inside = np.arange(width)[None, :] < lens[:, None]
    if not n_assets or not inside.any() or not targets.size:
        return np.broadcast_to(lens[:, None], (n_assets, targets.size)).copy()
    base = min(int(days[inside].min()), int(targets.min()))
    top = max(int(days[inside].max()), int(targets.max())) - base + 1
    rel = np.where(inside, days, base) - base
    rel[~inside] = top  # padding sorts after every target
    stride = top + 1
    off = np.arange(n_assets, dtype=np.int64)[:, None]
    flat = (rel + off * stride).ravel()
    q = (targets - base)[None, :] + off * stride
    return np.searchsorted(flat, q.ravel()).reshape(n_assets, targets.size) - off * width


def _chunk_sums(rets: pd.DataFrame, assets: Sequence[str], plan: Plan, windows: Sequence[Window],
                window_days: pd.DataFrame | None, member: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For a chunk of assets: the union of their return dates U and, per asset set s (rows of the
    0/1 matrix ``member``, (S, A)), window and date u in U, the sum and count of the defined CARs of
    an event whose pseudo date is u (each asset's first row on or after u)."""
    cars = _asset_cars(rets, assets, plan, windows, window_days)
    inside = np.arange(cars.days.shape[1])[None, :] < cars.lens[:, None]
    udays = np.unique(cars.days[inside])
    pos = _positions(cars.days, cars.lens, udays)
    has = pos < cars.lens[:, None]
    pos = np.minimum(pos, cars.days.shape[1] - 1)
    n_sets, n_w = member.shape[0], len(windows)
    sums = np.empty((n_sets, n_w, udays.size))
    cnts = np.empty((n_sets, n_w, udays.size))
    for k in range(n_w):
        v = np.take_along_axis(cars.car[k], pos, axis=1)
        f = np.isfinite(v) & has
        sums[:, k] = member @ np.where(f, v, 0.0)
        cnts[:, k] = member @ f.astype(float)
    return udays, sums, cnts


def _chunk_task(source, assets: list[str], plan: Plan, windows: Sequence[Window], window_days: pd.DataFrame | None,
                member: np.ndarray):
    """Dask task: read the chunk's tickers (and their benchmarks/factors) from the Parquet source,
    compute returns as the study does, return the chunk's partial sums."""
    prices = source.daily(list(assets) + _extra(plan, assets))
    rets = compute_returns(prices, plan.returns, sessions=data_calendars(prices, plan.calendars))
    return _chunk_sums(rets, assets, plan, windows, window_days, member)


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
        pw = Window.parse(w, argument="windows")
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


def placebo_test(results, *, n_draws: int = 5000, seed: int = 0, windows=None, groups=None, client=None,
                 exclude_real: bool = True, chunk_size: int = CHUNK) -> pd.DataFrame:
    """Placebo-date (pseudo-event) permutation test of each group's CAAR.

    Parameters
    ----------
    results
        A fitted daily study (:class:`~eventstudy.EventStudyResults`) of any model and engine.
    n_draws
        B, the number of placebo draws (each: one pseudo day 0 per event).
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
        Pseudo dates whose widest study window (one session wider on each side) holds a real day
        0 are not drawn, so pseudo windows do not straddle the real news.
    chunk_size
        Assets per chunk of the rolling computation.

    Returns
    -------
    DataFrame
        One row per (group, window): ``group, window, caar`` (observed, as ``results.caar``),
        ``n_members`` (members with a CAR), ``n_placebo`` (mean pseudo members with a CAR per
        draw), ``null_mean, null_sd, q025, q975`` of the placebo CAAR, ``z`` = (caar -
        null_mean) / null_sd, ``pvalue`` (equal-tailed two-sided), ``n_draws``, ``n_dates``
        (eligible pseudo dates; the fewest over the group's events) and ``note``. The placebo
        CAARs themselves are in ``.attrs["draws"]`` (``{(group, window): array}``).

    The procedure and its basis (Brown & Warner 1980; Kolari & Pynnoenen 2010) are in the
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

    # events, and the asset set of each (event, group): the units whose CARs are summed
    ev_codes, ev_names = pd.factorize(members["event_id"])
    a_code, assets = pd.factorize(members["asset"])
    assets = list(assets)
    sets: dict[bytes, int] = {}
    set_assets: list[np.ndarray] = []
    units: dict[str, tuple[np.ndarray, np.ndarray]] = {}  # group -> (event codes, set codes)
    for g, idx in [(ALL, np.arange(len(members))), *gmem.items()]:
        e, a = ev_codes[idx], a_code[idx]
        order = np.lexsort((a, e))
        e, a = e[order], a[order]
        cut = np.flatnonzero(np.diff(e)) + 1
        sts = []
        for chunk in np.split(a, cut):
            key = np.unique(chunk).tobytes()
            if key not in sets:
                sets[key] = len(sets)
                set_assets.append(np.unique(chunk))
            sts.append(sets[key])
        units[g] = (e[np.r_[0, cut]] if e.size else e, np.asarray(sts, dtype=np.int64))
    member = np.zeros((len(sets), len(assets)))
    for s, ix in enumerate(set_assets):
        member[s, ix] = 1.0
    full_set = np.empty(len(ev_names), dtype=np.int64)
    full_set[units[ALL][0]] = units[ALL][1]

    # per-asset rolling CARs, summed per asset set over each chunk's dates
    chunks = [assets[c:c + int(chunk_size)] for c in range(0, len(assets), int(chunk_size))]
    cols = [np.arange(c, min(c + int(chunk_size), len(assets))) for c in range(0, len(assets), int(chunk_size))]
    if client is not None:
        source = _check_client(results, client)
        own = isinstance(client, str)  # a scheduler address: connect for this test only
        if own:
            client = require("distributed", extra="dask", feature="placebo_test(client=...)").Client(client)
        try:
            futures = [client.submit(_chunk_task, source, ch, plan, win, _window_days(results, ch), member[:, cc],
                                     pure=False) for ch, cc in zip(chunks, cols)]
            parts = client.gather(futures)
        finally:
            if own:
                client.close()
    else:
        rets, rgroups = _study_returns(results, assets)
        parts = [_chunk_sums(rows_of(rets, ch + _extra(plan, ch), rgroups), ch, plan, win, _window_days(results, ch),
                             member[:, cc]) for ch, cc in zip(chunks, cols)]
    grid = np.unique(np.concatenate([p[0] for p in parts]))
    n_w = len(win)
    sums = np.zeros((len(sets), n_w, grid.size))
    cnts = np.zeros((len(sets), n_w, grid.size))
    for udays, s, c in parts:  # a grid date maps to the chunk's next date (no chunk row in between)
        j = np.searchsorted(udays, grid)
        ok = j < udays.size
        sums[:, :, ok] += s[:, :, j[ok]]
        cnts[:, :, ok] += c[:, :, j[ok]]

    # eligible pseudo dates: away from every real day 0, and with CARs for the event's assets
    away = np.ones(grid.size, dtype=bool)
    if exclude_real:
        study_w = plan.windows
        lo, hi = min(0, min(w.start for w in study_w)), max(0, max(w.end for w in study_w))
        real_all = _real_days(results)
        j = np.searchsorted(grid, real_all)
        diff = np.zeros(grid.size + 1, dtype=np.int64)  # grid i is out when j - hi - 1 <= i <= j - lo + 1
        np.add.at(diff, np.clip(j - hi - 1, 0, grid.size), 1)
        np.add.at(diff, np.clip(j - lo + 2, 0, grid.size), -1)
        away = np.cumsum(diff[:-1]) == 0
    eligible = {s: np.flatnonzero(away & (cnts[s] > 0).all(axis=0)) for s in np.unique(full_set)}
    n_elig = np.array([eligible[s].size for s in full_set])
    if (n_elig < MIN_DATES).any():
        e = int(np.argmin(n_elig))
        raise EstimationWindowError(
            f"event {ev_names[e]!r} has {n_elig[e]} eligible pseudo-dates out of {grid.size} "
            f"({int(away.sum())} away from real day 0s); placebo_test needs at least {MIN_DATES}: use a longer "
            "price history, a shorter estimation window or min_estimation, or exclude_real=False")

    # the draws: one pseudo date per event and draw, B x E gathers
    rng = np.random.default_rng(seed)
    u = rng.integers(0, n_elig[None, :], size=(n_draws, len(ev_names)))
    gidx = np.empty_like(u)
    for s, el in eligible.items():
        e = np.flatnonzero(full_set == s)
        gidx[:, e] = el[u[:, e]]

    # observed CARs, one array per window indexed by member
    car = results.car
    observed = {}
    for w in win:
        sel = car[car["window"].to_numpy() == w.label]
        v = np.full(len(members), np.nan)
        v[sel["member"].to_numpy(dtype=np.int64)] = sel["car"].to_numpy(dtype=float)
        observed[w] = v
    rows = []
    draws = {}
    for g, midx in gmem.items():
        evs, sts = units[g]
        n_dates = int(n_elig[evs].min())
        for k, w in enumerate(win):
            label = w.label
            v = observed[w][midx]
            n_obs = int(np.isfinite(v).sum())
            obs = float(v[np.isfinite(v)].mean()) if n_obs else np.nan
            tot = sums[sts[None, :], k, gidx[:, evs]].sum(axis=1)
            cnt = cnts[sts[None, :], k, gidx[:, evs]].sum(axis=1)
            null = tot[cnt > 0] / cnt[cnt > 0]
            draws[(g, label)] = null
            b = null.size
            mean = float(null.mean()) if b else np.nan
            sd = float(null.std(ddof=1)) if b > 1 else np.nan
            q = np.quantile(null, [0.025, 0.975]) if b else (np.nan, np.nan)
            note = (f"placebo CAAR: {n_draws} draws of one pseudo day 0 per event ({len(evs)} events) from "
                    f"{n_dates} eligible dates{' away from real day 0s' if exclude_real else ''}; pseudo members "
                    f"with a CAR per draw: mean {cnt.mean():.1f} (min {int(cnt.min())}) vs {n_obs} "
                    f"real; seed={seed}")
            if b < n_draws:
                note += f"; {n_draws - b} draws without any pseudo CAR left out"
            rows.append({"group": g, "window": label, "caar": obs, "n_members": n_obs,
                         "n_placebo": float(cnt.mean()), "null_mean": mean, "null_sd": sd,
                         "q025": float(q[0]), "q975": float(q[1]),
                         "z": (obs - mean) / sd if sd and np.isfinite(sd) and sd > 0 else np.nan,
                         "pvalue": empirical_pvalue(obs, null, "two-sided"), "n_draws": b, "n_dates": n_dates,
                         "note": note})
    out = pd.DataFrame(rows, columns=_COLUMNS)
    out.attrs["draws"] = draws  # the placebo CAARs themselves, {(group, window): array}, for figures
    return out
