"""Prices or returns from a user's file (CSV, or Excel ``.xlsx`` with the ``[excel]`` extra).

Five layouts are recognised from the header (names compared without case, ``_`` = space):

===========================  ====================================================================
layout                       header
===========================  ====================================================================
wide prices                  ``date,SPY,^N225,...``: one column per ticker
long prices                  ``date,ticker,close[,adj_close][,volume]`` (or ``adj_close`` alone)
single-ticker download       ``Date,Open,High,Low,Close,Adj Close,Volume`` as Yahoo Finance, Stooq
                             and most brokers write it (any of these columns, ``Close`` or ``Adj
                             Close`` among them); the file does not name its instrument, so it
                             needs ``ticker=`` (CLI ``--ticker``)
wide returns                 ``date,SPY,Mkt-RF,...`` with ``kind="returns"`` (a Fama–French factor
                             file is one: ``date,Mkt-RF,SMB,HML,RF``, in percent)
long returns                 ``date,ticker,return`` (or ``ret``) with ``kind="returns"``
===========================  ====================================================================

Dates are plain session dates, ``YYYY-MM-DD`` or ``YYYYMMDD`` (the Fama–French files' form); in
Excel also a date cell. In a wide file an empty cell means that ticker had no session that day
(nothing is filled; see :func:`eventstudy.assets.data_calendars` for what that means for day 0).
Nothing is dropped or renamed silently: a header without a name (a pandas index written with the
file), a header repeated, a column without any value, a value that is not a number, a long-looking
header whose ``ticker`` column holds numbers and a download file without its ticker's name are
errors naming the file, line and column; a header that fits no layout is an error that shows the
columns found and the layouts accepted.

**Download files.** ``Adj Close`` (when present) is the return basis and ``Close`` the level a
news report quotes; without ``Adj Close`` both are ``Close``. ``Open``, ``High``, ``Low`` and
``Volume`` becomes the daily frame's optional ``volume`` (so does a ``volume`` column of a long
file; an empty cell is a volume the file lacks, never 0); ``Open``, ``High`` and ``Low`` are read
past: the daily frame has no place for them (:mod:`eventstudy.prices.base`).

**Returns files** become a price index so that the rest of the study (sessions, day 0, estimation,
windows) is the one path every price file takes: each ticker's index starts at 1.0 on a *base*
date, the session before its first return (the previous session of its exchange calendar when the
ticker is registered or given one by ``calendars=``, else the previous weekday), and moves by each
return in turn: ``1 + r`` for simple returns, ``exp(r)`` for log returns (``return_kind="log"``).
The returns a study computes from that index are the file's own (to rounding), in either of the
study's return kinds, and no ticker's first return is lost. Price levels are unknown: ``close`` is
NaN and :attr:`CSVSource.levels_unknown` lists the tickers, so a claim about a level or a move in
points says that it needs a price file instead of checking it against the index.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from ..errors import PriceSourceError, UnknownTickerError, require
from .base import check_daily_frame, coerce_bound

LAYOUTS = ("wide prices: date,TICKER,... (one column per ticker)",
           "long prices: date,ticker,close[,adj_close]",
           "single-ticker download: Date,Open,High,Low,Close,Adj Close,Volume with ticker= (CLI --ticker)",
           "wide returns: date,TICKER,... with kind='returns' (CLI --returns-file)",
           "long returns: date,ticker,return with kind='returns' (CLI --returns-file)")
"""The layouts a :class:`CSVSource` reads, as its errors list them."""

DOWNLOAD_COLUMNS = ("open", "high", "low", "close", "adj close", "volume")
"""Columns of a single-ticker download file besides its date (normalised: lower case, ``_`` = space)."""

RETURN_COLUMNS = ("return", "ret")
"""Names of the value column of a long returns file."""

MAX_DECIMAL_MEDIAN = 0.2
"""A decimal returns file whose median absolute return exceeds this (20 % a day) is taken for a
percent file read as decimal: an error asks for ``units="percent"``."""


def _norm(name: str) -> str:
    return " ".join(name.replace("_", " ").lower().split())


class CSVSource:
    """Daily prices, or returns, from a CSV or ``.xlsx`` file in one of the layouts of the module.

    Parameters
    ----------
    path : str or os.PathLike
        The file: ``.csv`` (any other suffix is read as CSV too) or ``.xlsx`` (needs openpyxl, the
        ``[excel]`` extra).
    kind : {"prices", "returns"}, default "prices"
        What the values are. Returns are rebuilt into a price index (see the module docstring).
    units : {"decimal", "percent"}, default "decimal"
        Units of a returns file: ``0.012`` or ``1.2`` for 1.2 %. Only with ``kind="returns"``.
    return_kind : {"simple", "log"}, default "simple"
        Whether the file's returns are simple (``p_t/p_{t-1} - 1``) or log returns. Only with
        ``kind="returns"``.
    ticker : str, optional
        The instrument of a single-ticker download file (``Date,Open,...,Close,Adj Close,Volume``);
        required for that layout and an error for the others, which name their tickers.
    sheet : str or int, optional
        Sheet of an ``.xlsx`` file (default the first); an error for a CSV file.
    calendars : mapping of str to str, optional
        Ticker -> exchange calendar (as ``EventStudy(calendars=...)``), used only to date the base
        of a returns file's index on the session before each ticker's first return.

    Raises
    ------
    PriceSourceError
        If the file is missing or unreadable, its header fits no layout (the message shows the
        columns found and the layouts accepted), or a date, price or return is invalid (the
        message names the line and column).
    MissingDependencyError
        For an ``.xlsx`` file without openpyxl.
    """

    name = "csv"

    def __init__(self, path: str | os.PathLike, *, kind: Literal["prices", "returns"] = "prices",
                 units: Literal["decimal", "percent"] = "decimal", return_kind: Literal["simple", "log"] = "simple",
                 ticker: str | None = None, sheet: str | int | None = None,
                 calendars: Mapping[str, str] | None = None) -> None:
        self.path = Path(path)
        if kind not in ("prices", "returns"):
            raise PriceSourceError(f"argument kind={kind!r}; pass 'prices' or 'returns'")
        if units not in ("decimal", "percent"):
            raise PriceSourceError(f"argument units={units!r}; pass 'decimal' (0.012 for 1.2 %) or 'percent' (1.2)")
        if return_kind not in ("simple", "log"):
            raise PriceSourceError(f"argument return_kind={return_kind!r}; pass 'simple' or 'log'")
        if kind == "prices" and (units != "decimal" or return_kind != "simple"):
            raise PriceSourceError(f"{self.path}: units= and return_kind= describe a returns file; "
                                   "pass kind='returns' (CLI --returns-file) or leave them out")
        self.kind, self.units, self.return_kind, self.ticker = kind, units, return_kind, ticker
        self.excel = self.path.suffix.lower() in (".xlsx", ".xlsm")
        if sheet is not None and not self.excel:
            raise PriceSourceError(f"{self.path}: sheet={sheet!r} is for an .xlsx file; this one is read as CSV")
        self.sheet = sheet
        self.calendars = dict(calendars or {})
        if not self.path.is_file():
            raise PriceSourceError(f"{self.path}: no such {'returns' if kind == 'returns' else 'price'} file; "
                                   f"pass {'--returns-file' if kind == 'returns' else '--prices'} with a CSV path")
        self.layout = ""
        """The layout the header was read as (one of :data:`LAYOUTS`' names, e.g. ``"wide returns"``)."""
        self.levels_unknown: frozenset[str] = frozenset()
        """Tickers whose prices are an index rebuilt from returns: their levels are unknown."""
        self._frame = self._read()
        if kind == "returns":
            self.name = "returns file"
            self.levels_unknown = frozenset(self._frame["ticker"])

    # -- reading
    def _table(self) -> tuple[list[str], pd.DataFrame]:
        """The header as written and the cells as strings ('' for an empty cell)."""
        label = str(self.path)
        if self.excel:
            require("openpyxl", extra="excel", feature=f"reading {self.path.name}")
            try:
                raw = pd.read_excel(self.path, sheet_name=0 if self.sheet is None else self.sheet, header=None,
                                    dtype=object)
            except (ValueError, KeyError, OSError) as exc:
                raise PriceSourceError(f"{label}: not a readable .xlsx file or sheet ({exc})") from exc
            if raw.empty:
                raise PriceSourceError(f"{label}: the sheet is empty; put the header in its first row")
            header = ["" if pd.isna(c) else str(c).strip() for c in raw.iloc[0]]
            body = raw.iloc[1:].map(_cell_text).reset_index(drop=True)
            return header, body
        try:
            # only an empty cell means "no session"; "n/a", "NaN", "-" are errors, not silent gaps
            raw = pd.read_csv(self.path, dtype=str, keep_default_na=False)
        except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as exc:
            raise PriceSourceError(f"{label}: not a readable CSV ({exc})") from exc
        with open(self.path, newline="", encoding="utf-8-sig") as fh:
            header = [c.strip() for c in next(csv.reader(fh), [])]  # as written: pandas renames a repeat 'A' 'A.1'
        if len(header) != raw.shape[1] or not isinstance(raw.index, pd.RangeIndex):  # pandas made an index of them
            raise PriceSourceError(f"{label}: the header has {len(header)} column(s) but the rows have more fields; "
                                   "give every column a name (or remove trailing commas)")
        return header, raw

    def _layout_error(self, header: list[str], why: str) -> PriceSourceError:
        return PriceSourceError(f"{self.path}: {why}; the header has {header}. Accepted layouts: "
                                + "; ".join(LAYOUTS))

    def _read(self) -> pd.DataFrame:
        label = str(self.path)
        header, raw = self._table()
        for i, name in enumerate(header):
            if not name:
                raise PriceSourceError(
                    f"{label}: column {i + 1} of the header has no name" + (
                        " (a pandas index written with the file? write it with to_csv(index=False); a Fama-French "
                        "file leaves its date column unnamed: name it date)" if i == 0 else "")
                    + "; name every column: date, then one ticker per column (wide) or ticker,close (long)")
        seen: dict[str, int] = {}
        for i, name in enumerate(header):
            if name.lower() in seen:
                raise PriceSourceError(f"{label}: column {name!r} appears twice in the header (columns "
                                       f"{seen[name.lower()] + 1} and {i + 1}); each ticker needs one column")
            seen[name.lower()] = i
        raw.columns = header
        lower = {_norm(c): c for c in header}
        for key in ("date", "ticker"):  # text keys are stripped; numbers parse with spaces around them
            if key in lower:
                raw[lower[key]] = raw[lower[key]].astype(str).str.strip()
        if "date" not in lower:
            raise self._layout_error(header, "no 'date' column")
        others = [_norm(c) for c in header if _norm(c) != "date"]
        download = bool(others) and set(others) <= set(DOWNLOAD_COLUMNS) and bool({"close", "adj close"} & set(others))
        long = "ticker" in lower
        if download:
            self.layout = "single-ticker download"
            if self.kind == "returns":
                raise self._layout_error(header, "this is a single-ticker price download "
                                                 "(Date,Open,High,Low,Close,Adj Close,Volume), not a returns file; "
                                                 "pass it as prices (--prices FILE --ticker NAME)")
            if not self.ticker:
                raise PriceSourceError(
                    f"{label}: the header {header} is a single-ticker download (Date,Open,High,Low,Close,Adj Close,"
                    "Volume), which does not name its instrument; give the name: CSVSource(path, ticker='SPY'), "
                    "CLI --prices FILE --ticker SPY (else 'Close', 'Adj Close' and 'Volume' would be read as tickers)")
        elif self.ticker is not None:
            raise self._layout_error(header, f"ticker={self.ticker!r} (--ticker) names the instrument of a "
                                             "single-ticker download file, and this file is not one: it names its "
                                             "tickers itself; leave ticker out")
        elif long:
            self.layout = "long " + self.kind
        else:
            self.layout = "wide " + self.kind
            bad = [c for c in header if _norm(c) in DOWNLOAD_COLUMNS or _norm(c) in RETURN_COLUMNS]
            if bad:
                raise self._layout_error(header, f"column(s) {bad} name a price or return field, not a ticker, yet "
                                                 "the header is not a download (Date,Open,...,Close,...) or long "
                                                 "(date,ticker,...) file")
        dates = _dates(raw[lower["date"]], label, lower["date"])
        if long:
            frame = self._long(raw, dates, lower, header)
        elif download:
            frame = self._download(raw, dates, lower)
        else:
            frame = self._wide(raw, dates, lower, header)
        if self.kind == "returns":
            frame = self._index(frame)
        return check_daily_frame(frame, label)

    def _values(self, raw: pd.DataFrame, col: str, rows: np.ndarray, tickers, dates, *,
                allow_empty: bool) -> np.ndarray:
        """The numbers of column ``col`` at ``rows``: NaN for an empty cell (if allowed); an error names
        the line and column of the first text, empty, non-finite or (for prices) non-positive value."""
        label = str(self.path)
        what = col if self.layout.startswith(("long", "single")) else "return" if self.kind == "returns" else "price"
        text = raw[col].to_numpy()[rows]
        num = pd.to_numeric(pd.Series(text), errors="coerce").to_numpy(dtype=float)
        empty = text == ""
        checks = [(~empty & np.isnan(num), "not a number; leave the cell empty if the market was closed"
                   if allow_empty else "not a number")]
        if not allow_empty:
            checks.append((empty, "an empty cell: leave out the row of a date without a value"))
        checks.append((~empty & ~np.isnan(num) & ~np.isfinite(num), "not a finite number"))
        if self.kind == "prices":
            checks.append((np.isfinite(num) & (num <= 0), "a non-positive price; fix the value or drop the row"))
        for bad, why in checks:
            if bad.any():
                i = int(np.flatnonzero(bad)[0])
                raise PriceSourceError(f"{label}, line {int(rows[i]) + 2}, column {col}: {tickers[i]} on "
                                       f"{pd.Timestamp(dates[i]):%Y-%m-%d} has {what} {text[i]!r}, {why}")
        return num

    def _long(self, raw, dates, lower, header) -> pd.DataFrame:
        label = str(self.path)
        tick = raw[lower["ticker"]].to_numpy()
        if len(raw) and pd.to_numeric(pd.Series(tick), errors="coerce").notna().all():
            raise PriceSourceError(
                f"{label}: the header ({', '.join(header)}) reads as a long file, but its 'ticker' column holds "
                f"numbers ({tick[0]!r}, ...), not symbols; in a wide file rename the columns after their instruments")
        if (tick == "").any():
            i = int(np.flatnonzero(tick == "")[0])
            raise PriceSourceError(f"{label}, line {i + 2}, column {lower['ticker']}: empty ticker; every row "
                                   "of a long file names its ticker")
        rows = np.arange(len(raw))
        if self.kind == "returns":
            col = next((lower[c] for c in RETURN_COLUMNS if c in lower), None)
            if col is None:
                raise self._layout_error(header, "a long returns file needs a 'return' (or 'ret') column beside "
                                                 "'date' and 'ticker'")
            return pd.DataFrame({"ticker": tick, "date": dates,
                                 "ret": self._values(raw, col, rows, tick, dates, allow_empty=False)})
        if "close" not in lower and "adj close" not in lower:
            raise self._layout_error(header, "a long price file needs a 'close' (or 'adj_close') column beside "
                                             "'date' and 'ticker'")
        close = self._values(raw, lower["close"], rows, tick, dates, allow_empty=False) if "close" in lower else None
        adj = self._values(raw, lower["adj close"], rows, tick, dates, allow_empty=False) \
            if "adj close" in lower else close
        return self._with_volume(pd.DataFrame({"ticker": tick, "date": dates, "adj_close": adj,
                                               "close": np.full(len(raw), np.nan) if close is None else close}),
                                 raw, lower, rows, tick, dates)  # no raw close: unknown

    def _with_volume(self, frame, raw, lower, rows, tick, dates) -> pd.DataFrame:
        """``frame`` with the file's ``volume`` column when it has one: empty cells NaN, a text or
        negative value an error naming its line."""
        if "volume" not in lower:
            return frame
        col = lower["volume"]
        text = raw[col].to_numpy()[rows]
        num = pd.to_numeric(pd.Series(text), errors="coerce").to_numpy(dtype=float)
        bad = ((text != "") & np.isnan(num)) | np.isinf(num) | (num < 0)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise PriceSourceError(f"{self.path}, line {int(rows[i]) + 2}, column {col}: {tick[i]} on "
                                   f"{pd.Timestamp(dates[i]):%Y-%m-%d} has volume {text[i]!r}, not a non-negative "
                                   "number; leave the cell empty where the volume is unknown")
        return frame.assign(volume=num)

    def _download(self, raw, dates, lower) -> pd.DataFrame:
        self._unique_dates(dates)
        rows = np.arange(len(raw))
        tick = np.full(len(raw), self.ticker, dtype=object)
        close = self._values(raw, lower["close"], rows, tick, dates, allow_empty=False) if "close" in lower else None
        adj = self._values(raw, lower["adj close"], rows, tick, dates, allow_empty=False) \
            if "adj close" in lower else close
        return self._with_volume(pd.DataFrame({"ticker": tick, "date": dates, "adj_close": adj,
                                               "close": np.full(len(raw), np.nan) if close is None else close}),
                                 raw, lower, rows, tick, dates)

    def _wide(self, raw, dates, lower, header) -> pd.DataFrame:
        label = str(self.path)
        value_cols = [c for c in header if _norm(c) != "date"]
        if not value_cols:
            raise self._layout_error(header, f"no {'return' if self.kind == 'returns' else 'price'} columns "
                                             "after 'date'")
        self._unique_dates(dates)
        num = self._numbers(value_cols, len(raw))
        if num is None:  # a cell that is not a number: read as text, for the message naming it
            text = raw[value_cols].to_numpy(dtype=object).ravel(order="F")  # ticker by ticker
            num = pd.to_numeric(pd.Series(text), errors="coerce").to_numpy(dtype=float)
            present = text != ""  # an empty cell = no session for that ticker
        else:
            present = ~np.isnan(num)
        empty = [c for j, c in enumerate(value_cols) if not present[j * len(raw):(j + 1) * len(raw)].any()]
        if empty:
            what = "return" if self.kind == "returns" else "price"
            raise PriceSourceError(f"{label}: column(s) {empty} hold no {what} in any row; fill them or remove "
                                   f"them (an empty cell means only that one date has no {what})")
        bad = present & ~np.isfinite(num)
        if self.kind == "prices":
            bad |= present & (num <= 0)
        if bad.any():  # the first bad column, checked cell by cell for the message naming line and column
            c = value_cols[int(np.flatnonzero(bad)[0]) // len(raw)]
            rows = np.flatnonzero(raw[c].to_numpy() != "")
            self._values(raw, c, rows, np.full(len(rows), c, dtype=object), dates[rows], allow_empty=True)
        keep = np.flatnonzero(present)
        tick = np.repeat(np.array(value_cols, dtype=object), len(raw))[keep]
        day = np.tile(dates, len(value_cols))[keep]
        if self.kind == "returns":
            return pd.DataFrame({"ticker": tick, "date": day, "ret": num[keep]})
        return pd.DataFrame({"ticker": tick, "date": day, "adj_close": num[keep], "close": num[keep]})

    def _numbers(self, columns: list[str], n_rows: int) -> np.ndarray | None:
        """The cells of ``columns`` as numbers, column after column (NaN for an empty cell), parsed
        by pandas' C reader in one pass; None when a cell is not a number (or the file is a
        workbook), so that the caller reads the text and names the cell."""
        if self.excel or not columns:
            return None
        try:
            block = pd.read_csv(self.path, usecols=columns, dtype=float, keep_default_na=False, na_values=[""],
                                encoding="utf-8-sig")
        except (ValueError, pd.errors.ParserError):
            return None
        if block.shape != (n_rows, len(columns)):
            return None
        return block[columns].to_numpy(dtype=float).ravel(order="F")

    def _unique_dates(self, dates: np.ndarray) -> None:
        dup = pd.Series(dates).duplicated().to_numpy()
        if dup.any():
            i = int(dup.argmax())
            raise PriceSourceError(f"{self.path}, line {i + 2}: date {pd.Timestamp(dates[i]):%Y-%m-%d} appears "
                                   "twice; a wide or download file has one row per date")

    def _index(self, frame: pd.DataFrame) -> pd.DataFrame:
        """The price index of each ticker's returns, from 1.0 on the base date before its first return."""
        label = str(self.path)
        frame = frame.sort_values(["ticker", "date"], kind="mergesort").reset_index(drop=True)
        dup = frame.duplicated(["ticker", "date"])
        if dup.any():
            r = frame[dup].iloc[0]
            raise PriceSourceError(f"{label}: {r['ticker']} has two returns on {r['date']:%Y-%m-%d}; keep one row "
                                   "per ticker and date")
        r = frame["ret"].to_numpy(dtype=float) / (100.0 if self.units == "percent" else 1.0)
        if self.units == "decimal" and len(r) and np.median(np.abs(r)) > MAX_DECIMAL_MEDIAN:
            raise PriceSourceError(f"{label}: the median absolute return is {np.median(np.abs(r)):.3g}, that is "
                                   f"{100 * np.median(np.abs(r)):.3g} % a day read as decimal fractions; if the "
                                   "file is in percent (as Fama-French files are), declare it: units='percent' "
                                   "(CLI --returns-units percent / --factor-units percent)")
        if self.return_kind == "simple" and (r <= -1).any():
            i = int(np.flatnonzero(r <= -1)[0])
            hint = "" if self.units == "percent" else "; if the file is in percent, declare units='percent'"
            raise PriceSourceError(f"{label}: {frame['ticker'].iloc[i]} on {frame['date'].iloc[i]:%Y-%m-%d} has "
                                   f"a simple return of {100 * r[i]:g} %, a loss of everything or more, which no "
                                   f"price can follow{hint}")
        growth = np.exp(r) if self.return_kind == "log" else 1.0 + r
        parts = []
        for ticker, idx in frame.groupby("ticker", sort=False).indices.items():
            d = frame["date"].to_numpy()[idx]
            base = self._base_date(ticker, pd.Timestamp(d[0]))
            level = np.cumprod(np.r_[1.0, growth[idx]])
            parts.append(pd.DataFrame({"ticker": ticker, "date": np.r_[np.datetime64(base, "ns"), d],
                                       "close": np.nan, "adj_close": level}))
        return pd.concat(parts, ignore_index=True)

    def _base_date(self, ticker: str, first: pd.Timestamp) -> pd.Timestamp:
        """The session before ``first`` on the ticker's calendar, else the previous weekday."""
        from ..assets import DATA_CALENDAR, REGISTRY
        from ..calendars import exchange_sessions

        name = self.calendars.get(ticker)
        table = None
        if name is not None and name != DATA_CALENDAR:
            table = exchange_sessions(name)
        elif name is None and ticker in REGISTRY:
            table = REGISTRY[ticker].sessions
        if table is not None:
            k = int(np.searchsorted(table.sessions.asi8, first.as_unit("ns").value, side="left"))
            if k > 0:
                return table.sessions[k - 1]
        return first - pd.offsets.BDay(1)

    # -- the PriceSource protocol
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
            Daily frame ``ticker, date, close, adj_close`` (and ``volume`` when the file has
            one), sorted by ticker then date. ``close`` is
            NaN for a long file without a ``close`` column and for a returns file (whose
            ``adj_close`` is the index, with its base row); in a wide file ``close == adj_close``.

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


def _cell_text(value) -> str:
    """An Excel cell as the text a CSV would hold: '' when empty, a date cell as YYYY-MM-DD."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, pd.Timestamp | np.datetime64) or hasattr(value, "isoformat"):
        ts = pd.Timestamp(value)
        return f"{ts:%Y-%m-%d}" if ts == ts.normalize() else str(ts)
    return str(value).strip()


def _dates(values: pd.Series, label: str, col: str) -> np.ndarray:
    """Session dates of ``YYYY-MM-DD`` or ``YYYYMMDD`` text; an error names the first line that is neither."""
    text = values.astype(str)
    iso = pd.to_datetime(text, format="%Y-%m-%d", errors="coerce")
    compact = text.str.fullmatch(r"\d{8}")
    if compact.any():
        iso = iso.where(~compact, pd.to_datetime(text.where(compact), format="%Y%m%d", errors="coerce"))
    if iso.isna().any():
        i = int(iso.isna().to_numpy().argmax())
        raise PriceSourceError(f"{label}, line {i + 2}, column {col}: {text.iloc[i]!r} is not a YYYY-MM-DD (or "
                               "YYYYMMDD) date (daily files hold session dates, no times or zones)")
    return iso.to_numpy().astype("datetime64[ns]")
