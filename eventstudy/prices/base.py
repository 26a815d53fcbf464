"""The PriceSource protocol and the two frame shapes every source returns.

Daily frame (long, tidy), one row per (ticker, date), sorted by ticker then date:

=========  ==============================  ================================================
column     dtype                           meaning
=========  ==============================  ================================================
ticker     str                             Yahoo-style symbol, e.g. ``"^N225"``
date       datetime64[ns] (naive)          the session (trading) date in the market's own
                                           calendar; never a time of day
close      float64                         raw close as quoted in the news (NaN where the
                                           source cannot rebuild it)
adj_close  float64                         dividend/split-adjusted close (== close for
                                           indices, futures, FX)
volume     float64, optional               traded volume of the session as the source reports
                                           it (shares, index units, contracts); NaN where the
                                           source has none. Only where a source carries
                                           volume (:data:`VOLUME_COLUMN`); never filled
=========  ==============================  ================================================

Intraday frame: one row per bar, columns ``ticker, time, open, high, low, close, volume``;
``time`` is the tz-aware (UTC) instant at which the bar *starts*. Bars are raw prices.

Sources never forward-fill: a date absent from the data is absent from the frame.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import numpy as np
import pandas as pd

from ..errors import PriceSourceError
from ..eventtime import ticker_date_order

DAILY_COLUMNS = ["ticker", "date", "close", "adj_close"]
VOLUME_COLUMN = "volume"
"""The optional fifth column of a daily frame (abnormal volume studies: :mod:`eventstudy.volume`)."""
INTRADAY_COLUMNS = ["ticker", "time", "open", "high", "low", "close", "volume"]


@runtime_checkable
class PriceSource(Protocol):
    """Anything that delivers daily (and optionally intraday) prices in the frames above."""

    name: str

    def daily(
        self,
        tickers: Sequence[str],
        start: str | pd.Timestamp | None = None,
        end: str | pd.Timestamp | None = None,
    ) -> pd.DataFrame:
        """Daily closes of ``tickers`` between ``start`` and ``end`` (inclusive session dates).

        Parameters
        ----------
        tickers : sequence of str
            Yahoo-style symbols, e.g. ``["SPY", "^N225"]``.
        start : str or pandas.Timestamp, optional
            First session date to return (inclusive); None for the first the source has.
        end : str or pandas.Timestamp, optional
            Last session date to return (inclusive); None for the last the source has.

        Returns
        -------
        pandas.DataFrame
            The daily frame described in the module docstring (``ticker, date, close, adj_close``,
            and ``volume`` where the source has it).
        """
        ...

    def intraday(
        self,
        ticker: str,
        start: str | pd.Timestamp,
        end: str | pd.Timestamp,
        interval: str = "1m",
    ) -> pd.DataFrame:
        """Intraday bars of ``ticker`` starting in ``[start, end]`` (tz-aware instants).

        Parameters
        ----------
        ticker : str
            Yahoo-style symbol, e.g. ``"ES=F"``.
        start : str or pandas.Timestamp
            Earliest bar start (inclusive); tz-aware.
        end : str or pandas.Timestamp
            Latest bar start (inclusive); tz-aware.
        interval : str, default "1m"
            Bar length, e.g. ``"1m"``, ``"15m"``, ``"1h"``.

        Returns
        -------
        pandas.DataFrame
            The intraday frame described in the module docstring
            (``ticker, time, open, high, low, close, volume``; ``time`` the UTC bar start).
        """
        ...


def check_daily_frame(df: pd.DataFrame, source: str) -> pd.DataFrame:
    """Validate and normalise a daily frame; raise :class:`PriceSourceError` naming ``source``.

    Keeps only the columns ``ticker, date, close, adj_close`` and ``volume`` when there is one;
    casts ``ticker`` to str, ``date`` to naive ``datetime64[ns]`` and the prices and volume to
    float64 (unparsable values become NaN: a missing volume stays missing, never 0).

    Parameters
    ----------
    df : pandas.DataFrame
        A daily frame as read from a source; extra columns are dropped.
    source : str
        Description of where the frame came from, put at the start of every error message.

    Returns
    -------
    pandas.DataFrame
        A new frame, sorted by ticker then date (stable), with a fresh index.

    Raises
    ------
    PriceSourceError
        If a column is missing, ``date`` is missing, tz-aware or carries a time of day, a (ticker,
        date) pair appears twice, an ``adj_close`` is missing, non-finite or not positive, or a
        volume is negative or infinite.
    """
    missing = [c for c in DAILY_COLUMNS if c not in df.columns]
    if missing:
        raise PriceSourceError(f"{source}: daily frame lacks column(s) {missing}; expected {DAILY_COLUMNS}")
    tickers = df["ticker"].astype(str).array
    dates = pd.to_datetime(df["date"])
    if getattr(dates.dt, "tz", None) is not None:
        raise PriceSourceError(
            f"{source}: daily 'date' must be a naive session date, got tz-aware values; "
            "convert with .dt.tz_convert(<market tz>).dt.tz_localize(None).dt.normalize()"
        )
    if dates.isna().any():
        raise PriceSourceError(f"{source}: {int(dates.isna().sum())} row(s) without a date, first at row "
                               f"{int(np.flatnonzero(dates.isna().to_numpy())[0])}; every price needs its session date")
    if (dates != dates.dt.normalize()).any():
        raise PriceSourceError(f"{source}: daily 'date' carries a time of day; pass session dates only")
    day = dates.to_numpy().astype("datetime64[ns]")
    codes, order = ticker_date_order(tickers, day)
    ns = day.view(np.int64)
    sc, sn = (codes, ns) if order is None else (codes[order], ns[order])
    same = (sc[1:] == sc[:-1]) & (sn[1:] == sn[:-1])  # sorted, a duplicate sits beside its twin
    if same.any():
        dup = np.zeros(len(sc), dtype=bool)
        dup[1:] |= same
        dup[:-1] |= same
        rows = np.flatnonzero(dup) if order is None else order[dup]
        first = int(rows.min())
        raise PriceSourceError(
            f"{source}: {int(dup.sum())} duplicate (ticker, date) rows, first {tickers[first]} "
            f"{pd.Timestamp(day[first]):%Y-%m-%d}; keep one row per session"
        )
    cols = {"ticker": tickers, "date": day}
    for col in ("close", "adj_close", *([VOLUME_COLUMN] if VOLUME_COLUMN in df.columns else [])):
        cols[col] = pd.to_numeric(df[col], errors="coerce").to_numpy(dtype="float64")
    if order is not None:
        cols = {k: v.take(order) for k, v in cols.items()}
    out = pd.DataFrame(cols, copy=order is None)  # a new frame: never a view of the caller's columns
    adj = out["adj_close"].to_numpy()
    bad = ~np.isfinite(adj) | (adj <= 0)
    if bad.any():
        first = int(np.flatnonzero(bad)[0] if order is None else order[bad].min())
        raise PriceSourceError(
            f"{source}: {int(bad.sum())} missing, non-finite or non-positive adj_close value(s), first "
            f"{tickers[first]} {pd.Timestamp(day[first]):%Y-%m-%d}; drop those rows or fix the data"
        )
    if VOLUME_COLUMN in out.columns:
        vol = out[VOLUME_COLUMN].to_numpy()
        bad = np.isinf(vol) | (vol < 0)
        if bad.any():
            first = int(np.flatnonzero(bad)[0] if order is None else order[bad].min())
            raise PriceSourceError(
                f"{source}: {int(bad.sum())} negative or infinite volume value(s), first "
                f"{tickers[first]} {pd.Timestamp(day[first]):%Y-%m-%d}; leave a volume the source lacks empty"
            )
    return out


def check_intraday_frame(df: pd.DataFrame, source: str) -> pd.DataFrame:
    """Validate and normalise an intraday frame (tz-aware UTC bar-start instants).

    Keeps only the columns ``ticker, time, open, high, low, close, volume``; converts ``time`` to
    UTC and the prices and volume to float64 (unparsable values become NaN).

    Parameters
    ----------
    df : pandas.DataFrame
        An intraday frame as read from a source; ``time`` must be tz-aware (any zone).
    source : str
        Description of where the frame came from, put at the start of every error message.

    Returns
    -------
    pandas.DataFrame
        A new frame, sorted by ticker then time (stable), with a fresh index.

    Raises
    ------
    PriceSourceError
        If a column is missing, ``time`` is naive, or a (ticker, time) bar appears twice.
    """
    missing = [c for c in INTRADAY_COLUMNS if c not in df.columns]
    if missing:
        raise PriceSourceError(f"{source}: intraday frame lacks column(s) {missing}; expected {INTRADAY_COLUMNS}")
    out = df[INTRADAY_COLUMNS].copy()
    t = pd.to_datetime(out["time"])
    if t.dt.tz is None:
        raise PriceSourceError(
            f"{source}: intraday 'time' is naive; localize it to the vendor's zone first "
            "(a naive instant would silently be read as UTC)"
        )
    out["time"] = t.dt.tz_convert("UTC")
    for col in ("open", "high", "low", "close", "volume"):
        out[col] = pd.to_numeric(out[col], errors="coerce").astype("float64")
    dup = out.duplicated(["ticker", "time"], keep=False)
    if dup.any():
        first = out.loc[dup].iloc[0]
        raise PriceSourceError(f"{source}: duplicate bar {first['ticker']} {first['time']}; keep one row per bar")
    return out.sort_values(["ticker", "time"], kind="mergesort").reset_index(drop=True)


def coerce_bound(value: str | pd.Timestamp | None, name: str) -> pd.Timestamp | None:
    """Parse a daily ``start``/``end`` bound into a naive date (None passes through).

    A tz-aware value keeps its local wall time with the zone dropped; the time of day is then
    dropped (normalized to midnight).

    Parameters
    ----------
    value : str or pandas.Timestamp or None
        The bound, e.g. ``"2025-05-12"``.
    name : str
        Argument name, used in the error message (``"start"``, ``"end"``).

    Returns
    -------
    pandas.Timestamp or None
        Naive midnight of the date, or None if ``value`` is None.

    Raises
    ------
    PriceSourceError
        If ``value`` cannot be parsed as a timestamp.
    """
    if value is None:
        return None
    try:
        ts = pd.Timestamp(value)
    except (ValueError, TypeError) as exc:
        raise PriceSourceError(f"argument {name}={value!r} is not a date; pass e.g. '2025-05-12'") from exc
    if ts.tzinfo is not None:
        ts = ts.tz_localize(None)
    return ts.normalize()


def coerce_instant(value: str | pd.Timestamp, name: str) -> pd.Timestamp:
    """Parse an intraday bound into a tz-aware UTC instant; a naive value is an error.

    Parameters
    ----------
    value : str or pandas.Timestamp
        The instant, with a UTC offset or zone, e.g. ``"2025-10-24T16:00:00-04:00"``.
    name : str
        Argument name, used in the error messages (``"start"``, ``"end"``).

    Returns
    -------
    pandas.Timestamp
        The same instant, converted to UTC.

    Raises
    ------
    PriceSourceError
        If ``value`` cannot be parsed or has no time zone.
    """
    try:
        ts = pd.Timestamp(value)
    except (ValueError, TypeError) as exc:
        raise PriceSourceError(f"argument {name}={value!r} is not a timestamp") from exc
    if ts.tzinfo is None:
        raise PriceSourceError(
            f"argument {name}={value!r} has no time zone; pass an offset such as "
            f"'{ts.isoformat()}-04:00' or a tz-aware Timestamp"
        )
    return ts.tz_convert("UTC")
