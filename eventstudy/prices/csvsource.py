"""Prices from a user's CSV: wide (``date,SPY,^N225,...``) or long (``date,ticker,close[,adj_close]``).

Wide files may leave a cell empty where a market was closed or a price is missing (nothing is
filled; see :func:`eventstudy.assets.data_calendars` for what that means for day 0). Dates must be
plain dates (``YYYY-MM-DD``). Nothing is dropped or renamed silently: a header without a name
(a pandas index written with the file), a header repeated, a column without any price, or a
long-looking header whose ``ticker`` column holds numbers are errors naming the column.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import PriceSourceError, UnknownTickerError
from .base import check_daily_frame, coerce_bound


class CSVSource:
    """A daily price file. Long format wins when the header has ``ticker`` and ``close`` columns."""

    name = "csv"

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise PriceSourceError(f"{self.path}: no such price file; pass --prices with a CSV path")
        self._frame = self._read()

    def _read(self) -> pd.DataFrame:
        label = str(self.path)
        try:
            # only an empty cell means "no session"; "n/a", "NaN", "-" are errors, not silent gaps
            raw = pd.read_csv(self.path, dtype={"ticker": str}, keep_default_na=False, na_values=[""])
        except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as exc:
            raise PriceSourceError(f"{label}: not a readable CSV ({exc})") from exc
        header = self._header()
        if len(header) != raw.shape[1] or not isinstance(raw.index, pd.RangeIndex):  # pandas made an index of them
            raise PriceSourceError(f"{label}: the header has {len(header)} column(s) but the rows have more fields; "
                                   "give every column a name (or remove trailing commas)")
        for i, name in enumerate(header):
            if not name:
                raise PriceSourceError(
                    f"{label}: column {i + 1} of the header has no name" + (
                        " (a pandas index written with the file? write it with to_csv(index=False))" if i == 0 else "")
                    + "; name every column: date, then one ticker per column (wide) or ticker,close (long)")
        seen = {}
        for i, name in enumerate(header):
            if name.lower() in seen:
                raise PriceSourceError(f"{label}: column {name!r} appears twice in the header (columns "
                                       f"{seen[name.lower()] + 1} and {i + 1}); each ticker needs one column")
            seen[name.lower()] = i
        raw.columns = header
        lower = {c.lower(): c for c in raw.columns}
        if "date" not in lower:
            raise PriceSourceError(f"{label}: no 'date' column (header: {list(raw.columns)}); "
                                   "the first column must be date, wide (date,TICKER,...) or long (date,ticker,close)")
        raw = raw.rename(columns={lower["date"]: "date"})
        dates = pd.to_datetime(raw["date"], format="%Y-%m-%d", errors="coerce")
        if dates.isna().any():
            i = int(dates.isna().to_numpy().argmax())
            raise PriceSourceError(f"{label}, line {i + 2}, column date: {raw['date'].iloc[i]!r} is not a "
                                   "YYYY-MM-DD date (daily files hold session dates, no times or zones)")
        raw["date"] = dates
        if "ticker" in lower:  # long format
            if "close" not in lower and "adj_close" not in lower:
                raise PriceSourceError(f"{label}: a long price file needs a 'close' (or 'adj_close') column beside "
                                       f"'date' and 'ticker'; the header has {list(raw.columns)}")
            numeric = pd.to_numeric(raw[lower["ticker"]], errors="coerce")
            if len(raw) and numeric.notna().all():
                raise PriceSourceError(
                    f"{label}: the header (date, ticker, close) reads as a long file, but its 'ticker' column holds "
                    f"numbers ({raw[lower['ticker']].iloc[0]!r}, ...), not symbols; in a wide file rename the "
                    "columns 'ticker'/'close' after their instruments")
            long = raw.rename(columns={lower["ticker"]: "ticker"})
            close = lower.get("close", lower.get("adj_close"))
            long["close"] = raw[close] if "close" in lower else np.nan  # no raw close given: levels unknown
            long["adj_close"] = raw[lower["adj_close"]] if "adj_close" in lower else raw[close]
            long = long[["ticker", "date", "close", "adj_close"]]
        else:
            value_cols = [c for c in raw.columns if c != "date"]
            if not value_cols:
                raise PriceSourceError(f"{label}: no price columns after 'date'")
            dup = raw["date"].duplicated()
            if dup.any():
                i = int(dup.to_numpy().argmax())
                raise PriceSourceError(f"{label}, line {i + 2}: date {raw['date'].iloc[i]:%Y-%m-%d} appears twice; "
                                       "a wide file has one row per date")
            empty = [c for c in value_cols if raw[c].isna().all()]
            if empty:
                raise PriceSourceError(f"{label}: column(s) {empty} hold no price in any row; fill them or remove "
                                       "them (an empty cell means only that one date has no price)")
            long = raw.melt(id_vars="date", var_name="ticker", value_name="close")
            long = long[long["close"].notna()]  # an empty cell = no session for that ticker
            long["adj_close"] = long["close"]
        nonnum = pd.to_numeric(long["adj_close"], errors="coerce").isna() & long["adj_close"].notna()
        if nonnum.any():
            r = long[nonnum].iloc[0]
            raise PriceSourceError(f"{label}: {r['ticker']} on {r['date']:%Y-%m-%d} has close {r['adj_close']!r}, "
                                   "not a number; leave the cell empty if the market was closed")
        return check_daily_frame(long, label)

    def _header(self) -> list[str]:
        """The header's names as written (pandas would rename a repeat 'AAA' to 'AAA.1')."""
        with open(self.path, newline="", encoding="utf-8-sig") as fh:
            return [c.strip() for c in next(csv.reader(fh), [])]

    @property
    def tickers(self) -> list[str]:
        """Tickers of the file, in sorted order (the frame is sorted by ticker when read)."""
        return list(dict.fromkeys(self._frame["ticker"]))

    def daily(self, tickers: Sequence[str] | None = None, start=None, end=None) -> pd.DataFrame:
        """Daily closes from the file (read and checked once, when the source was made).

        Parameters
        ----------
        tickers : sequence of str, optional
            Tickers to return; None for every ticker of the file.
        start : str or pandas.Timestamp, optional
            First session date (inclusive), see :func:`~eventstudy.prices.base.coerce_bound`;
            None for no lower bound.
        end : str or pandas.Timestamp, optional
            Last session date (inclusive); None for no upper bound.

        Returns
        -------
        pandas.DataFrame
            Daily frame ``ticker, date, close, adj_close``, sorted by ticker then date. ``close`` is
            NaN for a long file without a ``close`` column; in a wide file ``close == adj_close``.

        Raises
        ------
        UnknownTickerError
            If a requested ticker is not in the file.
        PriceSourceError
            If a bound cannot be parsed as a date.
        """
        df = self._frame
        if tickers is not None:
            unknown = [t for t in tickers if t not in set(self.tickers)]
            if unknown:
                raise UnknownTickerError(f"{self.path} has no column/ticker {unknown}; it has {self.tickers}")
            df = df[df["ticker"].isin(list(tickers))]
        lo, hi = coerce_bound(start, "start"), coerce_bound(end, "end")
        if lo is not None:
            df = df[df["date"] >= lo]
        if hi is not None:
            df = df[df["date"] <= hi]
        return df.reset_index(drop=True)

    def intraday(self, ticker, start, end, interval="1m") -> pd.DataFrame:
        """Not available: a CSV source holds daily prices only; this always raises.

        Parameters
        ----------
        ticker : str
            Ignored.
        start, end : str or pandas.Timestamp
            Ignored.
        interval : str, default "1m"
            Ignored.

        Raises
        ------
        PriceSourceError
            Always; intraday bars come from the bundled snapshot or yfinance.
        """
        raise PriceSourceError(f"{self.path} is a daily price file; intraday bars come from the bundled "
                               "snapshot or yfinance")
