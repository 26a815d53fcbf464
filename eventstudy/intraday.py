"""Intraday event studies: the same engine, with bars in place of sessions.

``intraday_study(events, bars, interval="1m", ...)`` runs an :class:`~eventstudy.EventStudy` on
intraday bars. Event time counts bars of each instrument's own series: bar 0 is the first bar of
the instrument that *ends strictly after* the event instant (the intraday form of "the first
session closing strictly after the event"), tau = -1 the bar before it, and windows and the
estimation window are bar offsets. A bar ends ``interval`` after it starts, or at its session's
close if that comes first (the 15:30 hourly bar of SPY ends at 16:00), for instruments whose
exchange calendar the registry knows.

How: every instrument's bar-end instants are put on one ordered axis (the union over the
instruments) and each instant gets a stand-in session label, its rank on a day-numbered axis.
The daily engine then works unchanged, and exactly as it should for bars: event time by rows of
each series; the benchmark's return compounded over each bar's ``(previous end, end]`` interval;
estimation bars inside another event's window excluded; Kolari-Pynnönen r̄ aligned on common bar
instants. Results are mapped back to real instants (UTC) and the real tickers, and every backend
(``"memory"``, ``"chunked"`` within a memory budget) works on bars as on days.

Not covered: day-0 policies for date-only events (an intraday study needs the instant: date-only
events are excluded, with the reason); the Dask backend (its workers read daily Parquet prices).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from .bars import bar_end_ns, bar_length, trading_stops
from .errors import DataError, SpecificationError
from .events import expand_assets, load_events
from .halts import BAR0, bar_gaps, check_across_halts, market_closures, window_flags
from .models import NormalReturnModel, get_model
from .overlaps import first_event
from .pipeline.executors import Execution
from .prices.base import check_intraday_frame
from .windows import Window, parse_windows

BASE = pd.Timestamp("1678-01-01")  # first stand-in label; pandas' nanosecond range ends in 2262
MAX_BARS = int((np.datetime64("2262-04-01") - BASE.to_datetime64().astype("datetime64[D]")).astype(int))
SUFFIX = " [bars]"  # stand-in tickers are unregistered, so their sessions come from their own bars
ISO = "%Y-%m-%dT%H:%M:%SZ"


@dataclasses.dataclass(frozen=True)
class BarAxis:
    """Bar-end instants (UTC, naive ns) <-> stand-in session labels (naive days, in order)."""

    ends: np.ndarray  # sorted unique datetime64[ns]

    def label(self, ends: np.ndarray) -> np.ndarray:
        """Bar-end instants -> stand-in session labels: ``BASE`` plus the instant's rank in days.

        Parameters
        ----------
        ends : numpy.ndarray of datetime64[ns]
            Bar-end instants (UTC, naive), normally members of :attr:`ends`; an instant that is not
            gets the rank of the first axis instant at or after it.

        Returns
        -------
        numpy.ndarray of datetime64[ns]
            One naive label per instant: ``1678-01-01`` for the first axis instant, one day later
            for each next one.
        """
        pos = np.searchsorted(self.ends, ends)
        return (BASE + pd.to_timedelta(pos, unit="D")).to_numpy()

    def instant(self, labels: np.ndarray) -> np.ndarray:
        """Stand-in labels (datetime64, NaT allowed) -> bar-end instants (NaT where NaT)."""
        lab = np.asarray(labels, dtype="datetime64[ns]")
        nat = np.isnat(lab)
        pos = ((np.where(nat, np.datetime64(BASE, "ns"), lab) - np.datetime64(BASE, "ns"))
               // np.timedelta64(1, "D")).astype(np.int64)
        out = self.ends[np.clip(pos, 0, len(self.ends) - 1)]
        return np.where(nat, np.datetime64("NaT", "ns"), out)


def bar_ends(bars: pd.DataFrame, interval: str | Mapping[str, str]) -> pd.Series:
    """End instant (UTC) of every bar, by the rule of :func:`eventstudy.bars.with_bar_ends`:
    start + interval, but no later than the instrument's next bar, its session's close or its
    lunch break (registered calendars: the Nikkei's 11:00 hourly bar ends at 11:30).

    Parameters
    ----------
    bars
        ``ticker, time`` (tz-aware bar starts).
    interval
        Bar length for all (``"1m"``) or per instrument (``{"SPY": "1h", "ES=F": "15m"}``).

    Returns
    -------
    pandas.Series
        Tz-aware UTC instants (ns), aligned with ``bars`` (same index and row order).

    Raises
    ------
    DataError
        If ``interval`` is a mapping that lacks an instrument of ``bars``, or an interval is not a
        bar length.
    """

    start = pd.DatetimeIndex(bars["time"]).tz_convert("UTC").as_unit("ns").asi8
    ticker = bars["ticker"].to_numpy()
    order = np.lexsort((start, pd.factorize(ticker)[0]))
    s, t = start[order], ticker[order]
    end = np.empty_like(s)
    bounds = np.flatnonzero(np.r_[True, t[1:] != t[:-1], True])
    for lo, hi in zip(bounds[:-1], bounds[1:]):
        name = t[lo]
        iv = interval.get(name) if isinstance(interval, Mapping) else interval
        if iv is None:
            raise DataError(f"interval= names no bar length for {name!r}; give every instrument one, "
                            f"e.g. interval={{{name!r}: '1m'}}")
        try:
            step = bar_length(iv).value
        except Exception:
            raise DataError(f"interval={iv!r}: write the bar length, e.g. '1m', '15m', '1h'") from None
        end[lo:hi] = bar_end_ns(s[lo:hi], step, trading_stops(name))
    out = np.empty_like(end)
    out[order] = end
    return pd.Series(pd.DatetimeIndex(out, tz="UTC"), index=bars.index)


def intraday_study(events: pd.DataFrame | str, bars: pd.DataFrame, *, interval: str | Mapping[str, str] = "1m",
                   assets: Sequence[str] | None = None, market: str | Mapping[str, str] | None = None,
                   model: str | NormalReturnModel = "constant-mean",
                   estimation: Window | tuple[int, int] | str = (-120, -11),
                   windows: Sequence[Window | tuple[int, int] | str] = ((0, 0), (0, 5)), across_halts: str = "flag",
                   **options):
    """Fit an event study on intraday bars: bar 0 is the first bar ending after the event.

    Parameters
    ----------
    events
        A validated catalog or its path; date-only events are excluded with the reason.
    bars
        ``ticker, time, close`` (``time`` the tz-aware bar start), as
        :meth:`BundledSource.intraday` and yfinance give them.
    interval
        Bar length, one for all or a mapping instrument -> interval.
    assets, market, model, estimation, windows
        As for :class:`~eventstudy.EventStudy`, in bars. The benchmark's return over an asset bar
        is compounded from the benchmark's bars ending inside it, so give the benchmark bars at
        least as fine as the assets'.
    across_halts
        What to do with a window whose returns span a market closure (a session close, a weekend,
        a holiday, CME's daily break, a lunch break: :mod:`eventstudy.halts`): ``"flag"`` (default:
        keep the numbers, ``status`` says ``bar0-across-halt`` or ``crosses-halt on tau ...``),
        ``"allow"`` (keep them, status ``ok``), ``"exclude-bar0"`` (leave out members whose bar 0
        opens across a closure) or ``"exclude"`` (leave out members any of whose windows crosses
        one); the left-out members are in ``exclusions`` with the closure. Every mode names the
        closures in the ``halts`` column of ``car`` and flags bars missing inside a session
        (``gap on tau ...``).
    **options
        Other :class:`~eventstudy.EventStudy` options (``group``, ``tests``, ``n_boot`` ...) and
        execution options of :meth:`~eventstudy.EventStudy.fit` (``backend="chunked"``,
        ``memory`` ...).

    Returns
    -------
    EventStudyResults
        Whose ``day0`` columns and AR ``date`` are bar-end instants in UTC (ISO 8601 with ``Z`` in
        the CSVs), whose ``frequency`` is the interval and whose ``car`` has a ``halts`` column
        (the closures each window crosses, ``"weekend 2025-10-10T17:00-04:00/2025-10-12T18:00-04:00"``,
        ``"; "`` between several; empty when none).

    Raises
    ------
    DataError
        If ``backend="dask"``, ``date_only=`` or ``calendars=`` is passed, ``across_halts`` is not a
        choice, ``time`` is naive, there
        are more distinct bar instants than the stand-in axis holds, ``market`` or an asset has no
        bars, an interval is missing or invalid, or no (event, asset)
        pair is left (outside the bars, or excluded).
    """
    from .study import EventStudy

    run = {k: options.pop(k) for k in list(options) if k in {f.name for f in dataclasses.fields(Execution)}}
    execution = Execution(**run)
    if execution.backend == "dask":
        raise SpecificationError("backend='dask' reads daily Parquet prices on the workers; run intraday studies "
                                 "with backend='memory' or 'chunked'")
    for key in ("date_only", "calendars"):
        if key in options:
            raise SpecificationError(f"{key}= does not apply to an intraday study: bar 0 is the first bar ending after "
                                     "the event instant, on each instrument's own bars")
    check_across_halts(across_halts)
    model = get_model(model)
    factors = list(getattr(model, "factors", ()))
    if "time" in bars.columns and getattr(pd.to_datetime(bars["time"]).dt, "tz", None) is None:
        raise DataError("bars: 'time' is naive; localize it to the vendor's zone first (tz_localize), a naive "
                        "bar time would silently be read as UTC")
    b = check_intraday_frame(bars.assign(**{c: bars.get(c, np.nan)
                                           for c in ("open", "high", "low", "volume")}), "bars")
    b["end"] = bar_ends(b, interval)
    b = b[b["close"].notna()].reset_index(drop=True)
    ends = b["end"].dt.tz_convert("UTC").dt.tz_localize(None).to_numpy().astype("datetime64[ns]")
    axis = BarAxis(np.unique(ends))
    if len(axis.ends) > MAX_BARS:
        raise DataError(f"bars: {len(axis.ends):,} distinct bar instants, more than {MAX_BARS:,} fit the stand-in "
                        "axis; split the study into periods")
    have = list(pd.unique(b["ticker"]))
    benchmarks = list(market.values()) if isinstance(market, Mapping) else [market] if market else []
    for name, tickers in (("market", benchmarks + (list(market) if isinstance(market, Mapping) else [])),
                          ("factors", factors), ("assets", list(assets or []))):
        missing = [t for t in tickers if t not in have]
        if missing:
            raise DataError(f"{name}: {missing} have no bars; the bars hold {have}")
    not_assets = (set(benchmarks) - (set(market) if isinstance(market, Mapping) else set())) | set(factors)
    assets = list(assets) if assets is not None else [t for t in have if t not in not_assets]
    stand = {t: t + SUFFIX for t in have}
    if factors:  # the model reads its factors under the stand-in names the engine sees
        model = dataclasses.replace(model, factors=tuple(stand[f] for f in factors))
    market = ({stand[a]: stand[m] for a, m in market.items()} if isinstance(market, Mapping) else
              stand[market] if market else None)
    real = {v: k for k, v in stand.items()}
    prices = pd.DataFrame({"ticker": b["ticker"].map(stand), "date": axis.label(ends), "close": b["close"],
                           "adj_close": b["close"]})
    ev = events if isinstance(events, pd.DataFrame) else load_events(events)
    pairs = expand_assets(ev, assets)
    pairs = pairs[pairs["asset"].isin(assets)].reset_index(drop=True)

    # bar 0 of every (event, asset): the first bar of that asset ending strictly after the event
    rows, excluded, align = [], [], []
    starts = pd.DatetimeIndex(b["time"]).tz_convert("UTC").as_unit("ns").asi8
    by_ticker, bar_starts = {}, {}
    for t, idx in b.groupby("ticker", sort=False).indices.items():
        order = idx[np.argsort(starts[idx], kind="stable")]
        by_ticker[t], bar_starts[t] = ends[order], starts[order]
    del b, ends, starts  # the stand-in price frame holds what the fit needs
    wins = parse_windows(windows)
    gaps, flags = {}, {}  # per asset: what lies between its bars; per (event, asset): per window
    when = pairs["event_time_utc"].dt.tz_convert("UTC").dt.tz_localize(None).to_numpy().astype("datetime64[ns]")
    for i, r in enumerate(pairs.itertuples(index=False)):
        e = by_ticker[r.asset]
        k = int(np.searchsorted(e, when[i], side="right"))
        if r.time_precision == "date-only":
            reason = "a date-only event has no instant to place bar 0 after"
        elif k == 0:
            reason = (f"before the second bar of {r.asset} ({pd.Timestamp(e[0]):{ISO}} is its first bar end): "
                      "bar 0 needs a bar before it for its return")
        elif k >= len(e):
            reason = f"after the last bar of {r.asset} ({pd.Timestamp(e[-1]):{ISO}})"
        else:
            reason = ""
        align.append({"event_id": r.event_id, "asset": r.asset,
                      "event_time_utc": pd.Timestamp(when[i]).tz_localize("UTC"),
                      "time_precision": r.time_precision, "rule": "first bar ending strictly after the event instant",
                      "calendar": f"{r.asset} {_interval_of(interval, r.asset)} bars",
                      "day0": pd.NaT if reason else pd.Timestamp(e[k])})
        if not reason:
            if r.asset not in gaps:
                gaps[r.asset] = bar_gaps(bar_starts[r.asset], e.view(np.int64),
                                         bar_length(_interval_of(interval, r.asset) or "1m").value,
                                         market_closures(r.asset))
            found = {w.label: window_flags(gaps[r.asset], k, w[0], w[1]) for w in wins}
            flags[(r.event_id, r.asset)] = found
            reason = _halt_exclusion(found, across_halts)
        if reason:
            excluded.append({"event_id": r.event_id, "asset": r.asset, "reason": reason})
            continue
        rows.append(i)
    if not rows:
        raise DataError("no (event, asset) pair is left to estimate: " +
                        "; ".join(f"{x['event_id']}/{x['asset']}: {x['reason']}" for x in excluded[:5]))
    keep = pairs.iloc[rows].reset_index(drop=True)
    bar0 = np.array([align[i]["day0"].to_datetime64() for i in rows], dtype="datetime64[ns]")
    meta = [c for c in keep.columns if c not in ("event_id", "asset", "timestamp", "time_precision", "event_time_utc",
                                                 "utc_offset", "event_date", "date", "assets")]
    # the catalog the daily engine sees, in the shape load_events gives (validated above, row by row):
    # one date-only event per (event, asset) on the stand-in label of its bar 0
    label = pd.DatetimeIndex(axis.label(bar0))
    std_events = keep[["event_id", *meta]].assign(
        asset=keep["asset"].map(stand).to_numpy(), date=label.strftime("%Y-%m-%d"), time_precision="date-only",
        event_time_utc=label.tz_localize("UTC"), utc_offset="+00:00", event_date=label)
    spec = EventStudy(std_events, prices, assets=[stand[a] for a in assets], model=model, market=market,
                      estimation=Window.parse(estimation, argument="estimation"),
                      windows=wins, date_only="session-date", **options)
    res = spec.run(execution)
    return _to_real(res, axis, real, pd.DataFrame(align), excluded, interval, flags, across_halts)


@dataclasses.dataclass(frozen=True)
class IntradayStudy:
    """An intraday study waiting to be fitted (what ``eventstudy run --interval`` builds): the
    arguments of :func:`intraday_study`, fitted by :meth:`fit` like an :class:`~eventstudy.EventStudy`."""

    events: pd.DataFrame
    bars: pd.DataFrame
    interval: str | Mapping[str, str]
    options: Mapping = dataclasses.field(default_factory=dict)

    def fit(self, *, backend: str = "memory", **execution):
        """Run :func:`intraday_study` with the stored arguments.

        Parameters
        ----------
        backend : str, default "memory"
            ``"memory"`` or ``"chunked"``.
        **execution
            Execution options (``memory``, ``partition``, ``progress``, ``client`` ...); ``None``
            values are left out.

        Returns
        -------
        EventStudyResults
        """
        run = {k: v for k, v in execution.items() if v is not None}
        return intraday_study(self.events, self.bars, interval=self.interval, backend=backend, **run,
                              **self.options)


def _halt_exclusion(found: Mapping[str, tuple[list[str], list[str]]], across_halts: str) -> str:
    """Why a member is left out under ``across_halts`` (empty: it stays)."""
    if across_halts == "exclude-bar0":
        hit = [(w, h) for w, (items, h) in found.items() if BAR0 in items]
        if hit:
            return (f"bar 0 opens across a market closure ({'; '.join(hit[0][1][:1])}): its return spans the "
                    "closure; across_halts='exclude-bar0'")
    elif across_halts == "exclude":
        hit = [(w, items, h) for w, (items, h) in found.items() if h]
        if hit:
            w, items, h = hit[0]
            what = "; ".join(x for x in items if not x.startswith("gap"))
            return f"window {w} crosses a market closure ({what}: {'; '.join(h)}); across_halts='exclude'"
    return ""


@dataclasses.dataclass(frozen=True)
class BarRelabel:
    """Stand-in tickers and session labels of the daily engine -> real tickers and bar-end instants
    (the :class:`eventstudy.results.Relabel` of an intraday study)."""

    axis: BarAxis
    real: Mapping[str, str]

    def ticker(self, name: str) -> str:
        """The real ticker of a stand-in ticker (``"SPY [bars]"`` -> ``"SPY"``); other names unchanged.

        Parameters
        ----------
        name : str
            A ticker as the daily engine names it.

        Returns
        -------
        str
        """
        return self.real.get(name, name)

    def frame(self, frame: pd.DataFrame, dates: Sequence[str] = ("date",)) -> pd.DataFrame:
        """A copy of ``frame`` with real tickers in ``asset`` and bar-end instants in the date columns.

        Parameters
        ----------
        frame : pandas.DataFrame
            A table of the daily engine (stand-in tickers and session labels).
        dates : sequence of str, default ("date",)
            Columns holding stand-in labels; each becomes the bar-end instants they stand for
            (naive UTC; NaT stays NaT, a label beyond the axis maps to its first or last instant).
            Columns ``frame`` lacks are skipped; ``asset`` is mapped only when present.

        Returns
        -------
        pandas.DataFrame
        """
        out = frame.copy()
        if "asset" in out:
            out["asset"] = out["asset"].map(self.ticker)
        for col in dates:
            if col in out:
                out[col] = pd.DatetimeIndex(self.axis.instant(out[col].to_numpy()))
        return out

    def text(self, text: str) -> str:
        """A reason naming stand-in tickers and labels -> the real ones."""
        for stand, tick in self.real.items():
            text = text.replace(stand, tick)
        return re.sub(r"\b(1[6-9]\d\d|2[0-2]\d\d)-\d\d-\d\d\b", lambda m: _real_label(m.group(0), self.axis), text)


def _to_real(res, axis: BarAxis, real: dict, alignment: pd.DataFrame, excluded: list, interval,
             flags: Mapping, across_halts: str):
    """The results with real tickers and bar-end instants (UTC) in place of the stand-ins, and the
    halts and gaps of every window in ``status`` and ``halts``."""
    relabel = BarRelabel(axis, real)
    members = res.members.assign(asset=res.members["asset"].map(relabel.ticker),
                                 day0=pd.DatetimeIndex(axis.instant(res.members["day0"].to_numpy())).tz_localize("UTC"))
    real_events = alignment.set_index(["event_id", "asset"])  # the real instants, not the stand-in dates
    ids = set(alignment["event_id"])
    first = [first_event(e, ids) for e in members["event_id"]]  # a merged A+B keeps A's instant
    at = real_events.index.get_indexer(pd.MultiIndex.from_arrays([first, members["asset"]]))
    members["event_time_utc"] = real_events["event_time_utc"].to_numpy()[at]
    members["time_precision"] = real_events["time_precision"].to_numpy()[at]
    # an unchanged price from one bar to the next is ordinary on minute bars, not a stale daily quote;
    # "spans N sessions" counts rows of the stand-in axis (every instrument's bars): the gaps and
    # halts of the instrument's own bars, from its calendar, say what a return spans instead
    status = (res.car["status"].str.replace(r"; unchanged price on tau [^;]*\(stale quote\?\)", "", regex=True)
              .str.replace(r"; return on tau [^;]*\(missing price\)", "", regex=True))
    car = res.car.assign(asset=res.car["asset"].map(relabel.ticker), status=status,
                         day0=pd.DatetimeIndex(axis.instant(pd.to_datetime(res.car["day0"]).to_numpy())).strftime(ISO))
    car["status"], car["halts"] = _halt_status(car, flags, ids, across_halts)
    exclusions = pd.concat([pd.DataFrame(excluded, columns=["event_id", "asset", "reason"]),
                            res.exclusions.assign(asset=res.exclusions["asset"].map(relabel.ticker),
                                                  reason=res.exclusions["reason"].map(relabel.text))],
                           ignore_index=True)
    params = relabel.frame(res.params, dates=("est_first", "est_last"))
    overlaps = relabel.frame(res.overlaps.rename(columns={"market": "asset"}), dates=("day0_a", "day0_b"))
    overlaps = overlaps.rename(columns={"asset": "market"})
    params.columns = [relabel.text(c) for c in params.columns]  # beta[MKT [bars]] -> beta[MKT]
    alignment = alignment.assign(day0=pd.to_datetime(alignment["day0"]).dt.tz_localize("UTC"))
    return dataclasses.replace(res, members=members, car=car, exclusions=exclusions, alignment=alignment,
                               params=params, event_rows=relabel.frame(res.event_rows), frequency=interval,
                               overlaps=overlaps,
                               relabel=relabel, extra={"bars": len(axis.ends), "across_halts": across_halts})


def _halt_status(car: pd.DataFrame, flags: Mapping, ids, across_halts: str) -> tuple[np.ndarray, np.ndarray]:
    """``status`` with each window's halt and gap items, and the ``halts`` column."""
    status, halts = car["status"].to_numpy(dtype=object).copy(), np.full(len(car), "", dtype=object)
    for n, (event_id, asset, window) in enumerate(zip(car["event_id"], car["asset"], car["window"])):
        items, crossed = flags.get((first_event(event_id, ids), asset), {}).get(window, ([], []))
        if across_halts == "allow":
            items = [x for x in items if not x.startswith(("bar0-", "crosses-"))]
        if items:
            status[n] = "; ".join(items) if status[n] == "ok" else f"{status[n]}; " + "; ".join(items)
        halts[n] = "; ".join(crossed)
    return status.astype(str), halts.astype(str)


def _interval_of(interval: str | Mapping[str, str], ticker: str) -> str:
    return interval.get(ticker, "") if isinstance(interval, Mapping) else interval


def _real_label(text: str, axis: BarAxis) -> str:
    """A stand-in label written as a date -> the bar-end instant it stands for (other dates kept)."""
    day = pd.Timestamp(text)
    pos = (day - BASE) // pd.Timedelta(days=1)
    if 0 <= pos < len(axis.ends):
        return f"{pd.Timestamp(axis.ends[pos]):{ISO}}"
    return text
