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
  asset's own return series, with the same ``min_estimation`` rule (at least
  max(min_estimation, k + 3) usable rows) and the same clean-estimation rule (rows inside a real
  event window on that asset are not used), and the same missing-row rule for the window (a window
  row without an abnormal return, or past the data, leaves the CAR undefined);
* the placebo CAAR of a group is the mean of the defined pseudo CARs of its members (undefined
  ones are left out of that draw, and the mean count per draw is reported).

The p-value is equal-tailed, 2 min(P+, P-) with P+ = (1 + #{null >= observed}) / (B + 1)
(:func:`eventstudy.inference.resampling._two_sided`). Eligible pseudo-dates are the dates of the
grid (the union of the assets' return dates) whose widest study window, widened by one session
on each side, holds no real day 0 (``exclude_real=True``) and at which the event's assets have at
least one defined CAR in every window tested.

How it is fast: for every asset, the CAR of an event on *every* row of its return series is
computed at once from cumulative sums (counts, sums and cross-products of the usable estimation
rows; sums of the window rows), the model solved in closed form (k <= 2) or by batched
``np.linalg.solve`` (factor models). These are added over the assets of each event's asset set
into SUM_S[w][g] and CNT_S[w][g] over grid dates g, so that a draw costs one gather per event:
B x E lookups, no loop over draws or members. With a ``distributed.Client`` the per-asset part
runs on the workers in asset chunks, each reading its tickers from the study's Parquet prices.

Compared with the ``bootstrap`` test of the battery (which draws estimation-window rows of the
fitted members), each placebo member here is re-estimated on its own pseudo estimation window,
so the null also carries the estimation error of the normal-return model at other dates.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .assets import data_calendars
from .errors import DataError, EstimationWindowError
from .models import ConstantMean, FactorModel, MarketAdjusted, MarketModel, NormalReturnModel, get_model
from .panel import Window, market_over_intervals, parse_window, window_label
from .returns import compute_returns

__all__ = ["placebo_test", "rolling_cars"]

MIN_DATES = 20
"""Fewest eligible pseudo-dates an event may have: below this the placebo distribution is too coarse."""

CHUNK = 256
"""Assets per chunk of the rolling computation (memory ~ chunk x rows x a dozen float arrays)."""

_COLUMNS = ["group", "window", "caar", "n_members", "n_placebo", "null_mean", "null_sd", "q025", "q975", "z",
            "pvalue", "n_draws", "n_dates", "note"]


# --------------------------------------------------------------------------------------------
# what to compute (picklable: sent to Dask workers)


@dataclass(frozen=True)
class _Plan:
    model: NormalReturnModel
    kind: str
    market: str | dict | None
    est: Window
    windows: tuple[Window, ...]  # the windows whose CARs are computed
    mask_taus: np.ndarray  # event-window taus of the study (clean estimation); empty when off
    min_obs: int
    calendars: dict | None

    def bench(self, asset: str) -> str | None:
        if not self.model.needs_market:
            return None
        return self.market.get(asset) if isinstance(self.market, dict) else self.market

    def extra(self, assets: Sequence[str]) -> list[str]:
        """Tickers besides ``assets`` whose returns the assets' rows need (benchmarks, factors)."""
        out = {self.bench(a) for a in assets} | set(getattr(self.model, "factors", ()))
        out.discard(None)
        return sorted(out - set(assets))


def _plan(spec, windows: Sequence[Window]) -> _Plan:
    model = get_model(spec.model)
    if type(model) not in (ConstantMean, MarketAdjusted, MarketModel, FactorModel):
        raise DataError(f"model={model.name!r} ({type(model).__name__}): placebo_test supports the constant-mean, "
                        "market-adjusted and market models and FactorModel; refit with one of them")
    study_windows = [parse_window(w, argument="window") for w in spec.windows]
    taus = np.unique(np.concatenate([np.arange(lo, hi + 1) for lo, hi in study_windows])) \
        if spec.clean_estimation else np.empty(0, dtype=np.int64)
    market = dict(spec.market) if isinstance(spec.market, Mapping) else spec.market
    return _Plan(model=model, kind=spec.returns, market=market,
                 est=parse_window(spec.estimation, argument="estimation"), windows=tuple(windows),
                 mask_taus=taus.astype(np.int64), min_obs=max(int(spec.min_estimation), model.k + 3),
                 calendars=dict(spec.calendars) if spec.calendars else None)


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


def _range_sums(a: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Sum of ``a[:, lo[t]:hi[t]]`` for every t, from one cumulative sum per row."""
    prefix = np.zeros((a.shape[0], a.shape[1] + 1))
    np.cumsum(a, axis=1, out=prefix[:, 1:])
    return prefix[:, hi] - prefix[:, lo]


def _solve(xtx: dict, xty: list, enough: np.ndarray, p: int) -> tuple[list[np.ndarray], np.ndarray]:
    """OLS parameters per position from the normal equations (NaN where not identified), and the
    positions where they are. Mirrors :meth:`NormalReturnModel.fit`: a design whose condition
    number exceeds 1e12 (a constant market) has no estimate."""
    if p == 0:
        return [], enough
    with np.errstate(divide="ignore", invalid="ignore"):
        if p == 1:
            s = xtx[0, 0]
            good = enough & (s > 0)
            return [np.where(good, xty[0] / s, np.nan)], good
        if p == 2:
            a, b, c = xtx[0, 0], xtx[0, 1], xtx[1, 1]
            det = a * c - b * b
            lam_max = 0.5 * (a + c) + np.sqrt(0.25 * (a - c) ** 2 + b * b)
            cond = lam_max * lam_max / det  # lam_max / lam_min with lam_min = det / lam_max
            good = enough & np.isfinite(cond) & (cond > 0) & (cond <= 1e12)
            p0 = (c * xty[0] - b * xty[1]) / det
            p1 = (a * xty[1] - b * xty[0]) / det
            return [np.where(good, p0, np.nan), np.where(good, p1, np.nan)], good
    # k > 2 (factor models): batched eigenvalues (condition) and solve where there are enough rows
    ii = np.nonzero(enough)
    m = np.empty((ii[0].size, p, p))
    for i in range(p):
        for j in range(i, p):
            m[:, i, j] = m[:, j, i] = xtx[i, j][ii]
    v = np.stack([x[ii] for x in xty], axis=-1)
    good = enough.copy()
    params = [np.full(enough.shape, np.nan) for _ in range(p)]
    if m.shape[0]:
        eig = np.linalg.eigvalsh(m)
        with np.errstate(divide="ignore", invalid="ignore"):
            cond = eig[:, -1] / eig[:, 0]
        ok = np.isfinite(cond) & (cond > 0) & (cond <= 1e12)
        sol = np.full((m.shape[0], p), np.nan)
        if ok.any():
            sol[ok] = np.linalg.solve(m[ok], v[ok][:, :, None])[:, :, 0]
        good[ii[0][~ok], ii[1][~ok]] = False
        for j in range(p):
            params[j][ii] = sol[:, j]
    return params, good


def _asset_cars(rets: pd.DataFrame, assets: Sequence[str], plan: _Plan, real_days: Mapping[str, np.ndarray]) -> _Cars:
    """CAR of a date-only event placed on each return row of each asset, for every window of the plan.

    ``rets``: returns of the assets and of their benchmarks/factors, sorted by ticker and date (as
    :func:`eventstudy.compute_returns` gives them). ``real_days``: asset -> day-0 dates (int64
    days) of the real members, whose event windows the clean-estimation rule keeps out of every
    estimation window on that asset.
    """
    model = plan.model
    groups = rets.groupby("ticker", sort=False).indices
    ret = rets["ret"].to_numpy(dtype=float)
    day = _days(rets["date"])
    dates = rets["date"].to_numpy()
    prev = rets["prev_date"].to_numpy()
    empty = np.empty(0, dtype=np.int64)
    lens = np.array([len(groups.get(a, empty)) for a in assets], dtype=np.int64)
    n_assets = len(assets)
    width = max(int(lens.max()) if n_assets else 0, 1)
    valid = np.arange(width)[None, :] < lens[:, None]
    rows = np.concatenate([groups.get(a, empty) for a in assets]) if n_assets else empty
    starts = np.concatenate([[0], np.cumsum(lens)])

    def place(flat: np.ndarray, fill=np.nan) -> np.ndarray:
        out = np.full((n_assets, width), fill, dtype=np.asarray(flat).dtype)
        out[valid] = flat
        return out

    def over_intervals(bench_of) -> np.ndarray:
        """The benchmark's return compounded over each asset row's (prev_date, date], as in build_panel."""
        flat = np.full(rows.size, np.nan)
        by_bench: dict[str, list[int]] = {}
        for i, a in enumerate(assets):
            b = bench_of(a)
            if b is not None:
                by_bench.setdefault(b, []).append(i)
        for b, members in by_bench.items():
            if b not in groups:
                raise EstimationWindowError(f"benchmark/factor {b!r} has no returns in the price data")
            sel = np.concatenate([np.arange(starts[i], starts[i + 1]) for i in members])
            frame = rets.iloc[groups[b]][["date", "prev_date", "ret"]]
            flat[sel] = market_over_intervals(frame, prev[rows[sel]], dates[rows[sel]], plan.kind)
            for i in members:  # an asset that is its own benchmark (build_panel: its own return)
                if assets[i] == b:
                    flat[starts[i]:starts[i + 1]] = ret[rows[starts[i]:starts[i + 1]]]
        return place(flat)

    r = place(ret[rows])
    days = place(day[rows], fill=np.iinfo(np.int64).max)
    if isinstance(model, FactorModel):
        fac = np.stack([over_intervals(lambda a, f=f: f) for f in model.factors], axis=-1)
        xs = model.columns(fac)
        y = r - model.offset(r, fac[:, :, 0])
        mkt = None
    else:
        mkt = over_intervals(plan.bench) if model.needs_market else np.full_like(r, np.nan)
        xs = model.columns(mkt)
        y = r - model.offset(r, mkt)
    ok = np.isfinite(y)  # the row has an abnormal return (given estimated parameters)
    for x in xs:
        ok &= np.isfinite(x)
    if model.needs_market:
        ok &= np.isfinite(mkt)

    # clean estimation: rows inside a real event window on the asset are no estimation rows
    use = ok.copy()
    if plan.mask_taus.size:
        for i, a in enumerate(assets):
            d = real_days.get(a)
            n = int(lens[i])
            if d is None or not d.size or not n:
                continue
            own = days[i, :n]
            pos = np.searchsorted(own, d)
            pos = pos[pos < n]
            pos = pos[np.isin(own[pos], d)]  # a real day 0 without a return row is no member
            hit = (pos[:, None] + plan.mask_taus[None, :]).ravel()
            use[i, hit[(hit >= 0) & (hit < n)]] = False

    t = np.arange(width)
    e0, e1 = plan.est
    lo, hi = np.clip(t + e0, 0, width), np.clip(t + e1 + 1, 0, width)
    n_est = _range_sums(use.astype(float), lo, hi)
    yz = np.where(use, y, 0.0)
    xz = [np.where(use, x, 0.0) for x in xs]
    p = len(xz)
    xty = [_range_sums(x * yz, lo, hi) for x in xz]
    del yz
    xtx = {}
    for i in range(p):
        for j in range(i, p):
            xtx[i, j] = xtx[j, i] = _range_sums(xz[i] * xz[j], lo, hi)
    del xz
    params, good = _solve(xtx, xty, n_est >= plan.min_obs, p)
    del xtx, xty
    good &= valid

    yw = np.where(ok, y, 0.0)
    xw = [np.where(ok, x, 0.0) for x in xs]
    okf = ok.astype(float)
    car = np.empty((len(plan.windows), n_assets, width))
    for k, (w0, w1) in enumerate(plan.windows):
        lo, hi = np.clip(t + w0, 0, width), np.clip(t + w1 + 1, 0, width)
        full = _range_sums(okf, lo, hi) == (w1 - w0 + 1)  # every window row inside the data, with an AR
        c = _range_sums(yw, lo, hi)
        for j in range(p):
            c -= params[j] * _range_sums(xw[j], lo, hi)
        car[k] = np.where(full & good, c, np.nan)
    return _Cars(days, lens, car, n_est.astype(np.int64))


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


def _chunk_sums(rets: pd.DataFrame, assets: Sequence[str], plan: _Plan, real_days: Mapping[str, np.ndarray],
                member: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For a chunk of assets: the union of their return dates U and, per asset set s (rows of the
    0/1 matrix ``member``, (S, A)), window and date u in U, the sum and count of the defined CARs of
    an event whose pseudo date is u (each asset's first row on or after u)."""
    cars = _asset_cars(rets, assets, plan, real_days)
    inside = np.arange(cars.days.shape[1])[None, :] < cars.lens[:, None]
    udays = np.unique(cars.days[inside])
    pos = _positions(cars.days, cars.lens, udays)
    has = pos < cars.lens[:, None]
    pos = np.minimum(pos, cars.days.shape[1] - 1)
    n_sets, n_w = member.shape[0], len(plan.windows)
    sums = np.empty((n_sets, n_w, udays.size))
    cnts = np.empty((n_sets, n_w, udays.size))
    for k in range(n_w):
        v = np.take_along_axis(cars.car[k], pos, axis=1)
        f = np.isfinite(v) & has
        sums[:, k] = member @ np.where(f, v, 0.0)
        cnts[:, k] = member @ f.astype(float)
    return udays, sums, cnts


def _chunk_task(source, assets: list[str], plan: _Plan, real_days: dict, member: np.ndarray):
    """Dask task: read the chunk's tickers (and their benchmarks/factors) from the Parquet source,
    compute returns as the study does, return the chunk's partial sums."""
    prices = source.daily(list(assets) + plan.extra(assets))
    rets = compute_returns(prices, plan.kind, sessions=data_calendars(prices, plan.calendars))
    return _chunk_sums(rets, assets, plan, real_days, member)


# --------------------------------------------------------------------------------------------
# study inputs


def _returns(spec, tickers: Sequence[str] | None = None) -> pd.DataFrame:
    """Returns exactly as the study computes them (``_fit``), sorted by ticker and date; only of
    ``tickers`` when given (each ticker's returns depend on its own prices alone)."""
    from .study import _daily

    prices = _daily(spec.prices)
    if tickers is not None:
        prices = prices[prices["ticker"].isin(list(tickers))]
    return compute_returns(prices, spec.returns, sessions=data_calendars(prices, spec.calendars))


def _select(rets: pd.DataFrame, groups: dict, tickers: Sequence[str]) -> pd.DataFrame:
    idx = [groups[t] for t in dict.fromkeys(tickers) if t in groups]
    return rets.iloc[np.concatenate(idx)] if idx else rets.iloc[:0]


def _real_days(results) -> dict[str, np.ndarray]:
    """Asset -> day-0 days of the real (event, asset) pairs: the alignment's (so a pair excluded
    later for a short estimation window still masks its window, as in the engine), else the members'."""
    frames = [results.members[["asset", "day0"]]]
    al = getattr(results, "alignment", None)
    if isinstance(al, pd.DataFrame) and {"asset", "day0"} <= set(al.columns):
        frames.append(al[["asset", "day0"]])
    both = pd.concat(frames, ignore_index=True).dropna()
    days = _days(pd.to_datetime(both["day0"]).to_numpy())
    return {a: np.unique(days[ix]) for a, ix in both.groupby("asset", sort=False).indices.items()}


def _windows(results, windows) -> list[Window]:
    study = [parse_window(w, argument="window") for w in results.spec.windows]
    if windows is None:
        return study
    if isinstance(windows, (str, tuple)):
        windows = [windows]
    out = []
    for w in windows:
        pw = parse_window(w, argument="windows")
        if pw not in study:
            raise EstimationWindowError(
                f"windows={w!r} is not a window of the study; pass some of {[window_label(s) for s in study]} "
                "or refit the study with that window")
        out.append(pw)
    return list(dict.fromkeys(out))


def _group_members(results, groups) -> dict[str, np.ndarray]:
    """Group name -> member indices: ``all``, each value of the study's group column (the
    default), and on request any event_id."""
    members = results.members
    gcol = results.spec.group
    avail = {"all": np.arange(len(members))}
    if gcol and gcol in members.columns:
        for g, idx in members.groupby(gcol, sort=False).indices.items():
            if str(g) and str(g) != "<NA>":
                avail.setdefault(str(g), np.asarray(idx))
    default = list(avail)
    events = members.groupby("event_id", sort=False).indices
    if groups is None:
        return avail
    if isinstance(groups, str):
        groups = [groups]
    out = {}
    for g in groups:
        if str(g) in avail:
            out[str(g)] = avail[str(g)]
        elif str(g) in events:
            out[str(g)] = np.asarray(events[str(g)])
        else:
            raise DataError(f"groups={g!r} is not a group of the study; pass some of {default} or an event_id")
    if not out:
        raise DataError(f"groups=[] names no group; pass some of {default} or leave groups=None")
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


# --------------------------------------------------------------------------------------------
# public API


def rolling_cars(results, assets: Sequence[str] | None = None, windows=None) -> pd.DataFrame:
    """CAR of a date-only event placed on each return row of each asset, computed as the study
    would (same model, estimation window, ``min_estimation`` and clean-estimation rule): tidy
    ``asset, date, window, car, n_est`` (``date`` is day 0; NaN ``car`` where no CAR exists).
    This is what :func:`placebo_test` draws from; for inspection and checks."""
    win = _windows(results, windows)
    plan = _plan(results.spec, win)
    assets = list(dict.fromkeys(assets if assets is not None else results.members["asset"]))
    rets = _returns(results.spec, assets + plan.extra(assets))
    groups = rets.groupby("ticker", sort=False).indices
    unknown = [a for a in assets if a not in groups]
    if unknown:
        raise DataError(f"assets={unknown}: no returns in the study's prices")
    real = _real_days(results)
    parts = []
    for c in range(0, len(assets), CHUNK):
        chunk = assets[c:c + CHUNK]
        cars = _asset_cars(_select(rets, groups, chunk + plan.extra(chunk)), chunk, plan, real)
        inside = np.arange(cars.days.shape[1])[None, :] < cars.lens[:, None]
        names = np.repeat(np.asarray(chunk, dtype=object), cars.lens)
        d = cars.days[inside].astype("datetime64[D]").astype("datetime64[ns]")
        for k, w in enumerate(win):
            parts.append(pd.DataFrame({"asset": names, "date": d, "window": window_label(w),
                                       "car": cars.car[k][inside], "n_est": cars.n_est[inside]}))
    return pd.concat(parts, ignore_index=True)


def placebo_test(results, n_draws: int = 5000, seed=0, windows=None, groups=None, client=None,
                 exclude_real: bool = True, *, chunk_size: int = CHUNK) -> pd.DataFrame:
    """Placebo-date (pseudo-event) permutation test of each group's CAAR.

    Parameters
    ----------
    results
        An :class:`~eventstudy.EventStudyResults`; its ``spec`` (prices, model, market, returns,
        estimation, windows, min_estimation, clean_estimation, calendars), ``members`` and ``car``
        are used (not its panel).
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
        A ``distributed.Client``: the per-asset rolling CARs run on its workers in chunks of
        ``chunk_size`` assets, each reading its tickers from the study's
        :class:`~eventstudy.prices.parquet.ParquetSource` (required then); the draws run here.
    exclude_real
        Pseudo dates whose widest study window (one session wider on each side) holds a real day
        0 are not drawn, so pseudo windows do not straddle the real news.

    Returns
    -------
    One row per (group, window): ``group, window, caar`` (observed, as ``results.caar``),
    ``n_members`` (members with a CAR), ``n_placebo`` (mean pseudo members with a CAR per
    draw), ``null_mean, null_sd, q025, q975`` of the placebo CAAR, ``z`` = (caar - null_mean) /
    null_sd, ``pvalue`` (equal-tailed two-sided), ``n_draws``, ``n_dates`` (eligible pseudo
    dates; the fewest over the group's events) and ``note``.

    The procedure and its basis (Brown & Warner 1980; Kolari & Pynnoenen 2010) are in the
    module docstring.
    """
    if results.options.get("frequency"):
        raise DataError("placebo_test works on daily studies: pseudo dates are sessions, and an intraday study's "
                        "events have instants; run the placebo test on the daily study of the same events")
    from .inference.resampling import _two_sided

    if isinstance(n_draws, bool) or not isinstance(n_draws, (int, np.integer)) or n_draws < 1:
        raise DataError(f"n_draws={n_draws!r}: pass a positive number of placebo draws, e.g. n_draws=5000")
    if not isinstance(chunk_size, (int, np.integer)) or chunk_size < 1:
        raise DataError(f"chunk_size={chunk_size!r}: pass a positive number of assets per chunk, e.g. 256")
    n_draws = int(n_draws)
    spec = results.spec
    win = _windows(results, windows)
    gmem = _group_members(results, groups)
    plan = _plan(spec, win)
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
    for g, idx in [("all", np.arange(len(members))), *gmem.items()]:
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
    full_set[units["all"][0]] = units["all"][1]

    # per-asset rolling CARs, summed per asset set over each chunk's dates
    real = _real_days(results)
    chunks = [assets[c:c + int(chunk_size)] for c in range(0, len(assets), int(chunk_size))]
    cols = [np.arange(c, min(c + int(chunk_size), len(assets))) for c in range(0, len(assets), int(chunk_size))]
    if client is not None:
        source = _check_client(results, client)
        if isinstance(client, str):  # a scheduler address
            from distributed import Client

            client = Client(client)
        futures = [client.submit(_chunk_task, source, ch, plan, {a: real[a] for a in ch if a in real},
                                 member[:, cc], pure=False) for ch, cc in zip(chunks, cols)]
        parts = client.gather(futures)
    else:
        rets = _returns(spec, assets + plan.extra(assets))
        rgroups = rets.groupby("ticker", sort=False).indices
        missing = [a for a in assets if a not in rgroups]
        if missing:
            raise DataError(f"asset(s) {missing[:5]} of the study have no returns in its prices")
        parts = [_chunk_sums(_select(rets, rgroups, ch + plan.extra(ch)), ch, plan, real, member[:, cc])
                 for ch, cc in zip(chunks, cols)]
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
        study_w = [parse_window(w) for w in spec.windows]
        lo, hi = min(0, min(w[0] for w in study_w)), max(0, max(w[1] for w in study_w))
        real_all = np.unique(np.concatenate(list(real.values()))) if real else np.empty(0, np.int64)
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
        sel = car[car["window"].to_numpy() == window_label(w)]
        v = np.full(len(members), np.nan)
        v[sel["member"].to_numpy(dtype=np.int64)] = sel["car"].to_numpy(dtype=float)
        observed[w] = v
    rows = []
    draws = {}
    for g, midx in gmem.items():
        evs, sts = units[g]
        n_dates = int(n_elig[evs].min())
        for k, w in enumerate(win):
            label = window_label(w)
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
                         "pvalue": _two_sided(obs, null, "two-sided"), "n_draws": b, "n_dates": n_dates,
                         "note": note})
    out = pd.DataFrame(rows, columns=_COLUMNS)
    out.attrs["draws"] = draws  # the placebo CAARs themselves, {(group, window): array}, for figures
    return out
