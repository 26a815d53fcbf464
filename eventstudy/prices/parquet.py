"""Prices from a Parquet file or directory of Parquet files (long format, one row per ticker-date).

This is how a distributed study reads its inputs: every Dask worker opens the same path (a shared
file system or an object store URL that pyarrow/fsspec understands) and reads only the tickers of
its partition, with a pushed-down filter, instead of receiving a pickled DataFrame from the client.

The file holds the daily frame of :mod:`eventstudy.prices.base`: ``ticker, date, close,
adj_close`` (``close`` may be missing; it is then NaN, as in a long CSV without raw levels).
:meth:`ParquetSource.write` makes such a file from any daily frame or source.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import PriceSourceError, UnknownTickerError, require
from .base import DAILY_COLUMNS, VOLUME_COLUMN, check_daily_frame, coerce_bound


def _need_pyarrow(what: str) -> None:
    require("pyarrow", extra="parquet", feature=what)


class ParquetSource:
    """Daily prices in Parquet. Reads lazily: nothing is loaded until :meth:`daily` is called, and
    then only the requested tickers (a filter pushed down to the row groups)."""

    name = "parquet"

    def __init__(self, path: str | os.PathLike) -> None:
        _need_pyarrow("ParquetSource")
        self.path = str(path)
        local = "://" not in self.path
        if local and not Path(self.path).exists():
            raise PriceSourceError(f"{self.path}: no such Parquet file or directory; write one with "
                                   "ParquetSource.write(prices, path)")
        try:
            import pyarrow.parquet as pq

            schema = pq.read_schema(self.path) if local and Path(self.path).is_file() else \
                pq.ParquetDataset(self.path).schema
        except Exception as exc:  # pyarrow raises several types for a file that is not Parquet
            raise PriceSourceError(f"{self.path}: not a readable Parquet file or dataset ({exc})") from exc
        names = set(schema.names)
        missing = [c for c in ("ticker", "date") if c not in names]
        if missing or not names & {"close", "adj_close"}:
            raise PriceSourceError(f"{self.path}: a Parquet price file needs columns ticker, date and close or "
                                   f"adj_close (long format); it has {sorted(names)}")
        self._columns = [c for c in (*DAILY_COLUMNS, VOLUME_COLUMN) if c in names]  # volume when the file has it

    def __repr__(self) -> str:
        return f"ParquetSource({self.path!r})"

    def __reduce__(self):  # pickles as its path: a worker reopens the file, no frame travels
        return (ParquetSource, (self.path,))

    @property
    def tickers(self) -> list[str]:
        """Tickers in the file, in order of first appearance (reads the ``ticker`` column)."""
        import pyarrow.parquet as pq

        col = pq.read_table(self.path, columns=["ticker"]).column("ticker").to_pandas()
        return list(dict.fromkeys(col.astype(str)))

    def daily(self, tickers: Sequence[str] | None = None, start=None, end=None) -> pd.DataFrame:
        """Daily closes read from the Parquet path, only the requested tickers' rows.

        The ticker filter is pushed down to pyarrow; the date bounds are applied after reading. A
        missing ``close`` column becomes NaN, a missing ``adj_close`` a copy of ``close``.

        Parameters
        ----------
        tickers : sequence of str, optional
            Tickers to read (duplicates ignored); None for every ticker of the file.
        start : str or pandas.Timestamp, optional
            First session date (inclusive), see :func:`~eventstudy.prices.base.coerce_bound`;
            None for no lower bound.
        end : str or pandas.Timestamp, optional
            Last session date (inclusive); None for no upper bound.

        Returns
        -------
        pandas.DataFrame
            Daily frame ``ticker, date, close, adj_close`` (and ``volume`` when the file has it),
            sorted by ticker then date.

        Raises
        ------
        UnknownTickerError
            If a requested ticker has no rows in the file.
        PriceSourceError
            If the file cannot be read, a bound cannot be parsed, or the data fail
            :func:`~eventstudy.prices.base.check_daily_frame`.
        """
        filters = None
        if tickers is not None:
            tickers = list(dict.fromkeys(map(str, tickers)))
            filters = [("ticker", "in", tickers)]
        try:
            df = pd.read_parquet(self.path, columns=self._columns, filters=filters, engine="pyarrow")
        except Exception as exc:
            raise PriceSourceError(f"{self.path}: could not read ({exc})") from exc
        for col in ("close", "adj_close"):
            if col not in df.columns:
                df[col] = np.nan if col == "close" else df["close"]
        if tickers is not None:
            unknown = sorted(set(tickers) - set(df["ticker"].astype(str)))
            if unknown:
                raise UnknownTickerError(f"{self.path} has no rows for ticker(s) {unknown}")
        df = check_daily_frame(df, self.path)
        lo, hi = coerce_bound(start, "start"), coerce_bound(end, "end")
        if lo is not None:
            df = df[df["date"] >= lo]
        if hi is not None:
            df = df[df["date"] <= hi]
        return df.sort_values(["ticker", "date"], kind="mergesort").reset_index(drop=True)

    def intraday(self, ticker, start, end, interval="1m") -> pd.DataFrame:
        """Not available: a Parquet source holds daily prices only; this always raises.

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
        raise PriceSourceError(f"{self.path} holds daily prices; intraday bars come from the bundled snapshot "
                               "or yfinance")

    @staticmethod
    def write(prices, path: str | os.PathLike, *, row_group_tickers: int = 64) -> ParquetSource:
        """Write a daily frame (or a source's ``daily()``) to ``path`` sorted by ticker and date,
        ``row_group_tickers`` tickers per row group so that a worker's ticker filter skips the rest.

        Parameters
        ----------
        prices : pandas.DataFrame or PriceSource
            A daily frame, or a source whose ``daily()`` (all its tickers) is written. It is checked
            with :func:`~eventstudy.prices.base.check_daily_frame` first.
        path : str or os.PathLike
            Local file to write; its parent directories are created.
        row_group_tickers : int, default 64
            Tickers per row group (at least 1); the row group size is the row count of the largest
            such block of tickers.

        Returns
        -------
        ParquetSource
            A source reading the written file.

        Raises
        ------
        MissingDependencyError
            If pyarrow is not installed.
        PriceSourceError
            If the prices fail the daily-frame check.
        """
        _need_pyarrow("ParquetSource.write")
        import pyarrow as pa
        import pyarrow.parquet as pq

        df = prices if isinstance(prices, pd.DataFrame) else prices.daily()
        df = check_daily_frame(df, "prices").sort_values(["ticker", "date"], kind="mergesort")
        table = pa.Table.from_pandas(df.reset_index(drop=True), preserve_index=False)
        codes = pd.factorize(df["ticker"])[0]
        starts = np.flatnonzero(np.r_[True, np.diff(codes) != 0])
        per = max(1, int(row_group_tickers))
        rows = int(np.diff(np.r_[starts[::per], len(df)]).max()) if len(df) else 1
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(table, str(path), row_group_size=max(rows, 1))
        return ParquetSource(path)
